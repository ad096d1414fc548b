"""Self-tests of the fake Telegram Bot API server (tests/fakes/telegram_api.py).

A real aiogram ``Bot`` talks to the fake over HTTP, in-process (aiohttp TestServer); one test
runs the CLI as a subprocess.
"""

from __future__ import annotations

import asyncio
import os
import signal
import struct
import subprocess
import sys
import time
import zlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramConflictError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramUnauthorizedError,
)
from aiogram.types import (
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    MessageEntity,
    ReplyParameters,
)
from aiohttp.test_utils import TestClient, TestServer

from tests.fakes.telegram_api import build_app

BOT_ID = 777000
TOKEN = f"{BOT_ID}:TEST-token_1"
USER_ID = 4242
GROUP_ID = -1001234


@dataclass
class Env:
    client: TestClient[Any, Any]
    bot: Bot

    async def ctl(self, method: str, path: str, **kwargs: Any) -> Any:
        resp = await self.client.request(method, path, **kwargs)
        assert resp.status == 200, await resp.text()
        return await resp.json()

    async def log(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = await self.ctl("GET", "/_test/log")
        return result


@pytest.fixture(scope="module", autouse=True)
def cli_process() -> Iterator[subprocess.Popen[str]]:
    """The fake as a subprocess, for the CLI test (the last one in this module).

    Started when the module starts: importing aiogram takes seconds, and this way the
    subprocess boots on another core while the in-process tests run.
    """
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.telegram_api", "--port", "0", "--token", TOKEN],
        cwd=Path(__file__).resolve().parents[2],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "error"},
    )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


@pytest.fixture
async def env() -> AsyncIterator[Env]:
    server = TestServer(build_app(BOT_ID, "polza_test_bot", TOKEN))
    client = TestClient(server)
    await client.start_server()
    base = str(server.make_url("/"))
    bot = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(base)))
    try:
        yield Env(client, bot)
    finally:
        await bot.session.close()
        await client.close()


def png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    rows = b"".join(b"\x00" + b"\x10\x80\xf0" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def private_text(text: str, message_id: int = 1) -> dict[str, Any]:
    user = {"id": USER_ID, "is_bot": False, "first_name": "Ann", "username": "ann"}
    return {
        "message": {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": {"id": USER_ID, "type": "private", "first_name": "Ann", "username": "ann"},
            "from": user,
            "text": text,
        }
    }


async def test_get_me_is_complete(env: Env) -> None:
    me = await env.bot.get_me()
    assert me.id == BOT_ID
    assert me.is_bot
    assert me.username == "polza_test_bot"
    assert me.can_read_all_group_messages is True
    assert me.supports_inline_queries is False


async def test_send_message_entities_and_edits(env: Env) -> None:
    text = "[not json] hello @ann"
    keyboard = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="Stop", callback_data="stop:1")]]
    )
    entities = [MessageEntity(type="bold", offset=11, length=5)]
    sent = await env.bot.send_message(USER_ID, text, entities=entities, reply_markup=keyboard)
    assert sent.text == text  # text starting with '[' must not be JSON-decoded
    assert sent.chat.type == "private"
    assert sent.from_user is not None and sent.from_user.id == BOT_ID
    assert sent.entities is not None
    assert [e.model_dump() for e in sent.entities] == [e.model_dump() for e in entities]
    assert sent.reply_markup is not None
    assert sent.reply_markup.model_dump() == keyboard.model_dump()

    call = (await env.log())[-1]
    assert call["method"] == "sendMessage" and call["ok"] is True
    assert call["params"]["chat_id"] == USER_ID
    assert call["params"]["entities"] == [{"type": "bold", "offset": 11, "length": 5}]
    assert call["result"]["message_id"] == sent.message_id

    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await env.bot.edit_message_text(
            text=text,
            chat_id=USER_ID,
            message_id=sent.message_id,
            entities=entities,
            reply_markup=keyboard,
        )
    # dropping the keyboard is a modification
    edited = await env.bot.edit_message_text(
        text=text, chat_id=USER_ID, message_id=sent.message_id, entities=entities
    )
    assert not isinstance(edited, bool) and edited.reply_markup is None
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await env.bot.edit_message_text(text="x", chat_id=USER_ID, message_id=999)
    second = await env.bot.send_message(GROUP_ID, "{also not json}")
    assert second.chat.type == "supergroup" and second.text == "{also not json}"


