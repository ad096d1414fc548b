"""Admin alerts, the metrics object, the balance watch, JSON logs and stored names."""

from __future__ import annotations

import io
import json
import logging
import socket
from decimal import Decimal

import aiohttp
import pytest
from prometheus_client import CollectorRegistry

from bot.logging_setup import REDACTED, RedactingJsonFormatter
from bot.observability.alerts import AdminAlerts, Alert, AlertKind
from bot.observability.answers import AnswerJournal, AnswerReport
from bot.observability.balance_watch import BalanceWatch
from bot.observability.health import HealthServer
from bot.observability.metrics import polza_endpoint
from bot.observability.prometheus import PrometheusMetrics
from bot.services.balance import Balance
from bot.services.errors import PolzaError, PolzaErrorKind
from storage import Database, Person, UserRepository

HOUR = 3600.0


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Outbox:
    def __init__(self) -> None:
        self.sent: list[Alert] = []

    async def __call__(self, alert: Alert) -> None:
        self.sent.append(alert)

    def kinds(self) -> list[AlertKind]:
        return [alert.kind for alert in self.sent]


def sample(metrics: PrometheusMetrics, name: str) -> float:
    for line in metrics.render().decode().splitlines():
        if line.startswith(name + " "):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"no sample {name}")


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def outbox() -> Outbox:
    return Outbox()


async def test_an_alert_goes_out_at_most_once_an_hour_per_kind(
    clock: Clock, outbox: Outbox
) -> None:
    alerts = AdminAlerts(outbox, clock=clock)
    assert alerts.raise_alert(AlertKind.POLZA_BALANCE)
    clock.now += HOUR - 1
    assert not alerts.raise_alert(AlertKind.POLZA_BALANCE)
    assert alerts.raise_alert(AlertKind.POLZA_AUTH, status="401")  # another kind: its own hour
    clock.now += 1
    assert alerts.raise_alert(AlertKind.POLZA_BALANCE)
    await alerts.drain()
    assert outbox.kinds() == [
        AlertKind.POLZA_BALANCE,
        AlertKind.POLZA_AUTH,
        AlertKind.POLZA_BALANCE,
    ]
    assert outbox.sent[1].details == {"status": "401"}


async def test_unexpected_errors_alert_when_three_come_within_ten_minutes(
    clock: Clock, outbox: Outbox
) -> None:
    alerts = AdminAlerts(outbox, clock=clock)
    assert not alerts.unexpected_error()
    clock.now += 300
    assert not alerts.unexpected_error()
    clock.now += 301  # the first error is now older than ten minutes
    assert not alerts.unexpected_error()
    clock.now += 10
    assert alerts.unexpected_error()
    clock.now += 10
    assert not alerts.unexpected_error()  # still within the hour
    await alerts.drain()
    assert outbox.kinds() == [AlertKind.ERRORS]
    assert outbox.sent[0].details == {"count": "3", "minutes": "10"}


async def test_a_failing_delivery_does_not_break_the_caller(clock: Clock) -> None:
    async def broken(alert: Alert) -> None:
        raise RuntimeError("telegram is down")

    metrics = PrometheusMetrics(CollectorRegistry())
    alerts = AdminAlerts(broken, clock=clock, metrics=metrics)
    assert alerts.raise_alert(AlertKind.LOW_BALANCE, balance="1.00", threshold="50.00")
    await alerts.close()
    assert sample(metrics, 'bot_admin_alerts_total{kind="low_balance"}') == 1


def test_metrics_count_what_happened() -> None:
    metrics = PrometheusMetrics(CollectorRegistry())
    metrics.update_received()
    metrics.update_received()
    metrics.updates_replayed(3)
    metrics.answer_finished("chat", "ok", 1.5)
    metrics.answer_finished("image", "error", 20.0)
    metrics.polza_latency("/api/v1/chat/completions", 200, 0.3)
    metrics.polza_latency("/api/v1/media/gen_123", 402, 0.1)
    metrics.spent("chat", 0.25)
    metrics.spent("chat", 0.5)
    metrics.spent("voice", None)  # unknown cost: nothing counted
    depth = [4]
    metrics.watch_queue(lambda: depth[0])

    assert sample(metrics, "bot_updates_received_total") == 2
    assert sample(metrics, "bot_updates_replayed_total") == 3
    assert sample(metrics, 'bot_answers_total{kind="chat",outcome="ok"}') == 1
    assert sample(metrics, 'bot_answers_total{kind="image",outcome="error"}') == 1
    assert sample(metrics, 'bot_answer_duration_seconds_sum{kind="image"}') == 20.0
    assert sample(metrics, 'bot_polza_request_duration_seconds_count{endpoint="chat"}') == 1
    assert sample(metrics, 'bot_polza_responses_total{endpoint="image",status="402"}') == 1
    assert sample(metrics, 'bot_spent_rubles_total{kind="chat"}') == 0.75
    assert sample(metrics, 'bot_spent_rubles_total{kind="voice"}') == 0
    assert sample(metrics, "bot_conversation_queue_depth") == 4
    depth[0] = 0
    assert sample(metrics, "bot_conversation_queue_depth") == 0


