"""`python -m bot migrate-sqlite-to-postgres`: a populated SQLite file moved to a real
PostgreSQL database, everything in it, once (a filled target is refused without --force)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.cli import parse_args
from bot.migrate_command import migrate
from storage import (
    AccessRepository,
    ChatTurn,
    ConversationKey,
    Database,
    ImageData,
    MessageRepository,
    Person,
    UsageRecord,
    UsageRepository,
    UserRepository,
)
from storage.inbox import InboxRepository
from storage.models import ReplayedAnswer
from storage.schema import table_columns

ALICE = ConversationKey(chat_id=10, user_id=10)
GROUP = ConversationKey(chat_id=-100_000_000_000, user_id=7_000_000_001, thread_id=3)


async def populate(path: Path) -> None:
    db = await Database.open(path)
    users, messages = UserRepository(db), MessageRepository(db)
    usage = UsageRepository(db)
    for key in (ALICE, GROUP):
        await users.ensure(key.user_id, "ru", Person(key.user_id, f"u{key.user_id}", "Имя"))
        for turn in range(30):
            row = await usage.record(UsageRecord(key.user_id, key.chat_id, "chat", "m", 5, 9, 0.5))
            await messages.append_exchange(
                key,
                f"вопрос {turn}",
                f"answer {turn}",
                "m",
                row,
                images=[ImageData("image/jpeg", b"\xff\xd8" + bytes([turn]))] if turn % 7 else (),
                keep_image_turns=2,
                update_id=1000 + turn if key == ALICE else None,
            )
    await users.set_chat_model(ALICE.user_id, "openai/gpt-4o")
    await users.set_show_cost(ALICE.user_id, True)
    await AccessRepository(db).set_status(55, "denied", ALICE.user_id)
    await AccessRepository(db).add_admin(ALICE.user_id)
    await messages.mark_trim_notice_sent(GROUP)
    await InboxRepository(db).accept([(5000, '{"update_id": 5000}'), (5001, "{}")])
    await InboxRepository(db).mark_handled(5001)
    await db.close()


async def counts(db: Database) -> dict[str, int]:
    found = {}
    for table in await table_columns(db):
        row = await db.fetch_one(f"SELECT COUNT(*) FROM {table}")
        assert row is not None
        found[table] = int(row[0])
    return found


async def test_everything_is_copied_once(
    tmp_path: Path, postgres_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "bot.sqlite3"
    await populate(source)
    args = parse_args(["migrate-sqlite-to-postgres", "--from", str(source), "--to", postgres_url])
    assert await asyncio.to_thread(migrate, args.source, args.target, force=args.force) == 0
    printed = capsys.readouterr().out
    assert "messages: 120 rows" in printed and "usage: 60 rows" in printed

    sqlite, postgres = await Database.open(source), await Database.open(postgres_url)
    try:
        expected = await counts(sqlite)
        assert expected["messages"] == 120 and expected["message_images"] == 4
        assert await counts(postgres) == expected
        for key in (ALICE, GROUP):
            history = await MessageRepository(postgres).recent(key, 500, image_turns=5)
            assert history == await MessageRepository(sqlite).recent(key, 500, image_turns=5)
        assert await UserRepository(postgres).get(ALICE.user_id) == await UserRepository(
            sqlite
        ).get(ALICE.user_id)
        assert await UserRepository(postgres).show_cost(ALICE.user_id)
        assert await AccessRepository(postgres).status(55) == "denied"
        assert await AccessRepository(postgres).admins() == frozenset({ALICE.user_id})
        assert await MessageRepository(postgres).trim_notice_sent(GROUP)
        assert await MessageRepository(postgres).stored_answer(1029) == ReplayedAnswer(
            "answer 29", delivered=False
        )
        assert [p.update_id for p in await InboxRepository(postgres).pending()] == [5000]
        assert await UsageRepository(postgres).total_cost(ALICE.user_id) == pytest.approx(15)
        # New rows continue after the copied ids.
        await MessageRepository(postgres).append_exchange(ALICE, "new", "new answer", "m", None)
        newest = await MessageRepository(postgres).recent(ALICE, 1)
        assert newest == [ChatTurn("assistant", "new answer")]
    finally:
        await sqlite.close()
        await postgres.close()

    # A second run finds the data there: refused, nothing changed; --force replaces it.
    assert await asyncio.to_thread(migrate, str(source), postgres_url, force=False) == 2
    assert "already has data" in capsys.readouterr().err
    assert await asyncio.to_thread(migrate, str(source), postgres_url, force=True) == 0
    postgres = await Database.open(postgres_url)
    try:
        assert (await counts(postgres))["messages"] == 120
    finally:
        await postgres.close()


def test_a_missing_target_or_source_is_one_clear_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert migrate(str(tmp_path / "bot.sqlite3"), "", force=False) == 2
    assert "set DATABASE_URL" in capsys.readouterr().err
    assert migrate(str(tmp_path / "none.sqlite3"), "postgresql://x@127.0.0.1/db", force=False) == 2
    assert "is not a file" in capsys.readouterr().err
