"""pytest fixtures around tests/support/servers.py: one server of each kind per test process
(pytest-xdist workers get their own), a fresh PostgreSQL database per test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest
import pytest_asyncio
from redis.asyncio import Redis

from storage import Database
from tests.support.servers import PostgresServer, RedisServer, ServerMissing

Server = TypeVar("Server", PostgresServer, RedisServer)


def _serve(start: Callable[[], Server]) -> Iterator[Server]:
    try:
        server = start()
    except ServerMissing as missing:
        pytest.fail(str(missing), pytrace=False)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    yield from _serve(lambda: PostgresServer().start())


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    yield from _serve(lambda: RedisServer().start())


@pytest_asyncio.fixture
async def redis(redis_server: RedisServer) -> AsyncIterator[Redis]:
    """A client of the test Redis, emptied first."""
    client = Redis.from_url(redis_server.url)
    await client.flushdb()
    yield client
    await client.aclose()


@pytest_asyncio.fixture
async def postgres_url(postgres_server: PostgresServer) -> AsyncIterator[str]:
    """The URL of a fresh, empty database of its own."""
    url = await postgres_server.create_database()
    yield url
    await postgres_server.drop_database(url)


@pytest_asyncio.fixture(params=["sqlite", "postgresql"])
async def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """Where a test's store lives, once per backend: a fresh SQLite file, a fresh PostgreSQL
    database on the real server."""
    if request.param == "sqlite":
        yield str(tmp_path / "nested" / "bot.sqlite3")
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    url = await server.create_database()
    yield url
    await server.drop_database(url)


@pytest_asyncio.fixture
async def store(store_url: str) -> AsyncIterator[Database]:
    """A migrated store on each backend (the storage contract suite runs on both)."""
    database = await Database.open(store_url)
    yield database
    await database.close()
