"""Fake Polza.ai API server for tests: honest, dumb, scripted.

Run: ``python -m tests.fakes.polza_api --port 0 [--api-key KEY] [--host 127.0.0.1]``.
Prints exactly one line ``LISTENING <port>`` to stdout when ready; stops on SIGTERM/SIGINT.
In-process: ``build_app(api_key)`` returns the ``aiohttp.web.Application``.

It speaks Polza's real shapes (``/work/shared/docs/polza-api.md``) under ``/api/v1`` and
``/api/v2``; behaviour beyond the defaults comes from scripted rules posted to ``/_test/*``.
Every request to a non-``/_test`` route goes into the journal (``GET /_test/journal``); a route
the fake does not implement answers 500 ``FAKE_UNEXPECTED`` and is flagged ``unexpected``.

Deterministic estimates (documented so tests can rely on them):

* tokens: ``ceil(chars / 4)`` of all text in ``messages`` (string contents and text parts),
  plus 85 per ``image_url`` part; completion tokens the same over reply + reasoning.
* a prompt estimate above the model's ``top_provider.context_length`` → 400 BAD_REQUEST.
* a reply longer than the request's ``max_tokens`` (or ``max_completion_tokens``) is cut to
  that many tokens (reasoning counts first) and ends with ``finish_reason: "length"``.
* default ``cost_rub``: the model's ``*_per_million`` prices applied to those counts
  (rounded to 8 places); if the model has no prices, ``(prompt + 4 * completion) * 2e-5``.
* ``file`` parts (PDFs): 1000 prompt tokens each; refused (400) by a model whose
  ``input_modalities`` lack ``file``.
* ``plugins: [{"id": "web"}]``: one search, priced at the model's ``web_search_per_thousand``
  (else 1.4 RUB) and counted in ``usage.server_tool_use.web_search_requests``; the answer cites
  three made-up pages about the question (or a rule's ``sources``) as ``url_citation``
  annotations: in the last content delta (rule ``annotations: "delta"``, the default), only in
  the final chunk's ``message`` (``"final"``), or not at all (``"none"``).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import bisect
import copy
import hashlib
import json
import logging
import math
import re
import signal
import struct
import sys
import time
import uuid
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from aiohttp import BodyPartReader, web

from .polza_catalogue import default_catalogue

JsonDict = dict[str, Any]
log = logging.getLogger("fake_polza")

FIXTURE_TRANSCRIPTS: dict[str, JsonDict] = {
    "314c65b5088f6e6ed623669752793c434b18c071c018fe16ef0f469a09ee86ae": {
        "text": "Hello bot, please tell me a short joke about cats.",
        "language": "en",
        "duration": 3.97,
    },
    "d9772ae32b1975b33688be01393538df86b6cb5fe5500b24a85a7681e8058abc": {
        "text": "Привет, бот. Расскажи короткую шутку про котов.",
        "language": "ru",
        "duration": 4.33,
    },
}

VALID_ROLES = ("system", "developer", "user", "assistant", "tool")
STT_EXTENSIONS = ("mp3", "wav", "m4a", "flac", "ogg", "webm")
STT_RESPONSE_FORMATS = ("json", "text", "srt", "vtt", "verbose_json", "diarized_json")
MODEL_TYPES = (
    "chat",
    "image",
    "embedding",
    "audio",
    "video",
    "tts",
    "stt",
    "moderation",
    "document",
    "classification",
)
REASONING_EFFORTS = ("none", "minimal", "low", "medium", "high", "xhigh", "max")
FINISH_REASONS = ("stop", "length", "tool_calls", "content_filter", "error")
DEFAULT_PROMPT_LIMIT = 5000
IMAGE_PART_TOKENS = 85
FILE_PART_TOKENS = 1000
WEB_SEARCH_RUB = Decimal("1.4")
PLUGIN_IDS = ("web",)
ANNOTATION_PLACES = ("delta", "final", "none")

DEFAULT_ERRORS: dict[int, tuple[str, str]] = {
    400: ("BAD_REQUEST", "Некорректный запрос"),
    401: ("UNAUTHORIZED", "Неверный API ключ"),
    402: ("PAYMENT_REQUIRED", "Недостаточно средств на балансе"),
    403: ("FORBIDDEN", "Доступ запрещён"),
    404: ("NOT_FOUND", "Ресурс не найден"),
    408: ("REQUEST_TIMEOUT", "Превышено время ожидания ответа"),
    413: ("PAYLOAD_TOO_LARGE", "Слишком большой запрос"),
    429: ("TOO_MANY_REQUESTS", "Слишком много запросов, попробуйте позже"),
    500: ("INTERNAL_SERVER_ERROR", "Внутренняя ошибка сервера"),
    502: ("BAD_GATEWAY", "Провайдер временно недоступен"),
    503: ("SERVICE_UNAVAILABLE", "Нет доступных провайдеров для этой модели"),
    504: ("GATEWAY_TIMEOUT", "Провайдер не ответил вовремя"),
}

PROVIDER_NAMES = {
    "openai": "OpenAI",
    "anthropic": "Anthropic",
    "google": "Google",
    "deepseek": "DeepSeek",
    "meta-llama": "DeepInfra",
    "mistralai": "Mistral",
    "x-ai": "xAI",
    "qwen": "Alibaba",
    "GigaChat": "Sber",
    "yandex": "Yandex",
}

_NUM = (int, float)
_ERR_FIELDS: dict[str, tuple[type, ...]] = {
    "status": (int,),
    "error_shape": (str,),
    "error_code": (str,),
    "error_message": (str,),
    "retry_after": (int, float, str),
}
CHAT_RULE_FIELDS: dict[str, tuple[type, ...]] = {
    "match": (str,),
    "model": (str,),
    "times": (int,),
    "reply": (str,),
    "chunk_size": (int,),
    "chunk_delay": _NUM,
    "first_chunk_delay": _NUM,
    **_ERR_FIELDS,
    "mid_stream_error": (int,),
    "drop_after_chunks": (int,),
    "malformed_line": (bool, int),
    "reasoning": (str,),
    "finish_reason": (str,),
    "cost_rub": (int, float, type(None)),
    "omit_usage": (bool,),
    "annotations": (str,),  # where web-search citations go: delta | final | none
    "sources": (list,),  # [{"url", "title"}] cited instead of the made-up pages
}
STT_RULE_FIELDS: dict[str, tuple[type, ...]] = {
    "text": (str,),
    "times": (int,),
    "language": (str,),
    "duration": _NUM,
    "cost_rub": _NUM,
    "delay": _NUM,
    **_ERR_FIELDS,
}
MEDIA_RULE_FIELDS: dict[str, tuple[type, ...]] = {
    "mode": (str,),
    "times": (int,),
    "polls_before_done": (int,),
    "data_shape": (str,),
    "result": (str,),
    "url_gone": (bool,),
    # The host (and port) result URLs name instead of the request's own, like a CDN's.
    "files_host": (str,),
    "cost_rub": _NUM,
    **_ERR_FIELDS,
}
IMAGES_RULE_FIELDS: dict[str, tuple[type, ...]] = {
    "mode": (str,),
    "task_mode": (str,),
    "times": (int,),
    "polls_before_done": (int,),
    "data_shape": (str,),
    "url_gone": (bool,),
    "cost_rub": _NUM,
    **_ERR_FIELDS,
}
SPEECH_RULE_FIELDS: dict[str, tuple[type, ...]] = {
    # json_base64 and json_url are Polza's documented answers; raw is OpenAI's (audio bytes).
    "shape": (str,),
    "times": (int,),
    "url_gone": (bool,),
    "files_host": (str,),
    "cost_rub": _NUM,
    **_ERR_FIELDS,
}
SPEECH_SHAPES = ("json_base64", "json_url", "raw")
TTS_VOICES = (
    "alloy", "ash", "ballad", "coral", "echo", "fable", "onyx", "nova", "sage", "shimmer", "verse"
)  # fmt: skip
TTS_FORMATS = {
    "mp3": "audio/mpeg",
    "opus": "audio/ogg",
    "aac": "audio/aac",
    "flac": "audio/flac",
    "wav": "audio/wav",
    "pcm": "audio/pcm",
}
TTS_INPUT_LIMIT = 5000
# What every speech request "says": a real OGG/Opus voice note, so Telegram shows a bubble.
SPEECH_AUDIO_FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "voice_en.ogg"

RULE_ENUMS: dict[str, tuple[str, ...]] = {
    "error_shape": ("current", "legacy"),
    "finish_reason": FINISH_REASONS,
    "data_shape": ("list", "dict"),
    "result": ("url", "b64_json"),
    "task_mode": ("async", "failed", "never"),
    "annotations": ANNOTATION_PLACES,
    "shape": SPEECH_SHAPES,
}
MEDIA_MODES = ("async", "immediate", "failed", "never", "moderation")
IMAGES_MODES = ("request_id", "sync", "unavailable")


# --------------------------------------------------------------------------------------------
# state
# --------------------------------------------------------------------------------------------


@dataclass
class Rule:
    spec: JsonDict
    times: int | None
    used: int = 0

    def available(self) -> bool:
        return self.times is None or self.used < self.times

    def as_json(self) -> JsonDict:
        return {**self.spec, "used": self.used}


@dataclass
class Task:
    id: str
    model: str
    created: int
    base_url: str
    mode: str  # async | immediate | failed | never
    polls_before_done: int
    data_shape: str  # list | dict
    result: str  # url | b64_json
    url_gone: bool
    cost_rub: float
    kind: str = "image"  # image | video: what the finished task holds
    error_code: str = "BAD_GATEWAY"
    error_message: str = "Провайдер не смог сгенерировать изображение, попробуйте позже"
    polls: int = 0
    status: str = "pending"
    finished: bool = False
    outputs: int = 1  # pictures asked for (`input.max_images`)


def _default_balance() -> JsonDict:
    return {
        "amount": "1234.56000000",
        "available": "1200.06000000",
        "reservedAmount": "12.50000000",
        "spentAmount": "845.30000000",
        "updatedAt": _iso_now(),
    }


@dataclass
class State:
    api_key: str | None
    catalogue: list[JsonDict] = field(default_factory=default_catalogue)
    journal: list[JsonDict] = field(default_factory=list)
    chat_rules: list[Rule] = field(default_factory=list)
    stt_rules: list[Rule] = field(default_factory=list)
    media_rules: list[Rule] = field(default_factory=list)
    images_rules: list[Rule] = field(default_factory=list)
    speech_rules: list[Rule] = field(default_factory=list)
    tasks: dict[str, Task] = field(default_factory=dict)
    files: dict[str, bytes | None] = field(default_factory=dict)  # None = gone (404)
    models_fail_times: int = 0
    models_fail_status: int = 503
    media_unavailable: int | None = None
    balance: JsonDict = field(default_factory=_default_balance)
    legacy_balance: str = "9.28591714"
    seq: int = 0
    counter: int = 0

    def reset(self) -> None:
        self.catalogue = default_catalogue()
        self.journal.clear()
        self.chat_rules.clear()
        self.stt_rules.clear()
        self.media_rules.clear()
        self.images_rules.clear()
        self.speech_rules.clear()
        self.tasks.clear()
        self.files.clear()
        self.models_fail_times = 0
        self.models_fail_status = 503
        self.media_unavailable = None
        self.balance = _default_balance()
        self.legacy_balance = "9.28591714"
        # seq and counter keep growing: ids and PNG pixels stay unique across resets

    def next_id(self) -> int:
        self.counter += 1
        return self.counter

    def find_model(self, model_id: str, model_type: str) -> JsonDict | None:
        for model in self.catalogue:
            if model.get("id") == model_id and model.get("type") == model_type:
                return model
        return None


STATE: web.AppKey[State] = web.AppKey("polza_state", State)
JOURNAL: web.RequestKey[JsonDict] = web.RequestKey("polza_journal", dict)
BODY: web.RequestKey[Any] = web.RequestKey("polza_body", object)
BODY_OK: web.RequestKey[bool] = web.RequestKey("polza_body_ok", bool)


def _state(request: web.Request) -> State:
    return request.app[STATE]


def _iso_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False)


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response(data, status=status, headers=headers, dumps=_dumps)


def _trace_id() -> str:
    return uuid.uuid4().hex


# --------------------------------------------------------------------------------------------
# error bodies
# --------------------------------------------------------------------------------------------


def _error(
    status: int,
    code: str | None = None,
    message: str | None = None,
    *,
    shape: str = "current",
    retry_after: Any = None,
    extra: JsonDict | None = None,
) -> web.Response:
    default_code, default_message = DEFAULT_ERRORS.get(status, ("ERROR", "Ошибка"))
    msg = message if message is not None else default_message
    body: JsonDict
    if shape == "legacy":
        body = {"statusCode": status, "message": msg}
    else:
        err: JsonDict = {"code": code or default_code, "message": msg}
        if extra:
            err.update(extra)
        body = {"error": err}
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    return _json(body, status=status, headers=headers)


def _rule_error(spec: JsonDict) -> web.Response:
    return _error(
        int(spec["status"]),
        spec.get("error_code"),
        spec.get("error_message"),
        shape=spec.get("error_shape", "current"),
        retry_after=spec.get("retry_after"),
    )


def _bad_request(issues: list[JsonDict] | str, message: str | None = None) -> web.Response:
    if isinstance(issues, str):
        issues = [{"path": [], "message": issues}]
    return _error(
        400,
        "BAD_REQUEST",
        message or "Некорректный запрос",
        extra={"trace_id": _trace_id(), "metadata": {"raw": _dumps(issues)}},
    )


def _model_not_found(model_id: Any) -> web.Response:
    return _error(
        404,
        "NOT_FOUND",
        f"Модель {model_id} не найдена",
        extra={"trace_id": _trace_id()},
    )


def _unexpected(request: web.Request, why: str) -> web.Response:
    entry = request.get(JOURNAL)
    if isinstance(entry, dict):
        entry["unexpected"] = True
        entry["unexpected_reason"] = why
    log.warning("UNEXPECTED %s %s: %s", request.method, request.path, why)
    return _error(500, "FAKE_UNEXPECTED", f"fake Polza: {why}")


def _issue(path: list[Any], message: str) -> JsonDict:
    return {"path": path, "message": message}


# --------------------------------------------------------------------------------------------
# helpers: tokens, cost, PNG
# --------------------------------------------------------------------------------------------


def _tokens(text: str) -> int:
    return math.ceil(len(text) / 4)


def _price(pricing: JsonDict, key: str) -> Decimal | None:
    value = pricing.get(key)
    if value is None:
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _chat_cost(model: JsonDict, prompt_tokens: int, completion_tokens: int) -> float:
    pricing = (model.get("top_provider") or {}).get("pricing") or {}
    prompt_price = _price(pricing, "prompt_per_million")
    completion_price = _price(pricing, "completion_per_million")
    if prompt_price is None and completion_price is None:
        return round((prompt_tokens + 4 * completion_tokens) * 2e-5, 8)
    total = (prompt_price or Decimal(0)) * prompt_tokens + (
        completion_price or Decimal(0)
    ) * completion_tokens
    return round(float(total / Decimal(1_000_000)), 8)


def make_png(seed: int, width: int = 64, height: int = 48) -> bytes:
    """A small real RGB PNG; different seeds give different pixels."""
    rows = bytearray()
    for y in range(height):
        rows.append(0)  # filter: none
        for x in range(width):
            rows += bytes(
                (
                    (x * 4 + seed * 37) % 256,
                    (y * 5 + seed * 91) % 256,
                    (x + y + seed * 53) % 256,
                )
            )

    def chunk(tag: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(tag + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(bytes(rows), 9))
        + chunk(b"IEND", b"")
    )


def _provider_name(model_id: str) -> str:
    prefix = model_id.split("/", 1)[0]
    return PROVIDER_NAMES.get(prefix, prefix)


# --------------------------------------------------------------------------------------------
# journal + auth middleware
# --------------------------------------------------------------------------------------------


def _check_auth(header: str | None, api_key: str | None) -> str | None:
    """None if OK, else "legacy" (missing/malformed) or "current" (wrong key)."""
    if not header:
        return "legacy"
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return "legacy"
    if api_key is not None and token != api_key:
        return "current"
    return None


PUBLIC_ROUTES = {"models", "files"}


@web.middleware
async def _journal_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    route_name = request.match_info.route.name
    if request.path.startswith("/_test/") and route_name != "unexpected":
        result: web.StreamResponse = await handler(request)
        return result
    st = _state(request)
    st.seq += 1
    header = request.headers.get("Authorization")
    auth_problem = _check_auth(header, st.api_key)
    entry: JsonDict = {
        "seq": st.seq,
        "time": time.time(),
        "method": request.method,
        "path": request.path,
        "query": dict(request.query),
        "auth": header is not None,
        "auth_ok": auth_problem is None,
        "content_type": request.content_type if request.body_exists else None,
        "json": None,
        "multipart": None,
        "status": None,
        "first_chunk_time": None,
    }
    st.journal.append(entry)
    request[JOURNAL] = entry
    body: Any = None
    body_ok = False
    if request.body_exists and not request.content_type.startswith("multipart/"):
        raw = await request.read()
        entry["body_size"] = len(raw)
        try:
            body = json.loads(raw) if raw else None
            body_ok = bool(raw)
            entry["json"] = body
        except (ValueError, UnicodeDecodeError):
            entry["body_error"] = "invalid JSON"
    request[BODY] = body
    request[BODY_OK] = body_ok

    response: web.StreamResponse
    if route_name != "unexpected" and route_name not in PUBLIC_ROUTES and auth_problem:
        if auth_problem == "legacy":
            response = _json({"statusCode": 401, "message": "Unauthorized"}, status=401)
        else:
            response = _error(401, "UNAUTHORIZED", "Неверный API ключ")
    else:
        try:
            response = await handler(request)
        except asyncio.CancelledError:
            entry["client_disconnected"] = True
            raise
        except web.HTTPException as exc:
            entry["status"] = exc.status
            raise
        except Exception as exc:  # a bug in the fake: make it loud
            log.exception("fake Polza crashed on %s %s", request.method, request.path)
            response = _unexpected(request, f"fake crashed: {exc!r}")
    if entry["status"] is None:
        entry["status"] = response.status
    return response


async def _handle_unexpected(request: web.Request) -> web.StreamResponse:
    return _unexpected(request, f"no route for {request.method} {request.path}")


# --------------------------------------------------------------------------------------------
# models
# --------------------------------------------------------------------------------------------


async def _models(request: web.Request) -> web.StreamResponse:
    st = _state(request)
    if st.models_fail_times > 0:
        st.models_fail_times -= 1
        return _error(st.models_fail_status)
    model_type = request.query.get("type")
    if model_type is not None and model_type not in MODEL_TYPES:
        return _bad_request([_issue(["type"], f"Invalid enum value, received '{model_type}'")])
    data = [
        copy.deepcopy(m) for m in st.catalogue if model_type is None or m.get("type") == model_type
    ]
    return _json({"data": data})


# --------------------------------------------------------------------------------------------
# chat completions
# --------------------------------------------------------------------------------------------


def _validate_content(content: Any, path: list[Any]) -> list[JsonDict]:
    issues: list[JsonDict] = []
    if isinstance(content, str):
        return issues
    if not isinstance(content, list) or not content:
        return [_issue(path, "Expected string or non-empty array of content parts")]
    for j, part in enumerate(content):
        ppath = [*path, j]
        if not isinstance(part, dict):
            issues.append(_issue(ppath, "Expected object"))
            continue
        ptype = part.get("type")
        if ptype == "text":
            if not isinstance(part.get("text"), str):
                issues.append(_issue([*ppath, "text"], "Expected string"))
        elif ptype == "image_url":
            image = part.get("image_url")
            url = image.get("url") if isinstance(image, dict) else None
            if not isinstance(url, str):
                issues.append(_issue([*ppath, "image_url", "url"], "Expected string"))
            elif not url.startswith(("http://", "https://", "data:image/")):
                issues.append(_issue([*ppath, "image_url", "url"], "Invalid image url"))
            elif url.startswith("data:") and ";base64," not in url:
                issues.append(_issue([*ppath, "image_url", "url"], "Invalid data URI"))
        elif ptype == "file":
            file = part.get("file")
            if not isinstance(file, dict) or not isinstance(file.get("filename"), str):
                issues.append(_issue([*ppath, "file", "filename"], "Expected string"))
                continue
            data = file.get("file_data")
            if not isinstance(data, str) or not data.startswith("data:") or ";base64," not in data:
                issues.append(_issue([*ppath, "file", "file_data"], "Invalid data URI"))
        else:
            issues.append(
                _issue([*ppath, "type"], f"Invalid content part type, received '{ptype}'")
            )
    return issues


def _validate_chat(body: JsonDict) -> list[JsonDict]:
    issues: list[JsonDict] = []
    if not isinstance(body.get("model"), str) or not body["model"]:
        issues.append(_issue(["model"], "Required string"))
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        issues.append(_issue(["messages"], "Expected non-empty array"))
        messages = []
    for i, msg in enumerate(messages):
        path: list[Any] = ["messages", i]
        if not isinstance(msg, dict):
            issues.append(_issue(path, "Expected object"))
            continue
        role = msg.get("role")
        if role not in VALID_ROLES:
            issues.append(
                _issue([*path, "role"], f"Invalid enum value {VALID_ROLES}, received '{role}'")
            )
        content = msg.get("content")
        if content is None:
            if not (role == "assistant" and msg.get("tool_calls")):
                issues.append(_issue([*path, "content"], "Required"))
        else:
            issues.extend(_validate_content(content, [*path, "content"]))
        if role == "tool" and not isinstance(msg.get("tool_call_id"), str):
            issues.append(_issue([*path, "tool_call_id"], "Required"))
    checks: list[tuple[str, Any, str]] = [
        ("stream", lambda v: isinstance(v, bool), "Expected boolean"),
        ("user", lambda v: isinstance(v, str), "Expected string"),
        ("stream_options", lambda v: isinstance(v, dict), "Expected object"),
        (
            "max_tokens",
            lambda v: isinstance(v, int) and not isinstance(v, bool) and v > 0,
            "Expected positive integer",
        ),
        (
            "max_completion_tokens",
            lambda v: isinstance(v, int) and not isinstance(v, bool) and v > 0,
            "Expected positive integer",
        ),
        (
            "temperature",
            lambda v: isinstance(v, _NUM) and not isinstance(v, bool) and 0 <= v <= 2,
            "Expected number 0..2",
        ),
    ]
    for key, ok, message in checks:
        if key in body and body[key] is not None and not ok(body[key]):
            issues.append(_issue([key], message))
    plugins = body.get("plugins")
    if plugins is not None:
        if not isinstance(plugins, list):
            issues.append(_issue(["plugins"], "Expected array"))
        else:
            for i, plugin in enumerate(plugins):
                plugin_id = plugin.get("id") if isinstance(plugin, dict) else None
                if plugin_id not in PLUGIN_IDS:
                    issues.append(
                        _issue(["plugins", i, "id"], f"Unknown plugin, received '{plugin_id}'")
                    )
    reasoning = body.get("reasoning")
    if reasoning is not None:
        if not isinstance(reasoning, dict):
            issues.append(_issue(["reasoning"], "Expected object"))
        elif "effort" in reasoning and reasoning["effort"] not in REASONING_EFFORTS:
            issues.append(
                _issue(
                    ["reasoning", "effort"],
                    f"Invalid enum value {REASONING_EFFORTS}, received '{reasoning['effort']}'",
                )
            )
    return issues


def _message_texts(msg: JsonDict) -> tuple[list[str], int]:
    content = msg.get("content")
    if isinstance(content, str):
        return [content], 0
    texts: list[str] = []
    images = 0
    if isinstance(content, list):
        for part in content:
            if part.get("type") == "text":
                texts.append(part.get("text", ""))
            elif part.get("type") == "image_url":
                images += 1
    return texts, images


def _file_parts(messages: list[JsonDict]) -> int:
    return sum(
        1
        for msg in messages
        if isinstance(msg.get("content"), list)
        for part in msg["content"]
        if part.get("type") == "file"
    )


def _citations(question: str, spec: JsonDict) -> list[JsonDict]:
    """`url_citation` annotations, as Polza's web plugin returns them."""
    sources = spec.get("sources")
    if sources is None:
        slug = re.sub(r"[^a-z0-9]+", "-", question.lower()).strip("-")[:40] or "query"
        sources = [
            {
                "url": f"https://source{n}.example.com/{slug}",
                "title": f"Source {n}: {question[:40]}",
            }
            for n in (1, 2, 3)
        ]
    return [
        {
            "type": "url_citation",
            "url_citation": {
                "url": source.get("url"),
                "title": source.get("title"),
                "content": f"A passage of {source.get('url')} about the question.",
                "start_index": 0,
                "end_index": 0,
            },
        }
        for source in sources
    ]


