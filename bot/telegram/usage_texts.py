"""Texts about money and limits shown around answers (shared by several handlers)."""

from __future__ import annotations

import math

from aiogram_i18n import I18nContext

from bot.i18n import tr
from bot.services.limits import LimitVerdict
from bot.services.usage import rub_amount
from storage import UsageRecord


def cost_line(i18n: I18nContext, record: UsageRecord) -> str | None:
    """The Markdown line to put under an answer, or None when the cost is unknown."""
    if record.cost_rub is None:
        return None
    return tr(i18n, "cost-line", cost=rub_amount(record.cost_rub), approx=yes_no(record.estimated))


def limit_text(i18n: I18nContext, verdict: LimitVerdict) -> str:
    if verdict.kind == "rate_limit":
        return tr(
            i18n, "limit-rate", limit=int(verdict.limit), seconds=verdict.retry_after_seconds
        )
    if verdict.kind == "request_cost":
        return tr(
            i18n,
            "limit-request-cost",
            cost=rub_amount(verdict.requested or verdict.limit),
            limit=rub_amount(verdict.limit),
        )
    hours, minutes = divmod(math.ceil(verdict.retry_after_seconds / 60), 60)
    return tr(
        i18n,
        "limit-global" if verdict.kind == "global_budget" else "limit-daily",
        budget=rub_amount(verdict.limit),
        resets=verdict.resets_at.strftime("%H:%M"),
        timezone=str(verdict.resets_at.tzinfo),
        hours=hours,
        minutes=minutes,
    )


def yes_no(flag: bool) -> str:
    """A boolean as the selector value the Fluent catalogues expect."""
    return "yes" if flag else "no"