async def test_telegram_rules_give_400(env: Env) -> None:
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await env.bot.send_message(USER_ID, "я" * 4097)
    with pytest.raises(TelegramBadRequest, match="can't parse entities"):
        await env.bot.send_message(USER_ID, "<b>open", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match="only to private chats"):
        await env.bot.send_message_draft(chat_id=GROUP_ID, draft_id=1, text="hi")
    with pytest.raises(TelegramBadRequest, match="text is too long"):
        await env.bot.send_message_draft(chat_id=USER_ID, draft_id=1, text="x" * 4097)
    assert await env.bot.send_message_draft(chat_id=USER_ID, draft_id=7, text="[partial")
    with pytest.raises(TelegramBadRequest, match="message to be replied not found"):
        await env.bot.send_message(USER_ID, "re", reply_parameters=ReplyParameters(message_id=55))
    lenient = ReplyParameters(message_id=55, allow_sending_without_reply=True)
    assert (await env.bot.send_message(USER_ID, "re", reply_parameters=lenient)).text == "re"
    with pytest.raises(TelegramBadRequest, match="invalid file_id"):
        await env.bot.get_file("nope")
    log = await env.log()
    assert [c["error_code"] for c in log] == [400, 400, 400, 400, None, 400, None, 400]
    assert log[4]["method"] == "sendMessageDraft" and log[4]["params"]["draft_id"] == 7


async def test_faults_retry_after_and_network_error(env: Env) -> None:
    await env.ctl(
        "POST",
        "/_test/faults",
        json=[
            {"method": "sendmessage", "error_code": 429, "retry_after": 3},
            {"method": "sendChatAction", "error_code": 0},
        ],
    )
    with pytest.raises(TelegramRetryAfter) as info:
        await env.bot.send_message(USER_ID, "hi")
    assert info.value.retry_after == 3
    assert (await env.bot.send_message(USER_ID, "hi")).text == "hi"  # consumed: once only
    with pytest.raises(TelegramNetworkError):
        await env.bot.send_chat_action(USER_ID, "typing")
    assert await env.bot.send_chat_action(USER_ID, "typing")
    log = await env.log()
    assert [(c["method"], c["error_code"]) for c in log] == [
        ("sendMessage", 429),
        ("sendMessage", None),
        ("sendChatAction", 0),
        ("sendChatAction", None),
    ]


async def test_photo_upload_and_download_roundtrip(env: Env) -> None:
    image = png(3, 2)
    sent = await env.bot.send_photo(
        USER_ID, BufferedInputFile(image, filename="cat.png"), caption="{cat}"
    )
    assert sent.photo is not None and sent.caption == "{cat}"
    size = sent.photo[-1]
    assert (size.width, size.height, size.file_size) == (3, 2, len(image))

    resp = await env.client.get(f"/_test/files/{size.file_id}")
    assert await resp.read() == image
    file = await env.bot.get_file(size.file_id)
    downloaded = await env.bot.download(file)
    assert downloaded is not None and downloaded.read() == image

    photo_param = (await env.log())[0]["params"]["photo"]
    assert photo_param["file_name"] == "cat.png" and photo_param["size"] == len(image)
    assert photo_param["file_id"] == size.file_id

    # test-side upload, then getFile on its id; a huge declared size is refused
    form = aiohttp.FormData()
    form.add_field("file", b"OggS...", filename="v.ogg")
    form.add_field("file_path", "voice/file_1.oga")
    uploaded = await env.ctl("POST", "/_test/upload", data=form)
    assert (await env.bot.get_file(uploaded["file_id"])).file_path == "voice/file_1.oga"
    big = aiohttp.FormData()
    big.add_field("file", b"x", filename="big.ogg")
    big.add_field("file_size", str(21 * 1024 * 1024))
    uploaded = await env.ctl("POST", "/_test/upload", data=big)
    with pytest.raises(TelegramBadRequest, match="file is too big"):
        await env.bot.get_file(uploaded["file_id"])


async def test_updates_long_poll_offset_and_allowed_updates(env: Env) -> None:
    answer = await env.ctl("POST", "/_test/update", json=private_text("hello"))
    assert answer == {"update_ids": [1]}
    updates = await env.bot.get_updates(timeout=0, allowed_updates=["message"])
    assert [u.update_id for u in updates] == [1]
    assert updates[0].message is not None and updates[0].message.text == "hello"
    # the bot may reply to the injected message
    reply = await env.bot.send_message(
        USER_ID, "hi Ann", reply_parameters=ReplyParameters(message_id=1)
    )
    assert reply.message_id == 2  # per-chat ids continue after the injected one
    assert reply.reply_to_message is not None and reply.reply_to_message.text == "hello"

    # a waiting poll wakes up as soon as an update arrives (no sleeping for the timeout)
    started = time.monotonic()
    poll = asyncio.create_task(env.bot.get_updates(offset=2, timeout=5))
    await asyncio.sleep(0.05)
    callback = {
        "callback_query": {
            "id": "cq1",
            "from": {"id": USER_ID, "is_bot": False, "first_name": "Ann"},
            "chat_instance": "ci",
            "data": "x",
        }
    }
    # a callback query is not in allowed_updates (kept from the previous call): dropped
    await env.ctl("POST", "/_test/update", json=[callback, private_text("again", 3)])
    updates = await poll
    assert time.monotonic() - started < 2
    assert [u.update_id for u in updates] == [3]
    state = await env.ctl("GET", "/_test/state")
    assert state["confirmed_offset"] == 2
    assert state["pending_update_ids"] == [3]
    assert state["allowed_updates"] == ["message"]
    assert await env.bot.get_updates(offset=4, timeout=0) == []
    state = await env.ctl("GET", "/_test/state")
    assert state["pending_update_ids"] == [] and state["get_updates_calls"] == 3
    with pytest.raises(TelegramBadRequest, match="query ID is invalid"):
        await env.bot.answer_callback_query("cq1")  # dropped, never delivered

    # a second poller terminates the first one with 409, as on Telegram
    first = asyncio.create_task(env.bot.get_updates(offset=4, timeout=5))
    await asyncio.sleep(0.05)
    assert await env.bot.get_updates(offset=4, timeout=0) == []
    with pytest.raises(TelegramConflictError):
        await first


