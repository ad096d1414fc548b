"""/model: browse Polza's catalogue and choose the chat, image and video models."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message
from aiogram_i18n import I18nContext

from bot.config import Settings
from bot.i18n import tr
from bot.services.catalogue import (
    Catalogue,
    CatalogueUnavailable,
    ModelCatalogue,
    ModelInfo,
    ModelKind,
)
from bot.services.model_choice import choose_model
from bot.services.model_filter import ModelFilter
from bot.telegram.model_picker import (
    ModelNav,
    ModelsTarget,
    NavAction,
    PickerState,
    PickerView,
    PickTarget,
    chosen_view,
    models_view,
    providers_view,
    resolve,
    search_view,
)
from bot.telegram.replies import reply_to
from bot.telegram.settings_menu import opened_by, with_back
from storage import UserRecord, UserRepository


async def on_model(
    message: Message,
    command: CommandObject,
    settings: Settings,
    catalogue: ModelCatalogue,
    model_filter: ModelFilter,
    i18n: I18nContext,
    user_record: UserRecord | None = None,
) -> None:
    if user_record is None:  # sent on behalf of a channel: there is no user to configure
        return
    try:
        snapshot = model_filter.restrict(await catalogue.get())
    except CatalogueUnavailable:
        await reply_to(message, tr(i18n, "model-catalogue-unavailable"))
        return
    state = picker_state(user_record, settings, snapshot, model_filter)
    query = (command.args or "").strip()
    if query:
        view = search_view(i18n, snapshot, state, query)
    else:
        view = providers_view(i18n, snapshot, state, ModelKind.CHAT)
    await reply_to(message, view.text, view.markup)


async def on_model_button(
    query: CallbackQuery,
    callback_data: ModelNav,
    settings: Settings,
    catalogue: ModelCatalogue,
    model_filter: ModelFilter,
    users: UserRepository,
    i18n: I18nContext,
    user_record: UserRecord | None = None,
) -> None:
    if callback_data.action is NavAction.NOOP:
        await query.answer()
        return
    message = query.message
    if not isinstance(message, Message) or user_record is None:
        await query.answer(tr(i18n, "model-expired"))
        return
    if not opened_by(query, message):
        await query.answer(tr(i18n, "model-not-yours"))
        return
    try:
        # Only allowed models: a button for any other one no longer resolves.
        snapshot = model_filter.restrict(await catalogue.get())
    except CatalogueUnavailable:
        await query.answer(tr(i18n, "model-catalogue-unavailable-short"))
        return
    target = resolve(callback_data, snapshot)
    if target is None:
        await query.answer(tr(i18n, "model-expired"))
        return
    if isinstance(target, PickTarget):
        await choose_model(users, user_record.id, target.model)
        state = picker_state(user_record, settings, snapshot, model_filter, chosen=target.model)
        view = chosen_view(i18n, snapshot, state, target.model)
    else:
        state = picker_state(user_record, settings, snapshot, model_filter)
        if isinstance(target, ModelsTarget):
            view = models_view(i18n, snapshot, state, target.kind, target.provider, target.page)
        else:
            view = providers_view(i18n, snapshot, state, target.kind, target.page)
    await query.answer()
    await _edit(message, view, i18n)


# A button of ours whose data no longer parses (an older layout, or forged).
async def on_unknown_model_button(query: CallbackQuery, i18n: I18nContext) -> None:
    await query.answer(tr(i18n, "model-expired"))


def picker_state(
    user_record: UserRecord,
    settings: Settings,
    snapshot: Catalogue,
    model_filter: ModelFilter,
    *,
    chosen: ModelInfo | None = None,
) -> PickerState:
    """The user's models as stored, or with `chosen` just picked (the record predates it)."""
    chat, image, video = user_record.chat_model, user_record.image_model, user_record.video_model
    if chosen is not None and chosen.kind is ModelKind.IMAGE:
        image = chosen.id
    elif chosen is not None and chosen.kind is ModelKind.VIDEO:
        video = chosen.id
    elif chosen is not None:
        chat = chosen.id
    return PickerState.build(
        chat_choice=chat,
        image_choice=image,
        default_chat=model_filter.chat_default(settings.default_chat_model, snapshot),
        default_image=settings.default_image_model,
        catalogue=snapshot,
        video_choice=video,
        default_video=settings.default_video_model,
    )


async def _edit(message: Message, view: PickerView, i18n: I18nContext) -> None:
    try:
        await message.edit_text(view.text, reply_markup=with_back(view.markup, message, i18n))
    except TelegramBadRequest as error:
        # Pressing the button of the page already shown: nothing to change.
        if "message is not modified" not in error.message:
            raise


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(on_model, Command("model"))
    router.callback_query.register(on_model_button, ModelNav.filter())
    router.callback_query.register(on_unknown_model_button, F.data.startswith("model:"))
    return router
