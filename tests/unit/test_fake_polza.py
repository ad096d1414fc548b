"""Self-tests of the fake Polza server, driven by the real openai SDK where it applies."""

from __future__ import annotations

import asyncio
import base64
import json
import signal
import struct
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import openai
import pytest
import pytest_asyncio
from aiohttp.test_utils import TestServer

from tests.fakes.polza_catalogue import default_catalogue
from tests.support.fixtures import fixture_bytes
from tests.unit.conftest import POLZA_TEST_KEY

ROOT = Path(__file__).resolve().parents[2]
API_KEY = POLZA_TEST_KEY
EN_TEXT = "Hello bot, please tell me a short joke about cats."
RU_TEXT = "Привет, бот. Расскажи короткую шутку про котов."
PIXEL = "data:image/png;base64,iVBORw0KGgo="


def _fixture(name: str) -> bytes:
    return fixture_bytes(name)


@pytest_asyncio.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest_asyncio.fixture
async def client(server: TestServer) -> AsyncIterator[openai.AsyncOpenAI]:
    async with openai.AsyncOpenAI(
        base_url=str(server.make_url("/api/v1")), api_key=API_KEY, max_retries=0
    ) as sdk:
        yield sdk


def _url(server: TestServer, path: str) -> str:
    return str(server.make_url(path))


async def _control(
    http: aiohttp.ClientSession, server: TestServer, path: str, payload: Any = None
) -> Any:
    async with http.post(_url(server, path), json=payload) as resp:
        assert resp.status == 200, await resp.text()
        return await resp.json()


async def _journal(http: aiohttp.ClientSession, server: TestServer) -> list[dict[str, Any]]:
    async with http.get(_url(server, "/_test/journal")) as resp:
        return list(await resp.json())


def _body(error: openai.APIError) -> dict[str, Any]:
    assert isinstance(error.body, dict)
    return error.body


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


# --- catalogue -------------------------------------------------------------------------------


def test_catalogue_has_what_tests_need() -> None:
    models = default_catalogue()
    assert 35 <= len(models) <= 45
    by_id = {m["id"]: m for m in models}
    providers = {m["id"].split("/")[0] for m in models}
    assert len(providers) >= 6
    assert "image" in by_id["openai/gpt-4o-mini"]["architecture"]["input_modalities"]
    assert "openai/gpt-4o" in by_id
    chat = [m for m in models if m["type"] == "chat"]
    assert any(m["architecture"]["input_modalities"] == ["text"] for m in chat)
    assert sum("reasoning" in m["top_provider"]["supported_parameters"] for m in chat) >= 3
    assert sum(len(m["id"].encode()) > 64 for m in models) >= 2
    assert any("context_length" not in m["top_provider"] for m in chat)
    assert any(m["top_provider"].get("context_length") == 4096 for m in chat)
    assert any("completion_per_million" not in m["top_provider"]["pricing"] for m in chat)
    seedream = by_id["bytedance/seedream-4"]
    assert seedream["parameters"]["aspect_ratio"]["values"] == [
        "1:1",
        "4:3",
        "3:4",
        "3:2",
        "2:3",
        "16:9",
        "9:16",
        "21:9",
    ]
    assert seedream["parameters"]["image_resolution"]["values"] == ["1K", "2K", "4K"]
    assert seedream["top_provider"]["pricing"]["per_request"] == "3.00"
    assert by_id["openai/whisper-1"]["type"] == "stt"
    assert "stt_per_minute" in by_id["openai/gpt-4o-mini-transcribe"]["top_provider"]["pricing"]
    default_catalogue()[0]["id"] = "mutated"
    assert default_catalogue()[0]["id"] != "mutated"


# --- chat ------------------------------------------------------------------------------------


