"""Image generation through Polza's Media API: create, poll, download the bytes."""

from __future__ import annotations

import asyncio
import base64
import binascii
import enum
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import aiohttp
import openai
from openai import AsyncOpenAI

from bot.services.catalogue import ModelInfo, estimate_cost_rub
from bot.services.errors import (
    PolzaError,
    never_sent,
    parse_error_body,
    retry_after_seconds,
    translate,
)
from bot.services.metering import Charge, Meter
from bot.services.pictures import image_info
from bot.services.polza_shapes import PolzaUsage
from bot.services.url_policy import UrlPolicy, UrlRefused, guarded_session, open_checked

logger = logging.getLogger(__name__)

JsonDict = dict[str, Any]

DEFAULT_ASPECT_RATIOS: tuple[str, ...] = (
    "1:1",
    "4:3",
    "3:4",
    "3:2",
    "2:3",
    "16:9",
    "9:16",
    "21:9",
)
DEFAULT_PROMPT_LIMIT = 5000

MAX_IMAGE_BYTES = 20 * 1024 * 1024
DOWNLOAD_TIMEOUT_SECONDS = 60.0
DOWNLOAD_ATTEMPTS = 2
MAX_POLL_DELAY_SECONDS = 30.0

# Billed POSTs must never be repeated by the SDK (Polza has no idempotency key); polling GETs
# are retried by our own loop on the next tick instead.
_NO_RETRIES: openai.RequestOptions = {"max_retries": 0}

_PENDING_STATUSES = frozenset({"pending", "processing", "queued", "in_progress"})
_FAILED_STATUSES = frozenset({"failed", "cancelled", "canceled", "error"})
_TRANSIENT_POLL_STATUSES = frozenset({408, 409, 425, 429})
_MODEL_NOT_FOUND_CODES = frozenset({"CHECK_MODEL_FAILED", "MODEL_NOT_FOUND"})
_MODERATION_CODES = frozenset(
    {
        "CONTENT_POLICY",
        "CONTENT_POLICY_VIOLATION",
        "CONTENT_FILTER",
        "CONTENT_MODERATION",
        "MODERATION",
        "MODERATION_FAILED",
        "NSFW",
    }
)
_MODERATION_MARKERS = ("moderat", "модерац", "content policy", "content_policy", "nsfw")
_RATIO = re.compile(r"\d+:\d+", re.ASCII)


class ImageErrorKind(enum.StrEnum):
    FAILED = "failed"  # the task ended failed/cancelled
    MODERATION = "moderation"  # the prompt or the result was refused by moderation
    TIMEOUT = "timeout"  # the overall deadline passed
    DOWNLOAD_FAILED = "download_failed"  # the result URL is gone or does not hold an image
    NO_RESULT = "no_result"  # finished without any image


class ImageError(Exception):
    """`message` and `code` are Polza's own; `detail` is our diagnosis, for logs only."""

    def __init__(
        self,
        kind: ImageErrorKind,
        message: str | None = None,
        *,
        code: str | None = None,
        detail: str | None = None,
    ) -> None:
        super().__init__(f"{kind.value}: code={code} message={message} detail={detail}")
        self.kind = kind
        self.message = message
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class GeneratedImage:
    data: bytes
    mime_type: str
    cost_rub: float | None
    task_id: str | None
    model: str
    url: str | None = None  # where Polza served it (kept for a week), if it came by URL


@dataclass(frozen=True)
class ImageRequest:
    """One billed media request; `references` are normalised pictures (JPEG bytes)."""

    prompt: str
    model: str
    aspect_ratio: str | None = None
    image_resolution: str | None = None
    references: tuple[bytes, ...] = ()
    count: int = 1
    seed: int | None = None


def media_input_of(request: ImageRequest) -> JsonDict:
    """The `input` of `POST /media`: only what was asked for, so Polza's defaults apply."""
    media_input: JsonDict = {"prompt": request.prompt}
    if request.aspect_ratio:
        media_input["aspect_ratio"] = request.aspect_ratio
    if request.image_resolution:
        media_input["image_resolution"] = request.image_resolution
    if request.seed is not None:
        media_input["seed"] = request.seed
    if request.count > 1:
        media_input["max_images"] = request.count
    if request.references:
        media_input["images"] = [
            {"type": "base64", "data": "data:image/jpeg;base64," + base64.b64encode(ref).decode()}
            for ref in request.references
        ]
    return media_input


