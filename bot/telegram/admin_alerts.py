"""Delivers an admin alert: a private message to every admin, in their own language."""

from __future__ import annotations

import html
import logging
from collections.abc import Iterable
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram_i18n.cores import BaseCore

from bot.i18n import SUPPORTED_LANGUAGES
from bot.observability.alerts import Alert, AlertKind
from storage import UserRepository

logger = logging.getLogger(__name__)

ALERT_KEYS = {
    AlertKind.POLZA_AUTH: "alert-polza-auth",
    AlertKind.POLZA_BALANCE: "alert-polza-balance",
    AlertKind.LOW_BALANCE: "alert-low-balance",
    AlertKind.ERRORS: "alert-errors",
}


class TelegramAlertSender:
    def __init__(
        self,
        bot: Bot,
        admin_ids: Iterable[int],
        users: UserRepository,
        core: BaseCore[Any],
        default_language: str,
    ) -> None:
        self._bot = bot
        self._admin_ids = sorted(set(admin_ids))
        self._users = users
        self._core = core
        self._default_language = default_language

    async def __call__(self, alert: Alert) -> None:
        values = {key: html.escape(value) for key, value in alert.details.items()}
        for admin_id in self._admin_ids:
            language = await self._language(admin_id)
            text = self._core.get(ALERT_KEYS[alert.kind], language, **values)
            try:
                await self._bot.send_message(admin_id, text)
            except TelegramAPIError as error:
                # An admin who never opened the bot cannot be written to.
                logger.warning("Could not alert admin %s: %s", admin_id, error)

    async def _language(self, admin_id: int) -> str:
        record = await self._users.get(admin_id)
        if record is not None and record.language in SUPPORTED_LANGUAGES:
            return record.language
        return self._default_language
