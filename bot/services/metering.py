"""The one metering path of every billed Polza call: reserve → call → record.

A caller describes the call in a `Charge`, and runs it inside `Meter.call(...)`:

* before the call, its worst-case cost is reserved against the limits (`SpendingGuard`); a call
  that would pass a limit is refused with `LimitExceeded` and never reaches Polza;
* while it runs, the caller notes what happened on the charge: that the request was sent,
  Polza's `usage`, the characters sent and received, the seconds of audio;
* afterwards, whatever the outcome (answer, empty answer, stop, timeout, error after billing,
  cancellation), one ledger row is written and the reservation is released.

The cost is Polza's `cost_rub` when it came; otherwise an estimate from the catalogue's prices
(prompt, reasoning and visible output counted), marked as an estimate; a model without prices
is charged a conservative flat figure, also marked, never 0.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from decimal import Decimal

from bot.observability.metrics import Metrics
from bot.services.catalogue import MILLION, ModelInfo
from bot.services.limits import Hold, SpendingGuard
from bot.services.polza_shapes import PolzaUsage
from bot.services.usage import UsageService
from storage import UsageRecord, UsageRepository
from storage.usage import Alongside

logger = logging.getLogger(__name__)


# Writes a ledger row handed over by the meter: with what the call produced (`Alongside`, in
# the row's transaction), or alone (None). The row is written whatever happens (alone when the
# two together fail, then the failure is raised) and the reservation released after it.
RowWriter = Callable[[Alongside | None], Awaitable[None]]


@dataclass(slots=True)
class Charge:
    """One billed call as it happens; the meter turns it into a ledger row."""

    kind: str
    user_id: int
    chat_id: int
    model: str
    # The request was sent: from here on Polza may bill, whatever happens next.
    sent: bool = False
    # Polza refused the request with an HTTP error before doing any work: nothing was billed.
    refused: bool = False
    usage: PolzaUsage | None = None
    prompt_chars: int = 0
    output_chars: int = 0  # visible answer and reasoning together
    audio_seconds: float | None = None
    web_searches: int = 0  # searches asked for (Polza's web plugin runs one per request)
    video_seconds: int | None = None  # the clip's length, for its list price
    # Takes the ledger row over, to write it with what the call produced in one transaction
    # (`RowWriter`); False: the meter writes it at once. Filled in by the caller.
    handover: Callable[[RowWriter], bool] | None = None
    # Filled in by the meter: the row, and its id once written.
    record: UsageRecord | None = field(default=None)
    record_id: int | None = None

    def note_usage(self, usage: PolzaUsage | None) -> None:
        if usage is not None:
            self.usage = usage

    @property
    def billed(self) -> bool:
        return self.sent and (not self.refused or self.usage is not None)


# Reserved per web search when the catalogue gives no `web_search_per_thousand`: about twice
# the ~1.4 RUB a search cost live. Polza's plugin runs one search per request.
WEB_SEARCH_RESERVE_RUB = Decimal(3)


def chat_ceiling(
    info: ModelInfo | None, *, prompt_tokens: int, max_tokens: int, web_search: bool = False
) -> Decimal | None:
    """The most one chat request can cost at list prices; None when the model has no prices.

    With `web_search`, the search's own price is added (the list price, or
    `WEB_SEARCH_RESERVE_RUB`)."""
    if info is None:
        return None
    pricing = info.pricing
    if pricing.prompt_per_million is None and pricing.completion_per_million is None:
        return None
    cost = Decimal(0)
    if web_search:
        per_thousand = pricing.web_search_per_thousand
        cost += per_thousand / 1000 if per_thousand is not None else WEB_SEARCH_RESERVE_RUB
    if pricing.prompt_per_million is not None:
        cost += pricing.prompt_per_million * prompt_tokens / MILLION
    if pricing.completion_per_million is not None:
        cost += pricing.completion_per_million * max_tokens / MILLION
    if pricing.per_request is not None:
        cost += pricing.per_request
    if pricing.request_per_thousand is not None:
        cost += pricing.request_per_thousand / 1000
    return cost


class Meter:
    def __init__(
        self,
        ledger: UsageRepository,
        estimator: UsageService,
        guard: SpendingGuard,
        *,
        metrics: Metrics | None = None,
    ) -> None:
        self._metrics = metrics
        self._ledger = ledger
        self._estimator = estimator
        self._guard = guard

    async def model_info(self, model_id: str) -> ModelInfo | None:
        """The model's catalogue entry, for a call's worst-case cost."""
        return await self._estimator.model_info(model_id)

    @asynccontextmanager
    async def call(self, charge: Charge, *, ceiling: Decimal | None) -> AsyncIterator[Charge]:
        """Reserve `ceiling` (the call's worst case; None: unknown), run, then record.

        Raises `LimitExceeded` before the call when the reservation would pass a limit.
        """
        reserved = ceiling if ceiling is not None else self._estimator.unknown_price_rub
        hold = await self._guard.reserve(charge.user_id, reserved)
        handed = False
        try:
            yield charge
        finally:
            try:
                # Shielded: a second cancellation must not lose the row of a paid call.
                handed = await asyncio.shield(self._settle(charge, hold))
            except Exception as error:
                _log_unrecorded(charge, error)
            finally:
                if not handed:  # else released once the taker has written the row
                    await asyncio.shield(hold.release())

    async def _settle(self, charge: Charge, hold: Hold) -> bool:
        """Write the call's ledger row, or hand it over (`Charge.handover`); True if handed."""
        if not charge.billed:
            return False
        usage = charge.usage
        record = UsageRecord(
            user_id=charge.user_id,
            chat_id=charge.chat_id,
            kind=charge.kind,
            model=charge.model,
            prompt_tokens=usage.prompt_tokens if usage else None,
            completion_tokens=usage.completion_tokens if usage else None,
            cost_rub=usage.cost_rub if usage else None,
            web_search_requests=usage.web_search_requests if usage else None,
        )
        if record.cost_rub is None:
            record = await self._estimated(record, charge)
        charge.record = record
        if charge.handover is not None and charge.handover(
            functools.partial(self._write_handed, charge, record, hold)
        ):
            return True
        await self._write(charge, record)
        return False

    async def _write(
        self, charge: Charge, record: UsageRecord, alongside: Alongside | None = None
    ) -> None:
        charge.record_id = await self._ledger.record(record, alongside)
        if self._metrics is not None:
            self._metrics.spent(record.kind, record.cost_rub)

    async def _write_handed(
        self, charge: Charge, record: UsageRecord, hold: Hold, alongside: Alongside | None
    ) -> None:
        """The `RowWriter` of a handed-over row."""
        try:
            if alongside is not None:
                try:
                    await self._write(charge, record, alongside)
                    return
                except BaseException:
                    # What the call produced was not stored; its row still is, alone.
                    await asyncio.shield(self._write_alone(charge, record))
                    raise
            await asyncio.shield(self._write_alone(charge, record))
        finally:
            await asyncio.shield(hold.release())

    async def _write_alone(self, charge: Charge, record: UsageRecord) -> None:
        try:
            await self._write(charge, record)
        except Exception as error:
            _log_unrecorded(charge, error)

    async def _estimated(self, record: UsageRecord, charge: Charge) -> UsageRecord:
        estimated = await self._estimator.complete(
            record,
            prompt_chars=charge.prompt_chars,
            completion_chars=charge.output_chars,
            audio_seconds=charge.audio_seconds,
            web_searches=charge.web_searches,
            video_seconds=charge.video_seconds,
        )
        if estimated.cost_rub is not None:
            return estimated
        return dataclasses.replace(
            record, cost_rub=float(self._estimator.unknown_price_rub), estimated=True
        )


def _log_unrecorded(charge: Charge, error: Exception) -> None:
    if isinstance(error, sqlite3.Error | OSError):  # locked too long, disk full, read-only
        logger.error(
            "Could not record a %s call of user %s: %r", charge.kind, charge.user_id, error
        )
    else:
        logger.error(
            "Could not record a %s call of user %s", charge.kind, charge.user_id, exc_info=error
        )
