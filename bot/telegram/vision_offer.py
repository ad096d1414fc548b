"""The one-tap switch to a model that can see images, and the message waiting for it.

The refused message is kept in memory for a while so that it can be answered right after
the switch; after a restart (or once it expired) the user is asked to send it again.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.bounded import PendingByToken
from bot.services.catalogue import Catalogue, ModelKind, model_key
from bot.telegram.attachments import MediaMessage
from storage import ConversationKey


class VisionSwitch(CallbackData, prefix="vsw"):
    user_id: int  # only the sender may press it (groups)
    model: str  # the catalogue key of the suggested model (10 characters)
    token: int  # the pending message, 0 when there is none


@dataclass(frozen=True, slots=True)
class PendingMedia:
    media: MediaMessage
    conversation: ConversationKey


def pending_media_store() -> PendingByToken[PendingMedia]:
    """Messages waiting for a vision model, taken back only by their sender."""
    return PendingByToken(lambda pending: pending.conversation.user_id)


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
