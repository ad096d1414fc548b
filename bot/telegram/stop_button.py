"""The inline Stop button shown on an answer while it streams by edits."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from storage import ConversationKey


class StopAnswer(CallbackData, prefix="stop"):
    chat_id: int
    user_id: int
    thread_id: int


def stop_markup(key: ConversationKey, label: str) -> InlineKeyboardMarkup:
    data = StopAnswer(chat_id=key.chat_id, user_id=key.user_id, thread_id=key.thread_id)
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=label, callback_data=data.pack())]]
    )
