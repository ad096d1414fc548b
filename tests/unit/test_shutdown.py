"""The graceful stop: one deadline for every phase, and it runs even when polling failed."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.services.user_jobs import UserJobs
from bot.shutdown import poll_until_stopped


class FailingPoller:
    """Polling that starts a slow handler, then fails (a bug)."""

    def __init__(self) -> None:
        self.handler_finished = False
        self._handler: asyncio.Task[None] | None = None

    async def run(self, stop: asyncio.Event, **data: Any) -> None:
        self._handler = asyncio.create_task(self._handle())
        raise RuntimeError("polling broke")

    async def _handle(self) -> None:
        await asyncio.sleep(0.2)
        self.handler_finished = True

    async def wait_handled(self, grace_seconds: float) -> int:
        assert self._handler is not None
        _, running = await asyncio.wait({self._handler}, timeout=grace_seconds)
        return len(running)

    async def cancel_remaining(self) -> None:
        raise AssertionError("the handler had time to finish")


async def test_handlers_in_flight_finish_before_a_polling_failure_is_raised() -> None:
    poller = FailingPoller()
    with pytest.raises(RuntimeError, match="polling broke"):
        await poll_until_stopped(poller, asyncio.Event(), UserJobs(), grace_seconds=5)
    assert poller.handler_finished


async def test_jobs_get_only_what_the_handlers_left_of_the_deadline() -> None:
    class SlowPoller(FailingPoller):
        async def run(self, stop: asyncio.Event, **data: Any) -> None:
            self._handler = asyncio.create_task(asyncio.sleep(3600))

        async def cancel_remaining(self) -> None:
            assert self._handler is not None
            self._handler.cancel()

    class RecordingJobs:
        grace: float | None = None

        async def shutdown(self, grace_seconds: float) -> None:
            self.grace = grace_seconds

    jobs = RecordingJobs()
    await poll_until_stopped(SlowPoller(), asyncio.Event(), jobs, grace_seconds=0.3)
    # The handlers used the whole budget: the jobs get what is left of it, not 0.3 s more.
    assert jobs.grace is not None and jobs.grace < 0.05
