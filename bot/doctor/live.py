"""`--live`: one tiny real chat completion, paid for and recorded like any other."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from contextlib import AsyncExitStack
from decimal import Decimal
from pathlib import Path

from openai import AsyncOpenAI

from bot.doctor.context import DoctorContext
from bot.doctor.report import Check, fail, ok, skip
from bot.services.catalogue import Catalogue, CatalogueUnavailable
from bot.services.errors import PolzaError, PolzaErrorKind
from bot.services.limits import SpendingGuard
from bot.services.metering import Meter
from bot.services.polza import ChatRequest, PolzaClient, StreamEnd, TextDelta
from bot.services.usage import UsageService, rub_amount
from storage import Database, UsageRepository, UserRepository
from storage.inspection import inspect_database

logger = logging.getLogger(__name__)

GROUP = "Polza"
NAME = "Live request"
PROMPT = "Reply with one word: OK"
# A few tokens keep the cost near zero; some providers refuse a limit under 16.
LIVE_MAX_TOKENS = 16
LIVE_TIMEOUT_SECONDS = 30.0
# The ledger's own rows: no Telegram user or chat has id 0.
DOCTOR_USER_ID = 0
DOCTOR_CHAT_ID = 0


async def live_chat(ctx: DoctorContext, sdk: AsyncOpenAI) -> Check:
    if not ctx.live:
        return skip(GROUP, NAME, "skipped (it costs money): run with --live to send one")
    model = ctx.settings.default_chat_model
    text: list[str] = []
    end: StreamEnd | None = None
    error: PolzaError | None = None
    async with AsyncExitStack() as stack:
        meter, ledger = await _meter(ctx, stack)
        polza = PolzaClient(sdk, meter, max_retries=0)
        request = ChatRequest(
            messages=[{"role": "user", "content": PROMPT}],
            model=model,
            user_id=DOCTOR_USER_ID,
            chat_id=DOCTOR_CHAT_ID,
            max_tokens=LIVE_MAX_TOKENS,
            ceiling=None,
        )
        try:
            async with asyncio.timeout(LIVE_TIMEOUT_SECONDS):
                async for event in polza.stream_chat(request):
                    if isinstance(event, TextDelta):
                        text.append(event.text)
                    elif isinstance(event, StreamEnd):
                        end = event
        except PolzaError as failure:
            error = failure
        except TimeoutError:
            error = PolzaError(PolzaErrorKind.INTERRUPTED, message="no end within the time limit")
    usage = end.usage if end is not None else None
    if error is not None:
        return fail(
            GROUP,
            NAME,
            f"{model} failed: {error.kind.value} {error.status or ''} {error.message or ''}"
            f"{ledger}".strip(),
            _fix(error),
        )
    cost = (
        f"{rub_amount(usage.cost_rub)} ₽"
        if usage is not None and usage.cost_rub is not None
        else "cost not reported"
    )
    answer = "".join(text).strip()[:40] or "(no text within the token limit)"
    return ok(GROUP, NAME, f"{model} answered {answer!r}, {cost}{ledger}")


async def _meter(ctx: DoctorContext, stack: AsyncExitStack) -> tuple[Meter, str]:
    """Money is real: the request is metered like any other, into the bot's usage ledger when
    the database is ready (creating or migrating it is the bot's job at start, not the
    doctor's), else into a throwaway one. Also says which."""
    path = ctx.settings.database_path
    note = "; recorded in the usage ledger"
    try:
        state = await inspect_database(path)
        if not state.current:
            path, note = (
                Path(":memory:"),
                "; not in the usage ledger (the database is not set up yet)",
            )
        db = await Database.open(path)
    except (sqlite3.Error, OSError) as failure:
        logger.exception("Could not open the usage ledger for the live request")
        db = await Database.open(":memory:")
        note = f"; not in the usage ledger ({type(failure).__name__})"
    stack.push_async_callback(db.close)
    ledger = UsageRepository(db)
    estimator = UsageService(
        ledger,
        UserRepository(db),
        _NoPrices(),
        unknown_price_rub=Decimal(str(ctx.settings.unknown_price_rub)),
    )
    meter = Meter(ledger, estimator, SpendingGuard(ledger, 0, 0, ()))
    return meter, note


class _NoPrices:
    """The doctor loads no catalogue for this: Polza's own cost_rub is what gets recorded."""

    def cached(self) -> Catalogue | None:
        return None

    async def get(self) -> Catalogue:
        raise CatalogueUnavailable("not loaded by the doctor")


def _fix(error: PolzaError) -> str:
    if error.kind is PolzaErrorKind.AUTH:
        return "create a key at polza.ai (dashboard → API keys) and put it into POLZA_API_KEY"
    if error.kind is PolzaErrorKind.BALANCE:
        return "top up the balance at polza.ai (or raise the key's spending limit)"
    if error.kind is PolzaErrorKind.MODEL_NOT_FOUND:
        return "set DEFAULT_CHAT_MODEL to a model from Polza's catalogue"
    return "try again in a minute; if it persists, try another DEFAULT_CHAT_MODEL"
