"""Inline mode: `@bot question` in any chat, and the private chat taking over a slow answer."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.enums import ChatType
from aiogram.filters import CommandObject, CommandStart
from aiogram.types import InlineQuery, Message
from aiogram_i18n import I18nContext

from bot.i18n import tr
from bot.telegram.inline_mode import START_PREFIX, InlineMode
from bot.telegram.responder import Responder, Turn
from storage import UserRecord


async def on_inline_query(
    inline_query: InlineQuery,
    inline_mode: InlineMode,
    i18n: I18nContext,
    user_record: UserRecord | None = None,
) -> None:
    if user_record is None:
        await inline_query.answer([], cache_time=0, is_personal=True)
        return
    await inline_mode.handle(inline_query, i18n, user_record)


async def on_start_question(
    message: Message,
    command: CommandObject,
    inline_mode: InlineMode,
    responder: Responder,
    i18n: I18nContext,
    turn: Turn | None = None,
) -> None:
    """`/start ask-<token>` from the "open in the bot" button: answer the question here."""
    user = message.from_user
    if user is None or turn is None or message.chat.type != ChatType.PRIVATE:
        return
    if not await inline_mode.access.is_allowed(user.id):
        return  # let through only because an owner pairing code is pending
    token = (command.args or "").removeprefix(START_PREFIX)
    question = inline_mode.take_pending(user.id, token)
    if question is None:
        await message.answer(tr(i18n, "inline-question-expired"))
        return
    if await responder.within_limits(turn):
        await responder.answer(turn, question)


def create_router() -> Router:
    router = Router(name=__name__)
    router.inline_query.register(on_inline_query)
    router.message.register(
        on_start_question, CommandStart(deep_link=True, magic=F.args.startswith(START_PREFIX))
    )
    return router
