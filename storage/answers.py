"""History read by size, answers found again (continue, regenerate, edits), summaries."""

from __future__ import annotations

import time
from collections.abc import Sequence

from storage.conversations import ACTIVE_ID, owner
from storage.db import Database, Transaction, in_transaction
from storage.images import load_images
from storage.inbox import mark_handled_in
from storage.models import (
    ChatTurn,
    ConversationKey,
    ImageData,
    StoredAnswer,
    Summary,
    TurnSize,
)

_ANSWER_COLUMNS = (
    "a.id, a.chat_id, a.user_id, a.thread_id, a.content, a.model, a.telegram_message_id,"
    " a.finish_reason"
)


class AnswerRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def turn_sizes(
        self,
        key: ConversationKey,
        *,
        before: int | None,
        after: int = 0,
        limit: int,
        texts_within: int = 0,
    ) -> list[TurnSize]:
        """Up to `limit` turns of the active conversation with `after < id < before`, newest
        first: sizes, and the texts of the newest turns whose lengths add up to at most
        `texts_within` characters (what will surely be sent: one statement, not two)."""
        rows = await self._db.lookup(
            "SELECT id, role, chars, images, CASE WHEN SUM(chars) OVER (ORDER BY id DESC"
            " ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) <= ? THEN content END AS content"
            " FROM (SELECT m.id, m.role, m.content, LENGTH(m.content) AS chars,"
            " (SELECT COUNT(*) FROM message_images i WHERE i.message_id = m.id) AS images"
            f" FROM messages m WHERE m.conversation_id = ({ACTIVE_ID}) AND m.id < ? AND m.id > ?"
            " ORDER BY m.id DESC LIMIT ?) page ORDER BY id DESC",
            (
                texts_within,
                *owner(key),
                before if before is not None else 2**62,
                after,
                limit,
            ),
        )
        return [
            TurnSize(
                row["id"], row["role"], int(row["chars"] or 0), int(row["images"]), row["content"]
            )
            for row in rows
        ]

    async def turns(self, ids: Sequence[int], *, image_turns: int = 0) -> list[ChatTurn]:
        """These turns, oldest first; the newest `image_turns` with images come with them."""
        if not ids:
            return []
        marks = ", ".join("?" * len(ids))
        rows = await self._db.fetch_all(
            f"SELECT id, role, content FROM messages WHERE id IN ({marks}) ORDER BY id", ids
        )
        user_ids = [row["id"] for row in rows if row["role"] == "user"]
        images = await self.images(user_ids, image_turns)
        return [
            ChatTurn(
                role=row["role"],
                content=row["content"],
                images=images.get(row["id"], ()),
                id=row["id"],
            )
            for row in rows
        ]

    async def images(
        self, ids: Sequence[int], newest_turns: int
    ) -> dict[int, tuple[ImageData, ...]]:
        """The images of the newest `newest_turns` of these turns that have any, by turn id."""
        return await load_images(self._db, ids, newest_turns)

    async def latest(self, key: ConversationKey) -> StoredAnswer | None:
        """The newest answer of the key's active conversation."""
        row = await self._db.fetch_one(
            f"SELECT id FROM messages WHERE conversation_id = ({ACTIVE_ID})"
            " AND role = 'assistant' ORDER BY id DESC LIMIT 1",
            owner(key),
        )
        return await self.get(int(row["id"])) if row is not None else None

    async def get(self, answer_id: int) -> StoredAnswer | None:
        """An answer with the user turn just before it; `latest` only in an active
        conversation (one switched away from in /chats takes no presses)."""
        row = await self._db.fetch_one(
            f"SELECT {_ANSWER_COLUMNS}, u.id AS user_turn, u.content AS question,"
            " (SELECT MAX(n.id) FROM messages n WHERE n.conversation_id = a.conversation_id"
            "  AND n.role = 'assistant') AS newest,"
            " (SELECT COUNT(*) FROM active_conversations c"
            "  WHERE c.conversation_id = a.conversation_id) AS active"
            " FROM messages a JOIN messages u ON u.id = (SELECT MAX(p.id) FROM messages p"
            "  WHERE p.conversation_id = a.conversation_id AND p.role = 'user' AND p.id < a.id)"
            " WHERE a.id = ? AND a.role = 'assistant'",
            (answer_id,),
        )
        if row is None:
            return None
        return StoredAnswer(
            id=row["id"],
            key=ConversationKey(row["chat_id"], row["user_id"], row["thread_id"]),
            user_turn=row["user_turn"],
            question=row["question"],
            content=row["content"],
            model=row["model"],
            telegram_message_id=row["telegram_message_id"],
            finish_reason=row["finish_reason"],
            latest=row["newest"] == row["id"] and bool(row["active"]),
        )

    async def answer_to_message(
        self, key: ConversationKey, telegram_message_id: int
    ) -> StoredAnswer | None:
        """The latest answer, when it answers the user's Telegram message `telegram_message_id`
        (the conversation's newest user turn); None for any older message."""
        latest = await self.latest(key)
        if latest is None:
            return None
        row = await self._db.fetch_one(
            "SELECT telegram_message_id FROM messages WHERE id = ?", (latest.user_turn,)
        )
        if row is None or row["telegram_message_id"] != telegram_message_id:
            return None
        return latest

    async def replace(
        self,
        answer_id: int,
        content: str,
        model: str,
        usage_id: int | None,
        *,
        finish_reason: str | None,
        update_id: int | None,
        question: tuple[int, str] | None = None,
        within: Transaction | None = None,
    ) -> None:
        """The answer's text becomes `content` (a new answer, or the old one continued); with
        `question`, that user turn's text changes too (the user edited it). The new call's
        ledger row is linked to the answer; the Telegram message is attached afterwards.
        `within`: in that transaction (the one writing the ledger row) rather than its own."""
        async with in_transaction(self._db, within) as tx:
            tx.defer(
                "UPDATE messages SET content = ?, model = ?, finish_reason = ?,"
                " telegram_message_id = NULL, update_id = COALESCE(?, update_id)"
                " WHERE id = ? AND role = 'assistant'",
                (content, model, finish_reason, update_id, answer_id),
            )
            if question is not None:
                tx.defer(
                    "UPDATE messages SET content = ?, update_id = COALESCE(?, update_id)"
                    " WHERE id = ? AND role = 'user'",
                    (question[1], update_id, question[0]),
                )
            if usage_id is not None:
                tx.defer("UPDATE usage SET message_id = ? WHERE id = ?", (answer_id, usage_id))

    async def attach_message(
        self, answer_id: int, telegram_message_id: int, handled: Sequence[int] = ()
    ) -> None:
        """The Telegram message that now carries the answer's buttons; the inbox updates
        `handled` (answered by this delivery) end in the same transaction."""
        async with self._db.transaction() as tx:  # one trip: both go with the COMMIT
            tx.defer(
                "UPDATE messages SET telegram_message_id = ? WHERE id = ?",
                (telegram_message_id, answer_id),
            )
            mark_handled_in(tx, handled)

    async def summary(self, key: ConversationKey, *, upto: int) -> Summary | None:
        """The newest stored summary of the active conversation covering turns up to `upto`."""
        row = await self._db.fetch_one(
            "SELECT s.message_id, s.content FROM history_summaries s"
            " JOIN messages m ON m.id = s.message_id"
            f" WHERE m.conversation_id = ({ACTIVE_ID}) AND s.message_id <= ?"
            " ORDER BY s.message_id DESC LIMIT 1",
            (*owner(key), upto),
        )
        return Summary(int(row["message_id"]), str(row["content"])) if row else None

    async def save_summary(self, upto: int, content: str, model: str = "") -> None:
        async with self._db.transaction() as tx:
            await tx.execute("DELETE FROM history_summaries WHERE message_id = ?", (upto,))
            await tx.execute(
                "INSERT INTO history_summaries (message_id, content, model, created_at)"
                " VALUES (?, ?, ?, ?)",
                (upto, content, model, time.time()),
            )
