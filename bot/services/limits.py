"""Spending limits: budgets held as reservations, and a rate limit taken on arrival.

* Daily budget (`DAILY_BUDGET_RUB`, per user; admins, from settings or paired, are exempt) and
  global daily budget (`GLOBAL_DAILY_BUDGET_RUB`, everyone together, admins included): the
  spend since local midnight is read from the usage ledger, so it survives restarts. Every
  billed call first reserves its worst-case cost (`reserve`); it is refused when spent +
  reserved + that cost would pass a budget, so parallel conversations of one user cannot
  overshoot. The hold is released once the call's ledger row is written
  (bot.services.metering). `check` refuses early once the daily budget is spent.
* One request (`MAX_REQUEST_COST_RUB`): a call whose worst case is above it is refused.
* Rate (`RATE_LIMIT_PER_MINUTE`): a sliding 60-second window kept in memory. The slot is taken
  when a message that would reach Polza *arrives* (`take_rate_slot`, called by the conversation
  ordering middleware before the message queues), so a burst sent while earlier answers are
  still streaming is refused at once instead of waiting and being answered later. It starts
  empty after a restart.
"""

from __future__ import annotations

import asyncio
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

LimitKind = Literal["daily_budget", "rate_limit", "global_budget", "request_cost"]


@dataclass(frozen=True, slots=True)
class LimitVerdict:
    """Why a request was refused and when the user may try again."""

    kind: LimitKind
    resets_at: datetime  # aware, in the bot's time zone
    retry_after_seconds: int
    limit: Decimal  # the budget in rubles, or the number of requests per minute
    requested: Decimal | None = None  # what the refused call could have cost (request_cost)


class LimitExceeded(Exception):
    """A billed call was refused before it reached Polza."""

    def __init__(self, verdict: LimitVerdict) -> None:
        super().__init__(verdict.kind)
        self.verdict = verdict


class Hold:
    """Rubles reserved for one call in flight; `release` once its ledger row is written."""

    def __init__(self, guard: SpendingGuard, user_id: int, amount: Decimal) -> None:
        self._guard = guard
        self._user_id = user_id
        self.amount = amount
        self._released = False

    def release(self) -> None:
        if not self._released:
            self._released = True
            self._guard._release(self._user_id, self.amount)


class SpendingGuard:
    def __init__(
        self,
        usage_repo: UsageRepository,
        daily_budget_rub: Decimal | float,
        rate_limit_per_minute: int,
        admins: Iterable[int] | Callable[[int], bool],
        clock: Callable[[], float] = time.time,
        tz: tzinfo = UTC,
        *,
        global_budget_rub: Decimal | float = 0,
        max_request_rub: Decimal | float = 0,
    ) -> None:
        self._ledger = usage_repo
        self._budget = Decimal(str(daily_budget_rub))
        self._global_budget = Decimal(str(global_budget_rub))
        self._max_request = Decimal(str(max_request_rub))
        self._rate = rate_limit_per_minute
        # A callable sees admins paired at runtime too (AccessPolicy.is_admin).
        self._is_admin = admins if callable(admins) else frozenset(admins).__contains__
        self._clock = clock
        self._tz = tz
        self._recent: dict[int, deque[float]] = {}
        self._reserved: dict[int, Decimal] = {}
        self._reserved_total = Decimal(0)
        # Reading the spend and adding a hold must not interleave with another reservation.
        self._reserving = asyncio.Lock()

    async def reserve(self, user_id: int, amount: Decimal) -> Hold:
        """Hold `amount` for one call, or raise `LimitExceeded` if it would pass a limit."""
        now = self._clock()
        start, next_start = day_bounds(now, self._tz)
        until_midnight = max(1, math.ceil(next_start.timestamp() - now))
        if self._max_request > 0 and amount > self._max_request:
            raise LimitExceeded(
                LimitVerdict("request_cost", next_start, until_midnight, self._max_request, amount)
            )
        async with self._reserving:
            if self._global_budget > 0:
                spent = Decimal(str(await self._ledger.spent_by_everyone(start.timestamp())))
                if spent + self._reserved_total + amount > self._global_budget:
                    raise LimitExceeded(
                        LimitVerdict(
                            "global_budget", next_start, until_midnight, self._global_budget
                        )
                    )
            if self._budget > 0 and not self._is_admin(user_id):
                spent = Decimal(
                    str(await self._ledger.total_cost(user_id, since=start.timestamp()))
                )
                held = self._reserved.get(user_id, Decimal(0))
                if spent + held + amount > self._budget:
                    raise LimitExceeded(
                        LimitVerdict("daily_budget", next_start, until_midnight, self._budget)
                    )
            self._reserved[user_id] = self._reserved.get(user_id, Decimal(0)) + amount
            self._reserved_total += amount
        return Hold(self, user_id, amount)

    def reserved(self, user_id: int) -> Decimal:
        return self._reserved.get(user_id, Decimal(0))

    def _release(self, user_id: int, amount: Decimal) -> None:
        left = self._reserved.get(user_id, Decimal(0)) - amount
        if left > 0:
            self._reserved[user_id] = left
        else:
            self._reserved.pop(user_id, None)
        self._reserved_total = max(Decimal(0), self._reserved_total - amount)

    @property
    def rate_limited(self) -> bool:
        return self._rate > 0

    async def check(self, user_id: int) -> LimitVerdict | None:
        """The daily budget, right before a Polza call: None to go ahead, or why not."""
        if self._is_admin(user_id) or self._budget <= 0:
            return None
        return await self._daily_budget(user_id)

    def take_rate_slot(self, user_id: int) -> LimitVerdict | None:
        """Count one request that would reach Polza: None to go ahead, or why not.

        Synchronous on purpose: checking and counting cannot interleave with another arrival.
        """
        if self._is_admin(user_id) or self._rate <= 0:
            return None
        return self._rate_slot(user_id)

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

    def _rate_slot(self, user_id: int) -> LimitVerdict | None:
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