async def test_sdk_streams_chat_with_usage_and_cost(
    server: TestServer, client: openai.AsyncOpenAI, http: aiohttp.ClientSession
) -> None:
    reply = "The quick brown fox jumps over the lazy dog."
    await _control(
        http,
        server,
        "/_test/chat/rules",
        [{"match": "fox", "reply": reply, "chunk_size": 10, "cost_rub": 0.42}],
    )
    stream = await client.chat.completions.create(
        model="openai/gpt-4o-mini",
        messages=[
            {"role": "system", "content": "be brief"},
            {"role": "user", "content": [{"type": "text", "text": "tell me about the fox"}]},
        ],
        stream=True,
    )
    chunks = [chunk async for chunk in stream]
    content = [
        c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content
    ]
    assert "".join(content) == reply
    assert len(content) == 5
    assert chunks[0].choices[0].delta.role == "assistant"
    assert (chunks[0].model_extra or {})["provider"] == "OpenAI"
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices]
    assert finishes[len(content) - 1] == "stop"
    usage_chunk = chunks[-1]
    assert usage_chunk.usage is not None
    assert len(usage_chunk.choices) == 1 and usage_chunk.choices[0].finish_reason is None
    # openai 3.x keeps Polza's extra usage fields: as attributes and in model_extra
    assert usage_chunk.usage.model_extra == {"cost_rub": 0.42, "cost": 0.42}
    assert getattr(usage_chunk.usage, "cost_rub") == 0.42  # noqa: B009
    assert usage_chunk.usage.completion_tokens_details is not None
    assert usage_chunk.usage.completion_tokens_details.reasoning_tokens == 0
    (entry,) = await _journal(http, server)
    assert entry["auth"] is True and entry["auth_ok"] is True
    assert entry["json"]["stream"] is True and entry["status"] == 200
    assert entry["first_chunk_time"] >= entry["time"]
    assert API_KEY not in json.dumps(entry)


async def test_a_reply_stops_at_the_requests_max_tokens(
    server: TestServer, client: openai.AsyncOpenAI, http: aiohttp.ClientSession
) -> None:
    await _control(http, server, "/_test/chat/rules", [{"reply": "abcd" * 50}])
    stream = await client.chat.completions.create(
        model="openai/gpt-4o-mini",
        messages=[{"role": "user", "content": "write a lot"}],
        stream=True,
        extra_body={"max_tokens": 10},
    )
    chunks = [chunk async for chunk in stream]
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "abcd" * 10
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-2] == "length"
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 10


async def test_non_stream_echo_reasoning_and_length(
    server: TestServer, client: openai.AsyncOpenAI, http: aiohttp.ClientSession
) -> None:
    resp = await client.chat.completions.create(
        model="openai/gpt-4o", messages=[{"role": "user", "content": "hi there"}]
    )
    assert resp.choices[0].message.content == "Echo: hi there"
    assert resp.usage is not None and resp.usage.prompt_tokens == 2
    assert isinstance((resp.usage.model_extra or {})["cost_rub"], float)
    assert "provider" not in (resp.model_extra or {})

    await _control(
        http,
        server,
        "/_test/chat/rules",
        [{"match": "think", "reasoning": "a" * 40, "reply": "", "finish_reason": "length"}],
    )
    stream = await client.chat.completions.create(
        model="openai/gpt-5-nano",
        messages=[{"role": "user", "content": "think hard"}],
        stream=True,
        extra_body={"reasoning": {"effort": "high"}},
    )
    chunks = [c async for c in stream]
    reasoning = "".join(
        (c.choices[0].delta.model_extra or {}).get("reasoning", "") for c in chunks if c.choices
    )
    assert reasoning == "a" * 40
    assert not any(c.choices[0].delta.content for c in chunks if c.choices)
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-2] == "length"
    usage = chunks[-1].usage
    assert usage is not None and usage.completion_tokens_details is not None
    assert usage.completion_tokens_details.reasoning_tokens == 10


