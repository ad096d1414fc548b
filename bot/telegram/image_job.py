"""One /image request, run in the background: generate (metered by the gateway), deliver,
explain what went wrong."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass

from aiogram import Bot
from aiogram.exceptions import TelegramForbiddenError
from aiogram.types import Message
from aiogram.utils.chat_action import ChatActionSender
from aiogram_i18n import I18nContext

from bot.config import Settings
from bot.i18n import polza_error_text, tr
from bot.services.catalogue import ModelCatalogue
from bot.services.errors import PolzaError, PolzaErrorKind
from bot.services.images import GeneratedImage, ImageError, ImageErrorKind, ImageService
from bot.services.limits import LimitExceeded, SpendingGuard
from bot.services.user_jobs import UserJobs
from bot.telegram.photos import photo_caption, send_image
from bot.telegram.replies import reply_to as answer
from bot.telegram.replies import topic_of
from bot.telegram.usage_texts import limit_text
from storage import UserRepository

logger = logging.getLogger(__name__)

# Telling the user why a picture was dropped at shutdown must not hold the shutdown up.
INTERRUPTED_NOTICE_SECONDS = 5.0


@dataclass(frozen=True)
class ImageJob:
    message: Message
    prompt: str
    ratio: str | None
    model: str
    i18n: I18nContext

    @property
    def user_id(self) -> int:
        user = self.message.from_user
        return user.id if user is not None else self.message.chat.id


@dataclass(frozen=True)
class ImageStudio:
    """What /image needs besides the message; built once and injected as `studio`."""

    bot: Bot
    settings: Settings
    catalogue: ModelCatalogue
    image_service: ImageService
    users: UserRepository
    spending_guard: SpendingGuard
    image_jobs: UserJobs

    async def run(self, job: ImageJob) -> None:
        # Rendered now: at shutdown the i18n core is closed before jobs are stopped.
        i18n = job.i18n
        interrupted = tr(i18n, "image-interrupted")
        try:
            image = await self._generate(job)
            if image is not None:
                await send_image(
                    job.message, image.data, image.mime_type, photo_caption(job.prompt)
                )
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(
                    answer(job.message, interrupted), INTERRUPTED_NOTICE_SECONDS
                )
            raise
        except TelegramForbiddenError:
            # Blocked by the user or removed from the group meanwhile: nobody to tell.
            logger.info("Chat %s no longer accepts messages; picture dropped", job.message.chat.id)
        except Exception:
            logger.exception("Image job for user %s crashed", job.user_id)
            with contextlib.suppress(Exception):
                await answer(job.message, tr(i18n, "generic-apology"))

    async def _generate(self, job: ImageJob) -> GeneratedImage | None:
        """The picture, or None once the user has been told why there is none."""
        try:
            async with ChatActionSender.upload_photo(
                chat_id=job.message.chat.id,
                bot=self.bot,
                message_thread_id=topic_of(job.message),
            ):
                return await self.image_service.generate(
                    prompt=job.prompt,
                    model=job.model,
                    user_id=job.user_id,
                    chat_id=job.message.chat.id,
                    aspect_ratio=job.ratio,
                )
        except LimitExceeded as refusal:
            await answer(job.message, limit_text(job.i18n, refusal.verdict))
        except ImageError as error:
            logger.warning("Image for user %s failed: %s", job.user_id, error)
            await answer(job.message, image_error_text(job.i18n, error))
        except PolzaError as error:
            logger.warning("Image for user %s failed: %s", job.user_id, error.log_fields())
            await answer(job.message, image_polza_error_text(job.i18n, error))
        return None


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
