"""A read-only look at the database for `python -m bot doctor`: nothing is created or migrated."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

import aiosqlite

from storage.migrations import MIGRATIONS


@dataclass(frozen=True, slots=True)
class SchemaState:
    exists: bool
    version: int  # 0: no schema yet
    latest: int
    pending: tuple[str, ...]  # "version:name" of the steps the next start applies
    runtime_allowed: int  # users admins allowed with /allow

    @property
    def current(self) -> bool:
        return self.exists and self.version == self.latest


def latest_version() -> int:
    return MIGRATIONS[-1][0]


async def inspect_database(path: Path) -> SchemaState:
    """The schema version of the database at `path`; raises `sqlite3.Error` when it is unusable."""
    latest = latest_version()
    uri = await asyncio.to_thread(_read_only_uri, path)
    if uri is None:
        return SchemaState(False, 0, latest, _pending_after(0), 0)
    async with aiosqlite.connect(uri, uri=True) as conn:
        tables = {
            row[0]
            for row in await conn.execute_fetchall(
                "SELECT name FROM sqlite_master WHERE type = 'table'"
            )
        }
        version = 0
        if "schema_version" in tables:
            rows = list(
                await conn.execute_fetchall("SELECT COALESCE(MAX(version), 0) FROM schema_version")
            )
            version = int(rows[0][0])
        allowed = 0
        if "access" in tables:
            rows = list(
                await conn.execute_fetchall("SELECT COUNT(*) FROM access WHERE status = 'allowed'")
            )
            allowed = int(rows[0][0])
    return SchemaState(True, version, latest, _pending_after(version), allowed)


def _read_only_uri(path: Path) -> str | None:
    """mode=ro: sqlite never creates the file, never writes (no migration, no journal switch)."""
    return f"{path.resolve().as_uri()}?mode=ro" if path.exists() else None


def _pending_after(version: int) -> tuple[str, ...]:
    return tuple(f"{number}:{name}" for number, name, _ in MIGRATIONS if number > version)
