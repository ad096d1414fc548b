"""At start, pending updates are handled again only within the replay limits; a corrupt row
is logged and skipped, and start-up goes on."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

import pytest
from aiogram import Bot, Dispatcher
from aiogram.types import Update

from bot.middlewares import REPLAY_GIVEN_UP
from bot.polling import DurablePolling, ReplayLimits
from storage import Database
from storage.inbox import InboxRepository


class RecordingDispatcher:
    def __init__(self) -> None:
        self.fed: list[tuple[int, bool]] = []

    def resolve_used_update_types(self) -> list[str]:
        return ["message"]

    async def feed_update(self, bot: Any, update: Update, **data: Any) -> None:
        self.fed.append((update.update_id, bool(data.get(REPLAY_GIVEN_UP))))


class SilentBot:
    """getUpdates that never returns: only the replay at start is under test."""

    class session:  # mimics Bot.session
        timeout = 0

    async def __call__(self, *args: Any, **kwargs: Any) -> Any:
        await asyncio.sleep(3600)

    async def delete_webhook(self, drop_pending_updates: bool) -> bool:
        return True


async def test_replay_is_bounded_and_skips_corrupt_rows(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db = await Database.open(tmp_path / "bot.sqlite3")
    inbox = InboxRepository(db)
    now = time.time()
    rows = [
        (1, '{"update_id": 1}', now, 1),  # one attempt so far: handled again
        (2, '{"update_id": 2}', now, 2),  # attempts used up: apology
        (3, '{"update_id": 3}', now - 901, 1),  # too old: apology
        (4, "{not json", now, 0),  # corrupt: skipped
        (5, '{"update_id": "five"}', now, 0),  # not an update: skipped
    ]
    async with db.transaction() as tx:
        await tx.executemany(
            "INSERT INTO inbox (update_id, payload, received_at, attempts) VALUES (?, ?, ?, ?)",
            rows,
        )
    dispatcher = RecordingDispatcher()
    poller = DurablePolling(
        cast(Dispatcher, dispatcher),
        cast(Bot, SilentBot()),
        inbox,
        limits=ReplayLimits(max_attempts=2, max_age_seconds=900),
    )
    stop = asyncio.Event()
    stop.set()
    await poller.run(stop)
    assert await poller.wait_handled(5) == 0

    assert dispatcher.fed == [(1, False), (2, True), (3, True)]
    assert await inbox.pending() == [], "everything ends handled, corrupt rows too"
    attempts = await db.fetch_one("SELECT attempts FROM inbox WHERE update_id = 1")
    assert attempts is not None and attempts[0] == 2
    assert "Inbox row 4 is not a valid update" in caplog.text
    assert "Inbox row 5 is not a valid update" in caplog.text
    await db.close()


async def test_a_handler_cancelled_by_the_stop_stays_pending(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "bot.sqlite3")
    inbox = InboxRepository(db)
    await inbox.accept([(1, '{"update_id": 1}')])

    class HangingDispatcher(RecordingDispatcher):
        async def feed_update(self, bot: Any, update: Update, **data: Any) -> None:
            await asyncio.sleep(3600)

    poller = DurablePolling(cast(Dispatcher, HangingDispatcher()), cast(Bot, SilentBot()), inbox)
    stop = asyncio.Event()
    stop.set()
    await poller.run(stop)
    assert await poller.wait_handled(0.1) == 1
    await poller.cancel_remaining()
    (pending,) = await inbox.pending()
    assert (pending.update_id, pending.attempts) == (1, 2), "stays pending, attempt counted"
    await db.close()


async def test_a_handler_cancelled_from_inside_is_marked_handled(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "bot.sqlite3")
    inbox = InboxRepository(db)
    await inbox.accept([(1, '{"update_id": 1}')])

    class SelfCancellingDispatcher(RecordingDispatcher):
        async def feed_update(self, bot: Any, update: Update, **data: Any) -> None:
            raise asyncio.CancelledError  # e.g. an inner task's cancellation leaking out

    poller = DurablePolling(
        cast(Dispatcher, SelfCancellingDispatcher()), cast(Bot, SilentBot()), inbox
    )
    stop = asyncio.Event()
    stop.set()
    await poller.run(stop)
    assert await poller.wait_handled(5) == 0
    assert await inbox.pending() == []
    await db.close()


class FlakyInbox(InboxRepository):
    """The real inbox, with "database is locked" for the first few writes of each kind."""

    def __init__(self, db: Database, failures: int) -> None:
        super().__init__(db)
        self.accept_failures = failures
        self.mark_failures = failures
        self.accept_calls = 0

    async def accept(self, updates: Sequence[tuple[int, str]]) -> list[int]:
        self.accept_calls += 1
        if self.accept_failures:
            self.accept_failures -= 1
            raise sqlite3.OperationalError("database is locked")
        return await super().accept(updates)

    async def mark_handled(self, *update_ids: int) -> None:
        if self.mark_failures:
            self.mark_failures -= 1
            raise sqlite3.OperationalError("database is locked")
        await super().mark_handled(*update_ids)


class BatchBot(SilentBot):
    """getUpdates: these batches of update ids, then nothing; records the offsets asked for."""

    def __init__(self, *batches: list[int]) -> None:
        self.batches = batches
        self.offsets: list[int | None] = []
        self.asked_again = asyncio.Event()

    async def __call__(self, method: Any, **kwargs: Any) -> Any:
        self.offsets.append(method.offset)
        if len(self.offsets) <= len(self.batches):
            return [Update(update_id=uid) for uid in self.batches[len(self.offsets) - 1]]
        self.asked_again.set()
        await asyncio.sleep(3600)
        return []


async def poll_until_asked_again(poller: DurablePolling, bot: BatchBot) -> None:
    """Run the poller until its batches are out, stop it, and wait for their handling."""
    stop = asyncio.Event()
    running = asyncio.create_task(poller.run(stop))
    await asyncio.wait_for(bot.asked_again.wait(), 30)
    stop.set()
    await running
    assert await poller.wait_handled(10) == 0


async def test_a_locked_database_delays_the_offset_until_the_batch_is_stored(
    tmp_path: Path,
) -> None:
    db = await Database.open(tmp_path / "bot.sqlite3")
    inbox = FlakyInbox(db, failures=2)
    dispatcher = RecordingDispatcher()
    bot = BatchBot([10])
    poller = DurablePolling(cast(Dispatcher, dispatcher), cast(Bot, bot), inbox)
    await poll_until_asked_again(poller, bot)

    assert inbox.accept_calls == 3, "storing was tried until it worked"
    assert bot.offsets == [None, 11], "the update was confirmed only once stored"
    assert dispatcher.fed == [(10, False)]
    assert await inbox.pending() == [], "marking it handled was retried too"
    await db.close()


class LoggingInbox(InboxRepository):
    """The real inbox; logs each stored batch, and fails the second batch's first stores."""

    def __init__(self, db: Database, log: list[str], failures: int) -> None:
        super().__init__(db)
        self.log = log
        self.failures = failures

    async def accept(self, updates: Sequence[tuple[int, str]]) -> list[int]:
        ids = " ".join(str(update_id) for update_id, _ in updates)
        if ids != "10" and self.failures:
            self.failures -= 1
            self.log.append(f"store {ids} failed")
            raise sqlite3.OperationalError("database is locked")
        fresh = await super().accept(updates)
        self.log.append(f"stored {ids}")
        return fresh