def image_ceiling(info: ModelInfo, request: ImageRequest) -> Decimal | None:
    """The list price of `request`: the tier its parameters select (e.g. 4K), else the
    per-request price; times the number of pictures asked for."""
    chosen = (
        ("aspect_ratio", request.aspect_ratio),
        ("image_resolution", request.image_resolution),
    )
    sent = {f"{key}={value}" for key, value in chosen if value}
    tiers = [tier.cost_rub for tier in info.pricing.tiers if set(tier.conditions) <= sent]
    one = max(tiers) if tiers else estimate_cost_rub(info, None, None)
    return one * max(request.count, 1) if one is not None else None


# A bare number up to this as the first word is a count of pictures ("/image 4 cats"); a
# larger one starts the prompt ("/image 1984 poster").
MAX_COUNT_WORD = 10


class UnsupportedRatio(ValueError):
    def __init__(self, ratio: str, allowed: Sequence[str]) -> None:
        super().__init__(f"Unsupported aspect ratio {ratio}; allowed: {', '.join(allowed)}")
        self.ratio = ratio


@dataclass(frozen=True)
class ParsedRequest:
    ratio: str | None
    count: int | None
    prompt: str


def split_count(text: str) -> tuple[int | None, str]:
    """`(count, rest)` when `text` starts with a count of pictures, else `(None, text)`."""
    head, *rest = text.strip().split(maxsplit=1) or [""]
    if head.isascii() and head.isdigit() and 1 <= int(head) <= MAX_COUNT_WORD:
        return int(head), rest[0].strip() if rest else ""
    return None, text.strip()


def parse_picture_request(args: str, allowed_ratios: Sequence[str]) -> ParsedRequest:
    """`/image [count] [ratio] prompt`, count and ratio in either order. Raises ValueError
    for an aspect ratio the model does not list."""
    count, text = split_count(args)
    ratio, text = parse_image_request(text, allowed_ratios)
    if count is None and ratio is not None:
        count, text = split_count(text)
    return ParsedRequest(ratio, count, text)


def parse_image_request(args: str, allowed_ratios: Sequence[str]) -> tuple[str | None, str]:
    """Split `/image [ratio] prompt` arguments into (ratio or None, prompt)."""
    text = args.strip()
    head, *rest = text.split(maxsplit=1) or [""]
    if not _RATIO.fullmatch(head):
        return None, text
    if head not in allowed_ratios:
        raise UnsupportedRatio(head, allowed_ratios)
    return head, rest[0].strip() if rest else ""


