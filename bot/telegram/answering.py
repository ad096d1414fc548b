"""Answer a user's text with the model, streamed into the chat the message came from."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from aiogram import Bot
from aiogram.enums import ChatType
from aiogram.exceptions import TelegramForbiddenError
from aiogram.types import Message
from aiogram_i18n import I18nContext

from bot.config import Settings
from bot.i18n import polza_error_text, tr
from bot.services.chat import ChatOutcome, ChatService
from bot.services.model_choice import ModelResolver, ResolvedModel
from bot.services.running import RunningAnswers
from bot.services.usage import UsageService
from bot.telegram.stop_button import stop_markup
from bot.telegram.streaming import TelegramAnswer
from bot.telegram.usage_texts import cost_line
from storage import ConversationKey, ImageData, UserRecord

logger = logging.getLogger(__name__)


async def chat_model(
    message: Message, user_record: UserRecord, models: ModelResolver, i18n: I18nContext
) -> ResolvedModel:
    """The user's chat model; tells them once when their chosen one left the catalogue."""
    resolved = await models.chat(user_record)
    if resolved.replaced is not None:
        await reply_text(
            message, tr(i18n, "model-missing", missing=resolved.replaced, fallback=resolved.id)
        )
    return resolved


def topic_of(message: Message) -> int | None:
    """The forum topic to answer in (ordinary reply threads are not topics)."""
    return message.message_thread_id if message.is_topic_message else None


async def reply_text(message: Message, text: str) -> None:
    """The bot's own short reply: plain in private chats, as a reply in groups."""
    if message.chat.type == ChatType.PRIVATE:
        await message.answer(text)
    else:
        await message.reply(text)


async def answer_with_model(
    message: Message,
    *,
    bot: Bot,
    user_text: str,
    model: str,
    system_prompt: str,
    settings: Settings,
    chat_service: ChatService,
    conversation: ConversationKey,
    running_answers: RunningAnswers,
    i18n: I18nContext,
    images: Sequence[ImageData] = (),
    reasoning_effort: str | None = None,
    usage_service: UsageService | None = None,
) -> ChatOutcome | None:
    """Stream the model's answer to `user_text`; None if the chat no longer accepts us.

    The user can stop it: the draft's own stop button, the Stop button on an edited
    message, or /stop. What had arrived by then stays as the answer, marked as stopped.
    When the model cannot take the images, nothing is said here: the caller offers a switch.
    """
    private = message.chat.type == ChatType.PRIVATE
    answer = TelegramAnswer(
        bot,
        chat_id=message.chat.id,
        use_draft=private,
        draft_interval=settings.draft_interval_seconds,
        edit_interval=(
            settings.edit_interval_seconds if private else settings.group_edit_interval_seconds
        ),
        thread_id=topic_of(message),
        reply_to=None if private else message.message_id,
        stop_markup=stop_markup(conversation, tr(i18n, "stop-button")),
        thinking_text=tr(i18n, "answer-thinking"),
    )
    stop = running_answers.start(conversation)
    answer.start_typing()
    try:
        outcome = await chat_service.reply(
            conversation,
            user_text=user_text,
            model=model,
            system_prompt=system_prompt,
            sink=answer,
            stop=stop,
            images=images,
            reasoning_effort=reasoning_effort,
        )
        running_answers.finish(conversation, stop)
        if outcome.text.strip():
            final = outcome.text
            if outcome.stopped:
                final += "\n\n" + i18n.get("answer-stopped-note")
            elif outcome.interrupted:
                final += "\n\n" + i18n.get("answer-cut-note")
            if (
                outcome.record is not None
                and usage_service is not None
                and await usage_service.wants_cost_line(conversation.user_id)
                and (line := cost_line(i18n, outcome.record))
            ):
                final += "\n\n" + line
            await answer.finish(final)
            if outcome.trim_notice:
                await reply_text(message, tr(i18n, "context-trimmed", model=model))
        else:
            await answer.discard()
            if outcome.overflow is not None:
                await reply_text(
                    message,
                    tr(
                        i18n,
                        "context-too-long",
                        model=model,
                        tokens=outcome.overflow.tokens,
                        limit=outcome.overflow.limit,
                    ),
                )
            elif outcome.error is not None and not outcome.images_refused:
                await reply_text(message, polza_error_text(i18n, outcome.error))
    except TelegramForbiddenError:
        # Blocked by the user or removed from the group mid-answer: nobody to tell.
        logger.info("Chat %s no longer accepts messages; answer dropped", message.chat.id)
        return None
    finally:
        running_answers.finish(conversation, stop)
        await answer.stop_typing()
    return outcome
