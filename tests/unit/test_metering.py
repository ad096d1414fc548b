"""The one metering path: reserve → call → record, whatever the call's outcome."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from bot.services.catalogue import Catalogue, ModelInfo, parse_models
from bot.services.limits import LimitExceeded, SpendingGuard
from bot.services.metering import Charge, Meter, RowWriter, chat_ceiling
from bot.services.polza_shapes import PolzaUsage, polza_decimal
from storage import ConversationKey, Database, MessageRepository, UsageRepository
from storage.db import Transaction
from tests.unit.conftest import make_meter

MODEL = "lab/chat"
ALICE, BOB, ADMIN = 1, 2, 99
KEY = ConversationKey(ALICE, ALICE, 0)


class Prices:
    def __init__(self) -> None:
        entry = {
            "id": MODEL,
            "name": "Lab chat",
            "type": "chat",
            "architecture": {"input_modalities": ["text"], "output_modalities": ["text"]},
            "top_provider": {
                "context_length": 100_000,
                "pricing": {"prompt_per_million": "100", "completion_per_million": "400"},
            },
        }
        self.snapshot = Catalogue(parse_models([entry]), fetched_at=0.0)

    def cached(self) -> Catalogue | None:
        return self.snapshot

    async def get(self) -> Catalogue:
        return self.snapshot


def guard(db: Database, *, daily: float) -> SpendingGuard:
    return SpendingGuard(UsageRepository(db), daily, 0, (ADMIN,))


async def rows(db: Database) -> list[tuple[object, ...]]:
    return [
        tuple(row)
        for row in await db.fetch_all(
            "SELECT user_id, kind, cost_rub, estimated FROM usage ORDER BY id", ()
        )
    ]


def test_polza_numbers_come_as_numbers_or_strings() -> None:
    assert polza_decimal("1.40") == Decimal("1.40")
    assert polza_decimal(2) == Decimal(2)
    assert polza_decimal(" 0.5 ") == Decimal("0.5")
    assert polza_decimal(True) is None
    assert polza_decimal("nan") is None
    assert polza_decimal("-1") is None
    assert polza_decimal("-1", allow_negative=True) == Decimal(-1)
    usage = PolzaUsage.read(
        {
            "prompt_tokens": "10",
            "completion_tokens": 20,
            "cost": "0.25",
            "completion_tokens_details": {"reasoning_tokens": 15},
        }
    )
    assert usage == PolzaUsage(
        prompt_tokens=10, completion_tokens=20, reasoning_tokens=15, cost_rub=0.25
    )


async def test_a_call_that_was_sent_is_recorded_even_when_it_fails(db: Database) -> None:
    meter = make_meter(db)
    with pytest.raises(RuntimeError):
        async with meter.call(Charge("chat", ALICE, ALICE, MODEL), ceiling=None) as charge:
            charge.sent = True
            charge.note_usage(PolzaUsage(cost_rub=12.5))
            raise RuntimeError("the stream broke after Polza billed")
    assert await rows(db) == [(ALICE, "chat", 12.5, 0)]


async def test_a_call_refused_by_polza_before_any_work_is_not_recorded(
    db: Database,
) -> None:
    meter = make_meter(db)
    async with meter.call(Charge("chat", ALICE, ALICE, MODEL), ceiling=None) as charge:
        charge.sent, charge.refused = True, True
    assert await rows(db) == []


async def test_without_a_cost_the_estimate_counts_reasoning_and_is_marked(
    db: Database,
) -> None:
    meter = make_meter(db, Prices())
    async with meter.call(Charge("chat", ALICE, ALICE, MODEL), ceiling=None) as charge:
        charge.sent = True
        charge.prompt_chars = 4_000  # ~1000 tokens at 100 ₽ per million
        charge.output_chars = 8_000  # reasoning and text: ~2000 tokens at 400 ₽ per million
    ((user, kind, cost, estimated),) = await rows(db)
    assert (user, kind, estimated) == (ALICE, "chat", 1)
    assert cost == pytest.approx(0.1 + 0.8)


async def test_an_unknown_price_is_never_zero(db: Database) -> None:
    meter = make_meter(db)
    async with meter.call(Charge("image", BOB, BOB, "unknown/model"), ceiling=None) as charge:
        charge.sent = True
    assert await rows(db) == [(BOB, "image", 5.0, 1)]


async def test_a_cancelled_call_is_still_recorded(db: Database) -> None:
    meter = make_meter(db)
    started = asyncio.Event()

    async def streaming() -> None:
        async with meter.call(Charge("chat", ALICE, ALICE, MODEL), ceiling=None) as charge:
            charge.sent = True
            charge.note_usage(PolzaUsage(cost_rub=0.7))
            started.set()
            await asyncio.sleep(60)

    task = asyncio.create_task(streaming())
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await rows(db) == [(ALICE, "chat", 0.7, 0)]


async def test_a_row_handed_over_is_written_with_its_answer_or_alone_and_held_until_then(
    db: Database,
) -> None:
    limits = guard(db, daily=10)
    meter = make_meter(db, guard=limits)
    taken: list[RowWriter] = []

    def take(writer: RowWriter) -> bool:
        taken.append(writer)
        return True

    async def call() -> None:
        charge = Charge("chat", ALICE, ALICE, MODEL, handover=take)
        async with meter.call(charge, ceiling=Decimal(4)):
            charge.sent = True
            charge.note_usage(PolzaUsage(cost_rub=1.5))

    async def answer(tx: Transaction) -> int:
        ids = await MessageRepository(db).append_exchange(KEY, "q", "a", MODEL, None, within=tx)
        return ids.answer

    async def disk_full(tx: Transaction) -> int:
        raise OSError("database or disk is full")

    await call()
    await call()
    assert await rows(db) == [] and await limits.reserved(ALICE) == 8  # held until written
    await taken[0](answer)
    with pytest.raises(OSError):
        await taken[1](disk_full)
    assert await rows(db) == [(ALICE, "chat", 1.5, 0)] * 2  # the second one alone
    links = await db.fetch_all(
        "SELECT u.message_id, m.role FROM usage u"
        " LEFT JOIN messages m ON m.id = u.message_id ORDER BY u.id"
    )
    assert [tuple(row) for row in links] == [(links[0][0], "assistant"), (None, None)]
    assert await limits.reserved(ALICE) == 0


async def test_parallel_calls_of_one_user_cannot_overshoot_the_budget(
    db: Database,
) -> None:
    limits = guard(db, daily=10)
    meter = make_meter(db, guard=limits)
    entered = 0
    release = asyncio.Event()

    async def call() -> None:
        nonlocal entered
        async with meter.call(Charge("chat", ALICE, ALICE, MODEL), ceiling=Decimal(4)) as c:
            entered += 1
            await release.wait()
            c.sent = True
            c.note_usage(PolzaUsage(cost_rub=4.0))

    tasks = [asyncio.create_task(call()) for _ in range(6)]
    await asyncio.sleep(0.05)
    release.set()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    refused = [r for r in results if isinstance(r, LimitExceeded)]
    assert entered == 2 and len(refused) == 4
    assert refused[0].verdict.kind == "daily_budget"
    assert await limits.reserved(ALICE) == 0
    assert sum(float(str(r[2])) for r in await rows(db)) == pytest.approx(8.0)


async def test_spending_recorded_earlier_counts_against_the_budget(db: Database) -> None:
    meter = make_meter(db, guard=guard(db, daily=5))
    for _ in range(2):  # answers billed although they came back empty
        async with meter.call(Charge("chat", ALICE, ALICE, MODEL), ceiling=Decimal(1)) as c:
            c.sent = True
            c.note_usage(PolzaUsage(cost_rub=2.5))
    with pytest.raises(LimitExceeded):
        async with meter.call(Charge("chat", ALICE, ALICE, MODEL), ceiling=Decimal(1)):
            pytest.fail("the call must not start")
    assert len(await rows(db)) == 2  # the third is refused before it is sent


async def test_the_global_budget_counts_admins_and_the_request_cap_refuses_early(
    db: Database,
) -> None:
    limits = SpendingGuard(
        UsageRepository(db), 0, 0, (ADMIN,), global_budget_rub=3, max_request_rub=2
    )
    meter: Meter = make_meter(db, guard=limits)
    async with meter.call(Charge("chat", ADMIN, ADMIN, MODEL), ceiling=Decimal(1)) as c:
        c.sent = True
        c.note_usage(PolzaUsage(cost_rub=2.5))
    with pytest.raises(LimitExceeded) as refused:
        async with meter.call(Charge("chat", BOB, BOB, MODEL), ceiling=Decimal(1)):
            pass
    assert refused.value.verdict.kind == "global_budget"
    with pytest.raises(LimitExceeded) as too_big:
        async with meter.call(Charge("chat", ADMIN, ADMIN, MODEL), ceiling=Decimal(50)):
            pass
    assert too_big.value.verdict.kind == "request_cost"
    assert too_big.value.verdict.requested == Decimal(50)


def test_the_chat_ceiling_counts_the_prompt_and_the_whole_answer_budget() -> None:
    info: ModelInfo = Prices().snapshot.get(MODEL)  # type: ignore[assignment]
    ceiling = chat_ceiling(info, prompt_tokens=10_000, max_tokens=4_096)
    assert ceiling == Decimal(100) * 10_000 / 1_000_000 + Decimal(400) * 4_096 / 1_000_000
    assert chat_ceiling(None, prompt_tokens=1, max_tokens=1) is None
