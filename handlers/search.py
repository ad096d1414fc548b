"""/search: web search for one question (`/search <question>`) or for every message
(`/search on` / `/search off`; `/search` alone shows the state with buttons).

The choice is per user: in a group, the user who sends the command (or presses a button)
sets their own.
"""

from __future__ import annotations

import contextlib

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from aiogram_i18n import I18nContext

from bot.i18n import tr
from bot.services.web_search import switch_of
from bot.telegram.addressing import Addressing
from bot.telegram.responder import Responder, Turn
from bot.telegram.settings_menu import refused_to_stranger, with_back
from handlers.chat import user_turn
from storage import UserRepository


class SearchChoice(CallbackData, prefix="srch"):
    on: bool


def search_keyboard(i18n: I18nContext, on: bool) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for value in (True, False):
        mark = "✓ " if value == on else ""
        label = mark + tr(i18n, "search-button", state="on" if value else "off")
        builder.button(text=label, callback_data=SearchChoice(on=value))
    builder.adjust(2)
    return builder.as_markup()


def state_text(i18n: I18nContext, on: bool) -> str:
    return tr(i18n, "search-state", state="on" if on else "off")


async def on_search(
    message: Message,
    command: CommandObject,
    turn: Turn,
    addressing: Addressing,
    responder: Responder,
    users: UserRepository,
) -> None:
    arguments = (command.args or "").strip()
    if not arguments:
        on = turn.user.web_search
        await turn.say(state_text(turn.i18n, on), search_keyboard(turn.i18n, on))
        return
    switch = switch_of(arguments)
    if switch is not None:
        await users.set_web_search(turn.user.id, switch)
        await turn.say(tr(turn.i18n, "search-set", state="on" if switch else "off"))
        return
    if await responder.within_limits(turn):
        question = Addressing(addressed=True, text=arguments, quoted=addressing.quoted)
        await responder.answer(turn, user_turn(question, has_media=False), web_search=True)


async def on_search_chosen(
    query: CallbackQuery,
    callback_data: SearchChoice,
    users: UserRepository,
    i18n: I18nContext,
) -> None:
    if await refused_to_stranger(query, i18n):
        return
    await users.set_web_search(query.from_user.id, callback_data.on)
    await query.answer()
    if isinstance(query.message, Message):
        state = "on" if callback_data.on else "off"
        with contextlib.suppress(TelegramBadRequest):  # pressed twice: "not modified"
            await query.message.edit_text(
                tr(i18n, "search-set", state=state),
                reply_markup=with_back(None, query.message, i18n),
            )


# A button from an older keyboard that no longer parses.
async def on_stale_search_button(query: CallbackQuery, i18n: I18nContext) -> None:
    await query.answer(tr(i18n, "search-expired"))


def create_router() -> Router:
    router = Router(name=__name__)
    # Text only: a file captioned "/search …" is still read (its caption goes to the model).
    router.message.register(on_search, Command("search"), F.text)
    router.callback_query.register(on_search_chosen, SearchChoice.filter())
    router.callback_query.register(on_stale_search_button, F.data.startswith("srch:"))
    return router
