"""Whatever no other router took: unknown commands and unsupported message types."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.enums import ChatType
from aiogram.types import Message
from aiogram_i18n import I18nContext

from bot.i18n import tr

router = Router(name=__name__)
router.message.filter(F.chat.type == ChatType.PRIVATE)


@router.message(F.text.startswith("/"))
async def on_unknown_command(message: Message, i18n: I18nContext) -> None:
    await message.answer(tr(i18n, "unknown-command"))


@router.message()
async def on_unsupported(message: Message, i18n: I18nContext) -> None:
    await message.answer(tr(i18n, "unsupported-message"))
