"""Thin wrapper over `AsyncOpenAI` pointed at Polza: streaming chat with Polza's quirks."""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any, cast

import openai
from openai import AsyncOpenAI
from openai.types.chat import ChatCompletionChunk, ChatCompletionMessageParam

from bot.services.errors import PolzaError, PolzaErrorKind, kind_for_status, parse_error_body

logger = logging.getLogger(__name__)

# Safe to retry: nothing was generated, so nothing was billed.
RETRYABLE_STATUSES = frozenset({408, 429, 502, 503})
MAX_RETRY_AFTER_SECONDS = 30.0
MAX_TOTAL_RETRY_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class ChatUsage:
    prompt_tokens: int | None
    completion_tokens: int | None
    cost_rub: float | None


@dataclass(frozen=True, slots=True)
class TextDelta:
    text: str


@dataclass(frozen=True, slots=True)
class ReasoningDelta:
    text: str


@dataclass(frozen=True, slots=True)
class StreamEnd:
    finish_reason: str | None
    usage: ChatUsage | None


StreamEvent = TextDelta | ReasoningDelta | StreamEnd


def _extra(obj: Any, name: str) -> Any:
    """A field the OpenAI types do not declare (Polza's extras land in `model_extra`)."""
    value = getattr(obj, name, None)
    if value is None:
        extra = getattr(obj, "model_extra", None) or {}
        value = extra.get(name)
    return value


def _usage_from(raw: Any) -> ChatUsage:
    cost = _extra(raw, "cost_rub")
    if cost is None:
        cost = _extra(raw, "cost")
    try:
        cost_rub = float(cost) if cost is not None else None
    except (TypeError, ValueError):
        cost_rub = None
    return ChatUsage(
        prompt_tokens=getattr(raw, "prompt_tokens", None),
        completion_tokens=getattr(raw, "completion_tokens", None),
        cost_rub=cost_rub,
    )


def _retry_after(error: openai.APIStatusError) -> float | None:
    header = error.response.headers.get("retry-after")
    if header is None:
        return None
    try:
        return max(0.0, float(header))
    except ValueError:
        return None


def error_from_status(error: openai.APIStatusError, model: str) -> PolzaError:
    code, message, trace_id, raw = parse_error_body(error.body)
    if message is None:
        _, message, _, _ = parse_error_body(_json_or_none(error.response.text))
    return PolzaError(
        kind_for_status(error.status_code),
        status=error.status_code,
        code=code,
        message=message,
        trace_id=trace_id,
        raw=raw,
        model=model,
    )


def _json_or_none(text: str) -> object:
    try:
        return json.loads(text)
    except ValueError:
        return text or None


