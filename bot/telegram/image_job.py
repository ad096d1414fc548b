"""One /image request, run in the background: generate, record the cost, deliver, explain."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass

from aiogram import Bot
from aiogram.exceptions import TelegramForbiddenError
from aiogram.types import InlineKeyboardMarkup, Message
from aiogram.utils.chat_action import ChatActionSender
from aiogram_i18n import I18nContext

from bot.i18n import polza_error_text, tr
from bot.services.errors import PolzaError, PolzaErrorKind
from bot.services.images import GeneratedImage, ImageError, ImageErrorKind, ImageService
from bot.services.usage import UsageService
from bot.telegram.answering import topic_of
from bot.telegram.photos import photo_caption, reply_parameters, send_image
from storage import UsageRecord

logger = logging.getLogger(__name__)

# Telling the user why a picture was dropped at shutdown must not hold the shutdown up.
INTERRUPTED_NOTICE_SECONDS = 5.0


async def answer(
    message: Message, text: str, reply_markup: InlineKeyboardMarkup | None = None
) -> Message:
    """The bot's own text in the request's chat and topic; in groups, quoting the request."""
    return await message.answer(
        text, reply_markup=reply_markup, reply_parameters=reply_parameters(message)
    )


@dataclass(frozen=True)
class ImageJob:
    message: Message
    prompt: str
    ratio: str | None
    model: str
    bot: Bot
    i18n: I18nContext
    image_service: ImageService
    usage: UsageService

    @property
    def user_id(self) -> int:
        user = self.message.from_user
        return user.id if user is not None else self.message.chat.id

    async def run(self) -> None:
        # Rendered now: at shutdown the i18n core is closed before jobs are stopped.
        i18n = self.i18n
        interrupted = tr(i18n, "image-interrupted")
        try:
            image = await self._generate()
            if image is not None:
                await self._record_usage(image)
                await send_image(
                    self.message, image.data, image.mime_type, photo_caption(self.prompt)
                )
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(
                    answer(self.message, interrupted), INTERRUPTED_NOTICE_SECONDS
                )
            raise
        except TelegramForbiddenError:
            # Blocked by the user or removed from the group meanwhile: nobody to tell.
            logger.info(
                "Chat %s no longer accepts messages; picture dropped", self.message.chat.id
            )
        except Exception:
            logger.exception("Image job for user %s crashed", self.user_id)
            with contextlib.suppress(Exception):
                await answer(self.message, tr(i18n, "generic-apology"))

    async def _generate(self) -> GeneratedImage | None:
        """The picture, or None once the user has been told why there is none."""
        try:
            async with ChatActionSender.upload_photo(
                chat_id=self.message.chat.id,
                bot=self.bot,
                message_thread_id=topic_of(self.message),
            ):
                return await self.image_service.generate(
                    prompt=self.prompt,
                    model=self.model,
                    user_id=self.user_id,
                    aspect_ratio=self.ratio,
                )
        except ImageError as error:
            logger.warning("Image for user %s failed: %s", self.user_id, error)
            await answer(self.message, image_error_text(self.i18n, error))
        except PolzaError as error:
            logger.warning("Image for user %s failed: %s", self.user_id, error.log_fields())
            await answer(self.message, image_polza_error_text(self.i18n, error))
        return None

    async def _record_usage(self, image: GeneratedImage) -> None:
        # Without a cost from Polza the ledger estimates one from the price list.
        record = UsageRecord(
            user_id=self.user_id,
            chat_id=self.message.chat.id,
            kind="image",
            model=image.model,
            cost_rub=image.cost_rub,
        )
        try:
            await self.usage.record(record)
        except Exception:
            # The picture is paid for already; the user still gets it.
            logger.exception("Could not record the cost of an image for user %s", self.user_id)


def image_error_text(i18n: I18nContext, error: ImageError) -> str:
    match error.kind:
        case ImageErrorKind.MODERATION:
            text = tr(i18n, "image-moderation")
        case ImageErrorKind.FAILED:
            text = tr(i18n, "image-failed")
        case ImageErrorKind.TIMEOUT:
            text = tr(i18n, "image-timeout")
        case ImageErrorKind.DOWNLOAD_FAILED:
            text = tr(i18n, "image-download-failed")
        case _:
            text = tr(i18n, "image-no-result")
    if error.message and error.kind in (ImageErrorKind.MODERATION, ImageErrorKind.FAILED):
        text += "\n\n" + tr(i18n, "image-polza-reason", reason=error.message)
    return text


def image_polza_error_text(i18n: I18nContext, error: PolzaError) -> str:
    text = polza_error_text(i18n, error)
    if error.kind is PolzaErrorKind.BAD_REQUEST and error.message:
        text += "\n\n" + tr(i18n, "image-polza-reason", reason=error.message)
    return text
