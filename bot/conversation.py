"""Which conversation a Telegram message belongs to."""

from __future__ import annotations

from aiogram.enums import ChatType
from aiogram.types import Message

from storage import ConversationKey


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