async def test_chat_errors_surface_as_sdk_exceptions(
    server: TestServer, client: openai.AsyncOpenAI, http: aiohttp.ClientSession
) -> None:
    with pytest.raises(openai.NotFoundError) as not_found:
        await client.chat.completions.create(
            model="nobody/nothing", messages=[{"role": "user", "content": "x"}]
        )
    assert _body(not_found.value)["code"] == "NOT_FOUND"
    assert "nobody/nothing" in _body(not_found.value)["message"]

    await _control(
        http,
        server,
        "/_test/chat/rules",
        [
            {
                "match": "pay",
                "status": 402,
                "error_code": "INSUFFICIENT_FUNDS",
                "error_message": "Недостаточно средств",
                "times": 1,
            },
            {"match": "slow down", "status": 429, "retry_after": 7},
            {"match": "legacy", "status": 503, "error_shape": "legacy"},
        ],
    )
    with pytest.raises(openai.APIStatusError) as paid:
        await client.chat.completions.create(
            model="openai/gpt-4o-mini", messages=[{"role": "user", "content": "pay me"}]
        )
    assert paid.value.status_code == 402
    assert paid.value.body == {"code": "INSUFFICIENT_FUNDS", "message": "Недостаточно средств"}
    again = await client.chat.completions.create(  # times: 1 is used up
        model="openai/gpt-4o-mini", messages=[{"role": "user", "content": "pay me"}]
    )
    assert again.choices[0].message.content == "Echo: pay me"
    with pytest.raises(openai.RateLimitError) as limited:
        await client.chat.completions.create(
            model="openai/gpt-4o-mini", messages=[{"role": "user", "content": "slow down"}]
        )
    assert limited.value.response.headers["Retry-After"] == "7"
    with pytest.raises(openai.InternalServerError) as legacy:
        await client.chat.completions.create(
            model="openai/gpt-4o-mini", messages=[{"role": "user", "content": "legacy"}]
        )
    assert legacy.value.body == {
        "statusCode": 503,
        "message": "Нет доступных провайдеров для этой модели",
    }

    with pytest.raises(openai.BadRequestError) as bad:
        await client.chat.completions.create(
            model="openai/gpt-4o-mini",
            messages=[{"role": "robot", "content": "x"}],  # type: ignore[misc,list-item]
        )
    assert _body(bad.value)["code"] == "BAD_REQUEST"
    assert "role" in _body(bad.value)["metadata"]["raw"]
    image: Any = [
        {"role": "user", "content": [{"type": "image_url", "image_url": {"url": PIXEL}}]}
    ]
    with pytest.raises(openai.BadRequestError) as no_vision:
        await client.chat.completions.create(  # text-only model gets an image
            model="openai/gpt-3.5-turbo",
            messages=image,
        )
    assert "image input" in _body(no_vision.value)["metadata"]["raw"]
    seen_image = await client.chat.completions.create(model="openai/gpt-4o-mini", messages=image)
    assert seen_image.usage is not None and seen_image.usage.prompt_tokens == 85
    with pytest.raises(openai.BadRequestError) as too_long:
        await client.chat.completions.create(  # 4096-token context
            model="mistralai/mistral-7b-instruct-v0.1",
            messages=[{"role": "user", "content": "x" * 4 * 4097}],
        )
    assert "4096" in _body(too_long.value)["metadata"]["raw"]


async def test_stream_faults(
    server: TestServer, client: openai.AsyncOpenAI, http: aiohttp.ClientSession
) -> None:
    await _control(
        http,
        server,
        "/_test/chat/rules",
        [
            {"match": "mid", "mid_stream_error": 2, "chunk_size": 3},
            {"match": "drop", "drop_after_chunks": 1, "chunk_size": 3},
            {"match": "garbage", "malformed_line": True},
            {"match": "nousage", "omit_usage": True},
            {"match": "slow", "first_chunk_delay": 0.3, "reply": "ok"},
        ],
    )
    messages: Any = [{"role": "user", "content": "mid stream please"}]
    seen: list[str] = []
    with pytest.raises(openai.APIError) as mid:
        async for chunk in await client.chat.completions.create(
            model="openai/gpt-4o", messages=messages, stream=True
        ):
            seen.append(chunk.choices[0].delta.content or "")  # noqa: PERF401
    assert seen == ["Ech", "o: "]
    assert mid.value.body == {
        "code": "BAD_GATEWAY",
        "message": "Провайдер прервал генерацию ответа",
    }

    with pytest.raises(openai.APIConnectionError):
        async for _ in await client.chat.completions.create(
            model="openai/gpt-4o", messages=[{"role": "user", "content": "drop it"}], stream=True
        ):
            pass
    with pytest.raises(json.JSONDecodeError):
        async for _ in await client.chat.completions.create(
            model="openai/gpt-4o", messages=[{"role": "user", "content": "garbage"}], stream=True
        ):
            pass
    chunks = [
        c
        async for c in await client.chat.completions.create(
            model="openai/gpt-4o", messages=[{"role": "user", "content": "nousage"}], stream=True
        )
    ]
    assert all(c.usage is None for c in chunks)

    started = time.monotonic()
    stream = await client.chat.completions.create(
        model="openai/gpt-4o", messages=[{"role": "user", "content": "slow"}], stream=True
    )
    assert time.monotonic() - started < 0.25, "headers must arrive before the first chunk"
    first = [c.choices[0].delta.content async for c in stream if c.choices]
    assert first[0] == "ok"
    assert time.monotonic() - started >= 0.3
    journal = await _journal(http, server)
    assert journal[0]["mid_stream_error"] is True and journal[1]["dropped"] is True
    assert journal[-1]["first_chunk_time"] - journal[-1]["time"] >= 0.3


