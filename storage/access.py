"""Admins' runtime access decisions (one row per user, allowed or denied) and stored admins."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import cast

from storage.db import Database
from storage.models import AccessStatus


@dataclass(frozen=True, slots=True)
class AccessEntry:
    user_id: int
    status: AccessStatus
    changed_by: int | None
    changed_at: float


class AccessRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def status(self, user_id: int) -> AccessStatus | None:
        row = await self._db.fetch_one("SELECT status FROM access WHERE user_id = ?", (user_id,))
        return cast(AccessStatus, row["status"]) if row is not None else None

    async def any_allowed(self) -> bool:
        row = await self._db.fetch_one(
            "SELECT EXISTS (SELECT 1 FROM access WHERE status = 'allowed')"
        )
        return bool(row[0]) if row is not None else False

    async def set_status(self, user_id: int, status: AccessStatus, changed_by: int | None) -> None:
        async with self._db.transaction() as tx:
            await tx.execute(
                "INSERT INTO access (user_id, status, changed_by, changed_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (user_id) DO UPDATE SET status = excluded.status,"
                " changed_by = excluded.changed_by, changed_at = excluded.changed_at",
                (user_id, status, changed_by, time.time()),
            )

    async def entries(self) -> list[AccessEntry]:
        rows = await self._db.fetch_all(
            "SELECT user_id, status, changed_by, changed_at FROM access ORDER BY user_id"
        )
        return [
            AccessEntry(
                user_id=row["user_id"],
                status=cast(AccessStatus, row["status"]),
                changed_by=row["changed_by"],
                changed_at=row["changed_at"],
            )
            for row in rows
        ]

    async def admins(self) -> frozenset[int]:
        rows = await self._db.fetch_all("SELECT user_id FROM admins")
        return frozenset(int(row["user_id"]) for row in rows)

    async def add_admin(self, user_id: int) -> None:
        async with self._db.transaction() as tx:
            await tx.execute(
                "INSERT INTO admins (user_id, added_at) VALUES (?, ?) ON CONFLICT DO NOTHING",
                (user_id, time.time()),
            )
