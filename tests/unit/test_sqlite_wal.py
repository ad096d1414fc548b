"""SQLite's WAL is checkpointed off the write path: the writes reach the database file itself
(what a copy of `bot.sqlite3` alone holds), the WAL starts over instead of growing, and closing
leaves the database complete."""

from __future__ import annotations

import asyncio
import logging
import shutil
import sqlite3
from pathlib import Path

import pytest

from storage import ConversationKey, Database, MessageRepository
from storage import sqlite as sqlite_backend
from storage.sqlite import SqliteDatabase


def rows_in_file_alone(path: Path, tmp_path: Path) -> int:
    """The messages in a copy of the database file without its WAL (none before the schema
    itself is there)."""
    copy = tmp_path / "copy.sqlite3"
    for leftover in (copy, Path(f"{copy}-wal"), Path(f"{copy}-shm")):
        leftover.unlink(missing_ok=True)
    shutil.copyfile(path, copy)
    conn = sqlite3.connect(copy)
    try:
        if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'messages'").fetchone() is None:
            return 0
        return int(conn.execute("SELECT COUNT(*) FROM messages").fetchone()[0])
    finally:
        conn.close()


async def wait_for_rows_in_file(path: Path, tmp_path: Path, count: int) -> None:
    """Until the background task has put `count` messages in the database file."""
    for _ in range(600):
        if rows_in_file_alone(path, tmp_path) >= count:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"fewer than {count} messages in the database file")


def wal_size(path: Path) -> int:
    wal = Path(f"{path}-wal")
    return wal.stat().st_size if wal.exists() else 0


async def write_exchanges(db: Database, count: int, user: int = 1) -> None:
    messages = MessageRepository(db)
    key = ConversationKey(chat_id=user, user_id=user)
    for i in range(count):
        await messages.append_exchange(key, f"question {i}", f"answer {i} " * 50, "m", None)


@pytest.fixture
def manual_rounds(monkeypatch: pytest.MonkeyPatch) -> None:
    """No background round during the test: it runs them itself with `checkpoint()`."""
    monkeypatch.setattr(sqlite_backend, "CHECKPOINT_COMMITS", 10**9)
    monkeypatch.setattr(sqlite_backend, "CHECKPOINT_IDLE", 3600.0)


async def test_a_round_puts_the_writes_in_the_database_file(
    tmp_path: Path, manual_rounds: None
) -> None:
    path = tmp_path / "bot.sqlite3"
    db = await Database.open(path)
    try:
        await write_exchanges(db, 20)
        assert rows_in_file_alone(path, tmp_path) == 0  # still only in the WAL
        assert isinstance(db, SqliteDatabase)
        assert await db.checkpoint() is not None
        assert rows_in_file_alone(path, tmp_path) == 40
    finally:
        await db.close()


@pytest.mark.parametrize(
    ("commits", "idle", "exchanges"),
    [
        pytest.param(5, 3600.0, 5, id="after-CHECKPOINT_COMMITS-writes"),  # the count alone
        pytest.param(10**9, 0.05, 3, id="once-writes-stop"),  # the idle timer alone
    ],
)
async def test_the_background_task_checkpoints(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, commits: int, idle: float, exchanges: int
) -> None:
    monkeypatch.setattr(sqlite_backend, "CHECKPOINT_COMMITS", commits)
    monkeypatch.setattr(sqlite_backend, "CHECKPOINT_IDLE", idle)
    path = tmp_path / "bot.sqlite3"
    db = await Database.open(path)
    try:
        await write_exchanges(db, exchanges)
        await wait_for_rows_in_file(path, tmp_path, 2 * exchanges)
    finally:
        await db.close()


