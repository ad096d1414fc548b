"""TranscriptionService against the fake Polza server, run in-process, with the real openai SDK."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import openai
import pytest
import pytest_asyncio
from aiohttp.test_utils import TestServer

from bot.services.audio import AudioChunk, prepare_audio
from bot.services.errors import PolzaError, PolzaErrorKind
from bot.services.metering import Meter
from bot.services.transcription import TranscriptionService
from tests.support.fixtures import fixture_bytes
from tests.unit.conftest import POLZA_TEST_KEY

ROOT = Path(__file__).resolve().parents[2]
API_KEY = POLZA_TEST_KEY
MODEL = "openai/whisper-1"
EN_TEXT = "Hello bot, please tell me a short joke about cats."
RU_TEXT = "Привет, бот. Расскажи короткую шутку про котов."


def _fixture(name: str) -> bytes:
    return fixture_bytes(name)


@pytest_asyncio.fixture
async def http(server: TestServer) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(base_url=server.make_url("/")) as session:
        yield session
        async with session.get("/_test/unexpected") as resp:
            assert await resp.json() == [], "the fake saw a request it does not expect"


@pytest_asyncio.fixture
async def sdk(server: TestServer) -> AsyncIterator[openai.AsyncOpenAI]:
    async with openai.AsyncOpenAI(
        base_url=str(server.make_url("/api/v1")), api_key=API_KEY, max_retries=0
    ) as client:
        yield client


async def _stt_rules(http: aiohttp.ClientSession, rules: list[dict[str, Any]]) -> None:
    async with http.post("/_test/stt/rules", json=rules) as resp:
        assert resp.status == 200, await resp.text()


async def _uploads(http: aiohttp.ClientSession) -> list[dict[str, Any]]:
    async with http.get("/_test/journal") as resp:
        journal: list[dict[str, Any]] = await resp.json()
    assert all(e["path"] == "/api/v1/audio/transcriptions" for e in journal)
    return journal


def _voice(name: str = "voice_en.ogg", filename: str = "voice.ogg") -> AudioChunk:
    return AudioChunk(filename, _fixture(name), "audio/ogg", 4.0)


async def test_a_voice_note_is_transcribed(
    meter: Meter, sdk: openai.AsyncOpenAI, http: aiohttp.ClientSession
) -> None:
    data = _fixture("voice_en.ogg")
    chunks = await prepare_audio(
        data,
        mime_type="audio/ogg",
        file_name="file_0.oga",
        chunk_seconds=60,
        max_upload_bytes=10**7,
    )

    transcript = await TranscriptionService(sdk, MODEL, meter).transcribe(
        chunks, language=None, user_id=42, chat_id=42
    )

    assert transcript.text == EN_TEXT
    assert transcript.language == "en"
    assert transcript.duration_seconds == pytest.approx(3.97)
    assert transcript.cost_rub is not None and transcript.cost_rub > 0
    assert transcript.requests == 1
    (upload,) = await _uploads(http)
    assert upload["auth_ok"] is True
    assert upload["multipart"]["fields"] == {
        "model": MODEL,
        "response_format": "json",
        "user": "42",
    }
    part = upload["multipart"]["files"]["file"]
    assert part["filename"] == "voice.ogg"
    assert part["content_type"] == "audio/ogg"
    assert part["size"] == len(data)


async def test_the_language_is_sent_when_known(
    meter: Meter, sdk: openai.AsyncOpenAI, http: aiohttp.ClientSession
) -> None:
    service = TranscriptionService(sdk, "openai/gpt-4o-mini-transcribe", meter)
    transcript = await service.transcribe(
        [_voice("voice_ru.ogg")], language="ru", user_id=7, chat_id=7
    )
    assert transcript.text == RU_TEXT
    assert transcript.language == "ru"
    (upload,) = await _uploads(http)
    assert upload["multipart"]["fields"]["language"] == "ru"
    assert upload["multipart"]["fields"]["model"] == "openai/gpt-4o-mini-transcribe"


async def test_chunks_are_sent_in_order_and_joined(
    meter: Meter, sdk: openai.AsyncOpenAI, http: aiohttp.ClientSession
) -> None:
    await _stt_rules(
        http,
        [
            {"text": "  First part, ", "duration": 50, "cost_rub": 0.25},
            {"text": "\nsecond part", "duration": 50.5, "cost_rub": 0.5},
            {"text": "third part.", "duration": 49.5, "cost_rub": 0.125},
        ],
    )
    chunks = [_voice(filename=f"voice-{i:03d}.ogg") for i in (1, 2, 3)]

    transcript = await TranscriptionService(sdk, MODEL, meter).transcribe(
        chunks, language="en", user_id=42, chat_id=42
    )

    assert transcript.text == "First part, second part third part."
    assert transcript.cost_rub == pytest.approx(0.875)
    assert transcript.duration_seconds == pytest.approx(150)
    assert transcript.requests == 3
    uploads = await _uploads(http)
    assert [u["multipart"]["files"]["file"]["filename"] for u in uploads] == [
        "voice-001.ogg",
        "voice-002.ogg",
        "voice-003.ogg",
    ]


async def test_nothing_recognised_is_an_empty_text(
    meter: Meter, sdk: openai.AsyncOpenAI, http: aiohttp.ClientSession
) -> None:
    await _stt_rules(http, [{"text": "  \n "}, {"text": ""}])
    transcript = await TranscriptionService(sdk, MODEL, meter).transcribe(
        [_voice(), _voice()], language=None, user_id=1, chat_id=1
    )
    assert transcript.text == ""
    assert transcript.requests == 2


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (400, PolzaErrorKind.BAD_REQUEST),
        (402, PolzaErrorKind.BALANCE),
        (429, PolzaErrorKind.RATE_LIMITED),
        (503, PolzaErrorKind.UNAVAILABLE),
    ],
)
async def test_an_error_status_is_raised_once_without_retrying(
    meter: Meter,
    sdk: openai.AsyncOpenAI,
    http: aiohttp.ClientSession,
    status: int,
    kind: PolzaErrorKind,
) -> None:
    await _stt_rules(http, [{"text": "first"}, {"status": status, "retry_after": 0}])
    # a client that would retry on its own: the service must switch that off
    retrying = sdk.with_options(max_retries=2)

    with pytest.raises(PolzaError) as caught:
        await TranscriptionService(retrying, MODEL, meter).transcribe(
            [_voice(), _voice(), _voice()], language=None, user_id=1, chat_id=1
        )

    assert caught.value.kind is kind
    assert caught.value.status == status
    assert caught.value.model == MODEL
    assert caught.value.code is not None and caught.value.message
    assert len(await _uploads(http)) == 2  # no retry, and the third chunk is never sent


async def test_a_slow_answer_is_a_timeout(
    meter: Meter, sdk: openai.AsyncOpenAI, http: aiohttp.ClientSession
) -> None:
    await _stt_rules(http, [{"delay": 0.5}])
    with pytest.raises(PolzaError) as caught:
        await TranscriptionService(sdk, MODEL, meter, timeout=0.1).transcribe(
            [_voice()], language=None, user_id=1, chat_id=1
        )
    assert caught.value.kind is PolzaErrorKind.TIMEOUT
    assert len(await _uploads(http)) == 1


async def test_an_unreachable_server_is_a_connection_error(meter: Meter) -> None:
    with socket.socket() as probe:  # a port that nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with openai.AsyncOpenAI(
        base_url=f"http://127.0.0.1:{port}/api/v1", api_key=API_KEY, max_retries=0
    ) as client:
        with pytest.raises(PolzaError) as caught:
            await TranscriptionService(client, MODEL, meter).transcribe(
                [_voice()], language=None, user_id=1, chat_id=1
            )
    assert caught.value.kind is PolzaErrorKind.CONNECTION


async def test_no_chunks_is_a_programming_error(meter: Meter, sdk: openai.AsyncOpenAI) -> None:
    with pytest.raises(ValueError, match="no audio chunks"):
        await TranscriptionService(sdk, MODEL, meter).transcribe(
            [], language=None, user_id=1, chat_id=1
        )
