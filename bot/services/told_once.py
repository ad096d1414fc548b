"""Who was already told something (refused users, unlisted groups), so they are told once:
this process's memory, or Redis (REDIS_URL), shared by every replica.

In Redis each entry is one key set with NX and the same expiry as in memory: the first
replica to set it is the one that tells.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Protocol

from bot.bounded import DAY, ToldOnce

if TYPE_CHECKING:
    from redis.asyncio import Redis

logger = logging.getLogger(__name__)

PREFIX = "polza-bot:told:"


class ToldOnceSet(Protocol):
    async def first_time(self, key: int) -> bool:
        """True the first time `key` is seen (and remembers it), False after."""
        ...

    async def forget(self, key: int) -> None: ...


class MemoryToldOnce:
    def __init__(self, ttl: float = DAY) -> None:
        self._told: ToldOnce[int] = ToldOnce(ttl=ttl)

    async def first_time(self, key: int) -> bool:
        # No await: a concurrent update of the same key sees it already told.
        return self._told.first_time(key)

    async def forget(self, key: int) -> None:
        self._told.forget(key)


class RedisToldOnce:
    """`name` keeps sets apart; Redis unreachable, this process's memory answers instead."""

    def __init__(self, redis: Redis, name: str, ttl: float = DAY) -> None:
        from redis.exceptions import RedisError

        self._redis = redis
        self._prefix = f"{PREFIX}{name}:"
        self._ttl = max(1, int(ttl))
        self._errors = (RedisError, OSError)
        self._fallback = MemoryToldOnce(ttl)

    async def first_time(self, key: int) -> bool:
        try:
            return bool(await self._redis.set(self._prefix + str(key), 1, nx=True, ex=self._ttl))
        except self._errors as error:
            logger.warning("Redis unavailable for told-once notices, using memory: %s", error)
            return await self._fallback.first_time(key)

    async def forget(self, key: int) -> None:
        await self._fallback.forget(key)
        try:
            await self._redis.delete(self._prefix + str(key))
        except self._errors as error:
            logger.warning("Redis unavailable for told-once notices: %s", error)
