"""Users and their per-user settings."""

from __future__ import annotations

import time
from collections.abc import Iterable

from storage.db import Database, Row
from storage.models import Person, UserRecord

_PERSON = "id, username, first_name, last_name"


class UserRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def ensure(
        self, user_id: int, language: str | None, person: Person | None = None
    ) -> UserRecord:
        """Create the user on first contact; return the stored record.

        With `person`, the stored username and names follow it when they have changed.
        """
        record = await self.get(user_id)
        if record is not None:
            if person is None or record.person == person:
                return record
            await self._db.write(
                "UPDATE users SET username = ?, first_name = ?, last_name = ?,"
                " updated_at = ? WHERE id = ?",
                (person.username, person.first_name, person.last_name, time.time(), user_id),
            )
            return await self.get(user_id) or record
        now = time.time()
        names = person or Person(user_id)
        await self._db.write(
            "INSERT INTO users (id, language, username, first_name, last_name,"
            " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (user_id, language, names.username, names.first_name, names.last_name, now, now),
        )
        return await self.get(user_id) or UserRecord(user_id, language, None, None)

    async def get(self, user_id: int) -> UserRecord | None:
        rows = await self._db.lookup(
            "SELECT id, language, chat_model, image_model, personal_prompt, reasoning_effort,"
            " username, first_name, last_name, web_search, video_model, chat_mode,"
            " transcription_language, voice_replies, show_cost,"
            # Read with the user, once per update, for the access check and the cost line.
            " (SELECT status FROM access WHERE access.user_id = users.id) AS access_status"
            " FROM users WHERE id = ?",
            (user_id,),
        )
        if not rows:
            return None
        row = rows[0]
        return UserRecord(
            id=row["id"],
            language=row["language"],
            chat_model=row["chat_model"],
            image_model=row["image_model"],
            personal_prompt=row["personal_prompt"],
            reasoning_effort=row["reasoning_effort"],
            username=row["username"],
            first_name=row["first_name"],
            last_name=row["last_name"],
            web_search=bool(row["web_search"]),
            video_model=row["video_model"],
            chat_mode=row["chat_mode"],
            transcription_language=row["transcription_language"],
            voice_replies=row["voice_replies"],
            show_cost=bool(row["show_cost"]),
            access_status=row["access_status"],
        )

    async def people(self, user_ids: Iterable[int]) -> dict[int, Person]:
        """The stored people among `user_ids` (ids the bot never saw are left out)."""
        ids = sorted(set(user_ids))
        if not ids:
            return {}
        marks = ", ".join("?" * len(ids))
        rows = await self._db.fetch_all(f"SELECT {_PERSON} FROM users WHERE id IN ({marks})", ids)
        return {row["id"]: _person(row) for row in rows}

    async def find_by_username(self, username: str) -> Person | None:
        """The user last seen with `username` (any case, without the @)."""
        # Each backend's case-insensitive match, as its index (migration 9) is built.
        same_name = (
            "username = ? COLLATE NOCASE"
            if self._db.dialect == "sqlite"
            else "lower(username) = lower(?)"
        )
        row = await self._db.fetch_one(
            f"SELECT {_PERSON} FROM users WHERE {same_name} ORDER BY updated_at DESC LIMIT 1",
            (username.removeprefix("@"),),
        )
        return _person(row) if row is not None else None

    async def set_chat_model(self, user_id: int, model: str | None) -> None:
        await self._update(user_id, "chat_model", model)

    async def set_image_model(self, user_id: int, model: str | None) -> None:
        await self._update(user_id, "image_model", model)

    async def set_video_model(self, user_id: int, model: str | None) -> None:
        await self._update(user_id, "video_model", model)

    async def set_personal_prompt(self, user_id: int, prompt: str | None) -> None:
        await self._update(user_id, "personal_prompt", prompt)

    async def set_reasoning_effort(self, user_id: int, effort: str | None) -> None:
        await self._update(user_id, "reasoning_effort", effort)

    async def set_web_search(self, user_id: int, on: bool) -> None:
        await self._update(user_id, "web_search", int(on))

    async def set_chat_mode(self, user_id: int, mode: str | None) -> None:
        await self._update(user_id, "chat_mode", mode)

    async def set_transcription_language(self, user_id: int, language: str | None) -> None:
        await self._update(user_id, "transcription_language", language)

    async def set_voice_replies(self, user_id: int, mode: str | None) -> None:
        await self._update(user_id, "voice_replies", mode)

    async def set_missing_model_notified(self, user_id: int, model: str | None) -> None:
        await self._update(user_id, "missing_model_notified", model)

    async def missing_model_notified(self, user_id: int) -> str | None:
        row = await self._db.fetch_one(
            "SELECT missing_model_notified FROM users WHERE id = ?", (user_id,)
        )
        return row[0] if row else None

    async def _update(self, user_id: int, column: str, value: object) -> None:
        # `column` is always one of the literal names above, never user input.
        async with self._db.transaction() as tx:
            await tx.execute(
                f"UPDATE users SET {column} = ?, updated_at = ? WHERE id = ?",
                (value, time.time(), user_id),
            )

    async def set_language(self, user_id: int, language: str) -> None:
        await self._update(user_id, "language", language)

    async def count(self) -> int:
        row = await self._db.fetch_one("SELECT COUNT(*) FROM users")
        return int(row[0]) if row else 0

    async def show_cost(self, user_id: int) -> bool:
        """Whether the user wants the cost line under each answer (off by default)."""
        row = await self._db.fetch_one("SELECT show_cost FROM users WHERE id = ?", (user_id,))
        return bool(row[0]) if row else False

    async def set_show_cost(self, user_id: int, show: bool) -> None:
        await self._update(user_id, "show_cost", int(show))


def _person(row: Row) -> Person:
    return Person(
        id=row["id"],
        username=row["username"],
        first_name=row["first_name"],
        last_name=row["last_name"],
    )
