"""Replies and forwards as context: the text the user refers to, and who wrote it.

A reply to any message (the bot's answer, the user's own message, another person's message, a
forwarded one) puts that message's text or caption before the user's words, as a quote block
headed by its source; when the user quoted only a part (Telegram's quote), only that part.
A forwarded message is labelled with where it was forwarded from. What the model is sent:

    [Quote from your earlier answer]
    > first quoted line
    > second quoted line

    the user's own words

Headers: "your earlier answer" (the bot's message), "the user's own earlier message", "a
message by NAME" (someone else in the chat), "a message forwarded from NAME", or "a message"
(unknown); "(the part the user selected)" follows when Telegram's partial quote was used.
A quote is cut at `MAX_QUOTE_CHARS` with a marker saying how much was left out; a reply to a
photo or voice note without a caption adds nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from aiogram.types import (
    Message,
    MessageOriginChannel,
    MessageOriginChat,
    MessageOriginHiddenUser,
    MessageOriginUser,
)

MAX_QUOTE_CHARS = 3000
MAX_NAME_CHARS = 64

Source = Literal["assistant", "self", "other", "forward", "unknown"]
Origin = MessageOriginUser | MessageOriginHiddenUser | MessageOriginChat | MessageOriginChannel


@dataclass(frozen=True, slots=True)
class Quote:
    text: str
    source: Source
    name: str | None = None  # who wrote it (other) or where it was forwarded from (forward)
    partial: bool = False  # the user selected a part of the message


def quote_of(message: Message, bot_id: int) -> Quote | None:
    """What `message` replies to, as a quote; None when it replies to nothing with text."""
    selected = message.quote.text if message.quote is not None and message.quote.text else None
    reply = message.reply_to_message
    if reply is None:
        external = message.external_reply
        if external is None or selected is None:
            return None  # a reply to another chat carries no text but the user's selection
        return Quote(selected, "forward", origin_name(external.origin), partial=True)
    text = selected or reply.text or reply.caption or ""
    if not text.strip():
        return None
    source, name = _source(reply, message, bot_id)
    return Quote(text, source, name, partial=selected is not None)


def forwarded_from(message: Message) -> str | None:
    """Where a forwarded message comes from ("" when Telegram does not say); None otherwise."""
    if message.forward_origin is None:
        return None
    return origin_name(message.forward_origin) or ""


def origin_name(origin: Origin | None) -> str | None:
    if isinstance(origin, MessageOriginUser):
        return _name(origin.sender_user.full_name)
    if isinstance(origin, MessageOriginHiddenUser):
        return _name(origin.sender_user_name)
    if isinstance(origin, MessageOriginChat):
        return _name(origin.sender_chat.title or origin.sender_chat.full_name)
    if isinstance(origin, MessageOriginChannel):
        return _name(origin.chat.title or origin.chat.full_name)
    return None


def render_quote(quote: Quote) -> str:
    """The quote block the model reads before the user's words."""
    header = {
        "assistant": "your earlier answer",
        "self": "the user's own earlier message",
        "other": f"a message by {quote.name}" if quote.name else "a message",
        "forward": (
            f"a message forwarded from {quote.name}" if quote.name else "a forwarded message"
        ),
        "unknown": "a message",
    }[quote.source]
    selected = " (the part the user selected)" if quote.partial else ""
    text = quote.text.strip()
    cut = ""
    if len(text) > MAX_QUOTE_CHARS:
        kept = text[:MAX_QUOTE_CHARS]
        # At a word boundary when there is one near the end.
        space = max(kept.rfind(" "), kept.rfind("\n"))
        if space > MAX_QUOTE_CHARS - 200:
            kept = kept[:space]
        kept = kept.rstrip()
        cut = f"\n> [… quote cut: {len(text) - len(kept)} more characters left out]"
        text = kept
    lines = "\n".join(f"> {line}".rstrip() for line in text.splitlines())
    return f"[Quote from {header}{selected}]\n{lines}{cut}"


def render_forward(text: str, source: str) -> str:
    label = f"[Forwarded from {source}]" if source else "[Forwarded message]"
    return f"{label}\n{text}"


def _source(reply: Message, message: Message, bot_id: int) -> tuple[Source, str | None]:
    if reply.forward_origin is not None:
        return "forward", origin_name(reply.forward_origin)
    author = reply.from_user
    if author is not None and author.id == bot_id:
        return "assistant", None
    if author is not None and message.from_user is not None and author.id == message.from_user.id:
        return "self", None
    if author is not None:
        return "other", _name(author.full_name)
    if reply.sender_chat is not None:
        return "other", _name(reply.sender_chat.title or reply.sender_chat.full_name)
    return "unknown", None


def _name(raw: str | None) -> str | None:
    """A name as one short line: it is shown inside a bracketed header."""
    name = re.sub(r"\s+", " ", (raw or "").replace("[", "(").replace("]", ")")).strip()
    return name[:MAX_NAME_CHARS] or None
