"""Per-update context for handlers: conversation order, limits at arrival, the stored user."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any, Literal

from aiogram import BaseMiddleware, Bot
from aiogram.enums import ChatType
from aiogram.exceptions import TelegramAPIError
from aiogram.types import Message, TelegramObject, Update
from aiogram_i18n import I18nContext

from bot.conversation import STOP_COMMANDS, conversation_key
from bot.i18n import language_for, tr
from bot.services.limits import LimitVerdict, SpendingGuard
from bot.services.web_search import switch_of
from bot.telegram.addressing import command_name, detect, private
from bot.telegram.merging import settle_merged
from bot.telegram.responder import Responder, Turn
from storage import ConversationKey, Person, UserRepository

logger = logging.getLogger(__name__)

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]

# Set in the handler data by the poller for an update it gave up handling again.
REPLAY_GIVEN_UP = "replay_given_up"
# Set by the poller for an update it handles again after a restart.
REPLAYED = "replayed"

# Commands that (with arguments) ask Polza for something; other commands never do.
BILLED_COMMANDS = frozenset({"/image", "/search"})
# Why a message was refused on arrival: a full queue, or the rate limit.
ArrivalRefusal = Literal["queue_full"] | LimitVerdict
ARRIVAL_REFUSAL = "arrival_refusal"  # its key in the handler data


def incoming(event: TelegramObject) -> Message | None:
    """The message an update brings: a new one, or an edit of an earlier one (answered the
    same way: an edit of the user's latest turn re-answers it, see handlers/edits.py)."""
    if not isinstance(event, Update):
        return None
    return event.message or event.edited_message


class ConversationLocks:
    """One FIFO lock per conversation, dropped when nobody holds or waits for it.

    Runs that lead to Polza calls (`billed=True`) are counted per conversation, so the
    ordering middleware can refuse a message once `max_queued` of them already wait behind
    the one being answered.
    """

    def __init__(self, max_queued: int | None = None) -> None:
        self._locks: dict[ConversationKey, tuple[asyncio.Lock, int]] = {}
        self._billed: dict[ConversationKey, int] = {}
        self._max_queued = max_queued

    def depth(self) -> int:
        """Updates being handled or waiting for their turn, over all conversations."""
        return sum(users for _, users in self._locks.values())

    def has_room(self, key: ConversationKey) -> bool:
        """Whether one more billed run may queue (the one answered plus `max_queued`)."""
        return self._max_queued is None or self._billed.get(key, 0) <= self._max_queued

    async def run(
        self, key: ConversationKey, call: Callable[[], Awaitable[Any]], *, billed: bool = False
    ) -> Any:
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        if billed:
            self._billed[key] = self._billed.get(key, 0) + 1
        try:
            async with lock:
                return await call()
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)
            if billed:
                left = self._billed[key] - 1
                if left:
                    self._billed[key] = left
                else:
                    del self._billed[key]


