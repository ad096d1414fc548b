"""`python -m bot migrate-sqlite-to-postgres --from data/bot.sqlite3`: move a bot's data."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from storage import Database
from storage.db import StoreUnavailable
from storage.transfer import TargetNotEmpty, copy_sqlite_to_postgres


class _Target(BaseSettings):
    """Only DATABASE_URL: the bot's other settings are not needed to copy its data."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=False)
    database_url: SecretStr = SecretStr("")


def migrate(source: str, target: str, *, force: bool) -> int:
    """Exit code: 0 copied, 2 nothing done (the reason on stderr)."""
    url = target or _Target().database_url.get_secret_value()
    if not url.startswith(("postgresql://", "postgres://")):
        return _fail("set DATABASE_URL (or --to) to postgresql://user:password@host/db")
    path = Path(source)
    if not path.is_file():
        return _fail(f"{path} is not a file (--from names the bot's SQLite database)")
    return asyncio.run(_copy(path, url, force=force))


async def _copy(path: Path, url: str, *, force: bool) -> int:
    try:
        postgres = await Database.open(url)
    except StoreUnavailable as error:
        return _fail(str(error))
    try:
        sqlite = await Database.open(path)  # brought to the current schema first, as at start
        try:
            copied = await copy_sqlite_to_postgres(sqlite, postgres, force=force)
        finally:
            await sqlite.close()
    except TargetNotEmpty as filled:
        return _fail(f"the PostgreSQL database already has data ({filled}); --force replaces it")
    finally:
        await postgres.close()
    for entry in copied:
        sys.stdout.write(f"{entry.table}: {entry.rows} rows\n")
    sys.stdout.write(f"Copied {sum(e.rows for e in copied)} rows from {path} to PostgreSQL\n")
    return 0


def _fail(reason: str) -> int:
    sys.stderr.write(f"Migration error: {reason}\n")
    return 2
