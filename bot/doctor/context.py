"""What every group of checks receives, and how to read settings that may not exist yet."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiogram import Bot

from bot.config import Settings

# Every network request the doctor makes gives up after this long: it must never hang.
NETWORK_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True, slots=True)
class DoctorContext:
    settings: Settings
    live: bool
    # The bot's own Bot factory, so the doctor talks to Telegram exactly as the bot does.
    create_bot: Callable[[Settings], Bot]


def optional_setting(settings: Settings, name: str) -> Any | None:
    """A setting's value, or None when this version of Settings has no such field.

    Some settings (TTS_MODEL, ALLOWED_MODELS, DATABASE_URL, BALANCE_ALERT_RUB, …) arrive with
    other features; each check for them lives here already and starts working once they land.
    """
    if name not in type(settings).model_fields:
        return None
    return getattr(settings, name)


def masked_token(token: str) -> str:
    """`123456:…`: the bot id part is public, the rest is the secret."""
    bot_id, colon, _ = token.partition(":")
    return f"{bot_id}:…" if colon and bot_id.isdigit() else "…"
