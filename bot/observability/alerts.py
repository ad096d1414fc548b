"""Telling the admins when the bot cannot work for everyone: at most once an hour per kind.

`AdminAlerts` decides *whether* an alert goes out (throttling, the unexpected-error window);
delivery is the injected `send` (Telegram messages to every admin, in practice). Sending runs
in tasks this object owns, so whoever raises an alert is never held up by it; `close()` lets
them finish briefly at shutdown.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

from bot.observability.metrics import Metrics

logger = logging.getLogger(__name__)

ALERT_INTERVAL_SECONDS = 3600.0
# "Repeated unexpected errors": this many within this window.
ERROR_THRESHOLD = 3
ERROR_WINDOW_SECONDS = 600.0
CLOSE_GRACE_SECONDS = 5.0


class AlertKind(enum.StrEnum):
    POLZA_AUTH = "polza_auth"  # Polza rejected the API key (401/403)
    POLZA_BALANCE = "polza_balance"  # Polza refused for lack of money (402)
    LOW_BALANCE = "low_balance"  # the balance fell under BALANCE_ALERT_RUB
    ERRORS = "errors"  # repeated unexpected errors


@dataclass(frozen=True, slots=True)
class Alert:
    kind: AlertKind
    details: Mapping[str, str] = field(default_factory=dict)


Send = Callable[[Alert], Awaitable[None]]


class AdminAlerts:
    def __init__(
        self,
        send: Send,
        *,
        clock: Callable[[], float] = time.monotonic,
        interval: float = ALERT_INTERVAL_SECONDS,
        error_threshold: int = ERROR_THRESHOLD,
        error_window: float = ERROR_WINDOW_SECONDS,
        metrics: Metrics | None = None,
    ) -> None:
        self._send = send
        self._clock = clock
        self._interval = interval
        self._error_threshold = error_threshold
        self._error_window = error_window
        self._metrics = metrics
        self._last_sent: dict[AlertKind, float] = {}
        self._errors: deque[float] = deque()
        self._tasks: set[asyncio.Task[None]] = set()

    def raise_alert(self, kind: AlertKind, **details: str) -> bool:
        """Send `kind` to the admins unless it went out less than an hour ago; True if sent."""
        now = self._clock()
        last = self._last_sent.get(kind)
        if last is not None and now - last < self._interval:
            return False
        self._last_sent[kind] = now
        logger.warning("Alerting the admins: %s %s", kind.value, dict(details))
        if self._metrics is not None:
            self._metrics.alert_sent(kind.value)
        task = asyncio.create_task(self._deliver(Alert(kind, dict(details))))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return True

    def unexpected_error(self) -> bool:
        """Count an unexpected error; alert when they repeat. True if an alert went out."""
        if self._metrics is not None:
            self._metrics.unexpected_error()
        now = self._clock()
        self._errors.append(now)
        while self._errors and now - self._errors[0] > self._error_window:
            self._errors.popleft()
        if len(self._errors) < self._error_threshold:
            return False
        count = len(self._errors)
        minutes = round(self._error_window / 60)
        return self.raise_alert(AlertKind.ERRORS, count=str(count), minutes=str(minutes))

    async def drain(self) -> None:
        """Wait for the alerts being sent."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def close(self, grace: float = CLOSE_GRACE_SECONDS) -> None:
        if not self._tasks:
            return
        _, late = await asyncio.wait(set(self._tasks), timeout=grace)
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)

    async def _deliver(self, alert: Alert) -> None:
        try:
            await self._send(alert)
        except Exception:
            logger.exception("Could not send the %s alert", alert.kind.value)