class AddressingMiddleware(BaseMiddleware):
    """Drops messages the bot must not answer before anything else looks at them.

    Messages from bots (including channels and anonymous admins posting in groups) are
    ignored everywhere; in groups, only messages addressed to the bot go on, with the
    mention cut out (`addressing` in the handler data).
    """

    def __init__(self, keyword: str) -> None:
        self._keyword = keyword

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        message = incoming(event)
        if message is None:
            return await handler(event, data)
        if message.from_user is None or message.from_user.is_bot:
            return None
        bot: Bot = data["bot"]
        if message.chat.type == ChatType.PRIVATE:
            data["addressing"] = private(message, bot.id)
            return await handler(event, data)
        if message.chat.type == ChatType.CHANNEL:
            return None
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

    A message that would reach Polza is admitted here, on arrival, before it queues: with the
    conversation's queue full, or over the user's rate limit (the slot is taken now), it goes
    on without queueing and carries the reason as `arrival_refusal`, for
    `ArrivalRefusalMiddleware` to tell the user once the user's language is known.
    """

    def __init__(self, locks: ConversationLocks, guard: SpendingGuard | None = None) -> None:
        self._locks = locks
        self._guard = guard
        self._arrivals = ConversationLocks()

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        message = incoming(event)
        if message is None:
            return await handler(event, data)
        key = conversation_key(message)
        if key is None:
            return await handler(event, data)
        data["conversation"] = key
        if command_name(message.text) in STOP_COMMANDS:
            return await handler(event, data)  # it must not wait behind what it stops
        # An edit reaches Polza only when it is of the latest turn, which takes a lookup: its
        # handler takes the rate slot once it knows (handlers/edits.py).
        edit = isinstance(event, Update) and event.edited_message is not None
        # The rate slot may be a round trip to Redis: arrivals of one conversation pass this
        # gate in order, and each queues for the conversation before the next one is let
        # through (nothing awaits between leaving the gate and queueing).
        if edit or not leads_to_polza(message):
            await self._arrivals.run(key, _admitted)
            return await self._locks.run(key, lambda: handler(event, data))
        # A replayed update (taken over after a crash) was admitted on its first arrival.
        admit = _admitted if data.get(REPLAYED) else partial(self._admit, key)
        refusal = await self._arrivals.run(key, admit)
        if refusal is not None:
            data[ARRIVAL_REFUSAL] = refusal
            return await handler(event, data)  # told at once, not queued
        return await self._locks.run(key, lambda: handler(event, data), billed=True)

    async def _admit(self, key: ConversationKey) -> ArrivalRefusal | None:
        # Under the conversation's arrival gate: two arrivals never both see the last free place.
        if not self._locks.has_room(key):
            return "queue_full"
        return await self._guard.take_rate_slot(key.user_id) if self._guard is not None else None


async def _admitted() -> ArrivalRefusal | None:
    return None


def leads_to_polza(message: Message) -> bool:
    """Whether answering `message` may call Polza: words, media, or a billed command."""
    if message.photo or message.document or message.voice or message.audio:
        return True
    if message.video_note:
        return True
    text = (message.text or "").strip()
    if not text.startswith("/"):
        return bool(text)
    command, arguments = command_name(text), text.partition(" ")[2].strip()
    if command == "/search" and switch_of(arguments) is not None:
        return False  # /search on|off only stores a choice
    return command in BILLED_COMMANDS and bool(arguments)


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
        message = incoming(event)
        if not isinstance(event, Update) or message is None:
            return await handler(event, data)
        conversation = data.get("conversation")
        user_record = data.get("user_record")
        i18n = data.get("i18n")
        if conversation and user_record and i18n is not None:
            turn = Turn(message, conversation, user_record, i18n, event.update_id)
            # Only an update handled again after a restart can have a stored answer already.
            if data.get(REPLAYED) and await self._responder.resend_stored(turn):
                await settle_merged(data)  # the stored answer answered every piece
                return None
            data["turn"] = turn
        return await handler(event, data)


class ReplayLimitMiddleware(BaseMiddleware):
    """An update the poller gave up handling again (it kept being interrupted, or waited too
    long) gets one short apology instead of its handlers: nothing reaches Polza.

    The last outer update middleware: the apology is in the user's language, and only
    messages the bot would have answered (addressed, from an allowed user) get one.
    """

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        if not data.get(REPLAY_GIVEN_UP) or not isinstance(event, Update):
            return await handler(event, data)
        i18n: I18nContext | None = data.get("i18n")
        if i18n is None:
            return None
        await settle_merged(data)  # one apology for all the pieces
        text = tr(i18n, "replay-apology")
        try:
            message = incoming(event)
            if message is not None:
                if message.chat.type == ChatType.PRIVATE:
                    await message.answer(text)  # in the message's topic, if any
                else:
                    await message.reply(text)
            elif event.callback_query is not None:
                await event.callback_query.answer(text, show_alert=True)
        except TelegramAPIError as error:
            logger.info("Could not apologise for update %s: %s", event.update_id, error)
        return None
