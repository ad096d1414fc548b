"""Long polling that loses no update: received updates are stored before they are confirmed.

aiogram's own polling confirms an update (by asking for the next offset) as soon as its
handling has *started*, so a crash mid-answer would lose the message. Here every batch goes to
the inbox table first, each update is marked handled when its handling ends, and on start the
ones left pending are handled again — a bounded number of times, while they are fresh; past
that the user gets one apology (`ReplayLimitMiddleware`) instead of a crash loop or a second
bill. Updates of one conversation still start in the order Telegram sent them: tasks are
created in that order.

Storage faults ("database is locked" past the busy timeout, a full disk) are retried with
backoff: a batch is confirmed to Telegram only once it is stored.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

from aiogram import Bot, Dispatcher
from aiogram.methods import GetUpdates
from aiogram.types import Update
from aiogram.utils.backoff import Backoff, BackoffConfig
from pydantic import ValidationError

from bot.inbox_receipt import open_receipt
from bot.middlewares import REPLAY_GIVEN_UP, REPLAYED
from bot.observability.metrics import Metrics
from bot.telegram.merging import HandledTogether
from storage.db import StoreUnavailable
from storage.inbox import InboxRepository, PendingUpdate

logger = logging.getLogger(__name__)

T = TypeVar("T")

BACKOFF = BackoffConfig(min_delay=1.0, max_delay=5.0, factor=1.3, jitter=0.1)
# The loop counts as alive while a getUpdates call started or returned this recently, beyond
# the long-poll timeout itself (backoff waits are at most a few seconds).
ALIVE_MARGIN_SECONDS = 30.0
# Between tries of a write the inbox needs (aiogram's backoff, as for getUpdates).
STORAGE_BACKOFF = BackoffConfig(min_delay=0.5, max_delay=5.0, factor=2.0, jitter=0.1)
# Marking an update handled is given up after this many tries: it is then pending, and the
# replay limit bounds what that costs.
MARK_HANDLED_TRIES = 5
# What a store raises while it is unavailable for a moment (SQLite locked or full; PostgreSQL
# restarting or unreachable: asyncpg's errors are OSError or its own, named by the store).
STORE_ERRORS: tuple[type[Exception], ...] = (sqlite3.Error, OSError, StoreUnavailable)
# After the grace period, how long cancelled handlers get to unwind.
CANCEL_WAIT_SECONDS = 2.0


def payload_of(update: Update) -> str:
    """An update as the inbox keeps it (what Telegram sent, nothing added)."""
    return update.model_dump_json(exclude_unset=True, by_alias=True)


async def run_until(stop: asyncio.Event, *loops: asyncio.Task[None]) -> None:
    """Wait until `stop` is set or a loop ends (a failure is raised), then cancel the rest."""
    stopping = asyncio.create_task(stop.wait())
    await asyncio.wait({*loops, stopping}, return_when=asyncio.FIRST_COMPLETED)
    for task in (*loops, stopping):
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@dataclass(frozen=True, slots=True)
class ReplayLimits:
    """How far an update left unfinished is handled again after a restart."""

    max_attempts: int = 2
    max_age_seconds: float = 900.0

    def give_up(self, update: PendingUpdate, now: float) -> bool:
        too_old = now - update.received_at > self.max_age_seconds
        return update.attempts >= self.max_attempts or too_old


class DurablePolling:
    def __init__(
        self,
        dispatcher: Dispatcher,
        bot: Bot,
        inbox: InboxRepository,
        *,
        limits: ReplayLimits | None = None,
        polling_timeout: int = 30,
        metrics: Metrics | None = None,
    ) -> None:
        self._dp = dispatcher
        self._bot = bot
        self._inbox = inbox
        self._limits = limits or ReplayLimits()
        self._timeout = polling_timeout
        self._metrics = metrics
        self._tasks: set[asyncio.Task[None]] = set()
        self._polling: asyncio.Task[None] | None = None
        self._last_progress: float | None = None
        # Set once updates can come in: start-up work that no update waits for waits for this.
        self.receiving = asyncio.Event()

    def alive(self) -> bool:
        """Whether the update loop is turning: it runs, and a getUpdates call started or
        returned within the long-poll timeout plus a margin."""
        if self._polling is None or self._polling.done() or self._last_progress is None:
            return False
        return time.monotonic() - self._last_progress < self._timeout + ALIVE_MARGIN_SECONDS

    async def run(self, stop: asyncio.Event, **data: Any) -> None:
        """Handle pending updates, then poll until `stop` is set. In-flight handling goes on
        after return; `wait_handled` waits for it."""
        await self._replay(data)
        self._polling = asyncio.create_task(self._poll(data))
        await run_until(stop, self._polling)

    async def wait_handled(self, grace_seconds: float) -> int:
        """Wait for updates in flight; return how many were still running after the grace."""
        if not self._tasks:
            return 0
        _, running = await asyncio.wait(set(self._tasks), timeout=grace_seconds)
        return len(running)

    async def cancel_remaining(self) -> None:
        """Cancel the updates still in flight; they stay pending (their attempt counted)."""
        tasks = set(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=CANCEL_WAIT_SECONDS)

    async def _replay(self, data: dict[str, Any]) -> None:
        pending = await self._stored(self._inbox.pending, "read the pending updates")
        now = time.time()
        again: list[Update] = []
        given_up: list[Update] = []
        for row in pending:
            update = self._parse(row)
            if update is None:
                await self._mark_handled(row.update_id)
            elif self._limits.give_up(row, now):
                logger.warning(
                    "Giving up update %s after %d attempt(s), received %.0f s ago;"
                    " the user gets an apology",
                    row.update_id,
                    row.attempts,
                    now - row.received_at,
                )
                given_up.append(update)
            else:
                logger.info(
                    "Handling update %s again (attempt %d of %d): it was not finished before"
                    " the restart",
                    row.update_id,
                    row.attempts + 1,
                    self._limits.max_attempts,
                )
                again.append(update)
        if self._metrics is not None and again:
            self._metrics.updates_replayed(len(again))
        ids = [update.update_id for update in again]
        await self._stored(partial(self._inbox.count_attempts, ids), "count the attempts")
        replay_given_up = {update.update_id for update in given_up}
        for update in sorted(again + given_up, key=lambda u: u.update_id):
            gave_up = update.update_id in replay_given_up
            flag = {REPLAY_GIVEN_UP: True} if gave_up else {REPLAYED: True}
            self._spawn(update, {**data, **flag})

    def _parse(self, row: PendingUpdate) -> Update | None:
        try:
            return Update.model_validate_json(row.payload, context={"bot": self._bot})
        except ValidationError as error:
            # One bad row must not keep the bot from starting: it is logged and dropped.
            logger.error(
                "Inbox row %s is not a valid update and is skipped: %s",
                row.update_id,
                error.errors(include_url=False, include_input=False)[:1],
            )
            return None

    async def _remove_webhook(self) -> None:
        """Telegram refuses getUpdates while a webhook is set (left by webhook mode, say)."""
        backoff = Backoff(config=BACKOFF)
        while True:
            self._last_progress = time.monotonic()
            try:
                await self._bot.delete_webhook(drop_pending_updates=False)
                return
            except Exception as error:
                logger.warning(
                    "deleteWebhook failed (%s: %s); retrying", type(error).__name__, error
                )
                await backoff.asleep()

    async def _poll(self, data: dict[str, Any]) -> None:
        await self._remove_webhook()
        request = GetUpdates(
            timeout=self._timeout, allowed_updates=self._dp.resolve_used_update_types()
        )
        backoff = Backoff(config=BACKOFF)
        request_timeout = self._timeout + int(self._bot.session.timeout or 0)
        self.receiving.set()  # the first getUpdates goes out in the loop below, with no wait
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
            # Until this succeeds the offset stays put: Telegram keeps the updates meanwhile.
            await self._received(updates, data, past_offset=request.offset is not None)
            request.offset = updates[-1].update_id + 1

    async def _received(
        self, updates: list[Update], data: dict[str, Any], *, past_offset: bool = False
    ) -> None:
        """Store a batch and start handling the updates not seen before.

        The first batch of a run may repeat updates an earlier run stored and never confirmed:
        only the ones the store finds new are handled, once stored. A batch that comes after
        an offset this run confirmed (`past_offset`) is new (Telegram sends only updates past
        the offset), so its handling starts first and the batch is stored meanwhile
        (`_store_behind`). The offset still moves on only once the batch is stored, and
        marking an update handled also works before its row is written (`mark_handled_in`),
        so the order of the two writes does not matter.
        """
        if past_offset:
            for update in updates:
                self._start(update, data)
            await asyncio.ensure_future(self._store_behind(updates))
            return
        fresh = set(await self._store(updates))
        for update in updates:
            if update.update_id in fresh:
                self._start(update, data)

    async def _store_behind(self, updates: list[Update]) -> list[int]:
        """`_store`, in a task made after the handling ones, that lets them run two steps
        first: the first of a chat message ends where it starts the request to Polza as a
        task of its own, the second sends that request. The user waits for those; only
        the offset waits for the store."""
        await asyncio.sleep(0)
        return await self._store(updates)

    async def _store(self, updates: list[Update]) -> list[int]:
        """The batch in the inbox; the ids of the updates it did not hold yet."""
        rows = [(u.update_id, payload_of(u)) for u in updates]
        return await self._stored(partial(self._inbox.accept, rows), "store updates")

    def _start(self, update: Update, data: dict[str, Any]) -> None:
        if self._metrics is not None:
            self._metrics.update_received()
        self._spawn(update, data)

    # The answer's delivery marks its update handled in the same write (see bot.inbox_receipt).
    ends_with_delivery = True
    # What `_stored` keeps trying through.
    retried_errors: tuple[type[Exception], ...] = STORE_ERRORS

    async def _stored(self, write: Callable[[], Awaitable[T]], what: str) -> T:
        """`write()`, tried again with backoff for as long as the database refuses it."""
        backoff = Backoff(config=STORAGE_BACKOFF)
        while True:
            try:
                return await write()
            except self.retried_errors as error:
                logger.warning("Could not %s (%s); trying again", what, error)
                await backoff.asleep()

    def _spawn(self, update: Update, data: dict[str, Any]) -> asyncio.Task[None]:
        task = asyncio.create_task(self._handle(update, data))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _handle(self, update: Update, data: dict[str, Any]) -> None:
        handled: tuple[int, ...] = (update.update_id,)
        receipt = open_receipt(update.update_id) if self.ends_with_delivery else None
        try:
            result = await self._dp.feed_update(self._bot, update, **data)
            if isinstance(result, HandledTogether):
                handled = (update.update_id, *result.update_ids)
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                # Cancelled by the stop: it stays pending and is handled again at the next
                # start, within the replay limits (this attempt is counted).
                logger.info("Update %s was cut short by the stop", update.update_id)
                raise
            logger.warning("Handling of update %s was cancelled from inside", update.update_id)
        except Exception:
            logger.exception("Update %s failed outside any handler", update.update_id)
        # Else they were marked handled with the answer's delivery already.
        if receipt is None or not receipt.covers(handled):
            await self._mark_handled(*handled)

    async def _mark_handled(self, update_id: int, *answered_with_it: int) -> None:
        backoff = Backoff(config=STORAGE_BACKOFF)
        for attempt in range(1, MARK_HANDLED_TRIES + 1):
            try:
                await self._inbox.mark_handled(update_id, *answered_with_it)
                return
            except STORE_ERRORS as error:
                if attempt == MARK_HANDLED_TRIES:
                    logger.error(
                        "Update %s is handled but could not be marked so (%s); after a restart"
                        " it counts as unfinished",
                        update_id,
                        error,
                    )
                    return
                logger.warning("Could not mark update %s handled (%s); retrying", update_id, error)
                await backoff.asleep()
