"""The SQLite backend: one aiosqlite connection with sane pragmas and explicit transactions,
and WAL checkpoints run on a second connection, off the write path (`WalCheckpointer`)."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar, cast

import aiosqlite

from storage.db import Database, Dialect, Row
from storage.migrations import apply_migrations

logger = logging.getLogger(__name__)

T = TypeVar("T")

# How long a write waits for another process (a backup, an admin's sqlite3 shell) to let go
# of the database before "database is locked".
BUSY_TIMEOUT_MS = 10_000

# WAL checkpoints. SQLite's automatic one runs inside the commit that fills 1000 pages of the
# WAL, with two fsyncs: that commit took several ms (the benchmark's write p99: 6-12 ms, its
# median 0.2 ms). The checkpointer runs them on its own connection and thread instead (a
# PASSIVE checkpoint does not stop the writer): after CHECKPOINT_COMMITS write transactions
# (~1000 pages of answered exchanges, as often as SQLite's own), or once no write came for
# CHECKPOINT_IDLE seconds. The write after a round that caught up starts the WAL over, which
# costs it one small fsync (of the WAL's header, ~0.4 ms here), as it did before.
CHECKPOINT_COMMITS = 100
CHECKPOINT_IDLE = 5.0
# Writes made while a round runs keep it from catching up, and the WAL from starting over.
# Past this many pages (~16 MB) a round runs once more holding this connection's writers back
# (it syncs what the rounds before it copied: ~10-40 ms at that size here); only writes
# without pause get there. The file is cut back to WAL_LIMIT_BYTES when the WAL starts over
# (it only grows past that while another connection, a backup or a sqlite3 shell, reads an
# old snapshot: SQLite cannot checkpoint past it).
WAL_LIMIT_PAGES = 4_000
WAL_LIMIT_BYTES = 32 * 1024 * 1024
# After an error (a full disk, say) the checkpointer tries again this much later.
CHECKPOINT_RETRY = 30.0
# How long the last checkpoint, at close, waits for other connections' readers and writers.
CLOSE_CHECKPOINT_TIMEOUT_MS = 2_000


class SqliteTransaction:
    """Statements on the connection while `SqliteDatabase.transaction` holds it.

    Each statement is one trip to aiosqlite's thread, and `BEGIN IMMEDIATE` rides with the
    first. The bot's writes queue behind one lock, and under load every trip also waits for
    a turn of the busy event loop: with a trip per BEGIN, statement, cursor close and COMMIT,
    the lock was held ~1.7 ms per transaction and writes waited ~0.5 s for it in the
    benchmark's peak-rate burst. aiosqlite has no public call for "run this on your thread",
    so its `_execute` and `_conn` are used (aiosqlite is pinned by uv.lock).
    """

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn
        self.begun = False  # BEGIN IMMEDIATE sent: COMMIT (or ROLLBACK) ends it
        self._deferred: list[tuple[str, tuple[Any, ...]]] = []

    def defer(self, sql: str, params: Iterable[Any] = ()) -> None:
        self._deferred.append((sql, tuple(params)))

    async def commit(self) -> bool:
        """COMMIT with what was deferred, in one trip; False when nothing was written."""
        if not self.begun and not self._deferred:
            return False
        await self._on_thread(_rowcount, "COMMIT", ())
        return True

    async def execute(self, sql: str, params: Iterable[Any] = ()) -> int:
        return await self._on_thread(_rowcount, sql, tuple(params))

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        await self._on_thread(_many, sql, [tuple(row) for row in rows])

    async def fetch_all(self, sql: str, params: Iterable[Any] = ()) -> list[Row]:
        return await self._on_thread(_rows, sql, tuple(params))

    async def fetch_one(self, sql: str, params: Iterable[Any] = ()) -> Row | None:
        rows = await self.fetch_all(sql, params)
        return rows[0] if rows else None

    async def _on_thread(
        self, statement: Callable[[sqlite3.Connection, str, Any], T], sql: str, params: Any
    ) -> T:
        begin, self.begun = not self.begun, True
        deferred, self._deferred = self._deferred, []
        raw: sqlite3.Connection = self._conn._conn

        def step() -> T:
            if begin:
                raw.execute("BEGIN IMMEDIATE")
            for earlier, values in deferred:
                _rowcount(raw, earlier, values)
            return statement(raw, sql, params)

        return cast(T, await self._conn._execute(step))  # type: ignore[no-untyped-call]


def _rowcount(raw: sqlite3.Connection, sql: str, params: tuple[Any, ...]) -> int:
    cursor = raw.execute(sql, params)
    try:
        return cursor.rowcount
    finally:
        cursor.close()


def _many(raw: sqlite3.Connection, sql: str, rows: list[tuple[Any, ...]]) -> None:
    raw.executemany(sql, rows).close()


def _rows(raw: sqlite3.Connection, sql: str, params: tuple[Any, ...]) -> list[Row]:
    cursor = raw.execute(sql, params)
    try:
        return cast(list[Row], cursor.fetchall())
    finally:
        cursor.close()


class _Abandoned(Exception):
    """A lone write whose caller was cancelled before it could commit: rolled back."""


def _open_reader(path: str) -> sqlite3.Connection | None:
    """`SqliteDatabase.lookup`'s connection: read-only, and never waiting for a lock (that
    would stop the event loop): a busy read goes to the database thread instead."""
    try:
        reader = sqlite3.connect(path, isolation_level=None)
        reader.row_factory = sqlite3.Row
        reader.execute("PRAGMA query_only=ON")
        reader.execute("PRAGMA busy_timeout=0")
    except sqlite3.Error as error:
        logger.warning("Reads stay on the database thread: %s", error)
        return None
    return reader


class WalCheckpointer:
    """Checkpoints the WAL from its own connection, in a background task of its own.

    Told of every commit (`wrote`); `round()` checkpoints now. `close()` stops the task and
    checkpoints the whole WAL, truncating the file, before closing the connection.
    """

    def __init__(self, conn: aiosqlite.Connection, write_lock: asyncio.Lock) -> None:
        self._conn = conn
        self._write_lock = write_lock
        self._commits = 0
        self._dirty = asyncio.Event()  # a commit since the last round
        self._due = asyncio.Event()  # CHECKPOINT_COMMITS of them
        self._dirty.set()  # whatever opening (migrations) left in the WAL
        self._limit = WAL_LIMIT_PAGES
        self._task: asyncio.Task[None] | None = None

    @classmethod
    async def open(cls, path: str, write_lock: asyncio.Lock) -> WalCheckpointer:
        conn = await aiosqlite.connect(path, isolation_level=None)
        try:
            await conn.execute(f"PRAGMA busy_timeout={CLOSE_CHECKPOINT_TIMEOUT_MS}")
        except BaseException:
            await conn.close()
            raise
        checkpointer = cls(conn, write_lock)
        checkpointer._task = asyncio.create_task(checkpointer._run(), name="wal-checkpoint")
        return checkpointer

    def wrote(self) -> None:
        self._commits += 1
        self._dirty.set()
        if self._commits >= CHECKPOINT_COMMITS:
            self._due.set()

    async def round(self) -> tuple[int, int]:
        """One PASSIVE checkpoint; the WAL's pages and how many of them are now checkpointed.

        The WAL starts over at the first write after a round that caught up with it. Writes
        made while the rounds run can keep it from ever catching up: past the limit, a round
        runs once more with this connection's writers held back. Still behind after that,
        another connection is reading an old snapshot: warned about, and the limit moves up.
        """
        self._dirty.clear()
        self._due.clear()
        self._commits = 0
        pages, done = await self._checkpoint("PASSIVE")
        if pages >= self._limit:
            async with self._write_lock:
                pages, done = await self._checkpoint("PASSIVE")
            if done < pages:
                logger.warning(
                    "The SQLite WAL has %d pages, %d of them not yet copied into the database:"
                    " another connection (a backup, a sqlite3 shell?) is reading an old"
                    " snapshot; the WAL is checkpointed once it lets go",
                    pages,
                    pages - done,
                )
                self._limit = pages + WAL_LIMIT_PAGES
            else:
                self._limit = WAL_LIMIT_PAGES
        elif pages < WAL_LIMIT_PAGES:  # it started over
            self._limit = WAL_LIMIT_PAGES
        if done < pages:
            self._dirty.set()  # the rest at the next round, writes or not
        return pages, done

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        try:
            pages, done = await self._checkpoint("TRUNCATE")
            if done < pages:
                logger.warning("The SQLite WAL could not be checkpointed at close (busy)")
        except sqlite3.Error as error:
            logger.warning("The last WAL checkpoint failed: %s", error)
        finally:
            await self._conn.close()

    async def _checkpoint(self, mode: str) -> tuple[int, int]:
        rows = list(await self._conn.execute_fetchall(f"PRAGMA wal_checkpoint({mode})"))
        busy, pages, done = rows[0]
        if busy:  # TRUNCATE waited for a reader or writer in vain: nothing is known done
            return max(int(pages), 1), 0
        return int(pages), int(done)

    async def _run(self) -> None:
        while True:
            try:
                await self._dirty.wait()
                await self._until_due()
                await self.round()
            except Exception as error:  # never the end of the bot: the next round may work
                logger.warning("WAL checkpoint failed: %s", error)
                self._dirty.set()
                await asyncio.sleep(CHECKPOINT_RETRY)

    async def _until_due(self) -> None:
        """Until CHECKPOINT_COMMITS commits since the last round, or CHECKPOINT_IDLE seconds
        without one."""
        while True:
            seen = self._commits
            try:
                async with asyncio.timeout(CHECKPOINT_IDLE):
                    await self._due.wait()
                return
            except TimeoutError:
                if self._commits == seen:
                    return


class SqliteDatabase(Database):
    """Owns the connection. Writes go through `transaction()` so they never interleave."""

    dialect: Dialect = "sqlite"

    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._conn = connection
        self._write_lock = asyncio.Lock()
        self._checkpointer: WalCheckpointer | None = None
        self._reader: sqlite3.Connection | None = None  # `lookup`'s, on the event loop

    @classmethod
    async def connect(cls, path: Path | str) -> SqliteDatabase:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        conn = await aiosqlite.connect(str(path), isolation_level=None)
        conn.row_factory = aiosqlite.Row
        mode = await conn.execute_fetchall("PRAGMA journal_mode=WAL")
        wal = next(iter(mode))[0] == "wal"  # not for :memory:, nor where WAL is impossible
        for pragma in (
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
        if wal:
            await db._start_checkpointer(str(path))
            db._reader = _open_reader(str(path))
        return db

    async def _start_checkpointer(self, path: str) -> None:
        try:
            checkpointer = await WalCheckpointer.open(path, self._write_lock)
        except sqlite3.Error as error:  # SQLite's own checkpoints stay on
            logger.warning("WAL checkpoints stay in the write path: %s", error)
            return
        try:
            await self._conn.execute("PRAGMA wal_autocheckpoint=0")
            await self._conn.execute(f"PRAGMA journal_size_limit={WAL_LIMIT_BYTES}")
        except BaseException:
            await checkpointer.close()
            raise
        self._checkpointer = checkpointer

    async def checkpoint(self) -> tuple[int, int] | None:
        """One checkpoint round now (the background task runs them by itself): the WAL's
        pages and how many of them are in the database file; None without a checkpointer."""
        return await self._checkpointer.round() if self._checkpointer is not None else None

    async def close(self) -> None:
        """Stops the checkpointer, checkpoints the whole WAL, then closes the connections."""
        if self._reader is not None:
            self._reader.close()
            self._reader = None
        try:
            if self._checkpointer is not None:
                await self._checkpointer.close()
                self._checkpointer = None
        finally:
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
            tx = SqliteTransaction(self._conn)
            try:
                yield tx
                if not await tx.commit():
                    return  # no statement: nothing to commit
            except BaseException:
                await self._rollback()
                raise
            if self._checkpointer is not None:
                self._checkpointer.wrote()

    async def write(self, sql: str, params: Iterable[Any] = ()) -> list[Row]:
        """One statement committed on its own, in one trip to the database thread: BEGIN
        IMMEDIATE, the statement and COMMIT run there together. The trip goes on when its
        caller is cancelled (waiting for another process's lock, say); it then rolls back
        instead of committing, unless it had committed already."""
        values = tuple(params)
        raw: sqlite3.Connection = self._conn._conn
        abandoned = threading.Event()

        def step() -> list[Row]:
            raw.execute("BEGIN IMMEDIATE")
            try:
                rows = _rows(raw, sql, values)
                if abandoned.is_set():
                    raise _Abandoned
                raw.execute("COMMIT")
            except BaseException:
                try:
                    raw.rollback()  # does nothing when SQLite ended the transaction itself
                except sqlite3.Error as error:
                    logger.warning("ROLLBACK failed: %s", error)
                raise
            return rows

        async with self._write_lock:
            try:
                done = await self._conn._execute(step)  # type: ignore[no-untyped-call]
            except asyncio.CancelledError:
                abandoned.set()
                raise
        rows = cast(list[Row], done)
        if self._checkpointer is not None:
            self._checkpointer.wrote()
        return rows

    async def _rollback(self) -> None:
        # sqlite3's rollback() does nothing when no transaction is open: SQLite ends it itself
        # after some errors (a full disk), and an explicit ROLLBACK would fail and hide them.
        try:
            await asyncio.shield(self._conn.rollback())
        except sqlite3.Error as error:
            logger.warning("ROLLBACK failed: %s", error)

    async def lookup(self, sql: str, params: Iterable[Any] = ()) -> list[Row]:
        """Read on the event loop itself, from a read-only connection of its own (WAL lets it
        read while the other connection writes): what it sees is committed. Busy for a
        moment (SQLite resetting the WAL), or without WAL, the read takes the thread."""
        if self._reader is not None:
            try:
                return _rows(self._reader, sql, tuple(params))
            except sqlite3.OperationalError as error:
                if error.sqlite_errorcode not in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
                    raise
        return await self.fetch_all(sql, params)

    async def fetch_all(self, sql: str, params: Iterable[Any] = ()) -> list[Row]:
        # One trip to the database thread (execute + fetch + close would take three).
        return cast(list[Row], list(await self._conn.execute_fetchall(sql, tuple(params))))
