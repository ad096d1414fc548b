"""A message for the model (any private text, or a group message addressed to the bot).

Texts sent in quick succession come here as one gathering (`bot.telegram.merging`): the first
piece's handler waits for the rest and answers all of them as one turn, the pieces in order,
separated by blank lines. Replies carry what they reply to (`bot.telegram.quotes`).
"""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.types import Message

from bot.config import Settings
from bot.telegram.addressing import Addressing, read
from bot.telegram.merging import MergedInput
from bot.telegram.quotes import forwarded_from, render_forward, render_quote
from bot.telegram.replies import show_typing
from bot.telegram.responder import Responder, Turn

MEDIA_NOTE = "[The user attached a file you cannot see; answer the text.]"


def user_turn(addressing: Addressing, has_media: bool, forwarded: str | None = None) -> str:
    """What the model is sent for one message: the quote, a media note, the (labelled) text.

    `forwarded` is where the message was forwarded from ("" unknown, None not forwarded).
    """
    parts = []
    if addressing.quoted:
        parts.append(render_quote(addressing.quoted))
    if has_media:
        parts.append(MEDIA_NOTE)
    text = addressing.text
    if forwarded is not None and text:
        text = render_forward(text, forwarded)
    parts.append(text)
    return "\n\n".join(part for part in parts if part)


def _piece(message: Message, addressing: Addressing) -> str:
    if not addressing.text and addressing.quoted is None:
        return ""
    return user_turn(addressing, has_media=message.text is None, forwarded=forwarded_from(message))


async def on_text(
    message: Message,
    turn: Turn,
    addressing: Addressing,
    responder: Responder,
    bot: Bot,
    settings: Settings,
    merged: MergedInput | None = None,
) -> None:
    lead = _piece(message, addressing)
    pieces = [lead]
    if merged is not None:
        await show_typing(message)  # the wait for more pieces is not silent
        keyword = settings.group_trigger_keyword
        pieces = [
            lead if part is message else _piece(part, await read(part, bot, keyword))
            for part in await merged.complete()
        ]
    given = [piece for piece in pieces if piece]
    text = "\n\n".join(given)
    if not text:
        await turn.say(turn.text("empty-message"))
        return
    if await responder.within_limits(turn):
        # An edit of one piece of a merged turn cannot stand for the whole turn.
        await responder.answer(turn, text, editable=len(given) == 1)


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(on_text, F.text | F.caption, ~F.text.startswith("/"))
    return router
