"""Admin commands: /stats, /balance, /allow, /deny — in an admin's private chat only.

For anyone else these handlers do not match, so the message falls through to the usual
"unknown command" reply and nothing reveals that the commands exist.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from aiogram import Router
from aiogram.enums import ChatType
from aiogram.filters import Command, CommandObject, Filter
from aiogram.types import Message
from aiogram_i18n import I18nContext

from bot.i18n import Html, tr
from bot.services.access import AccessPolicy, AllowOutcome, DenyOutcome
from bot.services.balance import BalanceService
from bot.services.errors import PolzaError
from bot.services.usage import AdminStats, UsageService, rub_amount
from bot.telegram.people import person_html
from bot.telegram.usage_texts import yes_no
from storage import Person, UserRepository

logger = logging.getLogger(__name__)

USER_ID = re.compile(r"\d+")
# Telegram user IDs have at most 52 significant bits (Bot API docs): well inside SQLite's
# 64-bit INTEGER, which a 19-digit number can overflow.
MAX_USER_ID = 2**52 - 1
# Telegram usernames: 5-32 letters, digits and underscores (a few short legacy ones exist).
USERNAME = re.compile(r"@?([A-Za-z][A-Za-z0-9_]{2,31})")

_ALLOW_KEYS = {
    AllowOutcome.ALLOWED: "admin-allowed",
    AllowOutcome.ALREADY_ALLOWED: "admin-already-allowed",
    AllowOutcome.ADMIN: "admin-allow-admin",
}
_DENY_KEYS = {
    DenyOutcome.DENIED: "admin-denied",
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


def stats_text(
    i18n: I18nContext, stats: AdminStats, people: Mapping[int, Person] | None = None
) -> str:
    people = people or {}
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
            user=person_html(people.get(spender.user_id), spender.user_id),
            requests=spender.requests,
            cost=rub_amount(spender.cost_rub),
            approx=yes_no(spender.approximate),
        )
        for place, spender in enumerate(stats.top_month, start=1)
    )
    if not stats.top_month:
        lines.append(tr(i18n, "admin-stats-top-none"))
    return "\n".join(lines)


def _ids(i18n: I18nContext, ids: Iterable[int], people: Mapping[int, Person]) -> str:
    listed = ", ".join(person_html(people.get(user_id), user_id) for user_id in ids)
    return listed or i18n.get("admin-access-none")


async def access_text(
    i18n: I18nContext, access: AccessPolicy, users: UserRepository, usage_key: str
) -> str:
    overview = await access.overview()
    people = await users.people(overview.from_settings + overview.allowed + overview.denied)
    return "\n\n".join(
        [
            tr(i18n, usage_key),
            tr(i18n, "admin-access-mode", open=yes_no(overview.open_to_everyone)),
            tr(
                i18n,
                "admin-access-lists",
                settings=Html(_ids(i18n, overview.from_settings, people)),
                allowed=Html(_ids(i18n, overview.allowed, people)),
                denied=Html(_ids(i18n, overview.denied, people)),
            ),
        ]
    )


@dataclass(frozen=True, slots=True)
class Target:
    """Whom /allow or /deny is about: an ID, or a username the bot has (not) seen."""

    user_id: int | None
    person: Person | None = None
    unknown_username: str | None = None
    bad_id: str | None = None  # digits, but no Telegram user ID


async def _target(command: CommandObject, users: UserRepository) -> Target | None:
    """None when the argument is neither an ID nor a username."""
    argument = (command.args or "").strip()
    if USER_ID.fullmatch(argument):
        user_id = int(argument)
        if not 0 < user_id <= MAX_USER_ID:
            return Target(None, bad_id=argument[:32])
        return Target(user_id, (await users.people([user_id])).get(user_id))
    match = USERNAME.fullmatch(argument)
    if match is None:
        return None
    person = await users.find_by_username(match.group(1))
    if person is None:
        return Target(None, unknown_username=match.group(1))
    return Target(person.id, person)


def _nobody_text(i18n: I18nContext, target: Target) -> str:
    if target.bad_id is not None:
        return tr(i18n, "admin-bad-id", id=target.bad_id, max=str(MAX_USER_ID))
    return tr(i18n, "admin-user-unknown", username=target.unknown_username)


async def on_stats(
    message: Message, usage_service: UsageService, users: UserRepository, i18n: I18nContext
) -> None:
    stats = await usage_service.admin_stats()
    people = await users.people(spender.user_id for spender in stats.top_month)
    await message.answer(stats_text(i18n, stats, people))


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
    message: Message,
    command: CommandObject,
    access: AccessPolicy,
    users: UserRepository,
    i18n: I18nContext,
) -> None:
    target = await _target(command, users)
    if target is None:
        await message.answer(await access_text(i18n, access, users, "admin-allow-usage"))
        return
    if target.user_id is None:
        await message.answer(_nobody_text(i18n, target))
        return
    by = message.from_user.id if message.from_user else None
    outcome = await access.allow(target.user_id, by=by)
    logger.info("Access for user %s: %s", target.user_id, outcome.value)
    user = person_html(target.person, target.user_id)
    await message.answer(tr(i18n, _ALLOW_KEYS[outcome], user=user))


async def on_deny(
    message: Message,
    command: CommandObject,
    access: AccessPolicy,
    users: UserRepository,
    i18n: I18nContext,
) -> None:
    target = await _target(command, users)
    if target is None:
        await message.answer(await access_text(i18n, access, users, "admin-deny-usage"))
        return
    if target.user_id is None:
        await message.answer(_nobody_text(i18n, target))
        return
    by = message.from_user.id if message.from_user else None
    outcome = await access.deny(target.user_id, by=by)
    logger.info("Access for user %s: %s", target.user_id, outcome.value)
    user = person_html(target.person, target.user_id)
    await message.answer(tr(i18n, _DENY_KEYS[outcome], user=user))


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(on_stats, Command("stats"), IsAdmin())
    router.message.register(on_balance, Command("balance"), IsAdmin())
    router.message.register(on_allow, Command("allow"), IsAdmin())
    router.message.register(on_deny, Command("deny"), IsAdmin())
    return router
