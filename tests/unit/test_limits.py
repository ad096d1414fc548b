"""Per-user limits: the daily budget from the ledger, the per-minute rate in memory."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import cast
from zoneinfo import ZoneInfo

import pytest

from bot.services.limits import LimitExceeded, SpendingGuard
from bot.services.usage import day_bounds
from storage import Database, UsageRecord, UsageRepository

USER = 7
ADMIN = 1
MOSCOW = ZoneInfo("Europe/Moscow")


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def ledger(tmp_path: Path) -> AsyncIterator[UsageRepository]:
    db = await Database.open(tmp_path / "bot.sqlite3")
    yield UsageRepository(db)
    await db.close()


async def spend(ledger: UsageRepository, rub: float, user_id: int = USER) -> None:
    await ledger.record(UsageRecord(user_id, user_id, "chat", "m", cost_rub=rub))


def guard(
    ledger: UsageRepository, clock: Clock, budget: float = 0, rate: int = 0
) -> SpendingGuard:
    return SpendingGuard(ledger, budget, rate, {ADMIN}.__contains__, clock=clock, tz=MOSCOW)


async def test_a_burst_lets_exactly_the_limit_through(ledger: UsageRepository) -> None:
    clock = Clock(1_000_000.0)
    limits = guard(ledger, clock, budget=100, rate=3)

    verdicts = [await limits.take_rate_slot(USER) for _ in range(10)]

    assert sum(v is None for v in verdicts) == 3
    refused = [v for v in verdicts if v is not None]
    assert {v.kind for v in refused} == {"rate_limit"}
    assert {v.retry_after_seconds for v in refused} == {60}
    assert refused[0].limit == 3
    assert await limits.take_rate_slot(ADMIN) is None, "admins are exempt"
    assert await limits.take_rate_slot(USER + 1) is None, "limits are per user"
    assert await limits.check(USER) is None, "the budget check takes no rate slot"


async def test_the_window_slides_and_refusals_do_not_count(ledger: UsageRepository) -> None:
    clock = Clock(1_000_000.0)
    limits = guard(ledger, clock, rate=3)
    for offset in (0, 20, 40):
        clock.now = 1_000_000.0 + offset
        assert await limits.take_rate_slot(USER) is None
    clock.now = 1_000_050.0
    verdict = await limits.take_rate_slot(USER)
    assert verdict is not None and verdict.retry_after_seconds == 10
    assert verdict.resets_at == datetime.fromtimestamp(1_000_060.0, MOSCOW)

    clock.now = 1_000_060.5  # the first request left the window; the refusal never entered
    assert await limits.take_rate_slot(USER) is None
    assert await limits.take_rate_slot(USER) is not None


async def test_daily_budget_counts_todays_spend_until_local_midnight(
    ledger: UsageRepository,
) -> None:
    now = time.time()
    clock = Clock(now)
    limits = guard(ledger, clock, budget=1.0, rate=100)
    await spend(ledger, 0.6)
    assert await limits.check(USER) is None
    await spend(ledger, 5.0)  # the request let through finished past the budget
    await spend(ledger, 50.0, user_id=ADMIN)

    verdict = await limits.check(USER)
    assert verdict is not None and verdict.kind == "daily_budget"
    assert verdict.limit == Decimal("1.0")
    local = datetime.fromtimestamp(now, MOSCOW)
    assert verdict.resets_at.tzinfo is MOSCOW
    assert verdict.resets_at.date() == local.date() + timedelta(days=1)
    assert (verdict.resets_at.hour, verdict.resets_at.minute) == (0, 0)
    assert abs(verdict.retry_after_seconds - (verdict.resets_at.timestamp() - now)) <= 1
    assert await limits.check(ADMIN) is None, "admins are exempt"

    clock.now = verdict.resets_at.timestamp() + 1  # a new day: yesterday's spend is forgotten
    assert await limits.check(USER) is None


async def test_spend_exactly_at_the_budget_is_refused_and_zero_means_no_limit(
    ledger: UsageRepository,
) -> None:
    clock = Clock(time.time())
    await spend(ledger, 2.0)
    assert await guard(ledger, clock, budget=2.0).check(USER) is not None
    unlimited = guard(ledger, clock)
    assert all([await unlimited.check(USER) is None for _ in range(50)])


def test_day_bounds_follow_the_zone_and_its_clock_changes() -> None:
    moment = datetime(2026, 3, 10, 23, 30, tzinfo=ZoneInfo("UTC")).timestamp()
    start, following = day_bounds(moment, MOSCOW)  # 02:30 on the 11th in Moscow
    assert start == datetime(2026, 3, 11, tzinfo=MOSCOW)
    assert following == datetime(2026, 3, 12, tzinfo=MOSCOW)

    berlin = ZoneInfo("Europe/Berlin")
    spring = datetime(2026, 3, 29, 12, tzinfo=berlin).timestamp()
    start, following = day_bounds(spring, berlin)
    assert following.timestamp() - start.timestamp() == 23 * 3600


class LedgerEndingACall:
    """A ledger whose spend read lets another call end right after it: that call's row is
    written and its hold released before the reservation goes on (what another replica or
    task may do)."""

    def __init__(self, ledger: UsageRepository) -> None:
        self._ledger = ledger
        self.ending: Callable[[], Awaitable[None]] | None = None

    async def total_cost(self, user_id: int, since: float) -> float:
        spent = await self._ledger.total_cost(user_id, since=since)
        ending, self.ending = self.ending, None
        if ending is not None:
            await ending()
        return spent

    async def spent_by_everyone(self, since: float) -> float:
        return await self._ledger.spent_by_everyone(since)


async def test_a_call_that_ends_during_a_reservation_still_counts(
    ledger: UsageRepository,
) -> None:
    clock = Clock(time.time())
    racing = LedgerEndingACall(ledger)
    limits = SpendingGuard(
        cast(UsageRepository, racing), 10, 0, {ADMIN}.__contains__, clock=clock, tz=MOSCOW
    )
    first = await limits.reserve(USER, Decimal(6))

    async def first_call_ends() -> None:
        await spend(ledger, 6)  # the row is written before the hold goes
        await first.release()

    racing.ending = first_call_ends
    with pytest.raises(LimitExceeded):
        await limits.reserve(USER, Decimal(6))  # 6 spent + 6 would pass 10
    assert await limits.reserved(USER) == 0, "the refused reservation holds nothing"
