"""At start, pending updates are handled again only within the replay limits; a corrupt row
is logged and skipped, and start-up goes on."""

from __future__ import annotations

import asyncio
import time
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
