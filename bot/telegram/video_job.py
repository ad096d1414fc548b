"""One confirmed /video offer, run in the background: film (metered by the gateway) with a
status message, deliver the clip, explain what went wrong."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
)
from aiogram.types import BufferedInputFile, Message, ReplyParameters
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
from bot.telegram.replies import reply_parameters, topic_of
from bot.telegram.usage_texts import limit_text
from bot.telegram.video_offers import VideoOffer, VideoOffers
from storage import UserRepository
from storage.video_jobs import VideoJob, VideoJobRepository

logger = logging.getLogger(__name__)

# Telling the user why a clip was dropped at shutdown must not hold the shutdown up.
INTERRUPTED_NOTICE_SECONDS = 5.0
VIDEO_FILE_NAME = "video.mp4"


@dataclass(frozen=True, slots=True)
class Target:
    """Where a clip goes: the request's chat and topic, quoting it in groups."""

    chat_id: int
    thread_id: int | None
    reply_to: int | None

    @classmethod
    def of(cls, message: Message) -> Target:
        reply = reply_parameters(message)
        return cls(message.chat.id, topic_of(message), reply.message_id if reply else None)

    @property
    def reply(self) -> ReplyParameters | None:
        if self.reply_to is None:
            return None
        return ReplyParameters(message_id=self.reply_to, allow_sending_without_reply=True)


