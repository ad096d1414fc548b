"""Last-resort error handling: log with context, apologise, never show a traceback."""

from __future__ import annotations

import contextlib
import logging

from aiogram import Bot, Router
from aiogram.types import ErrorEvent
from aiogram_i18n import I18nContext

from bot.i18n import tr
from bot.observability.alerts import AdminAlerts
from bot.telegram.replies import topic_of

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
    query = update.callback_query
    message = update.message or (query.message if query is not None else None)
    sender = update.message.from_user if update.message else query.from_user if query else None
    logger.error(
        "Unhandled error in update %s (chat %s, user %s)",
        update.update_id,
        message.chat.id if message else None,
        sender.id if sender else None,
        exc_info=event.exception,
    )
    apology = tr(i18n, "generic-apology") if i18n is not None else None
    if query is not None:
        # Unanswered, the button keeps spinning in the client (fails if it was answered).
        with contextlib.suppress(Exception):
            await bot.answer_callback_query(query.id, text=apology)
    elif update.message is not None and apology is not None:
        with contextlib.suppress(Exception):
            await bot.send_message(
                update.message.chat.id, apology, message_thread_id=topic_of(update.message)
            )
    return True


def create_router() -> Router:
    router = Router(name=__name__)
    router.error.register(on_error)
    return router