async def test_the_wal_starts_over_instead_of_growing(tmp_path: Path, manual_rounds: None) -> None:
    path = tmp_path / "bot.sqlite3"
    db = await Database.open(path)
    try:
        assert isinstance(db, SqliteDatabase)
        await db.checkpoint()
        await write_exchanges(db, 30)
        await db.checkpoint()
        after_one_burst = wal_size(path)
        for _ in range(5):
            await write_exchanges(db, 30)
            await db.checkpoint()
        assert 0 < wal_size(path) < 2 * after_one_burst
        assert rows_in_file_alone(path, tmp_path) == 6 * 60
    finally:
        await db.close()


async def test_closing_checkpoints_the_whole_wal_even_with_another_reader_open(
    tmp_path: Path, manual_rounds: None
) -> None:
    path = tmp_path / "bot.sqlite3"
    db = await Database.open(path)
    # Another process keeps the file open (SQLite's own checkpoint at close then does not run).
    outside = sqlite3.connect(path, isolation_level=None)
    try:
        outside.execute("SELECT COUNT(*) FROM messages").fetchone()
        await write_exchanges(db, 25)
        await db.close()
        assert wal_size(path) == 0
        assert rows_in_file_alone(path, tmp_path) == 50
        assert outside.execute("SELECT COUNT(*) FROM messages").fetchone()[0] == 50
    finally:
        outside.close()


async def test_a_reader_holding_an_old_snapshot_is_reported_and_then_caught_up(
    tmp_path: Path,
    manual_rounds: None,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(sqlite_backend, "WAL_LIMIT_PAGES", 1)
    path = tmp_path / "bot.sqlite3"
    db = await Database.open(path)
    assert isinstance(db, SqliteDatabase)
    reader = sqlite3.connect(path, isolation_level=None)
    try:
        await db.checkpoint()
        reader.execute("BEGIN")
        reader.execute("SELECT COUNT(*) FROM messages").fetchone()  # its snapshot: no messages
        await write_exchanges(db, 10)
        with caplog.at_level(logging.WARNING, logger="storage.sqlite"):
            behind = await db.checkpoint()
        assert behind is not None and behind[1] < behind[0]
        assert "reading an old snapshot" in caplog.text
        assert rows_in_file_alone(path, tmp_path) == 0
        # Writes still go on while the reader holds its snapshot.
        await write_exchanges(db, 1, user=2)
        reader.execute("COMMIT")
        caught_up = await db.checkpoint()
        assert caught_up is not None and caught_up[1] == caught_up[0]
        assert rows_in_file_alone(path, tmp_path) == 22
    finally:
        reader.close()
        await db.close()


async def test_a_failed_round_is_logged_and_the_next_one_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(sqlite_backend, "CHECKPOINT_COMMITS", 1)
    monkeypatch.setattr(sqlite_backend, "CHECKPOINT_IDLE", 3600.0)
    monkeypatch.setattr(sqlite_backend, "CHECKPOINT_RETRY", 0.0)
    real = sqlite_backend.WalCheckpointer._checkpoint
    failures = [sqlite3.OperationalError("disk I/O error")]

    async def failing_once(self: sqlite_backend.WalCheckpointer, mode: str) -> tuple[int, int]:
        if failures:
            raise failures.pop()
        return await real(self, mode)

    monkeypatch.setattr(sqlite_backend.WalCheckpointer, "_checkpoint", failing_once)
    path = tmp_path / "bot.sqlite3"
    with caplog.at_level(logging.WARNING, logger="storage.sqlite"):
        db = await Database.open(path)
        try:
            await write_exchanges(db, 3)
            await wait_for_rows_in_file(path, tmp_path, 6)
        finally:
            await db.close()
    assert "WAL checkpoint failed: disk I/O error" in caplog.text


async def test_an_in_memory_database_has_no_checkpointer() -> None:
    db = await Database.open(":memory:")
    try:
        assert isinstance(db, SqliteDatabase)
        await write_exchanges(db, 2)
        assert await db.checkpoint() is None
        assert len(await MessageRepository(db).recent(ConversationKey(1, 1), 10)) == 4
    finally:
        await db.close()
