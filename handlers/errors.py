"""Last-resort error handling: log with context, apologise, never show a traceback."""

from __future__ import annotations

import contextlib
import logging

from aiogram import Bot, Router
from aiogram.types import ErrorEvent
from aiogram_i18n import I18nContext

from bot.i18n import tr
from bot.observability.alerts import AdminAlerts

logger = logging.getLogger(__name__)


async def on_error(
    event: ErrorEvent,
    bot: Bot,
    i18n: I18nContext | None = None,
    admin_alerts: AdminAlerts | None = None,
) -> bool:
    if admin_alerts is not None:
        admin_alerts.unexpected_error()
    update = event.update
    message = update.message
    logger.error(
        "Unhandled error in update %s (chat %s, user %s)",
        update.update_id,
        message.chat.id if message else None,
        message.from_user.id if message and message.from_user else None,
        exc_info=event.exception,
    )
    if message is not None and i18n is not None:
        with contextlib.suppress(Exception):
            await bot.send_message(message.chat.id, tr(i18n, "generic-apology"))
    return True


def create_router() -> Router:
    router = Router(name=__name__)
    router.error.register(on_error)
    return router