class ImageService:
    """Generates one image per call; owns the HTTP session used to fetch results."""

    def __init__(
        self,
        client: AsyncOpenAI,
        meter: Meter,
        *,
        poll_interval: float = 3.0,
        timeout: float = 180.0,
        url_policy: UrlPolicy | None = None,
    ) -> None:
        self._client = client
        self._meter = meter
        self._poll_interval = poll_interval
        self._timeout = timeout
        # Result URLs come from the network: only Polza's hosts (and its API host) are fetched.
        self._url_policy = url_policy or UrlPolicy.for_polza(str(client.base_url))
        self._http: aiohttp.ClientSession | None = None

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None

    async def generate(
        self,
        *,
        prompt: str,
        model: str,
        user_id: int,
        chat_id: int,
        aspect_ratio: str | None = None,
        image_resolution: str | None = None,
    ) -> GeneratedImage:
        """One picture: the first of `generate_set`."""
        request = ImageRequest(prompt, model, aspect_ratio, image_resolution)
        return (await self.generate_set(request, user_id=user_id, chat_id=chat_id))[0]

    async def generate_set(
        self, request: ImageRequest, *, user_id: int, chat_id: int
    ) -> list[GeneratedImage]:
        """The pictures of one billed request (`request.count` asked for; the model may give
        fewer). Raises `ImageError` for generation outcomes, `PolzaError` for HTTP failures and
        `LimitExceeded` before anything is sent. Whatever happens once the task was created
        (a failed download, a timeout), the call is recorded in the ledger."""
        model = request.model
        info = await self._meter.model_info(model)
        ceiling = image_ceiling(info, request) if info is not None else None
        charge = Charge("image", user_id, chat_id, model)
        deadline = asyncio.timeout(self._timeout)
        try:
            async with self._meter.call(charge, ceiling=ceiling), deadline:
                answer = await self._create(request, charge)
                final = await self._until_done(answer, model)
                charge.note_usage(PolzaUsage.read(final.get("usage")))
                return await self._results(final, model, charge)
        except TimeoutError:
            if not deadline.expired():
                raise
            raise ImageError(ImageErrorKind.TIMEOUT) from None

    async def _create(self, request: ImageRequest, charge: Charge) -> JsonDict:
        user_id, model, prompt = charge.user_id, request.model, request.prompt
        aspect_ratio = request.aspect_ratio
        charge.sent = True
        media_input = media_input_of(request)
        body: JsonDict = {"model": model, "input": media_input, "user": str(user_id)}
        try:
            return await self._post("/media", body, model, charge)
        except openai.APIStatusError as error:
            charge.refused = True  # an HTTP error answer: no task, nothing billed
            # The OpenAI-shaped route takes no references: drawing without them is not what
            # was asked for, so then the media route's failure stands.
            if request.references or not _route_unavailable(error, model):
                raise _status_error(error, model) from error
            logger.warning(
                "POST /media unavailable (HTTP %s), using /images/generations",
                error.status_code,
            )
        fallback: JsonDict = {
            "model": model,
            "prompt": prompt,
            "n": request.count,
            "user": str(user_id),
        }
        if aspect_ratio:
            fallback["size"] = aspect_ratio
        charge.refused = False
        try:
            return await self._post("/images/generations", fallback, model, charge)
        except openai.APIStatusError as error:
            charge.refused = True
            raise _status_error(error, model) from error

    async def _post(
        self, path: str, body: JsonDict, model: str, charge: Charge | None = None
    ) -> JsonDict:
        """One billed POST, never repeated. HTTP errors propagate as `APIStatusError`."""
        try:
            answer = await self._client.post(path, body=body, cast_to=object, options=_NO_RETRIES)
        except openai.APIConnectionError as error:  # timeouts included
            if charge is not None and never_sent(error):
                charge.refused = True
            raise (translate(error, model) or error) from error
        except ValueError as error:  # a JSON content type with a broken body
            raise ImageError(ImageErrorKind.NO_RESULT, detail="unreadable answer") from error
        if not isinstance(answer, dict):
            raise ImageError(ImageErrorKind.NO_RESULT, detail="unexpected answer")
        return answer

    async def _until_done(self, answer: JsonDict, model: str) -> JsonDict:
        """Poll a task until it finishes; a finished answer is returned as is."""
        task_id = answer.get("requestId") or answer.get("id")
        status = answer.get("status")
        waiting = "requestId" in answer or (status in _PENDING_STATUSES and not answer.get("data"))
        if waiting and isinstance(task_id, str) and task_id:
            answer = await self._poll(task_id, model)
        _raise_if_failed(answer)
        return answer

    async def _poll(self, task_id: str, model: str) -> JsonDict:
        path = f"/media/{quote(task_id, safe='')}"
        delay = self._poll_interval
        while True:
            await asyncio.sleep(delay)
            delay = self._poll_interval
            try:
                answer = await self._client.get(path, cast_to=object, options=_NO_RETRIES)
            except openai.APIStatusError as error:
                status = error.status_code
                if status in _TRANSIENT_POLL_STATUSES or status >= 500:
                    logger.warning("Polling %s: HTTP %s, retrying", task_id, status)
                    delay = max(delay, retry_after_seconds(error) or 0.0)
                    continue
                if status == 404:  # the task vanished: report it, not as an unknown model
                    code, message, _, _ = parse_error_body(_body_of(error))
                    raise ImageError(ImageErrorKind.FAILED, message, code=code) from error
                raise _status_error(error, model) from error
            except (openai.APIConnectionError, ValueError) as error:
                logger.warning("Polling %s: %s, retrying", task_id, type(error).__name__)
                continue
            if not isinstance(answer, dict):
                continue
            status_name = answer.get("status")
            if status_name not in _PENDING_STATUSES or answer.get("data"):
                return answer

    async def _results(self, final: JsonDict, model: str, charge: Charge) -> list[GeneratedImage]:
        items = _items(final.get("data"))
        if not items:
            raise ImageError(ImageErrorKind.NO_RESULT, detail=f"status {final.get('status')}")
        task_id = final.get("id") or final.get("requestId")
        cost = charge.usage.cost_rub if charge.usage else None
        images: list[GeneratedImage] = []
        for item in items:
            data, url = await self._bytes_of(item)
            info = image_info(data)
            if info is None:
                raise ImageError(ImageErrorKind.DOWNLOAD_FAILED, detail="not an image")
            images.append(
                GeneratedImage(
                    data=data,
                    mime_type=info.mime_type,
                    cost_rub=cost,
                    task_id=task_id if isinstance(task_id, str) else None,
                    model=model,
                    url=url,
                )
            )
        return images

    async def _bytes_of(self, item: JsonDict) -> tuple[bytes, str | None]:
        encoded = item.get("b64_json")
        url = item.get("url")
        if isinstance(encoded, str) and encoded:
            return _decode_b64(encoded), None
        if isinstance(url, str) and url.startswith("data:"):
            return _decode_b64(url.partition(",")[2]), None
        if isinstance(url, str) and url:
            return await self._download(url), url
        raise ImageError(ImageErrorKind.NO_RESULT, detail="no url or b64_json")

    async def _download(self, url: str) -> bytes:
        # A separate session on purpose: the SDK client would send the Polza key to the CDN.
        failure = "download failed"
        for _ in range(DOWNLOAD_ATTEMPTS):
            try:
                async with open_checked(self._session(), url, self._url_policy) as response:
                    if response.status == 200:
                        return await _read_capped(response)
                    failure = f"HTTP {response.status}"
                    if response.status < 500:
                        break
            except UrlRefused as error:
                logger.warning("Image result URL refused: %s", error)
                raise ImageError(ImageErrorKind.DOWNLOAD_FAILED, detail=str(error)) from None
            except (aiohttp.ClientError, TimeoutError, OSError) as error:
                failure = type(error).__name__
        raise ImageError(ImageErrorKind.DOWNLOAD_FAILED, detail=failure)

    def _session(self) -> aiohttp.ClientSession:
        if self._http is None or self._http.closed:
            self._http = guarded_session(
                self._url_policy, aiohttp.ClientTimeout(total=DOWNLOAD_TIMEOUT_SECONDS)
            )
        return self._http


