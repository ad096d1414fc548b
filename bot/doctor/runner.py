"""Runs every group of checks, each with a deadline, and turns crashes into ✗ lines."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from pydantic import ValidationError

from bot.config import Settings
from bot.doctor.access import check_access
from bot.doctor.context import DoctorContext
from bot.doctor.ffmpeg import check_ffmpeg
from bot.doctor.polza import check_polza
from bot.doctor.report import Check, fail, ok, skip
from bot.doctor.storage import check_storage
from bot.doctor.telegram import check_telegram
from bot.settings_problems import settings_problems

logger = logging.getLogger(__name__)

# Far above any single request's timeout: only a check that hangs in a new way reaches it.
GROUP_TIMEOUT_SECONDS = 90.0

Group = tuple[str, Callable[[DoctorContext], Awaitable[list[Check]]]]


async def _ffmpeg(ctx: DoctorContext) -> list[Check]:
    return await check_ffmpeg()


# The order of the report. A new group of checks is one line here.
GROUPS: tuple[Group, ...] = (
    ("Telegram", check_telegram),
    ("Polza", check_polza),
    ("Storage", check_storage),
    ("ffmpeg", _ffmpeg),
    ("Access", check_access),
)


def load() -> tuple[Settings | None, list[Check]]:
    """The settings and the Settings line(s): every problem at once, as start-up words them."""
    try:
        settings = Settings()  # filled from the environment
    except ValidationError as error:
        return None, [
            fail("Settings", "Settings", problem, "see .env.example for what each setting takes")
            for problem in settings_problems(error)
        ]
    return settings, [ok("Settings", "Settings", "all valid (environment and .env)")]


async def _guarded(name: str, checks: Awaitable[list[Check]]) -> list[Check]:
    try:
        async with asyncio.timeout(GROUP_TIMEOUT_SECONDS):
            return await checks
    except TimeoutError:
        return [fail(name, "Checks", "did not finish in time", "run the doctor again")]
    except Exception as error:
        logger.exception("The %s checks crashed", name)
        return [
            fail(
                name,
                "Checks",
                f"crashed: {type(error).__name__}: {error}",
                "please report this with the output above",
            )
        ]


async def diagnose(ctx: DoctorContext | None) -> list[Check]:
    """Every check that can run, concurrently; without settings, only the ones needing none."""
    if ctx is None:
        skipped = skip(
            "Other checks", "Telegram, Polza, storage, access", "skipped until the settings load"
        )
        return [skipped, *await _guarded("ffmpeg", check_ffmpeg())]
    results = await asyncio.gather(*(_guarded(name, check(ctx)) for name, check in GROUPS))
    return [check for group in results for check in group]
