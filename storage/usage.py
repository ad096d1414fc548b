"""The usage ledger: one row per Polza call."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from storage.db import Database, Transaction
from storage.models import UsageRecord

# Writes what a call produced with its ledger row; returns the stored message to link it to.
Alongside = Callable[[Transaction], Awaitable[int | None]]

# A sum is approximate when any of its calls was estimated or has no known cost at all.
_COST = "COALESCE(SUM(cost_rub), 0) AS cost"
_APPROXIMATE = (
    "COALESCE(MAX(CASE WHEN estimated <> 0 OR cost_rub IS NULL THEN 1 ELSE 0 END), 0)"
    " AS approximate"
)


@dataclass(frozen=True, slots=True)
class KindTotals:
    kind: str
    requests: int
    cost_rub: float
    approximate: bool


@dataclass(frozen=True, slots=True)
class PeriodTotals:
    requests: int
    users: int
    cost_rub: float
    approximate: bool


@dataclass(frozen=True, slots=True)
class SpenderTotals:
    user_id: int
    requests: int
    cost_rub: float
    approximate: bool


class UsageRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def record(self, record: UsageRecord, alongside: Alongside | None = None) -> int:
        """The only writer of ledger rows (see bot.services.metering); returns the row id.

        `alongside` writes what the call produced in the same transaction, first: the row is
        linked to the message it returns (one write for both, no later link)."""
        async with self._db.transaction() as tx:
            message_id = await alongside(tx) if alongside is not None else None
            row = await tx.fetch_one(
                "INSERT INTO usage (user_id, chat_id, kind, model, prompt_tokens,"
                " completion_tokens, cost_rub, estimated, web_search_requests, created_at,"
                " message_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (
                    record.user_id,
                    record.chat_id,
                    record.kind,
                    record.model,
                    record.prompt_tokens,
                    record.completion_tokens,
                    record.cost_rub,
                    int(record.estimated),
                    record.web_search_requests,
                    time.time(),
                    message_id,
                ),
            )
            assert row is not None
            return int(row[0])

    async def spent_by_everyone(self, since: float) -> float:
        row = await self._db.fetch_one(
            "SELECT COALESCE(SUM(cost_rub), 0) FROM usage WHERE created_at >= ?", (since,)
        )
        return float(row[0]) if row else 0.0

    async def total_cost(self, user_id: int, since: float = 0.0) -> float:
        row = await self._db.fetch_one(
            "SELECT COALESCE(SUM(cost_rub), 0) FROM usage WHERE user_id = ? AND created_at >= ?",
            (user_id, since),
        )
        return float(row[0]) if row else 0.0

    async def totals_by_kind(self, since: float, user_id: int | None = None) -> list[KindTotals]:
        """Requests and spend per kind since `since` (epoch seconds), for one user or all."""
        where = "created_at >= ?" if user_id is None else "created_at >= ? AND user_id = ?"
        params = (since,) if user_id is None else (since, user_id)
        rows = await self._db.fetch_all(
            f"SELECT kind, COUNT(*) AS requests, {_COST}, {_APPROXIMATE}"
            f" FROM usage WHERE {where} GROUP BY kind ORDER BY kind",
            params,
        )
        return [
            KindTotals(
                kind=row["kind"],
                requests=row["requests"],
                cost_rub=float(row["cost"]),
                approximate=bool(row["approximate"]),
            )
            for row in rows
        ]

    async def period_totals(self, since: float) -> PeriodTotals:
        """All users together since `since`: requests, spend and how many users made them."""
        row = await self._db.fetch_one(
            f"SELECT COUNT(*) AS requests, COUNT(DISTINCT user_id) AS users, {_COST},"
            f" {_APPROXIMATE} FROM usage WHERE created_at >= ?",
            (since,),
        )
        if row is None:
            return PeriodTotals(requests=0, users=0, cost_rub=0.0, approximate=False)
        return PeriodTotals(
            requests=row["requests"],
            users=row["users"],
            cost_rub=float(row["cost"]),
            approximate=bool(row["approximate"]),
        )

    async def top_spenders(self, since: float, limit: int) -> list[SpenderTotals]:
        rows = await self._db.fetch_all(
            f"SELECT user_id, COUNT(*) AS requests, {_COST}, {_APPROXIMATE}"
            " FROM usage WHERE created_at >= ? GROUP BY user_id"
            " ORDER BY cost DESC, requests DESC, user_id LIMIT ?",
            (since, limit),
        )
        return [
            SpenderTotals(
                user_id=row["user_id"],
                requests=row["requests"],
                cost_rub=float(row["cost"]),
                approximate=bool(row["approximate"]),
            )
            for row in rows
        ]
