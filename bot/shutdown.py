"""One time budget for the whole graceful stop, shared by its phases."""

from __future__ import annotations

import asyncio
import gc
import logging
from typing import Any, Protocol

logger = logging.getLogger(__name__)


class Deadline:
    """`seconds` from now on the running loop's clock; `remaining()` never goes below 0."""

    def __init__(self, seconds: float) -> None:
        self._loop = asyncio.get_running_loop()
        self._at = self._loop.time() + max(seconds, 0.0)

    def remaining(self) -> float:
        return max(self._at - self._loop.time(), 0.0)


class _Handlers(Protocol):
    async def run(self, stop: asyncio.Event, **data: Any) -> None: ...
    async def wait_handled(self, grace_seconds: float) -> int: ...
    async def cancel_remaining(self) -> None: ...


class _Jobs(Protocol):
    async def shutdown(self, grace_seconds: float) -> None: ...


async def poll_until_stopped(
    poller: _Handlers, stop: asyncio.Event, jobs: _Jobs, grace_seconds: float, **data: Any
) -> None:
    """Poll until `stop` is set, then stop gracefully — also when polling itself failed, so
    nothing is closed under running handlers (the failure is raised after)."""
    try:
        await poller.run(stop, **data)
    finally:
        await stop_gracefully(poller, jobs, grace_seconds)


async def stop_gracefully(handlers: _Handlers, jobs: _Jobs, grace_seconds: float) -> None:
    """Let updates in flight, then background jobs, finish within one `grace_seconds` budget
    (both run meanwhile, so the jobs get what the updates leave); cancel what is left."""
    deadline = Deadline(grace_seconds)
    logger.info("Stopping: letting answers in flight finish (up to %.0f s)", grace_seconds)
    unfinished = await handlers.wait_handled(deadline.remaining())
    if unfinished:
        logger.warning("%d update(s) unfinished; they are handled again at start", unfinished)
        await handlers.cancel_remaining()
    await jobs.shutdown(deadline.remaining())


def skip_final_collection() -> None:
    """Call last: the interpreter's own teardown then skips collecting every object made so far.

    aiogram's thousands of pydantic models take ~0.1 s of CPU to collect at exit on an idle
    machine and seconds on a busy one — time taken from the stop deadline. The operating
    system frees the memory anyway.
    """
    gc.freeze()