def test_two_metrics_objects_do_not_share_counters() -> None:
    first, second = PrometheusMetrics(CollectorRegistry()), PrometheusMetrics(CollectorRegistry())
    first.update_received()
    assert sample(first, "bot_updates_received_total") == 1
    assert sample(second, "bot_updates_received_total") == 0


@pytest.mark.parametrize(
    ("path", "endpoint"),
    [
        ("/api/v1/chat/completions", "chat"),
        ("/api/v1/audio/transcriptions", "transcription"),
        ("/api/v1/media/gen_1", "image"),
        ("/api/v1/models", "models"),
        ("/api/v2/balance", "balance"),
        ("/api/v1/something/new", "other"),
    ],
)
def test_polza_paths_become_a_few_endpoint_names(path: str, endpoint: str) -> None:
    assert polza_endpoint(path) == endpoint


class FixedBalance:
    def __init__(self, balance: Balance | PolzaError) -> None:
        self.balance = balance

    async def fetch(self) -> Balance:
        if isinstance(self.balance, PolzaError):
            raise self.balance
        return self.balance


async def test_the_balance_watch_alerts_under_the_threshold_only(
    clock: Clock, outbox: Outbox
) -> None:
    metrics = PrometheusMetrics(CollectorRegistry())
    alerts = AdminAlerts(outbox, clock=clock)
    source = FixedBalance(Balance(amount=Decimal("120"), available=Decimal("80.5")))
    watch = BalanceWatch(source, alerts, metrics, threshold_rub=100, interval_seconds=300)
    await watch.check()
    await alerts.drain()
    assert outbox.sent == [
        Alert(AlertKind.LOW_BALANCE, {"balance": "80.50", "threshold": "100.00"})
    ]
    assert sample(metrics, "bot_polza_balance_rubles") == 80.5

    source.balance = Balance(amount=Decimal("500"), available=None)  # legacy: amount only
    clock.now += 2 * HOUR
    await watch.check()
    source.balance = PolzaError(PolzaErrorKind.CONNECTION)
    await watch.check()
    await alerts.drain()
    assert len(outbox.sent) == 1
    assert sample(metrics, "bot_polza_balance_rubles") == 500


def test_the_answer_line_carries_no_words_and_json_masks_secrets() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(RedactingJsonFormatter(["secret-token-123"]))
    journal_logger = logging.getLogger("bot.answers")
    journal_logger.addHandler(handler)
    journal_logger.setLevel(logging.INFO)
    try:
        AnswerJournal(PrometheusMetrics(CollectorRegistry())).finished(
            AnswerReport(
                kind="chat",
                user_id=7,
                chat_kind="group",
                model="openai/gpt-4o-mini",
                outcome="ok",
                seconds=1.25,
                prompt_tokens=10,
                completion_tokens=20,
                cost_rub=0.0123,
            )
        )
        logging.getLogger("bot.answers").warning("token secret-token-123 leaked")
    finally:
        journal_logger.removeHandler(handler)
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["level"] == "INFO" and first["logger"] == "bot.answers"
    assert first["answer"]["chat_kind"] == "group" and first["answer"]["cost_rub"] == 0.0123
    assert "tokens=10/20" in first["message"] and "latency=1.25s" in first["message"]
    assert second["message"] == f"token {REDACTED} leaked"


async def test_names_follow_telegram_and_usernames_find_people(db: Database) -> None:
    users = UserRepository(db)
    await users.ensure(1, "en", Person(1, "alice", "Alice", None))
    await users.ensure(2, "en", Person(2, None, "Bob", "Stone"))
    renamed = await users.ensure(1, "en", Person(1, "alice_new", "Alice", "Liddell"))
    assert renamed.person == Person(1, "alice_new", "Alice", "Liddell")

    assert await users.find_by_username("@ALICE_new") == renamed.person
    assert await users.find_by_username("alice") is None
    assert await users.people([1, 2, 3]) == {
        1: Person(1, "alice_new", "Alice", "Liddell"),
        2: Person(2, None, "Bob", "Stone"),
    }
    assert await db.ping()


async def test_healthz_is_503_when_the_loop_stalls_or_the_database_fails() -> None:
    state = {"loop": True, "database": True}

    async def database_ok() -> bool:
        if not state["database"]:
            raise RuntimeError("database is locked")
        return True

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    metrics = PrometheusMetrics(CollectorRegistry())
    metrics.update_received()
    server = HealthServer(
        host="127.0.0.1",
        port=port,
        metrics=metrics,
        loop_alive=lambda: state["loop"],
        database_ok=database_ok,
    )
    await server.start()
    try:
        async with aiohttp.ClientSession(f"http://127.0.0.1:{port}") as http:

            async def get(path: str) -> tuple[int, str]:
                async with http.get(path) as response:
                    return response.status, await response.text()

            assert await get("/healthz") == (200, "updates: ok\ndatabase: ok\n")
            state["loop"] = False
            assert await get("/healthz") == (503, "updates: stalled\ndatabase: ok\n")
            state["loop"], state["database"] = True, False
            assert await get("/healthz") == (503, "updates: ok\ndatabase: failing\n")
            status, text = await get("/metrics")
            assert status == 200 and "bot_updates_received_total 1.0" in text
    finally:
        await server.close()
