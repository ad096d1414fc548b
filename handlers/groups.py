"""Group membership: joining, leaving, and groups the owner did not allow."""

from __future__ import annotations

import logging

from aiogram import Bot, Router
from aiogram.enums import ChatType
from aiogram.filters import IS_MEMBER, IS_NOT_MEMBER, ChatMemberUpdatedFilter, Filter
from aiogram.types import ChatMemberUpdated, Message
from aiogram_i18n import I18nContext

from bot.config import Settings
from bot.i18n import tr
from bot.services.told_once import ToldOnceSet

logger = logging.getLogger(__name__)


def _not_allowed(chat_id: int, settings: Settings) -> bool:
    return bool(settings.allowed_chat_ids) and chat_id not in settings.allowed_chat_ids


async def on_added(
    event: ChatMemberUpdated,
    bot: Bot,
    settings: Settings,
    group_notices: ToldOnceSet,
    i18n: I18nContext,
) -> None:
    logger.info("Added to chat %s (%s)", event.chat.id, event.chat.type)
    if event.chat.type == ChatType.PRIVATE:
        return
    if _not_allowed(event.chat.id, settings):
        if await group_notices.first_time(event.chat.id):
            await bot.send_message(event.chat.id, tr(i18n, "group-not-allowed"))
        return
    me = await bot.me()
    await bot.send_message(
        event.chat.id, tr(i18n, "group-hello", bot=me.username or me.first_name)
    )


async def on_removed(event: ChatMemberUpdated) -> None:
    logger.info("Removed from chat %s; it gets no more answers", event.chat.id)


async def on_rights_changed(event: ChatMemberUpdated) -> None:
    logger.info("My status in chat %s is now %s", event.chat.id, event.new_chat_member.status)


class UnlistedGroup(Filter):
    """A group message from a group that ALLOWED_CHAT_IDS does not list."""

    async def __call__(self, message: Message, settings: Settings) -> bool:
        group = message.chat.type in (ChatType.GROUP, ChatType.SUPERGROUP)
        return group and _not_allowed(message.chat.id, settings)


async def on_unlisted_group(
    message: Message, settings: Settings, group_notices: ToldOnceSet, i18n: I18nContext
) -> None:
    """Addressed messages in groups the owner did not allow: one polite line, then silence."""
    if await group_notices.first_time(message.chat.id):
        await message.reply(tr(i18n, "group-not-allowed"))


def create_router() -> Router:
    router = Router(name=__name__)
    router.my_chat_member.register(on_added, ChatMemberUpdatedFilter(IS_NOT_MEMBER >> IS_MEMBER))
    router.my_chat_member.register(on_removed, ChatMemberUpdatedFilter(IS_MEMBER >> IS_NOT_MEMBER))
    router.my_chat_member.register(on_rights_changed)
    router.message.register(on_unlisted_group, UnlistedGroup())
    return router
