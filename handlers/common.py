"""/start and /help."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandStart
from aiogram.types import Message
from aiogram_i18n import I18nContext

from bot.config import Settings
from bot.i18n import tr
from storage import UserRecord


def _model(user_record: UserRecord | None, settings: Settings) -> str:
    if user_record is not None and user_record.chat_model:
        return user_record.chat_model
    return settings.default_chat_model


async def on_start(
    message: Message, settings: Settings, i18n: I18nContext, user_record: UserRecord | None = None
) -> None:
    name = message.from_user.first_name if message.from_user else ""
    await message.answer(tr(i18n, "welcome", name=name, model=_model(user_record, settings)))


async def on_help(
    message: Message, settings: Settings, i18n: I18nContext, user_record: UserRecord | None = None
) -> None:
    await message.answer(tr(i18n, "help", model=_model(user_record, settings)))


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(on_start, CommandStart())
    router.message.register(on_help, Command("help"))
    return router
