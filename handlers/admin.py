"""Admin commands: /stats, /balance, /allow, /deny — in an admin's private chat only.

For anyone else these handlers do not match, so the message falls through to the usual
"unknown command" reply and nothing reveals that the commands exist.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

from aiogram import Router
from aiogram.enums import ChatType
from aiogram.filters import Command, CommandObject, Filter
from aiogram.types import Message
from aiogram_i18n import I18nContext

from bot.i18n import tr
from bot.services.access import AccessPolicy, AllowOutcome, DenyOutcome
from bot.services.balance import BalanceService
from bot.services.errors import PolzaError
from bot.services.usage import AdminStats, UsageService, rub_amount
from bot.telegram.usage_texts import yes_no

logger = logging.getLogger(__name__)

USER_ID = re.compile(r"\d{1,19}")

_ALLOW_KEYS = {
    AllowOutcome.ALLOWED: "admin-allowed",
    AllowOutcome.ALLOWED_NOW_INVITE_ONLY: "admin-allowed-invite-only",
    AllowOutcome.ALREADY_ALLOWED: "admin-already-allowed",
    AllowOutcome.ADMIN: "admin-allow-admin",
}
_DENY_KEYS = {
    DenyOutcome.DENIED: "admin-denied",
    DenyOutcome.DENIED_NOW_OPEN: "admin-denied-now-open",
    DenyOutcome.ALREADY_DENIED: "admin-already-denied",
    DenyOutcome.ADMIN: "admin-deny-admin",
}


class IsAdmin(Filter):
    """A message from an admin in their private chat with the bot."""

    async def __call__(self, message: Message, access: AccessPolicy) -> bool:
        return (
            message.chat.type == ChatType.PRIVATE
            and message.from_user is not None
            and access.is_admin(message.from_user.id)
        )


def stats_text(i18n: I18nContext, stats: AdminStats) -> str:
    lines = [
        tr(i18n, "admin-stats-title"),
        tr(i18n, "admin-stats-users", users=stats.users, active=stats.today.users),
        "",
    ]
    lines.extend(
        tr(
            i18n,
            "admin-stats-period",
            period=name,
            requests=totals.requests,
            cost=rub_amount(totals.cost_rub),
            approx=yes_no(totals.approximate),
        )
        for name, totals in (("today", stats.today), ("month", stats.month))
    )
    lines += ["", tr(i18n, "admin-stats-top-title")]
    lines.extend(
        tr(
            i18n,
            "admin-stats-top-line",
            place=place,
            user=str(spender.user_id),
            requests=spender.requests,
            cost=rub_amount(spender.cost_rub),
            approx=yes_no(spender.approximate),
        )
        for place, spender in enumerate(stats.top_month, start=1)
    )
    if not stats.top_month:
        lines.append(tr(i18n, "admin-stats-top-none"))
    return "\n".join(lines)


def _ids(i18n: I18nContext, ids: Iterable[int]) -> str:
    return ", ".join(str(user_id) for user_id in ids) or tr(i18n, "admin-access-none")


async def access_text(i18n: I18nContext, access: AccessPolicy, usage_key: str) -> str:
    overview = await access.overview()
    return "\n\n".join(
        [
            tr(i18n, usage_key),
            tr(i18n, "admin-access-mode", open=yes_no(overview.open_to_everyone)),
            tr(
                i18n,
                "admin-access-lists",
                settings=_ids(i18n, overview.from_settings),
                allowed=_ids(i18n, overview.allowed),
                denied=_ids(i18n, overview.denied),
            ),
        ]
    )


def _target(command: CommandObject) -> int | None:
    argument = (command.args or "").strip()
    return int(argument) if USER_ID.fullmatch(argument) else None


async def on_stats(message: Message, usage_service: UsageService, i18n: I18nContext) -> None:
    await message.answer(stats_text(i18n, await usage_service.admin_stats()))


async def on_balance(message: Message, balance_service: BalanceService, i18n: I18nContext) -> None:
    try:
        found = await balance_service.fetch()
    except PolzaError as error:
        logger.warning("Polza balance unavailable: %s", error.log_fields())
        await message.answer(
            tr(i18n, "admin-balance-failed", reason=str(error.status or error.kind.value))
        )
        return
    if found.available is None:
        await message.answer(tr(i18n, "admin-balance-legacy", amount=found.amount))
    else:
        await message.answer(
            tr(i18n, "admin-balance", amount=found.amount, available=found.available)
        )


async def on_allow(
    message: Message, command: CommandObject, access: AccessPolicy, i18n: I18nContext
) -> None:
    user_id = _target(command)
    if user_id is None:
        await message.answer(await access_text(i18n, access, "admin-allow-usage"))
        return
    outcome = await access.allow(user_id, by=message.from_user.id if message.from_user else None)
    logger.info("Access for user %s: %s", user_id, outcome.value)
    await message.answer(tr(i18n, _ALLOW_KEYS[outcome], id=str(user_id)))


async def on_deny(
    message: Message, command: CommandObject, access: AccessPolicy, i18n: I18nContext
) -> None:
    user_id = _target(command)
    if user_id is None:
        await message.answer(await access_text(i18n, access, "admin-deny-usage"))
        return
    outcome = await access.deny(user_id, by=message.from_user.id if message.from_user else None)
    logger.info("Access for user %s: %s", user_id, outcome.value)
    await message.answer(tr(i18n, _DENY_KEYS[outcome], id=str(user_id)))


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(on_stats, Command("stats"), IsAdmin())
    router.message.register(on_balance, Command("balance"), IsAdmin())
    router.message.register(on_allow, Command("allow"), IsAdmin())
    router.message.register(on_deny, Command("deny"), IsAdmin())
    return router