def _last_user_text(messages: list[JsonDict]) -> str:
    for msg in reversed(messages):
        if msg.get("role") == "user":
            return "\n".join(_message_texts(msg)[0])
    return ""


def _pick_rule(rules: list[Rule], predicate: Any = None) -> Rule | None:
    for rule in rules:
        if rule.available() and (predicate is None or predicate(rule.spec)):
            rule.used += 1
            return rule
    return None


def _split(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


def _usage(
    prompt_tokens: int, completion_tokens: int, reasoning_tokens: int, cost: float | None
) -> JsonDict:
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
        "prompt_tokens_details": {
            "cached_tokens": 0,
            "cache_write_tokens": 0,
            "audio_tokens": 0,
            "video_tokens": 0,
        },
        "completion_tokens_details": {"reasoning_tokens": reasoning_tokens},
        "cost_rub": cost,
        "cost": cost,
    }


async def _abort_connection(request: web.Request, entry: JsonDict) -> None:
    entry["dropped"] = True
    transport = request.transport
    if transport is not None:
        transport.close()  # flushes what was written, then FIN: no terminating chunk
    await asyncio.sleep(0)


async def _chat_completions(request: web.Request) -> web.StreamResponse:
    st = _state(request)
    entry: JsonDict = request[JOURNAL]
    body = request[BODY]
    if not request[BODY_OK] or not isinstance(body, dict):
        return _bad_request("Body must be a JSON object")
    issues = _validate_chat(body)
    if issues:
        return _bad_request(issues)
    requested_id: str = body["model"]
    model_id = requested_id.split("@", 1)[0]
    model = st.find_model(model_id, "chat")
    if model is None:
        return _model_not_found(requested_id)
    messages: list[JsonDict] = body["messages"]

    prompt_chars = 0
    images = 0
    for msg in messages:
        texts, n_images = _message_texts(msg)
        prompt_chars += sum(len(t) for t in texts)
        images += n_images
    files = _file_parts(messages)
    prompt_tokens = (
        math.ceil(prompt_chars / 4) + IMAGE_PART_TOKENS * images + FILE_PART_TOKENS * files
    )
    arch = model.get("architecture") or {}
    if images and "image" not in (arch.get("input_modalities") or []):
        return _bad_request(f"Model {model_id} does not support image input")
    if files and "file" not in (arch.get("input_modalities") or []):
        return _bad_request(f"Model {model_id} does not support file input")
    context = (model.get("top_provider") or {}).get("context_length")
    if isinstance(context, int) and prompt_tokens > context:
        return _bad_request(
            f"This endpoint's maximum context length is {context} tokens. "
            f"However, you requested about {prompt_tokens} tokens."
        )

    text = _last_user_text(messages)
    rule = _pick_rule(
        st.chat_rules,
        lambda s: (
            ("match" not in s or s["match"] in text)
            and ("model" not in s or s["model"] == model_id)
        ),
    )
    spec: JsonDict = rule.spec if rule else {}
    entry["rule"] = copy.deepcopy(spec) if rule else None
    if "status" in spec:
        first_delay = float(spec.get("first_chunk_delay", 0))
        if first_delay:
            await asyncio.sleep(first_delay)
        return _rule_error(spec)

    reply: str = spec.get("reply", f"Echo: {text}")
    reasoning: str = spec.get("reasoning", "")
    reasoning_tokens = _tokens(reasoning)
    finish_reason: str = spec.get("finish_reason", "stop")
    # Like a real model, the answer stops at the request's output cap.
    cap = body.get("max_completion_tokens") or body.get("max_tokens")
    if isinstance(cap, int) and cap > 0 and _tokens(reply) + reasoning_tokens > cap:
        reply = reply[: max(0, cap - reasoning_tokens) * 4]
        finish_reason = "length"
    completion_tokens = _tokens(reply) + reasoning_tokens
    cost = (
        spec["cost_rub"]
        if "cost_rub" in spec
        else _chat_cost(model, prompt_tokens, completion_tokens)
    )
    searched = any(p.get("id") == "web" for p in body.get("plugins") or [])
    annotations = _citations(text, spec) if searched else []
    if searched and "cost_rub" not in spec:
        price = _price(
            (model.get("top_provider") or {}).get("pricing") or {}, "web_search_per_thousand"
        )
        search_cost = price / 1000 if price is not None else WEB_SEARCH_RUB
        cost = float(round(Decimal(str(cost)) + search_cost, 8))
    usage = _usage(prompt_tokens, completion_tokens, reasoning_tokens, cost)
    if searched:
        usage["server_tool_use"] = {"web_search_requests": 1}
    place = spec.get("annotations", "delta")
    entry["annotations"] = place if searched else None
    if place == "none":
        annotations = []

    if body.get("stream"):
        return await _stream_chat(
            request, entry, model_id, reply, reasoning, finish_reason, usage, spec, annotations
        )

    if spec.get("first_chunk_delay"):
        await asyncio.sleep(float(spec["first_chunk_delay"]))
    if "drop_after_chunks" in spec:
        await _abort_connection(request, entry)
        return web.Response(status=200)
    message: JsonDict = {"role": "assistant", "content": reply, "refusal": None}
    if reasoning:
        message["reasoning"] = reasoning
    if annotations:
        message["annotations"] = annotations
    result = {
        "id": f"gen-{uuid.uuid4().hex[:24]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model_id,
        "choices": [
            {"index": 0, "message": message, "finish_reason": finish_reason, "logprobs": None}
        ],
        "usage": usage,
    }
    if spec.get("omit_usage"):
        del result["usage"]
    return _json(result)


