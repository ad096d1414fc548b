"""Video clips through Polza's Media API: parse a request, create the task once, poll, fetch.

The HTTP plumbing (one billed POST never repeated, polling, the URL policy for results) is
the image service's; a clip differs in its input, its price (`video_per_second` × seconds),
its much longer wait and its size: a clip bigger than Telegram takes is handed back as a link.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import aiohttp
import openai
from openai import AsyncOpenAI

from bot.services.catalogue import ModelInfo
from bot.services.images import (
    ImageError,
    ImageErrorKind,
    ImageService,
    _items,
    _status_error,
)
from bot.services.metering import Charge, Meter
from bot.services.polza_shapes import PolzaUsage
from bot.services.url_policy import UrlPolicy, UrlRefused, open_checked

JsonDict = dict[str, Any]
# Told the task's id as soon as Polza created it (to resume it after a restart).
TaskCallback = Callable[[str], Awaitable[None]]

# Kling's values (polza-api.md §12), for a model whose catalogue entry lists none.
DEFAULT_VIDEO_RATIOS: tuple[str, ...] = ("16:9", "9:16", "1:1")
DEFAULT_DURATIONS: tuple[int, ...] = (5, 10)
DEFAULT_VIDEO_PROMPT_LIMIT = 2500
PREFERRED_DURATION = 5

_RATIO = re.compile(r"\d+:\d+", re.ASCII)
_DURATION = re.compile(r"(\d{1,3})\s?(?:s|sec|с|сек)", re.ASCII | re.IGNORECASE)


class VideoRequestError(ValueError):
    """A ratio or duration the model does not allow; `allowed` lists what it does."""

    def __init__(self, what: str, value: str, allowed: Sequence[str]) -> None:
        super().__init__(f"{what} {value} not allowed")
        self.what = what  # "ratio" | "duration"
        self.value = value
        self.allowed = tuple(allowed)


@dataclass(frozen=True, slots=True)
class VideoOptions:
    """What a model accepts, from its catalogue `parameters` (defaults when not listed)."""

    ratios: tuple[str, ...]
    durations: tuple[int, ...]
    default_duration: int
    prompt_limit: int

    @classmethod
    def of(cls, info: ModelInfo | None) -> VideoOptions:
        if info is None:
            return cls(DEFAULT_VIDEO_RATIOS, DEFAULT_DURATIONS, PREFERRED_DURATION, 2500)
        durations = info.video_durations or DEFAULT_DURATIONS
        default = info.default_duration
        if default is None:
            # The shortest clip that is not shorter than 5 s: cheap, but long enough to see.
            longer = [d for d in durations if d >= PREFERRED_DURATION]
            default = min(longer) if longer else max(durations)
        return cls(
            info.aspect_ratios or DEFAULT_VIDEO_RATIOS,
            durations,
            default,
            info.prompt_limit or DEFAULT_VIDEO_PROMPT_LIMIT,
        )


@dataclass(frozen=True, slots=True)
class VideoRequest:
    prompt: str
    ratio: str | None
    duration: int


def parse_video_request(args: str, options: VideoOptions) -> VideoRequest:
    """`[ratio] [duration] prompt` in either order, e.g. `9:16 5s a cat surfing`.

    Raises `VideoRequestError` for a ratio or duration the model does not allow.
    """
    words = args.split()
    ratio: str | None = None
    duration: int | None = None
    while words:
        head = words[0]
        if ratio is None and _RATIO.fullmatch(head):
            if head not in options.ratios:
                raise VideoRequestError("ratio", head, options.ratios)
            ratio = head
        elif duration is None and (match := _DURATION.fullmatch(head)):
            seconds = int(match.group(1))
            if seconds not in options.durations:
                raise VideoRequestError(
                    "duration", f"{seconds}s", [f"{d}s" for d in options.durations]
                )
            duration = seconds
        else:
            break
        words.pop(0)
    return VideoRequest(" ".join(words), ratio, duration or options.default_duration)


def video_estimate(info: ModelInfo | None, seconds: int) -> Decimal | None:
    """The clip's list price, or None when the catalogue has none."""
    if info is None or info.pricing.video_per_second is None:
        return None
    return info.pricing.video_per_second * seconds


@dataclass(frozen=True, slots=True)
class GeneratedVideo:
    data: bytes | None  # None when the clip is bigger than `max_bytes`: then use `url`
    url: str | None
    cost_rub: float | None
    task_id: str | None
    model: str


