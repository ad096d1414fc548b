"""Saved conversations: several per chat, user and topic, one of them active.

A conversation row is created with its first stored exchange (`storage.messages`), so /new
leaves no empty conversations behind; it only forgets which one is active.
"""

from __future__ import annotations

from dataclasses import dataclass

from storage.db import Database, Row
from storage.models import ConversationKey

OWNER = "chat_id = ? AND user_id = ? AND thread_id = ?"
ACTIVE_ID = f"SELECT conversation_id FROM active_conversations WHERE {OWNER}"
TITLE_CHARS = 200  # stored; shown shorter


def owner(key: ConversationKey) -> tuple[int, int, int]:
    return (key.chat_id, key.user_id, key.thread_id)


@dataclass(frozen=True, slots=True)
class ConversationSummary:
    id: int
    title: str | None
    created_at: float
    updated_at: float
    turns: int  # the user's messages in it
    active: bool


@dataclass(frozen=True, slots=True)
class StoredTurn:
    role: str
    content: str
    model: str | None
    created_at: float


_SUMMARY = (
    "SELECT c.id, c.title, c.created_at, c.updated_at,"
    " (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = c.id AND m.role = 'user')"
    " AS turns,"
    " (SELECT COUNT(*) FROM active_conversations a WHERE a.conversation_id = c.id) AS active"
    " FROM conversations c"
)


def _summary(row: Row) -> ConversationSummary:
    return ConversationSummary(
        id=row["id"],
        title=row["title"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        turns=int(row["turns"]),
        active=bool(row["active"]),
    )


class ConversationRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def page(
        self, key: ConversationKey, offset: int, limit: int
    ) -> tuple[list[ConversationSummary], int]:
        """The owner's conversations here, newest first, and how many there are in all."""
        total = await self._db.fetch_one(
            f"SELECT COUNT(*) FROM conversations WHERE {OWNER}", owner(key)
        )
        rows = await self._db.fetch_all(
            f"{_SUMMARY} WHERE c.{OWNER.replace(' AND ', ' AND c.')}"
            " ORDER BY c.updated_at DESC, c.id DESC LIMIT ? OFFSET ?",
            (*owner(key), limit, max(offset, 0)),
        )
        return [_summary(row) for row in rows], int(total[0]) if total else 0

    async def get(self, key: ConversationKey, conversation_id: int) -> ConversationSummary | None:
        """One conversation, only if it belongs to this owner (a forged id finds nothing)."""
        row = await self._db.fetch_one(
            f"{_SUMMARY} WHERE c.id = ? AND c.{OWNER.replace(' AND ', ' AND c.')}",
            (conversation_id, *owner(key)),
        )
        return _summary(row) if row is not None else None

    async def active_turns(self, key: ConversationKey) -> int:
        """How many user messages the active conversation holds (0 when there is none)."""
        row = await self._db.fetch_one(
            "SELECT COUNT(*) FROM messages"
            f" WHERE role = 'user' AND conversation_id = ({ACTIVE_ID})",
            owner(key),
        )
        return int(row[0]) if row else 0

    async def start_new(self, key: ConversationKey) -> None:
        """Leave the active conversation saved; the next message starts a new one."""
        async with self._db.transaction() as tx:
            await tx.execute(f"DELETE FROM active_conversations WHERE {OWNER}", owner(key))
            await tx.execute(f"DELETE FROM history_notices WHERE {OWNER}", owner(key))

    async def activate(self, key: ConversationKey, conversation_id: int) -> bool:
        """Make one of the owner's conversations the active one; False if it is not theirs."""
        async with self._db.transaction() as tx:
            found = await tx.fetch_one(
                f"SELECT 1 FROM conversations WHERE id = ? AND {OWNER}",
                (conversation_id, *owner(key)),
            )
            if found is None:
                return False
            await tx.execute(f"DELETE FROM active_conversations WHERE {OWNER}", owner(key))
            await tx.execute(
                "INSERT INTO active_conversations (chat_id, user_id, thread_id, conversation_id)"
                " VALUES (?, ?, ?, ?)",
                (*owner(key), conversation_id),
            )
            await tx.execute(f"DELETE FROM history_notices WHERE {OWNER}", owner(key))
        return True

    async def delete(self, key: ConversationKey, conversation_id: int) -> bool:
        """Delete one of the owner's conversations with its messages (and their images)."""
        async with self._db.transaction() as tx:
            deleted = await tx.execute(
                f"DELETE FROM conversations WHERE id = ? AND {OWNER}",
                (conversation_id, *owner(key)),
            )
            if deleted == 0:
                return False
            await tx.execute("DELETE FROM messages WHERE conversation_id = ?", (conversation_id,))
            await tx.execute(
                "DELETE FROM active_conversations WHERE conversation_id = ?", (conversation_id,)
            )
        return True

    async def turns(self, key: ConversationKey, conversation_id: int) -> list[StoredTurn]:
        """Every message of one of the owner's conversations, oldest first (for export)."""
        rows = await self._db.fetch_all(
            "SELECT m.role, m.content, m.model, m.created_at FROM messages m"
            " JOIN conversations c ON c.id = m.conversation_id"
            f" WHERE c.id = ? AND c.{OWNER.replace(' AND ', ' AND c.')} ORDER BY m.id",
            (conversation_id, *owner(key)),
        )
        return [
            StoredTurn(row["role"], row["content"], row["model"], row["created_at"])
            for row in rows
        ]
