"""The SQLite backend: one aiosqlite connection with sane pragmas and explicit transactions."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, cast

import aiosqlite

from storage.db import Database, Dialect, Row
from storage.migrations import apply_migrations

logger = logging.getLogger(__name__)

# How long a write waits for another process (a backup, an admin's sqlite3 shell) to let go
# of the database before "database is locked".
BUSY_TIMEOUT_MS = 10_000


class SqliteTransaction:
    """Statements on the connection while `SqliteDatabase.transaction` holds it."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def execute(self, sql: str, params: Iterable[Any] = ()) -> int:
        cursor = await self._conn.execute(sql, tuple(params))
        count = cursor.rowcount
        await cursor.close()
        return count

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        await self._conn.executemany(sql, [tuple(row) for row in rows])

    async def fetch_all(self, sql: str, params: Iterable[Any] = ()) -> list[Row]:
        return cast(list[Row], list(await self._conn.execute_fetchall(sql, tuple(params))))

    async def fetch_one(self, sql: str, params: Iterable[Any] = ()) -> Row | None:
        rows = await self.fetch_all(sql, params)
        return rows[0] if rows else None


class SqliteDatabase(Database):
    """Owns the connection. Writes go through `transaction()` so they never interleave."""

    dialect: Dialect = "sqlite"

    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._conn = connection
        self._write_lock = asyncio.Lock()

    @classmethod
    async def connect(cls, path: Path | str) -> SqliteDatabase:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        conn = await aiosqlite.connect(str(path), isolation_level=None)
        conn.row_factory = aiosqlite.Row
        for pragma in (
            "PRAGMA journal_mode=WAL",
            "PRAGMA synchronous=NORMAL",
            f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}",
        ):
            await conn.execute(pragma)
        db = cls(conn)
        # Migrations run with foreign keys off (a table rebuild must not cascade) and are
        # checked before the transaction commits.
        async with db.transaction() as tx:
            applied = await apply_migrations(tx, "sqlite")
            if await tx.fetch_one("PRAGMA foreign_key_check") is not None:
                raise RuntimeError("a migration left rows with broken foreign keys")
        await conn.execute("PRAGMA foreign_keys=ON")
        if applied:
            logger.info("Applied database migrations: %s", ", ".join(applied))
        return db

    async def close(self) -> None:
        await self._conn.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[SqliteTransaction]:
        """BEGIN IMMEDIATE … COMMIT, rolled back on any error or cancellation.

        A statement goes on running on aiosqlite's thread when its caller is cancelled (at
        BEGIN IMMEDIATE waiting for a lock, say). The rollback is queued behind it on that
        thread and checks there whether a transaction is open, so the connection is never
        left inside one, and the caller sees the original error.
        """
        async with self._write_lock:
            try:
                await self._conn.execute("BEGIN IMMEDIATE")
                yield SqliteTransaction(self._conn)
                await self._conn.execute("COMMIT")
            except BaseException:
                await self._rollback()
                raise

    async def _rollback(self) -> None:
        # sqlite3's rollback() does nothing when no transaction is open: SQLite ends it itself
        # after some errors (a full disk), and an explicit ROLLBACK would fail and hide them.
        try:
            await asyncio.shield(self._conn.rollback())
        except sqlite3.Error as error:
            logger.warning("ROLLBACK failed: %s", error)

    async def fetch_all(self, sql: str, params: Iterable[Any] = ()) -> list[Row]:
        # One trip to the database thread (execute + fetch + close would take three).
        return cast(list[Row], list(await self._conn.execute_fetchall(sql, tuple(params))))
