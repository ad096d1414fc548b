"""Last-resort error handling: log with context, apologise, never show a traceback."""

from __future__ import annotations

import contextlib
import logging

from aiogram import Bot, Router
from aiogram.types import ErrorEvent

from bot import texts

router = Router(name=__name__)
logger = logging.getLogger(__name__)


@router.error()
async def on_error(event: ErrorEvent, bot: Bot) -> bool:
    update = event.update
    message = update.message
    logger.error(
        "Unhandled error in update %s (chat %s, user %s)",
        update.update_id,
        message.chat.id if message else None,
        message.from_user.id if message and message.from_user else None,
        exc_info=event.exception,
    )
    if message is not None:
        with contextlib.suppress(Exception):
            await bot.send_message(message.chat.id, texts.GENERIC_APOLOGY)
    return True
