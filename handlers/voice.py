"""Voice notes, audio files, round videos and audio documents: transcribe, show, answer."""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass

from aiogram import Bot, F, Router
from aiogram.enums import ChatAction
from aiogram.types import Audio, Document, Message, Video, VideoNote, Voice
from aiogram.utils.chat_action import ChatActionSender
from aiogram_i18n import I18nContext

from bot.config import Settings
from bot.i18n import polza_error_text, tr
from bot.services.audio import AudioError, AudioErrorKind, prepare_audio
from bot.services.chat import ChatService
from bot.services.errors import PolzaError
from bot.services.limits import SpendingGuard
from bot.services.model_choice import ModelResolver
from bot.services.running import RunningAnswers
from bot.services.transcription import TranscriptionService
from bot.services.usage import UsageService
from bot.telegram.answering import answer_with_model, chat_model, reply_text, topic_of
from bot.telegram.usage_texts import limit_text
from storage import ConversationKey, UsageRecord, UserRecord

router = Router(name=__name__)
logger = logging.getLogger(__name__)

MB = 1024 * 1024
TRANSCRIPT_PREVIEW_CHARS = 3000  # a longer transcript is shortened in the chat (not for the model)
COLLAPSE_AFTER_CHARS = 400


@dataclass(frozen=True, slots=True)
class Recording:
    file: Voice | Audio | VideoNote | Document | Video
    file_size: int | None
    duration: int | None
    mime_type: str | None
    file_name: str | None


def recording_of(message: Message) -> Recording | None:
    if message.voice:
        v = message.voice
        return Recording(v, v.file_size, v.duration, v.mime_type or "audio/ogg", "voice.ogg")
    if message.audio:
        a = message.audio
        return Recording(a, a.file_size, a.duration, a.mime_type, a.file_name)
    if message.video_note:
        n = message.video_note
        return Recording(n, n.file_size, n.duration, "video/mp4", "video_note.mp4")
    document = message.document
    if document and (document.mime_type or "").startswith("audio/"):
        return Recording(
            document, document.file_size, None, document.mime_type, document.file_name
        )
    return None


def transcript_html(i18n: I18nContext, text: str) -> str:
    shown = (
        text if len(text) <= TRANSCRIPT_PREVIEW_CHARS else text[:TRANSCRIPT_PREVIEW_CHARS] + "…"
    )
    tag = "blockquote expandable" if len(shown) > COLLAPSE_AFTER_CHARS else "blockquote"
    return f"{tr(i18n, 'voice-heard')}\n<{tag}>{html.escape(shown)}</{tag.split()[0]}>"


@router.message(F.voice | F.audio | F.video_note | (F.document.mime_type.startswith("audio/")))
async def on_recording(
    message: Message,
    bot: Bot,
    settings: Settings,
    chat_service: ChatService,
    transcription: TranscriptionService,
    usage_service: UsageService,
    spending_guard: SpendingGuard,
    models: ModelResolver,
    conversation: ConversationKey,
    running_answers: RunningAnswers,
    user_record: UserRecord,
    i18n: I18nContext,
) -> None:
    recording = recording_of(message)
    if recording is None:
        return
    limit_mb = settings.max_download_mb
    if recording.file_size is not None and recording.file_size > limit_mb * MB:
        await reply_text(message, tr(i18n, "voice-too-big", limit=limit_mb))
        return
    max_minutes = settings.voice_max_duration_seconds / 60
    if recording.duration is not None and recording.duration > settings.voice_max_duration_seconds:
        await reply_text(message, tr(i18n, "voice-too-long", minutes=round(max_minutes)))
        return
    verdict = await spending_guard.check(conversation.user_id)
    if verdict is not None:
        await reply_text(message, limit_text(i18n, verdict))
        return

    async with ChatActionSender(
        bot=bot,
        chat_id=message.chat.id,
        message_thread_id=topic_of(message),
        action=ChatAction.TYPING,
    ):
        transcript = await _transcribe(
            message, bot, recording, settings, transcription, user_record, i18n
        )
    if transcript is None:
        return
    text, cost_rub, seconds = transcript
    await usage_service.record(
        UsageRecord(
            user_id=conversation.user_id,
            chat_id=conversation.chat_id,
            kind="voice",
            model=transcription.model,
            cost_rub=cost_rub,
        ),
        audio_seconds=seconds,
    )
    if not text.strip():
        await reply_text(message, tr(i18n, "voice-nothing-heard"))
        return
    await reply_text(message, transcript_html(i18n, text))
    await answer_with_model(
        message,
        bot=bot,
        user_text=text,
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


async def _transcribe(
    message: Message,
    bot: Bot,
    recording: Recording,
    settings: Settings,
    transcription: TranscriptionService,
    user_record: UserRecord,
    i18n: I18nContext,
) -> tuple[str, float | None, float | None] | None:
    """(text, cost, seconds) of the recording, or None after telling the user what went wrong."""
    try:
        downloaded = await bot.download(recording.file)
        if downloaded is None:
            raise AudioError(AudioErrorKind.EMPTY, "nothing downloaded")
        chunks = await prepare_audio(
            downloaded.read(),
            mime_type=recording.mime_type,
            file_name=recording.file_name,
            chunk_seconds=settings.voice_chunk_seconds,
            max_upload_bytes=settings.stt_max_upload_mb * MB,
        )
        result = await transcription.transcribe(
            chunks, language=user_record.language, user_id=user_record.id
        )
    except AudioError as error:
        logger.info("Unusable recording from user %s: %s", user_record.id, error)
        key = {
            AudioErrorKind.EMPTY: "voice-empty",
            AudioErrorKind.UNSUPPORTED: "voice-unsupported",
        }.get(error.kind, "voice-corrupt")
        await reply_text(message, tr(i18n, key))
        return None
    except PolzaError as error:
        logger.warning("Transcription failed for user %s: %s", user_record.id, error.log_fields())
        error.model = error.model or transcription.model
        await reply_text(message, tr(i18n, "voice-failed") + "\n" + polza_error_text(i18n, error))
        return None
    return result.text, result.cost_rub, result.duration_seconds
