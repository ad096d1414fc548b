"""Where and how the bot's own messages go: in the request's chat and forum topic, quoting
the request in groups (in a private chat a quote would only add noise)."""

from __future__ import annotations

import contextlib

from aiogram.enums import ChatAction, ChatType
from aiogram.exceptions import TelegramAPIError
from aiogram.types import InlineKeyboardMarkup, Message, ReplyParameters


def topic_of(message: Message) -> int | None:
    """The forum topic to answer in (ordinary reply threads are not topics)."""
    return message.message_thread_id if message.is_topic_message else None


def reply_parameters(message: Message) -> ReplyParameters | None:
    if message.chat.type == ChatType.PRIVATE:
        return None
    return ReplyParameters(message_id=message.message_id, allow_sending_without_reply=True)


async def reply_to(
    message: Message, text: str, markup: InlineKeyboardMarkup | None = None
) -> Message:
    """The bot's own text in answer to `message` (`answer` keeps the forum topic)."""
    return await message.answer(
        text, reply_markup=markup, reply_parameters=reply_parameters(message)
    )


async def show_typing(message: Message) -> None:
    """Show "typing…" in the chat of `message` at once (a hint only: failures are ignored)."""
    if message.bot is None:
        return
    with contextlib.suppress(TelegramAPIError):
        await message.bot.send_chat_action(
            message.chat.id, ChatAction.TYPING, message_thread_id=topic_of(message)
        )
