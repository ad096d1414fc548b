"""aiogram FSM state in memory, without keeping an entry for every chat ever seen.

aiogram's MemoryStorage is a defaultdict: reading the state of an update's chat (which its FSM
middleware does for every update) creates an entry that is never removed. Here a read creates
nothing, an empty state is removed, and a state left alone for `ttl` seconds is forgotten (an
/image prompt nobody wrote, for one); at most `maxsize` are kept, the least recently set
dropped first.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from aiogram.exceptions import DataNotDictLikeError
from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, StateType, StorageKey
from aiogram.fsm.storage.memory import MemoryStorageRecord
from cachetools import TTLCache

from bot.bounded import DAY


class BoundedMemoryStorage(BaseStorage):
    def __init__(
        self, maxsize: int = 10_000, ttl: float = DAY, timer: Callable[[], float] = time.monotonic
    ) -> None:
        self._records: TTLCache[StorageKey, MemoryStorageRecord] = TTLCache(
            maxsize=maxsize, ttl=ttl, timer=timer
        )

    def __len__(self) -> int:
        return len(self._records)

    async def close(self) -> None:
        self._records.clear()

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        record = self._record(key)
        record.state = state.state if isinstance(state, State) else state
        self._keep(key, record)

    async def get_state(self, key: StorageKey) -> str | None:
        record = self._records.get(key)
        return record.state if record is not None else None

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        if not isinstance(data, dict):
            msg = f"Data must be a dict or dict-like object, got {type(data).__name__}"
            raise DataNotDictLikeError(msg)
        record = self._record(key)
        record.data = data.copy()
        self._keep(key, record)

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        record = self._records.get(key)
        return record.data.copy() if record is not None else {}

    def _record(self, key: StorageKey) -> MemoryStorageRecord:
        record = self._records.get(key)
        return MemoryStorageRecord() if record is None else record

    def _keep(self, key: StorageKey, record: MemoryStorageRecord) -> None:
        if record.state is None and not record.data:
            self._records.pop(key, None)
        else:
            self._records[key] = record  # (re)starts its time to live
