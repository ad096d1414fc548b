"""One confirmed /video offer, run in the background: film (metered by the gateway) with a
status message, deliver the clip, explain what went wrong."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
)
from aiogram.types import BufferedInputFile
from aiogram_i18n import I18nContext

from bot.config import Settings
from bot.i18n import tr
from bot.services.catalogue import ModelCatalogue
from bot.services.errors import PolzaError
from bot.services.images import ImageError, ImageErrorKind
from bot.services.limits import LimitExceeded, SpendingGuard
from bot.services.pictures import PictureNormaliser
from bot.services.user_jobs import UserJobs
from bot.services.video import GeneratedVideo, VideoService
from bot.telegram.image_job import image_polza_error_text
from bot.telegram.photos import photo_caption
from bot.telegram.progress import JobStatus, StatusTiming
from bot.telegram.replies import reply_parameters, reply_to
from bot.telegram.usage_texts import limit_text
from bot.telegram.video_offers import VideoOffer, VideoOffers
from storage import UserRepository

logger = logging.getLogger(__name__)

# Telling the user why a clip was dropped at shutdown must not hold the shutdown up.
INTERRUPTED_NOTICE_SECONDS = 5.0
VIDEO_FILE_NAME = "video.mp4"


@dataclass(frozen=True)
class VideoStudio:
    """What /video needs besides the message; built once and injected as `video_studio`."""

    bot: Bot
    settings: Settings
    catalogue: ModelCatalogue
    video_service: VideoService
    users: UserRepository
    spending_guard: SpendingGuard
    jobs: UserJobs  # shared with /image: one picture or clip per user at a time
    offers: VideoOffers
    pictures: PictureNormaliser

    def start(self, offer: VideoOffer, i18n: I18nContext) -> bool:
        """Film `offer` in the background; False when the user already has a job running."""
        return self.jobs.start(
            offer.user_id, lambda: self.run(offer, i18n), name=f"video-{offer.user_id}"
        )

    async def run(self, offer: VideoOffer, i18n: I18nContext) -> None:
        # Rendered now: at shutdown the i18n core is closed before jobs are stopped.
        interrupted = tr(i18n, "video-interrupted")
        message = offer.message
        try:
            timing = StatusTiming.from_settings(self.settings)
            async with JobStatus(message, tr(i18n, "video-filming"), timing) as status:
                clip = await self._film(offer, i18n, status)
                if clip is None:
                    return
                status.stage(tr(i18n, "video-sending"))
                await status.close()
            await self._deliver(offer, clip, i18n)
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(reply_to(message, interrupted), INTERRUPTED_NOTICE_SECONDS)
            raise
        except TelegramForbiddenError:
            logger.info("Chat %s no longer accepts messages; clip dropped", message.chat.id)
        except Exception:
            logger.exception("Video job for user %s crashed", offer.user_id)
            with contextlib.suppress(Exception):
                await reply_to(message, tr(i18n, "generic-apology"))

    async def _film(
        self, offer: VideoOffer, i18n: I18nContext, status: JobStatus
    ) -> GeneratedVideo | None:
        """The clip, or None once the user has been told why there is none."""
        try:
            return await self.video_service.create_video(
                offer.request,
                model=offer.model,
                user_id=offer.user_id,
                chat_id=offer.message.chat.id,
                ceiling=offer.estimate,
                start_frame=offer.start_frame,
            )
        except LimitExceeded as refusal:
            text = limit_text(i18n, refusal.verdict)
        except ImageError as error:
            logger.warning("Video for user %s failed: %s", offer.user_id, error)
            text = video_error_text(i18n, error)
        except PolzaError as error:
            logger.warning("Video for user %s failed: %s", offer.user_id, error.log_fields())
            text = image_polza_error_text(i18n, error)
        if not await status.show_error(text):
            await reply_to(offer.message, text)
        return None

    async def _deliver(self, offer: VideoOffer, clip: GeneratedVideo, i18n: I18nContext) -> None:
        message = offer.message
        caption = photo_caption(offer.request.prompt)
        if clip.data is None:
            limit = self.settings.video_max_upload_mb
            await reply_to(message, tr(i18n, "video-too-big", url=clip.url or "", limit=limit))
            return
        upload = BufferedInputFile(clip.data, filename=VIDEO_FILE_NAME)
        reply = reply_parameters(message)
        try:
            await message.answer_video(
                upload, caption=caption, supports_streaming=True, reply_parameters=reply
            )
            return
        except (TelegramBadRequest, TelegramEntityTooLarge) as error:
            logger.warning("Telegram refused the clip as a video (%s); sending a file", error)
        await message.answer_document(upload, caption=caption, reply_parameters=reply)


def video_error_text(i18n: I18nContext, error: ImageError) -> str:
    match error.kind:
        case ImageErrorKind.MODERATION:
            text = tr(i18n, "video-moderation")
        case ImageErrorKind.FAILED:
            text = tr(i18n, "video-failed")
        case ImageErrorKind.TIMEOUT:
            text = tr(i18n, "video-timeout")
        case ImageErrorKind.DOWNLOAD_FAILED:
            text = tr(i18n, "video-download-failed")
        case _:
            text = tr(i18n, "video-no-result")
    if error.message and error.kind in (ImageErrorKind.MODERATION, ImageErrorKind.FAILED):
        text += "\n\n" + tr(i18n, "video-polza-reason", reason=error.message)
    return text
