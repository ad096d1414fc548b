"""Sending a generated picture: as a photo when Telegram accepts one, else as a file."""

from __future__ import annotations

import html
import logging
from collections.abc import Sequence

from aiogram.exceptions import TelegramBadRequest, TelegramEntityTooLarge
from aiogram.types import (
    BufferedInputFile,
    InlineKeyboardMarkup,
    InputMediaDocument,
    InputMediaPhoto,
    Message,
)
from aiogram.types.media_union import MediaUnion

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


async def send_image(
    message: Message,
    data: bytes,
    mime_type: str,
    caption: str,
    markup: InlineKeyboardMarkup | None = None,
) -> Message:
    """Answer `message` with the picture: a photo if Telegram takes it, otherwise a file."""
    upload = BufferedInputFile(data, filename=file_name(mime_type))
    reply = reply_parameters(message)
    if fits_as_photo(data):
        try:
            return await message.answer_photo(
                upload, caption=caption, reply_parameters=reply, reply_markup=markup
            )
        except (TelegramBadRequest, TelegramEntityTooLarge) as error:
            logger.warning("Telegram refused the picture as a photo (%s); sending a file", error)
    return await send_original(message, data, mime_type, caption, markup)


async def send_original(
    message: Message,
    data: bytes,
    mime_type: str,
    caption: str,
    markup: InlineKeyboardMarkup | None = None,
) -> Message:
    """The picture as a file: Telegram keeps its bytes as they are."""
    upload = BufferedInputFile(data, filename=file_name(mime_type))
    return await message.answer_document(
        upload, caption=caption, reply_parameters=reply_parameters(message), reply_markup=markup
    )


async def send_album(
    message: Message, pictures: Sequence[tuple[bytes, str]], caption: str
) -> list[Message]:
    """Answer `message` with an album of `(bytes, mime type)` pictures, captioned once.

    An album cannot mix photos and files: it is all photos when Telegram takes each as one,
    else all files (the originals).
    """
    as_photos = all(fits_as_photo(data) for data, _ in pictures)
    media: list[MediaUnion] = []
    for number, (data, mime_type) in enumerate(pictures):
        upload = BufferedInputFile(data, filename=f"{number + 1}-{file_name(mime_type)}")
        text = caption if number == 0 else None
        if as_photos:
            media.append(InputMediaPhoto(media=upload, caption=text))
        else:
            media.append(InputMediaDocument(media=upload, caption=text))
    return await message.answer_media_group(media, reply_parameters=reply_parameters(message))
