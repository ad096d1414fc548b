"""/mode: ready-made presets (translator, editor, programmer, …) or "my prompt"."""

from __future__ import annotations

import contextlib

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from aiogram_i18n import I18nContext

from bot.i18n import tr
from bot.services.modes import CUSTOM, MODES, mode_of
from bot.telegram.replies import reply_to
from bot.telegram.settings_menu import refused_to_stranger, with_back
from storage import UserRecord, UserRepository


class ModeChoice(CallbackData, prefix="mode"):
    mode: str


def mode_name(i18n: I18nContext, mode: str) -> str:
    return tr(i18n, "mode-name", mode=mode)


def mode_view(i18n: I18nContext, user_record: UserRecord) -> tuple[str, InlineKeyboardMarkup]:
    current = mode_of(user_record.chat_mode)
    builder = InlineKeyboardBuilder()
    for mode in MODES:
        mark = "✓ " if mode == current else ""
        builder.button(text=mark + mode_name(i18n, mode), callback_data=ModeChoice(mode=mode))
    builder.adjust(2)
    return tr(i18n, "mode-choose", mode=mode_name(i18n, current)), builder.as_markup()


async def on_mode(
    message: Message, i18n: I18nContext, user_record: UserRecord | None = None
) -> None:
    if user_record is None:  # on behalf of a channel: nobody to configure
        return
    text, markup = mode_view(i18n, user_record)
    await reply_to(message, text, markup)


async def on_mode_chosen(
    query: CallbackQuery,
    callback_data: ModeChoice,
    users: UserRepository,
    i18n: I18nContext,
    user_record: UserRecord | None = None,
) -> None:
    message = query.message
    if callback_data.mode not in MODES or user_record is None or not isinstance(message, Message):
        await query.answer(tr(i18n, "mode-expired"))
        return
    if await refused_to_stranger(query, i18n):
        return
    mode = callback_data.mode
    await users.set_chat_mode(user_record.id, mode)
    await query.answer()
    text = tr(i18n, "mode-set", mode=mode_name(i18n, mode))
    if mode == CUSTOM:
        key = "mode-custom-set" if user_record.personal_prompt else "mode-custom-empty"
        text += "\n" + tr(i18n, key)
    else:
        text += "\n" + tr(i18n, "mode-describe", mode=mode)
    with contextlib.suppress(TelegramBadRequest):  # pressed twice: "not modified"
        await message.edit_text(text, reply_markup=with_back(None, message, i18n))


async def on_stale_mode_button(query: CallbackQuery, i18n: I18nContext) -> None:
    await query.answer(tr(i18n, "mode-expired"))


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(on_mode, Command("mode"))
    router.callback_query.register(on_mode_chosen, ModeChoice.filter())
    router.callback_query.register(on_stale_mode_button, F.data.startswith("mode:"))
    return router
