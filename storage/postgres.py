"""The PostgreSQL backend (asyncpg): a small pool, `?` placeholders translated to `$n`."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from functools import lru_cache
from typing import Any, cast
from urllib.parse import urlsplit

import asyncpg

from storage.db import Database, Dialect, Row, StoreUnavailable
from storage.migrations import apply_migrations

logger = logging.getLogger(__name__)

POOL_SIZE = 20
# Replicas starting together migrate one at a time (the keys are arbitrary but fixed).
MIGRATION_LOCK_KEY = 0x506F6C7A61  # "Polza"
# Held for its lifetime by a bot that keeps its state in memory (no REDIS_URL): a second such
# process on the same database is refused.
SOLE_PROCESS_LOCK_KEY = MIGRATION_LOCK_KEY + 1


def describe(url: str) -> str:
    """host:port/db of `url`, without the user or password."""
    parts = urlsplit(url)
    return f"{parts.hostname or 'localhost'}:{parts.port or 5432}{parts.path or '/'}"


@lru_cache(maxsize=1024)
def translate(sql: str) -> str:
    """`?` → `$1`, `$2`, … outside string literals (repositories' SQL is a constant, so cached)."""
    out: list[str] = []
    number = 0
    quoted = False
    for char in sql:
        if char == "'":
            quoted = not quoted
        if char == "?" and not quoted:
            number += 1
            out.append(f"${number}")
        else:
            out.append(char)
    return "".join(out)


async def _keep_session(conn: asyncpg.Connection) -> None:
    """Nothing to reset when a connection goes back to the pool: the repositories never
    leave session state behind (no SET, LISTEN, cursors or session advisory locks on pooled
    connections), and asyncpg still rolls back an open transaction itself. Its default reset
    is one more round trip per statement or transaction, a third of them all."""


def _changed(status: str) -> int:
    """The row count of a command tag such as `DELETE 3` or `INSERT 0 1`."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


class PostgresTransaction:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn
        self._deferred: list[tuple[str, tuple[Any, ...]]] = []

    def defer(self, sql: str, params: Iterable[Any] = ()) -> None:
        self._deferred.append((sql, tuple(params)))

    async def flush(self) -> None:
        """Run what was deferred (before the next statement, and before COMMIT)."""
        deferred, self._deferred = self._deferred, []
        for sql, params in deferred:
            await self._conn.execute(translate(sql), *params)

    async def execute(self, sql: str, params: Iterable[Any] = ()) -> int:
        await self.flush()
        return _changed(await self._conn.execute(translate(sql), *params))

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        await self.flush()
        batch = [tuple(row) for row in rows]
        if batch:
            await self._conn.executemany(translate(sql), batch)

    async def fetch_all(self, sql: str, params: Iterable[Any] = ()) -> list[Row]:
        await self.flush()
        return cast(list[Row], await self._conn.fetch(translate(sql), *params))

    async def fetch_one(self, sql: str, params: Iterable[Any] = ()) -> Row | None:
        await self.flush()
        return cast(Row | None, await self._conn.fetchrow(translate(sql), *params))


class PostgresDatabase(Database):
    dialect: Dialect = "postgresql"

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool
        self._sole: asyncpg.pool.PoolConnectionProxy | None = None

    @classmethod
    async def connect(cls, url: str, *, pool_size: int = POOL_SIZE) -> PostgresDatabase:
        try:
            pool = await asyncpg.create_pool(
                url, min_size=1, max_size=pool_size, timeout=15, reset=_keep_session
            )
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
            reason = getattr(error, "strerror", None) or type(error).__name__
            if isinstance(error, asyncpg.PostgresError):
                reason = str(error).replace(url, describe(url))
            raise StoreUnavailable(
                f"cannot connect to PostgreSQL at {describe(url)} ({reason})"
            ) from None
        db = cls(pool)
        try:
            async with db.transaction() as tx:
                await tx.execute("SELECT pg_advisory_xact_lock(?)", (MIGRATION_LOCK_KEY,))
                applied = await apply_migrations(tx, "postgresql")
        except BaseException:
            await pool.close()
            raise
        if applied:
            logger.info("Applied database migrations: %s", ", ".join(applied))
        return db

    async def close(self) -> None:
        if self._sole is not None:
            await self._pool.release(self._sole)
            self._sole = None
        await self._pool.close()

    async def claim_sole_process(self) -> bool:
        """Whether this is the only process holding the sole-process lock (kept until close)."""
        conn = await self._pool.acquire()
        if await conn.fetchval("SELECT pg_try_advisory_lock($1)", SOLE_PROCESS_LOCK_KEY):
            self._sole = conn
            return True
        await self._pool.release(conn)
        return False

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[PostgresTransaction]:
        async with self._pool.acquire() as conn, conn.transaction():
            tx = PostgresTransaction(conn)
            yield tx
            await tx.flush()

    async def fetch_all(self, sql: str, params: Iterable[Any] = ()) -> list[Row]:
        return cast(list[Row], await self._pool.fetch(translate(sql), *params))

    async def write(self, sql: str, params: Iterable[Any] = ()) -> list[Row]:
        # A statement outside BEGIN … COMMIT is its own transaction: one round trip, not three.
        return await self.fetch_all(sql, params)
