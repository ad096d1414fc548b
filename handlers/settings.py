"""/settings: one message with every per-user setting; each row opens its picker in place.

The menu is the `ROWS` registry: a feature adds its setting by adding one `SettingRow` (its
button label, how its current value reads, and the picker it opens). Pickers are shown in the
settings message with a "⬅️ Back" row, which their own buttons keep (`with_back`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram_i18n import I18nContext

from bot.config import Settings
from bot.i18n import LANGUAGE_NAMES, tr
from bot.services.catalogue import CatalogueUnavailable, ModelCatalogue, ModelKind
from bot.services.model_choice import ModelResolver
from bot.services.model_filter import ModelFilter
from bot.services.modes import mode_of
from bot.services.usage import UsageService
from bot.telegram.model_picker import providers_view
from bot.telegram.replies import reply_to
from bot.telegram.settings_menu import SettingsNav, back_row, refused_to_stranger
from bot.telegram.voice_replies import voice_mode
from handlers.language import language_keyboard
from handlers.mode import mode_name, mode_view
from handlers.model import picker_state
from handlers.reasoning import AUTO, reasoning_view
from handlers.search import search_keyboard, state_text
from handlers.usage import cost_line_keyboard
from handlers.voice_settings import voice_mode_view, voicelang_text, voicelang_value
from storage import UserRecord

Screen = tuple[str, InlineKeyboardMarkup | None]


@dataclass(frozen=True, slots=True)
class SettingsContext:
    """What a row needs to read its value and open its picker."""

    user: UserRecord
    i18n: I18nContext
    settings: Settings
    catalogue: ModelCatalogue
    model_filter: ModelFilter
    models: ModelResolver
    usage_service: UsageService


@dataclass(frozen=True, slots=True)
class SettingRow:
    id: str
    label: str  # the Fluent key of its button and line
    value: Callable[[SettingsContext], Awaitable[str]]
    open: Callable[[SettingsContext], Awaitable[Screen]]


async def _chat_model(ctx: SettingsContext) -> str:
    return (await ctx.models.chat(ctx.user)).id


async def _image_model(ctx: SettingsContext) -> str:
    return ctx.user.image_model or ctx.settings.default_image_model


async def _model_picker(ctx: SettingsContext, kind: ModelKind) -> Screen:
    try:
        snapshot = ctx.model_filter.restrict(await ctx.catalogue.get())
    except CatalogueUnavailable:
        return tr(ctx.i18n, "model-catalogue-unavailable"), None
    state = picker_state(ctx.user, ctx.settings, snapshot, ctx.model_filter)
    view = providers_view(ctx.i18n, snapshot, state, kind)
    return view.text, view.markup


async def _open_chat_model(ctx: SettingsContext) -> Screen:
    return await _model_picker(ctx, ModelKind.CHAT)


async def _open_image_model(ctx: SettingsContext) -> Screen:
    return await _model_picker(ctx, ModelKind.IMAGE)


async def _mode(ctx: SettingsContext) -> str:
    return mode_name(ctx.i18n, mode_of(ctx.user.chat_mode))


async def _open_mode(ctx: SettingsContext) -> Screen:
    return mode_view(ctx.i18n, ctx.user)


async def _reasoning(ctx: SettingsContext) -> str:
    return tr(ctx.i18n, "reasoning-effort", effort=ctx.user.reasoning_effort or AUTO)


async def _open_reasoning(ctx: SettingsContext) -> Screen:
    return await reasoning_view(ctx.i18n, ctx.user, ctx.models, ctx.catalogue)


async def _language(ctx: SettingsContext) -> str:
    return LANGUAGE_NAMES.get(ctx.i18n.locale, ctx.i18n.locale)


async def _open_language(ctx: SettingsContext) -> Screen:
    return tr(ctx.i18n, "language-choose"), language_keyboard(ctx.i18n.locale)


async def _cost_line(ctx: SettingsContext) -> str:
    shown = await ctx.usage_service.wants_cost_line(ctx.user.id)
    return tr(ctx.i18n, "settings-on" if shown else "settings-off")


async def _open_cost_line(ctx: SettingsContext) -> Screen:
    shown = await ctx.usage_service.wants_cost_line(ctx.user.id)
    return tr(ctx.i18n, "settings-cost-line-about"), cost_line_keyboard(ctx.i18n, shown)


async def _web_search(ctx: SettingsContext) -> str:
    return tr(ctx.i18n, "settings-on" if ctx.user.web_search else "settings-off")


async def _open_web_search(ctx: SettingsContext) -> Screen:
    on = ctx.user.web_search
    return state_text(ctx.i18n, on), search_keyboard(ctx.i18n, on)


async def _voice_replies(ctx: SettingsContext) -> str:
    return tr(ctx.i18n, "voice-mode-button", mode=voice_mode(ctx.user.voice_replies))


async def _open_voice_replies(ctx: SettingsContext) -> Screen:
    return voice_mode_view(ctx.i18n, ctx.user)


async def _voice_language(ctx: SettingsContext) -> str:
    return voicelang_value(ctx.i18n, ctx.user, ctx.settings.transcription_language)


async def _open_voice_language(ctx: SettingsContext) -> Screen:
    return voicelang_text(ctx.i18n, ctx.user, ctx.settings.transcription_language), None


ROWS: tuple[SettingRow, ...] = (
    SettingRow("chat_model", "settings-row-chat-model", _chat_model, _open_chat_model),
    SettingRow("image_model", "settings-row-image-model", _image_model, _open_image_model),
    SettingRow("mode", "settings-row-mode", _mode, _open_mode),
    SettingRow("reasoning", "settings-row-reasoning", _reasoning, _open_reasoning),
    SettingRow("language", "settings-row-language", _language, _open_language),
    SettingRow("web_search", "settings-row-web-search", _web_search, _open_web_search),
    SettingRow("voice_replies", "settings-row-voice", _voice_replies, _open_voice_replies),
    SettingRow("voice_language", "settings-row-voicelang", _voice_language, _open_voice_language),
    SettingRow("cost_line", "settings-row-cost-line", _cost_line, _open_cost_line),
)
_BY_ID = {row.id: row for row in ROWS}


async def home_screen(ctx: SettingsContext) -> Screen:
    lines = [tr(ctx.i18n, "settings-title")]
    buttons: list[list[InlineKeyboardButton]] = []
    for row in ROWS:
        label = tr(ctx.i18n, row.label)
        lines.append(tr(ctx.i18n, "settings-line", label=label, value=await row.value(ctx)))
        data = SettingsNav(action="open", row=row.id).pack()
        buttons.append([InlineKeyboardButton(text=label, callback_data=data)])
    lines.append(tr(ctx.i18n, "settings-hint"))
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=buttons)


def _context(
    user_record: UserRecord,
    i18n: I18nContext,
    settings: Settings,
    catalogue: ModelCatalogue,
    model_filter: ModelFilter,
    models: ModelResolver,
    usage_service: UsageService,
) -> SettingsContext:
    return SettingsContext(
        user_record, i18n, settings, catalogue, model_filter, models, usage_service
    )


async def on_settings(
    message: Message,
    i18n: I18nContext,
    settings: Settings,
    catalogue: ModelCatalogue,
    model_filter: ModelFilter,
    models: ModelResolver,
    usage_service: UsageService,
    user_record: UserRecord | None = None,
) -> None:
    if user_record is None:  # on behalf of a channel: nobody to configure
        return
    ctx = _context(user_record, i18n, settings, catalogue, model_filter, models, usage_service)
    text, markup = await home_screen(ctx)
    await reply_to(message, text, markup)


async def on_settings_button(
    query: CallbackQuery,
    callback_data: SettingsNav,
    i18n: I18nContext,
    settings: Settings,
    catalogue: ModelCatalogue,
    model_filter: ModelFilter,
    models: ModelResolver,
    usage_service: UsageService,
    user_record: UserRecord | None = None,
) -> None:
    message = query.message
    if not isinstance(message, Message) or user_record is None:
        await query.answer(tr(i18n, "settings-expired"))
        return
    if await refused_to_stranger(query, i18n):
        return
    ctx = _context(user_record, i18n, settings, catalogue, model_filter, models, usage_service)
    if callback_data.action == "new":  # the button under /start: a menu of its own
        await query.answer()
        text, markup = await home_screen(ctx)
        await message.answer(text, reply_markup=markup)
        return
    if callback_data.action == "home":
        text, markup = await home_screen(ctx)
    elif (row := _BY_ID.get(callback_data.row)) is not None and callback_data.action == "open":
        text, picker = await row.open(ctx)
        rows = list(picker.inline_keyboard) if picker is not None else []
        markup = InlineKeyboardMarkup(inline_keyboard=[*rows, back_row(i18n)])
    else:  # a row that no longer exists
        await query.answer(tr(i18n, "settings-expired"))
        return
    await query.answer()
    with contextlib.suppress(TelegramBadRequest):  # pressed twice: "not modified"
        await message.edit_text(text, reply_markup=markup)


async def on_stale_settings_button(query: CallbackQuery, i18n: I18nContext) -> None:
    await query.answer(tr(i18n, "settings-expired"))


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(on_settings, Command("settings"))
    router.callback_query.register(on_settings_button, SettingsNav.filter())
    router.callback_query.register(on_stale_settings_button, F.data.startswith("set:"))
    return router
