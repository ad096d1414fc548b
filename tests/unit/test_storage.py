"""Migrations and repositories: SQLite's migrations on a real file; the repository tests run
on both backends (the `store` fixture: a SQLite file and a real PostgreSQL database)."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import aiosqlite
import pytest

from storage import (
    ChatTurn,
    ConversationKey,
    Database,
    MessageRepository,
    Person,
    UsageRecord,
    UsageRepository,
    UserRepository,
    migrations,
)
from storage.migrations import MIGRATIONS, apply_migrations
from storage.sqlite import SqliteTransaction


@pytest.fixture
def db(store: Database) -> Database:
    return store


async def test_migrations_apply_once_and_rerun_safely(tmp_path: Path) -> None:
    path = tmp_path / "m.sqlite3"
    first = await Database.open(path)
    await first.close()
    async with aiosqlite.connect(path) as conn:
        assert await apply_migrations(SqliteTransaction(conn)) == []
        async with conn.execute("SELECT version FROM schema_version") as cur:
            versions = [row[0] for row in await cur.fetchall()]
        async with conn.execute("PRAGMA journal_mode") as cur:
            mode = await cur.fetchone()
    assert versions == [version for version, _, _ in MIGRATIONS]
    assert mode is not None and mode[0] == "wal"


async def test_a_step_that_lands_after_a_higher_one_still_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "late.sqlite3"
    latest = max(version for version, _, _ in MIGRATIONS)
    late = [step for step in MIGRATIONS if step[1] == "user_names"]
    assert late and late[0][0] < latest
    monkeypatch.setattr(migrations, "MIGRATIONS", [s for s in MIGRATIONS if s not in late])
    await (await Database.open(path)).close()  # a database made before the step landed
    monkeypatch.setattr(migrations, "MIGRATIONS", MIGRATIONS)
    db = await Database.open(path)
    try:
        users = UserRepository(db)
        await users.ensure(5, "en", Person(5, "late_lander", "Late", None))
        assert await users.find_by_username("late_lander") == Person(5, "late_lander", "Late")
    finally:
        await db.close()


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


async def test_exchange_is_linked_to_its_ledger_row(db: Database) -> None:
    messages = MessageRepository(db)
    usage = UsageRepository(db)
    key = ConversationKey(chat_id=5, user_id=5)
    record = UsageRecord(user_id=5, chat_id=5, kind="chat", model="m", cost_rub=0.25)
    first = await usage.record(record)
    await messages.append_exchange(key, "q", "a", "m", first)
    await messages.append_exchange(key, "q2", "a2", "m", await usage.record(record))
    assert await usage.total_cost(5) == pytest.approx(0.5)
    assert await usage.total_cost(6) == 0.0
    row = await db.fetch_one(
        "SELECT m.content FROM usage u JOIN messages m ON m.id = u.message_id WHERE u.id = ?",
        (first,),
    )
    assert row is not None and row[0] == "a"


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


async def test_open_kinds_migration_keeps_rows_and_links(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Version 7 drops the CHECKs on usage kinds and message roles by rebuilding the tables;
    images, ledger rows and their links to messages survive it, cascades still work after."""
    path = tmp_path / "v6.sqlite3"
    all_steps = list(migrations.MIGRATIONS)
    monkeypatch.setattr(migrations, "MIGRATIONS", [m for m in all_steps if m[0] <= 6])
    old = await Database.open(path)
    async with old.transaction() as tx:
        for role, content in (("user", "q"), ("assistant", "a")):
            await tx.execute(
                "INSERT INTO messages (chat_id, user_id, role, content, created_at)"
                " VALUES (1, 1, ?, ?, 1)",
                (role, content),
            )
        await tx.execute(
            "INSERT INTO message_images (message_id, position, mime_type, data)"
            " VALUES (1, 0, 'image/png', x'00')"
        )
        await tx.execute(
            "INSERT INTO usage (user_id, chat_id, kind, model, cost_rub, message_id, created_at)"
            " VALUES (1, 1, 'chat', 'm', 1.5, 2, 1)"
        )
        with pytest.raises(sqlite3.IntegrityError):
            await tx.execute(
                "INSERT INTO usage (user_id, chat_id, kind, model, created_at)"
                " VALUES (1, 1, 'speech', 'm', 1)"
            )
    await old.close()
    monkeypatch.setattr(migrations, "MIGRATIONS", all_steps)

    db = await Database.open(path)
    try:
        assert await UsageRepository(db).record(UsageRecord(1, 1, "speech", "tts", cost_rub=1.0))
        link = await db.fetch_one("SELECT message_id FROM usage WHERE kind = 'chat'")
        assert link is not None and link[0] == 2
        assert await MessageRepository(db).clear(ConversationKey(chat_id=1, user_id=1)) == 2
        images = await db.fetch_one("SELECT COUNT(*) FROM message_images")
        assert images is not None and images[0] == 0  # cascaded with their message
        link = await db.fetch_one("SELECT message_id FROM usage WHERE kind = 'chat'")
        assert link is not None and link[0] is None  # set null with its message
    finally:
        await db.close()


