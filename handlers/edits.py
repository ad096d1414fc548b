"""An edit of the user's latest message re-answers it; edits of older messages are ignored."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import Message

from bot.services.chat import Redo
from bot.services.limits import SpendingGuard
from bot.telegram.addressing import Addressing
from bot.telegram.responder import Responder, Turn
from handlers.chat import user_turn


async def on_edited(
    message: Message,
    turn: Turn,
    addressing: Addressing,
    responder: Responder,
    spending_guard: SpendingGuard,
) -> None:
    answer = await responder.chat_service.answer_to_message(turn.conversation, message.message_id)
    if answer is None or not addressing.text:
        return  # not the latest turn (or nothing left to ask): ignored, as before
    text = user_turn(addressing, has_media=False)
    if text == answer.question:
        return  # Telegram reports other changes as edits too (a link preview, say)
    # Taken here, not on arrival: edits that are ignored cost nothing.
    verdict = await spending_guard.take_rate_slot(turn.conversation.user_id)
    if verdict is not None:
        await turn.refuse(verdict)
        return
    if await responder.within_limits(turn):
        await responder.answer(turn, text, redo=Redo(answer, "edit"))


def create_router() -> Router:
    router = Router(name=__name__)
    # Text messages only: a caption edit would lose the file or photo the turn was built from.
    router.edited_message.register(on_edited, F.text, ~F.text.startswith("/"))
    return router
