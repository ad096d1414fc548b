"""Text in a private chat: stream the model's answer."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.enums import ChatType
from aiogram.types import Message
from aiogram_i18n import I18nContext

from bot.config import Settings
from bot.i18n import polza_error_text, tr
from bot.services.chat import ChatService
from bot.telegram.streaming import TelegramAnswer
from storage import ConversationKey, UserRecord

router = Router(name=__name__)
router.message.filter(F.chat.type == ChatType.PRIVATE)


@router.message(F.text, ~F.text.startswith("/"))
async def on_text(
    message: Message,
    bot: Bot,
    settings: Settings,
    chat_service: ChatService,
    conversation: ConversationKey,
    user_record: UserRecord,
    i18n: I18nContext,
) -> None:
    text = (message.text or "").strip()
    if not text:
        await message.answer(tr(i18n, "empty-message"))
        return
    answer = TelegramAnswer(
        bot,
        chat_id=message.chat.id,
        use_draft=True,
        draft_interval=settings.draft_interval_seconds,
        edit_interval=settings.edit_interval_seconds,
    )
    answer.start_typing()
    try:
        outcome = await chat_service.reply(
            conversation,
            user_text=text,
            model=user_record.chat_model or settings.default_chat_model,
            system_prompt=settings.system_prompt,
            sink=answer,
        )
    finally:
        await answer.stop_typing()
    if outcome.text.strip():
        final = outcome.text
        if outcome.interrupted:
            final += "\n\n" + i18n.get("answer-cut-note")
        await answer.finish(final)
    elif outcome.error is not None:
        await message.answer(polza_error_text(i18n, outcome.error))
