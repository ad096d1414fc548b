"""Told-once notices and the model catalogue shared through a real Redis (REDIS_URL): two
instances, as two replicas, tell each user once and ask Polza for the models once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import openai
import pytest
from aiohttp.test_utils import TestServer
from redis.asyncio import Redis

from bot.bounded import DAY
from bot.services.catalogue import ModelCatalogue, ModelKind
from bot.services.shared_catalogue import SharedCatalogue
from bot.services.told_once import RedisToldOnce

TTL = 600.0


@pytest.fixture
async def nowhere() -> AsyncIterator[Redis]:
    """A Redis nobody listens on."""
    client = Redis.from_url("redis://127.0.0.1:1", socket_connect_timeout=1)
    yield client
    await client.aclose()


async def model_fetches(server: TestServer) -> int:
    async with (
        aiohttp.ClientSession() as http,
        http.get(server.make_url("/_test/journal")) as resp,
    ):
        journal = await resp.json()
    return sum(entry["path"] == "/api/v1/models" for entry in journal)


async def test_of_two_replicas_only_the_first_tells(redis: Redis) -> None:
    first, second = RedisToldOnce(redis, "refused"), RedisToldOnce(redis, "refused")
    verdicts = await asyncio.gather(*(told.first_time(7) for told in (first, second) * 3))
    assert sum(verdicts) == 1, "told once across replicas"
    assert await RedisToldOnce(redis, "groups").first_time(7), "sets are kept apart"
    assert DAY - 5 < await redis.ttl("polza-bot:told:refused:7") <= DAY, "forgotten after a day"

    await second.forget(7)  # allowed since: if refused again, told again
    assert await first.first_time(7)
    assert not await second.first_time(7)


async def test_without_redis_a_replica_still_tells_once(nowhere: Redis) -> None:
    told = RedisToldOnce(nowhere, "refused")
    assert await told.first_time(7)
    assert not await told.first_time(7)


async def test_replicas_ask_polza_for_the_models_once(
    redis: Redis, sdk: openai.AsyncOpenAI, server: TestServer
) -> None:
    replicas = [
        ModelCatalogue(sdk, ttl_seconds=TTL, shared=SharedCatalogue(redis, TTL)) for _ in range(3)
    ]
    try:
        snapshots = await asyncio.gather(*(replica.get() for replica in replicas))
        chats = [[model.id for model in s.models(ModelKind.CHAT)] for s in snapshots]
        assert chats[0], "the catalogue's chat models"
        assert chats[1] == chats[0] and chats[2] == chats[0]
        assert await model_fetches(server) == 1
        assert 0 < await redis.ttl("polza-bot:catalogue") <= TTL
    finally:
        for replica in replicas:
            await replica.close()


async def test_without_redis_the_models_come_from_polza(
    nowhere: Redis, sdk: openai.AsyncOpenAI, server: TestServer
) -> None:
    models = ModelCatalogue(sdk, ttl_seconds=TTL, shared=SharedCatalogue(nowhere, TTL))
    try:
        assert len(await models.get()) > 0
        assert await model_fetches(server) == 1
    finally:
        await models.close()