class LoggingDispatcher(RecordingDispatcher):
    def __init__(self, log: list[str]) -> None:
        super().__init__()
        self.log = log

    async def feed_update(self, bot: Any, update: Update, **data: Any) -> None:
        self.log.append(f"handled {update.update_id}")


async def test_a_batch_past_a_confirmed_offset_is_handled_while_it_is_stored(
    tmp_path: Path,
) -> None:
    db = await Database.open(tmp_path / "bot.sqlite3")
    log: list[str] = []
    inbox = LoggingInbox(db, log, failures=2)
    bot = BatchBot([10], [11, 12])
    poller = DurablePolling(cast(Dispatcher, LoggingDispatcher(log)), cast(Bot, bot), inbox)
    await poll_until_asked_again(poller, bot)

    # The first batch of a run may repeat an earlier run's: handled once stored. Later ones
    # are new: handled while the store is being tried.
    assert log[:2] == ["stored 10", "handled 10"]
    assert sorted(log[2:]) == [
        "handled 11",
        "handled 12",
        "store 11 12 failed",
        "store 11 12 failed",
        "stored 11 12",
    ]
    assert log[-1] == "stored 11 12"
    assert bot.offsets == [None, 11, 13], "each batch was confirmed only once stored"
    assert await inbox.pending() == [], "handled before their rows were stored: still handled"
    stored = await db.fetch_all("SELECT update_id FROM inbox ORDER BY update_id")
    assert [row[0] for row in stored] == [10, 11, 12], "kept, to recognise a repeat"
    await db.close()
