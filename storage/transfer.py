"""Copying a bot's SQLite database into PostgreSQL, every table, in one transaction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from storage.db import Database
from storage.schema import foreign_key_parents, table_columns

BATCH = 1000


class TargetNotEmpty(Exception):
    """The PostgreSQL database already holds a bot's data (pass force to replace it)."""


@dataclass(frozen=True, slots=True)
class Copied:
    table: str
    rows: int


async def copy_sqlite_to_postgres(
    source: Database, target: Database, *, force: bool = False
) -> list[Copied]:
    """Copy every row of every table of `source` (migrated) into `target` (migrated).

    Parents before children (foreign keys), identity sequences moved past the copied ids.
    A non-empty target is refused unless `force`, which empties it first, in the same
    transaction: on any error the target is left as it was.
    """
    source_tables = await table_columns(source)
    target_tables = await table_columns(target)
    missing = sorted(set(source_tables) - set(target_tables))
    if missing:
        raise ValueError(f"PostgreSQL has no table {', '.join(missing)}: a newer bot's data?")
    order = await _parents_first(source, sorted(source_tables))
    copied: list[Copied] = []
    async with target.transaction() as tx:
        filled = [t for t in target_tables if await tx.fetch_one(f"SELECT 1 FROM {t} LIMIT 1")]
        if filled and not force:
            raise TargetNotEmpty(", ".join(sorted(filled)))
        if filled:
            await tx.execute(f"TRUNCATE {', '.join(sorted(target_tables))} CASCADE")
        for table in order:
            columns = [c for c in source_tables[table] if c in target_tables[table]]
            convert = [_converter(target_tables[table][c]) for c in columns]
            names = ", ".join(columns)
            insert = f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))})"
            count, offset = 0, 0
            while True:
                rows = await source.fetch_all(
                    f"SELECT {names} FROM {table} ORDER BY rowid LIMIT ? OFFSET ?",
                    (BATCH, offset),
                )
                if not rows:
                    break
                await tx.executemany(
                    insert,
                    [tuple(f(v) for f, v in zip(convert, row, strict=True)) for row in rows],
                )
                count += len(rows)
                offset += BATCH
            if "id" in columns:
                await tx.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                    f" COALESCE(MAX(id), 0) + 1, false) FROM {table}"
                )
            copied.append(Copied(table, count))
    return copied


async def _parents_first(db: Database, tables: list[str]) -> list[str]:
    parents = {table: await foreign_key_parents(db, table) & set(tables) for table in tables}
    order: list[str] = []
    while len(order) < len(tables):
        ready = [t for t in tables if t not in order and parents[t] <= set(order)]
        if not ready:
            raise ValueError("circular foreign keys")
        order.extend(ready)
    return order


def _converter(pg_type: str) -> Callable[[Any], Any]:
    """SQLite stores what it is given; PostgreSQL wants the column's own type."""

    def convert(kind: Callable[[Any], Any]) -> Callable[[Any], Any]:
        return lambda value: None if value is None else kind(value)

    if pg_type in {"BIGINT", "INTEGER", "SMALLINT"}:
        return convert(int)
    if pg_type in {"DOUBLE PRECISION", "REAL", "NUMERIC"}:
        return convert(float)
    if pg_type == "BYTEA":
        return convert(bytes)
    return convert(lambda value: value if isinstance(value, str) else str(value))
