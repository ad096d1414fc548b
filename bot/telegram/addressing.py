"""Is a group message meant for the bot? Decided from entities, as Telegram marks them.

A message is addressed to the bot when it @mentions the bot's username, text-mentions the
bot's user, carries a command (bare `/cmd`, or `/cmd@this_bot`; never `/cmd@other_bot`),
replies to one of the bot's messages, or starts with the configured keyword. Text and
captions are both checked. The mention itself is cut out of the text the model gets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from aiogram import Bot
from aiogram.enums import ChatType
from aiogram.types import Message, MessageEntity, User
from aiogram.utils.text_decorations import add_surrogates, remove_surrogates

from bot.telegram.quotes import Quote, quote_of


@dataclass(frozen=True, slots=True)
class Addressing:
    addressed: bool
    text: str  # the message's text or caption with the bot's mention removed
    quoted: Quote | None = None  # the message this one replies to (`quotes.py`)


def _cut(text: str, entities: list[MessageEntity]) -> str:
    """Remove the given entities (UTF-16 offsets) from `text`, with the comma or colon that
    usually follows a mention ("Hey @bot, …" → "Hey …")."""
    encoded = add_surrogates(text)
    for entity in sorted(entities, key=lambda e: e.offset, reverse=True):
        start, end = entity.offset * 2, (entity.offset + entity.length) * 2
        before = remove_surrogates(encoded[:start]).rstrip(" \t")
        after = re.sub(r"^[,:;]?[ \t]*", "", remove_surrogates(encoded[end:]))
        joined = (
            f"{before} {after}"
            if before and after and not before.endswith("\n")
            else before + after
        )
        encoded = add_surrogates(joined)
    return remove_surrogates(encoded).strip(" \t\n,:")


def command_name(text: str | None) -> str | None:
    """The command a message starts with, lower-case, without the @bot part ("/id")."""
    first = (text or "").split(maxsplit=1)[0:1]
    if not first or not first[0].startswith("/"):
        return None
    return first[0].split("@")[0].lower()


def detect(message: Message, me: User, keyword: str = "") -> Addressing:
    text = message.text or message.caption or ""
    entities = list(message.entities or message.caption_entities or [])
    username = (me.username or "").lower()
    addressed = False
    mentions: list[MessageEntity] = []
    for entity in entities:
        if entity.type == "mention" and username:
            if entity.extract_from(text).lower() == f"@{username}":
                addressed = True
                mentions.append(entity)
        elif entity.type == "text_mention" and entity.user is not None:
            if entity.user.id == me.id:
                addressed = True
                mentions.append(entity)
        elif entity.type == "bot_command" and entity.offset == 0:
            command = entity.extract_from(text)
            target = command.partition("@")[2].lower()
            addressed = addressed or not target or target == username
    reply = message.reply_to_message
    if reply is not None and reply.from_user is not None and reply.from_user.id == me.id:
        addressed = True
    cleaned = _cut(text, mentions) if mentions else text.strip()
    if keyword and re.match(rf"{re.escape(keyword)}(?!\w)", cleaned, re.IGNORECASE):
        addressed = True
        cleaned = cleaned[len(keyword) :].strip(" \t\n,:")
    return Addressing(addressed=addressed, text=cleaned, quoted=quote_of(message, me.id))


def private(message: Message, bot_id: int) -> Addressing:
    """In a private chat everything is for the bot."""
    text = (message.text or message.caption or "").strip()
    return Addressing(addressed=True, text=text, quoted=quote_of(message, bot_id))


async def read(message: Message, bot: Bot, keyword: str = "") -> Addressing:
    """`message` as the bot reads it, in a private chat or a group."""
    if message.chat.type == ChatType.PRIVATE:
        return private(message, bot.id)
    return detect(message, await bot.me(), keyword)
