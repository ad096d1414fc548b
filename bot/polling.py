"""Long polling that loses no update: received updates are stored before they are confirmed.

aiogram's own polling confirms an update (by asking for the next offset) as soon as its
handling has *started*, so a crash mid-answer would lose the message. Here every batch goes to
the inbox table first, each update is marked handled when its handling ends, and on start the
ones left pending are handled again. Updates of one conversation still start in the order
Telegram sent them: tasks are created in that order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.methods import GetUpdates
from aiogram.types import Update
from aiogram.utils.backoff import Backoff, BackoffConfig

from bot.observability.metrics import Metrics
from storage.inbox import InboxRepository

logger = logging.getLogger(__name__)

BACKOFF = BackoffConfig(min_delay=1.0, max_delay=5.0, factor=1.3, jitter=0.1)
# The loop counts as alive while a getUpdates call started or returned this recently, beyond
# the long-poll timeout itself (backoff waits are at most a few seconds).
ALIVE_MARGIN_SECONDS = 30.0


class DurablePolling:
    def __init__(
        self,
        dispatcher: Dispatcher,
        bot: Bot,
        inbox: InboxRepository,
        *,
        polling_timeout: int = 30,
        metrics: Metrics | None = None,
    ) -> None:
        self._dp = dispatcher
        self._bot = bot
        self._inbox = inbox
        self._timeout = polling_timeout
        self._metrics = metrics
        self._tasks: set[asyncio.Task[None]] = set()
        self._polling: asyncio.Task[None] | None = None
        self._last_progress: float | None = None

    def alive(self) -> bool:
        """Whether the update loop is turning: it runs, and a getUpdates call started or
        returned within the long-poll timeout plus a margin."""
        if self._polling is None or self._polling.done() or self._last_progress is None:
            return False
        return time.monotonic() - self._last_progress < self._timeout + ALIVE_MARGIN_SECONDS

    async def run(self, stop: asyncio.Event, **data: Any) -> None:
        """Handle pending updates, then poll until `stop` is set. In-flight handling goes on
        after return; `wait_handled` waits for it."""
        await self._inbox.prune()
        pending = await self._inbox.pending()
        for update_id, payload in pending:
            logger.info(
                "Handling update %s again: it was not finished before the restart", update_id
            )
            self._spawn(Update.model_validate_json(payload, context={"bot": self._bot}), data)
        if self._metrics is not None and pending:
            self._metrics.updates_replayed(len(pending))
        polling = self._polling = asyncio.create_task(self._poll(data))
        stopping = asyncio.create_task(stop.wait())
        await asyncio.wait({polling, stopping}, return_when=asyncio.FIRST_COMPLETED)
        for task in (polling, stopping):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def wait_handled(self, grace_seconds: float) -> int:
        """Wait for updates in flight; return how many were still running after the grace."""
        if not self._tasks:
            return 0
        _, running = await asyncio.wait(set(self._tasks), timeout=grace_seconds)
        return len(running)

    async def cancel_remaining(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _poll(self, data: dict[str, Any]) -> None:
        request = GetUpdates(
            timeout=self._timeout, allowed_updates=self._dp.resolve_used_update_types()
        )
        backoff = Backoff(config=BACKOFF)
        request_timeout = self._timeout + int(self._bot.session.timeout or 0)
        while True:
            self._last_progress = time.monotonic()
            try:
                updates = await self._bot(request, request_timeout=request_timeout)
            except Exception as error:  # network trouble or a Telegram outage: keep polling
                logger.warning("getUpdates failed (%s: %s); retrying", type(error).__name__, error)
                await backoff.asleep()
                continue
            self._last_progress = time.monotonic()
            backoff.reset()
            if not updates:
                continue
            fresh = set(
                await self._inbox.accept(
                    [
                        (u.update_id, u.model_dump_json(exclude_unset=True, by_alias=True))
                        for u in updates
                    ]
                )
            )
            for update in updates:
                if update.update_id in fresh:
                    if self._metrics is not None:
                        self._metrics.update_received()
                    self._spawn(update, data)
            request.offset = updates[-1].update_id + 1

    def _spawn(self, update: Update, data: dict[str, Any]) -> None:
        task = asyncio.create_task(self._handle(update, data))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _handle(self, update: Update, data: dict[str, Any]) -> None:
        try:
            await self._dp.feed_update(self._bot, update, **data)
        except Exception:
            logger.exception("Update %s failed outside any handler", update.update_id)
        await self._inbox.mark_handled(update.update_id)
