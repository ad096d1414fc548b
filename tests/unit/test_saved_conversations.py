"""Saved conversations in storage: the migration keeps everyone's history, /new keeps the
old conversation, and one owner can never reach another's conversations."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from storage import (
    ChatTurn,
    ConversationKey,
    ConversationRepository,
    Database,
    MessageRepository,
    migrations,
)
from storage.retention import RetentionRepository

ALICE = ConversationKey(chat_id=1, user_id=1)
ALICE_IN_TOPIC = ConversationKey(chat_id=-100, user_id=1, thread_id=7)
BOB_IN_TOPIC = ConversationKey(chat_id=-100, user_id=2, thread_id=7)


async def test_existing_history_becomes_one_active_conversation_each(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "v11.sqlite3"
    all_steps = list(migrations.MIGRATIONS)
    monkeypatch.setattr(migrations, "MIGRATIONS", [m for m in all_steps if m[0] <= 11])
    old = await Database.open(path)
    async with old.transaction() as tx:
        for key, role, content, at in (
            (ALICE, "user", "  Plan my\ntrip  ", 10.0),
            (ALICE, "assistant", "Sure", 11.0),
            (ALICE_IN_TOPIC, "user", "topic question", 20.0),
            (ALICE_IN_TOPIC, "assistant", "topic answer", 21.0),
        ):
            await tx.execute(
                "INSERT INTO messages (chat_id, user_id, thread_id, role, content, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (key.chat_id, key.user_id, key.thread_id, role, content, at),
            )
    await old.close()
    monkeypatch.setattr(migrations, "MIGRATIONS", all_steps)

    db = await Database.open(path)
    try:
        messages, conversations = MessageRepository(db), ConversationRepository(db)
        assert await messages.recent(ALICE, 10) == [
            ChatTurn("user", "  Plan my\ntrip  "),
            ChatTurn("assistant", "Sure"),
        ]
        assert len(await messages.recent(ALICE_IN_TOPIC, 10)) == 2
        (only,), total = await conversations.page(ALICE, 0, 10)
        assert total == 1 and only.active and only.turns == 1
        assert (only.created_at, only.updated_at) == (10.0, 11.0)
        assert only.title == "  Plan my\ntrip  "  # shown on one line, trimmed

        await messages.append_exchange(ALICE, "more", "ok", "m", None)  # same conversation
        assert (await conversations.page(ALICE, 0, 10))[1] == 1
    finally:
        await db.close()


async def test_new_keeps_the_old_conversation_and_owners_stay_apart(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "bot.sqlite3")
    try:
        messages, conversations = MessageRepository(db), ConversationRepository(db)
        await messages.append_exchange(ALICE_IN_TOPIC, "first   topic", "a1", "m", None)
        await conversations.start_new(ALICE_IN_TOPIC)
        assert await messages.recent(ALICE_IN_TOPIC, 10) == []
        await messages.append_exchange(ALICE_IN_TOPIC, "second topic", "a2", "m", None)
        await messages.append_exchange(BOB_IN_TOPIC, "bob's", "b", "m", None)

        items, total = await conversations.page(ALICE_IN_TOPIC, 0, 10)
        assert total == 2 and [(i.title, i.active) for i in items] == [
            ("second topic", True),
            ("first topic", False),
        ]
        first = items[1].id
        (bobs,), _ = await conversations.page(BOB_IN_TOPIC, 0, 10)
        # Bob cannot open, switch to, export or delete Alice's conversation, nor she his.
        assert await conversations.get(BOB_IN_TOPIC, first) is None
        assert not await conversations.activate(BOB_IN_TOPIC, first)
        assert await conversations.turns(BOB_IN_TOPIC, first) == []
        assert not await conversations.delete(ALICE_IN_TOPIC, bobs.id)

        assert await conversations.activate(ALICE_IN_TOPIC, first)
        assert [t.content for t in await messages.recent(ALICE_IN_TOPIC, 10)] == [
            "first   topic",
            "a1",
        ]
        assert await conversations.delete(ALICE_IN_TOPIC, first)
        assert await messages.recent(ALICE_IN_TOPIC, 10) == []  # nothing active any more
        assert [t.content for t in await messages.recent(BOB_IN_TOPIC, 10)] == ["bob's", "b"]

        # Retention empties every conversation: none is left listed, nor active.
        await RetentionRepository(db).delete_messages_before(time.time() + 1)
        assert await conversations.page(ALICE_IN_TOPIC, 0, 10) == ([], 0)
        assert await conversations.page(BOB_IN_TOPIC, 0, 10) == ([], 0)
        await messages.append_exchange(BOB_IN_TOPIC, "fresh", "start", "m", None)
        assert (await conversations.page(BOB_IN_TOPIC, 0, 10))[1] == 1
    finally:
        await db.close()
