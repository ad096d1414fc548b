"""Access and spending: who can use the bot, who runs it, and what caps the bill."""

from __future__ import annotations

import sqlite3

from bot.doctor.context import DoctorContext, optional_setting
from bot.doctor.report import Check, ok, warn
from storage.inspection import inspect_database

GROUP = "Access"


async def check_access(ctx: DoctorContext) -> list[Check]:
    return [
        await _mode(ctx),
        _admins(ctx),
        _daily_budget(ctx),
        *_global_budget(ctx),
        _rate_limit(ctx),
    ]


async def _runtime_allowed(ctx: DoctorContext) -> int:
    try:
        return (await inspect_database(ctx.settings.database_path)).runtime_allowed
    except (sqlite3.Error, OSError):
        return 0  # the storage checks report why


async def _mode(ctx: DoctorContext) -> Check:
    settings = ctx.settings
    declared = optional_setting(settings, "access_mode")
    listed = len(settings.allowed_user_ids)
    allowed = await _runtime_allowed(ctx)
    is_open = str(declared).lower() == "open" if declared else not (listed or allowed)
    if is_open:
        return warn(
            GROUP,
            "Who can use it",
            "anyone who finds the bot, on your Polza balance",
            "set ACCESS_MODE=invite (the default), then list users in ALLOWED_USER_IDS or"
            " /allow <id> as an admin",
        )
    return ok(
        GROUP,
        "Who can use it",
        f"invited users only: {listed} in ALLOWED_USER_IDS, {allowed} allowed with /allow",
    )


def _admins(ctx: DoctorContext) -> Check:
    admins = ctx.settings.admin_user_ids
    if not admins:
        return warn(
            GROUP,
            "Admins",
            "none: nobody can /allow, /deny, see /stats or /balance",
            "put your Telegram id into ADMIN_USER_IDS (the bot tells you your id when it"
            " refuses you), or send /start <code> with the pairing code the bot logs at start",
        )
    return ok(GROUP, "Admins", f"{len(admins)} in ADMIN_USER_IDS")


def _daily_budget(ctx: DoctorContext) -> Check:
    budget = ctx.settings.daily_budget_rub
    if not budget:
        return warn(
            GROUP,
            "Daily budget",
            "none: a user's spending per day is unlimited",
            "set DAILY_BUDGET_RUB (₽ per user per day; admins are exempt)",
        )
    return ok(GROUP, "Daily budget", f"{budget:g} ₽ per user per day")


def _global_budget(ctx: DoctorContext) -> list[Check]:
    budget = optional_setting(ctx.settings, "global_daily_budget_rub")
    if budget is None:
        return []
    if not budget:
        return [
            warn(
                GROUP,
                "Bot's daily budget",
                "none: all users together may spend without limit",
                "set GLOBAL_DAILY_BUDGET_RUB",
            )
        ]
    return [ok(GROUP, "Bot's daily budget", f"{float(budget):g} ₽ per day for everyone")]


def _rate_limit(ctx: DoctorContext) -> Check:
    limit = ctx.settings.rate_limit_per_minute
    if not limit:
        return warn(
            GROUP,
            "Rate limit",
            "none: one user can send requests as fast as they like",
            "set RATE_LIMIT_PER_MINUTE (requests per user per minute; admins are exempt)",
        )
    return ok(GROUP, "Rate limit", f"{limit} requests per user per minute")