async def test_webhook_is_stored_and_blocks_polling(env: Env) -> None:
    assert (await env.bot.get_webhook_info()).url == ""
    with pytest.raises(TelegramBadRequest, match="HTTPS URL"):
        await env.bot.set_webhook("http://example.com/hook")
    assert await env.bot.set_webhook("https://example.com/hook")
    info = await env.bot.get_webhook_info()
    assert info.url == "https://example.com/hook"
    assert info.pending_update_count == 0
    # as on Telegram: no polling while a webhook is set
    with pytest.raises(TelegramConflictError, match="webhook is active"):
        await env.bot.get_updates(timeout=0)
    assert await env.bot.delete_webhook()
    assert (await env.bot.get_webhook_info()).url == ""
    assert await env.bot.get_updates(timeout=0) == []


async def test_auth_unknown_method_and_bad_params(env: Env) -> None:
    resp = await env.client.post("/bot1:other/getMe")
    assert resp.status == 401
    assert await resp.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
    resp = await env.client.post(f"/bot{TOKEN}/getMeNow")
    assert resp.status == 404
    assert await resp.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
    resp = await env.client.post(f"/bot{TOKEN}/SENDMESSAGE", data={"chat_id": "1"})
    body = await resp.json()
    assert resp.status == 400 and body["description"].startswith("Bad Request: text")
    resp = await env.client.post(
        f"/bot{TOKEN}/sendMessage", data={"chat_id": "1", "text": "x", "reply_markup": "{"}
    )
    assert resp.status == 400
    # a JSON body works too
    resp = await env.client.post(f"/bot{TOKEN}/sendMessage", json={"chat_id": 5, "text": "[x]"})
    assert (await resp.json())["result"]["text"] == "[x]"
    with pytest.raises(TelegramUnauthorizedError):
        await Bot("1:other", session=env.bot.session).get_me()


async def test_control_api_state_messages_and_reset(env: Env) -> None:
    resp = await env.client.get(f"/bot{TOKEN}/getChat?chat_id=-5")  # GET + query string
    assert (await resp.json())["result"]["type"] == "supergroup"
    resp = await env.client.get(f"/bot{TOKEN}/getMe?foo=1")  # typo'd parameters are refused
    assert resp.status == 400
    sent = await env.bot.send_message(USER_ID, "one")
    await env.bot.edit_message_text(text="two", chat_id=USER_ID, message_id=sent.message_id)
    messages = await env.ctl("GET", "/_test/messages")
    assert [(m["message_id"], m["text"]) for m in messages] == [(sent.message_id, "two")]
    assert [c["method"] for c in await env.ctl("GET", "/_test/log?since=3")] == ["editMessageText"]
    await env.ctl("POST", "/_test/update", json=private_text("hi", 50))
    await env.ctl("POST", "/_test/faults", json={"method": "getMe", "error_code": 500})
    assert (await env.ctl("GET", "/_test/state"))["faults_pending"] == 1
    await env.ctl("POST", "/_test/reset")
    state = await env.ctl("GET", "/_test/state")
    assert state["pending_update_ids"] == [] and state["faults_pending"] == 0
    assert await env.log() == [] and await env.ctl("GET", "/_test/messages") == []
    # the update counter survives a reset (the bot's offset must stay valid)
    assert await env.ctl("POST", "/_test/update", json=private_text("x", 51)) == {
        "update_ids": [2]
    }
    bad = await env.client.post("/_test/update", json={"message": {"text": "no ids"}})
    assert bad.status == 400


def test_cli_subprocess_listens_and_stops_on_sigterm(cli_process: subprocess.Popen[str]) -> None:
    proc = cli_process
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.startswith("LISTENING "), line
    port = int(line.split()[1])

    async def get_me() -> Any:
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://127.0.0.1:{port}/bot{TOKEN}/getMe") as resp,
        ):
            return await resp.json()

    assert asyncio.run(get_me())["result"]["username"] == "polza_test_bot"
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=5) == 0
    assert proc.stdout.read() == ""  # exactly one line on stdout
