"""The "/" command menus: the user commands for everyone, plus the admin ones for admins.

Admins get their menu in their own private chat (`BotCommandScopeChat`), so nobody else
ever sees an admin command listed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import BotCommand, BotCommandScopeChat
from aiogram_i18n.cores import BaseCore

logger = logging.getLogger(__name__)

USER_COMMANDS = (
    "new",
    "chats",
    "settings",
    "mode",
    "model",
    "image",
    "video",
    "usage",
    "prompt",
    "reasoning",
    "search",
    "voice",
    "voicelang",
    "cancel",
    "language",
    "id",
    "help",
)
ADMIN_COMMANDS = ("stats", "balance", "allow", "deny")


def command_menu(core: BaseCore[Any], language: str, names: Sequence[str]) -> list[BotCommand]:
    return [
        BotCommand(command=name, description=core.get(f"command-{name}", language))
        for name in names
    ]


async def register_command_menus(
    bot: Bot,
    core: BaseCore[Any],
    admin_ids: Iterable[int],
    languages: Sequence[str],
    *,
    default_language: str,
) -> None:
    """Set every menu; a menu Telegram refuses is logged and skipped, never raised."""
    for language in languages:
        code = None if language == default_language else language
        await _set(bot, command_menu(core, language, USER_COMMANDS), code, None)
    for admin_id in sorted(set(admin_ids)):
        scope = BotCommandScopeChat(chat_id=admin_id)
        for language in languages:
            code = None if language == default_language else language
            menu = command_menu(core, language, USER_COMMANDS + ADMIN_COMMANDS)
            # Telegram knows no chat with an admin who never opened the bot.
            if not await _set(bot, menu, code, scope):
                break


async def _set(
    bot: Bot,
    menu: list[BotCommand],
    language_code: str | None,
    scope: BotCommandScopeChat | None,
) -> bool:
    try:
        await bot.set_my_commands(menu, scope=scope, language_code=language_code)
    except TelegramAPIError as error:
        where = f"chat {scope.chat_id}" if scope else "everyone"
        logger.warning("Could not set the command menu for %s: %s", where, error)
        return False
    return True