async def _read_capped(response: aiohttp.ClientResponse) -> bytes:
    if (response.content_length or 0) > MAX_IMAGE_BYTES:
        raise ImageError(ImageErrorKind.DOWNLOAD_FAILED, detail="too large")
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > MAX_IMAGE_BYTES:
            raise ImageError(ImageErrorKind.DOWNLOAD_FAILED, detail="too large")
        chunks.append(chunk)
    return b"".join(chunks)


def _raise_if_failed(answer: JsonDict) -> None:
    status = answer.get("status")
    if status not in _FAILED_STATUSES:
        return
    error = answer.get("error")
    code, message, _, raw = parse_error_body({"error": error} if error else None)
    kind = (
        ImageErrorKind.MODERATION if _is_moderation(code, message, raw) else ImageErrorKind.FAILED
    )
    raise ImageError(kind, message, code=code, detail=f"status {status}")


def _status_error(error: openai.APIStatusError, model: str) -> ImageError | PolzaError:
    code, message, _, raw = parse_error_body(_body_of(error))
    if error.status_code in (400, 403, 422) and _is_moderation(code, message, raw):
        return ImageError(ImageErrorKind.MODERATION, message, code=code)
    failure = translate(error, model)
    assert failure is not None
    return failure


def _route_unavailable(error: openai.APIStatusError, model: str) -> bool:
    """Whether `POST /media` itself is missing, so `/images/generations` is worth a try.

    405 and 503 never billed anything, so they always fall back. A 404 falls back unless the
    body is about the model (names it, says "model", or has a model-lookup code): a missing
    route answers with the framework's `Cannot POST …` or a generic NOT_FOUND. When in doubt we
    fall back: for a truly unknown model the second route answers 404 too, unbilled.
    """
    if error.status_code in (405, 503):
        return True
    if error.status_code != 404:
        return False
    code, message, _, raw = parse_error_body(_body_of(error))
    if code in _MODEL_NOT_FOUND_CODES:
        return False
    text = f"{message or ''} {raw or ''}".lower()
    return not (model.lower() in text or "model" in text or "модел" in text)


def _is_moderation(code: str | None, message: str | None, raw: str | None) -> bool:
    if code is not None and code.upper() in _MODERATION_CODES:
        return True
    text = f"{message or ''} {raw or ''}".lower()
    return any(marker in text for marker in _MODERATION_MARKERS)


def _body_of(error: openai.APIStatusError) -> object:
    # The raw JSON, not `error.body`: the SDK unwraps `error` even when it is a plain string.
    try:
        return error.response.json()
    except ValueError:
        return error.response.text or None


def _items(data: object) -> list[JsonDict]:
    listed = data if isinstance(data, list) else [data]
    items: list[JsonDict] = []
    for item in listed:
        if isinstance(item, str):
            items.append({"url": item})
        elif isinstance(item, dict):
            items.append(item)
    return items


def _decode_b64(encoded: str) -> bytes:
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as error:
        raise ImageError(ImageErrorKind.DOWNLOAD_FAILED, detail="bad base64") from error