async def _stream_chat(
    request: web.Request,
    entry: JsonDict,
    model_id: str,
    reply: str,
    reasoning: str,
    finish_reason: str,
    usage: JsonDict,
    spec: JsonDict,
    annotations: list[JsonDict],
) -> web.StreamResponse:
    size = max(1, int(spec.get("chunk_size", 12)))
    in_delta = annotations if spec.get("annotations", "delta") == "delta" else []
    in_final = annotations if spec.get("annotations") == "final" else []
    chunk_delay = float(spec.get("chunk_delay", 0))
    first_delay = float(spec.get("first_chunk_delay", 0))
    pieces: list[tuple[str, str]] = [("reasoning", p) for p in _split(reasoning, size)]
    pieces += [("content", p) for p in _split(reply, size)] or [("content", "")]
    mid_error = spec.get("mid_stream_error")
    drop_after = spec.get("drop_after_chunks")
    limit = len(pieces)
    for cut in (mid_error, drop_after):
        if cut is not None:
            limit = min(limit, max(0, int(cut)))
    complete = limit == len(pieces) and mid_error is None
    malformed = spec.get("malformed_line")
    malformed_at: int | None = None  # the bad line goes before content chunk number N
    if malformed is True:
        malformed_at = 1
    elif isinstance(malformed, int) and not isinstance(malformed, bool):
        malformed_at = malformed

    base: JsonDict = {
        "id": f"gen-{uuid.uuid4().hex[:24]}",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model_id,
        "provider": _provider_name(model_id),
    }

    def sse(obj: Any) -> bytes:
        return f"data: {_dumps(obj)}\n\n".encode()

    def chunk(delta: JsonDict, finish: str | None, **extra: Any) -> bytes:
        return sse(
            {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}
        )

    response = web.StreamResponse(
        status=200,
        headers={
            "Content-Type": "text/event-stream; charset=utf-8",
            "Cache-Control": "no-cache",
            "X-Accel-Buffering": "no",
        },
    )
    entry["status"] = 200
    entry["stream"] = True
    entry["chunks_sent"] = 0
    await response.prepare(request)
    try:
        if first_delay:
            await asyncio.sleep(first_delay)
        for i, (kind, text) in enumerate(pieces[:limit]):
            if malformed_at == i:
                await response.write(b"data: {not json\n\n")
            if i and chunk_delay:
                await asyncio.sleep(chunk_delay)
            delta: JsonDict = {"role": "assistant"} if i == 0 else {}
            if kind == "reasoning":
                delta["content"] = ""
                delta["reasoning"] = text
            else:
                delta["content"] = text
            if in_delta and i == len(pieces) - 1:
                delta["annotations"] = in_delta
            last = complete and i == len(pieces) - 1
            await response.write(chunk(delta, finish_reason if last else None))
            now = time.time()
            if entry["first_chunk_time"] is None:
                entry["first_chunk_time"] = now
            if kind == "content" and text and entry.get("first_content_time") is None:
                entry["first_content_time"] = now
            entry["chunks_sent"] = i + 1
        if malformed_at is not None and malformed_at >= limit:
            await response.write(b"data: {not json\n\n")
        if mid_error is not None and (drop_after is None or mid_error <= drop_after):
            error = {
                "code": spec.get("error_code", "BAD_GATEWAY"),
                "message": spec.get("error_message", "Провайдер прервал генерацию ответа"),
            }
            await response.write(chunk({}, "error", error=error))
            entry["mid_stream_error"] = True
            await response.write_eof()
            return response
        if drop_after is not None:
            await _abort_connection(request, entry)
            return response
        if not spec.get("omit_usage") or in_final:
            final: JsonDict = {"index": 0, "delta": {}, "finish_reason": None}
            if in_final:
                final["message"] = {"role": "assistant", "content": reply, "annotations": in_final}
            extra = {} if spec.get("omit_usage") else {"usage": usage}
            await response.write(sse({**base, "choices": [final], **extra}))
        await response.write(b"data: [DONE]\n\n")
        await response.write_eof()
    except ConnectionError:
        entry["client_disconnected"] = True
    return response


