"""/voice (spoken answers: on, auto, off), /voicelang (the language of voice messages) and the
🔊 button that reads one stored answer aloud. All three are per user, also in groups."""

from __future__ import annotations

import contextlib

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from aiogram_i18n import I18nContext

from bot.config import Settings
from bot.i18n import tr
from bot.services.chat import ChatService
from bot.services.languages import language_code
from bot.telegram.answer_keyboard import SPEAK, AnswerAction
from bot.telegram.replies import reply_to, topic_of
from bot.telegram.settings_menu import refused_to_stranger, with_back
from bot.telegram.voice_replies import MODES, VoiceReplies, voice_mode
from storage import UserRecord, UserRepository


class VoiceModeChoice(CallbackData, prefix="vmode"):
    mode: str


def voice_mode_keyboard(i18n: I18nContext, current: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for mode in MODES:
        mark = "✓ " if mode == current else ""
        label = mark + tr(i18n, "voice-mode-button", mode=mode)
        builder.button(text=label, callback_data=VoiceModeChoice(mode=mode))
    builder.adjust(len(MODES))
    return builder.as_markup()


def voice_mode_view(i18n: I18nContext, user: UserRecord) -> tuple[str, InlineKeyboardMarkup]:
    """The /voice screen: the current mode and a button per mode (also opened from /settings)."""
    current = voice_mode(user.voice_replies)
    return tr(i18n, "voice-mode-current", mode=current), voice_mode_keyboard(i18n, current)


def voicelang_text(i18n: I18nContext, user: UserRecord, operator: str) -> str:
    """The /voicelang screen: which language recordings are transcribed in, and how to change."""
    chosen = user.transcription_language
    if chosen:
        current = tr(i18n, "voicelang-chosen", language=chosen)
    elif operator:
        current = tr(i18n, "voicelang-operator", language=operator)
    else:
        current = tr(i18n, "voicelang-auto")
    return f"{current}\n\n{tr(i18n, 'voicelang-usage')}"


def voicelang_value(i18n: I18nContext, user: UserRecord, operator: str) -> str:
    """The short value shown in /settings: a language code, or "detected"."""
    return user.transcription_language or operator or tr(i18n, "voicelang-detected")


async def on_voice(
    message: Message,
    command: CommandObject,
    users: UserRepository,
    i18n: I18nContext,
    user_record: UserRecord | None = None,
) -> None:
    if user_record is None:
        return
    argument = (command.args or "").strip().lower()
    if not argument:
        text, markup = voice_mode_view(i18n, user_record)
        await reply_to(message, text, markup)
        return
    if argument not in MODES:
        await message.answer(tr(i18n, "voice-mode-usage"))
        return
    await users.set_voice_replies(user_record.id, None if argument == "off" else argument)
    await message.answer(tr(i18n, "voice-mode-set", mode=argument))


async def on_voice_mode_chosen(
    query: CallbackQuery, callback_data: VoiceModeChoice, users: UserRepository, i18n: I18nContext
) -> None:
    if await refused_to_stranger(query, i18n):
        return
    mode = callback_data.mode
    if mode not in MODES:
        await query.answer(tr(i18n, "voice-mode-usage"))
        return
    await users.set_voice_replies(query.from_user.id, None if mode == "off" else mode)
    await query.answer()
    if isinstance(query.message, Message):
        with contextlib.suppress(TelegramBadRequest):  # pressed twice: "not modified"
            await query.message.edit_text(
                tr(i18n, "voice-mode-set", mode=mode),
                reply_markup=with_back(None, query.message, i18n),
            )


async def on_voicelang(
    message: Message,
    command: CommandObject,
    users: UserRepository,
    settings: Settings,
    i18n: I18nContext,
    user_record: UserRecord | None = None,
) -> None:
    if user_record is None:
        return
    argument = (command.args or "").strip()
    operator = settings.transcription_language
    if not argument:
        await message.answer(voicelang_text(i18n, user_record, operator))
        return
    if argument.lower() == "auto":
        await users.set_transcription_language(user_record.id, None)
        if operator:
            await message.answer(tr(i18n, "voicelang-reset-operator", language=operator))
        else:
            await message.answer(tr(i18n, "voicelang-reset"))
        return
    code = language_code(argument)
    if code is None:
        await message.answer(
            tr(i18n, "voicelang-invalid", code=argument[:20])
            + "\n\n"
            + tr(i18n, "voicelang-usage")
        )
        return
    await users.set_transcription_language(user_record.id, code)
    await message.answer(tr(i18n, "voicelang-set", language=code))


async def on_speak(
    query: CallbackQuery,
    callback_data: AnswerAction,
    chat_service: ChatService,
    voice_replies: VoiceReplies,
    i18n: I18nContext,
) -> None:
    """🔊 under an answer, old ones too: its stored text is read aloud, for its owner only."""
    stored = await chat_service.find_answer(callback_data.answer_id)
    if stored is None:
        await query.answer(tr(i18n, "voice-speak-gone"), show_alert=True)
        return
    owner, text = stored.key.user_id, stored.content
    if owner != query.from_user.id:
        await query.answer(tr(i18n, "voice-speak-not-yours"), show_alert=True)
        return
    message = query.message
    if not isinstance(message, Message):
        await query.answer(tr(i18n, "voice-speak-gone"), show_alert=True)
        return
    if not voice_replies.claim(callback_data.answer_id):
        await query.answer(tr(i18n, "voice-speak-busy"))
        return
    try:
        await query.answer()
        await voice_replies.speak(
            text,
            i18n=i18n,
            user_id=owner,
            chat_id=message.chat.id,
            thread_id=topic_of(message),
            reply_to=message.message_id,
        )
    finally:
        voice_replies.release(callback_data.answer_id)


async def on_stale_button(query: CallbackQuery, i18n: I18nContext) -> None:
    await query.answer(tr(i18n, "voice-speak-gone"))


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(on_voice, Command("voice"))
    router.message.register(on_voicelang, Command("voicelang"))
    router.callback_query.register(on_voice_mode_chosen, VoiceModeChoice.filter())
    router.callback_query.register(on_speak, AnswerAction.filter(F.action == SPEAK))
    router.callback_query.register(on_stale_button, F.data.startswith("vmode:"))
    return router
