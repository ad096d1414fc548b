"""One /image request, run in the background: fetch its references, generate (metered by the
gateway) under one status message, deliver with the buttons, explain what went wrong."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from dataclasses import dataclass

from aiogram import Bot
from aiogram.exceptions import TelegramForbiddenError
from aiogram.types import Message
from aiogram.utils.chat_action import ChatActionSender
from aiogram_i18n import I18nContext

from bot.bounded import PendingByToken
from bot.config import Settings
from bot.i18n import polza_error_text, tr
from bot.services.catalogue import ModelCatalogue
from bot.services.errors import PolzaError, PolzaErrorKind
from bot.services.images import (
    GeneratedImage,
    ImageError,
    ImageErrorKind,
    ImageRequest,
    ImageService,
)
from bot.services.limits import LimitExceeded, SpendingGuard
from bot.services.user_jobs import UserJobs
from bot.telegram.image_offer import PendingImageRequest
from bot.telegram.photos import photo_caption, send_album, send_image
from bot.telegram.picture_keyboard import picture_markup, variants_markup
from bot.telegram.progress import JobStatus, StatusTiming
from bot.telegram.references import ReferenceFailure, ReferenceLoader, ReferenceProblem
from bot.telegram.replies import reply_to as answer
from bot.telegram.replies import topic_of
from bot.telegram.usage_texts import limit_text
from storage import UserRepository
from storage.pictures import PictureRepository, PictureRequest

logger = logging.getLogger(__name__)

# Telling the user why a picture was dropped at shutdown must not hold the shutdown up.
INTERRUPTED_NOTICE_SECONDS = 5.0


REFERENCE_KEYS = {
    ReferenceProblem.GONE: "image-reference-gone",
    ReferenceProblem.DOWNLOAD: "image-reference-download",
    ReferenceProblem.TOO_BIG: "image-reference-too-big",
    ReferenceProblem.NOT_IMAGE: "image-reference-not-image",
}


@dataclass(frozen=True)
class ImageJob:
    """One billed request: `message` is answered (the request, or the picture whose button
    was pressed); `sources` name the reference pictures (bot.telegram.references)."""

    message: Message
    user_id: int
    prompt: str
    ratio: str | None
    model: str
    i18n: I18nContext
    sources: tuple[str, ...] = ()
    count: int = 1
    seed: int | None = None
    resolution: str | None = None


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
    pictures: PictureRepository
    references: ReferenceLoader
    offers: PendingByToken[PendingImageRequest]

    async def run(self, job: ImageJob) -> None:
        # Rendered now: at shutdown the i18n core is closed before jobs are stopped.
        i18n = job.i18n
        interrupted = tr(i18n, "image-interrupted")
        try:
            timing = StatusTiming.from_settings(self.settings)
            async with JobStatus(job.message, tr(i18n, "image-drawing"), timing) as status:
                images = await self._generate(job, status)
                await status.close()  # the pictures take its place
            if images:
                await self._deliver(job, images)
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

    async def _generate(self, job: ImageJob, status: JobStatus) -> list[GeneratedImage]:
        """The pictures, or none once the user has been told why there are none."""
        try:
            references = await self.references.load(job.sources)
        except ReferenceFailure as error:
            await _tell(job, status, tr(job.i18n, REFERENCE_KEYS[error.problem]))
            return []
        request = ImageRequest(
            prompt=job.prompt,
            model=job.model,
            aspect_ratio=job.ratio,
            image_resolution=job.resolution,
            references=references,
            count=job.count,
            seed=job.seed,
        )
        try:
            async with ChatActionSender.upload_photo(
                chat_id=job.message.chat.id,
                bot=self.bot,
                message_thread_id=topic_of(job.message),
            ):
                return await self.image_service.generate_set(
                    request, user_id=job.user_id, chat_id=job.message.chat.id
                )
        except LimitExceeded as refusal:
            await _tell(job, status, limit_text(job.i18n, refusal.verdict))
        except ImageError as error:
            logger.warning("Image for user %s failed: %s", job.user_id, error)
            await _tell(job, status, image_error_text(job.i18n, error))
        except PolzaError as error:
            logger.warning("Image for user %s failed: %s", job.user_id, error.log_fields())
            await _tell(job, status, image_polza_error_text(job.i18n, error))
        return []

    async def _deliver(self, job: ImageJob, images: list[GeneratedImage]) -> None:
        """Send the pictures with their buttons; each is kept for the buttons to use."""
        caption = photo_caption(job.prompt)
        ids = await self._keep(job, images)
        if len(images) == 1:
            resolutions = self._resolutions(job.model)
            markup = picture_markup(ids[0], resolutions, job.resolution) if ids else None
            image = images[0]
            shown = [await send_image(job.message, image.data, image.mime_type, caption, markup)]
        else:
            shown = await send_album(
                job.message, [(image.data, image.mime_type) for image in images], caption
            )
            if ids:
                text = tr(job.i18n, "image-variants", count=len(images))
                await answer(job.message, text, variants_markup(ids))
        if len(images) < job.count:
            note = tr(job.i18n, "image-fewer", made=len(images), asked=job.count)
            await answer(job.message, note)
        self.image_jobs.release(job.user_id)
        for picture_id, message in zip(ids, shown, strict=False):
            with contextlib.suppress(sqlite3.Error):
                await self.pictures.set_message(picture_id, message.message_id)

    async def _keep(self, job: ImageJob, images: list[GeneratedImage]) -> list[int]:
        """The stored pictures' ids; none when the database fails (no buttons then)."""
        request = PictureRequest(
            user_id=job.user_id,
            chat_id=job.message.chat.id,
            model=job.model,
            prompt=job.prompt,
            aspect_ratio=job.ratio,
            resolution=job.resolution,
            seed=job.seed,
            variants=job.count,
            sources=job.sources,
        )
        try:
            return [await self.pictures.add(request, i.mime_type, i.data) for i in images]
        except sqlite3.Error as error:
            logger.warning("Could not keep the pictures for their buttons: %s", error)
            return []

    def _resolutions(self, model: str) -> tuple[str, ...]:
        snapshot = self.catalogue.cached()
        info = snapshot.get(model) if snapshot is not None else None
        return info.image_resolutions if info is not None else ()


async def _tell(job: ImageJob, status: JobStatus, text: str) -> None:
    """Why there is no picture: in the status message when one is shown."""
    if not await status.show_error(text):
        await answer(job.message, text)


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
