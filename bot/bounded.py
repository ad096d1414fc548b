"""Memory that stays bounded however many chats the bot ever sees (cachetools' TTLCache)."""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from cachetools import TTLCache

K = TypeVar("K", bound=Hashable)

DAY = 24 * 3600.0


class ToldOnce(Generic[K]):
    """Keys already told something, so they are told only once.

    Remembered for `ttl` seconds and at most `maxsize` at a time (the least recently told
    forgotten first): someone forgotten is simply told again, once.
    """

    def __init__(
        self, maxsize: int = 10_000, ttl: float = DAY, timer: Callable[[], float] = time.monotonic
    ) -> None:
        self._told: TTLCache[K, bool] = TTLCache(maxsize=maxsize, ttl=ttl, timer=timer)

    def first_time(self, key: K) -> bool:
        """True the first time `key` is seen (and remembers it), False after."""
        if key in self._told:
            return False
        self._told[key] = True
        return True

    def forget(self, key: K) -> None:
        self._told.pop(key, None)

    def __contains__(self, key: object) -> bool:
        return key in self._told

    def __len__(self) -> int:
        return len(self._told)
