"""Shared fixtures of the in-process unit tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio
from aiohttp.test_utils import TestServer

from tests.fakes.polza_api import build_app

POLZA_TEST_KEY = "pza_unit_test_key"


@pytest_asyncio.fixture
async def server() -> AsyncIterator[TestServer]:
    """The fake Polza server, in-process, expecting `POLZA_TEST_KEY`."""
    srv = TestServer(build_app(POLZA_TEST_KEY), host="127.0.0.1")
    await srv.start_server()
    yield srv
    await srv.close()
