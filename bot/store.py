"""Opening the configured store at start, with one clear line instead of a traceback."""

from __future__ import annotations

import sys

from bot.config import Settings
from bot.database_file import database_target
from storage import Database
from storage.db import StoreUnavailable

SECOND_PROCESS = (
    "Database error: another bot process is already running on this PostgreSQL database."
    " Without REDIS_URL each process keeps conversations, limits and menus in its own memory,"
    " so only one may run; set REDIS_URL to run several (README: Scaling out)\n"
)


async def open_store(settings: Settings) -> Database:
    """The migrated store DATABASE_URL / DATABASE_PATH names; else exit code 2."""
    try:
        db = await Database.open(database_target(settings))
    except StoreUnavailable as error:
        sys.stderr.write(f"Database error: {error}; check DATABASE_URL\n")
        raise SystemExit(2) from None
    if settings.uses_postgres and not shares_state(settings):
        from storage.postgres import PostgresDatabase

        assert isinstance(db, PostgresDatabase)
        if not await db.claim_sole_process():
            await db.close()
            sys.stderr.write(SECOND_PROCESS)
            raise SystemExit(2)
    return db


def shares_state(settings: Settings) -> bool:
    """Whether replicas share their in-memory state (and so may run side by side)."""
    return bool(settings.redis_url.get_secret_value())
