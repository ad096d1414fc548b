"""Shared fixtures of the in-process unit tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import openai
import pytest
import pytest_asyncio
from aiohttp.test_utils import TestServer

from bot.services.catalogue import Catalogue, CatalogueUnavailable
from bot.services.limits import SpendingGuard
from bot.services.metering import Meter
from bot.services.usage import PriceList, UsageService
from storage import Database, UsageRepository, UserRepository
from tests.fakes.polza_api import build_app

POLZA_TEST_KEY = "pza_unit_test_key"


@pytest_asyncio.fixture
async def server() -> AsyncIterator[TestServer]:
    """The fake Polza server, in-process, expecting `POLZA_TEST_KEY`."""
    srv = TestServer(build_app(POLZA_TEST_KEY), host="127.0.0.1")
    await srv.start_server()
    yield srv
    await srv.close()


@pytest_asyncio.fixture
async def sdk(server: TestServer) -> AsyncIterator[openai.AsyncOpenAI]:
    """An SDK client of the fake Polza, without retries."""
    async with openai.AsyncOpenAI(
        base_url=str(server.make_url("/api/v1")), api_key="x", max_retries=0
    ) as client:
        yield client


class NoPrices:
    """A catalogue that never loads: every estimate falls back to the unknown-price figure."""

    def cached(self) -> Catalogue | None:
        return None

    async def get(self) -> Catalogue:
        raise CatalogueUnavailable("no catalogue in this test")


@pytest_asyncio.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated database in a fresh file."""
    database = await Database.open(tmp_path / "bot.sqlite3")
    yield database
    await database.close()


def make_meter(
    db: Database, prices: PriceList | None = None, guard: SpendingGuard | None = None
) -> Meter:
    ledger = UsageRepository(db)
    estimator = UsageService(
        ledger, UserRepository(db), prices or NoPrices(), unknown_price_rub=Decimal(5)
    )
    return Meter(ledger, estimator, guard or SpendingGuard(ledger, 0, 0, ()))


@pytest.fixture
def meter(db: Database) -> Meter:
    """A real meter over a real ledger, without limits or prices."""
    return make_meter(db)
