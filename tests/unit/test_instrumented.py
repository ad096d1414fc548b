"""The watched Polza HTTP client and the journaled services, against the in-process fake Polza."""

from __future__ import annotations

import logging

import aiohttp
import openai
import pytest
from aiohttp.test_utils import TestServer
from prometheus_client import CollectorRegistry

from bot.observability.alerts import AdminAlerts, Alert, AlertKind
from bot.observability.answers import AnswerJournal
from bot.observability.instrumented import JournaledTranscription
from bot.observability.polza_http import watched_http_client
from bot.observability.prometheus import PrometheusMetrics
from bot.services.audio import AudioChunk
from bot.services.errors import PolzaError, PolzaErrorKind
from bot.services.metering import Meter
from tests.unit.conftest import POLZA_TEST_KEY

MODEL = "openai/whisper-1"


def sample(metrics: PrometheusMetrics, name: str) -> float:
    for line in metrics.render().decode().splitlines():
        if line.startswith(name + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


async def test_a_402_is_measured_alerted_and_journaled_once(
    server: TestServer, meter: Meter, caplog: pytest.LogCaptureFixture
) -> None:
    async with aiohttp.ClientSession(base_url=server.make_url("/")) as control:
        rule = {"status": 402, "error_code": "INSUFFICIENT_FUNDS", "times": 2}
        async with control.post("/_test/stt/rules", json=[rule]) as response:
            assert response.status == 200, await response.text()

    sent: list[Alert] = []

    async def send(alert: Alert) -> None:
        sent.append(alert)

    metrics = PrometheusMetrics(CollectorRegistry())
    alerts = AdminAlerts(send, metrics=metrics)
    client = openai.AsyncOpenAI(
        base_url=str(server.make_url("/api/v1")),
        api_key=POLZA_TEST_KEY,
        max_retries=0,
        http_client=watched_http_client(metrics, alerts),
    )
    service = JournaledTranscription(client, MODEL, meter, journal=AnswerJournal(metrics))
    chunk = AudioChunk("voice.ogg", b"OggS" + bytes(200), "audio/ogg", 2.0)
    caplog.set_level(logging.INFO, logger="bot.answers")
    async with client:
        for _ in range(2):
            with pytest.raises(PolzaError) as failure:
                await service.transcribe([chunk], language=None, user_id=77, chat_id=77)
            assert failure.value.kind is PolzaErrorKind.BALANCE
    await alerts.drain()

    assert [alert.kind for alert in sent] == [AlertKind.POLZA_BALANCE]
    assert sample(metrics, 'bot_polza_responses_total{endpoint="transcription",status="402"}') == 2
    assert sample(metrics, 'bot_answers_total{kind="voice",outcome="error"}') == 2
    lines = [r.getMessage() for r in caplog.records if r.name == "bot.answers"]
    assert len(lines) == 2
    assert "kind=voice user=77 chat=private" in lines[0] and "error=balance" in lines[0]
