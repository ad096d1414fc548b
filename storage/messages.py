"""Conversation history."""

from __future__ import annotations

import time

from storage.db import Database
from storage.models import ChatTurn, ConversationKey, UsageRecord
from storage.usage import insert_usage

_CONVERSATION = "chat_id = ? AND user_id = ? AND thread_id = ?"


def _key(key: ConversationKey) -> tuple[int, int, int]:
    return (key.chat_id, key.user_id, key.thread_id)


class MessageRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def recent(self, key: ConversationKey, limit: int) -> list[ChatTurn]:
        """The newest `limit` turns of one conversation, oldest first."""
        rows = await self._db.fetch_all(
            f"SELECT role, content FROM messages WHERE {_CONVERSATION} ORDER BY id DESC LIMIT ?",
            (*_key(key), limit),
        )
        return [ChatTurn(role=row["role"], content=row["content"]) for row in reversed(rows)]

    async def append_exchange(
        self,
        key: ConversationKey,
        user_content: str,
        answer: str,
        model: str,
        usage: UsageRecord | None,
    ) -> None:
        """Store a user turn, its answer and the call's cost together, or nothing at all."""
        now = time.time()
        async with self._db.transaction() as tx:
            await tx.execute(
                "INSERT INTO messages (chat_id, user_id, thread_id, role, content, model,"
                " created_at) VALUES (?, ?, ?, 'user', ?, NULL, ?)",
                (*_key(key), user_content, now),
            )
            cursor = await tx.execute(
                "INSERT INTO messages (chat_id, user_id, thread_id, role, content, model,"
                " created_at) VALUES (?, ?, ?, 'assistant', ?, ?, ?)",
                (*_key(key), answer, model, now),
            )
            if usage is not None:
                await insert_usage(tx, usage, message_id=cursor.lastrowid)

    async def clear(self, key: ConversationKey) -> int:
        async with self._db.transaction() as tx:
            cursor = await tx.execute(f"DELETE FROM messages WHERE {_CONVERSATION}", _key(key))
            return cursor.rowcount
