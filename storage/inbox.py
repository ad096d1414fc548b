"""Updates received from Telegram, kept until handled, so a crash loses none.

Each batch from getUpdates is written here before Telegram is told (by the next getUpdates
offset) that it was received; an update stays pending until its handling ends. After a crash
the pending ones are handled again, and an update Telegram delivers twice is recognised by its id.
Every start of handling is counted, so an update that keeps crashing the bot is given up on.

Several replicas share the inbox through `store` (any ingest path: polling or a webhook),
`claim` (a lease on the next updates to handle: at most one per conversation at a time, the
oldest first, an expired lease taken over; the claiming replica's finished updates are marked
handled in the same step).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from storage.db import Database, Transaction

KEEP_HANDLED_SECONDS = 24 * 3600


@dataclass(frozen=True, slots=True)
class PendingUpdate:
    update_id: int
    payload: str
    received_at: float
    attempts: int  # handling started this many times already


@dataclass(frozen=True, slots=True)
class NewUpdate:
    update_id: int
    payload: str
    conversation: str | None  # updates of one conversation are claimed one at a time, in order


# Leases the next claimable updates; {finished_*} and {lock} are PostgreSQL's additions.
_CLAIM = (
    "UPDATE inbox SET lease_owner = ?, lease_until = ?, attempts = attempts + 1"
    " WHERE update_id IN (SELECT i.update_id FROM inbox i"
    " WHERE i.handled = 0 AND (i.lease_until IS NULL OR i.lease_until < ?){finished_i}"
    " AND (i.conversation IS NULL OR NOT EXISTS (SELECT 1 FROM inbox o"
    " WHERE o.handled = 0 AND o.conversation = i.conversation"
    " AND o.update_id < i.update_id{finished_o}))"
    " ORDER BY i.update_id LIMIT ?{lock})"
    " RETURNING update_id, payload, received_at, attempts"
)


class InboxRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def accept(self, updates: Sequence[tuple[int, str]]) -> list[int]:
        """Store new updates (id, JSON) with their first attempt counted, as their handling
        starts right away; return the ids not seen before, in order."""
        if not updates:
            return []
        now = time.time()
        rows = ", ".join("(?, ?, ?, 0, 1)" for _ in updates)
        params = [value for uid, payload in updates for value in (uid, payload, now)]
        # One statement for the whole batch: a repeat is skipped by the key, not looked up.
        inserted = await self._db.write(
            "INSERT INTO inbox (update_id, payload, received_at, handled, attempts)"
            f" VALUES {rows} ON CONFLICT (update_id) DO NOTHING RETURNING update_id",
            params,
        )
        fresh = {int(row[0]) for row in inserted}
        return [uid for uid, _ in dict(updates).items() if uid in fresh]

    async def store(self, updates: Sequence[NewUpdate]) -> list[int]:
        """Store updates not seen before, unclaimed; return their ids (a repeat is ignored)."""
        if not updates:
            return []
        now = time.time()
        rows = await self._db.write(
            "INSERT INTO inbox (update_id, payload, received_at, handled, attempts,"
            " conversation) VALUES "
            + ", ".join(["(?, ?, ?, 0, 0, ?)"] * len(updates))
            + " ON CONFLICT (update_id) DO NOTHING RETURNING update_id",
            [
                value
                for update in updates
                for value in (update.update_id, update.payload, now, update.conversation)
            ],
        )
        return sorted(int(row[0]) for row in rows)

    async def claim(
        self, owner: str, lease_seconds: float, limit: int, finished: Sequence[int] = ()
    ) -> list[PendingUpdate]:
        """Mark `finished` handled, then lease up to `limit` updates to `owner`,
        counting an attempt for each: unhandled ones whose lease is free or expired, and none
        with an older unhandled update of its conversation (that one is being handled, or
        must be first). On PostgreSQL both are one statement."""
        now = time.time()
        claiming = (owner, now + lease_seconds, now)
        if self._db.dialect == "postgresql":
            done = list(dict.fromkeys(finished))
            rows = await self._db.write(
                "WITH done AS (UPDATE inbox SET handled = 1, payload = ''"
                " WHERE update_id = ANY(?::bigint[]) RETURNING update_id) "
                + _CLAIM.format(
                    # The statement sees the rows as they were before it: the ones it
                    # finishes are neither claimed nor hold their conversation back.
                    finished_i=" AND i.update_id <> ALL(?::bigint[])",
                    finished_o=" AND o.update_id <> ALL(?::bigint[])",
                    lock=" FOR UPDATE SKIP LOCKED",
                ),
                (done, *claiming, done, done, limit),
            )
        else:
            async with self._db.transaction() as tx:
                mark_handled_in(tx, finished)  # goes with the claim's trip
                rows = await tx.fetch_all(
                    _CLAIM.format(finished_i="", finished_o="", lock=""), (*claiming, limit)
                )
        claimed = [
            PendingUpdate(
                update_id=int(row[0]),
                payload=row[1] if isinstance(row[1], str) else "",
                received_at=float(row[2]),
                attempts=int(row[3]) - 1,  # as before this claim, like `pending`
            )
            for row in rows
        ]
        return sorted(claimed, key=lambda update: update.update_id)

    async def extend(
        self, owner: str, update_ids: Sequence[int], lease_seconds: float
    ) -> set[int]:
        """Renew `owner`'s leases on updates still being handled; return those it still
        holds (a lease that expired may have gone to another replica meanwhile)."""
        if not update_ids:
            return set()
        until = time.time() + lease_seconds
        marks = ", ".join("?" * len(update_ids))
        async with self._db.transaction() as tx:
            rows = await tx.fetch_all(
                f"UPDATE inbox SET lease_until = ? WHERE update_id IN ({marks})"
                " AND lease_owner = ? AND handled = 0 RETURNING update_id",
                (until, *update_ids, owner),
            )
        return {int(row[0]) for row in rows}

    async def release(self, owner: str, update_id: int) -> None:
        """Give an unfinished update back at once (a stopping replica), for another to take."""
        async with self._db.transaction() as tx:
            await tx.execute(
                "UPDATE inbox SET lease_owner = NULL, lease_until = NULL"
                " WHERE update_id = ? AND lease_owner = ? AND handled = 0",
                (update_id, owner),
            )

    async def count_attempts(self, update_ids: Sequence[int]) -> None:
        """Count one more start of handling for each of `update_ids` (before it starts)."""
        if not update_ids:
            return
        async with self._db.transaction() as tx:
            await tx.executemany(
                "UPDATE inbox SET attempts = attempts + 1 WHERE update_id = ?",
                [(uid,) for uid in update_ids],
            )

    async def mark_handled(self, *update_ids: int) -> None:
        """Mark updates handled in one write (pieces answered together end together)."""
        async with self._db.transaction() as tx:
            mark_handled_in(tx, update_ids)

    async def pending(self) -> list[PendingUpdate]:
        """Updates whose handling has not ended, oldest first. Rows are returned as stored:
        the caller checks that the payload is a valid update."""
        rows = await self._db.fetch_all(
            "SELECT update_id, payload, received_at, attempts FROM inbox"
            " WHERE handled = 0 ORDER BY update_id"
        )
        return [
            PendingUpdate(
                update_id=int(row[0]),
                payload=row[1] if isinstance(row[1], str) else "",
                received_at=float(row[2]) if isinstance(row[2], int | float) else 0.0,
                attempts=int(row[3]) if isinstance(row[3], int) else 0,
            )
            for row in rows
        ]

    async def prune(self, older_than: float = KEEP_HANDLED_SECONDS) -> int:
        async with self._db.transaction() as tx:
            return await tx.execute(
                "DELETE FROM inbox WHERE handled = 1 AND received_at < ?",
                (time.time() - older_than,),
            )


def mark_handled_in(tx: Transaction, update_ids: Sequence[int]) -> None:
    """Mark updates handled inside `tx`, with the write that finished their handling (one
    statement, deferred to go with the transaction's next trip).

    An update not stored yet is stored as handled: the poller starts handling a batch while
    it stores it, and a store retried after a failure may come after the handling ended;
    `accept` then leaves the row as it is."""
    ids = list(dict.fromkeys(update_ids))
    if not ids:
        return
    now = time.time()
    # Only the id is kept (to recognise a repeat); the message itself is not needed any more.
    tx.defer(
        "INSERT INTO inbox (update_id, payload, received_at, handled, attempts) VALUES "
        + ", ".join(["(?, '', ?, 1, 1)"] * len(ids))
        + " ON CONFLICT (update_id) DO UPDATE SET handled = 1, payload = ''",
        [value for update_id in ids for value in (update_id, now)],
    )