# --------------------------------------------------------------------------------------------
# audio transcriptions
# --------------------------------------------------------------------------------------------


async def _transcriptions(request: web.Request) -> web.StreamResponse:
    st = _state(request)
    entry: JsonDict = request[JOURNAL]
    if not request.content_type.startswith("multipart/form-data"):
        if request.content_type == "application/json":
            return _unexpected(request, "JSON transcription bodies are valid Polza but not faked")
        return _bad_request("Expected multipart/form-data")
    fields: JsonDict = {}
    files: JsonDict = {}
    file_data: bytes | None = None
    file_name = ""
    reader = await request.multipart()
    while True:
        part = await reader.next()
        if part is None:
            break
        if not isinstance(part, BodyPartReader):
            return _bad_request("Nested multipart is not supported")
        name = part.name or ""
        if part.filename is not None:
            data = await part.read(decode=False)
            files[name] = {
                "filename": part.filename,
                "content_type": part.headers.get("Content-Type"),
                "size": len(data),
                "sha256": hashlib.sha256(data).hexdigest(),
                "head_hex": data[:64].hex(),
            }
            if name == "file":
                file_data = data
                file_name = part.filename
        else:
            value = await part.text()
            if name in fields:
                previous = fields[name]
                fields[name] = (
                    [*previous, value] if isinstance(previous, list) else [previous, value]
                )
            else:
                fields[name] = value
    entry["multipart"] = {"fields": fields, "files": files}

    if not file_data:
        problem = "Файл не передан или пуст"
        return _bad_request([_issue(["file"], problem)], problem)
    ext = file_name.rsplit(".", 1)[-1].lower() if "." in file_name else ""
    if ext not in STT_EXTENSIONS:
        problem = (
            f"Неподдерживаемый формат файла: {ext or file_name!r}. "
            f"Поддерживаемые форматы: {', '.join(STT_EXTENSIONS)}"
        )
        return _bad_request([_issue(["file"], problem)], problem)
    model_id = fields.get("model")
    if not isinstance(model_id, str) or not model_id:
        return _bad_request([_issue(["model"], "Required")])
    model = st.find_model(model_id, "stt")
    if model is None:
        return _model_not_found(model_id)
    response_format = fields.get("response_format", "json")
    if response_format not in STT_RESPONSE_FORMATS:
        return _bad_request([_issue(["response_format"], f"Invalid enum value {response_format}")])
    language = fields.get("language")
    if language is not None and not (
        isinstance(language, str) and re.fullmatch(r"[a-z]{2}", language)
    ):
        return _bad_request([_issue(["language"], "Expected ISO-639-1 code")])
    if "temperature" in fields:
        try:
            temperature = float(fields["temperature"])
        except (TypeError, ValueError):
            temperature = -1.0
        if not 0 <= temperature <= 1:
            return _bad_request([_issue(["temperature"], "Expected number 0..1")])
    if response_format in ("srt", "vtt", "diarized_json"):
        return _unexpected(request, f"response_format={response_format} is not faked")

    rule = _pick_rule(st.stt_rules)
    spec: JsonDict = rule.spec if rule else {}
    entry["rule"] = copy.deepcopy(spec) if rule else None
    if spec.get("delay"):
        await asyncio.sleep(float(spec["delay"]))
    if "status" in spec:
        return _rule_error(spec)
    sha = hashlib.sha256(file_data).hexdigest()
    fixture = FIXTURE_TRANSCRIPTS.get(sha, {})
    text = spec.get("text", fixture.get("text", f"[audio {len(file_data)} bytes]"))
    lang = spec.get("language", language or fixture.get("language", "en"))
    duration_value: Any = spec.get("duration", fixture.get("duration"))
    duration = (
        float(duration_value) if duration_value is not None else round(len(file_data) / 3000, 2)
    )
    if "cost_rub" in spec:
        cost = float(spec["cost_rub"])
    else:
        per_minute = _price(
            (model.get("top_provider") or {}).get("pricing") or {}, "stt_per_minute"
        )
        cost = round(float(per_minute or Decimal("0.6")) * duration / 60, 8)
    if response_format == "text":
        return web.Response(text=text, content_type="text/plain")
    result: JsonDict = {
        "text": text,
        "language": lang,
        "duration": duration,
        "usage": {"durationSeconds": duration, "cost_rub": cost, "cost": cost},
    }
    if response_format == "verbose_json":
        result["segments"] = [{"id": 0, "start": 0.0, "end": duration, "text": text}]
    return _json(result)


