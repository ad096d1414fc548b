"""`python -m bot doctor`: checks a deployment and prints a ✓/⚠/✗ checklist (or JSON)."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable

from aiogram import Bot

from bot.config import Settings
from bot.doctor.context import DoctorContext
from bot.doctor.report import exit_code, redact, render_json, render_text
from bot.doctor.runner import diagnose, load
from bot.logging_setup import setup_logging

__all__ = ["run_doctor"]


def run_doctor(*, live: bool, as_json: bool, create_bot: Callable[[Settings], Bot]) -> int:
    """Print the report; the exit code is 1 when any check failed, else 0."""
    settings, settings_checks = load()
    secrets = settings.secrets() if settings is not None else []
    # Only errors reach the log: everything the operator needs is in the report.
    setup_logging("ERROR", secrets)
    ctx = DoctorContext(settings, live, create_bot) if settings is not None else None
    checks = redact([*settings_checks, *asyncio.run(diagnose(ctx))], _with_parts(secrets))
    sys.stdout.write(render_json(checks) if as_json else render_text(checks))
    return exit_code(checks)


def _with_parts(secrets: list[str]) -> list[str]:
    """The bot token's secret half alone is a secret too."""
    return [*secrets, *(s.partition(":")[2] for s in secrets if ":" in s)]
