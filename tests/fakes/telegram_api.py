"""Fake Telegram Bot API server for offline tests (spec: docs/testing.md, section 2).

Honest and dumb: it keeps state only (updates, messages, files, log, faults) and delegates every
rule it can to third-party code:

* request schema  -> aiogram's own method models (``cls.model_validate(params)``),
* Telegram's 400s -> ``teremok.validation.validate_method``,
* response shape  -> ``Response[cls.__returning__].model_validate(body)`` before sending.

Run it as a process::

    python -m tests.fakes.telegram_api --port 0 [--host 127.0.0.1] [--bot-id 777000]
        [--bot-username polza_test_bot] [--token TOKEN]

It prints exactly one line ``LISTENING <port>`` to stdout once ready and runs until SIGTERM or
SIGINT. In-process: ``build_app(bot_id, bot_username, token)`` returns the aiohttp application.

Bot API routes::

    GET|POST /bot{token}/{method}          (method name case-insensitive)
    GET      /file/bot{token}/{file_path}

Control API (test side only, never Telegram-shaped)::

    POST /_test/update     raw Update JSON without update_id, or a list -> {"update_ids": [...]}
    POST /_test/upload     multipart: file, [file_path], [file_size], [mime_type]
                           -> {"file_id", "file_unique_id", "file_size", "file_path", ...}
    POST /_test/faults     {"method", "error_code", "retry_after", "description", "times",
                            "chat_id", "migrate_to_chat_id"} or a list -> {"queued": n}
    GET  /_test/faults     faults still queued
    GET  /_test/log        every Bot API call in arrival order (?since=<seq> for newer ones)
    GET  /_test/files/{file_id}   raw bytes of a stored file
    GET  /_test/messages   current state of every message the bot sent (after edits/deletes)
    GET  /_test/state      {"pending_update_ids", "confirmed_offset", "allowed_updates",
                            "get_updates_calls", "internal_errors", "faults_pending",
                            "webhook_url"}
    POST /_test/reset      clears log, faults, messages, chats, pending updates and the webhook
    POST /_test/webhook_target {"url": "http://127.0.0.1:PORT"}: where webhook deliveries really
                           go (the reverse proxy in front of the bot: Telegram only calls https)
    GET  /_test/webhook_deliveries  [{"update_id", "status"}] every delivery attempt, in order

Webhook: after setWebhook, pending updates are POSTed one at a time, in order, to the target
plus the webhook URL's path, with ``X-Telegram-Bot-Api-Secret-Token`` when a secret was set;
an update stays pending (and is tried again) until the bot answers 2xx, as on Telegram.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import contextlib
import hashlib
import json
import logging
import mimetypes
import re
import secrets
import signal
import struct
import sys
import time
import traceback
import types
import typing
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from aiogram import Bot
from aiogram import methods as tg_methods
from aiogram.client.default import Default
from aiogram.methods import (
    AnswerCallbackQuery,
    AnswerInlineQuery,
    Close,
    DeleteMessage,
    DeleteMyCommands,
    DeleteWebhook,
    EditMessageCaption,
    EditMessageReplyMarkup,
    EditMessageText,
    GetChat,
    GetFile,
    GetMe,
    GetMyCommands,
    GetMyDescription,
    GetMyShortDescription,
    GetUpdates,
    GetWebhookInfo,
    LeaveChat,
    LogOut,
    SendChatAction,
    SendDocument,
    SendMediaGroup,
    SendMessage,
    SendMessageDraft,
    SendPhoto,
    SendVideo,
    SendVoice,
    SetMyCommands,
    SetMyDescription,
    SetMyShortDescription,
    SetWebhook,
    TelegramMethod,
)
from aiogram.methods.base import Response
from aiogram.types import (
    BufferedInputFile,
    InlineKeyboardMarkup,
    InputFile,
    InputMediaDocument,
    InputMediaPhoto,
    MessageEntity,
    ReplyParameters,
    Update,
)
from aiohttp import ClientError, ClientSession, ClientTimeout, web
from aiohttp.web_request import FileField
from pydantic import BaseModel, ValidationError
from teremok.validation import ApiRuleViolation, validate_method

JSON = Any  # a JSON-compatible value

# ---------------------------------------------------------------------------------------------
# Telegram constants
# ---------------------------------------------------------------------------------------------

MB = 1024 * 1024
MAX_DOWNLOAD_SIZE = 20 * MB  # getFile: "files of up to 20MB in size"
MAX_PHOTO_UPLOAD = 10 * MB  # sendPhoto: "The photo must be at most 10 MB in size"
MAX_UPLOAD = 50 * MB  # other uploads: 50 MB
CLIENT_MAX_SIZE = MAX_UPLOAD + MB  # request body limit (413 above it, as Telegram)
MAX_DRAFT_TEXT = 4096

TOKEN_RE = re.compile(r"^\d+:[A-Za-z0-9_-]+$")
BOT_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")

# getUpdates: "Specify an empty list to receive all update types except chat_member,
# message_reaction, and message_reaction_count (default)."
DEFAULT_EXCLUDED_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})

CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)

NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a specified content and reply markup of a message"
)
CONFLICT = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)

DEFAULT_DESCRIPTIONS: dict[int, str] = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict",
    413: "Request Entity Too Large",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


# ---------------------------------------------------------------------------------------------
# Method registry and field classification (done once, from aiogram's models)
# ---------------------------------------------------------------------------------------------

MethodClass = type[TelegramMethod[Any]]


def _method_classes() -> dict[str, MethodClass]:
    """Map lower-cased Bot API method name -> aiogram method class."""
    registry: dict[str, MethodClass] = {}
    for name in dir(tg_methods):
        obj = getattr(tg_methods, name)
        if isinstance(obj, type) and issubclass(obj, TelegramMethod) and obj is not TelegramMethod:
            api_name = getattr(obj, "__api_method__", None)
            if isinstance(api_name, str):  # abstract bases only have a property here
                registry[api_name.lower()] = obj
    return registry


METHODS = _method_classes()


def _annotation_arms(annotation: Any) -> list[Any]:
    """Flatten Optional/Union/Annotated into the list of alternative types."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _annotation_arms(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        arms: list[Any] = []
        for arg in typing.get_args(annotation):
            arms.extend(_annotation_arms(arg))
        return arms
    return [annotation]


def _is_structured(tp: Any) -> bool:
    """True for list/dict types and pydantic models: Telegram wants these JSON-serialized."""
    if typing.get_origin(tp) in (list, dict, tuple, set, frozenset):
        return True
    return isinstance(tp, type) and issubclass(tp, BaseModel)


@dataclass(frozen=True)
class FieldKinds:
    json_fields: frozenset[str]  # values arrive JSON-encoded (entities, reply_markup, ...)
    file_fields: frozenset[str]  # may be an InputFile (attach://<part> or a direct part)
    id_fields: frozenset[str]  # ``int | str`` (chat ids): numeric strings become ints
    scalar_fields: frozenset[str]  # int/bool/float fields: logged with their validated value


