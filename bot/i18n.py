"""The bot's own words in the user's language: Fluent catalogues through aiogram-i18n.

Catalogues live in `bot/locales/<lang>/*.ftl` as Telegram HTML; values passed into them are
HTML-escaped by `tr`. The model's answers are never translated — only the bot's own texts.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from aiogram import Dispatcher
from aiogram.types import User
from aiogram_i18n import I18nContext, I18nMiddleware
from aiogram_i18n.cores import FluentRuntimeCore
from aiogram_i18n.managers import BaseManager

from bot.lazy_fluent import LazyFluentCore
from bot.services.errors import PolzaError, PolzaErrorKind
from storage import UserRecord, UserRepository

LOCALES_DIR = Path(__file__).parent / "locales"
SUPPORTED_LANGUAGES = ("en", "ru")
LANGUAGE_NAMES = {"en": "English", "ru": "Русский"}
# Telegram clients in these languages get the Russian interface. Ukrainian ones get English
# until there is a complete Ukrainian catalogue.
RUSSIAN_SPEAKING = frozenset({"ru", "be", "kk"})


def language_for(language_code: str | None, default: str) -> str:
    """The interface language for a Telegram `language_code` seen on first contact."""
    if not language_code:
        return default
    base = language_code.split("-")[0].lower()
    return "ru" if base in RUSSIAN_SPEAKING else "en"


class Html(str):
    """Text that is Telegram HTML already: `tr` passes it on unescaped."""

    __slots__ = ()


def tr(i18n: I18nContext, key: str, /, **values: Any) -> str:
    """A catalogue text with every string value HTML-escaped (except `Html` values)."""
    escaped = {
        k: html.escape(v) if isinstance(v, str) and not isinstance(v, Html) else v
        for k, v in values.items()
    }
    return i18n.get(key, **escaped)


class UserLanguageManager(BaseManager):
    """The language stored with the user (set on first contact, changed with /language)."""

    def __init__(self, users: UserRepository, default_locale: str) -> None:
        super().__init__(default_locale=default_locale)
        self._users = users

    async def get_locale(
        self, user_record: UserRecord | None = None, event_from_user: User | None = None
    ) -> str:
        if user_record is not None and user_record.language in SUPPORTED_LANGUAGES:
            return user_record.language
        if event_from_user is not None:
            return language_for(event_from_user.language_code, self._default)
        return self._default

    async def set_locale(self, locale: str, event_from_user: User | None = None) -> None:
        if event_from_user is not None:
            await self._users.set_language(event_from_user.id, locale)

    @property
    def _default(self) -> str:
        return self.default_locale or "en"


def setup_i18n(
    dispatcher: Dispatcher, users: UserRepository, default_language: str
) -> FluentRuntimeCore:
    """Register the i18n middleware (as an outer update middleware) and return its core."""
    core = LazyFluentCore(path=LOCALES_DIR / "{locale}", default_locale=default_language)
    I18nMiddleware(
        core=core,
        manager=UserLanguageManager(users, default_language),
        default_locale=default_language,
    ).setup(dispatcher=dispatcher)
    return core


_ERROR_KEYS = {
    PolzaErrorKind.BALANCE: "error-balance",
    PolzaErrorKind.AUTH: "error-auth",
    PolzaErrorKind.MODEL_NOT_FOUND: "error-model-not-found",
    PolzaErrorKind.RATE_LIMITED: "error-rate-limited",
    PolzaErrorKind.UNAVAILABLE: "error-unavailable",
    PolzaErrorKind.TIMEOUT: "error-timeout",
    PolzaErrorKind.CONNECTION: "error-connection",
    PolzaErrorKind.EMPTY: "error-empty",
    PolzaErrorKind.LENGTH_EMPTY: "error-length-empty",
    PolzaErrorKind.STREAM_ERROR: "error-interrupted",
    PolzaErrorKind.INTERRUPTED: "error-interrupted",
    PolzaErrorKind.BAD_REQUEST: "error-bad-request",
}


def polza_error_text(i18n: I18nContext, error: PolzaError) -> str:
    key = _ERROR_KEYS.get(error.kind, "error-bad-request")
    return tr(i18n, key, model=error.model or "?", status=str(error.status or "?"))
