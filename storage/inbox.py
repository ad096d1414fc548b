"""Updates received from Telegram, kept until handled, so a crash loses none.

Each batch from getUpdates is written here before Telegram is told (by the next getUpdates
offset) that it was received; an update stays pending until its handling ends. After a crash
the pending ones are handled again, and an update Telegram delivers twice is recognised by its id.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from storage.db import Database

KEEP_HANDLED_SECONDS = 24 * 3600


class InboxRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def accept(self, updates: Sequence[tuple[int, str]]) -> list[int]:
        """Store new updates (id, JSON); return the ids not seen before, in order."""
        if not updates:
            return []
        ids = [update_id for update_id, _ in updates]
        placeholders = ",".join("?" * len(ids))
        now = time.time()
        async with self._db.transaction() as tx:
            async with tx.execute(
                f"SELECT update_id FROM inbox WHERE update_id IN ({placeholders})", ids
            ) as cursor:
                known = {row[0] for row in await cursor.fetchall()}
            fresh = [(uid, payload) for uid, payload in updates if uid not in known]
            await tx.executemany(
                "INSERT INTO inbox (update_id, payload, received_at, handled) VALUES (?, ?, ?, 0)",
                [(uid, payload, now) for uid, payload in fresh],
            )
        return [uid for uid, _ in fresh]

    async def mark_handled(self, update_id: int) -> None:
        # Only the id is kept (to recognise a repeat); the message itself is not needed any more.
        async with self._db.transaction() as tx:
            await tx.execute(
                "UPDATE inbox SET handled = 1, payload = '' WHERE update_id = ?", (update_id,)
            )

    async def pending(self) -> list[tuple[int, str]]:
        rows = await self._db.fetch_all(
            "SELECT update_id, payload FROM inbox WHERE handled = 0 ORDER BY update_id"
        )
        return [(row[0], row[1]) for row in rows]

    async def prune(self, older_than: float = KEEP_HANDLED_SECONDS) -> int:
        async with self._db.transaction() as tx:
            cursor = await tx.execute(
                "DELETE FROM inbox WHERE handled = 1 AND received_at < ?",
                (time.time() - older_than,),
            )
            return cursor.rowcount
