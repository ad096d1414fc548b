"""Per-update context for handlers: conversation order, the stored user, in-flight tracking."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.enums import ChatType
from aiogram.types import TelegramObject, Update

from bot.conversation import conversation_key
from bot.i18n import language_for
from bot.telegram.addressing import Addressing, command_name, detect
from bot.telegram.responder import Responder, Turn
from storage import ConversationKey, Person, UserRepository

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]

# Commands that act on an answer in progress, so they skip the conversation queue.
STOP_COMMANDS = frozenset({"/stop", "/cancel"})


class ConversationLocks:
    """One FIFO lock per conversation, dropped when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[ConversationKey, tuple[asyncio.Lock, int]] = {}

    def depth(self) -> int:
        """Updates being handled or waiting for their turn, over all conversations."""
        return sum(users for _, users in self._locks.values())

    async def run(self, key: ConversationKey, call: Callable[[], Awaitable[Any]]) -> Any:
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                return await call()
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)


class AddressingMiddleware(BaseMiddleware):
    """Drops messages the bot must not answer before anything else looks at them.

    Messages from bots (including channels and anonymous admins posting in groups) are
    ignored everywhere; in groups, only messages addressed to the bot go on, with the
    mention cut out (`addressing` in the handler data).
    """

    def __init__(self, keyword: str) -> None:
        self._keyword = keyword

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        message = event.message if isinstance(event, Update) else None
        if message is None:
            return await handler(event, data)
        if message.from_user is None or message.from_user.is_bot:
            return None
        if message.chat.type == ChatType.PRIVATE:
            text = (message.text or message.caption or "").strip()
            data["addressing"] = Addressing(addressed=True, text=text)
            return await handler(event, data)
        if message.chat.type == ChatType.CHANNEL:
            return None
        bot: Bot = data["bot"]
        addressing = detect(message, await bot.me(), self._keyword)
        if not addressing.addressed:
            return None
        data["addressing"] = addressing
        return await handler(event, data)


class ConversationOrderMiddleware(BaseMiddleware):
    """Messages of one conversation are handled one after another, in the order sent.

    Registered as an outer update middleware before any that does I/O: the lock is requested
    before the update task first waits on anything, and asyncio locks wake waiters
    first-come first-served.
    """

    def __init__(self, locks: ConversationLocks) -> None:
        self._locks = locks

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        message = event.message if isinstance(event, Update) else None
        if message is None:
            return await handler(event, data)
        key = conversation_key(message)
        if key is None:
            return await handler(event, data)
        data["conversation"] = key
        if command_name(message.text) in STOP_COMMANDS:
            return await handler(event, data)  # it must not wait behind what it stops
        return await self._locks.run(key, lambda: handler(event, data))


class UserMiddleware(BaseMiddleware):
    """Loads (or creates on first contact) the sender's stored record as `user_record`,
    keeping their username and names as Telegram shows them now."""

    def __init__(self, users: UserRepository, default_language: str) -> None:
        self._users = users
        self._default_language = default_language

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user = data.get("event_from_user")
        if user is not None and not user.is_bot:
            language = language_for(user.language_code, self._default_language)
            person = Person(user.id, user.username, user.first_name, user.last_name)
            data["user_record"] = await self._users.ensure(user.id, language, person)
        return await handler(event, data)


class TurnMiddleware(BaseMiddleware):
    """Gathers a message's conversation, sender and language into one `turn` for handlers.

    Registered after the user, i18n and access middlewares, whose data it combines. A message
    whose answer is already stored (its update replayed after a crash) gets that answer again
    and goes no further: nothing is transcribed or asked twice.
    """

    def __init__(self, responder: Responder) -> None:
        self._responder = responder

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        if not isinstance(event, Update) or event.message is None:
            return await handler(event, data)
        conversation = data.get("conversation")
        user_record = data.get("user_record")
        i18n = data.get("i18n")
        if conversation and user_record and i18n is not None:
            turn = Turn(event.message, conversation, user_record, i18n, event.update_id)
            if await self._responder.resend_stored(turn):
                return None
            data["turn"] = turn
        return await handler(event, data)
