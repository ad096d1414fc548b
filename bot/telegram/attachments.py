"""The files in a user's message (or album): which to read, and how to fetch them."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

from aiogram import Bot
from aiogram.types import Document, Message, PhotoSize
from aiogram_i18n import I18nContext

from bot.i18n import tr
from bot.services.document_reader import document_format
from bot.services.documents import is_text_file
from bot.services.extraction import DocumentFormat
from bot.telegram.albums import PendingAlbum
from bot.telegram.downloads import FileTooBig, download_within

KB = 1024
MB = 1024 * 1024
# Formats vision models take (GIF: its first frame).
IMAGE_MIME_TYPES = frozenset({"image/jpeg", "image/png", "image/webp", "image/gif"})


class FileKind(enum.StrEnum):
    IMAGE = "image"
    TEXT = "text"
    DOCUMENT = "document"  # PDF, DOCX, ODT, RTF: read by `bot.services.document_reader`
    UNSUPPORTED = "unsupported"


@dataclass(frozen=True, slots=True)
class Attachment:
    file: PhotoSize | Document
    name: str
    kind: FileKind
    mime_type: str
    size: int | None  # as the sender's client declared it; None when it did not say
    limit: int  # the most bytes read of it, whatever `size` says
    format: DocumentFormat | None = None  # for FileKind.DOCUMENT


@dataclass(frozen=True, slots=True)
class MediaMessage:
    """What one answer is about: the message answered (the first of an album), every part,
    and the user's words for the model (caption with the mention cut, and any quote)."""

    lead: Message
    parts: tuple[Message, ...]
    text: str


@dataclass(slots=True)
class RequestCaps:
    """What one request may carry: picture bytes (after re-encoding) and attached text."""

    image_bytes: int
    text_chars: int
    used_image_bytes: int = 0
    used_text_chars: int = 0

    def take_image(self, size: int) -> bool:
        if self.used_image_bytes + size > self.image_bytes:
            return False
        self.used_image_bytes += size
        return True

    def take_text(self, chars: int) -> bool:
        if self.used_text_chars + chars > self.text_chars:
            return False
        self.used_text_chars += chars
        return True


async def media_message(message: Message, text: str, album: PendingAlbum | None) -> MediaMessage:
    """`message` with the rest of its album (waiting for it to be complete); the other
    parts' captions join `text`, the lead's words for the model."""
    if album is None:
        return MediaMessage(lead=message, parts=(message,), text=text)
    parts = await album.complete()
    captions = [part.caption.strip() for part in parts if part is not message and part.caption]
    words = "\n\n".join(part for part in (text, *captions) if part)
    return MediaMessage(lead=message, parts=tuple(parts), text=words)


def is_image_document(document: Document) -> bool:
    return (document.mime_type or "").lower() in IMAGE_MIME_TYPES


def best_photo(sizes: Sequence[PhotoSize], limit_bytes: int) -> PhotoSize | None:
    """The largest size a bot may download: one whose size is known and under the limit if
    there is any, else the largest of unknown size; None when every size is too big."""
    known = [s for s in sizes if s.file_size is not None and s.file_size <= limit_bytes]
    candidates = known or [s for s in sizes if s.file_size is None]
    return max(candidates, key=lambda s: s.width * s.height, default=None)


def attachments_of(
    message: Message, download_limit_bytes: int, text_limit_bytes: int | None = None
) -> list[Attachment]:
    limit = download_limit_bytes
    if message.photo:
        photo = best_photo(message.photo, download_limit_bytes)
        # Every size too big: the largest one, so the caller reports the size.
        chosen = photo or max(message.photo, key=lambda s: s.width * s.height)
        return [
            Attachment(chosen, "photo.jpg", FileKind.IMAGE, "image/jpeg", chosen.file_size, limit)
        ]
    document = message.document
    if document is None:
        return []
    mime = (document.mime_type or "").lower()
    name = document.file_name or "file"
    fmt = document_format(document.file_name, document.mime_type)
    if is_image_document(document):
        kind = FileKind.IMAGE
    elif fmt is not None:
        return [
            Attachment(document, name, FileKind.DOCUMENT, mime, document.file_size, limit, fmt)
        ]
    elif is_text_file(document.file_name, document.mime_type):
        kind = FileKind.TEXT
        limit = min(limit, text_limit_bytes or limit)
    else:
        kind = FileKind.UNSUPPORTED
    return [Attachment(document, name, kind, mime, document.file_size, limit)]


async def download(bot: Bot, attachment: Attachment) -> bytes:
    """The file's bytes. Raises `FileTooBig` past `attachment.limit` (the declared size is
    not trusted) and aiogram's errors (a file too big for Telegram to serve is a 400)."""
    return await download_within(bot, attachment.file, attachment.limit)


def too_big_text(i18n: I18nContext, attachment: Attachment, error: FileTooBig) -> str:
    """What the user is told about a file that turned out bigger than its limit."""
    if attachment.kind is FileKind.TEXT:
        return tr(i18n, "media-file-too-big", name=attachment.name, limit=error.limit_bytes // KB)
    if attachment.kind is FileKind.DOCUMENT:
        return tr(i18n, "document-too-big", name=attachment.name, limit=error.limit_bytes // MB)
    return tr(i18n, "media-image-too-big", limit=error.limit_bytes // MB)
