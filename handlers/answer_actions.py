"""The buttons under a chat answer: ▶️ continue a cut answer, 🔄 answer the same turn again."""

from __future__ import annotations

import logging

from aiogram import F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.types import CallbackQuery, Message, Update
from aiogram_i18n import I18nContext

from bot.i18n import tr
from bot.middlewares import REPLAYED, ConversationLocks
from bot.services.limits import SpendingGuard
from bot.telegram.answer_keyboard import (
    CONTINUE,
    REGENERATE,
    REPLACED,
    AnswerAction,
)
from bot.telegram.responder import Responder, Turn
from storage import UserRecord

logger = logging.getLogger(__name__)


async def on_answer_action(
    query: CallbackQuery,
    callback_data: AnswerAction,
    event_update: Update,
    responder: Responder,
    conversation_locks: ConversationLocks,
    spending_guard: SpendingGuard,
    i18n: I18nContext,
    user_record: UserRecord | None = None,
    **data: object,
) -> None:
    """Checked like a new message: the owner only, one at a time per conversation (behind any
    answer in progress), within the rate limit; a press on an old answer does nothing."""
    action, message = callback_data.action, query.message
    if action == REPLACED:
        await query.answer(tr(i18n, "answer-action-replaced"))
        return
    answer = await responder.chat_service.find_answer(callback_data.answer_id)
    if answer is None or not isinstance(message, Message) or user_record is None:
        await query.answer(tr(i18n, "answer-action-stale"))
        return
    if query.from_user.id != answer.key.user_id:
        await query.answer(tr(i18n, "answer-action-not-yours"))
        return
    turn = Turn(message, answer.key, user_record, i18n, event_update.update_id)
    if data.get(REPLAYED) and await responder.resend_stored(turn):
        await _answer_quietly(query)
        return
    # A newer answer settles it now; whether this message still carries the answer's buttons
    # is checked in turn (an answer being delivered is given its message first).
    if not answer.latest or (action == CONTINUE and not answer.cut):
        await query.answer(tr(i18n, "answer-action-stale"))
        return
    key = answer.key
    if not conversation_locks.has_room(key):
        await query.answer(tr(i18n, "queue-full"), show_alert=True)
        return
    verdict = await spending_guard.take_rate_slot(key.user_id)
    if verdict is not None:
        await _answer_quietly(query)
        await turn.refuse(verdict)
        return
    await _answer_quietly(query, tr(i18n, "answer-action-working"))
    await conversation_locks.run(
        key, lambda: responder.redo(turn, callback_data.answer_id, action), billed=True
    )


async def _answer_quietly(query: CallbackQuery, text: str | None = None) -> None:
    """Stop the button's spinner; an answer Telegram no longer takes changes nothing."""
    try:
        await query.answer(text)
    except TelegramAPIError as error:
        logger.info("Could not answer a button press: %s", error)


def create_router() -> Router:
    router = Router(name=__name__)
    # Only these actions: another feature's button on the same keyboard has its own handler.
    actions = {CONTINUE, REGENERATE, REPLACED}
    router.callback_query.register(on_answer_action, AnswerAction.filter(F.action.in_(actions)))
    return router
