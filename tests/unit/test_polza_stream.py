"""PolzaClient.stream_chat against the in-process fake Polza: what Polza receives, what the
stream yields, and how every kind of failure is translated and metered."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import aiohttp
import openai
import pytest
import pytest_asyncio
from aiohttp.test_utils import TestServer

from bot.services.citations import Citation
from bot.services.errors import PolzaError, PolzaErrorKind
from bot.services.metering import Charge, Meter
from bot.services.polza import (
    ChatRequest,
    CitationsFound,
    PolzaClient,
    ReasoningDelta,
    StreamEnd,
    StreamEvent,
    TextDelta,
)
from tests.unit.conftest import POLZA_TEST_KEY

MODEL = "openai/gpt-4o-mini"
TIMEOUT = 0.5


@pytest_asyncio.fixture
async def control(server: TestServer) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(base_url=server.make_url("/")) as session:
        yield session


@pytest_asyncio.fixture
async def polza_sdk(server: TestServer) -> AsyncIterator[openai.AsyncOpenAI]:
    """The SDK client exactly as the bot builds it."""
    sdk = PolzaClient.create_sdk(
        base_url=str(server.make_url("/api/v1")), api_key=POLZA_TEST_KEY, timeout=TIMEOUT
    )
    async with sdk:
        yield sdk


async def chat_rules(control: aiohttp.ClientSession, *rules: dict[str, Any]) -> None:
    async with control.post("/_test/chat/rules", json=list(rules)) as response:
        assert response.status == 200, await response.text()


async def chat_bodies(control: aiohttp.ClientSession) -> list[dict[str, Any]]:
    async with control.get("/_test/journal") as response:
        journal: list[dict[str, Any]] = await response.json()
    return [e["json"] for e in journal if e["path"] == "/api/v1/chat/completions"]


def request(text: str = "hello", **fields: Any) -> ChatRequest:
    return ChatRequest(
        messages=[{"role": "system", "content": "be brief"}, {"role": "user", "content": text}],
        model=MODEL,
        user_id=42,
        chat_id=42,
        max_tokens=500,
        ceiling=Decimal(1),
        **fields,
    )


async def run(
    client: PolzaClient, chat: ChatRequest, charge: Charge
) -> tuple[list[StreamEvent], PolzaError | None]:
    events: list[StreamEvent] = []
    try:
        async for event in client.stream_chat(chat, charge):
            events.append(event)  # noqa: PERF401 (kept up to a failure)
    except PolzaError as error:
        return events, error
    return events, None


def text_of(events: list[StreamEvent]) -> str:
    return "".join(e.text for e in events if isinstance(e, TextDelta))


async def test_a_search_with_reasoning_streams_everything_polza_sends(
    polza_sdk: openai.AsyncOpenAI, meter: Meter, control: aiohttp.ClientSession
) -> None:
    sources = [{"url": "https://a.example/x", "title": "A"}]
    await chat_rules(
        control,
        {
            "match": "delta",
            "reply": "Answer in parts.",
            "reasoning": "Thinking hard.",
            "chunk_size": 5,
            "sources": sources,
        },
        {
            "match": "final",
            "reply": "Short.",
            "annotations": "final",
            "sources": sources,
            "cost_rub": 1.4,
        },
    )
    client = PolzaClient(polza_sdk, meter, max_retries=0)
    chat = request("delta please", reasoning_effort="low", web_search=True)
    charge = chat.charge()

    events, error = await run(client, chat, charge)

    assert error is None
    assert "".join(e.text for e in events if isinstance(e, ReasoningDelta)) == "Thinking hard."
    assert text_of(events) == "Answer in parts."
    found = [e for e in events if isinstance(e, CitationsFound)]
    assert found and found[0].citations[0] == Citation("https://a.example/x", "A")
    end = events[-1]
    assert isinstance(end, StreamEnd) and end.finish_reason == "stop"
    assert end.usage is not None and end.usage.cost_rub and end.usage.cost_rub > 0
    assert end.usage.web_search_requests == 1 and end.usage.prompt_tokens
    assert charge.record is not None and charge.record.cost_rub == end.usage.cost_rub
    assert charge.output_chars == len("Thinking hard.") + len("Answer in parts.")

    body = (await chat_bodies(control))[-1]
    assert body == {
        "model": MODEL,
        "messages": list(chat.messages),
        "stream": True,
        "stream_options": {"include_usage": True},
        "user": "42",
        "max_tokens": 500,
        "reasoning": {"effort": "low"},
        "plugins": [{"id": "web"}],
    }

    # Sources only in the final chunk's whole message.
    plain = request("final please", web_search=True)
    events, error = await run(client, plain, plain.charge())
    assert error is None and text_of(events) == "Short."
    assert [e.citations[0].url for e in events if isinstance(e, CitationsFound)] == [
        "https://a.example/x"
    ]
    end = events[-1]
    assert isinstance(end, StreamEnd) and end.usage is not None and end.usage.cost_rub == 1.4
    assert "reasoning" not in (await chat_bodies(control))[-1]


@pytest.mark.parametrize(
    ("rule", "kind", "status", "code", "message"),
    [
        (
            {"status": 402, "error_code": "INSUFFICIENT_FUNDS", "error_message": "Нет денег"},
            PolzaErrorKind.BALANCE,
            402,
            "INSUFFICIENT_FUNDS",
            "Нет денег",
        ),
        (
            {"status": 401, "error_shape": "legacy", "error_message": "Unauthorized"},
            PolzaErrorKind.AUTH,
            401,
            "401",
            "Unauthorized",
        ),
        (
            {"status": 400, "error_code": "BAD_REQUEST"},
            PolzaErrorKind.BAD_REQUEST,
            400,
            "BAD_REQUEST",
            None,
        ),
        ({"status": 503, "retry_after": 0}, PolzaErrorKind.UNAVAILABLE, 503, None, None),
    ],
)
async def test_an_http_error_is_translated_refused_and_not_billed(
    polza_sdk: openai.AsyncOpenAI,
    meter: Meter,
    control: aiohttp.ClientSession,
    rule: dict[str, Any],
    kind: PolzaErrorKind,
    status: int,
    code: str | None,
    message: str | None,
) -> None:
    await chat_rules(control, rule)
    chat = request()
    charge = chat.charge()

    events, error = await run(PolzaClient(polza_sdk, meter, max_retries=0), chat, charge)

    assert events == [] and error is not None
    assert (error.kind, error.status, error.model) == (kind, status, MODEL)
    if code is not None:
        assert error.code == code
    assert error.message == message if message is not None else error.message
    assert charge.sent and charge.refused and not charge.billed and charge.record is None


async def test_refusals_polza_asks_to_retry_are_retried_within_the_limit(
    polza_sdk: openai.AsyncOpenAI, meter: Meter, control: aiohttp.ClientSession
) -> None:
    await chat_rules(
        control,
        {"match": "busy", "times": 1, "status": 429, "retry_after": 0},
        {"match": "gateway", "times": 2, "status": 502, "retry_after": 0},
        {"match": "denied", "status": 403, "error_code": "FORBIDDEN"},
    )
    client = PolzaClient(polza_sdk, meter, max_retries=1)

    events, error = await run(client, request("busy"), request("busy").charge())
    assert error is None and text_of(events) == "Echo: busy"
    events, error = await run(client, request("gateway"), request("gateway").charge())
    assert error is not None and error.kind is PolzaErrorKind.UNAVAILABLE
    events, error = await run(client, request("denied"), request("denied").charge())
    assert error is not None and error.kind is PolzaErrorKind.AUTH and error.code == "FORBIDDEN"

    said = [b["messages"][-1]["content"] for b in await chat_bodies(control)]
    assert said == ["busy", "busy", "gateway", "gateway", "denied"]


@pytest.mark.parametrize(
    ("rule", "kind", "code", "message"),
    [
        (
            {"mid_stream_error": 2, "error_code": "PROVIDER_DOWN", "error_message": "Сбой"},
            PolzaErrorKind.STREAM_ERROR,
            "PROVIDER_DOWN",
            "Сбой",
        ),
        ({"malformed_line": 2}, PolzaErrorKind.INTERRUPTED, None, "JSONDecodeError"),
        ({"drop_after_chunks": 2}, PolzaErrorKind.INTERRUPTED, None, None),
        ({"first_chunk_delay": 1.5}, PolzaErrorKind.INTERRUPTED, None, None),
    ],
)
async def test_a_stream_that_breaks_keeps_its_text_and_is_billed_by_estimate(
    polza_sdk: openai.AsyncOpenAI,
    meter: Meter,
    control: aiohttp.ClientSession,
    rule: dict[str, Any],
    kind: PolzaErrorKind,
    code: str | None,
    message: str | None,
) -> None:
    await chat_rules(control, {"reply": "one two three four five six", "chunk_size": 4, **rule})
    chat = request()
    charge = chat.charge()

    events, error = await run(PolzaClient(polza_sdk, meter, max_retries=3), chat, charge)

    assert error is not None and (error.kind, error.code) == (kind, code)
    assert error.model == MODEL
    if message is not None:
        assert error.message == message
    if "first_chunk_delay" not in rule:
        assert text_of(events) == "one two "
    assert not any(isinstance(e, StreamEnd) for e in events)
    assert charge.billed and charge.record is not None and charge.record.estimated
    assert len(await chat_bodies(control)) == 1  # a started answer is never retried


async def test_text_that_arrived_before_the_connection_broke_is_all_kept(
    polza_sdk: openai.AsyncOpenAI, meter: Meter, control: aiohttp.ClientSession
) -> None:
    await chat_rules(
        control,
        {
            "reply": "one two three four five six",
            "chunk_size": 4,
            "chunk_delay": 0.02,
            "drop_after_chunks": 4,
        },
    )
    chat = request()
    client = PolzaClient(polza_sdk, meter, max_retries=3)
    events: list[StreamEvent] = []
    with pytest.raises(PolzaError) as caught:
        async for event in client.stream_chat(chat, chat.charge()):
            events.append(event)
            # A busy bot: the rest of the answer, and the end of the connection, arrive meanwhile.
            await asyncio.sleep(0.2)
    assert caught.value.kind is PolzaErrorKind.INTERRUPTED
    assert text_of(events) == "one two three fo"  # all four chunks sent


async def test_no_answer_in_time_is_a_timeout_never_retried(
    polza_sdk: openai.AsyncOpenAI, meter: Meter, control: aiohttp.ClientSession
) -> None:
    await chat_rules(control, {"status": 503, "first_chunk_delay": 1.5})
    chat = request()
    charge = chat.charge()

    events, error = await run(PolzaClient(polza_sdk, meter, max_retries=3), chat, charge)

    assert error is not None and error.kind is PolzaErrorKind.TIMEOUT and events == []
    assert charge.sent and not charge.refused and charge.billed  # it may have started
    assert len(await chat_bodies(control)) == 1


async def test_an_unreachable_polza_is_a_connection_error_and_never_billed(meter: Meter) -> None:
    with socket.socket() as probe:  # a port that nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sdk = PolzaClient.create_sdk(
        base_url=f"http://127.0.0.1:{port}/api/v1", api_key=POLZA_TEST_KEY, timeout=TIMEOUT
    )
    chat = request()
    charge = chat.charge()
    async with sdk:
        events, error = await run(PolzaClient(sdk, meter, max_retries=0), chat, charge)
    assert error is not None and error.kind is PolzaErrorKind.CONNECTION and events == []
    assert charge.refused and not charge.billed and charge.record is None


async def test_a_connection_dropped_before_any_answer_is_not_a_timeout(meter: Meter) -> None:
    requests = 0

    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal requests
        await reader.readuntil(b"\r\n\r\n")
        requests += 1
        writer.close()

    server = await asyncio.start_server(hang_up, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    sdk = PolzaClient.create_sdk(
        base_url=f"http://127.0.0.1:{port}/api/v1", api_key=POLZA_TEST_KEY, timeout=TIMEOUT
    )
    chat = request()
    charge = chat.charge()
    async with server, sdk:
        events, error = await run(PolzaClient(sdk, meter, max_retries=3), chat, charge)
    assert error is not None and error.kind is PolzaErrorKind.CONNECTION and events == []
    # It reached the server, which may have started (and billed) an answer: never retried.
    assert charge.sent and not charge.refused and charge.billed and requests == 1
