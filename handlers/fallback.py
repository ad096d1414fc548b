"""Whatever no other router took: unknown commands and unsupported message types."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.enums import ChatType
from aiogram.types import Message

from bot import texts

router = Router(name=__name__)
router.message.filter(F.chat.type == ChatType.PRIVATE)


@router.message(F.text.startswith("/"))
async def on_unknown_command(message: Message) -> None:
    await message.answer(texts.UNKNOWN_COMMAND)


@router.message()
async def on_unsupported(message: Message) -> None:
    await message.answer(texts.UNSUPPORTED_MESSAGE)
