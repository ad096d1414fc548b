"""/usage: the user's own spending, and the switch for the cost line under answers.

Also the texts other handlers show for the usage ledger: the cost line and limit refusals.
"""

from __future__ import annotations

import contextlib
from decimal import Decimal

from aiogram import F, Router
from aiogram.enums import ChatType
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from aiogram_i18n import I18nContext

from bot.i18n import tr
from bot.services.usage import PeriodUsage, UsageReport, UsageService, rub_amount
from bot.telegram.replies import reply_to as reply_text
from bot.telegram.settings_menu import refused_to_stranger, with_back
from bot.telegram.usage_texts import yes_no


class CostLineSwitch(CallbackData, prefix="costline"):
    show: bool


def _period_lines(i18n: I18nContext, name: str, period: PeriodUsage) -> list[str]:
    lines = [tr(i18n, "usage-period", period=name)]
    used = [kind for kind in period.kinds if kind.requests]
    if not used:
        return [*lines, tr(i18n, "usage-nothing")]
    lines.extend(
        tr(
            i18n,
            "usage-line",
            kind=kind.kind,
            requests=kind.requests,
            cost=rub_amount(kind.cost_rub),
            approx=yes_no(kind.approximate),
        )
        for kind in used
    )
    if len(used) > 1:
        lines.append(
            tr(
                i18n,
                "usage-line-total",
                requests=period.requests,
                cost=rub_amount(period.cost_rub),
                approx=yes_no(period.approximate),
            )
        )
    return lines


def report_text(
    i18n: I18nContext, report: UsageReport, timezone: str, unknown_price: Decimal
) -> str:
    periods = (("today", report.today), ("month", report.month), ("total", report.total))
    blocks = [tr(i18n, "usage-title")]
    blocks.extend("\n".join(_period_lines(i18n, name, period)) for name, period in periods)
    notes = [tr(i18n, "usage-timezone-note", timezone=timezone)]
    if report.total.approximate:
        notes.append(tr(i18n, "usage-approx-note", unknown=rub_amount(unknown_price)))
    blocks.append("\n".join(notes))
    return "\n\n".join(blocks)


def cost_line_keyboard(i18n: I18nContext, shown: bool) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    if shown:
        builder.button(
            text=tr(i18n, "usage-button-hide-cost"), callback_data=CostLineSwitch(show=False)
        )
    else:
        builder.button(
            text=tr(i18n, "usage-button-show-cost"), callback_data=CostLineSwitch(show=True)
        )
    return builder.as_markup()


async def on_usage(message: Message, usage_service: UsageService, i18n: I18nContext) -> None:
    if message.from_user is None:
        return
    user_id = message.from_user.id
    report = await usage_service.report(user_id)
    timezone = str(usage_service.timezone)
    text = report_text(i18n, report, timezone, usage_service.unknown_price_rub)
    if message.chat.type != ChatType.PRIVATE:
        # In a group the button would switch the setting of whoever pressed it.
        await reply_text(message, text)
        return
    shown = await usage_service.wants_cost_line(user_id)
    await message.answer(text, reply_markup=cost_line_keyboard(i18n, shown))


async def on_cost_line_switch(
    query: CallbackQuery,
    callback_data: CostLineSwitch,
    usage_service: UsageService,
    i18n: I18nContext,
) -> None:
    if await refused_to_stranger(query, i18n):
        return
    await usage_service.set_cost_line(query.from_user.id, callback_data.show)
    await query.answer(tr(i18n, "usage-cost-shown" if callback_data.show else "usage-cost-hidden"))
    if isinstance(query.message, Message):
        # A quick second press finds the button already switched ("message is not modified").
        with contextlib.suppress(TelegramBadRequest):
            markup = cost_line_keyboard(i18n, callback_data.show)
            await query.message.edit_reply_markup(
                reply_markup=with_back(markup, query.message, i18n)
            )


# A switch button from an older release whose data no longer parses: just stop the spinner.
async def on_stale_switch(query: CallbackQuery) -> None:
    await query.answer()


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(on_usage, Command("usage"))
    router.callback_query.register(on_cost_line_switch, CostLineSwitch.filter())
    router.callback_query.register(on_stale_switch, F.data.startswith("costline:"))
    return router
