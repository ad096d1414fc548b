"""Tells the user, at once, about a message refused on arrival (full queue or rate limit)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.exceptions import TelegramAPIError
from aiogram.types import TelegramObject
from aiogram_i18n import I18nContext

from bot.i18n import tr
from bot.middlewares import ARRIVAL_REFUSAL, ArrivalRefusal, incoming
from bot.telegram.albums import PendingAlbum
from bot.telegram.merging import settle_merged
from bot.telegram.replies import reply_to
from bot.telegram.usage_texts import limit_text

logger = logging.getLogger(__name__)

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class ArrivalRefusalMiddleware(BaseMiddleware):
    """Outer update middleware after the access check: strangers get the access refusal."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        refusal: ArrivalRefusal | None = data.get(ARRIVAL_REFUSAL)
        message = incoming(event)
        if refusal is None or message is None:
            return await handler(event, data)
        album: PendingAlbum | None = data.get("album")
        if album is not None:
            await album.complete()  # the other parts are settled with this refusal
        await settle_merged(data)  # so are merged pieces: one refusal, one rate slot
        i18n: I18nContext = data["i18n"]
        kind = refusal if isinstance(refusal, str) else refusal.kind
        user_id = message.from_user.id if message.from_user else None
        logger.info("Refused a message of user %s on arrival: %s", user_id, kind)
        text = tr(i18n, "queue-full") if isinstance(refusal, str) else limit_text(i18n, refusal)
        try:
            await reply_to(message, text)
        except TelegramAPIError as error:
            logger.info("Could not tell about a refused message: %s", error)
        return None