async def test_client_disconnect_is_journaled(
    server: TestServer, client: openai.AsyncOpenAI, http: aiohttp.ClientSession
) -> None:
    await _control(
        http,
        server,
        "/_test/chat/rules",
        [{"reply": "x" * 200, "chunk_size": 5, "chunk_delay": 0.02}],
    )
    stream = await client.chat.completions.create(
        model="openai/gpt-4o", messages=[{"role": "user", "content": "long"}], stream=True
    )
    async for _ in stream:
        break
    await stream.close()
    for _ in range(50):
        (entry,) = await _journal(http, server)
        if entry.get("client_disconnected"):
            break
        await asyncio.sleep(0.02)
    assert entry["client_disconnected"] is True
    assert 0 < entry["chunks_sent"] < 40


# --- models, auth, balance, journal ---------------------------------------------------------


async def test_models_list_auth_and_failures(
    server: TestServer, client: openai.AsyncOpenAI, http: aiohttp.ClientSession
) -> None:
    models = await client.models.list()
    ids = [m.id for m in models.data]
    assert "openai/gpt-4o-mini" in ids and "bytedance/seedream-4" in ids
    first = models.data[0].model_extra or {}
    assert first["top_provider"]["pricing"]["currency"] == "RUB"

    async with http.get(_url(server, "/api/v1/models"), params={"type": "stt"}) as resp:
        stt = (await resp.json())["data"]
    assert {m["id"] for m in stt} >= {"openai/whisper-1", "openai/gpt-4o-mini-transcribe"}
    await _control(http, server, "/_test/models/fail", {"times": 1, "status": 503})
    async with http.get(_url(server, "/api/v1/models")) as resp:
        assert resp.status == 503
    async with http.get(_url(server, "/api/v1/models")) as resp:
        assert resp.status == 200
    await _control(http, server, "/_test/models", [{"id": "x/only", "type": "chat"}])
    assert [m.id for m in (await client.models.list()).data] == ["x/only"]

    async with http.get(_url(server, "/api/v2/balance")) as resp:
        assert resp.status == 401
        assert await resp.json() == {"statusCode": 401, "message": "Unauthorized"}
    headers = {"Authorization": f"Bearer {API_KEY}"}
    await _control(http, server, "/_test/balance", {"available": 0.5})
    async with http.get(_url(server, "/api/v2/balance"), headers=headers) as resp:
        balance = await resp.json()
    assert balance["available"] == "0.50000000" and balance["amount"] == "1234.56000000"
    async with http.get(_url(server, "/api/v1/balance"), headers=headers) as resp:
        assert await resp.json() == {"amount": "9.28591714"}
    async with openai.AsyncOpenAI(
        base_url=_url(server, "/api/v1"), api_key="wrong", max_retries=0
    ) as wrong:
        with pytest.raises(openai.AuthenticationError) as denied:
            await wrong.chat.completions.create(
                model="openai/gpt-4o", messages=[{"role": "user", "content": "x"}]
            )
    assert denied.value.body == {"code": "UNAUTHORIZED", "message": "Неверный API ключ"}

    journal = await _journal(http, server)
    models_entry = next(e for e in journal if e["path"] == "/api/v1/models")
    assert models_entry["auth"] is True
    assert [e["status"] for e in journal if e["path"] == "/api/v2/balance"] == [401, 200]


