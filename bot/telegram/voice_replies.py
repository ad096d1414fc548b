"""Spoken answers: the /voice modes, the 🔊 button, and sending speech as voice messages.

The text answer always comes first and stays; the voice messages follow it. Code blocks are not
read aloud, and an answer longer than the speech model takes is read in a few pieces; past
`MAX_PIECES` the rest is left out with a note (the whole text is above it anyway).
"""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.enums import ChatAction
from aiogram.exceptions import TelegramAPIError
from aiogram.types import BufferedInputFile, ReplyParameters
from aiogram.utils.chat_action import ChatActionSender
from aiogram_i18n import I18nContext

from bot.i18n import polza_error_text, tr
from bot.services.errors import PolzaError
from bot.services.limits import LimitExceeded
from bot.services.speech import SpeechError, SpeechService
from bot.services.speech_text import split_for_speech, spoken_text
from bot.telegram.usage_texts import limit_text

logger = logging.getLogger(__name__)

MODES = ("on", "auto", "off")
MAX_PIECES = 3


def voice_mode(stored: str | None) -> str:
    return stored if stored in ("on", "auto") else "off"


def speaks(stored_mode: str | None, *, voice_input: bool) -> bool:
    """Whether an answer is spoken by itself: always (on), or to a voice message (auto)."""
    mode = voice_mode(stored_mode)
    return mode == "on" or (mode == "auto" and voice_input)


class VoiceReplies:
    """Reads answers aloud into a chat, one voice message per piece."""

    def __init__(self, bot: Bot, speech: SpeechService) -> None:
        self._bot = bot
        self._speech = speech
        # Stored answers being read after a 🔊 press: a second press meanwhile pays nothing.
        self._busy: set[int] = set()

    def claim(self, answer_id: int) -> bool:
        """False when this answer is already being read aloud; else mark it (see `release`)."""
        if answer_id in self._busy:
            return False
        self._busy.add(answer_id)
        return True

    def release(self, answer_id: int) -> None:
        self._busy.discard(answer_id)

    async def speak(
        self,
        text: str,
        *,
        i18n: I18nContext,
        user_id: int,
        chat_id: int,
        thread_id: int | None = None,
        reply_to: int | None = None,
    ) -> None:
        """Speak `text` (an answer, Markdown) as voice messages; tell the user what failed."""
        spoken = spoken_text(text, tr(i18n, "voice-code-omitted"))
        limit = await self._speech.input_limit()
        split = split_for_speech(spoken, limit, MAX_PIECES)
        if not split.pieces:
            await self._say(tr(i18n, "voice-speak-nothing"), chat_id, thread_id, reply_to)
            return
        async with ChatActionSender(
            bot=self._bot,
            chat_id=chat_id,
            message_thread_id=thread_id,
            action=ChatAction.RECORD_VOICE,
        ):
            for number, piece in enumerate(split.pieces, start=1):
                try:
                    speech = await self._speech.speak(piece, user_id=user_id, chat_id=chat_id)
                except LimitExceeded as refusal:
                    await self._say(limit_text(i18n, refusal.verdict), chat_id, thread_id, None)
                    return
                except PolzaError as error:
                    logger.warning("Speech failed for user %s: %s", user_id, error.log_fields())
                    error.model = error.model or self._speech.model
                    failed = tr(i18n, "voice-speak-failed")
                    await self._say(
                        f"{failed}\n{polza_error_text(i18n, error)}", chat_id, thread_id, None
                    )
                    return
                except SpeechError as error:
                    logger.warning("Speech unusable for user %s: %s", user_id, error)
                    await self._say(tr(i18n, "voice-speak-failed"), chat_id, thread_id, None)
                    return
                name = "answer.ogg" if len(split.pieces) == 1 else f"answer-{number}.ogg"
                await self._bot.send_voice(
                    chat_id,
                    BufferedInputFile(speech.audio, name),
                    message_thread_id=thread_id,
                    reply_parameters=_reply(reply_to),
                )
        if split.cut:
            await self._say(tr(i18n, "voice-speak-cut"), chat_id, thread_id, None)

    async def _say(
        self, text: str, chat_id: int, thread_id: int | None, reply_to: int | None
    ) -> None:
        try:
            await self._bot.send_message(
                chat_id, text, message_thread_id=thread_id, reply_parameters=_reply(reply_to)
            )
        except TelegramAPIError as error:
            logger.info("Could not tell chat %s about speech: %s", chat_id, error)


def _reply(message_id: int | None) -> ReplyParameters | None:
    if message_id is None:
        return None
    return ReplyParameters(message_id=message_id, allow_sending_without_reply=True)