# --------------------------------------------------------------------------------------------
# media / images
# --------------------------------------------------------------------------------------------


def _new_task(
    st: State, request: web.Request, prefix: str, model: JsonDict, spec: JsonDict, mode: str
) -> Task:
    n = st.next_id()
    pricing = (model.get("top_provider") or {}).get("pricing") or {}
    default_cost = float(_price(pricing, "per_request") or Decimal("3.0"))
    immediate = mode == "immediate"
    task = Task(
        id=f"{prefix}_{n}",
        model=str(model["id"]),
        created=int(time.time()),
        base_url=f"{request.scheme}://{spec.get('files_host') or request.host}",
        mode=mode,
        polls_before_done=int(spec.get("polls_before_done", 2)),
        data_shape=spec.get("data_shape", "dict" if immediate else "list"),
        result=spec.get("result", "b64_json" if immediate else "url"),
        url_gone=bool(spec.get("url_gone", False)),
        cost_rub=float(spec.get("cost_rub", default_cost)),
    )
    if mode == "failed":
        task.error_code = spec.get("error_code", task.error_code)
        task.error_message = spec.get("error_message", task.error_message)
    st.tasks[task.id] = task
    return task


def _output_names(task: Task) -> list[str]:
    """A clip is ``{id}.mp4``; pictures ``{id}.png``, then ``{id}-2.png``, …"""
    if task.kind == "video":
        return [f"{task.id}.mp4"]
    return [f"{task.id}.png"] + [f"{task.id}-{n}.png" for n in range(2, task.outputs + 1)]


