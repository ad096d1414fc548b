"""/language: choose the interface language with inline buttons."""

from __future__ import annotations

import contextlib

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from aiogram_i18n import I18nContext

from bot.i18n import LANGUAGE_NAMES, SUPPORTED_LANGUAGES, tr
from bot.telegram.settings_menu import refused_to_stranger, with_back


class LanguageChoice(CallbackData, prefix="lang"):
    code: str


def language_keyboard(current: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for code in SUPPORTED_LANGUAGES:
        mark = "✓ " if code == current else ""
        builder.button(text=mark + LANGUAGE_NAMES[code], callback_data=LanguageChoice(code=code))
    return builder.as_markup()


async def on_language(message: Message, i18n: I18nContext) -> None:
    await message.answer(tr(i18n, "language-choose"), reply_markup=language_keyboard(i18n.locale))


async def on_language_chosen(
    query: CallbackQuery, callback_data: LanguageChoice, i18n: I18nContext
) -> None:
    if callback_data.code not in SUPPORTED_LANGUAGES:
        await query.answer(tr(i18n, "language-unknown"))
        return
    if await refused_to_stranger(query, i18n):
        return
    await i18n.set_locale(callback_data.code)
    await query.answer()
    if isinstance(query.message, Message):
        with contextlib.suppress(TelegramBadRequest):  # pressed twice: "not modified"
            await query.message.edit_text(
                tr(i18n, "language-set"), reply_markup=with_back(None, query.message, i18n)
            )


# Any other button press on a language keyboard that no longer parses.
async def on_stale_language_button(query: CallbackQuery, i18n: I18nContext) -> None:
    await query.answer(tr(i18n, "language-unknown"))


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(on_language, Command("language", "lang"))
    router.callback_query.register(on_language_chosen, LanguageChoice.filter())
    router.callback_query.register(on_stale_language_button, F.data.startswith("lang:"))
    return router