class VideoService(ImageService):
    """Creates one clip per call (never retried) and fetches it within a size cap."""

    def __init__(
        self,
        client: AsyncOpenAI,
        meter: Meter,
        *,
        poll_interval: float,
        timeout: float,
        max_bytes: int,
        url_policy: UrlPolicy | None = None,
    ) -> None:
        super().__init__(
            client, meter, poll_interval=poll_interval, timeout=timeout, url_policy=url_policy
        )
        self._max_bytes = max_bytes

    async def create_video(
        self,
        request: VideoRequest,
        *,
        model: str,
        user_id: int,
        chat_id: int,
        ceiling: Decimal | None,
        start_frame: bytes | None = None,
        on_task: TaskCallback | None = None,
    ) -> GeneratedVideo:
        """Raises `ImageError` for generation outcomes (a timeout included: the call is still
        recorded), `PolzaError` for HTTP failures, `LimitExceeded` before anything is sent."""
        charge = Charge("video", user_id, chat_id, model, video_seconds=request.duration)
        deadline = asyncio.timeout(self._timeout)
        try:
            async with self._meter.call(charge, ceiling=ceiling), deadline:
                body = _body(request, model, user_id, start_frame)
                charge.sent = True
                try:
                    answer = await self._post("/media", body, model, charge)
                except openai.APIStatusError as error:
                    charge.refused = True  # an HTTP error answer: no task, nothing billed
                    raise _status_error(error, model) from error
                task_id = answer.get("id") or answer.get("requestId")
                if on_task is not None and isinstance(task_id, str) and task_id:
                    await on_task(task_id)
                return await self._finish(answer, model, charge)
        except TimeoutError:
            if not deadline.expired():
                raise
            raise ImageError(ImageErrorKind.TIMEOUT) from None

    async def resume_video(
        self,
        task_id: str,
        *,
        model: str,
        user_id: int,
        chat_id: int,
        duration: int,
        record: bool,
        seconds_left: float,
    ) -> GeneratedVideo:
        """Wait for a task created before a restart (polling is free) and fetch the clip.

        With `record`, the call was never written to the ledger (the bot was killed): it is
        written now, with Polza's final cost when it comes. Nothing is reserved: it is paid.
        """
        charge = Charge("video", user_id, chat_id, model, sent=True, video_seconds=duration)
        metering = self._meter.call(charge, ceiling=Decimal(0)) if record else _unmetered()
        deadline = asyncio.timeout(seconds_left)
        try:
            async with metering, deadline:
                pending: JsonDict = {"id": task_id, "status": "pending"}
                return await self._finish(pending, model, charge)
        except TimeoutError:
            if not deadline.expired():
                raise
            raise ImageError(ImageErrorKind.TIMEOUT) from None

    async def _finish(self, answer: JsonDict, model: str, charge: Charge) -> GeneratedVideo:
        final = await self._until_done(answer, model)
        charge.note_usage(PolzaUsage.read(final.get("usage")))
        return await self._clip(final, model, charge)

    async def _clip(self, final: JsonDict, model: str, charge: Charge) -> GeneratedVideo:
        item = next(iter(_items(final.get("data"))), None)
        if item is None:
            raise ImageError(ImageErrorKind.NO_RESULT, detail=f"status {final.get('status')}")
        task_id = final.get("id") or final.get("requestId")
        url = item.get("url")
        encoded = item.get("b64_json")
        data: bytes | None
        if isinstance(url, str) and url.startswith(("http://", "https://")):
            data = await self._fetch(url)
        elif isinstance(encoded, str) and encoded:
            data, url = base64.b64decode(encoded), None
        else:
            raise ImageError(ImageErrorKind.NO_RESULT, detail="no url or b64_json")
        return GeneratedVideo(
            data=data,
            url=url if data is None else None,
            cost_rub=charge.usage.cost_rub if charge.usage else None,
            task_id=task_id if isinstance(task_id, str) else None,
            model=model,
        )

    async def _fetch(self, url: str) -> bytes | None:
        """The clip's bytes; None when it is bigger than the cap (the link is sent instead)."""
        try:
            async with open_checked(self._session(), url, self._url_policy) as response:
                if response.status != 200:
                    raise ImageError(
                        ImageErrorKind.DOWNLOAD_FAILED, detail=f"HTTP {response.status}"
                    )
                if (response.content_length or 0) > self._max_bytes:
                    return None
                chunks: list[bytes] = []
                size = 0
                async for chunk in response.content.iter_chunked(256 * 1024):
                    size += len(chunk)
                    if size > self._max_bytes:
                        return None
                    chunks.append(chunk)
                return b"".join(chunks)
        except UrlRefused as error:
            raise ImageError(ImageErrorKind.DOWNLOAD_FAILED, detail=str(error)) from None
        except (aiohttp.ClientError, OSError) as error:
            raise ImageError(ImageErrorKind.DOWNLOAD_FAILED, detail=type(error).__name__) from None


@contextlib.asynccontextmanager
async def _unmetered() -> Any:
    yield None


def _body(request: VideoRequest, model: str, user_id: int, start_frame: bytes | None) -> JsonDict:
    media_input: JsonDict = {"prompt": request.prompt, "duration": request.duration}
    if request.ratio:
        media_input["aspect_ratio"] = request.ratio
    if start_frame is not None:
        encoded = base64.b64encode(start_frame).decode("ascii")
        media_input["images"] = [{"type": "base64", "data": encoded}]
    return {"model": model, "input": media_input, "user": str(user_id)}