@pytest.mark.parametrize("target", ["file", ":memory:"])
async def test_a_lookup_sees_what_is_committed_and_nothing_else(
    tmp_path: Path, target: str
) -> None:
    db = await Database.open(tmp_path / "bot.sqlite3" if target == "file" else ":memory:")
    users = UserRepository(db)
    await users.ensure(1, "en")
    async with db.transaction() as tx:
        await tx.execute("UPDATE users SET language = 'ru' WHERE id = 1")
        record = await users.get(1)
        assert record is not None
        if target == "file":  # read from a connection of its own: not what is still open
            assert record.language == "en"
    record = await users.get(1)
    assert record is not None and record.language == "ru"
    assert await users.get(2) is None
    await db.close()


async def test_a_sqlite_lookup_never_writes(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "bot.sqlite3")
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        await db.lookup("INSERT INTO users (id, created_at, updated_at) VALUES (5, 0, 0)")
    assert await UserRepository(db).get(5) is None
    await db.close()


async def test_deferred_statements_go_with_the_next_one_or_the_commit(db: Database) -> None:
    users = UserRepository(db)
    await users.ensure(1, "en")
    async with db.transaction() as tx:
        tx.defer("UPDATE users SET language = 'ru' WHERE id = ?", (1,))
        row = await tx.fetch_one("SELECT language FROM users WHERE id = 1")
        assert row is not None and row[0] == "ru", "run before the next statement"
        tx.defer("UPDATE users SET personal_prompt = 'short' WHERE id = ?", (1,))
    record = await users.get(1)
    assert record is not None
    assert (record.language, record.personal_prompt) == ("ru", "short"), "and with the commit"


async def test_a_failing_deferred_statement_fails_its_whole_transaction(db: Database) -> None:
    users = UserRepository(db)
    await users.ensure(1, "en")
    with pytest.raises(Exception, match=r"(?i)no such table|does not exist"):
        async with db.transaction() as tx:
            await tx.execute("UPDATE users SET language = 'ru' WHERE id = 1")
            tx.defer("UPDATE no_such_table SET x = 1")
    record = await users.get(1)
    assert record is not None and record.language == "en", "rolled back"


async def test_a_sqlite_write_waits_for_another_writer_instead_of_failing(tmp_path: Path) -> None:
    """Another process holds the write lock: the write waits for it (busy_timeout) instead
    of failing."""
    path = tmp_path / "bot.sqlite3"
    db = await Database.open(path)
    users = UserRepository(db)
    await users.ensure(1, "en")  # written with nobody else writing
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    other.execute("UPDATE users SET language = 'de' WHERE id = 1")
    waiting = asyncio.create_task(users.ensure(2, "ru"))
    await asyncio.sleep(0.2)
    assert not waiting.done(), "waits for the other process's write"
    other.execute("COMMIT")
    record = await asyncio.wait_for(waiting, 10)
    assert (record.id, record.language) == (2, "ru")
    assert [(u.id, u.language) for u in (await users.get(1), record) if u] == [
        (1, "de"),
        (2, "ru"),
    ]
    other.close()
    await db.close()


async def test_a_write_waits_for_the_open_transaction_and_a_failed_one_leaves_none_open(
    db: Database,
) -> None:
    users = UserRepository(db)
    await users.ensure(1, "en")
    async with db.transaction() as tx:
        await tx.execute("UPDATE users SET language = 'ru' WHERE id = 1")
        later = asyncio.create_task(
            db.write("UPDATE users SET language = language || '+' WHERE id = 1")
        )
        await asyncio.sleep(0.05)
        assert not later.done(), "not inside the open transaction, nor before it"
    await later
    record = await users.get(1)
    assert record is not None and record.language == "ru+"
    with pytest.raises(Exception, match=r"(?i)unique|duplicate"):
        await db.write("INSERT INTO users (id, created_at, updated_at) VALUES (1, 0, 0)")
    await db.write("UPDATE users SET language = 'uk' WHERE id = 1")  # no transaction left open
    record = await users.get(1)
    assert record is not None and record.language == "uk"