_FIELD_KINDS: dict[MethodClass, FieldKinds] = {}


def field_kinds(cls: MethodClass) -> FieldKinds:
    kinds = _FIELD_KINDS.get(cls)
    if kinds is not None:
        return kinds
    json_fields, file_fields, id_fields, scalar_fields = set(), set(), set(), set()
    for name, info in cls.model_fields.items():
        arms = _annotation_arms(info.annotation)
        has_str = str in arms
        if any(isinstance(a, type) and issubclass(a, InputFile) for a in arms):
            file_fields.add(name)
        # A field that may legitimately be a plain string (text, caption, parse_mode, a file
        # id) is never JSON-decoded, even if its value starts with '[' or '{'.
        if not has_str and any(_is_structured(a) for a in arms):
            json_fields.add(name)
        if has_str and int in arms:
            id_fields.add(name)
        if not has_str and any(a in (int, float, bool) for a in arms):
            scalar_fields.add(name)
    kinds = FieldKinds(
        frozenset(json_fields),
        frozenset(file_fields),
        frozenset(id_fields),
        frozenset(scalar_fields),
    )
    _FIELD_KINDS[cls] = kinds
    return kinds


# ---------------------------------------------------------------------------------------------
# Small helpers: errors, media sniffing
# ---------------------------------------------------------------------------------------------


