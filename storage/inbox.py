"""Updates received from Telegram, kept until handled, so a crash loses none.

Each batch from getUpdates is written here before Telegram is told (by the next getUpdates
offset) that it was received; an update stays pending until its handling ends. After a crash
the pending ones are handled again, and an update Telegram delivers twice is recognised by its id.
Every start of handling is counted, so an update that keeps crashing the bot is given up on.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from storage.db import Database

KEEP_HANDLED_SECONDS = 24 * 3600


@dataclass(frozen=True, slots=True)
class PendingUpdate:
    update_id: int
    payload: str
    received_at: float
    attempts: int  # handling started this many times already


class InboxRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def accept(self, updates: Sequence[tuple[int, str]]) -> list[int]:
        """Store new updates (id, JSON) with their first attempt counted, as their handling
        starts right away; return the ids not seen before, in order."""
        if not updates:
            return []
        ids = [update_id for update_id, _ in updates]
        placeholders = ",".join("?" * len(ids))
        now = time.time()
        async with self._db.transaction() as tx:
            known = {
                row[0]
                for row in await tx.fetch_all(
                    f"SELECT update_id FROM inbox WHERE update_id IN ({placeholders})", ids
                )
            }
            fresh = [(uid, payload) for uid, payload in updates if uid not in known]
            await tx.executemany(
                "INSERT INTO inbox (update_id, payload, received_at, handled, attempts)"
                " VALUES (?, ?, ?, 0, 1)",
                [(uid, payload, now) for uid, payload in fresh],
            )
        return [uid for uid, _ in fresh]

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
        # Only the id is kept (to recognise a repeat); the message itself is not needed any more.
        async with self._db.transaction() as tx:
            await tx.executemany(
                "UPDATE inbox SET handled = 1, payload = '' WHERE update_id = ?",
                [(update_id,) for update_id in dict.fromkeys(update_ids)],
            )

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