async def test_unexpected_routes_are_loud_and_reset_clears(
    server: TestServer, http: aiohttp.ClientSession
) -> None:
    headers = {"Authorization": f"Bearer {API_KEY}"}
    async with http.post(_url(server, "/api/v1/embeddings"), json={}, headers=headers) as resp:
        assert resp.status == 500
        assert (await resp.json())["error"]["code"] == "FAKE_UNEXPECTED"
    async with http.get(_url(server, "/_test/unexpected")) as resp:
        (flagged,) = await resp.json()
    assert flagged["path"] == "/api/v1/embeddings" and flagged["unexpected"] is True
    async with http.post(_url(server, "/_test/chat/rules"), json=[{"rplay": "typo"}]) as resp:
        assert resp.status == 400
    await _control(http, server, "/_test/reset")
    assert await _journal(http, server) == []


# --- transcription ---------------------------------------------------------------------------


async def test_transcription_of_the_voice_fixtures(
    server: TestServer, client: openai.AsyncOpenAI, http: aiohttp.ClientSession
) -> None:
    voice_en = _fixture("voice_en.ogg")
    result = await client.audio.transcriptions.create(
        model="openai/whisper-1", file=("voice.ogg", voice_en, "audio/ogg")
    )
    assert result.text == EN_TEXT
    assert (result.model_extra or {})["language"] == "en"
    # the SDK parses Polza's usage{durationSeconds, cost_rub} loosely into its own Usage model
    assert result.usage is not None
    assert (result.usage.model_extra or {})["cost_rub"] > 0
    ru = await client.audio.transcriptions.create(
        model="openai/gpt-4o-mini-transcribe",
        file=("voice.ogg", _fixture("voice_ru.ogg"), "audio/ogg"),
        language="ru",
    )
    assert ru.text == RU_TEXT

    (entry, _) = await _journal(http, server)
    part = entry["multipart"]["files"]["file"]
    assert part["filename"] == "voice.ogg" and part["content_type"] == "audio/ogg"
    assert part["size"] == len(voice_en)
    head = bytes.fromhex(part["head_hex"])
    assert head.startswith(b"OggS") and b"OpusHead" in head
    assert entry["multipart"]["fields"]["model"] == "openai/whisper-1"

    with pytest.raises(openai.BadRequestError, match="oga"):
        await client.audio.transcriptions.create(
            model="openai/whisper-1", file=("voice.oga", voice_en, "audio/ogg")
        )
    with pytest.raises(openai.NotFoundError):
        await client.audio.transcriptions.create(
            model="openai/gpt-4o", file=("voice.ogg", voice_en, "audio/ogg")
        )
    await _control(http, server, "/_test/stt/rules", [{"status": 503}, {"text": "scripted words"}])
    with pytest.raises(openai.InternalServerError):
        await client.audio.transcriptions.create(
            model="openai/whisper-1", file=("a.mp3", b"ID3 fake", "audio/mpeg")
        )
    scripted = await client.audio.transcriptions.create(
        model="openai/whisper-1", file=("a.mp3", b"ID3 fake", "audio/mpeg")
    )
    assert scripted.text == "scripted words"
    fallback = await client.audio.transcriptions.create(
        model="openai/whisper-1", file=("a.wav", b"RIFF....", "audio/wav")
    )
    assert fallback.text == "[audio 8 bytes]"


# --- images ----------------------------------------------------------------------------------


async def _poll(client: openai.AsyncOpenAI, task_id: str) -> list[dict[str, Any]]:
    states: list[dict[str, Any]] = []
    for _ in range(10):
        task: Any = await client.get(f"/media/{task_id}", cast_to=object)
        states.append(task)
        if task["status"] in ("completed", "failed"):
            break
    return states


