"""/reasoning: how hard a reasoning model should think (none, low, medium, high).

"None" sends no reasoning option at all, so the model behaves as it does by default. The
choice is sent only to models the catalogue lists as supporting reasoning.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from aiogram_i18n import I18nContext

from bot.i18n import tr
from bot.services.catalogue import ModelCatalogue
from bot.services.chat import REASONING_EFFORTS
from bot.services.model_choice import ModelResolver
from bot.services.model_lookup import catalogue_snapshot
from storage import UserRecord, UserRepository

NONE = "none"
CHOICES = (NONE, *REASONING_EFFORTS)


class ReasoningChoice(CallbackData, prefix="rsn"):
    effort: str


def reasoning_keyboard(i18n: I18nContext, current: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for effort in CHOICES:
        mark = "✓ " if effort == current else ""
        label = mark + i18n.get("reasoning-effort", effort=effort)
        builder.button(text=label, callback_data=ReasoningChoice(effort=effort))
    builder.adjust(len(CHOICES))
    return builder.as_markup()


async def on_reasoning(
    message: Message,
    catalogue: ModelCatalogue,
    models: ModelResolver,
    i18n: I18nContext,
    user_record: UserRecord | None = None,
) -> None:
    if user_record is None:
        return
    model = (await models.chat(user_record)).id
    snapshot = await catalogue_snapshot(catalogue)
    info = snapshot.get(model) if snapshot is not None else None
    current = user_record.reasoning_effort or NONE
    effort = tr(i18n, "reasoning-effort", effort=current)
    # An unknown model (or no catalogue) still gets the buttons: it may well reason.
    if info is not None and not info.supports_reasoning:
        await message.answer(tr(i18n, "reasoning-not-supported", model=model, effort=effort))
        return
    await message.answer(
        tr(i18n, "reasoning-choose", model=model, effort=effort),
        reply_markup=reasoning_keyboard(i18n, current),
    )


async def on_reasoning_chosen(
    query: CallbackQuery,
    callback_data: ReasoningChoice,
    users: UserRepository,
    i18n: I18nContext,
) -> None:
    effort = callback_data.effort
    if effort not in CHOICES:
        await query.answer(tr(i18n, "reasoning-expired"))
        return
    # The setting is per user: in a group, whoever presses sets their own.
    await users.set_reasoning_effort(query.from_user.id, None if effort == NONE else effort)
    await query.answer()
    if isinstance(query.message, Message):
        label = tr(i18n, "reasoning-effort", effort=effort)
        await query.message.edit_text(tr(i18n, "reasoning-set", effort=label), reply_markup=None)


# A button from an older keyboard that no longer parses.
async def on_stale_reasoning_button(query: CallbackQuery, i18n: I18nContext) -> None:
    await query.answer(tr(i18n, "reasoning-expired"))


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(on_reasoning, Command("reasoning"))
    router.callback_query.register(on_reasoning_chosen, ReasoningChoice.filter())
    router.callback_query.register(on_stale_reasoning_button, F.data.startswith("rsn:"))
    return router
