"""The one-tap switch to an image model that takes reference pictures, and the request waiting
for it (kept in memory for a while; after a restart the user is asked to send it again)."""

from __future__ import annotations

import itertools
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot.services.catalogue import Catalogue, ModelKind

PENDING_TTL_SECONDS = 30 * 60
MAX_PENDING = 1000


class ReferenceSwitch(CallbackData, prefix="isw"):
    user_id: int  # only the sender may press it (groups)
    model: str  # the catalogue key of the suggested model
    token: int  # the waiting request, 0 when there is none


@dataclass(frozen=True, slots=True)
class PendingImageRequest:
    message: Message
    user_id: int
    prompt: str
    ratio: str | None
    count: int
    sources: tuple[str, ...]
    created_at: float


class PendingImageRequests:
    """Requests waiting for a model switch, by token; bounded in number and age."""

    def __init__(
        self,
        ttl_seconds: float = PENDING_TTL_SECONDS,
        max_items: int = MAX_PENDING,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ttl = ttl_seconds
        self._max = max_items
        self._clock = clock
        self._items: OrderedDict[int, PendingImageRequest] = OrderedDict()
        self._tokens = itertools.count(1)

    def now(self) -> float:
        return self._clock()

    def put(self, request: PendingImageRequest) -> int:
        self._expire()
        token = next(self._tokens)
        self._items[token] = request
        while len(self._items) > self._max:
            self._items.popitem(last=False)
        return token

    def pop(self, token: int, user_id: int) -> PendingImageRequest | None:
        self._expire()
        pending = self._items.get(token)
        if pending is None or pending.user_id != user_id:
            return None
        del self._items[token]
        return pending

    def _expire(self) -> None:
        deadline = self._clock() - self._ttl
        while self._items:
            token, oldest = next(iter(self._items.items()))
            if oldest.created_at >= deadline:
                break
            del self._items[token]


def reference_model(snapshot: Catalogue | None, preferred: str, at_least: int) -> str | None:
    """The image model to offer for `at_least` references: `preferred` if it takes them,
    else the first listed image model that does; None if there is none."""
    if snapshot is None:
        return None
    candidates = snapshot.models(ModelKind.IMAGE)
    preferred_info = snapshot.get(preferred)
    if preferred_info is not None:
        candidates.insert(0, preferred_info)
    return next((m.id for m in candidates if m.max_references >= at_least), None)


def switch_markup(data: ReferenceSwitch, label: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=label, callback_data=data.pack())]]
    )
