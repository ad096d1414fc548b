"""The usage ledger's reports and estimates, their texts, and the admin balance call."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, cast
from zoneinfo import ZoneInfo

import pytest
from aiogram_i18n import I18nContext
from aiogram_i18n.cores import FluentRuntimeCore
from aiohttp import web
from aiohttp.test_utils import TestServer
from openai import AsyncOpenAI

from bot.i18n import LOCALES_DIR
from bot.services.balance import Balance, BalanceService
from bot.services.catalogue import Catalogue, CatalogueUnavailable, parse_models
from bot.services.errors import PolzaError, PolzaErrorKind
from bot.services.limits import LimitVerdict
from bot.services.usage import UsageService, rub_amount
from bot.telegram.usage_texts import cost_line, limit_text
from handlers.admin import stats_text
from handlers.usage import report_text
from storage import Database, UsageRecord, UsageRepository, UserRepository

ALICE = 5
BOB = 6

MODELS = parse_models(
    [
        {
            "id": "lab/chat",
            "type": "chat",
            "pricing": {"prompt_per_million": "100", "completion_per_million": "400"},
        },
        {"id": "lab/whisper", "type": "stt", "pricing": {"stt_per_minute": "0.60"}},
        {"id": "lab/painter", "type": "image", "pricing": {"per_request": "3.00"}},
        {"id": "lab/free-for-all", "type": "chat", "pricing": {}},
    ]
)


class Prices:
    """A catalogue that is either loaded, loads on demand, or is unavailable."""

    def __init__(self, *, cached: bool = True, available: bool = True) -> None:
        self.snapshot = Catalogue(MODELS, fetched_at=0.0)
        self.loaded = cached
        self.available = available

    def cached(self) -> Catalogue | None:
        return self.snapshot if self.loaded else None

    async def get(self) -> Catalogue:
        if not self.available:
            raise CatalogueUnavailable("down")
        self.loaded = True
        return self.snapshot


class Texts:
    """The part of `I18nContext` that `tr` uses, over the real catalogues."""

    def __init__(self, core: FluentRuntimeCore, locale: str) -> None:
        self.core = core
        self.locale = locale

    def get(self, key: str, /, **values: Any) -> str:
        return self.core.get(key, self.locale, **values)


@pytest.fixture
async def texts() -> dict[str, I18nContext]:
    core = FluentRuntimeCore(path=LOCALES_DIR / "{locale}", default_locale="en")
    await core.startup()
    return {lang: cast(I18nContext, Texts(core, lang)) for lang in ("en", "ru")}


def service(db: Database, prices: Prices | None = None, now: float | None = None) -> UsageService:
    return UsageService(
        UsageRepository(db),
        UserRepository(db),
        prices or Prices(),
        tz=UTC,
        clock=(lambda: now) if now is not None else time.time,
    )


# --- estimates -------------------------------------------------------------------------------


async def test_a_cost_polza_sent_is_kept(db: Database) -> None:
    record = UsageRecord(ALICE, ALICE, "chat", "lab/chat", 10, 10, cost_rub=0.5)
    assert await service(db).complete(record) == record


async def test_missing_costs_are_estimated_from_list_prices(db: Database) -> None:
    usage = service(db)
    chat = await usage.complete(UsageRecord(ALICE, ALICE, "chat", "lab/chat", 1000, 500))
    assert chat.estimated and chat.cost_rub == pytest.approx(0.1 + 0.2)

    # No token counts at all: about four characters a token.
    blind = await usage.complete(
        UsageRecord(ALICE, ALICE, "chat", "lab/chat"), prompt_chars=4000, completion_chars=2000
    )
    assert blind.estimated and blind.cost_rub == pytest.approx(0.1 + 0.2)

    voice = await usage.complete(
        UsageRecord(ALICE, ALICE, "voice", "lab/whisper"), audio_seconds=90
    )
    assert voice.estimated and voice.cost_rub == pytest.approx(0.9)
    image = await usage.complete(UsageRecord(ALICE, ALICE, "image", "lab/painter"))
    assert image.estimated and image.cost_rub == pytest.approx(3.0)


async def test_no_estimate_without_a_price(db: Database) -> None:
    for record in (
        UsageRecord(ALICE, ALICE, "chat", "lab/free-for-all", 10, 10),
        UsageRecord(ALICE, ALICE, "chat", "lab/not-listed", 10, 10),
        UsageRecord(ALICE, ALICE, "voice", "lab/whisper"),  # length unknown
    ):
        assert await service(db).complete(record) == record
    unavailable = service(db, Prices(cached=False, available=False))
    record = UsageRecord(ALICE, ALICE, "chat", "lab/chat", 10, 10)
    assert await unavailable.complete(record) == record


async def test_a_catalogue_never_loaded_is_fetched_for_the_estimate(db: Database) -> None:
    prices = Prices(cached=False)
    usage = service(db, prices)
    estimated = await usage.complete(UsageRecord(ALICE, ALICE, "image", "lab/painter"))
    assert prices.loaded and estimated.estimated and estimated.cost_rub == pytest.approx(3.0)


# --- reports ---------------------------------------------------------------------------------


async def record_at(db: Database, when: datetime, record: UsageRecord) -> None:
    async with db.transaction() as tx:
        await tx.execute(
            "INSERT INTO usage (user_id, chat_id, kind, model, cost_rub, estimated, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                record.user_id,
                record.chat_id,
                record.kind,
                record.model,
                record.cost_rub,
                int(record.estimated),
                when.timestamp(),
            ),
        )


async def seed(db: Database, now: datetime) -> None:
    today = now - timedelta(minutes=5)
    earlier_this_month = now - timedelta(days=3)
    last_month = now - timedelta(days=40)
    for when, record in [
        (today, UsageRecord(ALICE, ALICE, "chat", "lab/chat", cost_rub=0.5)),
        (today, UsageRecord(ALICE, -100, "chat", "lab/chat", cost_rub=1.25)),
        (today, UsageRecord(ALICE, ALICE, "image", "lab/painter", cost_rub=3.0, estimated=True)),
        (earlier_this_month, UsageRecord(ALICE, ALICE, "voice", "lab/whisper", cost_rub=0.25)),
        (earlier_this_month, UsageRecord(BOB, BOB, "chat", "lab/chat", cost_rub=9.0)),
        (last_month, UsageRecord(ALICE, ALICE, "voice", "lab/whisper")),  # cost unknown
        (today, UsageRecord(BOB, BOB, "chat", "lab/chat", cost_rub=0.1)),
    ]:
        await record_at(db, when, record)


async def test_report_splits_today_month_and_total_by_kind(db: Database) -> None:
    now = datetime(2026, 5, 20, 15, 0, tzinfo=UTC)
    await seed(db, now)
    report = await service(db, now=now.timestamp()).report(ALICE)

    by_kind = {usage.kind: usage for usage in report.today.kinds}
    chat, voice, image = by_kind["chat"], by_kind["voice"], by_kind["image"]
    assert (by_kind["speech"].requests, by_kind["speech"].cost_rub) == (0, 0.0)
    assert (chat.kind, chat.requests, chat.cost_rub, chat.approximate) == ("chat", 2, 1.75, False)
    assert (voice.requests, voice.cost_rub) == (0, 0.0)
    assert (image.requests, image.cost_rub, image.approximate) == (1, 3.0, True)
    assert report.today.requests == 3 and report.today.cost_rub == pytest.approx(4.75)
    assert report.month.requests == 4 and report.month.cost_rub == pytest.approx(5.0)
    assert report.total.requests == 5 and report.total.approximate
    assert not (await service(db, now=now.timestamp()).report(BOB)).today.approximate


async def test_days_follow_the_configured_zone(db: Database) -> None:
    now = datetime(2026, 5, 20, 22, 30, tzinfo=UTC)  # already the 21st in Moscow
    await record_at(
        db, now - timedelta(hours=3), UsageRecord(ALICE, ALICE, "chat", "lab/chat", cost_rub=1)
    )
    utc = service(db, now=now.timestamp())
    moscow = UsageService(
        UsageRepository(db),
        UserRepository(db),
        Prices(),
        tz=ZoneInfo("Europe/Moscow"),
        clock=lambda: now.timestamp(),
    )
    assert (await utc.report(ALICE)).today.requests == 1
    assert (await moscow.report(ALICE)).today.requests == 0  # 22:30 MSK yesterday
    assert (await moscow.report(ALICE)).month.requests == 1


async def test_admin_stats(db: Database) -> None:
    now = datetime(2026, 5, 20, 15, 0, tzinfo=UTC)
    await seed(db, now)
    users = UserRepository(db)
    for user_id in (ALICE, BOB, 77):
        await users.ensure(user_id, "en")
    stats = await service(db, now=now.timestamp()).admin_stats()

    assert stats.users == 3
    assert (stats.today.users, stats.today.requests) == (2, 4)
    assert stats.today.cost_rub == pytest.approx(4.85) and stats.today.approximate
    assert (stats.month.users, stats.month.requests) == (2, 6)
    assert [(s.user_id, s.requests) for s in stats.top_month] == [(BOB, 2), (ALICE, 4)]


async def test_the_cost_line_is_off_until_switched_on(db: Database) -> None:
    usage = service(db)
    await UserRepository(db).ensure(ALICE, "en")
    assert not await usage.wants_cost_line(ALICE)
    await usage.set_cost_line(ALICE, True)
    assert await usage.wants_cost_line(ALICE)
    assert not await usage.wants_cost_line(BOB)
    await usage.set_cost_line(ALICE, False)
    assert not await usage.wants_cost_line(ALICE)


# --- texts -----------------------------------------------------------------------------------


async def test_report_texts_in_both_languages(db: Database, texts: dict[str, I18nContext]) -> None:
    now = datetime(2026, 5, 20, 15, 0, tzinfo=UTC)
    await seed(db, now)
    usage = service(db, now=now.timestamp())
    report = await usage.report(ALICE)

    english = report_text(texts["en"], report, "UTC", Decimal(5))
    assert "💬 Chat: 2 requests, 1.75 ₽" in english
    assert "🖼 Images: 1 request, ≈3.00 ₽" in english
    assert "Total: 3 requests, ≈4.75 ₽" in english
    assert "counted in UTC time" in english and "≈ marks an estimate" in english
    assert "or 5.00 ₽ per call for a model without a listed price" in english
    russian = report_text(texts["ru"], report, "UTC", Decimal(5))
    assert "💬 Чат: 2 запроса, 1,75 ₽" in russian
    assert "Всего: 5 запросов, ≈5,00 ₽" in russian
    assert "🖼 Картинки: 1 запрос, ≈3,00 ₽" in russian
    empty = report_text(texts["en"], await usage.report(999), "UTC", Decimal(5))
    assert empty.count("No requests.") == 3 and "≈" not in empty

    stats = stats_text(texts["ru"], await usage.admin_stats())
    assert f"1. <code>{BOB}</code>: 2 запроса на 9,10 ₽" in stats


def test_cost_line_and_limit_texts(texts: dict[str, I18nContext]) -> None:
    en, ru = texts["en"], texts["ru"]
    exact = UsageRecord(ALICE, ALICE, "chat", "m", cost_rub=0.004213)
    assert cost_line(en, exact) == "_Cost: 0.0042 ₽_"
    guess = UsageRecord(ALICE, ALICE, "chat", "m", cost_rub=12.345, estimated=True)
    assert cost_line(ru, guess) == "_Стоимость: ≈12,35 ₽_"
    assert cost_line(en, UsageRecord(ALICE, ALICE, "chat", "m")) is None

    midnight = datetime(2026, 5, 21, tzinfo=UTC)
    daily = LimitVerdict("daily_budget", midnight, 3 * 3600 + 5 * 60 - 10, Decimal("1.5"))
    assert limit_text(en, daily) == (
        "You have reached your daily spending limit of 1.50 ₽."
        " It resets at 00:00 (UTC), in 3 h 5 min."
    )
    rate = LimitVerdict("rate_limit", midnight, 21, Decimal(3))
    assert limit_text(ru, rate).endswith(
        "не больше 3 в минуту. Попробуйте снова через 21 секунду."
    )


def test_amounts_are_rounded_for_display() -> None:
    assert rub_amount(1234.5678) == Decimal("1234.57")
    assert rub_amount(0.00421) == Decimal("0.0042")
    assert rub_amount(0) == Decimal("0.0000")


# --- balance ---------------------------------------------------------------------------------


@asynccontextmanager
async def polza_balance(routes: dict[str, web.Response]) -> AsyncIterator[AsyncOpenAI]:
    async def answer(request: web.Request) -> web.Response:
        assert request.headers["Authorization"] == "Bearer pza_test"
        return routes.get(request.path) or web.json_response({"error": "nope"}, status=404)

    app = web.Application()
    app.router.add_get("/{tail:.*}", answer)
    server = TestServer(app)
    await server.start_server()
    client = AsyncOpenAI(
        base_url=str(server.make_url("/api/v1")), api_key="pza_test", max_retries=0
    )
    try:
        yield client
    finally:
        await client.close()
        await server.close()


async def fetch(routes: dict[str, web.Response]) -> Balance:
    async with polza_balance(routes) as client:
        base = str(client.base_url).rstrip("/")
        return await BalanceService(client, base.rsplit("/", 1)[0] + "/v2").fetch()


async def test_balance_from_v2_with_string_amounts() -> None:
    body = {"amount": "1234.56000000", "available": "1200.06000000", "reservedAmount": "1"}
    balance = await fetch({"/api/v2/balance": web.json_response(body)})
    assert balance == Balance(amount=Decimal("1234.56"), available=Decimal("1200.06"))


async def test_balance_falls_back_to_the_legacy_route() -> None:
    legacy = web.json_response({"amount": "9.28591714"})
    balance = await fetch({"/api/v1/balance": legacy})
    assert balance == Balance(amount=Decimal("9.28591714"), available=None)


async def test_balance_errors_are_polza_errors() -> None:
    refused = web.json_response({"statusCode": 401, "message": "Unauthorized"}, status=401)
    with pytest.raises(PolzaError) as auth:
        await fetch({"/api/v2/balance": refused})
    assert auth.value.kind is PolzaErrorKind.AUTH and auth.value.status == 401

    with pytest.raises(PolzaError) as odd:
        await fetch({"/api/v2/balance": web.json_response({"amount": "lots"})})
    assert odd.value.kind is PolzaErrorKind.BAD_REQUEST
