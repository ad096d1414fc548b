"""Sending a generated picture: as a photo when Telegram accepts one, else as a file."""

from __future__ import annotations

import html
import logging
import struct

from aiogram.exceptions import TelegramBadRequest, TelegramEntityTooLarge
from aiogram.types import BufferedInputFile, Message

from bot.telegram.replies import reply_parameters

logger = logging.getLogger(__name__)

# Telegram's sendPhoto limits.
PHOTO_MAX_BYTES = 10 * 1024 * 1024
PHOTO_MAX_SIDES_SUM = 10_000
PHOTO_MAX_RATIO = 20
CAPTION_LIMIT = 1024
ELLIPSIS = "…"

_EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp", "image/gif": "gif"}
# JPEG start-of-frame markers (DHT C4, JPG C8 and DAC CC share the range but are not frames).
_JPEG_FRAMES = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
_JPEG_STANDALONE = frozenset({0x01, 0xD8, *range(0xD0, 0xD8)})


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) read from a PNG, JPEG, GIF or WebP header; None when unreadable."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return width, height
    if data.startswith((b"GIF87a", b"GIF89a")) and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return width, height
    if data.startswith(b"\xff\xd8"):
        return _jpeg_size(data)
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return _webp_size(data)
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    i = 2
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte before a marker
            i += 1
            continue
        if marker in _JPEG_STANDALONE:
            i += 2
            continue
        if marker in (0xD9, 0xDA):  # end of image or start of scan: no frame header came
            return None
        if marker in _JPEG_FRAMES and i + 9 <= len(data):
            height, width = struct.unpack(">HH", data[i + 5 : i + 9])
            return width, height
        (length,) = struct.unpack(">H", data[i + 2 : i + 4])
        i += 2 + length
    return None


def _webp_size(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8 " and len(data) >= 30 and data[23:26] == b"\x9d\x01\x2a":
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L" and len(data) >= 25 and data[20] == 0x2F:
        (bits,) = struct.unpack("<I", data[21:25])
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X" and len(data) >= 30:
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
        return width, height
    return None


def fits_as_photo(data: bytes) -> bool:
    """Whether Telegram takes these bytes as a photo (size, side sum and aspect ratio)."""
    if len(data) > PHOTO_MAX_BYTES:
        return False
    size = image_size(data)
    if size is None:
        return True  # Telegram decides; a refusal falls back to a document
    width, height = size
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
