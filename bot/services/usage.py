"""The usage ledger's service: cost estimates, per-user reports, admin statistics.

Every Polza call is one ledger row; everything shown about spending is read back from it.
When Polza sends no cost, the cost is estimated from the catalogue's list prices and the row
is marked `estimated`. Days and months are calendar days and months in the bot's time zone.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol

from bot.services.catalogue import MILLION, Catalogue, ModelInfo, estimate_cost_rub
from bot.services.model_lookup import catalogue_snapshot
from storage import (
    KindTotals,
    PeriodTotals,
    SpenderTotals,
    UsageRecord,
    UsageRepository,
    UserRepository,
)

logger = logging.getLogger(__name__)

# The kinds /usage lists even when zero; a ledger row may carry any other kind too.
KINDS = ("chat", "voice", "image", "video", "speech")
# Only used when Polza reports no token counts at all: a rough, language-blind average.
CHARS_PER_TOKEN = 4
# An estimate is not worth holding up an answer for long when the catalogue was never loaded.
CATALOGUE_WAIT_SECONDS = 5.0
TOP_SPENDERS = 5


class PriceList(Protocol):
    """The part of `ModelCatalogue` used here."""

    def cached(self) -> Catalogue | None: ...

    async def get(self) -> Catalogue: ...


# --- time ------------------------------------------------------------------------------------


def day_bounds(now: float, tz: tzinfo) -> tuple[datetime, datetime]:
    """Start of the local day containing `now` and start of the next one (aware, in `tz`)."""
    local = datetime.fromtimestamp(now, tz)
    start = datetime(local.year, local.month, local.day, tzinfo=tz)
    following = start.date() + timedelta(days=1)
    return start, datetime(following.year, following.month, following.day, tzinfo=tz)


def month_start(now: float, tz: tzinfo) -> datetime:
    local = datetime.fromtimestamp(now, tz)
    return datetime(local.year, local.month, 1, tzinfo=tz)


# --- money -----------------------------------------------------------------------------------


def rub_amount(value: float | Decimal) -> Decimal:
    """A ruble amount rounded for display: kopecks, or 4 places for sums under one ruble."""
    amount = Decimal(str(value))
    places = Decimal("0.01") if abs(amount) >= 1 else Decimal("0.0001")
    return amount.quantize(places, rounding=ROUND_HALF_UP)


def _tokens(chars: int | None) -> int | None:
    return math.ceil(chars / CHARS_PER_TOKEN) if chars is not None else None


# A web search's cost when the catalogue lists no `web_search_per_thousand` (the live figure).
WEB_SEARCH_ESTIMATE_RUB = Decimal("1.4")


def estimate_cost(
    record: UsageRecord,
    model: ModelInfo,
    *,
    prompt_chars: int | None = None,
    completion_chars: int | None = None,
    audio_seconds: float | None = None,
    web_searches: int = 0,
    video_seconds: int | None = None,
) -> Decimal | None:
    """A call's cost from list prices; token counts Polza sent win over counts from chars.
    Web searches (Polza's count when it sent one, else `web_searches`) add their price."""
    per_second = model.pricing.video_per_second
    if record.kind == "video" and per_second is not None and video_seconds is not None:
        return per_second * video_seconds
    per_minute = model.pricing.stt_per_minute
    if record.kind == "voice" and per_minute is not None and audio_seconds is not None:
        return per_minute * Decimal(str(max(audio_seconds, 0.0))) / 60
    per_character = model.pricing.tts_per_million_characters
    if record.kind == "speech" and per_character is not None and prompt_chars is not None:
        return per_character * prompt_chars / MILLION
    prompt = record.prompt_tokens if record.prompt_tokens is not None else _tokens(prompt_chars)
    completion = (
        record.completion_tokens
        if record.completion_tokens is not None
        else _tokens(completion_chars)
    )
    cost = estimate_cost_rub(model, prompt, completion)
    searches = record.web_search_requests
    searches = web_searches if searches is None else searches
    if cost is None or searches <= 0:
        return cost
    per_thousand = model.pricing.web_search_per_thousand
    per_search = per_thousand / 1000 if per_thousand is not None else WEB_SEARCH_ESTIMATE_RUB
    return cost + per_search * searches


# --- reports ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PeriodUsage:
    """One period's usage, one entry per kind in `KINDS` order (zeros included), then any
    other kind the ledger holds (summaries, …), so the totals count every call."""

    kinds: tuple[KindTotals, ...]

    @classmethod
    def of(cls, totals: Iterable[KindTotals]) -> PeriodUsage:
        found = {t.kind: t for t in totals}
        listed = tuple(
            found.get(kind, KindTotals(kind=kind, requests=0, cost_rub=0.0, approximate=False))
            for kind in KINDS
        )
        return cls(listed + tuple(t for kind, t in found.items() if kind not in KINDS))

    @property
    def requests(self) -> int:
        return sum(t.requests for t in self.kinds)

    @property
    def cost_rub(self) -> float:
        return sum(t.cost_rub for t in self.kinds)

    @property
    def approximate(self) -> bool:
        return any(t.approximate for t in self.kinds)


@dataclass(frozen=True, slots=True)
class UsageReport:
    today: PeriodUsage
    month: PeriodUsage
    total: PeriodUsage


@dataclass(frozen=True, slots=True)
class AdminStats:
    users: int  # everyone the bot has stored (refused strangers included)
    today: PeriodTotals  # .users: users who made a request today
    month: PeriodTotals
    top_month: tuple[SpenderTotals, ...]


# --- the service -----------------------------------------------------------------------------


class UsageService:
    def __init__(
        self,
        ledger: UsageRepository,
        users: UserRepository,
        prices: PriceList,
        *,
        tz: tzinfo = UTC,
        clock: Callable[[], float] = time.time,
        unknown_price_rub: Decimal = Decimal(5),
    ) -> None:
        self.unknown_price_rub = unknown_price_rub  # what an unpriced call is counted as
        self._ledger = ledger
        self._users = users
        self._prices = prices
        self._tz = tz
        self._clock = clock

    @property
    def timezone(self) -> tzinfo:
        return self._tz

    async def complete(
        self,
        record: UsageRecord,
        *,
        prompt_chars: int | None = None,
        completion_chars: int | None = None,
        audio_seconds: float | None = None,
        web_searches: int = 0,
        video_seconds: int | None = None,
    ) -> UsageRecord:
        """`record` with an estimated cost when Polza sent none (and the prices allow one).

        The hints help when Polza sent no token counts either: the characters sent and
        received (chat), or the recording's length (voice).
        """
        if record.cost_rub is not None:
            return record
        model = await self.model_info(record.model)
        if model is None:
            return record
        cost = estimate_cost(
            record,
            model,
            prompt_chars=prompt_chars,
            completion_chars=completion_chars,
            audio_seconds=audio_seconds,
            web_searches=web_searches,
            video_seconds=video_seconds,
        )
        if cost is None:
            return record
        return dataclasses.replace(record, cost_rub=float(round(cost, 8)), estimated=True)

    async def report(self, user_id: int) -> UsageReport:
        now = self._clock()
        today, _ = day_bounds(now, self._tz)
        month = month_start(now, self._tz)
        return UsageReport(
            today=PeriodUsage.of(await self._ledger.totals_by_kind(today.timestamp(), user_id)),
            month=PeriodUsage.of(await self._ledger.totals_by_kind(month.timestamp(), user_id)),
            total=PeriodUsage.of(await self._ledger.totals_by_kind(0.0, user_id)),
        )

    async def admin_stats(self) -> AdminStats:
        now = self._clock()
        today, _ = day_bounds(now, self._tz)
        month = month_start(now, self._tz).timestamp()
        return AdminStats(
            users=await self._users.count(),
            today=await self._ledger.period_totals(today.timestamp()),
            month=await self._ledger.period_totals(month),
            top_month=tuple(await self._ledger.top_spenders(month, TOP_SPENDERS)),
        )

    async def wants_cost_line(self, user_id: int) -> bool:
        return await self._users.show_cost(user_id)

    async def set_cost_line(self, user_id: int, show: bool) -> None:
        await self._users.set_show_cost(user_id, show)

    async def model_info(self, model_id: str) -> ModelInfo | None:
        """The catalogue's entry for a model (prices), waiting briefly for a first load."""
        snapshot = self._prices.cached() or await catalogue_snapshot(
            self._prices, CATALOGUE_WAIT_SECONDS
        )
        if snapshot is None:
            logger.info("No prices to estimate a cost of %s", model_id)
            return None
        return snapshot.get(model_id)
