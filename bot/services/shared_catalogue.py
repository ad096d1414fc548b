"""The model catalogue's raw entries kept in Redis (REDIS_URL) for every replica: one of
them asks Polza, under a short lock, when the key is missing or expired; the others read it.

Redis unreachable, Polza is asked directly: a request never fails for want of Redis.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from redis.asyncio import Redis

logger = logging.getLogger(__name__)

KEY = "polza-bot:catalogue"
# Held while one replica asks Polza; past it (a slow or killed replica) another one asks.
LOCK_SECONDS = 10.0
POLL_SECONDS = 0.1

Entries = list[Any]
Fetch = Callable[[], Awaitable[Entries]]


class SharedCatalogue:
    def __init__(self, redis: Redis, ttl_seconds: float) -> None:
        from redis.exceptions import RedisError

        self._redis = redis
        self._ttl_ms = max(1000, int(ttl_seconds * 1000))
        self._errors = (RedisError, OSError)

    async def entries(self, fetch: Fetch) -> tuple[Entries, float]:
        """The entries, and the seconds until they are due for a refresh."""
        try:
            return await self._shared(fetch)
        except self._errors as error:
            logger.warning("Redis unavailable for the model catalogue, asking Polza: %s", error)
            return await fetch(), self._ttl_ms / 1000

    async def _shared(self, fetch: Fetch) -> tuple[Entries, float]:
        deadline = asyncio.get_running_loop().time() + LOCK_SECONDS + 1
        while True:
            stored = await self._read()
            if stored is not None:
                return stored
            lock = self._redis.lock(KEY + ":lock", timeout=LOCK_SECONDS)
            if await lock.acquire(blocking=False):
                try:
                    return await self._fetch_and_save(fetch), self._ttl_ms / 1000
                finally:
                    await self._quietly(lock.release())
            if asyncio.get_running_loop().time() >= deadline:
                return await fetch(), self._ttl_ms / 1000
            await asyncio.sleep(POLL_SECONDS)

    async def _read(self) -> tuple[Entries, float] | None:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.get(KEY)
            pipe.pttl(KEY)
            raw, left_ms = await pipe.execute()
        if raw is None or left_ms <= 0:
            return None
        try:
            entries = json.loads(raw)
        except ValueError:
            return None
        return (entries, left_ms / 1000) if isinstance(entries, list) else None

    async def _fetch_and_save(self, fetch: Fetch) -> Entries:
        entries = await fetch()
        await self._quietly(self._redis.set(KEY, json.dumps(entries), px=self._ttl_ms))
        return entries

    async def _quietly(self, call: Awaitable[object]) -> None:
        try:
            await call
        except self._errors as error:
            logger.warning("Redis: could not share the model catalogue: %s", error)
