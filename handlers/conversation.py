"""/new: start a new conversation, keeping the old one. /chats: list, switch, delete, export."""

from __future__ import annotations

import contextlib
from zoneinfo import ZoneInfo

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from aiogram_i18n import I18nContext

from bot.config import Settings
from bot.conversation import conversation_of
from bot.i18n import tr
from bot.telegram.conversation_views import (
    PAGE_SIZE,
    ConvNav,
    View,
    card_view,
    confirm_view,
    export_filename,
    export_markdown,
    list_view,
    short_title,
    switched_view,
)
from bot.telegram.replies import reply_to
from bot.telegram.settings_menu import refused_to_stranger
from storage import ConversationKey, ConversationRepository


async def on_new(
    message: Message,
    conversations: ConversationRepository,
    conversation: ConversationKey,
    i18n: I18nContext,
) -> None:
    if await conversations.active_turns(conversation) == 0:
        await reply_to(message, tr(i18n, "conversation-already-new"))
        return
    await conversations.start_new(conversation)
    await reply_to(message, tr(i18n, "conversation-new"))


async def _list(
    conversations: ConversationRepository,
    key: ConversationKey,
    page: int,
    i18n: I18nContext,
    zone: ZoneInfo,
) -> View:
    items, total = await conversations.page(key, page * PAGE_SIZE, PAGE_SIZE)
    if not items and page > 0:  # the last page emptied by deletions: show the one before
        page = max(0, -(-total // PAGE_SIZE) - 1)
        items, total = await conversations.page(key, page * PAGE_SIZE, PAGE_SIZE)
    return list_view(i18n, items, total, page, zone)


async def on_chats(
    message: Message,
    conversations: ConversationRepository,
    conversation: ConversationKey,
    settings: Settings,
    i18n: I18nContext,
) -> None:
    view = await _list(conversations, conversation, 0, i18n, ZoneInfo(settings.timezone))
    await reply_to(message, view.text, view.markup)


async def on_chats_button(
    query: CallbackQuery,
    callback_data: ConvNav,
    conversations: ConversationRepository,
    settings: Settings,
    i18n: I18nContext,
) -> None:
    message = query.message
    if not isinstance(message, Message):
        await query.answer(tr(i18n, "chats-expired"))
        return
    if await refused_to_stranger(query, i18n):
        return
    key = conversation_of(query.from_user.id, message)
    zone = ZoneInfo(settings.timezone)
    action, page = callback_data.action, max(callback_data.page, 0)
    if action == "page":
        await query.answer()
        await _edit(message, await _list(conversations, key, page, i18n, zone))
        return
    if action == "new":
        await conversations.start_new(key)
        await query.answer(tr(i18n, "chats-started-new"))
        await _edit(message, await _list(conversations, key, page, i18n, zone))
        return
    item = await conversations.get(key, callback_data.id)
    if item is None:  # deleted meanwhile, or not theirs
        await query.answer(tr(i18n, "chats-gone"), show_alert=True)
        await _edit(message, await _list(conversations, key, page, i18n, zone))
        return
    if action == "open":
        await query.answer()
        await _edit(message, card_view(i18n, item, page, zone))
    elif action == "switch":
        await conversations.activate(key, item.id)
        await query.answer(tr(i18n, "chats-switched-short"))
        await _edit(message, switched_view(i18n, item, page))
    elif action == "delete":
        await query.answer()
        await _edit(message, confirm_view(i18n, item, page))
    elif action == "confirm":
        await conversations.delete(key, item.id)
        await query.answer(tr(i18n, "chats-deleted", title=short_title(i18n, item.title)))
        await _edit(message, await _list(conversations, key, page, i18n, zone))
    elif action == "export":
        await query.answer()
        turns = await conversations.turns(key, item.id)
        document = BufferedInputFile(
            export_markdown(i18n, item, turns, zone).encode("utf-8"), export_filename(item, zone)
        )
        await message.answer_document(
            document,
            caption=tr(i18n, "chats-export-caption", title=short_title(i18n, item.title, 200)),
        )
    else:
        await query.answer(tr(i18n, "chats-expired"))


async def _edit(message: Message, view: View) -> None:
    # Pressing the button of the screen already shown: "message is not modified".
    with contextlib.suppress(TelegramBadRequest):
        await message.edit_text(view.text, reply_markup=view.markup)


async def on_stale_chats_button(query: CallbackQuery, i18n: I18nContext) -> None:
    await query.answer(tr(i18n, "chats-expired"))


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(on_new, Command("new", "reset", "clear"))
    router.message.register(on_chats, Command("chats"))
    router.callback_query.register(on_chats_button, ConvNav.filter())
    router.callback_query.register(on_stale_chats_button, F.data.startswith("conv:"))
    return router
