"""The operational side of one bot process, built and owned by the composition root.

Metrics, the answer journal and admin alerts exist from the start (the Polza client reports
to them); the health server and the balance watch start with polling and close at shutdown.
"""

from __future__ import annotations

import logging
import ssl
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import httpx2

from bot.config import Settings
from bot.observability.alerts import AdminAlerts, Alert, Send
from bot.observability.answers import AnswerJournal
from bot.observability.balance_watch import BalanceSource, BalanceWatch
from bot.observability.metrics import Metrics
from bot.observability.polza_http import watched_http_client

if TYPE_CHECKING:
    from bot.observability.health import HealthServer
    from bot.observability.prometheus import PrometheusMetrics

logger = logging.getLogger(__name__)


def _prometheus(settings: Settings) -> PrometheusMetrics | None:
    """Metrics to serve on HEALTH_PORT; none without it (nobody could read them)."""
    if not settings.health_port:
        return None
    from prometheus_client import CollectorRegistry

    from bot.observability.prometheus import PrometheusMetrics

    return PrometheusMetrics(CollectorRegistry())


class Operations:
    def __init__(self, settings: Settings, *, database_ok: Callable[[], Awaitable[bool]]) -> None:
        self._settings = settings
        self._database_ok = database_ok
        self._prometheus = _prometheus(settings)
        self.metrics: Metrics = self._prometheus or Metrics()
        self.journal = AnswerJournal(self.metrics)
        self.alerts = AdminAlerts(self._send, metrics=self.metrics)
        self._sender: Send | None = None
        self._health: HealthServer | None = None
        self._balance_watch: BalanceWatch | None = None

    def polza_http_client(self, tls: ssl.SSLContext | None = None) -> httpx2.AsyncClient:
        return watched_http_client(self.metrics, self.alerts, tls)

    def deliver_alerts_with(self, sender: Send) -> None:
        """Alerts go out through `sender` from now on (it needs the bot, made later)."""
        self._sender = sender

    async def start(
        self,
        *,
        loop_alive: Callable[[], bool],
        balance: BalanceSource,
    ) -> None:
        settings = self._settings
        if self._prometheus is not None:  # HEALTH_PORT is set
            from bot.observability.health import HealthServer  # aiohttp's server only if used

            self._health = HealthServer(
                host=settings.health_host,
                port=settings.health_port,
                metrics=self._prometheus,
                loop_alive=loop_alive,
                database_ok=self._database_ok,
            )
            await self._health.start()
        if settings.balance_alert_rub > 0 and settings.balance_check_interval_seconds > 0:
            self._balance_watch = BalanceWatch(
                balance,
                self.alerts,
                self.metrics,
                threshold_rub=settings.balance_alert_rub,
                interval_seconds=settings.balance_check_interval_seconds,
            )
            self._balance_watch.start()

    async def close(self) -> None:
        if self._balance_watch is not None:
            await self._balance_watch.close()
        await self.alerts.close()
        if self._health is not None:
            await self._health.close()

    async def _send(self, alert: Alert) -> None:
        if self._sender is None:
            logger.warning("Alert %s raised before the bot could send it", alert.kind.value)
            return
        await self._sender(alert)
