"""Per-user spending limits, checked right before each Polza call. Admins are exempt.

* Daily budget (`DAILY_BUDGET_RUB`): the user's spend since local midnight is read from the
  usage ledger, so it survives restarts. Once it reaches the budget, requests are refused
  until the next midnight in the bot's time zone. A request let through before that finishes
  even if it takes the spend past the budget.
* Rate (`RATE_LIMIT_PER_MINUTE`): a sliding 60-second window kept in memory and updated at
  check time, so a request counts from the moment it starts and a quick burst cannot slip
  through while earlier answers are still streaming. It starts empty after a restart.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from decimal import Decimal
from typing import Literal

from bot.services.usage import day_bounds
from storage import UsageRepository

WINDOW_SECONDS = 60.0
# Idle users' windows are swept once this many users have one.
SWEEP_AFTER_USERS = 1024

LimitKind = Literal["daily_budget", "rate_limit"]


@dataclass(frozen=True, slots=True)
class LimitVerdict:
    """Why a request was refused and when the user may try again."""

    kind: LimitKind
    resets_at: datetime  # aware, in the bot's time zone
    retry_after_seconds: int
    limit: Decimal  # the budget in rubles, or the number of requests per minute


class SpendingGuard:
    def __init__(
        self,
        usage_repo: UsageRepository,
        daily_budget_rub: Decimal | float,
        rate_limit_per_minute: int,
        admin_ids: Iterable[int],
        clock: Callable[[], float] = time.time,
        tz: tzinfo = UTC,
    ) -> None:
        self._ledger = usage_repo
        self._budget = Decimal(str(daily_budget_rub))
        self._rate = rate_limit_per_minute
        self._admins = frozenset(admin_ids)
        self._clock = clock
        self._tz = tz
        self._recent: dict[int, deque[float]] = {}

    async def check(self, user_id: int) -> LimitVerdict | None:
        """None to go ahead (the request is then counted), or why not."""
        if user_id in self._admins:
            return None
        if self._budget > 0:
            verdict = await self._daily_budget(user_id)
            if verdict is not None:
                return verdict
        # No await from here on: checking and counting must not interleave with another check.
        return self._take_rate_slot(user_id) if self._rate > 0 else None

    async def _daily_budget(self, user_id: int) -> LimitVerdict | None:
        now = self._clock()
        start, next_start = day_bounds(now, self._tz)
        spent = Decimal(str(await self._ledger.total_cost(user_id, since=start.timestamp())))
        if spent < self._budget:
            return None
        return LimitVerdict(
            kind="daily_budget",
            resets_at=next_start,
            retry_after_seconds=max(1, math.ceil(next_start.timestamp() - now)),
            limit=self._budget,
        )

    def _take_rate_slot(self, user_id: int) -> LimitVerdict | None:
        now = self._clock()
        if len(self._recent) >= SWEEP_AFTER_USERS:
            self._sweep(now)
        window = self._recent.setdefault(user_id, deque())
        while window and window[0] <= now - WINDOW_SECONDS:
            window.popleft()
        if len(window) < self._rate:
            window.append(now)
            return None
        frees_at = window[0] + WINDOW_SECONDS
        return LimitVerdict(
            kind="rate_limit",
            resets_at=datetime.fromtimestamp(frees_at, self._tz),
            retry_after_seconds=max(1, math.ceil(frees_at - now)),
            limit=Decimal(self._rate),
        )

    def _sweep(self, now: float) -> None:
        cutoff = now - WINDOW_SECONDS
        for user_id in [u for u, w in self._recent.items() if not w or w[-1] <= cutoff]:
            del self._recent[user_id]
