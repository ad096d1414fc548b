"""/reasoning: how hard a reasoning model thinks: off, low, medium, high (and minimal or xhigh
where the model's catalogue entry lists them), or the model's own default.

"Off" sends `effort: "none"`, which really switches reasoning off; a model whose catalogue
entry does not allow it gets a clear "cannot" and the choice stays as it was.
"""

from __future__ import annotations

import contextlib

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from aiogram_i18n import I18nContext

from bot.i18n import tr
from bot.services.catalogue import ModelCatalogue, ModelInfo
from bot.services.model_choice import ModelResolver
from bot.services.model_lookup import catalogue_snapshot
from bot.services.reasoning import LEVELS, OFF, offered
from bot.telegram.replies import reply_to
from bot.telegram.settings_menu import refused_to_stranger, with_back
from storage import UserRecord, UserRepository

AUTO = "auto"  # no reasoning option sent: the model's own default
CHOICES = (AUTO, *LEVELS)


class ReasoningChoice(CallbackData, prefix="rsn"):
    effort: str


def reasoning_keyboard(
    i18n: I18nContext, current: str, levels: tuple[str, ...]
) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for effort in (AUTO, *levels):
        mark = "✓ " if effort == current else ""
        label = mark + i18n.get("reasoning-effort", effort=effort)
        builder.button(text=label, callback_data=ReasoningChoice(effort=effort))
    builder.adjust(1, 3, 3)
    return builder.as_markup()


async def _model_info(
    user_record: UserRecord, models: ModelResolver, catalogue: ModelCatalogue
) -> tuple[str, ModelInfo | None]:
    model = (await models.chat(user_record)).id
    snapshot = await catalogue_snapshot(catalogue)
    return model, snapshot.get(model) if snapshot is not None else None


async def reasoning_view(
    i18n: I18nContext, user_record: UserRecord, models: ModelResolver, catalogue: ModelCatalogue
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The picker for the user's current chat model (text, buttons)."""
    model, info = await _model_info(user_record, models, catalogue)
    current = user_record.reasoning_effort or AUTO
    effort = tr(i18n, "reasoning-effort", effort=current)
    levels = offered(info)
    # An unknown model (or no catalogue) still gets the buttons: it may well reason.
    if not levels:
        return tr(i18n, "reasoning-not-supported", model=model, effort=effort), None
    text = tr(i18n, "reasoning-choose", model=model, effort=effort)
    if OFF not in levels:  # the button stays: pressing it says why it cannot
        text += "\n" + tr(i18n, "reasoning-no-off", model=model)
    return text, reasoning_keyboard(i18n, current, (OFF, *(x for x in levels if x != OFF)))


async def on_reasoning(
    message: Message,
    catalogue: ModelCatalogue,
    models: ModelResolver,
    i18n: I18nContext,
    user_record: UserRecord | None = None,
) -> None:
    if user_record is None:
        return
    text, markup = await reasoning_view(i18n, user_record, models, catalogue)
    await reply_to(message, text, markup)


async def on_reasoning_chosen(
    query: CallbackQuery,
    callback_data: ReasoningChoice,
    users: UserRepository,
    catalogue: ModelCatalogue,
    models: ModelResolver,
    i18n: I18nContext,
    user_record: UserRecord | None = None,
) -> None:
    effort = callback_data.effort
    if effort not in CHOICES or user_record is None:
        await query.answer(tr(i18n, "reasoning-expired"))
        return
    if await refused_to_stranger(query, i18n):
        return
    model, info = await _model_info(user_record, models, catalogue)
    if effort != AUTO and effort not in offered(info):
        key = "reasoning-off-unsupported" if effort == OFF else "reasoning-level-unsupported"
        await query.answer(tr(i18n, key, model=model), show_alert=True)
        return
    await users.set_reasoning_effort(user_record.id, None if effort == AUTO else effort)
    await query.answer()
    if isinstance(query.message, Message):
        label = tr(i18n, "reasoning-effort", effort=effort)
        with contextlib.suppress(TelegramBadRequest):  # pressed twice: "not modified"
            await query.message.edit_text(
                tr(i18n, "reasoning-set", effort=label, model=model),
                reply_markup=with_back(None, query.message, i18n),
            )


# A button from an older keyboard that no longer parses.
async def on_stale_reasoning_button(query: CallbackQuery, i18n: I18nContext) -> None:
    await query.answer(tr(i18n, "reasoning-expired"))


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(on_reasoning, Command("reasoning"))
    router.callback_query.register(on_reasoning_chosen, ReasoningChoice.filter())
    router.callback_query.register(on_stale_reasoning_button, F.data.startswith("rsn:"))
    return router
