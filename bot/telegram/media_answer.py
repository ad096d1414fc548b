"""Answering photos and files: sort out what can be read, fetch it, and ask the model.

Images go to the model as image parts; text files as their text, named; documents (PDF,
DOCX, ODT, RTF) as their text or, for a model that reads files, as the PDF itself
(`bot.telegram.document_input`). A model that is known not to see images gets a one-tap switch
offer instead (a model the catalogue does not know is tried, and the offer follows if Polza
refuses the images).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramNetworkError
from aiogram_i18n import I18nContext

from bot.config import Settings
from bot.i18n import tr
from bot.services.catalogue import Catalogue, model_key
from bot.services.document_reader import DocumentReader
from bot.services.documents import DocumentError, DocumentErrorKind, file_block, read_text
from bot.services.model_lookup import catalogue_snapshot, vision_suggestion
from bot.services.pictures import PictureError, PictureErrorKind, PictureNormaliser
from bot.telegram.attachments import (
    MB,
    Attachment,
    FileKind,
    MediaMessage,
    RequestCaps,
    attachments_of,
    too_big_text,
)
from bot.telegram.attachments import download as download_file
from bot.telegram.document_input import ReadDocument, read_document
from bot.telegram.downloads import FileTooBig
from bot.telegram.progress import JobStatus, StatusTiming
from bot.telegram.responder import Responder, Turn
from bot.telegram.vision_offer import PendingMedia, VisionSwitch, switch_markup
from storage import ImageData

logger = logging.getLogger(__name__)

KB = 1024


def image_placeholder(count: int) -> str:
    """What stands for the images in the stored turn once the images themselves are gone."""
    return "[image]" if count == 1 else f"[{count} images]"


def media_turn_text(text: str, *, images: int, files: Sequence[str]) -> str:
    """The user's turn as the model reads it: the images' placeholder, files, then words."""
    parts = [image_placeholder(images)] if images else []
    parts.extend(files)
    if text:
        parts.append(text)
    return "\n\n".join(parts)


@dataclass(slots=True)
class _Problems:
    """Files left out, each with the message that explains why."""

    names: list[str] = field(default_factory=list)
    first: str | None = None

    def add(self, name: str, explanation: str) -> None:
        self.names.append(name)
        self.first = self.first or explanation


async def answer_media(
    responder: Responder,
    turn: Turn,
    media: MediaMessage,
    model: str | None = None,
    *,
    pictures: PictureNormaliser,
    documents: DocumentReader,
) -> None:
    """Answer the photos and files of `media` (a message or an album) in one request."""
    settings, i18n = responder.settings, turn.i18n
    problems = _Problems()
    usable = _usable(media, settings, problems, i18n)
    if not usable:
        await turn.say(problems.first or turn.text("media-unsupported"))
        return
    model = model or (await responder.chat_model(turn)).id
    # The vision model offered must be one the user may have (ALLOWED_MODELS).
    snapshot = responder.models.allowed(await catalogue_snapshot(responder.catalogue))
    info = snapshot.get(model) if snapshot is not None else None
    if info is not None and not info.vision and any(a.kind is FileKind.IMAGE for a in usable):
        await _offer_vision(responder, turn, media, model, snapshot)
        return

    images: list[ImageData] = []
    files: list[str] = []
    read: list[ReadDocument] = []
    caps = RequestCaps(settings.max_image_bytes_per_request, settings.max_attached_text_chars)
    for attachment in usable:
        data = await _fetch(responder.bot, attachment, problems, i18n)
        if data is None:
            continue
        if attachment.kind is FileKind.IMAGE:
            # Only the re-encoded picture is sent and stored, never the bytes as received.
            picture = await _picture(pictures, attachment, data, problems, i18n)
            if picture is not None and caps.take_image(len(picture)):
                images.append(ImageData("image/jpeg", picture))
            elif picture is not None:
                limit = f"{settings.max_image_bytes_per_request / MB:.1f}"
                over = tr(i18n, "media-images-over-cap", name=attachment.name, limit=limit)
                problems.add(attachment.name, over)
            continue
        if attachment.kind is FileKind.DOCUMENT:
            reads_files = info is not None and info.reads_files
            reading = tr(i18n, "document-reading")
            async with JobStatus(turn.message, reading, StatusTiming.from_settings(settings)):
                document = await read_document(
                    documents, attachment, data, caps=caps, reads_files=reads_files, i18n=i18n
                )
            if isinstance(document, str):
                problems.add(attachment.name, document)
            else:
                read.append(document)
            continue
        try:
            text = await read_text(data)
        except DocumentError as error:
            key = "media-empty" if error.kind is DocumentErrorKind.EMPTY else "media-not-text"
            problems.add(attachment.name, tr(i18n, key, name=attachment.name))
            continue
        if caps.take_text(len(text)):
            files.append(file_block(attachment.name, text))
        else:
            chars = settings.max_attached_text_chars
            over = tr(i18n, "media-text-over-cap", name=attachment.name, limit=chars)
            problems.add(attachment.name, over)
    if not images and not files and not read:
        await turn.say(problems.first or turn.text("media-unsupported"))
        return
    if problems.names:
        await turn.say(turn.text("media-skipped", names=", ".join(problems.names)))
    for note in (document.note for document in read):
        if note:
            await turn.say(note)

    # A document alone, without a word from the user: a short summary is what they expect.
    words = media.text or (turn.text("document-summary-request") if read else "")
    sent = [*files, *(document.request_text for document in read)]
    kept = [*files, *(document.stored_text for document in read)]
    user_text = media_turn_text(words, images=len(images), files=sent)
    stored_text = media_turn_text(words, images=len(images), files=kept)
    outcome = await responder.answer(
        turn,
        user_text,
        images=images,
        model=model,
        files=[document.file for document in read if document.file is not None],
        stored_text=stored_text if stored_text != user_text else None,
    )
    if outcome is not None and outcome.images_refused:
        await _offer_vision(responder, turn, media, model, snapshot)


def _usable(
    media: MediaMessage, settings: Settings, problems: _Problems, i18n: I18nContext
) -> list[Attachment]:
    download_limit = settings.max_download_mb * MB
    text_limit = settings.document_max_kb * KB
    usable: list[Attachment] = []
    for part in media.parts:
        for attachment in attachments_of(part, download_limit, text_limit):
            size = attachment.size or 0
            if attachment.kind is FileKind.UNSUPPORTED:
                problems.add(attachment.name, tr(i18n, "media-unsupported"))
            elif attachment.kind is FileKind.IMAGE and size > download_limit:
                problems.add(
                    attachment.name,
                    tr(i18n, "media-image-too-big", limit=settings.max_download_mb),
                )
            elif attachment.kind is FileKind.DOCUMENT and size > download_limit:
                problems.add(
                    attachment.name,
                    tr(
                        i18n,
                        "document-too-big",
                        name=attachment.name,
                        limit=settings.max_download_mb,
                    ),
                )
            elif attachment.kind is FileKind.TEXT and size > text_limit:
                limit = settings.document_max_kb
                problems.add(
                    attachment.name,
                    tr(i18n, "media-file-too-big", name=attachment.name, limit=limit),
                )
            else:
                usable.append(attachment)
    return usable


async def _picture(
    pictures: PictureNormaliser,
    attachment: Attachment,
    data: bytes,
    problems: _Problems,
    i18n: I18nContext,
) -> bytes | None:
    try:
        return await pictures.normalise(data)
    except PictureError as error:
        logger.info("Unusable picture %r: %s", attachment.name, error)
        key = "media-image-huge" if error.kind is PictureErrorKind.TOO_LARGE else "media-not-image"
        problems.add(attachment.name, tr(i18n, key, name=attachment.name))
        return None


async def _fetch(
    bot: Bot, attachment: Attachment, problems: _Problems, i18n: I18nContext
) -> bytes | None:
    try:
        return await download_file(bot, attachment)
    except (TelegramBadRequest, TelegramNetworkError) as error:
        logger.warning("Could not download %s: %s", attachment.kind.value, error)
        problems.add(attachment.name, tr(i18n, "media-download-failed"))
        return None
    except FileTooBig as error:  # larger than its declared size
        problems.add(attachment.name, too_big_text(i18n, attachment, error))
        return None


async def _offer_vision(
    responder: Responder,
    turn: Turn,
    media: MediaMessage,
    model: str,
    snapshot: Catalogue | None,
) -> None:
    suggestion = vision_suggestion(snapshot, responder.settings.vision_model)
    if suggestion is None or suggestion == model:
        await turn.say(turn.text("vision-unsupported", model=model))
        return
    info = snapshot.get(suggestion) if snapshot is not None else None
    token = responder.pending_media.put(PendingMedia(media, turn.conversation))
    data = VisionSwitch(
        user_id=turn.conversation.user_id, model=model_key(suggestion), token=token
    )
    # Button labels are plain text, so no HTML escaping here.
    label = turn.i18n.get("vision-switch-button", name=info.name if info else suggestion)
    await turn.say(
        turn.text("vision-offer", model=model, suggested=suggestion), switch_markup(data, label)
    )
