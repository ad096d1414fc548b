"""The one-tap switch to an image model that takes reference pictures, and the request waiting
for it (kept in memory for a while; after a restart the user is asked to send it again)."""

from __future__ import annotations

from dataclasses import dataclass

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot.bounded import PendingByToken
from bot.services.catalogue import Catalogue, ModelKind


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


def pending_image_requests() -> PendingByToken[PendingImageRequest]:
    """Requests waiting for a model switch, taken back only by their sender."""
    return PendingByToken(lambda pending: pending.user_id)


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
