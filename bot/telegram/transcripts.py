"""Showing a transcript: a preview in the chat, the whole text as a file when it is longer."""

from __future__ import annotations

import html

from aiogram.types import BufferedInputFile
from aiogram_i18n import I18nContext

from bot.i18n import tr
from bot.telegram.formatting import cut_utf16
from bot.telegram.replies import reply_parameters
from bot.telegram.responder import Turn

# A longer transcript is shortened in the chat (not for the model). UTF-16 units, as Telegram
# counts them: 3000 emoji are 6000 units, past the 4096 of one message.
TRANSCRIPT_PREVIEW_UNITS = 3000
COLLAPSE_AFTER_CHARS = 400


def transcript_html(i18n: I18nContext, text: str) -> str:
    shown = cut_utf16(text, TRANSCRIPT_PREVIEW_UNITS)
    tag = "blockquote expandable" if len(shown) > COLLAPSE_AFTER_CHARS else "blockquote"
    return f"{tr(i18n, 'voice-heard')}\n<{tag}>{html.escape(shown)}</{tag.split()[0]}>"


def is_cut(text: str) -> bool:
    return cut_utf16(text, TRANSCRIPT_PREVIEW_UNITS) != text


async def send_full_transcript(turn: Turn, text: str) -> None:
    """The whole transcript as a .txt document, when the preview had to shorten it."""
    if not is_cut(text):
        return
    message = turn.message
    await message.answer_document(
        BufferedInputFile(text.encode("utf-8"), "transcript.txt"),
        caption=turn.text("voice-full-transcript"),
        reply_parameters=reply_parameters(message),
    )
