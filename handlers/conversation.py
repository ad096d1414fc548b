"""/new: forget the current conversation."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message
from aiogram_i18n import I18nContext

from bot.i18n import tr
from bot.services.chat import ChatService
from storage import ConversationKey


async def on_new(
    message: Message, chat_service: ChatService, conversation: ConversationKey, i18n: I18nContext
) -> None:
    removed = await chat_service.clear(conversation)
    await message.answer(tr(i18n, "conversation-cleared", count=removed))


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(on_new, Command("new", "reset", "clear"))
    return router