def _output_seed(task: Task, index: int) -> int:
    return int(task.id.split("_", 1)[1]) + 1000 * index


def _output_data(task: Task, index: int) -> bytes:
    seed = _output_seed(task, index)
    return make_mp4(seed) if task.kind == "video" else make_png(seed)


def _complete_task(st: State, task: Task) -> None:
    task.status = "completed"
    if not task.finished:
        task.finished = True
        for index, name in enumerate(_output_names(task)):
            st.files[name] = None if task.url_gone else _output_data(task, index)


def _advance(st: State, task: Task) -> None:
    if task.finished:
        return
    task.polls += 1
    if task.mode == "never":
        task.status = "processing"
    elif task.polls <= task.polls_before_done:
        task.status = "pending" if task.polls == 1 and task.polls_before_done > 1 else "processing"
    elif task.mode == "failed":
        task.status = "failed"
        task.finished = True
    else:
        _complete_task(st, task)


def _task_json(st: State, task: Task) -> JsonDict:
    body: JsonDict = {
        "id": task.id,
        "object": "media.generation",
        "status": task.status,
        "created": task.created,
        "model": task.model,
    }
    if task.status == "completed":
        items: list[JsonDict] = []
        for index, name in enumerate(_output_names(task)):
            if task.result == "b64_json":
                data = st.files.get(name) or _output_data(task, index)
                items.append({"b64_json": base64.b64encode(data).decode()})
            else:
                items.append({"url": f"{task.base_url}/files/{name}"})
        # The documented dict shape holds one picture; several always come as a list.
        body["data"] = items if task.data_shape == "list" or len(items) > 1 else items[0]
        cost = round(task.cost_rub * task.outputs, 8)
        body["usage"] = {"output_units": task.outputs, "cost_rub": cost, "cost": cost}
        body["completed_at"] = task.created + 1
    elif task.status == "failed":
        body["error"] = {"code": task.error_code, "message": task.error_message}
    return body


def _integer_issue(value: Any, key: str, spec: JsonDict) -> JsonDict | None:
    low, high = spec.get("min", 0), spec.get("max")
    if not isinstance(value, int) or isinstance(value, bool):
        return _issue(["input", key], "Expected integer")
    if value < low or (high is not None and value > high):
        return _issue(["input", key], f"Number must be between {low} and {high}")
    return None


def _reference_issue(item: Any, index: int, formats: list[str]) -> JsonDict | None:
    """One `input.images` entry: {type: url|base64, data}; base64 may be a data URI."""
    path = ["input", "images", index]
    if not isinstance(item, dict) or set(item) != {"type", "data"}:
        return _issue(path, "Expected {type, data}")
    kind, data = item["type"], item["data"]
    if kind not in formats or not isinstance(data, str) or not data:
        return _issue(path, f"Expected type one of {formats} and non-empty data")
    if kind == "url":
        return None if data.startswith("https://") else _issue(path, "Invalid url")
    encoded = data.partition(",")[2] if data.startswith("data:") else data
    try:
        base64.b64decode(encoded, validate=True)
    except ValueError:
        return _issue(path, "Invalid base64")
    return None


def _validate_media_extras(inp: JsonDict, params: JsonDict) -> list[JsonDict]:
    """`seed`, `max_images` and reference `images` against the model's `parameters`."""
    issues = [
        _issue(["input", key], f"Parameter {key} is not supported")
        for key in ("seed", "max_images", "images")
        if key in inp and key not in params
    ]
    for key in ("seed", "max_images"):
        if key in inp and key in params:
            problem = _integer_issue(inp[key], key, params[key])
            if problem is not None:
                issues.append(problem)
    images = inp.get("images")
    if images is not None and "images" in params:
        spec = params["images"]
        max_images = spec.get("max")
        if not isinstance(images, list) or not images:
            issues.append(_issue(["input", "images"], "Expected a non-empty array"))
        elif max_images is not None and len(images) > max_images:
            issues.append(_issue(["input", "images"], f"At most {max_images} images"))
        else:
            formats = spec.get("formats", ["url", "base64"])
            for index, item in enumerate(images):
                problem = _reference_issue(item, index, formats)
                if problem is not None:
                    issues.append(problem)
    return issues


def _validate_duration(duration: Any, spec: JsonDict) -> list[JsonDict]:
    """Video `input.duration`: required, whole seconds, within the model's range or enum."""
    path = ["input", "duration"]
    if not isinstance(duration, int) or isinstance(duration, bool):
        return [_issue(path, "Expected integer, received " + type(duration).__name__)]
    values = spec.get("values")
    if values is not None and str(duration) not in [str(v) for v in values]:
        return [_issue(path, f"Invalid enum value {values}, received '{duration}'")]
    low, high = spec.get("min"), spec.get("max")
    if (low is not None and duration < low) or (high is not None and duration > high):
        return [_issue(path, f"Number must be between {low} and {high}")]
    return []


def make_mp4(seed: int) -> bytes:
    """A tiny file that starts like an MP4 (an `ftyp` box), different for every seed."""
    ftyp = struct.pack(">I4s4sI8s", 24, b"ftyp", b"isom", 0x200, b"isomiso2")
    payload = hashlib.sha256(f"video-{seed}".encode()).digest() * 64
    mdat = struct.pack(">I4s", 8 + len(payload), b"mdat") + payload
    return ftyp + mdat


def _validate_prompt(prompt: Any, path: list[Any], limit: int) -> list[JsonDict]:
    if not isinstance(prompt, str) or not prompt.strip():
        return [_issue(path, "Prompt is required")]
    if len(prompt) > limit:
        return [_issue(path, f"String must contain at most {limit} character(s)")]
    return []


async def _media_create(request: web.Request) -> web.StreamResponse:
    st = _state(request)
    entry: JsonDict = request[JOURNAL]
    if st.media_unavailable == 404:
        return _json(
            {"message": "Cannot POST /api/v1/media", "error": "Not Found", "statusCode": 404},
            status=404,
        )
    if st.media_unavailable is not None:
        return _error(st.media_unavailable)
    body = request[BODY]
    if not request[BODY_OK] or not isinstance(body, dict):
        return _bad_request("Body must be a JSON object")
    model_id = body.get("model")
    if not isinstance(model_id, str) or not model_id:
        return _bad_request([_issue(["model"], "Required")])
    inp = body.get("input")
    if not isinstance(inp, dict):
        return _bad_request([_issue(["input"], "Expected object")])
    model = st.find_model(model_id, "image") or st.find_model(model_id, "video")
    if model is None:
        return _model_not_found(model_id)
    kind = str(model["type"])
    params: JsonDict = model.get("parameters") or {}
    limit = int((params.get("prompt") or {}).get("max_length", DEFAULT_PROMPT_LIMIT))
    issues = _validate_prompt(inp.get("prompt"), ["input", "prompt"], limit)
    if kind == "video":
        issues += _validate_duration(inp.get("duration"), params.get("duration") or {})
    for key in ("aspect_ratio", "image_resolution", "quality", "output_format"):
        if key in inp:
            allowed = (params.get(key) or {}).get("values")
            if allowed is None:
                issues.append(_issue(["input", key], f"Parameter {key} is not supported"))
            elif inp[key] not in allowed:
                issues.append(
                    _issue(["input", key], f"Invalid enum value {allowed}, received '{inp[key]}'")
                )
    issues += _validate_media_extras(inp, params)
    if issues:
        return _bad_request(issues)

    rule = _pick_rule(st.media_rules)
    spec: JsonDict = rule.spec if rule else {}
    entry["rule"] = copy.deepcopy(spec) if rule else None
    if "status" in spec:
        return _rule_error(spec)
    mode = spec.get("mode", "async")
    if mode == "moderation":
        return _error(
            400,
            spec.get("error_code", "CONTENT_POLICY"),
            spec.get("error_message", "Запрос отклонён модерацией: недопустимое содержимое"),
            extra={"trace_id": _trace_id()},
        )
    task = _new_task(st, request, "aig", model, spec, mode)
    task.outputs = int(inp.get("max_images", 1))
    if kind == "video":
        task.kind = "video"
        if "cost_rub" not in spec:
            per_second = _price(
                (model.get("top_provider") or {}).get("pricing") or {}, "video_per_second"
            )
            task.cost_rub = float((per_second or Decimal(1)) * int(inp["duration"]))
    if mode == "immediate":
        _complete_task(st, task)
        return _json(_task_json(st, task), status=200)
    return _json(_task_json(st, task), status=201)


