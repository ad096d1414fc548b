"""At most one background job per user, tracked until it ends and stopped at shutdown."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

logger = logging.getLogger(__name__)

Job = Callable[[], Coroutine[Any, Any, None]]

# After the grace period, how long cancelled jobs get to tell their users and unwind.
CANCEL_WAIT_SECONDS = 2.0


class UserJobs:
    """Runs each user's job as its own task, so the update that started it can finish.

    Kept in memory on purpose: after a restart nobody is left marked as busy.
    """

    def __init__(self) -> None:
        self._slots: dict[int, asyncio.Task[None]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def running(self) -> int:
        return len(self._tasks)

    def busy(self, user_id: int) -> bool:
        return user_id in self._slots

    def start(self, user_id: int, job: Job, *, name: str) -> bool:
        """Start `job` unless the user already has one running; False when refused."""
        if user_id in self._slots:
            return False
        task = asyncio.create_task(job(), name=name)
        self._slots[user_id] = task
        self._tasks.add(task)
        task.add_done_callback(lambda done: self._finished(user_id, done))
        return True

    def release(self, user_id: int) -> None:
        """Called by a job once the user has its result: the user may start the next one
        while this job finishes its bookkeeping (it is still waited for at shutdown)."""
        if self._slots.get(user_id) is asyncio.current_task():
            del self._slots[user_id]

    def _finished(self, user_id: int, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if self._slots.get(user_id) is task:
            del self._slots[user_id]
        if not task.cancelled() and (error := task.exception()) is not None:
            logger.error("Background job %s failed", task.get_name(), exc_info=error)

    async def shutdown(self, grace_seconds: float) -> None:
        """Let running jobs finish for up to `grace_seconds`, then cancel the rest."""
        tasks = set(self._tasks)
        if not tasks:
            return
        logger.info("Waiting for %d background job(s)", len(tasks))
        _, pending = await asyncio.wait(tasks, timeout=max(grace_seconds, 0.0))
        if pending:
            logger.warning("Grace period over; cancelling %d background job(s)", len(pending))
            for task in pending:
                task.cancel()
            await asyncio.wait(pending, timeout=CANCEL_WAIT_SECONDS)
