"""The connection abstraction every repository uses, whichever server stores the data.

Repositories write their SQL once, with `?` placeholders, in the dialect both SQLite and
PostgreSQL speak (`ON CONFLICT`, `RETURNING`, `COALESCE`, integer flags); the PostgreSQL
backend translates the placeholders to `$n`. Where the dialects really differ a repository
asks `db.dialect`. `Database.open` picks the backend from `DATABASE_URL` or a file path.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractAsyncContextManager, nullcontext
from pathlib import Path
from typing import Any, Literal, Protocol

Dialect = Literal["sqlite", "postgresql"]


class StoreUnavailable(Exception):
    """The database server could not be reached or refused us; the message names no secret."""


class Row(Protocol):
    """A result row, by position or by column name (sqlite3.Row and asyncpg.Record both are)."""

    def __getitem__(self, key: Any, /) -> Any: ...

    def __iter__(self) -> Iterator[Any]: ...

    def __len__(self) -> int: ...


class Transaction(Protocol):
    """Statements inside one transaction (committed at the end, rolled back on any error)."""

    async def execute(self, sql: str, params: Iterable[Any] = ()) -> int:
        """Run one statement; return how many rows it changed."""
        ...

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None: ...

    def defer(self, sql: str, params: Iterable[Any] = ()) -> None:
        """Run one statement whose result nobody needs with the transaction's next statement,
        or its commit (a failure then fails that one, and the transaction)."""
        ...

    async def fetch_all(self, sql: str, params: Iterable[Any] = ()) -> list[Row]: ...

    async def fetch_one(self, sql: str, params: Iterable[Any] = ()) -> Row | None: ...


class Database(ABC):
    """Owns the connection(s). Writes go through `transaction()`."""

    dialect: Dialect

    @classmethod
    async def open(cls, target: Path | str) -> Database:
        """Open (and migrate) the store at `target`: a file path, `:memory:`,
        `sqlite:///path` or `postgresql://user:pass@host/db`."""
        text = str(target)
        if text.startswith(("postgresql://", "postgres://")):
            from storage.postgres import PostgresDatabase  # asyncpg only when asked for

            return await PostgresDatabase.connect(text)
        from storage.sqlite import SqliteDatabase

        return await SqliteDatabase.connect(sqlite_path(text))

    @abstractmethod
    async def close(self) -> None: ...

    @abstractmethod
    def transaction(self) -> AbstractAsyncContextManager[Transaction]: ...

    @abstractmethod
    async def fetch_all(self, sql: str, params: Iterable[Any] = ()) -> list[Row]: ...

    async def lookup(self, sql: str, params: Iterable[Any] = ()) -> list[Row]:
        """A small read an update's handling waits on: an indexed lookup of a bounded number
        of rows, committed data only. SQLite runs it on the event loop (cheaper than the trip
        to its thread); elsewhere it is `fetch_all`. Nothing large or scanning goes here."""
        return await self.fetch_all(sql, params)

    async def write(self, sql: str, params: Iterable[Any] = ()) -> list[Row]:
        """One statement committed on its own (atomic by itself); the rows it returns."""
        async with self.transaction() as tx:
            return await tx.fetch_all(sql, params)

    async def fetch_one(self, sql: str, params: Iterable[Any] = ()) -> Row | None:
        rows = await self.fetch_all(sql, params)
        return rows[0] if rows else None

    async def ping(self) -> bool:
        """Whether the database answers a trivial query."""
        row = await self.fetch_one("SELECT 1")
        return row is not None and row[0] == 1


def in_transaction(
    db: Database, within: Transaction | None
) -> AbstractAsyncContextManager[Transaction]:
    """`within`, a transaction the caller holds open (its writes go with theirs), or a new one."""
    return nullcontext(within) if within is not None else db.transaction()


def sqlite_path(target: str) -> str:
    """The file of `sqlite:///relative/path`, `sqlite:////absolute/path` or a plain path."""
    if target.startswith("sqlite://"):
        return target.removeprefix("sqlite://").removeprefix("/")
    return target
