"""Refuses users the access policy does not allow, before any handler sees their update."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.enums import ChatType
from aiogram.exceptions import TelegramAPIError
from aiogram.types import CallbackQuery, Chat, Message, TelegramObject, Update, User
from aiogram_i18n import I18nContext

from bot.i18n import tr
from bot.services.access import AccessPolicy
from bot.services.told_once import ToldOnceSet
from bot.telegram.addressing import command_name
from bot.telegram.replies import reply_to
from storage import UserRecord

logger = logging.getLogger(__name__)

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class AccessMiddleware(BaseMiddleware):
    """An outer update middleware for messages, edits and button presses.

    A refused user is told once (a day, by every replica together: `ToldOnceSet`), with
    their Telegram id so they can ask the owner for access; after that they get silence (a
    button press still gets an empty answer, or the client would spin). Runs after the i18n
    middleware, for the `i18n` text.
    """

    def __init__(self, access: AccessPolicy, told: ToldOnceSet) -> None:
        self._access = access
        self._told = told

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user: User | None = data.get("event_from_user")
        if not isinstance(event, Update) or user is None or user.is_bot or not _gated(event):
            return await handler(event, data)
        chat: Chat | None = data.get("event_chat")
        group = chat.id if chat is not None and chat.type != ChatType.PRIVATE else None
        if await self._allowed(user.id, group, data) or _pairing(event, self._access):
            # Told before and allowed since: if denied again, they are told again.
            await self._told.forget(user.id)
            return await handler(event, data)
        i18n: I18nContext | None = data.get("i18n")
        # An edit is dropped without a word: the first real message still gets the notice.
        tell = (
            i18n is not None
            and event.edited_message is None
            # Remembered before telling, atomically (SET NX in Redis): a concurrent update,
            # on this replica or another, stays silent.
            and await self._told.first_time(user.id)
        )
        logger.debug("Refused user %s (%s)", user.id, "told" if tell else "silent")
        try:
            if event.callback_query is not None:
                await _refuse_button(event.callback_query, i18n if tell else None, user.id)
            elif event.message is not None and tell and i18n is not None:
                await _refuse_message(event.message, i18n, user.id)
        except TelegramAPIError as error:
            logger.info("Could not tell user %s they are not allowed: %s", user.id, error)
        return None

    async def _allowed(self, user_id: int, group: int | None, data: dict[str, Any]) -> bool:
        record: UserRecord | None = data.get("user_record")
        if record is not None and record.id == user_id:  # its access status came with it
            return self._access.allows(user_id, group, record.access_status)
        return await self._access.is_allowed(user_id, group)


# Answered for everyone: a refused user needs their ID to ask the owner for access.
OPEN_COMMANDS = frozenset({"/id"})


def _pairing(update: Update, access: AccessPolicy) -> bool:
    """`/start <code>` in a private chat while a pairing code is live goes to its handler."""
    message = update.message
    if message is None or message.chat.type != ChatType.PRIVATE or not access.pairing_pending:
        return False
    text = message.text or ""
    return command_name(text) == "/start" and bool(text.partition(" ")[2].strip())


def _gated(update: Update) -> bool:
    # Other updates (the bot added to a group, …) reach no model and stay with their handlers.
    if update.message is not None and command_name(update.message.text) in OPEN_COMMANDS:
        return False
    return bool(update.message or update.edited_message or update.callback_query)


async def _refuse_message(message: Message, i18n: I18nContext, user_id: int) -> None:
    await reply_to(message, tr(i18n, "access-denied", id=str(user_id)))


async def _refuse_button(query: CallbackQuery, i18n: I18nContext | None, user_id: int) -> None:
    """Every press is answered, or the client keeps spinning; only with `i18n` is it worded."""
    if i18n is None:
        await query.answer()
    else:
        await query.answer(tr(i18n, "access-denied-short", id=str(user_id)), show_alert=True)
