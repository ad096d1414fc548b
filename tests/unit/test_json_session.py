"""The Bot API session: calls without a file go as one JSON body, uploads as multipart."""

from __future__ import annotations

import gc
import ssl
import weakref
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.methods.base import Response
from aiogram.types import (
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
)
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.services.polza_transport import polza_http_client
from bot.telegram.json_session import JsonBodySession

TOKEN = "7000001:AAF-json-session-token"
MESSAGE = {"message_id": 5, "date": 1, "chat": {"id": 42, "type": "private"}, "text": "hi"}


@pytest.fixture
async def telegram() -> AsyncIterator[tuple[Bot, list[dict[str, Any]]]]:
    received: list[dict[str, Any]] = []

    async def method(request: web.Request) -> web.Response:
        entry: dict[str, Any] = {"type": request.content_type}
        if request.content_type == "application/json":
            entry["body"] = await request.json()
        else:
            form = await request.post()
            entry["body"] = {k: v if isinstance(v, str) else "<file>" for k, v in form.items()}
        received.append(entry)
        return web.json_response({"ok": True, "result": MESSAGE})

    app = web.Application()
    app.router.add_post("/bot{token}/{method}", method)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    session = JsonBodySession(api=TelegramAPIServer.from_base(str(server.make_url("/"))))
    bot = Bot(
        TOKEN,
        session=session,
        default=DefaultBotProperties(
            parse_mode=ParseMode.HTML, link_preview=LinkPreviewOptions(is_disabled=True)
        ),
    )
    try:
        yield bot, received
    finally:
        await bot.session.close()
        await server.close()


async def test_a_text_goes_as_json_with_defaults_and_nested_objects(
    telegram: tuple[Bot, list[dict[str, Any]]],
) -> None:
    bot, received = telegram
    keyboard = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="🔄", callback_data="a:1")]]
    )
    sent = await bot.send_message(
        42, "<b>hi</b>", reply_markup=keyboard, disable_notification=False
    )
    assert sent.message_id == 5
    (entry,) = received
    assert entry["type"] == "application/json"
    assert entry["body"] == {
        "chat_id": 42,
        "text": "<b>hi</b>",
        "parse_mode": "HTML",
        "link_preview_options": {"is_disabled": True},
        "disable_notification": False,
        "reply_markup": {"inline_keyboard": [[{"text": "🔄", "callback_data": "a:1"}]]},
    }


async def test_a_file_goes_as_multipart(telegram: tuple[Bot, list[dict[str, Any]]]) -> None:
    bot, received = telegram
    await bot.send_document(42, BufferedInputFile(b"# chat", "chat.md"), caption="Export")
    (entry,) = received
    assert entry["type"] == "multipart/form-data"
    body = entry["body"]
    assert body["caption"] == "Export" and body["chat_id"] == "42"
    assert body["document"].startswith("attach://") and "<file>" in body.values()


async def test_an_answer_type_outlives_garbage_collection(
    telegram: tuple[Bot, list[dict[str, Any]]],
) -> None:
    # pydantic holds `Response[Message]` weakly: without the session's reference, a collection
    # drops it and the next answer builds the class again (milliseconds per call).
    bot, _ = telegram
    await bot.send_message(42, "one")
    first = weakref.ref(Response[Message])
    gc.collect()
    await bot.send_message(42, "two")
    assert first() is Response[Message]


async def test_polza_checks_certificates_with_the_telegram_session_s_context() -> None:
    # One context for both: each loads every CA (~15 ms of start-up and ~0.5 MB).
    session = JsonBodySession()
    client = polza_http_client(session.tls)
    try:
        assert client._transport.ssl_context is session.tls  # type: ignore[attr-defined]
        assert session.tls.verify_mode is ssl.CERT_REQUIRED and session.tls.check_hostname
    finally:
        await client.aclose()
        await session.close()
