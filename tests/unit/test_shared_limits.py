"""Limits shared through a real Redis (REDIS_URL): two guards, as two replicas, over one
ledger count one rate window and one set of budget holds."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path

import pytest
from redis.asyncio import Redis

from bot.services.limit_state import RedisLimitState
from bot.services.limits import LimitExceeded, SpendingGuard
from storage import Database, UsageRecord, UsageRepository
from tests.support import updates
from tests.support.servers import RedisServer
from tests.unit.inprocess import running_bot

USER = 7


def replicas(db: Database, redis: Redis, **limits: float) -> list[SpendingGuard]:
    return [
        SpendingGuard(
            UsageRepository(db),
            limits.get("budget", 0),
            int(limits.get("rate", 0)),
            (),
            state=RedisLimitState(redis),
        )
        for _ in range(2)
    ]


async def test_the_rate_window_is_counted_once_over_replicas(
    store: Database, redis: Redis
) -> None:
    first, second = replicas(store, redis, rate=3)
    verdicts = await asyncio.gather(*(guard.take_rate_slot(USER) for guard in (first, second) * 5))
    assert sum(v is None for v in verdicts) == 3
    refused = [v for v in verdicts if v is not None]
    assert {v.kind for v in refused} == {"rate_limit"}
    assert all(1 <= v.retry_after_seconds <= 60 for v in refused)
    assert await first.take_rate_slot(USER + 1) is None, "per user"


async def test_budget_holds_are_seen_by_every_replica(store: Database, redis: Redis) -> None:
    first, second = replicas(store, redis, budget=5)
    await UsageRepository(store).record(UsageRecord(USER, USER, "chat", "m", cost_rub=1))
    hold = await first.reserve(USER, Decimal(3))
    with pytest.raises(LimitExceeded) as refused:
        await second.reserve(USER, Decimal(2))  # 1 spent + 3 held elsewhere + 2 > 5
    assert refused.value.verdict.kind == "daily_budget"
    assert await second.reserved(USER) == Decimal(3)
    await hold.release()
    assert await second.reserved(USER) == 0
    await (await second.reserve(USER, Decimal(2))).release()


async def test_replicas_reserving_at_once_never_pass_the_budget(
    store: Database, redis: Redis
) -> None:
    first, second = replicas(store, redis, budget=5)
    tries = [guard.reserve(USER, Decimal("0.7")) for guard in (first, second) * 5]
    outcomes = await asyncio.gather(*tries, return_exceptions=True)
    assert sum(not isinstance(o, LimitExceeded) for o in outcomes) == 7  # 7 × 0.7 ≤ 5
    assert await first.reserved(USER) == Decimal("4.9")


async def test_the_bot_runs_with_redis(
    tmp_path: Path, redis_server: RedisServer, redis: Redis
) -> None:
    async with running_bot(tmp_path, redis_url=redis_server.url, rate_limit_per_minute=1) as bot:
        await bot.send(updates.private_text(USER, "one"))
        await bot.send(updates.private_text(USER, "two"))
        texts = bot.session.sent_texts(USER)
        assert texts[0] == "Echo: one" and len(texts) == 2 and "Echo" not in texts[1]
