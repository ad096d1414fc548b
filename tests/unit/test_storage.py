"""Migrations and repositories on a real SQLite file."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiosqlite
import pytest

from storage import (
    ChatTurn,
    ConversationKey,
    Database,
    MessageRepository,
    UsageRecord,
    UsageRepository,
    UserRepository,
)
from storage.migrations import MIGRATIONS, apply_migrations


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "nested" / "bot.sqlite3")
    yield database
    await database.close()


async def test_migrations_apply_once_and_rerun_safely(tmp_path: Path) -> None:
    path = tmp_path / "m.sqlite3"
    first = await Database.open(path)
    await first.close()
    async with aiosqlite.connect(path) as conn:
        assert await apply_migrations(conn) == []
        async with conn.execute("SELECT version FROM schema_version") as cur:
            versions = [row[0] for row in await cur.fetchall()]
        async with conn.execute("PRAGMA journal_mode") as cur:
            mode = await cur.fetchone()
    assert versions == [version for version, _, _ in MIGRATIONS]
    assert mode is not None and mode[0] == "wal"


async def test_history_is_per_conversation_and_in_order(db: Database) -> None:
    messages = MessageRepository(db)
    alice = ConversationKey(chat_id=1, user_id=1)
    bob = ConversationKey(chat_id=2, user_id=2)
    alice_in_group = ConversationKey(chat_id=-100, user_id=1)
    for i in range(3):
        await messages.append_exchange(alice, f"q{i}", f"a{i}", "m", None)
    await messages.append_exchange(bob, "bob q", "bob a", "m", None)
    await messages.append_exchange(alice_in_group, "group q", "group a", "m", None)

    assert await messages.recent(alice, 4) == [
        ChatTurn("user", "q1"),
        ChatTurn("assistant", "a1"),
        ChatTurn("user", "q2"),
        ChatTurn("assistant", "a2"),
    ]
    assert await messages.recent(bob, 10) == [
        ChatTurn("user", "bob q"),
        ChatTurn("assistant", "bob a"),
    ]
    assert await messages.clear(alice) == 6
    assert await messages.recent(alice, 10) == []
    assert len(await messages.recent(alice_in_group, 10)) == 2
    assert len(await messages.recent(bob, 10)) == 2


async def test_exchange_and_its_cost_are_stored_together(db: Database) -> None:
    messages = MessageRepository(db)
    usage = UsageRepository(db)
    key = ConversationKey(chat_id=5, user_id=5)
    record = UsageRecord(user_id=5, chat_id=5, kind="chat", model="m", cost_rub=0.25)
    await messages.append_exchange(key, "q", "a", "m", record)
    await messages.append_exchange(key, "q2", "a2", "m", record)
    assert await usage.total_cost(5) == pytest.approx(0.5)
    assert await usage.total_cost(6) == 0.0


async def test_failed_transaction_leaves_nothing(db: Database) -> None:
    messages = MessageRepository(db)
    key = ConversationKey(chat_id=7, user_id=7)
    with pytest.raises(RuntimeError):
        async with db.transaction() as tx:
            await tx.execute(
                "INSERT INTO messages (chat_id, user_id, thread_id, role, content, created_at)"
                " VALUES (7, 7, 0, 'user', 'lost', 0)"
            )
            raise RuntimeError("boom")
    assert await messages.recent(key, 10) == []


async def test_users_are_created_once(db: Database) -> None:
    users = UserRepository(db)
    first = await users.ensure(42, "ru")
    again = await users.ensure(42, "en")
    assert first == again
    assert again.language == "ru"
    await users.set_chat_model(42, "anthropic/claude-sonnet-4")
    stored = await users.get(42)
    assert stored is not None and stored.chat_model == "anthropic/claude-sonnet-4"
