"""Spoken answers: what is read aloud, in which pieces, and SpeechService against the fake
Polza in both of its answer shapes and OpenAI's raw one."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import openai
import pytest
import pytest_asyncio
from aiohttp.test_utils import TestServer

from bot.services.metering import Meter
from bot.services.speech import SpeechError, SpeechService
from bot.services.speech_text import split_for_speech, spoken_text
from bot.services.url_policy import UrlPolicy
from bot.telegram.voice_replies import speaks
from storage import Database
from tests.support.fixtures import fixture_bytes
from tests.unit.conftest import POLZA_TEST_KEY

TLS = ssl.create_default_context()
NOTE = "(code omitted)"
FIXTURE_AUDIO = fixture_bytes("voice_en.ogg")  # what the fake Polza "says"


def test_code_blocks_are_replaced_and_markdown_is_read_as_plain_text() -> None:
    answer = (
        "## Sorting\n\nUse **sorted** with `key=len`, see [the docs](https://docs.python.org).\n\n"
        "```python\nprint(sorted(words, key=len))\n```\n\n- one\n- _two_\n\nMore at https://x.io"
    )
    assert spoken_text(answer, NOTE) == (
        "Sorting\n\nUse sorted with key=len, see the docs.\n\n"
        "(code omitted)\n\none\ntwo\n\nMore at"
    )
    assert spoken_text("```\nonly code\n```", NOTE) == NOTE


def test_long_text_is_split_at_sentence_ends_and_cut_past_the_last_piece() -> None:
    sentence = "This sentence has exactly forty-four chars. "
    text = sentence * 10
    split = split_for_speech(text, limit=100, max_pieces=3)
    assert split.cut
    assert len(split.pieces) == 3
    assert all(len(p) <= 100 and p.endswith("chars.") for p in split.pieces)
    whole = split_for_speech(text, limit=1000, max_pieces=3)
    assert whole.pieces == (text.strip(),) and not whole.cut
    words = split_for_speech("word " * 50, limit=30, max_pieces=20)
    assert not words.cut and all(len(p) <= 30 and "wor " not in p for p in words.pieces)


def test_which_answers_are_spoken_by_themselves() -> None:
    assert speaks("on", voice_input=False) and speaks("on", voice_input=True)
    assert speaks("auto", voice_input=True) and not speaks("auto", voice_input=False)
    assert not speaks(None, voice_input=True) and not speaks("bogus", voice_input=True)


@pytest_asyncio.fixture
async def speech(server: TestServer, meter: Meter) -> AsyncIterator[SpeechService]:
    sdk = openai.AsyncOpenAI(
        base_url=str(server.make_url("/api/v1")),
        api_key=POLZA_TEST_KEY,
        max_retries=0,
        http_client=openai.DefaultAsyncHttpxClient(verify=TLS),
    )
    service = SpeechService(
        sdk,
        meter,
        model="openai/gpt-4o-mini-tts",
        voice="alloy",
        url_policy=UrlPolicy.for_polza(str(sdk.base_url)),
    )
    yield service
    await service.close()
    await sdk.close()


async def _rule(server: TestServer, rule: dict[str, Any]) -> None:
    async with (
        aiohttp.ClientSession() as http,
        http.post(server.make_url("/_test/speech/rules"), json=rule) as response,
    ):
        assert response.status == 200, await response.text()


async def _ledger(db: Database) -> list[tuple[str, float, bool]]:
    rows = await db.fetch_all("SELECT kind, cost_rub, estimated FROM usage ORDER BY id")
    return [(row[0], row[1], bool(row[2])) for row in rows]


@pytest.mark.parametrize("shape", ["json_base64", "json_url", "raw"])
async def test_every_answer_shape_gives_the_audio_and_a_ledger_row(
    speech: SpeechService, server: TestServer, db: Database, shape: str
) -> None:
    await _rule(server, {"shape": shape, "cost_rub": 0.25})
    result = await speech.speak("Hello there.", user_id=7, chat_id=7)
    assert result.audio == FIXTURE_AUDIO
    ((kind, cost, estimated),) = await _ledger(db)
    assert kind == "speech"
    # The raw shape carries no cost: the meter records the unknown-price figure, marked.
    assert (cost, estimated) == ((5.0, True) if shape == "raw" else (0.25, False))


async def test_a_url_on_a_host_not_allowed_is_not_fetched_but_the_call_is_recorded(
    speech: SpeechService, server: TestServer, db: Database
) -> None:
    await _rule(server, {"shape": "json_url", "files_host": "evil.example.com"})
    with pytest.raises(SpeechError):
        await speech.speak("Hello there.", user_id=7, chat_id=7)
    assert [kind for kind, _, _ in await _ledger(db)] == ["speech"]
