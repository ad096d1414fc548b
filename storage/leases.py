"""Named leases with an expiry, e.g. the one replica that long-polls Telegram ('poller')."""

from __future__ import annotations

import time

from storage.db import Database


class LeaseRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def acquire(self, name: str, owner: str, seconds: float) -> bool:
        """Take or renew `name` for `owner` until now + `seconds`: True when `owner` holds it
        (it was free, expired, or already `owner`'s)."""
        now = time.time()
        async with self._db.transaction() as tx:
            row = await tx.fetch_one(
                "INSERT INTO leases (name, owner, until) VALUES (?, ?, ?)"
                " ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, until = excluded.until"
                " WHERE leases.owner = excluded.owner OR leases.until < ?"
                " RETURNING owner",
                (name, owner, now + seconds, now),
            )
        return row is not None

    async def give_up(self, name: str, owner: str) -> None:
        async with self._db.transaction() as tx:
            await tx.execute("DELETE FROM leases WHERE name = ? AND owner = ?", (name, owner))
