"""Storage: the database opens and its schema is known, the data folder is writable, disk space."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import SecretStr

from bot.doctor.context import NETWORK_TIMEOUT_SECONDS, DoctorContext, optional_setting
from bot.doctor.report import Check, fail, ok, warn
from storage.db import sqlite_path
from storage.inspection import inspect_database

GROUP = "Storage"
LOW_DISK_BYTES = 500 * 1024 * 1024
MB = 1024 * 1024
# Services a URL may point at, for the reachability check when no port is given.
DEFAULT_PORTS = {"postgres": 5432, "postgresql": 5432, "redis": 6379, "rediss": 6379}


async def check_storage(ctx: DoctorContext) -> list[Check]:
    path = ctx.settings.database_path
    database_url = _secret(optional_setting(ctx.settings, "database_url"))
    if database_url.startswith("sqlite://"):
        path = Path(sqlite_path(database_url))
    if database_url.startswith(("postgresql://", "postgres://")):
        checks = []  # the server is checked below; the bot migrates it at start
    elif str(path) == ":memory:":
        checks = [
            warn(
                GROUP,
                "Database",
                "in memory: history, usage and /allow decisions are lost at every restart",
                "set DATABASE_PATH to a file, e.g. data/bot.sqlite3",
            )
        ]
    else:
        checks = [await _database(path), *await asyncio.to_thread(_folder_and_disk, path)]
    # Other stores arrive with their own settings; each is checked once it exists.
    for setting in ("database_url", "redis_url"):
        url = _secret(optional_setting(ctx.settings, setting))
        if url and not url.startswith("sqlite://"):
            checks.append(await _reachable(setting.upper(), url))
    return checks


def _secret(value: object) -> str:
    return value.get_secret_value() if isinstance(value, SecretStr) else str(value or "")


async def _database(path: Path) -> Check:
    try:
        state = await inspect_database(path)
    except (sqlite3.Error, OSError) as error:
        return fail(
            GROUP,
            "Database",
            f"{path} cannot be opened: {error}",
            "check DATABASE_PATH and the file's permissions; restore a backup if it is damaged",
        )
    if not state.exists:
        return ok(GROUP, "Database", f"{path} not created yet: the bot creates it at first start")
    if state.version > state.latest:
        return fail(
            GROUP,
            "Database",
            f"{path} has schema version {state.version}, newer than this code"
            f" ({state.latest}): it belongs to a newer release",
            "run the newer release, or point DATABASE_PATH at a database of this one",
        )
    if state.pending:
        return ok(
            GROUP,
            "Database",
            f"{path} at schema version {state.version}: the next start applies"
            f" {', '.join(state.pending)}",
        )
    return ok(GROUP, "Database", f"{path} at schema version {state.version} (current)")


def _existing_ancestor(folder: Path) -> Path:
    current = folder.resolve()
    while not current.exists() and current != current.parent:
        current = current.parent
    return current


def _folder_and_disk(path: Path) -> list[Check]:
    folder = path.parent
    existing = _existing_ancestor(folder)
    try:
        # A real write: permissions, read-only mounts and full disks all show up here.
        with tempfile.TemporaryFile(dir=existing, prefix=".doctor-"):
            pass
    except OSError as error:
        writable = fail(
            GROUP,
            "Data folder",
            f"{existing} is not writable: {error.strerror or error}",
            f"let the user running the bot write to {existing} (chown/chmod, or a writable"
            " volume), or set DATABASE_PATH elsewhere",
        )
    else:
        found = (
            f"{folder} is writable"
            if existing == folder.resolve()
            else (
                f"{folder} does not exist yet; the bot creates it in {existing}, which is writable"
            )
        )
        writable = ok(GROUP, "Data folder", found)
    free = shutil.disk_usage(existing).free
    shown = f"{free / 1024 / MB:.1f} GB free" if free >= 1024 * MB else f"{free // MB} MB free"
    if free < LOW_DISK_BYTES:
        disk = warn(
            GROUP,
            "Disk space",
            f"{shown} on the data folder's disk",
            "free some space: the database and voice processing need room",
        )
    else:
        disk = ok(GROUP, "Disk space", f"{shown} on the data folder's disk")
    return [writable, disk]


async def _reachable(setting: str, url: str) -> Check:
    """A TCP connection to the URL's host: enough to catch a wrong host, port or firewall."""
    parts = urlsplit(url)
    host = parts.hostname
    try:
        port = parts.port or DEFAULT_PORTS.get(parts.scheme.split("+")[0])
    except ValueError:
        port = None
    if not host or port is None:
        return fail(GROUP, setting, "has no host and port", f"write {setting} as a full URL")
    where = f"{host}:{port}"  # never the whole URL: it may carry a password
    try:
        async with asyncio.timeout(NETWORK_TIMEOUT_SECONDS):
            _, writer = await asyncio.open_connection(host, port)
        writer.close()
        await writer.wait_closed()
    except (OSError, TimeoutError) as error:
        return fail(
            GROUP,
            setting,
            f"{where} is not reachable: {error or 'timed out'}",
            f"start that service or fix {setting}",
        )
    return ok(GROUP, setting, f"{where} is reachable")
