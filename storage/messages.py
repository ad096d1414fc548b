"""Conversation history, with the images of its newest image turns."""

from __future__ import annotations

import time
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager

from storage.conversations import ACTIVE_ID, OWNER, TITLE_CHARS, owner
from storage.db import Database, Transaction, in_transaction
from storage.images import insert_images, load_images, prune_images
from storage.models import ChatTurn, ConversationKey, ExchangeIds, ImageData, ReplayedAnswer


class MessageRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def recent(
        self, key: ConversationKey, limit: int, *, image_turns: int = 0
    ) -> list[ChatTurn]:
        """The newest `limit` turns of the key's active conversation, oldest first.

        The newest `image_turns` turns that still have images come with them.
        """
        rows = await self._db.fetch_all(
            f"SELECT id, role, content FROM messages WHERE conversation_id = ({ACTIVE_ID})"
            " ORDER BY id DESC LIMIT ?",
            (*owner(key), limit),
        )
        user_ids = [row["id"] for row in rows if row["role"] == "user"]
        images = await load_images(self._db, user_ids, image_turns)
        return [
            ChatTurn(role=row["role"], content=row["content"], images=images.get(row["id"], ()))
            for row in reversed(rows)
        ]

    async def append_exchange(
        self,
        key: ConversationKey,
        user_content: str,
        answer: str,
        model: str,
        usage_id: int | None,
        *,
        images: Sequence[ImageData] = (),
        keep_image_turns: int = 0,
        update_id: int | None = None,
        telegram_message_id: int | None = None,
        finish_reason: str | None = None,
        within: Transaction | None = None,
    ) -> ExchangeIds:
        """Store a user turn (with its images) and its answer, linked to the call's ledger row,
        or nothing at all; then drop the images of all but the newest `keep_image_turns`.

        `telegram_message_id` is the user's own message; `finish_reason` why the answer ended.
        `within`: in that transaction (the one writing the ledger row) rather than its own.
        """
        now = time.time()
        async with in_transaction(self._db, within) as tx:
            conversation = await _active_conversation(tx, key, user_content, now)
            # Both turns in one statement (one trip to the database while the writers' lock
            # is held), the question first so that its id is the lower one.
            turns = {
                str(row[1]): int(row[0])
                for row in await tx.fetch_all(
                    "INSERT INTO messages (chat_id, user_id, thread_id, role, content, model,"
                    " created_at, update_id, conversation_id, telegram_message_id,"
                    " finish_reason) VALUES (?, ?, ?, 'user', ?, NULL, ?, ?, ?, ?, NULL),"
                    " (?, ?, ?, 'assistant', ?, ?, ?, ?, ?, NULL, ?) RETURNING id, role",
                    (
                        *owner(key),
                        user_content,
                        now,
                        update_id,
                        conversation,
                        telegram_message_id,
                        *owner(key),
                        answer,
                        model,
                        now,
                        update_id,
                        conversation,
                        finish_reason,
                    ),
                )
            }
            user_row, answer_row = turns["user"], turns["assistant"]
            if images:
                if keep_image_turns > 0:
                    await insert_images(tx, user_row, images)
                await prune_images(tx, key, keep_image_turns)
            if usage_id is not None:
                tx.defer("UPDATE usage SET message_id = ? WHERE id = ?", (answer_row, usage_id))
        return ExchangeIds(user_turn=user_row, answer=answer_row)

    def transaction(self) -> AbstractAsyncContextManager[Transaction]:
        """A transaction for several repositories' writes together."""
        return self._db.transaction()

    async def stored_answer(self, update_id: int) -> ReplayedAnswer | None:
        """The stored answer to a Telegram update, and whether it reached the chat (its
        message is attached once delivered)."""
        row = await self._db.fetch_one(
            "SELECT content, telegram_message_id FROM messages"
            " WHERE update_id = ? AND role = 'assistant'",
            (update_id,),
        )
        if row is None:
            return None
        return ReplayedAnswer(text=str(row[0]), delivered=row[1] is not None)

    async def clear(self, key: ConversationKey) -> int:
        """Delete the active conversation (its images go with it) and that it was ever trimmed;
        the user's other saved conversations stay."""
        async with self._db.transaction() as tx:
            row = await tx.fetch_one(ACTIVE_ID, owner(key))
            await tx.execute(f"DELETE FROM history_notices WHERE {OWNER}", owner(key))
            if row is None:
                return 0
            deleted = await tx.execute("DELETE FROM messages WHERE conversation_id = ?", (row[0],))
            await tx.execute("DELETE FROM conversations WHERE id = ?", (row[0],))
            await tx.execute(f"DELETE FROM active_conversations WHERE {OWNER}", owner(key))
            return deleted

    async def trim_notice_sent(self, key: ConversationKey) -> bool:
        row = await self._db.fetch_one(f"SELECT 1 FROM history_notices WHERE {OWNER}", owner(key))
        return row is not None

    async def mark_trim_notice_sent(self, key: ConversationKey) -> None:
        async with self._db.transaction() as tx:
            await tx.execute(
                "INSERT INTO history_notices (chat_id, user_id, thread_id, trimmed_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (*owner(key), time.time()),
            )


def title_of(text: str) -> str:
    """A conversation's title: its first message on one line, cut short."""
    return " ".join(text.split())[:TITLE_CHARS]


async def _active_conversation(
    tx: Transaction, key: ConversationKey, first_message: str, now: float
) -> int:
    """The id of the key's active conversation, created (titled by `first_message`) if none."""
    # Found and touched in one statement (the usual case: the conversation goes on).
    row = await tx.fetch_one(
        f"UPDATE conversations SET updated_at = ? WHERE id = ({ACTIVE_ID}) RETURNING id",
        (now, *owner(key)),
    )
    if row is not None:
        return int(row[0])
    created = await tx.fetch_one(
        "INSERT INTO conversations (chat_id, user_id, thread_id, title, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
        (*owner(key), title_of(first_message), now, now),
    )
    assert created is not None
    conversation = int(created[0])
    await tx.execute(
        "INSERT INTO active_conversations (chat_id, user_id, thread_id, conversation_id)"
        " VALUES (?, ?, ?, ?)",
        (*owner(key), conversation),
    )
    return conversation
