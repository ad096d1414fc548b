"""The one-tap switch to a model that can see images, and the message waiting for it.

The refused message is kept in memory for a while so that it can be answered right after
the switch; after a restart (or once it expired) the user is asked to send it again.
"""

from __future__ import annotations

import itertools
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.services.catalogue import Catalogue, ModelKind, model_key
from bot.telegram.attachments import MediaMessage
from storage import ConversationKey

PENDING_TTL_SECONDS = 30 * 60
MAX_PENDING = 1000


class VisionSwitch(CallbackData, prefix="vsw"):
    user_id: int  # only the sender may press it (groups)
    model: str  # the catalogue key of the suggested model (10 characters)
    token: int  # the pending message, 0 when there is none


@dataclass(frozen=True, slots=True)
class PendingMedia:
    media: MediaMessage
    conversation: ConversationKey
    created_at: float


class PendingMediaStore:
    """Messages waiting for a vision model, by token; bounded in number and age."""

    def __init__(
        self,
        ttl_seconds: float = PENDING_TTL_SECONDS,
        max_items: int = MAX_PENDING,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ttl = ttl_seconds
        self._max = max_items
        self._clock = clock
        self._items: OrderedDict[int, PendingMedia] = OrderedDict()
        self._tokens = itertools.count(1)

    def put(self, media: MediaMessage, conversation: ConversationKey) -> int:
        self._expire()
        token = next(self._tokens)
        self._items[token] = PendingMedia(media, conversation, self._clock())
        while len(self._items) > self._max:
            self._items.popitem(last=False)
        return token

    def pop(self, token: int, user_id: int) -> PendingMedia | None:
        self._expire()
        pending = self._items.get(token)
        if pending is None or pending.conversation.user_id != user_id:
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


def switch_markup(data: VisionSwitch, label: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=label, callback_data=data.pack())]]
    )


def switch_target(key: str, snapshot: Catalogue | None, preferred: str) -> str | None:
    """The model a pressed switch button stands for, if it is still a vision chat model."""
    if snapshot is None:
        return preferred if key == model_key(preferred) else None
    info = snapshot.by_key(key)
    if info is None or info.kind is not ModelKind.CHAT or not info.vision:
        return None
    return info.id