@dataclass
class _Row:
    id: int | None = None


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
    video_jobs: VideoJobRepository

    def start(self, offer: VideoOffer, i18n: I18nContext) -> bool:
        """Film `offer` in the background; False when the user already has a job running."""
        return self.jobs.start(
            offer.user_id, lambda: self.run(offer, i18n), name=f"video-{offer.user_id}"
        )

    async def run(self, offer: VideoOffer, i18n: I18nContext) -> None:
        # Rendered now: at shutdown the i18n core is closed before jobs are stopped.
        interrupted, resuming = tr(i18n, "video-interrupted"), tr(i18n, "video-resuming")
        message = offer.message
        target = Target.of(message)
        row = _Row()
        try:
            timing = StatusTiming.from_settings(self.settings)
            async with JobStatus(message, tr(i18n, "video-filming"), timing) as status:
                clip = await self._film(offer, i18n, status, target, row)
                if clip is not None:
                    status.stage(tr(i18n, "video-sending"))
                    await status.close()
            if clip is not None:
                await self._deliver(target, clip, photo_caption(offer.request.prompt), i18n)
                self.jobs.release(offer.user_id)
        except asyncio.CancelledError:
            await self._interrupted(target, row, resuming if row.id is not None else interrupted)
            raise
        except TelegramForbiddenError:
            logger.info("Chat %s no longer accepts messages; clip dropped", target.chat_id)
        except Exception:
            logger.exception("Video job for user %s crashed", offer.user_id)
            with contextlib.suppress(Exception):
                await self._say(target, tr(i18n, "generic-apology"))
        await self._forget(row)

    async def resume_unfinished(self, i18n_for: Callable[[str], I18nContext]) -> int:
        """Start a job for every clip a restart interrupted; how many there were."""
        pending = await self.video_jobs.unfinished()
        for job in pending:
            i18n = i18n_for(job.language)
            started = self.jobs.start(
                job.user_id, functools.partial(self.resume, job, i18n), name="video-resume"
            )
            if not started:
                logger.warning("Video task %s not resumed: its user is busy", job.task_id)
        return len(pending)

    async def resume(self, job: VideoJob, i18n: I18nContext) -> None:
        target = Target(job.chat_id, job.thread_id, job.reply_to)
        row = _Row(job.id)
        remaining = job.created_at + self.settings.video_timeout_seconds - time.time()
        logger.info("Resuming video task %s of user %s", job.task_id, job.user_id)
        try:
            clip = await self._resumed_clip(job, max(remaining, 0.001))
            await self._deliver(target, clip, photo_caption(job.prompt), i18n)
            self.jobs.release(job.user_id)
        except asyncio.CancelledError:
            await self._interrupted(target, row, None)
            raise
        except ImageError as error:
            logger.warning("Resumed video %s failed: %s", job.task_id, error)
            with contextlib.suppress(Exception):
                await self._say(target, video_error_text(i18n, error))
        except PolzaError as error:
            logger.warning("Resumed video %s failed: %s", job.task_id, error.log_fields())
            with contextlib.suppress(Exception):
                await self._say(target, image_polza_error_text(i18n, error))
        except TelegramForbiddenError:
            logger.info("Chat %s no longer accepts messages; clip dropped", target.chat_id)
        except Exception:
            logger.exception("Resumed video %s crashed", job.task_id)
        await self._forget(row)

    async def _resumed_clip(self, job: VideoJob, seconds_left: float) -> GeneratedVideo:
        def resume(record: bool) -> Awaitable[GeneratedVideo]:
            return self.video_service.resume_video(
                job.task_id,
                model=job.model,
                user_id=job.user_id,
                chat_id=job.chat_id,
                duration=job.duration,
                record=record,
                seconds_left=seconds_left,
            )

        try:
            return await resume(not job.recorded)
        except LimitExceeded:
            # Already paid for: over today's limit, it is delivered all the same.
            logger.warning("Video task %s is past the limits; not recorded again", job.task_id)
            return await resume(False)

    async def _film(
        self,
        offer: VideoOffer,
        i18n: I18nContext,
        status: JobStatus,
        target: Target,
        row: _Row,
    ) -> GeneratedVideo | None:
        """The clip, or None once the user has been told why there is none."""

        async def remember(task_id: str) -> None:
            row.id = await self.video_jobs.add(
                user_id=offer.user_id,
                chat_id=target.chat_id,
                thread_id=target.thread_id,
                reply_to=target.reply_to,
                task_id=task_id,
                model=offer.model,
                prompt=offer.request.prompt,
                duration=offer.request.duration,
                language=i18n.locale,
            )

        try:
            return await self.video_service.create_video(
                offer.request,
                model=offer.model,
                user_id=offer.user_id,
                chat_id=target.chat_id,
                ceiling=offer.estimate,
                start_frame=offer.start_frame,
                on_task=remember,
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
            await self._say(target, text)
        return None

    async def _interrupted(self, target: Target, row: _Row, notice: str | None) -> None:
        """At shutdown: the call is in the ledger by now; a created task waits for the next
        start. Neither step may hold the shutdown up."""
        with contextlib.suppress(Exception):
            if row.id is not None:
                await asyncio.wait_for(
                    asyncio.shield(self.video_jobs.mark_recorded(row.id)),
                    INTERRUPTED_NOTICE_SECONDS,
                )
            if notice is not None:
                await asyncio.wait_for(self._say(target, notice), INTERRUPTED_NOTICE_SECONDS)

    async def _forget(self, row: _Row) -> None:
        if row.id is None:
            return
        try:
            await self.video_jobs.finish(row.id)
        except Exception:
            logger.exception("Could not forget video job %s", row.id)

    async def _say(self, target: Target, text: str) -> None:
        await self.bot.send_message(
            chat_id=target.chat_id,
            text=text,
            message_thread_id=target.thread_id,
            reply_parameters=target.reply,
        )

    async def _deliver(
        self, target: Target, clip: GeneratedVideo, caption: str, i18n: I18nContext
    ) -> None:
        if clip.data is None:
            limit = self.settings.video_max_upload_mb
            await self._say(target, tr(i18n, "video-too-big", url=clip.url or "", limit=limit))
            return
        upload = BufferedInputFile(clip.data, filename=VIDEO_FILE_NAME)
        try:
            await self.bot.send_video(
                chat_id=target.chat_id,
                video=upload,
                caption=caption,
                supports_streaming=True,
                message_thread_id=target.thread_id,
                reply_parameters=target.reply,
            )
            return
        except (TelegramBadRequest, TelegramEntityTooLarge) as error:
            logger.warning("Telegram refused the clip as a video (%s); sending a file", error)
        await self.bot.send_document(
            chat_id=target.chat_id,
            document=upload,
            caption=caption,
            message_thread_id=target.thread_id,
            reply_parameters=target.reply,
        )


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