async def test_media_async_flow_and_png_download(
    server: TestServer, client: openai.AsyncOpenAI, http: aiohttp.ClientSession
) -> None:
    body = {
        "model": "bytedance/seedream-4",
        "input": {"prompt": "a red cat", "aspect_ratio": "16:9", "image_resolution": "2K"},
    }
    task: Any = await client.post("/media", body=body, cast_to=object)
    assert task["id"].startswith("aig_") and task["status"] == "pending"
    assert task["object"] == "media.generation"
    states = await _poll(client, task["id"])
    assert [s["status"] for s in states] == ["pending", "processing", "completed"]
    done = states[-1]
    assert done["usage"]["cost_rub"] == 3.0
    url = done["data"][0]["url"]
    assert url.startswith(_url(server, "/files/"))
    async with http.get(url) as resp:
        assert resp.status == 200 and resp.content_type == "image/png"
        png = await resp.read()
    assert _png_size(png) == (64, 48)

    second: Any = await client.post("/media", body=body, cast_to=object)
    other = (await _poll(client, second["id"]))[-1]["data"][0]["url"]
    async with http.get(other) as resp:
        assert await resp.read() != png

    for bad_input in (
        {"prompt": "x", "aspect_ratio": "5:7"},
        {"prompt": "x" * 5001},
        {"prompt": ""},
    ):
        with pytest.raises(openai.BadRequestError):
            await client.post(
                "/media",
                body={"model": "bytedance/seedream-4", "input": bad_input},
                cast_to=object,
            )
    with pytest.raises(openai.NotFoundError):
        await client.post(
            "/media", body={"model": "openai/gpt-4o", "input": {"prompt": "x"}}, cast_to=object
        )
    with pytest.raises(openai.NotFoundError):
        await client.get("/media/aig_999999", cast_to=object)


async def test_media_references_counts_and_seeds_follow_the_models_parameters(
    client: openai.AsyncOpenAI, http: aiohttp.ClientSession
) -> None:
    reference = {"type": "base64", "data": "data:image/jpeg;base64," + _b64(b"\xff\xd8 jpeg")}
    body = {
        "model": "bytedance/seedream-4",
        "input": {"prompt": "two cats", "images": [reference], "max_images": 2, "seed": 7},
    }
    task: Any = await client.post("/media", body=body, cast_to=object)
    done = (await _poll(client, task["id"]))[-1]
    assert len(done["data"]) == 2 and done["usage"]["output_units"] == 2
    urls = [item["url"] for item in done["data"]]
    pictures = []
    for url in urls:
        async with http.get(url) as resp:
            pictures.append(await resp.read())
    assert pictures[0] != pictures[1]

    flux = "black-forest-labs/flux-schnell"
    for model, bad_input in (
        (flux, {"prompt": "x", "images": [reference]}),  # a text-only model
        (flux, {"prompt": "x", "max_images": 2}),
        ("bytedance/seedream-4", {"prompt": "x", "max_images": 7}),
        ("bytedance/seedream-4", {"prompt": "x", "images": [reference] * 11}),
        ("bytedance/seedream-4", {"prompt": "x", "images": [{"type": "base64", "data": "%%"}]}),
        ("bytedance/seedream-4", {"prompt": "x", "images": [{"type": "file", "data": "a"}]}),
        ("bytedance/seedream-4", {"prompt": "x", "seed": -1}),
    ):
        with pytest.raises(openai.BadRequestError):
            await client.post("/media", body={"model": model, "input": bad_input}, cast_to=object)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


async def test_media_rules(
    server: TestServer, client: openai.AsyncOpenAI, http: aiohttp.ClientSession
) -> None:
    await _control(
        http,
        server,
        "/_test/media/rules",
        [
            {"mode": "immediate"},
            {"mode": "failed", "polls_before_done": 1},
            {"data_shape": "dict", "url_gone": True, "polls_before_done": 0, "cost_rub": 8.25},
            {"mode": "moderation"},
        ],
    )
    body = {"model": "bytedance/seedream-4", "input": {"prompt": "a cat"}}
    immediate: Any = await client.post("/media", body=body, cast_to=object)
    assert immediate["status"] == "completed"
    _png_size(base64.b64decode(immediate["data"]["b64_json"]))
    failed: Any = await client.post("/media", body=body, cast_to=object)
    states = await _poll(client, failed["id"])
    assert [s["status"] for s in states] == ["processing", "failed"]
    assert states[-1]["error"]["code"] == "BAD_GATEWAY"
    gone: Any = await client.post("/media", body=body, cast_to=object)
    done = (await _poll(client, gone["id"]))[-1]
    assert done["usage"]["cost_rub"] == 8.25
    async with http.get(done["data"]["url"]) as resp:
        assert resp.status == 404
    with pytest.raises(openai.BadRequestError) as moderated:
        await client.post("/media", body=body, cast_to=object)
    assert _body(moderated.value)["code"] == "CONTENT_POLICY"

    await _control(http, server, "/_test/media/unavailable", {"status": 404})
    with pytest.raises(openai.NotFoundError):
        await client.post("/media", body=body, cast_to=object)


