"""Sending a generated picture: as a photo when Telegram accepts one, else as a file."""

from __future__ import annotations

import html
import logging

from aiogram.exceptions import TelegramBadRequest, TelegramEntityTooLarge
from aiogram.types import BufferedInputFile, Message

from bot.services.pictures import image_info
from bot.telegram.replies import reply_parameters

logger = logging.getLogger(__name__)

# Telegram's sendPhoto limits.
PHOTO_MAX_BYTES = 10 * 1024 * 1024
PHOTO_MAX_SIDES_SUM = 10_000
PHOTO_MAX_RATIO = 20
CAPTION_LIMIT = 1024
ELLIPSIS = "…"

_EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp", "image/gif": "gif"}


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def fits_as_photo(data: bytes) -> bool:
    """Whether Telegram takes these bytes as a photo (size, side sum and aspect ratio)."""
    if len(data) > PHOTO_MAX_BYTES:
        return False
    info = image_info(data)
    if info is None:
        return True  # Telegram decides; a refusal falls back to a document
    width, height = info.width, info.height
    if min(width, height) <= 0:
        return False
    return width + height <= PHOTO_MAX_SIDES_SUM and max(width, height) <= PHOTO_MAX_RATIO * min(
        width, height
    )


def photo_caption(text: str, limit: int = CAPTION_LIMIT) -> str:
    """`text` as Telegram HTML, cut with an ellipsis to at most `limit` UTF-16 units."""
    escaped = html.escape(text, quote=False)
    if utf16_len(escaped) <= limit:
        return escaped
    # The longest prefix that fits; escaping only lengthens, so the fit is monotonic in length.
    low, high = 0, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if utf16_len(_cut(text, middle)) <= limit:
            low = middle
        else:
            high = middle - 1
    space = text.rfind(" ", 0, low)
    if space > low * 0.8:  # end on a whole word when that loses little
        low = space
    return _cut(text, low)


def _cut(text: str, length: int) -> str:
    return html.escape(text[:length].rstrip(), quote=False) + ELLIPSIS


def file_name(mime_type: str) -> str:
    return f"image.{_EXTENSIONS.get(mime_type, 'png')}"


async def send_image(message: Message, data: bytes, mime_type: str, caption: str) -> Message:
    """Answer `message` with the picture: a photo if Telegram takes it, otherwise a file."""
    upload = BufferedInputFile(data, filename=file_name(mime_type))
    reply = reply_parameters(message)
    if fits_as_photo(data):
        try:
            return await message.answer_photo(upload, caption=caption, reply_parameters=reply)
        except (TelegramBadRequest, TelegramEntityTooLarge) as error:
            logger.warning("Telegram refused the picture as a photo (%s); sending a file", error)
    return await message.answer_document(upload, caption=caption, reply_parameters=reply)
