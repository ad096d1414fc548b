"""Background pruning: handled inbox rows every hour, old history every night."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from storage.inbox import InboxRepository
from storage.retention import RetentionRepository

logger = logging.getLogger(__name__)

INBOX_PRUNE_INTERVAL_SECONDS = 3600.0
NIGHTLY_HOUR = 3  # local time of the history prune
DAY = 24 * 3600


def next_night(now: datetime) -> datetime:
    """The next NIGHTLY_HOUR:00 after `now`, in `now`'s zone."""
    candidate = now.replace(hour=NIGHTLY_HOUR, minute=0, second=0, microsecond=0)
    return candidate if candidate > now else candidate + timedelta(days=1)


class Housekeeping:
    """Owns one background task; `start()` it once, `stop()` it at shutdown."""

    def __init__(
        self,
        inbox: InboxRepository,
        retention: RetentionRepository,
        *,
        history_days: int,
        tz: ZoneInfo,
    ) -> None:
        self._inbox = inbox
        self._retention = retention
        self._history_days = history_days
        self._tz = tz
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="housekeeping")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def prune_inbox(self) -> None:
        try:
            removed = await self._inbox.prune()
        except sqlite3.Error as error:
            logger.warning("Could not prune the inbox: %s", error)
            return
        logger.debug("Pruned %d handled inbox row(s)", removed)

    async def prune_history(self) -> None:
        if self._history_days <= 0:
            return
        cutoff = time.time() - self._history_days * DAY
        try:
            removed = await self._retention.delete_messages_before(cutoff)
        except sqlite3.Error as error:
            logger.warning("Could not delete old history: %s", error)
            return
        if removed:
            logger.info(
                "Deleted %d history message(s) older than %d day(s)", removed, self._history_days
            )

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        await self.prune_inbox()
        await self.prune_history()
        night = next_night(datetime.now(self._tz))
        next_inbox = loop.time() + INBOX_PRUNE_INTERVAL_SECONDS
        while True:
            until_night = (night - datetime.now(self._tz)).total_seconds()
            await asyncio.sleep(max(0.0, min(next_inbox - loop.time(), until_night)))
            if loop.time() >= next_inbox:
                await self.prune_inbox()
                next_inbox = loop.time() + INBOX_PRUNE_INTERVAL_SECONDS
            if datetime.now(self._tz) >= night:
                await self.prune_history()
                night = next_night(datetime.now(self._tz))
