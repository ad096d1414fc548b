"""A message for the model (any private text, or a group message addressed to the bot)."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.types import Message
from aiogram_i18n import I18nContext

from bot.config import Settings
from bot.i18n import tr
from bot.services.chat import ChatService
from bot.services.limits import SpendingGuard
from bot.services.model_choice import ModelResolver
from bot.services.running import RunningAnswers
from bot.services.usage import UsageService
from bot.telegram.addressing import Addressing
from bot.telegram.answering import answer_with_model, chat_model, reply_text
from bot.telegram.usage_texts import limit_text
from storage import ConversationKey, UserRecord

router = Router(name=__name__)

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


@router.message(F.text | F.caption, ~F.text.startswith("/"))
async def on_text(
    message: Message,
    bot: Bot,
    settings: Settings,
    chat_service: ChatService,
    conversation: ConversationKey,
    running_answers: RunningAnswers,
    user_record: UserRecord,
    addressing: Addressing,
    spending_guard: SpendingGuard,
    usage_service: UsageService,
    models: ModelResolver,
    i18n: I18nContext,
) -> None:
    if not addressing.text:
        await reply_text(message, tr(i18n, "empty-message"))
        return
    verdict = await spending_guard.check(conversation.user_id)
    if verdict is not None:
        await reply_text(message, limit_text(i18n, verdict))
        return
    await answer_with_model(
        message,
        bot=bot,
        user_text=user_turn(addressing, has_media=message.text is None),
        model=(await chat_model(message, user_record, models, i18n)).id,
        system_prompt=user_record.personal_prompt or settings.system_prompt,
        settings=settings,
        chat_service=chat_service,
        conversation=conversation,
        running_answers=running_answers,
        i18n=i18n,
        reasoning_effort=user_record.reasoning_effort,
        usage_service=usage_service,
    )