class PolzaClient:
    """Every Polza call the bot makes goes through here."""

    def __init__(self, client: AsyncOpenAI, *, max_retries: int) -> None:
        self._client = client
        self._max_retries = max_retries

    @classmethod
    def create(
        cls, *, base_url: str, api_key: str, timeout: float, max_retries: int
    ) -> PolzaClient:
        # The SDK's own retries are off: we retry only what cannot bill twice (see below).
        client = AsyncOpenAI(base_url=base_url, api_key=api_key, timeout=timeout, max_retries=0)
        return cls(client, max_retries=max_retries)

    @property
    def sdk(self) -> AsyncOpenAI:
        """The underlying SDK client, for the other Polza services (speech, images, models)."""
        return self._client

    async def close(self) -> None:
        await self._client.close()

    async def stream_chat(
        self,
        messages: Sequence[dict[str, Any]],
        *,
        model: str,
        user_id: int,
        max_tokens: int | None = None,
        reasoning_effort: str | None = None,
    ) -> AsyncIterator[StreamEvent]:
        """Yield text and reasoning deltas, then one `StreamEnd`. Raises `PolzaError`."""
        stream = await self._open_stream(
            messages,
            model=model,
            user_id=user_id,
            max_tokens=max_tokens,
            reasoning_effort=reasoning_effort,
        )
        finish_reason: str | None = None
        usage: ChatUsage | None = None
        try:
            async for chunk in stream:
                if chunk.usage is not None:
                    usage = _usage_from(chunk.usage)
                for choice in chunk.choices:
                    delta = choice.delta
                    reasoning = _extra(delta, "reasoning") or _extra(delta, "reasoning_content")
                    if isinstance(reasoning, str) and reasoning:
                        yield ReasoningDelta(reasoning)
                    if delta.content:
                        yield TextDelta(delta.content)
                    if choice.finish_reason:
                        finish_reason = choice.finish_reason
                if finish_reason == "error":
                    raise PolzaError(PolzaErrorKind.STREAM_ERROR, model=model)
        except openai.APIStatusError as error:
            raise error_from_status(error, model) from error
        except openai.APIConnectionError as error:  # the connection dropped mid-stream
            raise PolzaError(
                PolzaErrorKind.INTERRUPTED, message=type(error).__name__, model=model
            ) from error
        except openai.APIError as error:
            # A 200 stream carrying {"error": {...}}: the SDK raises it as a plain APIError.
            code, message, trace_id, raw = parse_error_body(error.body)
            raise PolzaError(
                PolzaErrorKind.STREAM_ERROR,
                code=code,
                message=message or str(error),
                trace_id=trace_id,
                raw=raw,
                model=model,
            ) from error
        except PolzaError:
            raise
        except (TimeoutError, ValueError, OSError) as error:
            # Malformed SSE data or a dropped connection mid-stream.
            raise PolzaError(
                PolzaErrorKind.INTERRUPTED, message=type(error).__name__, model=model
            ) from error
        except Exception as error:  # the HTTP transport's own read/protocol errors
            if type(error).__module__.split(".")[0] not in {"httpx2", "httpx", "httpcore", "h11"}:
                raise
            raise PolzaError(
                PolzaErrorKind.INTERRUPTED, message=type(error).__name__, model=model
            ) from error
        finally:
            await stream.close()
        yield StreamEnd(finish_reason=finish_reason, usage=usage)

    async def _open_stream(
        self,
        messages: Sequence[dict[str, Any]],
        *,
        model: str,
        user_id: int,
        max_tokens: int | None,
        reasoning_effort: str | None = None,
    ) -> openai.AsyncStream[ChatCompletionChunk]:
        extra_body: dict[str, Any] = {"max_tokens": max_tokens} if max_tokens else {}
        if reasoning_effort:
            # Polza's own field; a top-level `reasoning_effort` is silently ignored.
            extra_body["reasoning"] = {"effort": reasoning_effort}
        started = time.monotonic()
        attempt = 0
        while True:
            try:
                return await self._client.chat.completions.create(
                    model=model,
                    messages=cast(list[ChatCompletionMessageParam], list(messages)),
                    stream=True,
                    stream_options={"include_usage": True},
                    user=str(user_id),
                    extra_body=extra_body or None,
                )
            except openai.APIStatusError as error:
                failure = error_from_status(error, model)
                retryable = error.status_code in RETRYABLE_STATUSES
                delay = _retry_after(error)
            except openai.APITimeoutError as error:
                failure = PolzaError(PolzaErrorKind.TIMEOUT, model=model)
                failure.__cause__ = error
                retryable, delay = True, None
            except openai.APIConnectionError as error:
                failure = PolzaError(PolzaErrorKind.CONNECTION, message=str(error), model=model)
                failure.__cause__ = error
                retryable, delay = True, None
            if delay is None:
                delay = min(8.0, 0.5 * 2**attempt) * random.uniform(0.8, 1.2)
            delay = min(delay, MAX_RETRY_AFTER_SECONDS)
            elapsed = time.monotonic() - started
            if (
                not retryable
                or attempt >= self._max_retries
                or elapsed + delay > MAX_TOTAL_RETRY_SECONDS
            ):
                raise failure
            attempt += 1
            logger.warning(
                "Polza chat request failed (%s), retry %d/%d in %.1fs",
                failure.kind.value,
                attempt,
                self._max_retries,
                delay,
            )
            await asyncio.sleep(delay)
