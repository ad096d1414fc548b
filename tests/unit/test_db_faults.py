"""Transactions survive cancellation and a full disk: the connection is never left inside a
transaction, and the caller sees the real error."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from storage import Database
from storage.inbox import InboxRepository


async def test_a_task_cancelled_at_begin_leaves_no_transaction_open(
    db: Database, tmp_path: Path
) -> None:
    inbox = InboxRepository(db)
    # Another process holds the write lock, so BEGIN IMMEDIATE waits in SQLite's busy handler.
    outside = sqlite3.connect(tmp_path / "bot.sqlite3", isolation_level=None)
    outside.execute("BEGIN IMMEDIATE")
    writer = asyncio.create_task(inbox.accept([(1, "{}")]))
    await asyncio.sleep(0.3)
    writer.cancel()
    await asyncio.sleep(0.2)
    outside.execute("ROLLBACK")
    outside.close()
    with pytest.raises(asyncio.CancelledError):
        await writer
    # The next writes work: no "cannot start a transaction within a transaction".
    assert await inbox.accept([(2, "{}")]) == [2]
    assert [p.update_id for p in await inbox.pending()] == [2]


async def test_a_task_cancelled_mid_transaction_rolls_back(db: Database) -> None:
    inbox = InboxRepository(db)
    started = asyncio.Event()

    async def write_then_hang() -> None:
        async with db.transaction() as tx:
            await tx.execute(
                "INSERT INTO inbox (update_id, payload, received_at) VALUES (7, '{}', 0)"
            )
            started.set()
            await asyncio.sleep(60)

    task = asyncio.create_task(write_then_hang())
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await inbox.pending() == []
    assert await inbox.accept([(8, "{}")]) == [8]


async def test_a_full_disk_raises_its_own_error_and_later_writes_work(db: Database) -> None:
    inbox = InboxRepository(db)
    await inbox.accept([(1, "{}")])
    pages = await db.fetch_one("PRAGMA page_count")
    assert pages is not None
    await db.fetch_all(f"PRAGMA max_page_count = {pages[0]}")
    with pytest.raises(sqlite3.OperationalError, match="full"):
        await inbox.accept([(2, "x" * 200_000)])
    await db.fetch_all("PRAGMA max_page_count = 1073741823")
    assert await inbox.accept([(3, "{}")]) == [3]
    assert [p.update_id for p in await inbox.pending()] == [1, 3]
