"""Which conversation a Telegram message belongs to."""

from __future__ import annotations

from aiogram.enums import ChatType
from aiogram.types import Message, Update

from bot.telegram.addressing import command_name
from bot.telegram.stop_button import StopAnswer
from storage import ConversationKey

# Commands that act on an answer in progress, so they skip the conversation queue.
STOP_COMMANDS = frozenset({"/stop", "/cancel"})


def conversation_key(message: Message) -> ConversationKey | None:
    """A private chat is one conversation; in groups each user (and forum topic) has their own."""
    user = message.from_user
    if user is None:
        return None
    return conversation_of(user.id, message)


def conversation_of(user_id: int, message: Message) -> ConversationKey:
    """The conversation of `user_id` in the chat (and forum topic) of `message`."""
    if message.chat.type == ChatType.PRIVATE:
        return ConversationKey(chat_id=message.chat.id, user_id=user_id)
    thread_id = message.message_thread_id if message.is_topic_message else None
    return ConversationKey(chat_id=message.chat.id, user_id=user_id, thread_id=thread_id or 0)


def _stops(data: str | None) -> bool:
    return data is not None and data.startswith(StopAnswer.__prefix__ + StopAnswer.__separator__)


def update_conversation(update: Update) -> str | None:
    """The conversation an update belongs to, as the shared inbox orders them ("chat:user:
    thread"); None for updates that need no order (and /stop, which must not wait behind
    the answer it stops)."""
    message = update.message or update.edited_message
    if message is not None:
        if command_name(message.text) in STOP_COMMANDS:
            return None
        key = conversation_key(message)
    elif update.callback_query is not None and _stops(update.callback_query.data):
        return None  # the Stop button must not wait behind the answer it stops either
    elif update.callback_query is not None and isinstance(update.callback_query.message, Message):
        chat = update.callback_query.message.chat.id
        key = ConversationKey(chat_id=chat, user_id=update.callback_query.from_user.id)
    else:
        key = None
    return None if key is None else f"{key.chat_id}:{key.user_id}:{key.thread_id}"
