"""Webhook mode: Telegram POSTs each update; it is stored in the inbox before the answer.

`WebhookEndpoint` is the HTTP side: a request is processed only with the right
`X-Telegram-Bot-Api-Secret-Token` (else 401, nothing stored); an update is confirmed with 200
only once it is stored, so a crash after the answer loses nothing, and a store that keeps
failing answers 503, which makes Telegram deliver it again later. Where it is stored:

- `DurableWebhook` (one process): the same inbox, replay limits and graceful stop as long
  polling (`DurablePolling`); a new update is handled right away in this process.
- `SharedWebhookRunner` (replicas on PostgreSQL and Redis): into the shared inbox with its
  conversation, from which every replica claims work (`bot/replicas.py`), whichever replica
  the proxy sent the request to.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from aiogram import Bot, Dispatcher
from aiogram.types import Update
from aiogram.utils.backoff import Backoff
from aiohttp import web
from pydantic import ValidationError

from bot.conversation import update_conversation
from bot.observability.metrics import Metrics
from bot.polling import (
    BACKOFF,
    STORAGE_BACKOFF,
    DurablePolling,
    ReplayLimits,
    payload_of,
    run_until,
)
from bot.replicas import SharedInboxRunner
from storage.inbox import InboxRepository, NewUpdate
from storage.leases import LeaseRepository

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# An update is small; anything bigger is not from Telegram.
MAX_BODY_BYTES = 1024 * 1024
# Storing one update is tried this often before Telegram is asked to deliver it again.
STORE_TRIES = 3

# Stores the update; raises when it could not be stored.
Accept = Callable[[Update], Awaitable[None]]


class WebhookEndpoint:
    def __init__(
        self,
        bot: Bot,
        dispatcher: Dispatcher,
        *,
        url: str,
        secret: str,
        listen: tuple[str, int],
        accept: Accept,
    ) -> None:
        self._bot = bot
        self._dp = dispatcher
        self._url = url
        self._secret = secret.encode()
        self._listen = listen
        self._accept = accept
        self.serving = False

    async def serve(self) -> None:
        """Listen and register the webhook with Telegram; runs until cancelled."""
        app = web.Application(client_max_size=MAX_BODY_BYTES)
        app.router.add_post(urlsplit(self._url).path or "/", self._receive)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        try:
            host, port = self._listen
            await web.TCPSite(runner, host, port).start()
            self.serving = True
            logger.info("Listening for Telegram's webhook on %s:%d", host, port)
            await self._register()
            await asyncio.Event().wait()
        finally:
            self.serving = False
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

    async def _receive(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self._secret):
            logger.warning("Refused a webhook request without the right secret token")
            return web.Response(status=401, text="Unauthorized")
        try:
            update = Update.model_validate_json(await request.read(), context={"bot": self._bot})
        except (ValidationError, ValueError):
            return web.Response(status=400, text="Not an update")
        try:
            await self._accept(update)
        except Exception:
            logger.warning(
                "Could not store update %s; Telegram will send it again", update.update_id
            )
            return web.Response(status=503, text="Try again later")
        return web.Response(text="ok")


async def stored(write: Callable[[], Awaitable[list[int]]], update_id: int) -> list[int]:
    """`write()`, tried a few times (a webhook request cannot wait long); raises at the end."""
    backoff = Backoff(config=STORAGE_BACKOFF)
    for attempt in range(1, STORE_TRIES + 1):
        try:
            return await write()
        except Exception as error:
            if attempt == STORE_TRIES:
                raise
            logger.warning("Could not store update %s (%s); trying again", update_id, error)
            await backoff.asleep()
    raise AssertionError("unreachable")


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
        self._endpoint = WebhookEndpoint(
            bot, dispatcher, url=url, secret=secret, listen=listen, accept=self._accept
        )
        self._data: dict[str, Any] = {}

    def alive(self) -> bool:
        return self._endpoint.serving

    async def run(self, stop: asyncio.Event, **data: Any) -> None:
        """Handle pending updates, then accept updates until `stop` is set."""
        self._data = data
        await self._replay(data)
        serving = asyncio.create_task(self._endpoint.serve())
        self.receiving.set()
        await run_until(stop, serving)

    async def _accept(self, update: Update) -> None:
        rows = [(update.update_id, payload_of(update))]
        fresh = await stored(lambda: self._inbox.accept(rows), update.update_id)
        if fresh:
            if self._metrics is not None:
                self._metrics.update_received()
            self._spawn(update, self._data)


class SharedWebhookRunner(SharedInboxRunner):
    """A replica that receives by webhook: every replica listens (no poller lease)."""

    def __init__(
        self,
        dispatcher: Dispatcher,
        bot: Bot,
        inbox: InboxRepository,
        leases: LeaseRepository,
        *,
        url: str,
        secret: str,
        listen: tuple[str, int],
        lease_seconds: float,
        limits: ReplayLimits | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        super().__init__(
            dispatcher,
            bot,
            inbox,
            leases,
            lease_seconds=lease_seconds,
            limits=limits,
            metrics=metrics,
        )
        self._endpoint = WebhookEndpoint(
            bot, dispatcher, url=url, secret=secret, listen=listen, accept=self._accept
        )

    async def _lead(self, data: dict[str, Any]) -> None:
        await self._endpoint.serve()

    async def _accept(self, update: Update) -> None:
        row = NewUpdate(update.update_id, payload_of(update), update_conversation(update))
        fresh = await stored(lambda: self._inbox.store([row]), update.update_id)
        if fresh and self._metrics is not None:
            self._metrics.update_received()
        self._wake.set()
