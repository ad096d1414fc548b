"""Polza failures, reduced to what the bot must tell the user."""

from __future__ import annotations

import enum
import json
from typing import Any

import openai


class PolzaErrorKind(enum.StrEnum):
    AUTH = "auth"  # 401/403: the key is wrong or lacks rights
    BALANCE = "balance"  # 402: no money on the Polza balance or key limit
    MODEL_NOT_FOUND = "model_not_found"  # 404
    RATE_LIMITED = "rate_limited"  # 429
    BAD_REQUEST = "bad_request"  # 400, 413, 422
    UNAVAILABLE = "unavailable"  # 5xx
    TIMEOUT = "timeout"
    CONNECTION = "connection"
    INTERRUPTED = "interrupted"  # the stream broke after it started
    STREAM_ERROR = "stream_error"  # 200 with an error chunk
    EMPTY = "empty"  # finished without any text
    LENGTH_EMPTY = "length_empty"  # the token budget ran out before any text


class PolzaError(Exception):
    def __init__(
        self,
        kind: PolzaErrorKind,
        *,
        status: int | None = None,
        code: str | None = None,
        message: str | None = None,
        trace_id: str | None = None,
        raw: str | None = None,
        model: str | None = None,
    ) -> None:
        super().__init__(f"{kind.value}: status={status} code={code} message={message}")
        self.kind = kind
        self.status = status
        self.code = code
        self.message = message
        self.trace_id = trace_id
        self.raw = raw
        self.model = model

    def log_fields(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "status": self.status,
            "code": self.code,
            "message": self.message,
            "trace_id": self.trace_id,
            "raw": self.raw,
            "model": self.model,
        }


def kind_for_status(status: int) -> PolzaErrorKind:
    if status in (401, 403):
        return PolzaErrorKind.AUTH
    if status == 402:
        return PolzaErrorKind.BALANCE
    if status == 404:
        return PolzaErrorKind.MODEL_NOT_FOUND
    if status == 429:
        return PolzaErrorKind.RATE_LIMITED
    if status == 408:
        return PolzaErrorKind.TIMEOUT
    if status >= 500:
        return PolzaErrorKind.UNAVAILABLE
    return PolzaErrorKind.BAD_REQUEST


def parse_error_body(body: object) -> tuple[str | None, str | None, str | None, str | None]:
    """(code, message, trace_id, raw) from either of Polza's error shapes.

    Current: {"error": {"code", "message", "trace_id", "metadata": {"raw"}}}
    Legacy:  {"statusCode": 401, "message": "Unauthorized"}
    The openai SDK already unwraps the "error" object when it is present.
    """
    if not isinstance(body, dict):
        return None, (str(body) if body else None), None, None
    inner = body.get("error")
    if isinstance(inner, dict):
        body = inner
    code = body.get("code", body.get("statusCode"))
    message = body.get("message")
    trace_id = body.get("trace_id", body.get("traceId"))
    metadata = body.get("metadata")
    raw = metadata.get("raw") if isinstance(metadata, dict) else None
    return (
        str(code) if code is not None else None,
        str(message) if message is not None else None,
        str(trace_id) if trace_id is not None else None,
        str(raw) if raw is not None else None,
    )


# The HTTP stack's own read/protocol errors surface as these modules' exceptions mid-stream.
_TRANSPORT_MODULES = frozenset({"httpx2", "httpx", "httpcore", "h11", "aiohttp"})


def translate(error: BaseException, model: str | None = None) -> PolzaError | None:
    """The one translation of a failed Polza call into `PolzaError`; None for a foreign error.

    Covers the openai SDK's errors (HTTP status, timeout, connection, a 200 stream carrying an
    error chunk), a body that is not JSON, and the transport dropping the connection mid-stream.
    """
    if isinstance(error, PolzaError):
        return error
    if isinstance(error, openai.APIStatusError):
        return _from_status(error, model)
    if isinstance(error, openai.APITimeoutError):  # a subclass of APIConnectionError: first
        return PolzaError(PolzaErrorKind.TIMEOUT, model=model)
    if isinstance(error, openai.APIConnectionError):
        return PolzaError(PolzaErrorKind.CONNECTION, message=str(error), model=model)
    if isinstance(error, openai.APIError):
        # A 200 stream carrying {"error": {...}}: the SDK raises it as a plain APIError.
        code, message, trace_id, raw = parse_error_body(error.body)
        return PolzaError(
            PolzaErrorKind.STREAM_ERROR,
            code=code,
            message=message or str(error),
            trace_id=trace_id,
            raw=raw,
            model=model,
        )
    if isinstance(error, TimeoutError | ValueError | OSError) or (
        type(error).__module__.split(".")[0] in _TRANSPORT_MODULES
    ):
        # Malformed data, or the connection dropped once the answer had started.
        return PolzaError(PolzaErrorKind.INTERRUPTED, message=type(error).__name__, model=model)
    return None


def _from_status(error: openai.APIStatusError, model: str | None) -> PolzaError:
    code, message, trace_id, raw = parse_error_body(error.body)
    if message is None:
        _, message, _, _ = parse_error_body(_json_or_text(error.response.text))
    return PolzaError(
        kind_for_status(error.status_code),
        status=error.status_code,
        code=code,
        message=message,
        trace_id=trace_id,
        raw=raw,
        model=model,
    )


def _json_or_text(text: str) -> object:
    try:
        return json.loads(text)
    except ValueError:
        return text or None


def retry_after_seconds(error: BaseException) -> float | None:
    """Polza's `Retry-After` on a failed HTTP answer, in seconds."""
    if not isinstance(error, openai.APIStatusError):
        return None
    header = error.response.headers.get("retry-after")
    if header is None:
        return None
    try:
        return max(0.0, float(header))
    except ValueError:
        return None


def never_sent(error: BaseException) -> bool:
    """The connection was never made, so Polza never saw (nor billed) the request."""
    return (
        isinstance(error, openai.APIConnectionError)
        and not isinstance(error, openai.APITimeoutError)
        and type(error.__cause__).__name__ == "ConnectError"
    )
