"""Memory that stays bounded however many chats the bot ever sees."""

from __future__ import annotations

import itertools
import time
from collections import OrderedDict
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


V = TypeVar("V")


class PendingByToken(Generic[V]):
    """Things waiting for a button press (a message to answer after a model switch), by token.

    At most `max_items` are kept (the oldest dropped first), each for `ttl_seconds`; only the
    user `owner(item)` names can take one back. Kept in memory: after a restart the user is
    asked to send it again.
    """

    def __init__(
        self,
        owner: Callable[[V], int],
        ttl_seconds: float = 30 * 60,
        max_items: int = 1000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._owner = owner
        self._ttl = ttl_seconds
        self._max = max_items
        self._clock = clock
        self._items: OrderedDict[int, tuple[float, V]] = OrderedDict()
        self._tokens = itertools.count(1)

    def put(self, item: V) -> int:
        self._expire()
        token = next(self._tokens)
        self._items[token] = (self._clock(), item)
        while len(self._items) > self._max:
            self._items.popitem(last=False)
        return token

    def pop(self, token: int, user_id: int) -> V | None:
        """The item behind `token`, taken out, if it is still kept and `user_id`'s."""
        self._expire()
        kept = self._items.get(token)
        if kept is None or self._owner(kept[1]) != user_id:
            return None
        del self._items[token]
        return kept[1]

    def _expire(self) -> None:
        deadline = self._clock() - self._ttl
        while self._items:
            token, (created_at, _) = next(iter(self._items.items()))
            if created_at >= deadline:
                break
            del self._items[token]
