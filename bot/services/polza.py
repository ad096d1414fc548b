"""The Polza gateway: `AsyncOpenAI` pointed at Polza, and metered streaming chat.

Every chat request is reserved, sent and recorded through `bot.services.metering`; errors
are translated once, by `bot.services.errors.translate`.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx2
import openai
from openai import AsyncOpenAI

from bot.services.citations import Citation, read_annotations
from bot.services.context import CHARS_PER_TOKEN, request_chars
from bot.services.errors import (
    PolzaError,
    PolzaErrorKind,
    never_sent,
    retry_after_seconds,
    translate,
)
from bot.services.metering import Charge, Meter
from bot.services.polza_shapes import PolzaUsage
from bot.services.polza_transport import polza_http_client

logger = logging.getLogger(__name__)

# Safe to retry: Polza refused before generating anything, so nothing was billed.
RETRYABLE_STATUSES = frozenset({429, 502, 503})
MAX_RETRY_AFTER_SECONDS = 30.0
MAX_TOTAL_RETRY_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class TextDelta:
    text: str


@dataclass(frozen=True, slots=True)
class ReasoningDelta:
    text: str


@dataclass(frozen=True, slots=True)
class CitationsFound:
    """Web-search sources the answer cites (a delta's, or the final message's)."""

    citations: tuple[Citation, ...]


@dataclass(frozen=True, slots=True)
class StreamEnd:
    finish_reason: str | None
    usage: PolzaUsage | None


StreamEvent = TextDelta | ReasoningDelta | CitationsFound | StreamEnd

# Polza's web-search plugin (`web_search_options` is silently ignored there).
WEB_SEARCH_PLUGIN = {"id": "web"}


@dataclass(frozen=True, slots=True)
class ChatRequest:
    """One chat completion, as the gateway sends and meters it."""

    messages: Sequence[dict[str, Any]]
    model: str
    user_id: int
    chat_id: int
    max_tokens: int
    ceiling: Decimal | None  # the most it can cost at list prices (None: no prices known)
    reasoning_effort: str | None = None
    web_search: bool = False
    file_tokens: int = 0  # the estimate for the file parts in `messages`

    def charge(self) -> Charge:
        prompt_chars = request_chars(self.messages) + int(self.file_tokens * CHARS_PER_TOKEN)
        return Charge(
            "chat",
            self.user_id,
            self.chat_id,
            self.model,
            prompt_chars=prompt_chars,
            web_searches=1 if self.web_search else 0,
        )


# Chunks are read as Polza's JSON (dicts), not parsed into the SDK's models: the SDK's parsing
# cost more CPU than the rest of the answer's streaming, and Polza's extras (reasoning,
# annotations, cost_rub) are outside those models anyway.
_ChunkStream = openai.AsyncStream[object]


def _mapping(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _citations(choice: dict[str, Any], delta: dict[str, Any]) -> tuple[Citation, ...]:
    """The URL citations a streamed choice carries: in its delta, or (only in the final
    chunk, on some routes) in a whole `message`."""
    found = read_annotations(delta.get("annotations"))
    found.extend(read_annotations(_mapping(choice.get("message")).get("annotations")))
    return tuple(found)


class PolzaClient:
    """The Polza gateway for chat; the other Polza services share its SDK client and meter."""

    def __init__(self, client: AsyncOpenAI, meter: Meter, *, max_retries: int) -> None:
        self._client = client
        self._meter = meter
        self._max_retries = max_retries

    @staticmethod
    def create_sdk(
        *,
        base_url: str,
        api_key: str,
        timeout: float,
        http_client: httpx2.AsyncClient | None = None,
    ) -> AsyncOpenAI:
        """The one SDK client every Polza service shares (its creator closes it).

        The SDK's own retries are off: each service retries only what cannot bill twice.
        `http_client`: the HTTP client under it (one that reports latency and refusals), made
        by `polza_transport.polza_http_client`; by default a plain one.
        """
        return AsyncOpenAI(
            base_url=base_url,
            api_key=api_key,
            timeout=timeout,
            max_retries=0,
            http_client=http_client or polza_http_client(),
        )

    async def stream_chat(
        self, request: ChatRequest, charge: Charge | None = None
    ) -> AsyncIterator[StreamEvent]:
        """Yield text and reasoning deltas, then one `StreamEnd`; raises `PolzaError`, or
        `LimitExceeded` before anything is sent. Once the iteration ends, however it ends,
        the call is in the ledger (`charge.record`, when the caller passed `charge`)."""
        charge = charge or request.charge()
        async with self._meter.call(charge, ceiling=request.ceiling):
            stream = await self._open_stream(request, charge)
            finish_reason: str | None = None
            try:
                async for raw in stream:
                    chunk = _mapping(raw)
                    if chunk.get("usage") is not None:
                        charge.note_usage(PolzaUsage.read(chunk["usage"]))
                    choices = chunk.get("choices")
                    for choice in choices if isinstance(choices, list) else ():
                        if not isinstance(choice, dict):
                            continue
                        delta = _mapping(choice.get("delta"))
                        reasoning = delta.get("reasoning") or delta.get("reasoning_content")
                        if isinstance(reasoning, str) and reasoning:
                            charge.output_chars += len(reasoning)
                            yield ReasoningDelta(reasoning)
                        content = delta.get("content")
                        if isinstance(content, str) and content:
                            charge.output_chars += len(content)
                            yield TextDelta(content)
                        if citations := _citations(choice, delta):
                            yield CitationsFound(citations)
                        reason = choice.get("finish_reason")
                        if isinstance(reason, str) and reason:
                            finish_reason = reason
                    if finish_reason == "error":
                        raise PolzaError(PolzaErrorKind.STREAM_ERROR, model=request.model)
            except Exception as error:
                failure = translate(error, request.model)
                if failure is None or failure is error:
                    raise
                if failure.kind in (PolzaErrorKind.CONNECTION, PolzaErrorKind.TIMEOUT):
                    failure.kind = PolzaErrorKind.INTERRUPTED  # it broke after it had started
                raise failure from error
            finally:
                await stream.close()
            yield StreamEnd(finish_reason=finish_reason, usage=charge.usage)

    async def _open_stream(self, request: ChatRequest, charge: Charge) -> _ChunkStream:
        # A plain JSON body posted as it is: `chat.completions.create` would walk it through
        # the SDK's type-driven transform, a no-op for these fields that costs CPU per request.
        body: dict[str, Any] = {
            "model": request.model,
            "messages": list(request.messages),
            "stream": True,
            "stream_options": {"include_usage": True},
            "user": str(request.user_id),
            "max_tokens": request.max_tokens,
        }
        if request.reasoning_effort:
            # Polza's own field; a top-level `reasoning_effort` is silently ignored.
            body["reasoning"] = {"effort": request.reasoning_effort}
        if request.web_search:
            body["plugins"] = [dict(WEB_SEARCH_PLUGIN)]
        started = time.monotonic()
        attempt = 0
        while True:
            charge.sent, charge.refused = True, False
            try:
                return await self._client.post(
                    "/chat/completions",
                    body=body,
                    cast_to=object,
                    stream=True,
                    stream_cls=_ChunkStream,
                )
            except openai.OpenAIError as caught:
                error = caught
                failure = translate(error, request.model)
                assert failure is not None
                if isinstance(error, openai.APIStatusError) or never_sent(error):
                    charge.refused = True
                # A timeout may have reached Polza and started a billed answer: never retried.
                retryable = (
                    isinstance(error, openai.APIStatusError)
                    and error.status_code in RETRYABLE_STATUSES
                ) or never_sent(error)
                delay = retry_after_seconds(error)
            if delay is None:
                delay = min(8.0, 0.5 * 2**attempt) * random.uniform(0.8, 1.2)
            delay = min(delay, MAX_RETRY_AFTER_SECONDS)
            elapsed = time.monotonic() - started
            if (
                not retryable
                or attempt >= self._max_retries
                or elapsed + delay > MAX_TOTAL_RETRY_SECONDS
            ):
                raise failure from error
            attempt += 1
            logger.warning(
                "Polza chat request failed (%s), retry %d/%d in %.1fs",
                failure.kind.value,
                attempt,
                self._max_retries,
                delay,
            )
            await asyncio.sleep(delay)
