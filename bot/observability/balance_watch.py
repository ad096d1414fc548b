"""Checks the Polza balance every few minutes and alerts the admins when it runs low."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Protocol

from bot.observability.alerts import AdminAlerts, AlertKind
from bot.observability.metrics import Metrics
from bot.services.balance import Balance
from bot.services.errors import PolzaError

logger = logging.getLogger(__name__)


class BalanceSource(Protocol):
    """`BalanceService`, as far as the watch needs it."""

    async def fetch(self) -> Balance: ...


class BalanceWatch:
    """An owned background task: `start()` once, `close()` at shutdown."""

    def __init__(
        self,
        balance: BalanceSource,
        alerts: AdminAlerts,
        metrics: Metrics,
        *,
        threshold_rub: float,
        interval_seconds: float,
    ) -> None:
        self._balance = balance
        self._alerts = alerts
        self._metrics = metrics
        self._threshold = threshold_rub
        self._interval = interval_seconds
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="balance-watch")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def check(self) -> None:
        try:
            found = await self._balance.fetch()
        except PolzaError as error:
            # A rejected key alerts by itself (every Polza response is watched).
            logger.warning("Balance check failed: %s", error.log_fields())
            return
        spendable = found.available if found.available is not None else found.amount
        self._metrics.balance(float(spendable))
        if spendable < self._threshold:
            self._alerts.raise_alert(
                AlertKind.LOW_BALANCE,
                balance=f"{spendable:.2f}",
                threshold=f"{self._threshold:.2f}",
            )

    async def _run(self) -> None:
        while True:
            try:
                await self.check()
            except Exception:  # the watch must outlive any one failed check
                logger.exception("Balance check crashed")
            await asyncio.sleep(self._interval)
