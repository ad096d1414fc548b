"""Voice notes, audio files, round videos and audio documents: transcribe, show, answer."""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass

from aiogram import F, Router
from aiogram.enums import ChatAction
from aiogram.types import Audio, Document, Message, Video, VideoNote, Voice
from aiogram.utils.chat_action import ChatActionSender
from aiogram_i18n import I18nContext

from bot.i18n import polza_error_text, tr
from bot.services.audio import AudioError, AudioErrorKind, AudioPreparer
from bot.services.errors import PolzaError
from bot.services.limits import LimitExceeded
from bot.services.transcription import TranscriptionService
from bot.telegram.downloads import FileTooBig, download_within
from bot.telegram.formatting import cut_utf16
from bot.telegram.replies import topic_of
from bot.telegram.responder import Responder, Turn

logger = logging.getLogger(__name__)

MB = 1024 * 1024
# A longer transcript is shortened in the chat (not for the model). UTF-16 units, as Telegram
# counts them: 3000 emoji are 6000 units, past the 4096 of one message.
TRANSCRIPT_PREVIEW_UNITS = 3000
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
    shown = cut_utf16(text, TRANSCRIPT_PREVIEW_UNITS)
    tag = "blockquote expandable" if len(shown) > COLLAPSE_AFTER_CHARS else "blockquote"
    return f"{tr(i18n, 'voice-heard')}\n<{tag}>{html.escape(shown)}</{tag.split()[0]}>"


async def on_recording(
    message: Message,
    turn: Turn,
    responder: Responder,
    transcription: TranscriptionService,
    audio_preparer: AudioPreparer,
) -> None:
    recording = recording_of(message)
    if recording is None:
        return
    settings = responder.settings
    limit_mb = settings.max_download_mb
    if recording.file_size is not None and recording.file_size > limit_mb * MB:
        await turn.say(turn.text("voice-too-big", limit=limit_mb))
        return
    max_minutes = settings.voice_max_duration_seconds / 60
    # Telegram's duration is only a hint (None for a file sent as a document): the measured
    # length is checked again while decoding, before anything is uploaded.
    if recording.duration is not None and recording.duration > settings.voice_max_duration_seconds:
        await turn.say(turn.text("voice-too-long", minutes=round(max_minutes)))
        return
    if not await responder.within_limits(turn):
        return
    async with ChatActionSender(
        bot=responder.bot,
        chat_id=turn.message.chat.id,
        message_thread_id=topic_of(turn.message),
        action=ChatAction.TYPING,
    ):
        text = await _transcribe(turn, responder, recording, transcription, audio_preparer)
    if text is None:
        return
    if not text.strip():
        await turn.say(turn.text("voice-nothing-heard"))
        return
    await turn.say(transcript_html(turn.i18n, text))
    await responder.answer(turn, text)


async def _transcribe(
    turn: Turn,
    responder: Responder,
    recording: Recording,
    transcription: TranscriptionService,
    audio_preparer: AudioPreparer,
) -> str | None:
    """The recording's text, or None after telling the user what went wrong."""
    limit_mb = responder.settings.max_download_mb
    try:
        # The declared file_size was checked already; what arrives is checked too.
        data = await download_within(responder.bot, recording.file, limit_mb * MB)
        chunks = await audio_preparer.prepare(
            data, mime_type=recording.mime_type, file_name=recording.file_name
        )
        result = await transcription.transcribe(
            chunks,
            language=turn.user.language,
            user_id=turn.conversation.user_id,
            chat_id=turn.conversation.chat_id,
        )
    except FileTooBig:
        await turn.say(turn.text("voice-too-big", limit=limit_mb))
        return None
    except AudioError as error:
        logger.info("Unusable recording from user %s: %s", turn.user.id, error)
        if error.kind is AudioErrorKind.TOO_LONG:
            minutes = round(audio_preparer.max_duration_seconds / 60)
            await turn.say(turn.text("voice-too-long", minutes=minutes))
            return None
        key = {
            AudioErrorKind.EMPTY: "voice-empty",
            AudioErrorKind.UNSUPPORTED: "voice-unsupported",
        }.get(error.kind, "voice-corrupt")
        await turn.say(turn.text(key))
        return None
    except LimitExceeded as refusal:
        await turn.refuse(refusal.verdict)
        return None
    except PolzaError as error:
        logger.warning("Transcription failed for user %s: %s", turn.user.id, error.log_fields())
        error.model = error.model or transcription.model
        await turn.say(turn.text("voice-failed") + "\n" + polza_error_text(turn.i18n, error))
        return None
    return result.text


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(
        on_recording,
        F.voice | F.audio | F.video_note | (F.document.mime_type.startswith("audio/")),
    )
    return router
