"""The usage ledger: one row per Polza call."""

from __future__ import annotations

import time

import aiosqlite

from storage.db import Database
from storage.models import UsageRecord


async def insert_usage(
    tx: aiosqlite.Connection, record: UsageRecord, message_id: int | None = None
) -> None:
    await tx.execute(
        "INSERT INTO usage (user_id, chat_id, kind, model, prompt_tokens, completion_tokens,"
        " cost_rub, estimated, message_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            record.user_id,
            record.chat_id,
            record.kind,
            record.model,
            record.prompt_tokens,
            record.completion_tokens,
            record.cost_rub,
            int(record.estimated),
            message_id,
            time.time(),
        ),
    )


class UsageRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def record(self, record: UsageRecord) -> None:
        async with self._db.transaction() as tx:
            await insert_usage(tx, record)

    async def total_cost(self, user_id: int, since: float = 0.0) -> float:
        row = await self._db.fetch_one(
            "SELECT COALESCE(SUM(cost_rub), 0) FROM usage WHERE user_id = ? AND created_at >= ?",
            (user_id, since),
        )
        return float(row[0]) if row else 0.0
