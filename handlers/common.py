"""/start (with the owner's pairing code too) and /help."""

from __future__ import annotations

import logging

from aiogram import Router
from aiogram.enums import ChatType
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram_i18n import I18nContext

from bot.config import Settings
from bot.i18n import tr
from bot.services.access import AccessPolicy
from bot.telegram.settings_menu import SettingsNav
from storage import UserRecord

logger = logging.getLogger(__name__)


def _model(user_record: UserRecord | None, settings: Settings) -> str:
    if user_record is not None and user_record.chat_model:
        return user_record.chat_model
    return settings.default_chat_model


async def on_start(
    message: Message,
    command: CommandObject,
    settings: Settings,
    access: AccessPolicy,
    i18n: I18nContext,
    user_record: UserRecord | None = None,
) -> None:
    user = message.from_user
    code = (command.args or "").strip()
    private = message.chat.type == ChatType.PRIVATE
    if code and user is not None and private and access.pairing_pending:
        if await access.pair(user.id, code):
            logger.warning("User %s paired as the bot's admin", user.id)
            await message.answer(tr(i18n, "pairing-done"))
        else:
            logger.info("User %s sent a wrong pairing code", user.id)
            await message.answer(tr(i18n, "pairing-failed"))
        return
    name = user.first_name if user else ""
    settings_button = InlineKeyboardButton(
        text=tr(i18n, "settings-open-button"), callback_data=SettingsNav(action="new").pack()
    )
    await message.answer(
        tr(i18n, "welcome", name=name, model=_model(user_record, settings)),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=[[settings_button]]),
    )


async def on_help(
    message: Message, settings: Settings, i18n: I18nContext, user_record: UserRecord | None = None
) -> None:
    await message.answer(tr(i18n, "help", model=_model(user_record, settings)))


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(on_start, CommandStart())
    router.message.register(on_help, Command("help"))
    return router
