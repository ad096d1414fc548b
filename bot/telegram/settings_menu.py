"""Telegram pieces of the /settings menu shared with the pickers it opens.

A picker opened from /settings is shown in the settings message itself, with a "⬅️ Back" row
under its own buttons. The pickers (model, mode, reasoning, language, cost line) keep that row
when they redraw the message (`with_back`), so one message goes there and back.
"""

from __future__ import annotations

from aiogram.enums import ChatType
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram_i18n import I18nContext

from bot.i18n import tr


class SettingsNav(CallbackData, prefix="set"):
    action: str  # "home": the menu in this message; "new": the menu as a new message; "open"
    row: str = ""  # the row to open


BACK_DATA = SettingsNav(action="home").pack()


def back_row(i18n: I18nContext) -> list[InlineKeyboardButton]:
    return [InlineKeyboardButton(text=tr(i18n, "settings-back"), callback_data=BACK_DATA)]


def opened_from_settings(message: Message) -> bool:
    markup = message.reply_markup
    if markup is None:
        return False
    return any(
        button.callback_data == BACK_DATA for row in markup.inline_keyboard for button in row
    )


def with_back(
    markup: InlineKeyboardMarkup | None, message: Message, i18n: I18nContext
) -> InlineKeyboardMarkup | None:
    """`markup`, plus the Back row when `message` is a picker opened from /settings."""
    if not opened_from_settings(message):
        return markup
    rows = list(markup.inline_keyboard) if markup is not None else []
    return InlineKeyboardMarkup(inline_keyboard=[*rows, back_row(i18n)])


async def refused_to_stranger(query: CallbackQuery, i18n: I18nContext) -> bool:
    """True (after a polite alert) when someone presses a menu another member opened."""
    if not isinstance(query.message, Message) or opened_by(query, query.message):
        return False
    await query.answer(tr(i18n, "menu-not-yours"), show_alert=True)
    return True


def opened_by(query: CallbackQuery, message: Message) -> bool:
    """In groups a menu replies to the command that opened it; only its sender may press it."""
    if message.chat.type == ChatType.PRIVATE or message.reply_to_message is None:
        return True
    opener = message.reply_to_message.from_user
    return opener is None or opener.id == query.from_user.id