async def test_images_generate_request_id_and_sync(
    server: TestServer, client: openai.AsyncOpenAI, http: aiohttp.ClientSession
) -> None:
    result = await client.images.generate(model="openai/gpt-image-1", prompt="a dog")
    request_id = (result.model_extra or {})["requestId"]
    assert request_id.startswith("gen_") and result.data is None
    done = (await _poll(client, request_id))[-1]
    assert done["status"] == "completed" and done["id"] == request_id

    await _control(
        http, server, "/_test/images/rules", [{"mode": "sync"}, {"mode": "unavailable"}]
    )
    sync = await client.images.generate(model="bytedance/seedream-4", prompt="a dog")
    assert sync.data is not None and sync.data[0].url is not None
    assert sync.usage is not None and (sync.usage.model_extra or {})["cost_rub"] == 3.0
    async with http.get(sync.data[0].url) as resp:
        _png_size(await resp.read())
    with pytest.raises(openai.InternalServerError) as unavailable:
        await client.images.generate(model="bytedance/seedream-4", prompt="a dog")
    assert unavailable.value.status_code == 503


# --- the CLI ---------------------------------------------------------------------------------


def test_cli_prints_port_and_stops_on_sigterm() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.polza_api", "--port", "0", "--api-key", "k"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("LISTENING ")
        port = int(line.split()[1])
        with openai.OpenAI(base_url=f"http://127.0.0.1:{port}/api/v1", api_key="k") as sync:
            answer = sync.chat.completions.create(
                model="openai/gpt-4o-mini", messages=[{"role": "user", "content": "ping"}]
            )
        assert answer.choices[0].message.content == "Echo: ping"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(5) == 0
        assert proc.stdout.read() == ""
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


async def test_web_plugin_citations_and_file_parts(
    server: TestServer, client: openai.AsyncOpenAI
) -> None:
    searched = await client.chat.completions.create(
        model="x-ai/grok-4",
        messages=[{"role": "user", "content": "cup final"}],
        extra_body={"plugins": [{"id": "web"}]},
    )
    annotations = searched.choices[0].message.annotations or []
    urls = [a.url_citation.url for a in annotations]
    assert urls == [f"https://source{n}.example.com/cup-final" for n in (1, 2, 3)]
    assert searched.usage is not None
    usage = searched.usage.model_extra or {}
    assert usage["server_tool_use"] == {"web_search_requests": 1}
    assert usage["cost_rub"] > 1.17  # grok-4 lists 1170.60 RUB per thousand searches

    pdf = {
        "type": "file",
        "file": {"filename": "a.pdf", "file_data": "data:application/pdf;base64,JVBERi0="},
    }
    content: Any = [{"type": "text", "text": "read"}, pdf]
    with pytest.raises(openai.BadRequestError) as refused:
        await client.chat.completions.create(
            model="openai/gpt-4o-mini", messages=[{"role": "user", "content": content}]
        )
    assert "file input" in json.dumps(refused.value.body, ensure_ascii=False)
    with pytest.raises(openai.BadRequestError):
        await client.chat.completions.create(
            model="openai/gpt-4o-mini",
            messages=[{"role": "user", "content": "hi"}],
            extra_body={"plugins": [{"id": "polza:search"}]},
        )
    read = await client.chat.completions.create(
        model="google/gemini-2.5-flash", messages=[{"role": "user", "content": content}]
    )
    assert read.usage is not None and read.usage.prompt_tokens == 1001
