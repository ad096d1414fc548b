"""/start and /help."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandStart
from aiogram.types import Message

from bot import texts
from bot.config import Settings
from storage import UserRecord

router = Router(name=__name__)


def _model(user_record: UserRecord | None, settings: Settings) -> str:
    if user_record is not None and user_record.chat_model:
        return user_record.chat_model
    return settings.default_chat_model


@router.message(CommandStart())
async def on_start(
    message: Message, settings: Settings, user_record: UserRecord | None = None
) -> None:
    name = message.from_user.first_name if message.from_user else "there"
    await message.answer(**texts.welcome(name, _model(user_record, settings)).as_kwargs())


@router.message(Command("help"))
async def on_help(
    message: Message, settings: Settings, user_record: UserRecord | None = None
) -> None:
    await message.answer(**texts.help_text(_model(user_record, settings)).as_kwargs())
