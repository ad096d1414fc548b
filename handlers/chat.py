"""A message for the model (any private text, or a group message addressed to the bot)."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import Message

from bot.telegram.addressing import Addressing
from bot.telegram.responder import Responder, Turn

QUOTE_INTRO = "[Quoted message]"
MEDIA_NOTE = "[The user attached a file you cannot see; answer the text.]"


def user_turn(addressing: Addressing, has_media: bool) -> str:
    """What the model is sent as the user's message."""
    parts = []
    if addressing.quoted:
        parts.append(f"{QUOTE_INTRO}\n{addressing.quoted.strip()}")
    if has_media:
        parts.append(MEDIA_NOTE)
    parts.append(addressing.text)
    return "\n\n".join(parts)


async def on_text(
    message: Message, turn: Turn, addressing: Addressing, responder: Responder
) -> None:
    if not addressing.text:
        await turn.say(turn.text("empty-message"))
        return
    if await responder.within_limits(turn):
        has_media = message.text is None
        await responder.answer(turn, user_turn(addressing, has_media=has_media))


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(on_text, F.text | F.caption, ~F.text.startswith("/"))
    return router