async def _media_get(request: web.Request) -> web.StreamResponse:
    st = _state(request)
    task = st.tasks.get(request.match_info["task_id"])
    if task is None:
        return _error(404, "NOT_FOUND", "Генерация не найдена", extra={"trace_id": _trace_id()})
    _advance(st, task)
    request[JOURNAL]["task_status"] = task.status
    return _json(_task_json(st, task))


async def _images_generations(request: web.Request) -> web.StreamResponse:
    st = _state(request)
    entry: JsonDict = request[JOURNAL]
    body = request[BODY]
    if not request[BODY_OK] or not isinstance(body, dict):
        return _bad_request("Body must be a JSON object")
    model_id = body.get("model")
    if not isinstance(model_id, str) or not model_id:
        return _bad_request([_issue(["model"], "Required")])
    model = st.find_model(model_id, "image")
    if model is None:
        return _model_not_found(model_id)
    params: JsonDict = model.get("parameters") or {}
    limit = int((params.get("prompt") or {}).get("max_length", DEFAULT_PROMPT_LIMIT))
    issues = _validate_prompt(body.get("prompt"), ["prompt"], limit)
    n = body.get("n", 1)
    if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= 10:
        issues.append(_issue(["n"], "Expected integer 1..10"))
    response_format = body.get("response_format", "url")
    if response_format not in (None, "url", "b64_json"):
        issues.append(_issue(["response_format"], "Expected 'url' or 'b64_json'"))
    if issues:
        return _bad_request(issues)

    rule = _pick_rule(st.images_rules)
    spec: JsonDict = rule.spec if rule else {}
    entry["rule"] = copy.deepcopy(spec) if rule else None
    mode = spec.get("mode", "request_id")
    if mode == "unavailable":
        return _error(
            int(spec.get("status", 503)),
            spec.get("error_code"),
            spec.get("error_message"),
            retry_after=spec.get("retry_after"),
        )
    if "status" in spec:
        return _rule_error(spec)
    if mode == "sync":
        pricing = (model.get("top_provider") or {}).get("pricing") or {}
        per_image = float(spec.get("cost_rub", _price(pricing, "per_request") or Decimal("3.0")))
        data: list[JsonDict] = []
        for _ in range(n):
            idx = st.next_id()
            name = f"img_{idx}.png"
            png = make_png(idx)
            st.files[name] = None if spec.get("url_gone") else png
            if response_format == "b64_json":
                data.append({"b64_json": base64.b64encode(png).decode(), "revised_prompt": None})
            else:
                data.append(
                    {
                        "url": f"{request.scheme}://{request.host}/files/{name}",
                        "revised_prompt": None,
                    }
                )
        cost = round(per_image * n, 8)
        return _json(
            {
                "created": int(time.time()),
                "data": data,
                "usage": {"output_units": n, "cost_rub": cost, "cost": cost},
            }
        )
    task = _new_task(st, request, "gen", model, spec, spec.get("task_mode", "async"))
    return _json({"requestId": task.id}, status=201)


async def _files(request: web.Request) -> web.StreamResponse:
    st = _state(request)
    name = request.match_info["name"]
    data = st.files.get(name)
    if data is None:
        return web.Response(
            status=404,
            content_type="application/xml",
            text='<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchKey</Code>'
            "<Message>The specified key does not exist.</Message></Error>",
        )
    kind = {"mp4": "video/mp4", "ogg": "audio/ogg"}.get(name.rsplit(".", 1)[-1], "image/png")
    return web.Response(body=data, content_type=kind)


# --------------------------------------------------------------------------------------------
# speech
# --------------------------------------------------------------------------------------------


def _validate_speech(body: JsonDict) -> list[JsonDict]:
    issues: list[JsonDict] = []
    text = body.get("input")
    if not isinstance(text, str) or not text.strip():
        issues.append(_issue(["input"], "Required"))
    elif len(text) > TTS_INPUT_LIMIT:
        issues.append(
            _issue(["input"], f"String must contain at most {TTS_INPUT_LIMIT} character(s)")
        )
    if body.get("voice") not in TTS_VOICES:
        issues.append(_issue(["voice"], f"Invalid enum value {list(TTS_VOICES)}"))
    if body.get("response_format", "mp3") not in TTS_FORMATS:
        issues.append(_issue(["response_format"], f"Invalid enum value {list(TTS_FORMATS)}"))
    speed = body.get("speed", 1.0)
    if isinstance(speed, bool) or not isinstance(speed, _NUM) or not 0.25 <= speed <= 4:
        issues.append(_issue(["speed"], "Expected number 0.25..4"))
    if "instructions" in body and "gpt-4o-mini-tts" not in str(body.get("model")):
        issues.append(_issue(["instructions"], "Not supported by this model"))
    return issues


async def _speech(request: web.Request) -> web.StreamResponse:
    st = _state(request)
    entry: JsonDict = request[JOURNAL]
    body = request[BODY]
    if not request[BODY_OK] or not isinstance(body, dict):
        return _bad_request("Body must be a JSON object")
    model_id = body.get("model")
    if not isinstance(model_id, str) or not model_id:
        return _bad_request([_issue(["model"], "Required")])
    model = st.find_model(model_id, "tts")
    if model is None:
        return _model_not_found(model_id)
    issues = _validate_speech(body)
    if issues:
        return _bad_request(issues)
    rule = _pick_rule(st.speech_rules)
    spec: JsonDict = rule.spec if rule else {}
    entry["rule"] = copy.deepcopy(spec) if rule else None
    if "status" in spec:
        return _rule_error(spec)
    audio = SPEECH_AUDIO_FIXTURE.read_bytes()
    response_format = body.get("response_format", "mp3")
    content_type = TTS_FORMATS[response_format]
    shape = spec.get("shape", "json_base64")
    if shape == "raw":
        return web.Response(body=audio, content_type=content_type)
    characters = len(body["input"])
    if "cost_rub" in spec:
        cost = float(spec["cost_rub"])
    else:
        pricing = (model.get("top_provider") or {}).get("pricing") or {}
        per_million = _price(pricing, "tts_per_million_characters") or Decimal("1000")
        cost = round(float(per_million) * characters / 1_000_000, 8)
    if shape == "json_url":
        name = f"speech_{st.next_id()}.ogg"
        st.files[name] = None if spec.get("url_gone") else audio
        reference = f"{request.scheme}://{spec.get('files_host') or request.host}/files/{name}"
    else:
        reference = base64.b64encode(audio).decode()
    return _json(
        {
            "audio": reference,
            "contentType": content_type,
            "model": model_id,
            "duration": 3.97,
            "usage": {"characters": characters, "cost_rub": cost, "cost": cost},
        }
    )


# --------------------------------------------------------------------------------------------
# balance
# --------------------------------------------------------------------------------------------


async def _balance_v2(request: web.Request) -> web.StreamResponse:
    return _json(dict(_state(request).balance))


async def _balance_v1(request: web.Request) -> web.StreamResponse:
    return _json({"amount": _state(request).legacy_balance})


# --------------------------------------------------------------------------------------------
# control API (/_test/*)
# --------------------------------------------------------------------------------------------


class ControlError(Exception):
    pass


async def _control_json(request: web.Request) -> Any:
    raw = await request.read()
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise ControlError(f"invalid JSON: {exc}") from exc


def _type_ok(value: Any, types: tuple[type, ...]) -> bool:
    if isinstance(value, bool):
        return bool in types
    return isinstance(value, types)


