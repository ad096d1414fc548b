"""`GET /healthz` and `GET /metrics` on HEALTH_PORT (aiohttp, already a dependency).

/healthz answers 200 while the update loop is alive and the database answers a trivial query,
503 otherwise, with one word per check in the body, for whoever reads it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.observability.prometheus import PrometheusMetrics

logger = logging.getLogger(__name__)

DATABASE_CHECK_SECONDS = 5.0


class HealthServer:
    def __init__(
        self,
        *,
        host: str,
        port: int,
        metrics: PrometheusMetrics,
        loop_alive: Callable[[], bool],
        database_ok: Callable[[], Awaitable[bool]],
    ) -> None:
        self._host = host
        self._port = port
        self._metrics = metrics
        self._loop_alive = loop_alive
        self._database_ok = database_ok
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/metrics", self._metrics_page)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        self._runner = runner
        try:
            await web.TCPSite(runner, self._host, self._port).start()
        except OSError as error:
            await self.close()
            raise SystemExit(
                f"Cannot serve /healthz on {self._host}:{self._port}: {error.strerror or error}"
                " (check HEALTH_HOST and HEALTH_PORT)"
            ) from None
        logger.info(
            "Health and metrics on http://%s:%d/healthz and /metrics", self._host, self._port
        )

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _healthz(self, request: web.Request) -> web.Response:
        loop = self._loop_alive()
        try:
            database = await asyncio.wait_for(self._database_ok(), DATABASE_CHECK_SECONDS)
        except Exception:
            logger.warning("Health check: the database did not answer", exc_info=True)
            database = False
        body = (
            f"updates: {'ok' if loop else 'stalled'}\n"
            f"database: {'ok' if database else 'failing'}\n"
        )
        return web.Response(status=200 if loop and database else 503, text=body)

    async def _metrics_page(self, request: web.Request) -> web.Response:
        response = web.Response(body=self._metrics.render())
        response.headers["Content-Type"] = self._metrics.content_type
        return response
