"""One aiosqlite connection with sane pragmas and explicit transactions."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

from storage.migrations import apply_migrations

logger = logging.getLogger(__name__)


class Database:
    """Owns the connection. Writes go through `transaction()` so they never interleave."""

    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._conn = connection
        self._write_lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path | str) -> Database:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        conn = await aiosqlite.connect(str(path), isolation_level=None)
        conn.row_factory = aiosqlite.Row
        for pragma in (
            "PRAGMA journal_mode=WAL",
            "PRAGMA synchronous=NORMAL",
            "PRAGMA busy_timeout=5000",
        ):
            await conn.execute(pragma)
        db = cls(conn)
        # Migrations run with foreign keys off (a table rebuild must not cascade) and are
        # checked before the transaction commits.
        async with db.transaction() as tx:
            applied = await apply_migrations(tx)
            async with tx.execute("PRAGMA foreign_key_check") as cursor:
                if await cursor.fetchone() is not None:
                    raise RuntimeError("a migration left rows with broken foreign keys")
        await conn.execute("PRAGMA foreign_keys=ON")
        if applied:
            logger.info("Applied database migrations: %s", ", ".join(applied))
        return db

    async def close(self) -> None:
        await self._conn.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        async with self._write_lock:
            await self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                await self._conn.execute("ROLLBACK")
                raise
            await self._conn.execute("COMMIT")

    async def ping(self) -> bool:
        """Whether the database answers a trivial query."""
        row = await self.fetch_one("SELECT 1")
        return row is not None and row[0] == 1

    async def fetch_all(self, sql: str, params: Iterable[Any] = ()) -> list[aiosqlite.Row]:
        # One trip to the database thread (execute + fetch + close would take three).
        return list(await self._conn.execute_fetchall(sql, tuple(params)))

    async def fetch_one(self, sql: str, params: Iterable[Any] = ()) -> aiosqlite.Row | None:
        rows = await self.fetch_all(sql, params)
        return rows[0] if rows else None
