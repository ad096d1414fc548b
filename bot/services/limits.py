"""Spending limits: budgets held as reservations, and a rate limit taken on arrival.

* Daily budget (`DAILY_BUDGET_RUB`, per user; admins, from settings or paired, are exempt) and
  global daily budget (`GLOBAL_DAILY_BUDGET_RUB`, everyone together, admins included): the
  spend since local midnight is read from the usage ledger, so it survives restarts. Every
  billed call first reserves its worst-case cost (`reserve`); it is refused when spent +
  reserved + that cost would pass a budget, so parallel conversations of one user cannot
  overshoot. The hold is released once the call's ledger row is written
  (bot.services.metering). `check` refuses early once the daily budget is spent.
* One request (`MAX_REQUEST_COST_RUB`): a call whose worst case is above it is refused.
* Rate (`RATE_LIMIT_PER_MINUTE`): a sliding 60-second window. The slot is taken
  when a message that would reach Polza *arrives* (`take_rate_slot`, called by the conversation
  ordering middleware before the message queues), so a burst sent while earlier answers are
  still streaming is refused at once instead of waiting and being answered later.

Holds and rate windows live in a `LimitState`: this process's memory (they start empty after a
restart), or Redis with REDIS_URL, shared by every replica (bot.services.limit_state).
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from decimal import Decimal
from typing import Literal

from bot.services.limit_state import LimitState, MemoryLimitState
from bot.services.usage import day_bounds
from storage import UsageRepository

WINDOW_SECONDS = 60.0

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
    """Rubles reserved for one call in flight; `release` once its ledger row is written. With
    no budget to count it against nothing is held (`token` None)."""

    def __init__(
        self, state: LimitState, user_id: int, amount: Decimal, token: str | None
    ) -> None:
        self._state = state
        self._user_id = user_id
        self.amount = amount
        self._token = token
        self._released = False

    async def release(self) -> None:
        if not self._released:
            self._released = True
            if self._token is not None:
                await self._state.release(self._user_id, self._token)


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
        state: LimitState | None = None,
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
        self._state: LimitState = state or MemoryLimitState()

    async def reserve(self, user_id: int, amount: Decimal) -> Hold:
        """Hold `amount` for one call, or raise `LimitExceeded` if it would pass a limit."""
        now = self._clock()
        start, next_start = day_bounds(now, self._tz)
        until_midnight = max(1, math.ceil(next_start.timestamp() - now))
        if self._max_request > 0 and amount > self._max_request:
            raise LimitExceeded(
                LimitVerdict("request_cost", next_start, until_midnight, self._max_request, amount)
            )
        budgeted = self._budget > 0 and not self._is_admin(user_id)
        if self._global_budget <= 0 and not budgeted:
            return Hold(self._state, user_id, amount, None)  # no budget to count it against
        # Hold first, then read the spend. A call ending meanwhile writes its ledger row before
        # it releases its hold, so its cost is in the holds summed with ours or in the spend
        # read after (never in neither); of two reservations on any replicas, the later one
        # counts the earlier one's hold. A refused reservation gives its hold back.
        token, held, held_total = await self._state.hold(user_id, amount)
        hold = Hold(self._state, user_id, amount, token)
        try:
            if self._global_budget > 0:
                spent = Decimal(str(await self._ledger.spent_by_everyone(start.timestamp())))
                if spent + held_total > self._global_budget:
                    raise LimitExceeded(
                        LimitVerdict(
                            "global_budget", next_start, until_midnight, self._global_budget
                        )
                    )
            if budgeted:
                spent = Decimal(
                    str(await self._ledger.total_cost(user_id, since=start.timestamp()))
                )
                if spent + held > self._budget:
                    raise LimitExceeded(
                        LimitVerdict("daily_budget", next_start, until_midnight, self._budget)
                    )
        except BaseException:
            await asyncio.shield(hold.release())
            raise
        return hold

    async def reserved(self, user_id: int) -> Decimal:
        return (await self._state.held(user_id))[0]

    @property
    def rate_limited(self) -> bool:
        return self._rate > 0

    async def check(self, user_id: int) -> LimitVerdict | None:
        """The daily budget, right before a Polza call: None to go ahead, or why not."""
        if self._is_admin(user_id) or self._budget <= 0:
            return None
        return await self._daily_budget(user_id)

    async def take_rate_slot(self, user_id: int) -> LimitVerdict | None:
        """Count one request that would reach Polza: None to go ahead, or why not.

        Checking and counting are one step of the state (they cannot interleave with another
        arrival, in this process or another replica).
        """
        if self._is_admin(user_id) or self._rate <= 0:
            return None
        now = self._clock()
        frees_at = await self._state.take_slot(user_id, now, self._rate, WINDOW_SECONDS)
        if frees_at is None:
            return None
        return LimitVerdict(
            kind="rate_limit",
            resets_at=datetime.fromtimestamp(frees_at, self._tz),
            # Clamped: a concurrent arrival's entry may carry a clock reading just after ours.
            retry_after_seconds=max(1, min(math.ceil(frees_at - now), int(WINDOW_SECONDS))),
            limit=Decimal(self._rate),
        )

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
