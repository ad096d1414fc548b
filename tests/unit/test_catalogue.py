"""The model catalogue: parsing Polza's `GET /models`, the snapshot's queries, the cache."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import aiohttp
import openai
import pytest
import pytest_asyncio
from aiohttp.test_utils import TestServer

from bot.services.catalogue import (
    REFRESH_RETRY_SECONDS,
    Catalogue,
    CatalogueUnavailable,
    ModelCatalogue,
    ModelInfo,
    ModelKind,
    Pricing,
    estimate_cost_rub,
    parse_model,
    parse_models,
)
from tests.fakes.polza_catalogue import LONG_ID_1, LONG_ID_2, default_catalogue
from tests.unit.conftest import POLZA_TEST_KEY

API_KEY = POLZA_TEST_KEY
TTL = 600.0


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest_asyncio.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest_asyncio.fixture
async def cache(sdk: openai.AsyncOpenAI, clock: FakeClock) -> AsyncIterator[ModelCatalogue]:
    models = ModelCatalogue(sdk, ttl_seconds=TTL, clock=clock)
    yield models
    await models.close()


async def _control(
    http: aiohttp.ClientSession, server: TestServer, path: str, payload: Any
) -> None:
    async with http.post(server.make_url(path), json=payload) as resp:
        assert resp.status == 200, await resp.text()


async def _model_fetches(http: aiohttp.ClientSession, server: TestServer) -> list[int]:
    async with http.get(server.make_url("/_test/journal")) as resp:
        journal = await resp.json()
    return [entry["status"] for entry in journal if entry["path"] == "/api/v1/models"]


async def _until(condition: Any, what: str) -> None:
    for _ in range(200):
        if condition():
            return
        await asyncio.sleep(0.005)
    raise AssertionError(f"timed out waiting for {what}")


def _snapshot(*entries: dict[str, Any]) -> Catalogue:
    return Catalogue(parse_models(entries), fetched_at=0.0)


def _model(model_id: str, **fields: Any) -> ModelInfo:
    model = parse_model({"id": model_id, "type": "chat", **fields})
    assert model is not None
    return model


# --- parsing the fake's realistic catalogue --------------------------------------------------


async def test_fake_catalogue_parses_into_kinds_and_flags(cache: ModelCatalogue) -> None:
    catalogue = await cache.get()
    assert len(catalogue) == len(default_catalogue()) == 45
    kinds = {kind: [m.id for m in catalogue.models(kind)] for kind in ModelKind}
    assert len(kinds[ModelKind.CHAT]) == 34
    assert sorted(kinds[ModelKind.IMAGE]) == [
        "black-forest-labs/flux-schnell",
        "bytedance/seedream-4",
        "google/gemini-2.5-flash-image",
        "openai/gpt-image-1",
    ]
    assert sorted(kinds[ModelKind.STT]) == [
        "openai/gpt-4o-mini-transcribe",
        "openai/gpt-4o-transcribe",
        "openai/whisper-1",
    ]
    assert sorted(kinds[ModelKind.OTHER]) == [
        "openai/gpt-4o-mini-tts",
        "openai/text-embedding-3-small",
    ]
    assert sorted(kinds[ModelKind.VIDEO]) == ["kling/v2.5-turbo", "kling/v3"]
    kling = catalogue.get("kling/v3")
    assert kling is not None
    assert kling.video_durations == tuple(range(3, 16)) and kling.default_duration == 5
    assert kling.aspect_ratios == ("16:9", "9:16", "1:1")
    assert str(kling.pricing.video_per_second) == "8.40"
    turbo = catalogue.get("kling/v2.5-turbo")
    assert turbo is not None and turbo.video_durations == (5, 10)

    mini = catalogue.get("openai/gpt-4o-mini")
    assert mini is not None
    assert mini.name == "OpenAI: GPT-4o-mini" and mini.provider == "openai"
    assert mini.vision and not mini.supports_reasoning
    assert mini.input_modalities == ("text", "image") and mini.output_modalities == ("text",)
    assert (mini.context_length, mini.max_completion_tokens) == (128000, 16384)
    assert mini.created == 1721260800 and mini.short_description
    assert mini.pricing.prompt_per_million == Decimal("14.63")
    assert mini.pricing.completion_per_million == Decimal("58.53")
    assert isinstance(mini.pricing.prompt_per_million, Decimal)
    assert mini.aspect_ratios == () and mini.prompt_limit is None

    turbo = catalogue.get("openai/gpt-3.5-turbo")
    assert turbo is not None and not turbo.vision
    nano = catalogue.get("openai/gpt-5-nano")
    assert nano is not None and nano.supports_reasoning
    assert sum(m.supports_reasoning for m in catalogue.models(ModelKind.CHAT)) >= 3
    aiesa = catalogue.get("aiesa/aiesa-mini")
    assert aiesa is not None and aiesa.context_length is None
    assert aiesa.max_completion_tokens is None
    short = catalogue.get("mistralai/mistral-7b-instruct-v0.1")
    assert short is not None and short.context_length == 4096
    giga = catalogue.get("GigaChat/GigaChat-3-Pro")
    assert giga is not None and giga.provider == "GigaChat"


async def test_prices_and_media_parameters(cache: ModelCatalogue) -> None:
    catalogue = await cache.get()
    gemma = catalogue.get("google/gemma-3-27b-it")
    assert gemma is not None
    assert gemma.pricing.prompt_per_million == Decimal("6.34")
    assert gemma.pricing.completion_per_million is None
    unpriced = catalogue.get("meta-llama/llama-3.1-8b-instruct")
    assert unpriced is not None and unpriced.pricing.prompt_per_million is None

    seedream = catalogue.get("bytedance/seedream-4")
    assert seedream is not None and seedream.kind is ModelKind.IMAGE
    assert seedream.pricing.per_request == Decimal("3.00")
    assert seedream.aspect_ratios == ("1:1", "4:3", "3:4", "3:2", "2:3", "16:9", "9:16", "21:9")
    assert seedream.image_resolutions == ("1K", "2K", "4K")
    assert seedream.prompt_limit == 5000 and seedream.vision
    gpt_image = catalogue.get("openai/gpt-image-1")
    assert gpt_image is not None
    assert gpt_image.aspect_ratios == ("1:1", "3:2", "2:3") and gpt_image.image_resolutions == ()
    assert gpt_image.prompt_limit == 32000

    whisper = catalogue.get("openai/whisper-1")
    assert whisper is not None and whisper.kind is ModelKind.STT
    assert whisper.pricing.stt_per_minute == Decimal("0.59")


async def test_long_ids_get_short_stable_keys(cache: ModelCatalogue) -> None:
    catalogue = await cache.get()
    models = [catalogue.models(kind) for kind in ModelKind]
    everything = [m for group in models for m in group]
    assert len({m.key for m in everything}) == len(everything)
    for model_id in (LONG_ID_1, LONG_ID_2):
        assert len(model_id.encode()) > 64
        model = catalogue.get(model_id)
        assert model is not None
        assert len(model.key) <= 12 and model.key.isascii() and model.key.isalnum()
        assert catalogue.by_key(model.key) is model
    # callback data survives restarts and releases only if the key never changes
    gpt_4o = catalogue.get("openai/gpt-4o")
    assert gpt_4o is not None and gpt_4o.key == "oztpy3ev5x"
    assert catalogue.by_key("nonexistent") is None and catalogue.get("no/such") is None


async def test_providers_and_ordering(cache: ModelCatalogue) -> None:
    catalogue = await cache.get()
    assert catalogue.providers(ModelKind.CHAT) == [
        ("aiesa", 1),
        ("anthropic", 3),
        ("deepseek", 3),
        ("GigaChat", 2),
        ("google", 4),
        ("meta-llama", 3),
        ("mistralai", 3),
        ("nousresearch", 1),
        ("openai", 7),
        ("qwen", 3),
        ("some-provider", 1),
        ("x-ai", 2),
        ("yandex", 1),
    ]
    assert catalogue.providers(ModelKind.IMAGE) == [
        ("black-forest-labs", 1),
        ("bytedance", 1),
        ("google", 1),
        ("openai", 1),
    ]
    anthropic = catalogue.by_provider(ModelKind.CHAT, "anthropic")
    assert [m.name for m in anthropic] == [
        "Anthropic: Claude Haiku 4.5",
        "Anthropic: Claude Opus 4.1",
        "Anthropic: Claude Sonnet 4.5",
    ]
    assert catalogue.by_provider(ModelKind.IMAGE, "anthropic") == []
    chat = catalogue.models(ModelKind.CHAT)
    assert [m.provider for m in chat[:4]] == ["aiesa", "anthropic", "anthropic", "anthropic"]
    chat.clear()
    assert len(catalogue.models(ModelKind.CHAT)) == 34, "the snapshot must not be mutable"


async def test_search_over_the_fake_catalogue(cache: ModelCatalogue) -> None:
    catalogue = await cache.get()
    ids = [m.id for m in catalogue.search(ModelKind.CHAT, "GPT-4o")]
    assert ids == ["openai/gpt-4o", "openai/gpt-4o-mini"]
    claude = [m.id for m in catalogue.search(ModelKind.CHAT, "  claude   4.5 ")]
    assert claude == ["anthropic/claude-haiku-4.5", "anthropic/claude-sonnet-4.5"]
    assert catalogue.search(ModelKind.CHAT, "transcribe") == []
    assert len(catalogue.search(ModelKind.STT, "transcribe")) == 2
    assert len(catalogue.search(ModelKind.CHAT, "openai", limit=3)) == 3
    assert catalogue.search(ModelKind.CHAT, "   ") == []


# --- parsing hand-made entries ---------------------------------------------------------------


def test_search_ranks_exact_id_then_id_prefix_then_name_prefix() -> None:
    catalogue = _snapshot(
        {"id": "aaa/x-alpha", "name": "X Alpha", "type": "chat"},
        {"id": "bbb/beta", "name": "Alpha Beta", "type": "chat"},
        {"id": "ccc/alpha-pro", "name": "Ccc: Pro", "type": "chat"},
        {"id": "ddd/alpha", "name": "Ddd: Something", "type": "chat"},
        {"id": "eee/gamma", "name": "Gamma", "type": "chat"},
    )
    found = [m.id for m in catalogue.search(ModelKind.CHAT, "ALPHA")]
    assert found == ["ddd/alpha", "ccc/alpha-pro", "bbb/beta", "aaa/x-alpha"]
    assert [m.id for m in catalogue.search(ModelKind.CHAT, "ddd/alpha")] == ["ddd/alpha"]
    assert [m.id for m in catalogue.search(ModelKind.CHAT, "alpha", limit=2)] == [
        "ddd/alpha",
        "ccc/alpha-pro",
    ]
    assert [m.id for m in catalogue.search(ModelKind.CHAT, "beta alpha")] == ["bbb/beta"]


def test_kind_is_inferred_when_type_is_missing() -> None:
    def kind(outputs: list[str], inputs: list[str] | None = None) -> ModelKind:
        architecture = {"input_modalities": inputs or ["text"], "output_modalities": outputs}
        model = parse_model({"id": "p/m", "architecture": architecture})
        assert model is not None
        return model.kind

    assert kind(["image"]) is ModelKind.IMAGE
    assert kind(["image", "text"]) is ModelKind.IMAGE
    assert kind(["text"]) is ModelKind.CHAT
    assert kind(["text"], ["audio"]) is ModelKind.STT
    assert kind(["embeddings"]) is ModelKind.OTHER
    assert kind([]) is ModelKind.OTHER
    assert _model("p/m", type="Video").kind is ModelKind.VIDEO
    assert _model("p/m", type="moderation").kind is ModelKind.OTHER
    assert _model("p/m", type="IMAGE").kind is ModelKind.IMAGE


def test_fields_are_read_defensively() -> None:
    flat = _model(
        "NoSlashModel",
        context_length=32768,
        max_completion_tokens="4096",
        supported_parameters=["reasoning"],
        pricing={"prompt": "0.00001463", "completion": 0.00005853},
    )
    assert flat.provider == "noslashmodel" and flat.name == "NoSlashModel"
    assert flat.context_length == 32768 and flat.max_completion_tokens == 4096
    assert flat.supports_reasoning
    assert flat.pricing.prompt_per_million == Decimal("14.63")
    assert flat.pricing.completion_per_million == Decimal("58.53")

    preferred = _model(
        "p/m",
        context_length=1,
        top_provider={
            "context_length": 8192,
            "pricing": {"prompt_per_million": "2.5", "prompt": "0.1", "per_request": "oops"},
        },
    )
    assert preferred.context_length == 8192
    assert preferred.pricing.prompt_per_million == Decimal("2.5")
    assert preferred.pricing.per_request is None

    junk = _model(
        "p/junk",
        name="  ",
        created="yesterday",
        architecture={"input_modalities": "text", "output_modalities": [1, None, "TEXT"]},
        top_provider={
            "context_length": True,
            "max_completion_tokens": -5,
            "supported_parameters": None,
            "pricing": {
                "prompt_per_million": "NaN",
                "completion_per_million": "-1",
                "stt_per_minute": "Infinity",
                "image_output_per_million": [],
                "request_per_thousand": "1e999999",
                "prompt": True,
                "completion": "1e999999",
            },
        },
        parameters={"aspect_ratio": {"values": "1:1"}, "prompt": {"max_length": 0}},
    )
    assert junk.name == "p/junk" and junk.created is None
    assert junk.input_modalities == () and junk.output_modalities == ("text",)
    assert junk.context_length is None and junk.max_completion_tokens is None
    assert not junk.supports_reasoning and junk.prompt_limit is None
    assert junk.pricing == Pricing()
    assert estimate_cost_rub(junk, 1000, 1000) is None


def test_malformed_entries_are_skipped(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="bot.services.catalogue")
    good: dict[str, Any] = {
        "id": "p/good",
        "type": "chat",
        "architecture": None,
        "top_provider": [],
    }
    models = parse_models(["junk", None, {}, {"id": 42}, {"id": "  "}, {"name": "x"}, good])
    assert [m.id for m in models] == ["p/good"]
    skipped = [r for r in caplog.records if "malformed" in r.getMessage()]
    assert len(skipped) == 6 and all(r.levelno == logging.DEBUG for r in skipped)
    duplicate = _snapshot({"id": "p/a", "name": "First"}, {"id": "p/a", "name": "Second"})
    assert len(duplicate) == 1
    assert [m.name for m in duplicate.models(ModelKind.OTHER)] == ["First"]


def test_estimate_cost_rub() -> None:
    priced = _model(
        "p/priced",
        top_provider={
            "pricing": {"prompt_per_million": "14.63", "completion_per_million": "58.53"}
        },
    )
    assert estimate_cost_rub(priced, 1000, 500) == Decimal("0.043895")
    assert estimate_cost_rub(priced, 1_000_000, None) == Decimal("14.63")
    assert estimate_cost_rub(priced, 0, 0) == Decimal(0)
    assert estimate_cost_rub(priced, None, None) is None

    prompt_only = _model("p/half", pricing={"prompt_per_million": "6.34"})
    assert estimate_cost_rub(prompt_only, 2000, 9999) == Decimal("0.01268")

    image = _model("p/img", type="image", pricing={"per_request": "3.00"})
    assert estimate_cost_rub(image, None, None) == Decimal("3.00")
    fees = _model(
        "p/fees",
        pricing={"prompt_per_million": "100", "per_request": "0.5", "request_per_thousand": "2"},
    )
    assert estimate_cost_rub(fees, 10_000, None) == Decimal("1.502")
    assert estimate_cost_rub(_model("p/free"), 100, 100) is None


# --- the cache -------------------------------------------------------------------------------


async def test_concurrent_first_calls_share_one_fetch(
    cache: ModelCatalogue, server: TestServer, http: aiohttp.ClientSession
) -> None:
    assert cache.cached() is None
    results = await asyncio.gather(*(cache.get() for _ in range(5)))
    assert all(result is results[0] for result in results)
    assert cache.cached() is results[0]
    assert await _model_fetches(http, server) == [200]


async def test_stale_cache_triggers_exactly_one_background_refresh(
    cache: ModelCatalogue, clock: FakeClock, server: TestServer, http: aiohttp.ClientSession
) -> None:
    first = await cache.get()
    assert first.fetched_at == 1000.0
    clock.now += TTL - 1
    assert await cache.get() is first
    await asyncio.sleep(0.02)
    assert await _model_fetches(http, server) == [200], "fresh cache must not refetch"

    await _control(http, server, "/_test/models", [{"id": "x/only", "type": "chat"}])
    clock.now += 2
    stale = [await cache.get() for _ in range(5)]
    assert all(result is first for result in stale), "a stale cache is served at once"
    await _until(lambda: cache.cached() is not first, "the background refresh")
    second = await cache.get()
    assert [m.id for m in second.models(ModelKind.CHAT)] == ["x/only"]
    assert second.fetched_at == clock.now
    await asyncio.sleep(0.02)
    assert await _model_fetches(http, server) == [200, 200]


async def test_failed_refresh_keeps_the_old_snapshot(
    cache: ModelCatalogue,
    clock: FakeClock,
    server: TestServer,
    http: aiohttp.ClientSession,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="bot.services.catalogue")
    first = await cache.get()
    await _control(http, server, "/_test/models/fail", {"times": 1, "status": 503})
    clock.now += TTL + 1
    assert await cache.get() is first

    def warned() -> bool:
        return any("refresh failed" in r.getMessage() for r in caplog.records)

    await _until(warned, "the refresh failure warning")
    (record,) = [r for r in caplog.records if "refresh failed" in r.getMessage()]
    assert record.levelno == logging.WARNING and "503" in record.getMessage()
    assert cache.cached() is first

    # no retry storm: the next attempt waits a little, then the refresh recovers
    assert await cache.get() is first
    await asyncio.sleep(0.02)
    assert await _model_fetches(http, server) == [200, 503]
    clock.now += REFRESH_RETRY_SECONDS
    assert await cache.get() is first
    await _until(lambda: cache.cached() is not first, "the retried refresh")
    assert await _model_fetches(http, server) == [200, 503, 200]


async def test_first_load_failure_raises_and_a_later_call_recovers(
    cache: ModelCatalogue, server: TestServer, http: aiohttp.ClientSession
) -> None:
    await _control(http, server, "/_test/models/fail", {"times": 1, "status": 502})
    results = await asyncio.gather(*(cache.get() for _ in range(3)), return_exceptions=True)
    assert all(isinstance(result, CatalogueUnavailable) for result in results)
    assert "502" in str(results[0])
    assert cache.cached() is None
    catalogue = await cache.get()
    assert len(catalogue) == 45
    assert await _model_fetches(http, server) == [502, 200]


async def test_unusable_bodies_and_unreachable_servers_are_unavailable(
    cache: ModelCatalogue, server: TestServer, http: aiohttp.ClientSession
) -> None:
    await _control(http, server, "/_test/models", [])
    with pytest.raises(CatalogueUnavailable, match="no usable models"):
        await cache.get()
    async with openai.AsyncOpenAI(
        base_url="http://127.0.0.1:9/api/v1", api_key="x", max_retries=0, timeout=2
    ) as nowhere:
        unreachable = ModelCatalogue(nowhere)
        with pytest.raises(CatalogueUnavailable) as failure:
            await unreachable.get()
        assert isinstance(failure.value.__cause__, openai.APIConnectionError)
        await unreachable.close()


async def test_close_cancels_the_background_refresh(
    sdk: openai.AsyncOpenAI, clock: FakeClock
) -> None:
    models = ModelCatalogue(sdk, ttl_seconds=TTL, clock=clock)
    first = await models.get()
    clock.now += TTL
    assert await models.get() is first
    await models.close()
    await asyncio.sleep(0.02)
    assert models.cached() is first
    assert await models.get() is first, "a closed cache still serves what it has"
    await models.close()

    never_loaded = ModelCatalogue(sdk)
    await never_loaded.close()
    with pytest.raises(CatalogueUnavailable, match="closed"):
        await never_loaded.get()
