"""`--live`: one tiny real chat completion, paid for and recorded like any other."""

from __future__ import annotations

import asyncio
import logging
import sqlite3

from bot.doctor.context import DoctorContext
from bot.doctor.report import Check, fail, ok, skip
from bot.services.errors import PolzaError, PolzaErrorKind
from bot.services.polza import ChatUsage, PolzaClient, StreamEnd, TextDelta
from bot.services.usage import rub_amount
from storage import Database, UsageRecord, UsageRepository
from storage.inspection import inspect_database

logger = logging.getLogger(__name__)

GROUP = "Polza"
NAME = "Live request"
PROMPT = "Reply with one word: OK"
# A few tokens keep the cost near zero; some providers refuse a limit under 16.
LIVE_MAX_TOKENS = 16
LIVE_TIMEOUT_SECONDS = 30.0
# Failures after the stream started may have been billed; earlier ones were not.
MAYBE_BILLED = frozenset({PolzaErrorKind.INTERRUPTED, PolzaErrorKind.STREAM_ERROR})
# The ledger's own rows: no Telegram user or chat has id 0.
DOCTOR_USER_ID = 0
DOCTOR_CHAT_ID = 0


async def live_chat(ctx: DoctorContext, polza: PolzaClient) -> Check:
    if not ctx.live:
        return skip(GROUP, NAME, "skipped (it costs money): run with --live to send one")
    model = ctx.settings.default_chat_model
    text: list[str] = []
    end: StreamEnd | None = None
    error: PolzaError | None = None
    try:
        async with asyncio.timeout(LIVE_TIMEOUT_SECONDS):
            async for event in polza.stream_chat(
                [{"role": "user", "content": PROMPT}],
                model=model,
                user_id=DOCTOR_USER_ID,
                max_tokens=LIVE_MAX_TOKENS,
            ):
                if isinstance(event, TextDelta):
                    text.append(event.text)
                elif isinstance(event, StreamEnd):
                    end = event
    except PolzaError as failure:
        error = failure
    except TimeoutError:
        error = PolzaError(PolzaErrorKind.INTERRUPTED, message="no end within the time limit")
    usage = end.usage if end is not None else None
    ledger = ""
    if end is not None or (error is not None and error.kind in MAYBE_BILLED):
        ledger = await _record(ctx, model, usage)
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


def _fix(error: PolzaError) -> str:
    if error.kind is PolzaErrorKind.AUTH:
        return "create a key at polza.ai (dashboard → API keys) and put it into POLZA_API_KEY"
    if error.kind is PolzaErrorKind.BALANCE:
        return "top up the balance at polza.ai (or raise the key's spending limit)"
    if error.kind is PolzaErrorKind.MODEL_NOT_FOUND:
        return "set DEFAULT_CHAT_MODEL to a model from Polza's catalogue"
    return "try again in a minute; if it persists, try another DEFAULT_CHAT_MODEL"


async def _record(ctx: DoctorContext, model: str, usage: ChatUsage | None) -> str:
    """Money is real: the request goes into the usage ledger when the database is ready."""
    path = ctx.settings.database_path
    try:
        state = await inspect_database(path)
        if not state.current:
            # Creating or migrating the database is the bot's job at start, not the doctor's.
            return "; not in the usage ledger (the database is not set up yet)"
        db = await Database.open(path)
        try:
            await UsageRepository(db).record(
                UsageRecord(
                    user_id=DOCTOR_USER_ID,
                    chat_id=DOCTOR_CHAT_ID,
                    kind="chat",
                    model=model,
                    prompt_tokens=usage.prompt_tokens if usage else None,
                    completion_tokens=usage.completion_tokens if usage else None,
                    cost_rub=usage.cost_rub if usage else None,
                )
            )
        finally:
            await db.close()
    except (sqlite3.Error, OSError) as failure:
        logger.exception("Could not record the live request in the usage ledger")
        return f"; not in the usage ledger ({type(failure).__name__})"
    return "; recorded in the usage ledger"
