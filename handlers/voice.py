"""Voice notes, audio files, videos (round, plain, as documents) and audio documents:
transcribe, show, answer.

A caption is the user's instruction and the transcript the material: the model gets both,
the caption first. A transcript longer than the chat preview also comes whole as a .txt file.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from aiogram import F, Router
from aiogram.enums import ChatAction
from aiogram.types import Audio, Document, Message, Video, VideoNote, Voice
from aiogram.utils.chat_action import ChatActionSender

from bot.i18n import polza_error_text
from bot.services.audio import AudioError, AudioErrorKind, AudioPreparer
from bot.services.errors import PolzaError
from bot.services.limits import LimitExceeded
from bot.services.transcription import TranscriptionService
from bot.telegram.addressing import Addressing
from bot.telegram.downloads import FileTooBig, download_within
from bot.telegram.progress import JobStatus, StatusTiming
from bot.telegram.quotes import render_quote
from bot.telegram.replies import topic_of
from bot.telegram.responder import Responder, Turn
from bot.telegram.transcripts import send_full_transcript, transcript_html
from bot.telegram.usage_texts import limit_text

logger = logging.getLogger(__name__)

MB = 1024 * 1024
TRANSCRIPT_INTRO = "[Transcript of the attached recording]"


@dataclass(frozen=True, slots=True)
class Recording:
    file: Voice | Audio | VideoNote | Document | Video
    file_size: int | None
    duration: int | None
    mime_type: str | None
    file_name: str | None
    video: bool = False


def recording_of(message: Message) -> Recording | None:
    if message.voice:
        v = message.voice
        return Recording(v, v.file_size, v.duration, v.mime_type or "audio/ogg", "voice.ogg")
    if message.audio:
        a = message.audio
        return Recording(a, a.file_size, a.duration, a.mime_type, a.file_name)
    if message.video_note:
        n = message.video_note
        return Recording(n, n.file_size, n.duration, "video/mp4", "video_note.mp4", video=True)
    if message.video:
        clip = message.video
        mime = clip.mime_type or "video/mp4"
        name = clip.file_name or "video.mp4"
        return Recording(clip, clip.file_size, clip.duration, mime, name, video=True)
    document = message.document
    mime = (document.mime_type or "") if document else ""
    if document and mime.startswith(("audio/", "video/")):
        return Recording(
            document,
            document.file_size,
            None,
            document.mime_type,
            document.file_name,
            video=mime.startswith("video/"),
        )
    return None


def model_input(addressing: Addressing, transcript: str) -> str:
    """What the model is asked: the message replied to, the caption as the instruction, and
    the transcript as the material (alone when there is no caption)."""
    parts = [render_quote(addressing.quoted)] if addressing.quoted else []
    instruction = addressing.text.strip()
    if instruction:
        parts += [instruction, f"{TRANSCRIPT_INTRO}\n{transcript}"]
    else:
        parts.append(transcript)
    return "\n\n".join(parts)


async def on_recording(
    message: Message,
    turn: Turn,
    addressing: Addressing,
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
    timing = StatusTiming.from_settings(settings)
    async with (
        ChatActionSender(
            bot=responder.bot,
            chat_id=turn.message.chat.id,
            message_thread_id=topic_of(turn.message),
            action=ChatAction.TYPING,
        ),
        JobStatus(message, turn.text("voice-transcribing"), timing) as status,
    ):
        text = await _transcribe(turn, responder, recording, transcription, audio_preparer, status)
        await status.close()  # the transcript takes its place
    if text is None:
        return
    if not text.strip():
        await turn.say(turn.text("voice-nothing-heard"))
        return
    await turn.say(transcript_html(turn.i18n, text))
    await send_full_transcript(turn, text)
    await responder.answer(turn, model_input(addressing, text), voice_input=True)


@dataclass(frozen=True, slots=True)
class _Failure:
    text: str  # what to tell the user


async def _transcribe(
    turn: Turn,
    responder: Responder,
    recording: Recording,
    transcription: TranscriptionService,
    audio_preparer: AudioPreparer,
    status: JobStatus,
) -> str | None:
    """The recording's text, or None after telling the user what went wrong."""
    failure = await _transcribe_or_explain(
        turn, responder, recording, transcription, audio_preparer, status
    )
    if isinstance(failure, _Failure):
        if not await status.show_error(failure.text):
            await turn.say(failure.text)
        return None
    return failure


async def _transcribe_or_explain(
    turn: Turn,
    responder: Responder,
    recording: Recording,
    transcription: TranscriptionService,
    audio_preparer: AudioPreparer,
    status: JobStatus,
) -> str | _Failure:
    limit_mb = responder.settings.max_download_mb

    def on_chunk(number: int, total: int) -> None:
        status.stage(turn.text("voice-transcribing-part", part=number, parts=total))

    try:
        # The declared file_size was checked already; what arrives is checked too.
        data = await download_within(responder.bot, recording.file, limit_mb * MB)
        chunks = await audio_preparer.prepare(
            data, mime_type=recording.mime_type, file_name=recording.file_name
        )
        result = await transcription.transcribe(
            chunks,
            # None lets the model detect the language: the interface language says nothing
            # about the language someone speaks in.
            language=turn.user.transcription_language
            or responder.settings.transcription_language
            or None,
            user_id=turn.conversation.user_id,
            chat_id=turn.conversation.chat_id,
            on_chunk=on_chunk,
        )
    except FileTooBig:
        return _Failure(turn.text("voice-too-big", limit=limit_mb))
    except AudioError as error:
        logger.info("Unusable recording from user %s: %s", turn.user.id, error)
        if error.kind is AudioErrorKind.TOO_LONG:
            minutes = round(audio_preparer.max_duration_seconds / 60)
            return _Failure(turn.text("voice-too-long", minutes=minutes))
        if error.kind is AudioErrorKind.NO_AUDIO and recording.video:
            return _Failure(turn.text("voice-video-silent"))
        key = {
            AudioErrorKind.EMPTY: "voice-empty",
            AudioErrorKind.NO_AUDIO: "voice-empty",
            AudioErrorKind.UNSUPPORTED: "voice-unsupported",
        }.get(error.kind, "voice-corrupt")
        return _Failure(turn.text(key))
    except LimitExceeded as refusal:
        return _Failure(limit_text(turn.i18n, refusal.verdict))
    except PolzaError as error:
        logger.warning("Transcription failed for user %s: %s", turn.user.id, error.log_fields())
        error.model = error.model or transcription.model
        return _Failure(turn.text("voice-failed") + "\n" + polza_error_text(turn.i18n, error))
    return result.text


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(
        on_recording,
        F.voice
        | F.audio
        | F.video_note
        | F.video
        | F.document.mime_type.startswith("audio/")
        | F.document.mime_type.startswith("video/"),
    )
    return router
