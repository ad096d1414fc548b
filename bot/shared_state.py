"""State that replicas share through Redis (REDIS_URL), or this process's memory without it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import cast
from urllib.parse import urlsplit

from aiogram.fsm.storage.base import BaseStorage

from bot.bounded import DAY
from bot.config import Settings
from bot.fsm_storage import BoundedMemoryStorage
from bot.services.limit_state import LimitState, MemoryLimitState
from bot.services.running import RunningAnswers
from bot.services.shared_catalogue import SharedCatalogue
from bot.services.told_once import MemoryToldOnce, ToldOnceSet

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SharedState:
    limits: LimitState
    fsm: BaseStorage  # aiogram's conversation states (/image waiting for its prompt, …)
    told_once: Callable[[str], ToldOnceSet]  # a "told once" set by name ("refused", …)
    catalogue: SharedCatalogue | None  # the model catalogue's shared copy (Redis only)
    running_answers: RunningAnswers  # answers being written, stopped from any replica


def _memory_told_once(name: str) -> ToldOnceSet:
    return MemoryToldOnce()


async def open_shared_state(settings: Settings, stack: AsyncExitStack) -> SharedState:
    url = settings.redis_url.get_secret_value()
    if not url:
        return SharedState(
            MemoryLimitState(), BoundedMemoryStorage(), _memory_told_once, None, RunningAnswers()
        )
    from aiogram.fsm.storage.redis import RedisStorage
    from redis.asyncio import Redis
    from redis.exceptions import RedisError

    from bot.services.limit_state import RedisLimitState
    from bot.services.running import SharedRunningAnswers
    from bot.services.told_once import RedisToldOnce

    redis = Redis.from_url(url, socket_connect_timeout=10)
    stack.push_async_callback(redis.aclose)
    try:
        await cast("Awaitable[bool]", redis.ping())
    except (RedisError, OSError) as error:
        parts = urlsplit(url)
        sys.stderr.write(
            f"Redis error: cannot reach {parts.hostname}:{parts.port or 6379}"
            f" ({type(error).__name__}); check REDIS_URL\n"
        )
        raise SystemExit(2) from None
    logger.info("Sharing limits, conversation states, notices and models through Redis")
    # States nobody finishes are forgotten after a day, as in memory.
    fsm = RedisStorage(redis, state_ttl=int(DAY), data_ttl=int(DAY))

    def told_once(name: str) -> ToldOnceSet:
        return RedisToldOnce(redis, name)

    catalogue = SharedCatalogue(redis, settings.catalogue_ttl_seconds)
    running = SharedRunningAnswers(redis)
    listening = asyncio.create_task(running.listen())
    stack.push_async_callback(_cancelled, listening)  # before redis.aclose (last in, first out)
    return SharedState(RedisLimitState(redis), fsm, told_once, catalogue, running)


async def _cancelled(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
