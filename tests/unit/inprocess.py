"""The in-process test layer: the real dispatcher and services, a recording Bot API session.

Updates are fed with `Dispatcher.feed_update` (aiogram's own way of testing), every Bot API
call is recorded and answered locally, and the fake Polza server runs in the same event loop.
Everything below the Bot API session is the production code, wired by `bot.app`.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
from aiogram import Bot, Dispatcher
from aiogram.client.session.base import BaseSession
from aiogram.methods import (
    EditMessageText,
    GetMe,
    GetUpdates,
    SendMessage,
    TelegramMethod,
)
from aiogram.methods.base import TelegramType
from aiogram.types import Chat, Message, Update, User
from aiohttp.test_utils import TestServer

from bot.app import App, build_dispatcher, create_bot, open_app
from bot.config import Settings
from tests.fakes.polza_api import build_app

BOT_TOKEN = "7000001:AAF-inprocess-token"
POLZA_KEY = "pza_inprocess_key"


class RecordingSession(BaseSession):
    """Answers every Bot API call the way Telegram would, and remembers it."""

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[TelegramMethod[Any]] = []
        self.results: list[Any] = []  # what each request was answered with
        self._message_ids = itertools.count(1)

    async def close(self) -> None:
        return None

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        timeout: int | None = None,  # noqa: ASYNC109 - aiogram's signature
    ) -> TelegramType:
        if isinstance(method, GetUpdates):
            # A long poll with nothing new: these tests feed (or store) the updates themselves.
            await asyncio.sleep(3600)
        self.requests.append(method)
        result: Any = True
        if isinstance(method, GetMe):
            result = User(
                id=bot.id,
                is_bot=True,
                first_name="Polza",
                username="polza_test_bot",
                can_read_all_group_messages=True,
            )
        elif isinstance(method, SendMessage | EditMessageText):
            chat_id = int(method.chat_id or 0)
            result = Message(
                message_id=next(self._message_ids),
                date=datetime.now(UTC),
                chat=Chat(id=chat_id, type="private" if chat_id > 0 else "supergroup"),
                text=method.text,
            )
        self.results.append(result)
        return result  # type: ignore[no-any-return]

    async def stream_content(
        self,
        url: str,
        headers: dict[str, Any] | None = None,
        timeout: int = 30,  # noqa: ASYNC109 - aiogram's signature
        chunk_size: int = 65536,
        raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:
        raise AssertionError(f"no downloads in these tests: {url}")
        yield b""  # pragma: no cover - makes this an async generator

    def sent_texts(self, chat_id: int) -> list[str]:
        return [
            str(method.text)
            for method in self.requests
            if isinstance(method, SendMessage) and method.chat_id == chat_id
        ]


def recording(settings: Settings, session: RecordingSession) -> Bot:
    """The production bot (same defaults), talking to `session` instead of Telegram."""
    bot = create_bot(settings)
    bot.session = session
    return bot


@dataclass
class Harness:
    app: App
    dispatcher: Dispatcher
    session: RecordingSession
    polza: TestServer
    http: aiohttp.ClientSession
    update_ids: itertools.count[int]

    async def send(
        self, update: dict[str, Any], update_id: int | None = None, **data: Any
    ) -> None:
        """Feed one update; `data` is what the poller adds (e.g. `replayed=True`)."""
        raw = {"update_id": update_id or next(self.update_ids), **update}
        await self.dispatcher.feed_update(
            self.app.bot, Update.model_validate(raw, context={"bot": self.app.bot}), **data
        )

    async def chat_requests(self) -> list[dict[str, Any]]:
        async with self.http.get(self.polza.make_url("/_test/journal")) as response:
            journal = await response.json()
        return [e["json"] for e in journal if e["path"].endswith("/chat/completions")]


@asynccontextmanager
async def running_bot(tmp_path: Path, **settings: Any) -> AsyncIterator[Harness]:
    polza = TestServer(build_app(POLZA_KEY), host="127.0.0.1")
    await polza.start_server()
    session = RecordingSession()
    values: dict[str, Any] = {
        "bot_token": BOT_TOKEN,
        "polza_api_key": POLZA_KEY,
        "polza_base_url": str(polza.make_url("/api/v1")),
        "database_path": tmp_path / "bot.sqlite3",
        "draft_interval_seconds": 0.05,
        "access_mode": "open",  # made-up users; the closed default has tests of its own
        # Tests send messages back to back and expect an answer each; merging has its own tests.
        "merge_window_seconds": 0,
        **settings,
    }
    config = Settings(_env_file=None, **values)
    try:
        async with AsyncExitStack() as stack, aiohttp.ClientSession() as http:
            app = await open_app(config, stack, bot_factory=lambda s: recording(s, session))
            dispatcher, _ = build_dispatcher(app.deps)
            workflow = {"dispatcher": dispatcher, "bots": [app.bot], **dispatcher.workflow_data}
            await dispatcher.emit_startup(bot=app.bot, **workflow)
            try:
                yield Harness(app, dispatcher, session, polza, http, itertools.count(1))
            finally:
                await dispatcher.emit_shutdown(bot=app.bot, **workflow)
    finally:
        await polza.close()
