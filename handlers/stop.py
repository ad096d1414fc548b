"""Stopping an answer: Telegram's draft stop button, our Stop button, and /stop."""

from __future__ import annotations

from aiogram import Router
from aiogram.enums import ChatType
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message, MessageGenerationStopped
from aiogram_i18n import I18nContext

from bot.i18n import tr
from bot.services.running import RunningAnswers
from bot.telegram.stop_button import StopAnswer
from storage import ConversationKey


async def on_draft_stopped(
    event: MessageGenerationStopped, running_answers: RunningAnswers
) -> None:
    # Drafts exist only in private chats, where the conversation is the chat itself.
    if event.chat.type == ChatType.PRIVATE:
        key = ConversationKey(chat_id=event.chat.id, user_id=event.chat.id)
        await running_answers.stop_anywhere(key)


async def on_stop_button(
    query: CallbackQuery,
    callback_data: StopAnswer,
    running_answers: RunningAnswers,
    i18n: I18nContext,
) -> None:
    if query.from_user.id != callback_data.user_id:
        await query.answer(tr(i18n, "stop-not-yours"))
        return
    key = ConversationKey(callback_data.chat_id, callback_data.user_id, callback_data.thread_id)
    stopped = await running_answers.stop_anywhere(key)
    await query.answer(tr(i18n, "stop-done" if stopped else "stop-nothing"))


async def on_stop_command(
    message: Message,
    conversation: ConversationKey,
    running_answers: RunningAnswers,
    i18n: I18nContext,
) -> None:
    if not await running_answers.stop_anywhere(conversation):
        await message.answer(tr(i18n, "stop-nothing"))


def create_router() -> Router:
    router = Router(name=__name__)
    router.stopped_message_generation.register(on_draft_stopped)
    router.callback_query.register(on_stop_button, StopAnswer.filter())
    router.message.register(on_stop_command, Command("stop"))
    return router
