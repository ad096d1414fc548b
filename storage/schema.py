"""What tables and columns a store has, asked of the store itself (either backend)."""

from __future__ import annotations

from storage.db import Database

# Bookkeeping of each store's own migrations: never copied, never compared.
INTERNAL_TABLES = frozenset({"schema_version"})


async def table_columns(db: Database) -> dict[str, dict[str, str]]:
    """{table: {column: declared type}} of the application's tables."""
    found: dict[str, dict[str, str]] = {}
    if db.dialect == "sqlite":
        tables = await db.fetch_all(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
        for table in tables:
            rows = await db.fetch_all(
                "SELECT name, type FROM pragma_table_info(?) ORDER BY cid", (table[0],)
            )
            found[table[0]] = {row[0]: str(row[1]).upper() for row in rows}
    else:
        rows = await db.fetch_all(
            "SELECT table_name, column_name, data_type FROM information_schema.columns"
            " WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position"
        )
        for row in rows:
            found.setdefault(row[0], {})[row[1]] = str(row[2]).upper()
    return {name: columns for name, columns in found.items() if name not in INTERNAL_TABLES}


async def foreign_key_parents(db: Database, table: str) -> set[str]:
    """The tables `table` refers to (SQLite only: it orders a copy so parents come first)."""
    rows = await db.fetch_all('SELECT "table" FROM pragma_foreign_key_list(?)', (table,))
    return {row[0] for row in rows} - {table}
