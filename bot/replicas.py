"""Several replicas on one PostgreSQL database (and one Redis): one of them long-polls
Telegram into the shared inbox (it holds the 'poller' lease), and every one of them claims
updates from the inbox and handles them.

A claim is a lease renewed while the update is handled; a replica killed mid-answer stops
renewing, and once its lease expires another replica takes the update over, its attempt
counted, within the replay limits (REPLAY_MAX_ATTEMPTS, REPLAY_MAX_AGE_SECONDS) — an answer
already stored is sent from storage, not asked of Polza again. The inbox hands out one
update per conversation at a time, oldest first, so a conversation's answers keep their
order whichever replica gives them. A webhook endpoint stores into the same inbox.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from functools import partial
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.types import Update

from bot.conversation import update_conversation
from bot.middlewares import REPLAY_GIVEN_UP, REPLAYED
from bot.observability.metrics import Metrics
from bot.polling import DurablePolling, ReplayLimits, payload_of, run_until
from storage.inbox import InboxRepository, NewUpdate, PendingUpdate
from storage.leases import LeaseRepository

logger = logging.getLogger(__name__)


POLLER_LEASE = "poller"
# How many updates one replica handles at once at most.
MAX_IN_FLIGHT = 64
# With nothing more to claim, how long until the next look at the inbox (what this replica
# stores or finishes itself wakes it at once; what other replicas store waits for this).
IDLE_SECONDS = 0.2


class SharedInboxRunner(DurablePolling):
    # PostgreSQL restarting or unreachable raises asyncpg's and the pool's own errors too:
    # storing, claiming and renewing keep trying through any of them.
    retried_errors: tuple[type[Exception], ...] = (Exception,)
    # An update marked handled ends its lease: the renewal would then cancel what is left of
    # its handling, so it is marked only when the handling ends.
    ends_with_delivery = False

    def __init__(
        self,
        dispatcher: Dispatcher,
        bot: Bot,
        inbox: InboxRepository,
        leases: LeaseRepository,
        *,
        lease_seconds: float,
        limits: ReplayLimits | None = None,
        polling_timeout: int = 30,
        metrics: Metrics | None = None,
    ) -> None:
        super().__init__(
            dispatcher, bot, inbox, limits=limits, polling_timeout=polling_timeout, metrics=metrics
        )
        self._leases = leases
        self._lease = lease_seconds
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._handling: dict[int, asyncio.Task[None]] = {}
        # Handled updates not yet marked so: the claim loop marks them in its next claim.
        self._finished: list[int] = []
        self._wake = asyncio.Event()
        self._claiming: asyncio.Task[None] | None = None

    def alive(self) -> bool:
        """Whether this replica is claiming work: its loop runs and turned recently."""
        claiming = self._claiming
        if claiming is None or claiming.done() or self._last_progress is None:
            return False
        return time.monotonic() - self._last_progress < self._lease + 30

    async def run(self, stop: asyncio.Event, **data: Any) -> None:
        logger.info("Replica %s: handling updates from the shared inbox", self.owner)
        loops = [
            asyncio.create_task(self._lead(data)),
            asyncio.create_task(self._renew()),
        ]
        self._claiming = asyncio.create_task(self._claim(data))
        self.receiving.set()
        await run_until(stop, *loops, self._claiming)
        await self._flush_finished()
        with contextlib.suppress(Exception):
            await self._leases.give_up(POLLER_LEASE, self.owner)

    async def cancel_remaining(self) -> None:
        """Cancel what is still running and hand it back at once for another replica."""
        unfinished = set(self._handling)
        await super().cancel_remaining()
        for update_id in unfinished:
            with contextlib.suppress(Exception):
                await self._inbox.release(self.owner, update_id)

    async def _mark_handled(self, update_id: int, *answered_with_it: int) -> None:
        """Left to the claim loop, which marks it handled in the same statement as its next
        claim (the conversation's next update may be in that claim); once the loop has
        stopped, marked at once."""
        claiming = self._claiming
        if claiming is None or claiming.done():
            await self._flush_finished()
            await super()._mark_handled(update_id, *answered_with_it)
            return
        self._finished += (update_id, *answered_with_it)
        self._wake.set()

    async def _flush_finished(self) -> None:
        finished, self._finished = self._finished, []
        if finished:
            await super()._mark_handled(*finished)

    async def _lead(self, data: dict[str, Any]) -> None:
        """Hold the poller lease while alive; long-poll only while holding it."""
        polling: asyncio.Task[None] | None = None
        try:
            while True:
                try:
                    leader = await self._leases.acquire(POLLER_LEASE, self.owner, self._lease)
                except Exception as error:
                    logger.warning("Could not renew the poller lease (%s)", error)
                    leader = False
                if leader and polling is None:
                    logger.info("Replica %s polls Telegram", self.owner)
                    polling = asyncio.create_task(self._poll(data))
                elif not leader and polling is not None:
                    logger.info("Replica %s stops polling: another holds the lease", self.owner)
                    polling.cancel()
                    polling = None
                await asyncio.sleep(self._lease / 3)
        finally:
            if polling is not None:
                polling.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await polling

    async def _received(
        self, updates: list[Update], data: dict[str, Any], *, past_offset: bool = False
    ) -> None:
        # Stored for every replica to claim: none is handled before it is stored.
        rows = [
            NewUpdate(
                update.update_id,
                payload_of(update),
                update_conversation(update),
            )
            for update in updates
        ]
        fresh = await self._stored(lambda: self._inbox.store(rows), "store updates")
        if self._metrics is not None:
            for _ in fresh:
                self._metrics.update_received()
        self._wake.set()

    async def _claim(self, data: dict[str, Any]) -> None:
        while True:
            self._last_progress = time.monotonic()
            room = MAX_IN_FLIGHT - len(self._tasks)
            finished, self._finished = self._finished, []
            self._wake.clear()
            claimed: list[PendingUpdate] = []
            if room > 0 or finished:
                claim = partial(self._inbox.claim, self.owner, self._lease, max(0, room), finished)
                try:
                    claimed = await self._stored(claim, "claim updates")
                except asyncio.CancelledError:
                    self._finished[:0] = finished  # for the flush at the stop
                    raise
            now = time.time()
            for row in claimed:
                update = self._parse(row)
                if update is None:
                    await self._mark_handled(row.update_id)
                    continue
                flags: dict[str, Any] = {}
                if self._limits.give_up(row, now):
                    logger.warning("Giving up update %s after %d attempt(s)", *_seen(row))
                    flags = {REPLAY_GIVEN_UP: True}
                elif row.attempts > 0:
                    logger.info("Taking over update %s (attempt %d)", *_seen(row))
                    if self._metrics is not None:
                        self._metrics.updates_replayed(1)
                    flags = {REPLAYED: True}
                task = self._spawn(update, {**data, **flags})
                self._handling[row.update_id] = task
                task.add_done_callback(partial(_forget, self._handling, row.update_id))
            more = 0 < room == len(claimed)  # the claim was cut at the room: more may wait
            if not more and not self._finished:
                # Nothing more to claim now: the next store or finish here wakes the loop.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), IDLE_SECONDS)

    async def _renew(self) -> None:
        while True:
            await asyncio.sleep(self._lease / 3)
            asked = sorted(self._handling)
            try:
                held = await self._inbox.extend(self.owner, asked, self._lease)
            except Exception as error:
                logger.warning("Could not renew the leases (%s)", error)
                continue
            for update_id in set(asked) - held:
                task = self._handling.get(update_id)
                if task is not None and not task.done():
                    # Its lease expired before this renewal and another replica took it
                    # over (or finished it): stop here so it is not answered twice.
                    logger.warning("Lost the lease on update %s; leaving it", update_id)
                    task.cancel()


def _seen(row: PendingUpdate) -> tuple[int, int]:
    return row.update_id, row.attempts + 1


def _forget(
    handling: dict[int, asyncio.Task[None]], update_id: int, _: asyncio.Task[None]
) -> None:
    handling.pop(update_id, None)