class ApiError(Exception):
    """An error answer in Telegram's shape."""

    def __init__(
        self, code: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


class DropConnection(Exception):
    """Injected fault with error_code 0: close the socket without answering."""


def bad_request(reason: str) -> ApiError:
    return ApiError(400, f"Bad Request: {reason}")


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from PNG or JPEG headers, None if neither."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if data[:2] == b"\xff\xd8":
        i = 2
        while i + 9 <= len(data):
            if data[i] != 0xFF:
                i += 1
                continue
            marker = data[i + 1]
            if marker == 0xFF:  # fill byte
                i += 1
                continue
            if marker in (0x01, 0xD8) or 0xD0 <= marker <= 0xD7:  # markers without length
                i += 2
                continue
            (seg_len,) = struct.unpack(">H", data[i + 2 : i + 4])
            # SOFn frames carry the size; C4 (DHT), C8 (JPG), CC (DAC) are not frames.
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                height, width = struct.unpack(">HH", data[i + 5 : i + 9])
                return int(width), int(height)
            i += 2 + seg_len
    return None


def ogg_opus_duration(data: bytes) -> int | None:
    """Whole seconds of an OGG/Opus stream: last page granule position minus pre-skip."""
    head = data.find(b"OpusHead")
    last_page = data.rfind(b"OggS")
    if not data.startswith(b"OggS") or head < 0 or last_page < 0 or len(data) < last_page + 14:
        return None
    (pre_skip,) = struct.unpack("<H", data[head + 10 : head + 12])
    (granule,) = struct.unpack("<q", data[last_page + 6 : last_page + 14])
    if granule <= 0:
        return None
    return max(0, round((int(granule) - int(pre_skip)) / 48000))


def _given(value: Any) -> Any:
    """A value the client really sent: aiogram's ``Default(...)`` placeholders mean absent."""
    return None if isinstance(value, Default) else value


def _dump(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json", exclude_none=True, by_alias=True)


def _jsonable_copy(value: JSON) -> JSON:
    """Deep copy through JSON, so later state changes never rewrite the log."""
    return json.loads(json.dumps(value))


# ---------------------------------------------------------------------------------------------
# State records
# ---------------------------------------------------------------------------------------------


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    data: bytes
    file_path: str
    file_name: str | None = None
    mime_type: str | None = None
    declared_size: int | None = None  # lets a test fake a huge file without the bytes

    @property
    def size(self) -> int:
        return self.declared_size if self.declared_size is not None else len(self.data)


@dataclass
class Upload:
    """A multipart file part referenced by a request (``attach://<part>``)."""

    part: str
    data: bytes
    filename: str
    content_type: str | None
    descriptor: dict[str, Any]  # what the log shows instead of the bytes (file_id set later)


@dataclass
class Call:
    """Per-request context handed to method handlers."""

    uploads: dict[int, Upload] = field(default_factory=dict)  # id(InputFile) -> upload


@dataclass
class Fault:
    method: str  # lower-cased
    error_code: int
    times: int = 1
    retry_after: int | None = None
    description: str | None = None
    chat_id: int | str | None = None
    migrate_to_chat_id: int | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "error_code": self.error_code,
            "times": self.times,
            "retry_after": self.retry_after,
            "description": self.description,
            "chat_id": self.chat_id,
            "migrate_to_chat_id": self.migrate_to_chat_id,
        }


Handler = Callable[[Any, Call], Awaitable[JSON]]


# ---------------------------------------------------------------------------------------------
# The fake
# ---------------------------------------------------------------------------------------------


class FakeTelegram:
    def __init__(
        self,
        bot_id: int,
        bot_username: str,
        token: str | None,
        first_name: str = "Polza Test Bot",
    ) -> None:
        if token is not None:
            if not TOKEN_RE.match(token):
                raise ValueError(f"malformed token {token!r}")
            if int(token.split(":", 1)[0]) != bot_id:
                raise ValueError("the token's numeric prefix must equal bot_id (as on Telegram)")
        self.bot_id = bot_id
        self.bot_username = bot_username
        self.token = token
        # Only used as pydantic validation context; never makes a request.
        self.bot = Bot(token or f"{bot_id}:fake-telegram-token")
        self.me: dict[str, Any] = {
            "id": bot_id,
            "is_bot": True,
            "first_name": first_name,
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": True,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
        # The short user object Telegram puts into Message.from
        self.me_short = {k: self.me[k] for k in ("id", "is_bot", "first_name", "username")}

        # Lives as long as the fake (not reset): update ids, message ids, files, log seq.
        self.next_update_id = 1
        self.last_message_id: dict[int, int] = {}
        self.files: dict[str, StoredFile] = {}
        self.file_counter = 0
        self.seq = 0
        self.allowed_updates: list[str] | None = None
        self.confirmed_offset = 0
        self.get_updates_calls = 0
        self.media_groups = 0
        self.commands: dict[str, list[dict[str, Any]]] = {}
        self.descriptions: dict[tuple[str, str], str] = {}

        self._poll_generation = 0  # a newer getUpdates terminates an older one with 409
        self._wake_event = asyncio.Event()
        self._closing = False
        self._delivery: asyncio.Task[None] | None = None
        self.reset()

        self.handlers: dict[str, Handler] = {}
        for cls, handler in self._handler_table():
            self.handlers[cls.__api_method__.lower()] = handler

    def reset(self) -> None:
        self.log: list[dict[str, Any]] = []
        self._response_types: dict[MethodClass, Any] = {}
        self.faults: list[Fault] = []
        self.pending: list[dict[str, Any]] = []
        self.sent: dict[tuple[int, int], dict[str, Any]] = {}  # messages the bot sent
        self.seen: dict[tuple[int, int], dict[str, Any]] = {}  # messages from injected updates
        self.chats: dict[int, dict[str, Any]] = {}
        self.users: dict[int, dict[str, Any]] = {}
        self.callback_queries: set[str] = set()
        self.inline_queries: set[str] = set()
        self.internal_errors: list[str] = []
        self.webhook_url = ""  # what setWebhook stored; "" = none (getUpdates allowed)
        self.webhook_secret = ""
        self.webhook_target = ""
        self.webhook_deliveries: list[dict[str, Any]] = []
        self._wake()

    def _wake(self) -> None:
        """Wake every long poll (new update, newer poll, shutdown)."""
        self._wake_event.set()
        self._wake_event = asyncio.Event()

    # -- auth ---------------------------------------------------------------------------------

    def check_token(self, token: str) -> None:
        if self.token is not None:
            if token != self.token:
                raise ApiError(401, "Unauthorized")
        elif not TOKEN_RE.match(token):
            raise ApiError(404, "Not Found")  # what api.telegram.org answers for garbage

    # -- request parsing ----------------------------------------------------------------------

    async def read_params(
        self, request: web.Request, cls: MethodClass, call: Call
    ) -> dict[str, Any]:
        """Decode a request exactly as aiogram (or curl) sends it."""
        raw: dict[str, Any] = {}
        parts: dict[str, FileField] = {}
        for key, value in request.query.items():
            raw.setdefault(key, value)
        if request.body_exists:
            if request.content_type == "application/json":
                try:
                    body = await request.json()
                except ValueError as exc:
                    raise bad_request("can't parse JSON encoded request body") from exc
                if not isinstance(body, dict):
                    raise bad_request("JSON request body must be an object")
                raw.update(body)
            else:
                try:
                    form = await request.post()
                except web.HTTPRequestEntityTooLarge as exc:
                    raise ApiError(413, "Request Entity Too Large") from exc
                for key, item in form.items():
                    if isinstance(item, FileField):
                        parts.setdefault(key, item)
                    elif isinstance(item, (bytes, bytearray)):
                        raw[key] = bytes(item).decode("utf-8", "replace")
                    else:
                        raw[key] = item

        kinds = field_kinds(cls)
        for key, value in list(raw.items()):
            if key in kinds.json_fields and isinstance(value, str):
                try:
                    value = json.loads(value)
                except ValueError as exc:
                    raise bad_request(f"can't parse {key} JSON object") from exc
                raw[key] = self._resolve_nested_attach(value, parts, call)
            elif key in kinds.id_fields and isinstance(value, str):
                if re.fullmatch(r"-?\d+", value):
                    raw[key] = int(value)
            elif (
                key in kinds.file_fields
                and isinstance(value, str)
                and value.startswith("attach://")
            ):
                raw[key] = self._attach(value.removeprefix("attach://"), parts, call)
        # "Post the file using multipart/form-data in the usual way" (no attach:// indirection)
        for key in kinds.file_fields:
            if key not in raw and key in parts:
                raw[key] = self._attach(key, parts, call)
        return raw

    def _attach(self, part: str, parts: dict[str, FileField], call: Call) -> BufferedInputFile:
        item = parts.get(part)
        if item is None:
            raise bad_request(f"file part {part!r} referenced by attach:// is missing")
        data = item.file.read()
        filename = item.filename or part
        input_file = BufferedInputFile(data, filename=filename)
        descriptor: dict[str, Any] = {
            "file_name": filename,
            "size": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
            "file_id": None,
        }
        call.uploads[id(input_file)] = Upload(
            part, data, filename, item.content_type or None, descriptor
        )
        return input_file

    def _resolve_nested_attach(self, value: JSON, parts: dict[str, FileField], call: Call) -> Any:
        """``attach://<part>`` inside JSON fields (InputMedia.media, thumbnail, ...)."""
        if isinstance(value, str) and value.startswith("attach://"):
            return self._attach(value.removeprefix("attach://"), parts, call)
        if isinstance(value, list):
            return [self._resolve_nested_attach(v, parts, call) for v in value]
        if isinstance(value, dict):
            return {k: self._resolve_nested_attach(v, parts, call) for k, v in value.items()}
        return value

    @staticmethod
    def log_params(raw: dict[str, Any], call: Call) -> dict[str, Any]:
        """The decoded params as JSON, file parts replaced by their descriptors."""

        def conv(value: Any) -> JSON:
            if isinstance(value, InputFile):
                upload = call.uploads.get(id(value))
                return upload.descriptor if upload else {"file_name": value.filename}
            if isinstance(value, dict):
                return {k: conv(v) for k, v in value.items()}
            if isinstance(value, list):
                return [conv(v) for v in value]
            return value

        return {k: conv(v) for k, v in raw.items()}

    @staticmethod
    def validate(cls: MethodClass, raw: dict[str, Any]) -> TelegramMethod[Any]:
        try:
            method = cls.model_validate(raw)
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(p) for p in err["loc"]) or "request"
            raise bad_request(f"{where}: {err['msg']}") from exc
        # aiogram's method models allow extra fields; Telegram would silently ignore them, but
        # an unknown parameter is always a bug in the bot, so the fake refuses it.
        extra = sorted(method.model_extra or {})
        if extra:
            raise bad_request(f"unexpected parameter(s): {', '.join(extra)}")
        return method

    # -- the Bot API entry point --------------------------------------------------------------

    async def handle_api(self, request: web.Request) -> web.StreamResponse:
        arrived = time.time()
        name = request.match_info["method"]
        cls = METHODS.get(name.lower())
        self.seq += 1
        entry: dict[str, Any] = {
            "seq": self.seq,
            "time": arrived,
            "method": cls.__api_method__ if cls else name,
            "params": {},
            "ok": None,  # None while the call is still running (a long poll)
            "error_code": None,
            "description": None,
            "result": None,
        }
        self.log.append(entry)
        call = Call()
        status = 200
        try:
            self.check_token(request.match_info["token"])
            if cls is None:
                raise ApiError(404, "Not Found")
            raw = await self.read_params(request, cls, call)
            entry["params"] = self.log_params(raw, call)
            method = self.validate(cls, raw)
            for key in field_kinds(cls).scalar_fields & raw.keys():
                typed = getattr(method, key, None)
                if isinstance(typed, (int, float, bool)):
                    entry["params"][key] = typed
            self.check_rules(method)
            self.take_fault(cls, raw)
            handler = self.handlers.get(cls.__api_method__.lower())
            if handler is None:
                raise ApiError(
                    501, f"Not Implemented: the fake does not implement {cls.__api_method__}"
                )
            result = await handler(method, call)
            body: dict[str, Any] = {"ok": True, "result": result}
            self.check_response(cls, body)
            entry["ok"] = True
            entry["result"] = _jsonable_copy(result)
        except ApiError as exc:
            body = exc.body()
            status = exc.code
            entry.update(ok=False, error_code=exc.code, description=exc.description)
            if exc.code == 501:
                self.internal_errors.append(exc.description)
        except DropConnection:
            entry.update(ok=False, error_code=0, description="connection dropped (injected)")
            # Close the socket under aiohttp's feet: the client sees "Server disconnected";
            # the response returned below is never written.
            if request.transport is not None:
                request.transport.close()
            return web.Response(status=204)
        except asyncio.CancelledError:
            entry.update(ok=False, description="client disconnected before the answer")
            raise
        except Exception as exc:  # a bug in the fake: make it loud
            text = "".join(traceback.format_exception(exc))
            sys.stderr.write(f"fake_telegram internal error in {entry['method']}:\n{text}")
            self.internal_errors.append(f"{entry['method']}: {exc!r}")
            status = 500
            body = {
                "ok": False,
                "error_code": 500,
                "description": f"Internal Server Error: fake bug: {exc!r}",
            }
            entry.update(ok=False, error_code=500, description=body["description"])
        return web.json_response(body, status=status)

    def check_rules(self, method: TelegramMethod[Any]) -> None:
        """Telegram's stateless 400 rules (teremok), plus the draft rules teremok lacks."""
        try:
            validate_method(self.bot, method)
            if isinstance(method, SendMessageDraft):
                self.check_draft(method)
        except ApiRuleViolation as exc:
            raise ApiError(400, exc.description) from exc

    def check_draft(self, method: SendMessageDraft) -> None:
        chat = self.chat(method.chat_id)
        if chat["type"] != "private":
            raise bad_request("drafts can be sent only to private chats")
        if method.draft_id == 0:
            raise bad_request("draft_id must be non-zero")
        text = method.text or ""
        if utf16_len(text) > MAX_DRAFT_TEXT:
            raise bad_request("text is too long")
        if text:
            # Same entity/parse_mode rules as a message: let teremok judge an equivalent one.
            validate_method(
                self.bot,
                SendMessage(
                    chat_id=method.chat_id,
                    text=text,
                    parse_mode=method.parse_mode,
                    entities=method.entities,
                ),
            )

    def take_fault(self, cls: MethodClass, raw: dict[str, Any]) -> None:
        name = cls.__api_method__.lower()
        for fault in self.faults:
            if fault.method != name:
                continue
            if fault.chat_id is not None and str(raw.get("chat_id")) != str(fault.chat_id):
                continue
            fault.times -= 1
            if fault.times <= 0:
                self.faults.remove(fault)
            if fault.error_code == 0:
                raise DropConnection
            if fault.error_code == 429:
                retry_after = fault.retry_after if fault.retry_after is not None else 1
                raise ApiError(
                    429,
                    fault.description or f"Too Many Requests: retry after {retry_after}",
                    {"retry_after": retry_after},
                )
            params = None
            if fault.migrate_to_chat_id is not None:
                params = {"migrate_to_chat_id": fault.migrate_to_chat_id}
            description = fault.description or DEFAULT_DESCRIPTIONS.get(
                fault.error_code, f"Error {fault.error_code}"
            )
            raise ApiError(fault.error_code, description, params)

    def check_response(self, cls: MethodClass, body: dict[str, Any]) -> None:
        """Catch the fake's own bugs: the body must parse the way aiogram will parse it."""
        response_type = self._response_types.get(cls)
        if response_type is None:
            # Built once per method: pydantic keeps parametrised classes only weakly.
            response_type = Response[cls.__returning__]  # type: ignore[name-defined]
            self._response_types[cls] = response_type
        response_type.model_validate(body, context={"bot": self.bot})

    # -- chats and messages -------------------------------------------------------------------

    def chat(self, chat_id: int | str) -> dict[str, Any]:
        if isinstance(chat_id, str):
            wanted = chat_id.removeprefix("@").lower()
            for chat in self.chats.values():
                if str(chat.get("username", "")).lower() == wanted:
                    return chat
            raise bad_request("chat not found")
        stored = self.chats.get(chat_id)
        if stored is not None:
            return stored
        if chat_id > 0:
            user = self.users.get(chat_id, {})
            chat = {"id": chat_id, "type": "private", "first_name": user.get("first_name", "User")}
            for key in ("last_name", "username"):
                if key in user:
                    chat[key] = user[key]
            return chat
        return {"id": chat_id, "type": "supergroup", "title": f"Group {-chat_id}"}

    def next_message_id(self, chat_id: int) -> int:
        self.last_message_id[chat_id] = self.last_message_id.get(chat_id, 0) + 1
        return self.last_message_id[chat_id]

    def find_message(self, chat_id: int, message_id: int) -> dict[str, Any] | None:
        return self.sent.get((chat_id, message_id)) or self.seen.get((chat_id, message_id))

    def reply_target(self, method: Any, chat_id: int) -> dict[str, Any] | None:
        """Check reply_parameters / reply_to_message_id; return the message replied to."""
        params: ReplyParameters | None = method.reply_parameters
        if params is None and getattr(method, "reply_to_message_id", None) is not None:
            params = ReplyParameters(
                message_id=method.reply_to_message_id,
                allow_sending_without_reply=_given(method.allow_sending_without_reply),
            )
        if params is None or params.message_id is None:
            return None
        target_chat = chat_id
        if params.chat_id is not None:
            target_chat = self.chat(params.chat_id)["id"]
        found = self.find_message(target_chat, params.message_id)
        if found is None:
            if _given(params.allow_sending_without_reply):
                return None
            raise bad_request("message to be replied not found")
        if target_chat != chat_id:
            return None  # replies to other chats show as external_reply; not modelled
        reply = dict(found)
        reply.pop("reply_to_message", None)  # Telegram never nests it twice
        return reply

    @staticmethod
    def inline_markup(markup: Any) -> dict[str, Any] | None:
        """Only inline keyboards end up in Message.reply_markup; an empty one removes it."""
        if isinstance(markup, InlineKeyboardMarkup) and markup.inline_keyboard:
            return _dump(markup)
        return None

    @staticmethod
    def entities(entities: list[MessageEntity] | None) -> list[dict[str, Any]] | None:
        return [_dump(e) for e in entities] if entities else None

    def new_message(self, method: Any, content: dict[str, Any]) -> dict[str, Any]:
        chat = self.chat(method.chat_id)
        reply = self.reply_target(method, chat["id"])
        message: dict[str, Any] = {
            "message_id": self.next_message_id(chat["id"]),
            "from": self.me_short,
            "chat": chat,
            "date": int(time.time()),
        }
        thread_id = getattr(method, "message_thread_id", None)
        if thread_id is not None:
            message["message_thread_id"] = thread_id
            if chat.get("is_forum"):
                message["is_topic_message"] = True
        if reply is not None:
            message["reply_to_message"] = reply
        message.update({k: v for k, v in content.items() if v is not None})
        markup = self.inline_markup(getattr(method, "reply_markup", None))
        if markup is not None:
            message["reply_markup"] = markup
        self.sent[(chat["id"], message["message_id"])] = message
        return message

    def message_to_edit(self, method: Any) -> dict[str, Any] | None:
        """The stored message an edit targets; None for inline messages."""
        if method.inline_message_id is not None:
            return None
        if method.chat_id is None or method.message_id is None:
            raise bad_request("message identifier is not specified")
        chat_id = self.chat(method.chat_id)["id"]
        key = (chat_id, method.message_id)
        if key in self.sent:
            return self.sent[key]
        if key in self.seen:
            raise bad_request("message can't be edited")
        raise bad_request("message to edit not found")

    # -- files --------------------------------------------------------------------------------

    def store_file(
        self,
        data: bytes,
        file_path: str | None,
        *,
        directory: str = "documents",
        suffix: str = "",
        file_name: str | None = None,
        mime_type: str | None = None,
        declared_size: int | None = None,
    ) -> StoredFile:
        self.file_counter += 1
        stored = StoredFile(
            file_id=f"FAKE{self.file_counter}-{secrets.token_urlsafe(18)}",
            file_unique_id=f"U{self.file_counter}{secrets.token_hex(4)}",
            data=data,
            file_path=file_path or f"{directory}/file_{self.file_counter}{suffix}",
            file_name=file_name,
            mime_type=mime_type,
            declared_size=declared_size,
        )
        self.files[stored.file_id] = stored
        return stored

    async def obtain_file(
        self, value: InputFile | str, call: Call, kind: str, limit: int = MAX_UPLOAD
    ) -> StoredFile:
        """A send* file argument: a fresh upload, a known file_id, or an HTTP URL."""
        directory, suffix = {
            "photo": ("photos", ".jpg"),
            "voice": ("voice", ".oga"),
            "video": ("videos", ".mp4"),
        }.get(kind, ("documents", ""))
        if isinstance(value, InputFile):
            upload = call.uploads.get(id(value))
            if upload is None:
                raise bad_request("file upload could not be resolved")
            data, name, ctype = upload.data, upload.filename, upload.content_type
        elif value in self.files:
            return self.files[value]
        elif value.startswith(("http://", "https://")):
            data, name, ctype = await self.fetch_url(value)
        else:
            raise bad_request("wrong file identifier/HTTP URL specified")
        if not data:
            raise bad_request("file must be non-empty")
        if len(data) > limit:
            raise ApiError(413, "Request Entity Too Large")
        if kind == "document" and "." in name:
            suffix = "." + name.rsplit(".", 1)[1]
        mime = ctype if ctype and ctype != "application/octet-stream" else None
        mime = mime or mimetypes.guess_type(name)[0]
        stored = self.store_file(
            data, None, directory=directory, suffix=suffix, file_name=name, mime_type=mime
        )
        if isinstance(value, InputFile):
            call.uploads[id(value)].descriptor["file_id"] = stored.file_id
        return stored

    @staticmethod
    async def fetch_url(url: str) -> tuple[bytes, str, str | None]:
        """Telegram downloads files given by URL; so does the fake (e.g. from fake Polza)."""
        try:
            async with (
                ClientSession(timeout=ClientTimeout(total=10)) as session,
                session.get(url) as resp,
            ):
                if resp.status != 200:
                    raise bad_request("failed to get HTTP URL content")
                data = await resp.read()
                name = url.rsplit("/", 1)[-1].split("?", 1)[0] or "file"
                return data, name, resp.content_type
        except (ClientError, TimeoutError) as exc:
            raise bad_request("failed to get HTTP URL content") from exc

    # -- updates --------------------------------------------------------------------------------

    def remember(self, obj: JSON) -> None:
        """Record chats, users and messages mentioned anywhere in an injected update."""
        if isinstance(obj, list):
            for item in obj:
                self.remember(item)
            return
        if not isinstance(obj, dict):
            return
        chat = obj.get("chat")
        if isinstance(chat, dict) and isinstance(chat.get("id"), int) and "type" in chat:
            self.chats[chat["id"]] = chat
            message_id = obj.get("message_id")
            if isinstance(message_id, int):
                key = (chat["id"], message_id)
                if key not in self.sent:
                    self.seen[key] = obj
                # keep the bot's message ids ahead of everything the chat has seen
                self.last_message_id[chat["id"]] = max(
                    self.last_message_id.get(chat["id"], 0), message_id
                )
        for role in ("from", "user"):
            user = obj.get(role)
            if (
                isinstance(user, dict)
                and isinstance(user.get("id"), int)
                and not user.get("is_bot")
            ):
                self.users[user["id"]] = user
        for value in obj.values():
            if isinstance(value, (dict, list)):
                self.remember(value)

    def inject(self, raw_updates: list[Any]) -> list[int]:
        checked: list[dict[str, Any]] = []
        for raw in raw_updates:
            if not isinstance(raw, dict):
                raise ValueError("an update must be a JSON object")
            if "update_id" in raw:
                raise ValueError("omit update_id: the fake assigns it")
            kinds = [k for k in raw if k in Update.model_fields]
            if len(kinds) != 1 or len(raw) != 1:
                raise ValueError(f"an update needs exactly one known update type, got {list(raw)}")
            # validate before assigning ids, so a bad factory does not burn a counter value
            Update.model_validate({"update_id": 0, **raw}, context={"bot": self.bot})
            checked.append(raw)
        ids: list[int] = []
        for raw in checked:
            update = {"update_id": self.next_update_id, **raw}
            self.next_update_id += 1
            self.remember(raw)
            self.pending.append(update)
            ids.append(update["update_id"])
        self._wake()
        return ids

    @staticmethod
    def update_type(update: dict[str, Any]) -> str:
        return next(k for k in update if k != "update_id")

    def allowed(self, update: dict[str, Any]) -> bool:
        kind = self.update_type(update)
        if self.allowed_updates:
            return kind in self.allowed_updates
        return kind not in DEFAULT_EXCLUDED_UPDATES

    def confirm(self, offset: int) -> None:
        if offset < 0:  # "negative offset: retrieve updates starting from -offset from the end"
            keep = self.pending[offset:]
            if keep:
                self.confirmed_offset = max(self.confirmed_offset, keep[0]["update_id"])
            self.pending = keep
            return
        self.confirmed_offset = max(self.confirmed_offset, offset)
        self.pending = [u for u in self.pending if u["update_id"] >= offset]

    def collect(self, limit: int) -> list[dict[str, Any]]:
        # An update of a type the bot did not ask for is dropped, as Telegram does.
        self.pending = [u for u in self.pending if self.allowed(u)]
        batch = self.pending[:limit]
        for update in batch:
            # a callback query can be answered once it has been delivered
            callback = update.get("callback_query")
            if isinstance(callback, dict) and isinstance(callback.get("id"), str):
                self.callback_queries.add(callback["id"])
            inline = update.get("inline_query")
            if isinstance(inline, dict) and isinstance(inline.get("id"), str):
                self.inline_queries.add(inline["id"])
        return batch

    # -- method handlers ------------------------------------------------------------------------

    def _handler_table(self) -> Iterable[tuple[MethodClass, Handler]]:
        return [
            (GetMe, self.get_me),
            (GetUpdates, self.get_updates),
            (DeleteWebhook, self.delete_webhook),
            (SetWebhook, self.set_webhook),
            (GetWebhookInfo, self.get_webhook_info),
            (SetMyCommands, self.set_my_commands),
            (DeleteMyCommands, self.delete_my_commands),
            (GetMyCommands, self.get_my_commands),
            (SetMyDescription, self.set_my_description),
            (SetMyShortDescription, self.set_my_description),
            (GetMyDescription, self.get_my_description),
            (GetMyShortDescription, self.get_my_description),
            (SendMessage, self.send_message),
            (SendMessageDraft, self.send_message_draft),
            (EditMessageText, self.edit_message_text),
            (EditMessageCaption, self.edit_message_caption),
            (EditMessageReplyMarkup, self.edit_message_reply_markup),
            (DeleteMessage, self.delete_message),
            (SendChatAction, self.send_chat_action),
            (AnswerCallbackQuery, self.answer_callback_query),
            (SendPhoto, self.send_photo),
            (SendDocument, self.send_document),
            (SendMediaGroup, self.send_media_group),
            (SendVoice, self.send_voice),
            (SendVideo, self.send_video),
            (AnswerInlineQuery, self.answer_inline_query),
            (GetFile, self.get_file),
            (GetChat, self.get_chat),
            (LeaveChat, self.just_true),
            (Close, self.just_true),
            (LogOut, self.just_true),
        ]

    async def just_true(self, method: Any, call: Call) -> bool:
        return True

    async def get_me(self, method: GetMe, call: Call) -> JSON:
        return self.me

    async def get_updates(self, method: GetUpdates, call: Call) -> JSON:
        if self.webhook_url:
            raise ApiError(409, WEBHOOK_CONFLICT)
        self.get_updates_calls += 1
        self._poll_generation += 1
        generation = self._poll_generation
        self._wake()  # an older poll still waiting gets 409, as on Telegram
        if method.allowed_updates is not None:
            # "If not specified, the previous setting will be used."
            self.allowed_updates = list(method.allowed_updates)
        if method.offset is not None:
            self.confirm(method.offset)
        limit = min(max(method.limit or 100, 1), 100)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(method.timeout or 0, 0)
        while True:
            if generation != self._poll_generation:
                raise ApiError(409, CONFLICT)
            batch = self.collect(limit)
            remaining = deadline - loop.time()
            if batch or self._closing or remaining <= 0:
                return batch
            event = self._wake_event  # no busy loop: sleep until something happens
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)

    async def delete_webhook(self, method: DeleteWebhook, call: Call) -> JSON:
        if method.drop_pending_updates:
            self.pending.clear()
        self.webhook_url = ""
        self.webhook_secret = ""
        return True

    async def set_webhook(self, method: SetWebhook, call: Call) -> JSON:
        # Telegram delivers only to HTTPS; an empty url removes the webhook.
        if method.url and not method.url.lower().startswith("https://"):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        if method.drop_pending_updates:
            self.pending.clear()
        self.webhook_url = method.url
        self.webhook_secret = method.secret_token or ""
        if method.allowed_updates is not None:
            self.allowed_updates = list(method.allowed_updates)
        self._wake()
        return True

    async def get_webhook_info(self, method: GetWebhookInfo, call: Call) -> JSON:
        return {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self.pending),
        }

    @staticmethod
    def _commands_key(scope: Any, language_code: str | None) -> str:
        scope_json = _dump(scope) if scope is not None else {"type": "default"}
        return json.dumps([scope_json, language_code or ""], sort_keys=True)

    async def set_my_commands(self, method: SetMyCommands, call: Call) -> JSON:
        if len(method.commands) > 100:
            raise bad_request("too many commands")
        for command in method.commands:
            if not BOT_COMMAND_RE.match(command.command):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(command.description) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        key = self._commands_key(method.scope, method.language_code)
        self.commands[key] = [_dump(c) for c in method.commands]
        return True

    async def delete_my_commands(self, method: DeleteMyCommands, call: Call) -> JSON:
        self.commands.pop(self._commands_key(method.scope, method.language_code), None)
        return True

    async def get_my_commands(self, method: GetMyCommands, call: Call) -> JSON:
        return self.commands.get(self._commands_key(method.scope, method.language_code), [])

    async def set_my_description(
        self, method: SetMyDescription | SetMyShortDescription, call: Call
    ) -> JSON:
        if isinstance(method, SetMyDescription):
            kind, text, limit = "description", method.description, 512
        else:
            kind, text, limit = "short_description", method.short_description, 120
        text = text or ""
        if len(text) > limit:
            raise bad_request(f"{kind.replace('_', ' ')} is too long")
        self.descriptions[(kind, method.language_code or "")] = text
        return True

    async def get_my_description(
        self, method: GetMyDescription | GetMyShortDescription, call: Call
    ) -> JSON:
        kind = "description" if isinstance(method, GetMyDescription) else "short_description"
        return {kind: self.descriptions.get((kind, method.language_code or ""), "")}

    async def send_message(self, method: SendMessage, call: Call) -> JSON:
        return self.new_message(
            method, {"text": method.text, "entities": self.entities(method.entities)}
        )

    async def send_message_draft(self, method: SendMessageDraft, call: Call) -> JSON:
        return True  # checks done in check_draft; the call itself is in the log

    async def edit_message_text(self, method: EditMessageText, call: Call) -> JSON:
        message = self.message_to_edit(method)
        if message is None:
            return True
        if "text" not in message:
            raise bad_request("there is no text in the message to edit")
        entities = self.entities(method.entities)
        markup = self.inline_markup(method.reply_markup)
        if (
            message["text"] == method.text
            and message.get("entities") == entities
            and message.get("reply_markup") == markup
        ):
            raise ApiError(400, NOT_MODIFIED)
        message["text"] = method.text
        self._set_optional(message, "entities", entities)
        self._set_optional(message, "reply_markup", markup)
        message["edit_date"] = int(time.time())
        return message

    async def edit_message_caption(self, method: EditMessageCaption, call: Call) -> JSON:
        message = self.message_to_edit(method)
        if message is None:
            return True
        if "text" in message:
            raise bad_request("there is no caption in the message to edit")
        entities = self.entities(method.caption_entities)
        markup = self.inline_markup(method.reply_markup)
        if (
            message.get("caption") == (method.caption or None)
            and message.get("caption_entities") == entities
            and message.get("reply_markup") == markup
        ):
            raise ApiError(400, NOT_MODIFIED)
        self._set_optional(message, "caption", method.caption or None)
        self._set_optional(message, "caption_entities", entities)
        self._set_optional(message, "reply_markup", markup)
        message["edit_date"] = int(time.time())
        return message

    async def edit_message_reply_markup(self, method: EditMessageReplyMarkup, call: Call) -> JSON:
        message = self.message_to_edit(method)
        if message is None:
            return True
        markup = self.inline_markup(method.reply_markup)
        if message.get("reply_markup") == markup:
            raise ApiError(400, NOT_MODIFIED)
        self._set_optional(message, "reply_markup", markup)
        message["edit_date"] = int(time.time())
        return message

    @staticmethod
    def _set_optional(message: dict[str, Any], key: str, value: Any) -> None:
        if value is None:
            message.pop(key, None)
        else:
            message[key] = value

    async def delete_message(self, method: DeleteMessage, call: Call) -> JSON:
        key = (self.chat(method.chat_id)["id"], method.message_id)
        if self.sent.pop(key, None) is None and self.seen.pop(key, None) is None:
            raise bad_request("message to delete not found")
        return True

    async def send_chat_action(self, method: SendChatAction, call: Call) -> JSON:
        self.chat(method.chat_id)
        if method.action not in CHAT_ACTIONS:
            raise bad_request("wrong type of the action specified")
        return True

    async def answer_callback_query(self, method: AnswerCallbackQuery, call: Call) -> JSON:
        if method.callback_query_id not in self.callback_queries:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        self.callback_queries.discard(method.callback_query_id)  # one answer per query
        return True

    def _caption(self, method: Any) -> dict[str, Any]:
        return {
            "caption": method.caption or None,
            "caption_entities": self.entities(method.caption_entities),
        }

    async def send_photo(self, method: SendPhoto, call: Call) -> JSON:
        photo = await self.photo_of(method.photo, call)
        return self.new_message(method, {"photo": [photo], **self._caption(method)})

    async def send_document(self, method: SendDocument, call: Call) -> JSON:
        document = await self.document_of(method.document, call)
        return self.new_message(method, {"document": document, **self._caption(method)})

    async def send_media_group(self, method: SendMediaGroup, call: Call) -> JSON:
        """An album: 2-10 photos (or videos) or 2-10 documents, never both; one message each,
        sharing a `media_group_id`."""
        if not 2 <= len(method.media) <= 10:
            raise bad_request("wrong number of media specified")
        kinds = {type(item) for item in method.media}
        if len(kinds) > 1 and InputMediaDocument in kinds:
            raise bad_request("documents can't be mixed with other media types")
        self.media_groups += 1
        group_id = str(13_000_000 + self.media_groups)
        sent: list[JSON] = []
        for item in method.media:
            content: dict[str, Any] = {"media_group_id": group_id, **self._caption(item)}
            if isinstance(item, InputMediaPhoto):
                content["photo"] = [await self.photo_of(item.media, call)]
            elif isinstance(item, InputMediaDocument):
                content["document"] = await self.document_of(item.media, call)
            else:
                raise bad_request("this fake sends albums of photos or documents only")
            sent.append(self.new_message(method, content))
        return sent

    async def photo_of(self, value: InputFile | str, call: Call) -> dict[str, Any]:
        stored = await self.obtain_file(value, call, "photo", MAX_PHOTO_UPLOAD)
        width, height = image_size(stored.data) or (1, 1)
        if width + height > 10000 or max(width, height) > 20 * min(width, height):
            raise bad_request("PHOTO_INVALID_DIMENSIONS")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "width": width,
            "height": height,
            "file_size": stored.size,
        }

    async def document_of(self, value: InputFile | str, call: Call) -> dict[str, Any]:
        stored = await self.obtain_file(value, call, "document")
        document = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_name": stored.file_name,
            "mime_type": stored.mime_type,
            "file_size": stored.size,
        }
        return {k: v for k, v in document.items() if v is not None}

    async def send_voice(self, method: SendVoice, call: Call) -> JSON:
        stored = await self.obtain_file(method.voice, call, "voice")
        duration = method.duration
        if duration is None:
            duration = ogg_opus_duration(stored.data) or 0
        voice = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "duration": duration,
            "mime_type": stored.mime_type or "audio/ogg",
            "file_size": stored.size,
        }
        return self.new_message(method, {"voice": voice, **self._caption(method)})

    async def send_video(self, method: SendVideo, call: Call) -> JSON:
        stored = await self.obtain_file(method.video, call, "video")
        video = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "width": method.width or 0,
            "height": method.height or 0,
            "duration": method.duration or 0,
            "mime_type": stored.mime_type or "video/mp4",
            "file_size": stored.size,
        }
        return self.new_message(method, {"video": video, **self._caption(method)})

    async def answer_inline_query(self, method: AnswerInlineQuery, call: Call) -> JSON:
        if method.inline_query_id not in self.inline_queries:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        if len(method.results) > 50:
            raise bad_request("RESULTS_TOO_MUCH")
        ids = [result.id for result in method.results]
        if len(set(ids)) != len(ids):
            raise bad_request("RESULT_ID_DUPLICATE")
        self.inline_queries.discard(method.inline_query_id)  # one answer per query
        return True

    async def get_file(self, method: GetFile, call: Call) -> JSON:
        stored = self.files.get(method.file_id)
        if stored is None:
            raise bad_request("invalid file_id")
        if stored.size > MAX_DOWNLOAD_SIZE:
            raise bad_request("file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.size,
            "file_path": stored.file_path,
        }

    async def get_chat(self, method: GetChat, call: Call) -> JSON:
        chat = dict(self.chat(method.chat_id))
        chat.setdefault("accent_color_id", 0)
        chat.setdefault("max_reaction_count", 11)
        chat.setdefault(
            "accepted_gift_types",
            {
                "unlimited_gifts": True,
                "limited_gifts": True,
                "unique_gifts": True,
                "premium_subscription": True,
                "gifts_from_channels": True,
            },
        )
        return chat

    # -- file downloads -----------------------------------------------------------------------

    async def handle_download(self, request: web.Request) -> web.StreamResponse:
        try:
            self.check_token(request.match_info["token"])
        except ApiError as exc:
            return web.json_response(exc.body(), status=exc.code)
        path = request.match_info["file_path"]
        for stored in self.files.values():
            if stored.file_path == path:
                return web.Response(
                    body=stored.data, content_type=stored.mime_type or "application/octet-stream"
                )
        return web.json_response(ApiError(404, "Not Found").body(), status=404)

    # -- control API --------------------------------------------------------------------------

    async def ctl_update(self, request: web.Request) -> web.StreamResponse:
        try:
            body = await request.json()
            ids = self.inject(body if isinstance(body, list) else [body])
        except (ValueError, ValidationError) as exc:
            return web.json_response({"error": str(exc)}, status=400)
        return web.json_response({"update_ids": ids})

    async def ctl_upload(self, request: web.Request) -> web.StreamResponse:
        form = await request.post()
        item = form.get("file")
        if not isinstance(item, FileField):
            return web.json_response({"error": "multipart field 'file' is required"}, status=400)
        data = item.file.read()
        declared = form.get("file_size")
        mime_type = form.get("mime_type")
        file_path = form.get("file_path")
        stored = self.store_file(
            data,
            str(file_path) if file_path else None,
            file_name=item.filename,
            mime_type=str(mime_type) if mime_type else None,
            declared_size=int(str(declared)) if declared else None,
        )
        answer: dict[str, Any] = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.size,
            "file_path": stored.file_path,
        }
        # Handy for update factories (Voice.duration, PhotoSize.width/height):
        size = image_size(data)
        if size is not None:
            answer["width"], answer["height"] = size
        duration = ogg_opus_duration(data)
        if duration is not None:
            answer["duration"] = duration
        return web.json_response(answer)

    async def ctl_add_faults(self, request: web.Request) -> web.StreamResponse:
        try:
            body = await request.json()
            items = body if isinstance(body, list) else [body]
            faults = [
                Fault(
                    method=str(item["method"]).lower(),
                    error_code=int(item["error_code"]),
                    times=int(item.get("times", 1)),
                    retry_after=(
                        None if item.get("retry_after") is None else int(item["retry_after"])
                    ),
                    description=item.get("description"),
                    chat_id=item.get("chat_id"),
                    migrate_to_chat_id=(
                        None
                        if item.get("migrate_to_chat_id") is None
                        else int(item["migrate_to_chat_id"])
                    ),
                )
                for item in items
            ]
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            return web.json_response({"error": f"bad fault spec: {exc!r}"}, status=400)
        unknown = [f.method for f in faults if f.method not in METHODS]
        if unknown:
            return web.json_response({"error": f"unknown methods {unknown}"}, status=400)
        self.faults.extend(faults)
        return web.json_response({"queued": len(faults)})

    async def ctl_faults(self, request: web.Request) -> web.StreamResponse:
        return web.json_response([f.as_json() for f in self.faults])

    async def ctl_log(self, request: web.Request) -> web.StreamResponse:
        since = int(request.query.get("since", "0"))
        # The log is in `seq` order: start at the first new entry instead of scanning it all.
        start = bisect.bisect_right(self.log, since, key=lambda e: e["seq"])
        return web.json_response(self.log[start:])

    async def ctl_file(self, request: web.Request) -> web.StreamResponse:
        stored = self.files.get(request.match_info["file_id"])
        if stored is None:
            return web.json_response({"error": "unknown file_id"}, status=404)
        return web.Response(body=stored.data, content_type="application/octet-stream")

    async def ctl_messages(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(list(self.sent.values()))

    async def ctl_state(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(
            {
                "pending_update_ids": [u["update_id"] for u in self.pending],
                "confirmed_offset": self.confirmed_offset,
                "allowed_updates": self.allowed_updates,
                "get_updates_calls": self.get_updates_calls,
                "internal_errors": self.internal_errors,
                "faults_pending": len(self.faults),
                "webhook_url": self.webhook_url,
            }
        )

    async def ctl_reset(self, request: web.Request) -> web.StreamResponse:
        self.reset()
        return web.json_response({"ok": True})

    async def ctl_webhook_target(self, request: web.Request) -> web.StreamResponse:
        self.webhook_target = str((await request.json())["url"]).rstrip("/")
        self._wake()
        return web.json_response({"ok": True})

    async def ctl_webhook_deliveries(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(self.webhook_deliveries)

    # -- webhook delivery -----------------------------------------------------------------------

    def webhook_destination(self) -> str:
        if not self.webhook_url or not self.webhook_target:
            return ""
        parts = urlsplit(self.webhook_url)
        query = f"?{parts.query}" if parts.query else ""
        return f"{self.webhook_target}{parts.path or '/'}{query}"

    async def deliver_webhooks(self) -> None:
        """POST pending updates to the webhook, one at a time, until each is answered 2xx."""
        async with ClientSession(timeout=ClientTimeout(total=10)) as http:
            while not self._closing:
                event = self._wake_event
                destination = self.webhook_destination()
                batch = self.collect(1) if destination else []
                if not batch:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(event.wait(), 1.0)
                    continue
                update = batch[0]
                headers = {"X-Telegram-Bot-Api-Secret-Token": self.webhook_secret}
                try:
                    async with http.post(
                        destination,
                        json=update,
                        headers=headers if self.webhook_secret else None,
                    ) as response:
                        status = response.status
                except (ClientError, TimeoutError):
                    status = 0
                delivery = {"update_id": update["update_id"], "status": status}
                self.webhook_deliveries.append(delivery)
                if 200 <= status < 300:
                    self.confirm(update["update_id"] + 1)
                else:
                    await asyncio.sleep(0.5)  # Telegram tries again later

    async def on_startup(self, app: web.Application) -> None:
        self._delivery = asyncio.create_task(self.deliver_webhooks())

    async def on_shutdown(self, app: web.Application) -> None:
        if self._delivery is not None:
            self._delivery.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._delivery
        self._closing = True  # pending long polls return [] at once
        self._wake()


FAKE_KEY = web.AppKey("fake_telegram", FakeTelegram)


def build_app(
    bot_id: int, bot_username: str, token: str | None, *, first_name: str = "Polza Test Bot"
) -> web.Application:
    """The fake as an aiohttp application; the state object is ``app[FAKE_KEY]``."""
    fake = FakeTelegram(bot_id, bot_username, token, first_name=first_name)
    app = web.Application(client_max_size=CLIENT_MAX_SIZE)
    app[FAKE_KEY] = fake
    app.router.add_route("*", "/bot{token}/{method}", fake.handle_api)
    app.router.add_get("/file/bot{token}/{file_path:.*}", fake.handle_download)
    app.router.add_post("/_test/update", fake.ctl_update)
    app.router.add_post("/_test/upload", fake.ctl_upload)
    app.router.add_post("/_test/faults", fake.ctl_add_faults)
    app.router.add_get("/_test/faults", fake.ctl_faults)
    app.router.add_get("/_test/log", fake.ctl_log)
    app.router.add_get("/_test/files/{file_id}", fake.ctl_file)
    app.router.add_get("/_test/messages", fake.ctl_messages)
    app.router.add_get("/_test/state", fake.ctl_state)
    app.router.add_post("/_test/reset", fake.ctl_reset)
    app.router.add_post("/_test/webhook_target", fake.ctl_webhook_target)
    app.router.add_get("/_test/webhook_deliveries", fake.ctl_webhook_deliveries)
    app.on_startup.append(fake.on_startup)
    app.on_shutdown.append(fake.on_shutdown)
    return app


# ---------------------------------------------------------------------------------------------
# CLI
# ---------------------------------------------------------------------------------------------


async def _serve(args: argparse.Namespace) -> None:
    app = build_app(args.bot_id, args.bot_username, args.token)
    # handler_cancellation: a bot killed mid long-poll must not leave a zombie poll behind.
    runner = web.AppRunner(app, handler_cancellation=True, shutdown_timeout=2.0)
    await runner.setup()
    site = web.TCPSite(runner, args.host, args.port)
    await site.start()
    port = runner.addresses[0][1]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    sys.stdout.write(f"LISTENING {port}\n")
    sys.stdout.flush()
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Fake Telegram Bot API server for tests")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--bot-id", type=int, default=None, help="default: token prefix/777000")
    parser.add_argument("--bot-username", default="polza_test_bot")
    parser.add_argument("--token", default=None, help="accept only this token (else any)")
    args = parser.parse_args(argv)
    if args.bot_id is None:
        args.bot_id = int(args.token.split(":", 1)[0]) if args.token else 777000
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    asyncio.run(_serve(args))


if __name__ == "__main__":
    main()
