"""Webhook mode: Telegram POSTs each update; it is stored in the inbox before the answer.

The same inbox, replay limits and graceful stop as long polling (`DurablePolling`): only the
way updates arrive differs. A request is processed only with the right
`X-Telegram-Bot-Api-Secret-Token` (else 401, nothing stored); an update is confirmed with 200
only once it is stored, so a crash after the answer loses nothing, and a store that keeps
failing answers 503, which makes Telegram deliver it again later.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import sqlite3
from typing import Any
from urllib.parse import urlsplit

from aiogram import Bot, Dispatcher
from aiogram.types import Update
from aiogram.utils.backoff import Backoff
from aiohttp import web
from pydantic import ValidationError

from bot.observability.metrics import Metrics
from bot.polling import BACKOFF, STORAGE_BACKOFF, DurablePolling, ReplayLimits
from storage.inbox import InboxRepository

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# An update is small; anything bigger is not from Telegram.
MAX_BODY_BYTES = 1024 * 1024
# Storing one update is tried this often before Telegram is asked to deliver it again.
STORE_TRIES = 3


class DurableWebhook(DurablePolling):
    def __init__(
        self,
        dispatcher: Dispatcher,
        bot: Bot,
        inbox: InboxRepository,
        *,
        url: str,
        secret: str,
        listen: tuple[str, int],
        limits: ReplayLimits | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        super().__init__(dispatcher, bot, inbox, limits=limits, metrics=metrics)
        self._url = url
        self._secret = secret.encode()
        self._listen = listen
        self._serving = False

    def alive(self) -> bool:
        return self._serving

    async def run(self, stop: asyncio.Event, **data: Any) -> None:
        """Handle pending updates, then accept updates until `stop` is set."""
        await self._replay(data)
        app = web.Application(client_max_size=MAX_BODY_BYTES)
        app.router.add_post(urlsplit(self._url).path or "/", lambda r: self._receive(r, data))
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        try:
            host, port = self._listen
            await web.TCPSite(runner, host, port).start()
            self._serving = True
            logger.info("Listening for Telegram's webhook on %s:%d", host, port)
            registering = asyncio.create_task(self._register())
            await stop.wait()
            registering.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await registering
        finally:
            self._serving = False
            # New deliveries are refused from here on; Telegram keeps them and tries again.
            await runner.cleanup()

    async def _register(self) -> None:
        backoff = Backoff(config=BACKOFF)
        while True:
            try:
                await self._bot.set_webhook(
                    url=self._url,
                    secret_token=self._secret.decode(),
                    allowed_updates=self._dp.resolve_used_update_types(),
                    drop_pending_updates=False,
                )
                logger.info("Webhook registered with Telegram")
                return
            except Exception as error:
                logger.warning("setWebhook failed (%s: %s); retrying", type(error).__name__, error)
                await backoff.asleep()

    async def _receive(self, request: web.Request, data: dict[str, Any]) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self._secret):
            logger.warning("Refused a webhook request without the right secret token")
            return web.Response(status=401, text="Unauthorized")
        try:
            update = Update.model_validate_json(await request.read(), context={"bot": self._bot})
        except (ValidationError, ValueError):
            return web.Response(status=400, text="Not an update")
        payload = update.model_dump_json(exclude_unset=True, by_alias=True)
        fresh = await self._store(update.update_id, payload)
        if fresh is None:
            return web.Response(status=503, text="Try again later")
        if fresh:
            if self._metrics is not None:
                self._metrics.update_received()
            self._spawn(update, data)
        return web.Response(text="ok")

    async def _store(self, update_id: int, payload: str) -> bool | None:
        """Whether the update is new (False: a repeat), or None when it could not be stored."""
        backoff = Backoff(config=STORAGE_BACKOFF)
        for attempt in range(1, STORE_TRIES + 1):
            try:
                return bool(await self._inbox.accept([(update_id, payload)]))
            except sqlite3.Error as error:
                logger.warning("Could not store update %s (%s)", update_id, error)
                if attempt < STORE_TRIES:
                    await backoff.asleep()
        return None
