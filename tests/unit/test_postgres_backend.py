"""The bot on PostgreSQL (DATABASE_URL): it answers and remembers there; a second process
without shared state, or an unreachable server, is refused with one clear line."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import Settings
from bot.store import open_store
from storage import ConversationKey, MessageRepository
from tests.support import updates
from tests.unit.inprocess import running_bot

USER = 7_100_000_000  # beyond 32 bits


def settings(database_url: str) -> Settings:
    return Settings(
        _env_file=None,
        bot_token="1:x",
        polza_api_key="pza_x",
        database_url=database_url,
    )


async def test_the_bot_answers_and_keeps_history_in_postgresql(
    tmp_path: Path, postgres_url: str
) -> None:
    async with running_bot(tmp_path, database_url=postgres_url) as bot:
        await bot.send(updates.private_text(USER, "first"))
        await bot.send(updates.private_text(USER, "second"))
        assert bot.session.sent_texts(USER) == ["Echo: first", "Echo: second"]
        last = (await bot.chat_requests())[-1]["messages"]
        assert [m["content"] for m in last if m["role"] != "system"] == [
            "first",
            "Echo: first",
            "second",
        ]
    assert not (tmp_path / "bot.sqlite3").exists(), "nothing went to SQLite"
    db = await open_store(settings(postgres_url))
    try:
        turns = await MessageRepository(db).recent(ConversationKey(USER, USER), 10)
        assert len(turns) == 4
    finally:
        await db.close()


async def test_a_second_process_without_redis_is_refused(
    postgres_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    first = await open_store(settings(postgres_url))
    try:
        with pytest.raises(SystemExit) as refused:
            await open_store(settings(postgres_url))
        assert refused.value.code == 2
        assert "another bot process is already running" in capsys.readouterr().err
    finally:
        await first.close()
    second = await open_store(settings(postgres_url))  # the first one is gone
    await second.close()


async def test_an_unreachable_server_is_one_line_without_the_password(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from tests.support.servers import free_port

    url = f"postgresql://bot:hunter2secret@127.0.0.1:{free_port()}/bot"
    with pytest.raises(SystemExit) as refused:
        await open_store(settings(url))
    assert refused.value.code == 2
    error = capsys.readouterr().err
    assert error.startswith("Database error: cannot connect to PostgreSQL at 127.0.0.1:")
    assert "hunter2secret" not in error


def test_database_url_must_name_a_known_backend() -> None:
    with pytest.raises(ValueError, match="sqlite:/// or postgresql:// or postgres://"):
        settings("mysql://x@host/db")
    assert settings("postgresql://bot:hunter2secret@db/bot").secrets()[-1] == "hunter2secret"


def test_a_sqlite_url_names_the_file(tmp_path: Path) -> None:
    from bot.database_file import database_target

    assert database_target(settings(f"sqlite:///{tmp_path}/data/x.sqlite3")) == (
        tmp_path / "data" / "x.sqlite3"
    )
    assert (tmp_path / "data").is_dir()