def _parse_rules(
    payload: Any,
    allowed: dict[str, tuple[type, ...]],
    *,
    default_times: int | None,
    modes: tuple[str, ...] | None = None,
) -> list[Rule]:
    items = payload if isinstance(payload, list) else [payload]
    if not items or not all(isinstance(item, dict) for item in items):
        raise ControlError("expected a JSON object or a non-empty list of objects")
    rules: list[Rule] = []
    for item in items:
        unknown = sorted(set(item) - set(allowed))
        if unknown:
            raise ControlError(f"unknown rule field(s) {unknown}; allowed: {sorted(allowed)}")
        for key, value in item.items():
            if not _type_ok(value, allowed[key]):
                raise ControlError(f"rule field {key!r} has a wrong type: {value!r}")
            if key in RULE_ENUMS and value not in RULE_ENUMS[key]:
                raise ControlError(f"rule field {key!r} must be one of {RULE_ENUMS[key]}")
        if modes is not None and item.get("mode", modes[0]) not in modes:
            raise ControlError(f"rule field 'mode' must be one of {modes}")
        times = item.get("times", default_times)
        if times is not None and times < 1:
            raise ControlError("'times' must be >= 1")
        rules.append(Rule(spec=dict(item), times=times))
    return rules


def _rules_endpoint(
    attr: str,
    allowed: dict[str, tuple[type, ...]],
    default_times: int | None,
    modes: tuple[str, ...] | None = None,
) -> Any:
    async def handler(request: web.Request) -> web.StreamResponse:
        st = _state(request)
        rules: list[Rule] = getattr(st, attr)
        if request.method == "DELETE":
            rules.clear()
            return _json({"ok": True})
        if request.method == "GET":
            return _json([r.as_json() for r in rules])
        try:
            new = _parse_rules(
                await _control_json(request), allowed, default_times=default_times, modes=modes
            )
        except ControlError as exc:
            return _json({"ok": False, "error": str(exc)}, status=400)
        rules.extend(new)
        return _json({"ok": True, "rules": len(rules)})

    return handler


async def _ctl_reset(request: web.Request) -> web.StreamResponse:
    _state(request).reset()
    return _json({"ok": True})


async def _ctl_journal(request: web.Request) -> web.StreamResponse:
    st = _state(request)
    since = int(request.query.get("since", "0"))
    start = bisect.bisect_right(st.journal, since, key=lambda e: e["seq"])  # in `seq` order
    return _json(st.journal[start:])


async def _ctl_unexpected(request: web.Request) -> web.StreamResponse:
    return _json([e for e in _state(request).journal if e.get("unexpected")])


async def _ctl_models(request: web.Request) -> web.StreamResponse:
    st = _state(request)
    if request.method == "GET":
        return _json(st.catalogue)
    try:
        payload = await _control_json(request)
    except ControlError as exc:
        return _json({"ok": False, "error": str(exc)}, status=400)
    if not isinstance(payload, list) or not all(
        isinstance(m, dict) and isinstance(m.get("id"), str) for m in payload
    ):
        return _json(
            {"ok": False, "error": "expected a list of model objects with 'id'"}, status=400
        )
    st.catalogue = copy.deepcopy(payload)
    return _json({"ok": True, "count": len(payload)})


async def _ctl_models_fail(request: web.Request) -> web.StreamResponse:
    st = _state(request)
    try:
        payload = await _control_json(request) or {}
    except ControlError as exc:
        return _json({"ok": False, "error": str(exc)}, status=400)
    if not isinstance(payload, dict) or set(payload) - {"times", "status"}:
        return _json({"ok": False, "error": "expected {times, status}"}, status=400)
    st.models_fail_times = int(payload.get("times", 1))
    st.models_fail_status = int(payload.get("status", 503))
    return _json({"ok": True})


async def _ctl_media_unavailable(request: web.Request) -> web.StreamResponse:
    st = _state(request)
    try:
        payload = await _control_json(request) or {}
    except ControlError as exc:
        return _json({"ok": False, "error": str(exc)}, status=400)
    status = payload.get("status") if isinstance(payload, dict) else None
    if status is not None and not (isinstance(status, int) and 400 <= status <= 599):
        return _json(
            {"ok": False, "error": "status must be an HTTP error code or null"}, status=400
        )
    st.media_unavailable = status
    return _json({"ok": True})


async def _ctl_balance(request: web.Request) -> web.StreamResponse:
    st = _state(request)
    try:
        payload = await _control_json(request) or {}
    except ControlError as exc:
        return _json({"ok": False, "error": str(exc)}, status=400)
    allowed = {
        "amount",
        "available",
        "reservedAmount",
        "spentAmount",
        "updatedAt",
        "legacy_amount",
    }
    if not isinstance(payload, dict) or set(payload) - allowed:
        return _json({"ok": False, "error": f"allowed keys: {sorted(allowed)}"}, status=400)
    for key, value in payload.items():
        text = f"{value:.8f}" if isinstance(value, _NUM) and key != "updatedAt" else str(value)
        if key == "legacy_amount":
            st.legacy_balance = text
        else:
            st.balance[key] = text
    if "updatedAt" not in payload:
        st.balance["updatedAt"] = _iso_now()
    return _json({"ok": True, "balance": st.balance, "legacy_amount": st.legacy_balance})


# --------------------------------------------------------------------------------------------
# app
# --------------------------------------------------------------------------------------------


def build_app(api_key: str | None = None) -> web.Application:
    """Build the fake server. ``api_key=None`` accepts any non-empty Bearer key."""
    app = web.Application(middlewares=[_journal_middleware], client_max_size=64 * 1024 * 1024)
    app[STATE] = State(api_key=api_key)
    r = app.router
    # public
    r.add_get("/api/v1/models", _models, name="models", allow_head=False)
    r.add_get("/files/{name}", _files, name="files", allow_head=False)
    # authed API
    r.add_post("/api/v1/chat/completions", _chat_completions)
    r.add_post("/api/v1/audio/transcriptions", _transcriptions)
    r.add_post("/api/v1/audio/speech", _speech)
    r.add_post("/api/v1/media", _media_create)
    r.add_get("/api/v1/media/{task_id}", _media_get, allow_head=False)
    r.add_post("/api/v1/images/generations", _images_generations)
    r.add_post("/api/v2/images/generations", _images_generations)
    r.add_get("/api/v2/balance", _balance_v2, allow_head=False)
    r.add_get("/api/v1/balance", _balance_v1, allow_head=False)
    # control
    r.add_post("/_test/reset", _ctl_reset)
    r.add_get("/_test/journal", _ctl_journal, allow_head=False)
    r.add_get("/_test/unexpected", _ctl_unexpected, allow_head=False)
    r.add_get("/_test/models", _ctl_models, allow_head=False)
    r.add_post("/_test/models", _ctl_models)
    r.add_post("/_test/models/fail", _ctl_models_fail)
    r.add_post("/_test/media/unavailable", _ctl_media_unavailable)
    r.add_post("/_test/balance", _ctl_balance)
    rule_routes: list[
        tuple[str, str, dict[str, tuple[type, ...]], int | None, tuple[str, ...] | None]
    ] = [
        ("/_test/chat/rules", "chat_rules", CHAT_RULE_FIELDS, None, None),
        ("/_test/stt/rules", "stt_rules", STT_RULE_FIELDS, 1, None),
        ("/_test/media/rules", "media_rules", MEDIA_RULE_FIELDS, 1, MEDIA_MODES),
        ("/_test/images/rules", "images_rules", IMAGES_RULE_FIELDS, 1, IMAGES_MODES),
        ("/_test/speech/rules", "speech_rules", SPEECH_RULE_FIELDS, None, None),
    ]
    for path, attr, fields, default_times, modes in rule_routes:
        handler = _rules_endpoint(attr, fields, default_times, modes)
        r.add_post(path, handler)
        r.add_delete(path, handler)
        r.add_get(path, handler, allow_head=False)
    # everything else is loud
    r.add_route("*", "/{tail:.*}", _handle_unexpected, name="unexpected")
    return app


async def _serve(host: str, port: int, api_key: str | None) -> None:
    app = build_app(api_key)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound = runner.addresses[0][1]
    sys.stdout.write(f"LISTENING {bound}\n")
    sys.stdout.flush()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Fake Polza.ai API server for tests")
    parser.add_argument("--port", type=int, default=0, help="0 = pick a free port")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--api-key", default=None, help="accept only this Bearer key")
    args = parser.parse_args(argv)
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING)
    asyncio.run(_serve(args.host, args.port, args.api_key))


if __name__ == "__main__":
    main()
