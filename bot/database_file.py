"""Where the store is: PostgreSQL's URL, or the SQLite file with its folder made at start
(one clear line, not a traceback, if it can't be)."""

from __future__ import annotations

import errno
import logging
import os
import sys
from pathlib import Path

from bot.config import Settings
from storage.db import sqlite_path

logger = logging.getLogger(__name__)


def database_target(settings: Settings) -> Path | str:
    """DATABASE_URL when it names PostgreSQL, else the usable SQLite file."""
    url = settings.database_url.get_secret_value()
    if settings.uses_postgres:
        return url
    if url:
        return _usable_file(Path(sqlite_path(url)), "DATABASE_URL")
    return usable_database_file(settings)


def usable_database_file(settings: Settings) -> Path:
    """`settings.database_path` with its folder made; else exit code 2 and one line on stderr."""
    path = settings.database_path
    if settings.ignored_database_path is not None:
        logger.warning(
            "DATABASE_PATH %s is outside DATA_DIR %s (the data volume); using %s",
            settings.ignored_database_path,
            settings.data_dir,
            path,
        )
    return _usable_file(path, "DATABASE_PATH")


def _usable_file(path: Path, setting: str) -> Path:
    if str(path) == ":memory:":
        return path
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # SQLite also writes the -wal and -shm files beside the database.
        if not os.access(path.parent, os.W_OK):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))
        with path.open("ab"):
            pass
    except OSError as error:
        blocker = next((p for p in path.parents if p.exists() and not p.is_dir()), None)
        reason = f"{blocker} is a file" if blocker else error.strerror or str(error)
        sys.stderr.write(
            f"Database error: cannot create {path} ({reason}); make its folder writable for"
            f" this user or set {setting} to another file\n"
        )
        raise SystemExit(2) from None
    return path
