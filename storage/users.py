"""Users and their per-user settings."""

from __future__ import annotations

import time

from storage.db import Database
from storage.models import UserRecord


class UserRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def ensure(self, user_id: int, language: str | None) -> UserRecord:
        """Create the user on first contact; return the stored record."""
        record = await self.get(user_id)
        if record is not None:
            return record
        now = time.time()
        async with self._db.transaction() as tx:
            await tx.execute(
                "INSERT OR IGNORE INTO users (id, language, created_at, updated_at)"
                " VALUES (?, ?, ?, ?)",
                (user_id, language, now, now),
            )
        return await self.get(user_id) or UserRecord(user_id, language, None, None)

    async def get(self, user_id: int) -> UserRecord | None:
        row = await self._db.fetch_one(
            "SELECT id, language, chat_model, image_model FROM users WHERE id = ?", (user_id,)
        )
        if row is None:
            return None
        return UserRecord(
            id=row["id"],
            language=row["language"],
            chat_model=row["chat_model"],
            image_model=row["image_model"],
        )

    async def set_chat_model(self, user_id: int, model: str | None) -> None:
        async with self._db.transaction() as tx:
            await tx.execute(
                "UPDATE users SET chat_model = ?, updated_at = ? WHERE id = ?",
                (model, time.time(), user_id),
            )

    async def set_language(self, user_id: int, language: str) -> None:
        async with self._db.transaction() as tx:
            await tx.execute(
                "UPDATE users SET language = ?, updated_at = ? WHERE id = ?",
                (language, time.time(), user_id),
            )
