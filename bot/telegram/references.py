"""Reference pictures for /image: which pictures a request names, and their bytes.

A request names its references as sources, kept with the pictures it makes so that 🔄 can
ask again with the same ones: `tg:<file_id>` is a photo or image file in Telegram (a file id
holds no secret, unlike a download URL, which contains the bot token), `pic:<id>` is one of
the bot's own pictures, whose original bytes are kept (storage/pictures.py). Every picture is
normalised (bot/services/pictures.py) before it goes to Polza.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramNetworkError
from aiogram.types import Message

from bot.services.pictures import PictureError, PictureNormaliser
from bot.telegram.attachments import best_photo, is_image_document
from bot.telegram.downloads import FileTooBig, download_within
from storage.pictures import PictureRepository

logger = logging.getLogger(__name__)

TELEGRAM = "tg:"
PICTURE = "pic:"


class ReferenceProblem(enum.StrEnum):
    GONE = "gone"  # the bot's picture is no longer kept
    DOWNLOAD = "download"  # Telegram would not give the file
    TOO_BIG = "too_big"
    NOT_IMAGE = "not_image"


class ReferenceFailure(Exception):
    def __init__(self, problem: ReferenceProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


@dataclass(frozen=True, slots=True)
class _File:
    file_id: str


def picture_source(picture_id: int) -> str:
    return f"{PICTURE}{picture_id}"


def message_sources(message: Message, limit_bytes: int) -> list[str]:
    """The picture a message carries (a photo or an image file), as a source."""
    if message.photo:
        photo = best_photo(message.photo, limit_bytes) or message.photo[-1]
        return [TELEGRAM + photo.file_id]
    if message.document is not None and is_image_document(message.document):
        return [TELEGRAM + message.document.file_id]
    return []


async def reply_sources(
    message: Message, bot_id: int, pictures: PictureRepository, limit_bytes: int
) -> list[str]:
    """The picture `message` replies to: the bot's own original when it is still kept."""
    target = message.reply_to_message
    if target is None:
        return []
    from_bot = target.from_user is not None and target.from_user.id == bot_id
    if from_bot:
        stored = await pictures.shown_in(target.chat.id, target.message_id)
        if stored is not None:
            return [picture_source(stored.id)]
    return message_sources(target, limit_bytes)


class ReferenceLoader:
    """The normalised bytes of sources, in order; raises `ReferenceFailure`."""

    def __init__(
        self,
        bot: Bot,
        pictures: PictureRepository,
        normaliser: PictureNormaliser,
        limit_bytes: int,
    ) -> None:
        self._bot = bot
        self._pictures = pictures
        self._normaliser = normaliser
        self._limit = limit_bytes

    @property
    def limit_bytes(self) -> int:
        """The most bytes read of one picture (Telegram's photo sizes are chosen under it)."""
        return self._limit

    async def load(self, sources: Sequence[str]) -> tuple[bytes, ...]:
        return tuple([await self._one(source) for source in sources])

    async def _one(self, source: str) -> bytes:
        raw = await self._raw(source)
        try:
            return await self._normaliser.normalise(raw)
        except PictureError as error:
            logger.info("Unusable reference picture: %s", error)
            raise ReferenceFailure(ReferenceProblem.NOT_IMAGE) from error

    async def _raw(self, source: str) -> bytes:
        if source.startswith(PICTURE):
            stored = await self._pictures.get(int(source.removeprefix(PICTURE)))
            if stored is None:
                raise ReferenceFailure(ReferenceProblem.GONE)
            return stored.data
        try:
            return await download_within(
                self._bot, _File(source.removeprefix(TELEGRAM)), self._limit
            )
        except FileTooBig as error:
            raise ReferenceFailure(ReferenceProblem.TOO_BIG) from error
        except (TelegramBadRequest, TelegramNetworkError) as error:
            logger.warning("Could not download a reference picture: %s", error)
            raise ReferenceFailure(ReferenceProblem.DOWNLOAD) from error
