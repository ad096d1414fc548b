"""One status message for a long job: what is happening and for how long.

A job that may take more than a few seconds (a picture, a video, a long transcription) opens a
`JobStatus`. Nothing is shown while the job is quick; once it has run for `StatusTiming.delay`
one message appears ("🎨 Drawing… 0:04"), is edited at most every `StatusTiming.interval` with
the current stage and the elapsed time, and is deleted when the job ends, so the result takes
its place; on failure `show_error` edits it into the error instead.

    timing = StatusTiming.from_settings(settings)
    async with JobStatus(message, drawing_text, timing) as status:
        status.stage(downloading_text)                 # picked up by the next edit
        result = await run_the_job()
        await status.close()                           # before sending the result
    await send_result(result)

    # on failure, inside the block:
    if not await status.show_error(text):
        await reply_to(message, text)

At most one message per job; edits that Telegram refuses for flood (`retry_after`) wait, and
any other refusal stops the edits without disturbing the job. The background task belongs to
the job: leaving the block (also by cancellation at shutdown) stops it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType

from aiogram.exceptions import TelegramAPIError, TelegramRetryAfter
from aiogram.types import Message

from bot.config import Settings
from bot.telegram.replies import reply_to

logger = logging.getLogger(__name__)

# Closing must not hold the job (or a shutdown) up behind a slow Bot API call.
CLOSE_TIMEOUT_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class StatusTiming:
    """When the status appears (`delay` after the start) and how often it may change."""

    delay: float = 3.0
    interval: float = 5.0

    @classmethod
    def from_settings(cls, settings: Settings) -> StatusTiming:
        return cls(settings.status_delay_seconds, settings.status_interval_seconds)


def elapsed_text(seconds: float) -> str:
    """0:07, 1:35, 1:02:09."""
    whole = max(0, int(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}"


class JobStatus:
    """The status message of one job; see the module docstring."""

    def __init__(
        self,
        request: Message,
        stage: str,
        timing: StatusTiming,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._request = request
        self._stage = stage
        self._timing = timing
        self._clock = clock
        self._started = clock()
        self._shown: Message | None = None
        self._shown_text = ""
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closed = False

    @property
    def shown(self) -> bool:
        """Whether the status message is on screen."""
        return self._shown is not None

    def stage(self, text: str) -> None:
        """What the job is doing now; the next edit shows it."""
        self._stage = text

    def render(self) -> str:
        return f"{self._stage} {elapsed_text(self._clock() - self._started)}"

    async def __aenter__(self) -> JobStatus:
        self._task = asyncio.create_task(self._run(), name="job-status")
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Stop editing and delete the status message (the result replaces it)."""
        if self._closed:
            return
        await self._stop_task()
        if self._shown is not None:
            shown, self._shown = self._shown, None
            with contextlib.suppress(TelegramAPIError, TimeoutError):
                await asyncio.wait_for(self._delete(shown), CLOSE_TIMEOUT_SECONDS)

    async def show_error(self, text: str) -> bool:
        """Edit the status into `text`; False when no status is shown (send it yourself)."""
        if self._closed:
            return False
        await self._stop_task()
        shown, self._shown = self._shown, None
        if shown is None:
            return False
        try:
            await asyncio.wait_for(self._edit_text(shown, text), CLOSE_TIMEOUT_SECONDS)
        except (TelegramAPIError, TimeoutError):
            with contextlib.suppress(TelegramAPIError, TimeoutError):
                await asyncio.wait_for(self._delete(shown), CLOSE_TIMEOUT_SECONDS)
            return False
        return True

    # Through the request's bot: a sent message is not always bound to one.
    async def _edit_text(self, shown: Message, text: str) -> None:
        bot = self._request.bot
        if bot is not None:
            await bot.edit_message_text(
                text=text, chat_id=shown.chat.id, message_id=shown.message_id
            )

    async def _delete(self, shown: Message) -> None:
        bot = self._request.bot
        if bot is not None:
            await bot.delete_message(chat_id=shown.chat.id, message_id=shown.message_id)

    async def _stop_task(self) -> None:
        self._closed = True
        self._stop.set()
        task, self._task = self._task, None
        if task is None:
            return
        # The task only waits on `_stop` between Bot API calls, so it ends by itself; a call in
        # flight is given a moment rather than cut off (a cut-off send could leave an orphan).
        done, _ = await asyncio.wait({task}, timeout=CLOSE_TIMEOUT_SECONDS)
        if not done:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _pause(self, seconds: float) -> bool:
        """Wait, or return True at once when the job has ended."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), seconds)
        return self._stop.is_set()

    async def _run(self) -> None:
        try:
            if await self._pause(self._timing.delay):
                return
            self._shown_text = self.render()
            self._shown = await reply_to(self._request, self._shown_text)
            while not await self._pause(self._timing.interval):
                await self._edit()
        except TelegramAPIError as error:
            logger.info("Status message stopped: %s", error)
        except Exception:
            # A status message must never disturb the job it describes.
            logger.warning("Status message failed", exc_info=True)

    async def _edit(self) -> None:
        text = self.render()
        if self._shown is None or text == self._shown_text:
            return
        try:
            await self._edit_text(self._shown, text)
        except TelegramRetryAfter as error:
            await self._pause(float(error.retry_after))
            return
        self._shown_text = text
