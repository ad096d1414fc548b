"""The bot's Prometheus metrics, behind the methods of `Metrics`; served on HEALTH_PORT.

Everything lives in the `CollectorRegistry` given to the constructor (never the global one), so
each bot process, and each unit test, has its own set. Label values are a closed set chosen
here, never user input.
"""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

from bot.observability.metrics import KINDS, Metrics, polza_endpoint

# Seconds: a streamed answer or a picture often takes tens of seconds.
ANSWER_BUCKETS = (0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300)
POLZA_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60)


class PrometheusMetrics(Metrics):
    content_type = CONTENT_TYPE_LATEST

    def __init__(self, registry: CollectorRegistry) -> None:
        self._registry = registry
        self._updates = Counter(
            "bot_updates_received", "Updates received from Telegram", registry=registry
        )
        self._replayed = Counter(
            "bot_updates_replayed",
            "Updates handled again at start because the last run did not finish them",
            registry=registry,
        )
        self._answers = Counter(
            "bot_answers",
            "Answers by kind (chat, voice, image) and outcome",
            ["kind", "outcome"],
            registry=registry,
        )
        self._answer_seconds = Histogram(
            "bot_answer_duration_seconds",
            "Time from the request to the finished answer",
            ["kind"],
            buckets=ANSWER_BUCKETS,
            registry=registry,
        )
        self._polza_seconds = Histogram(
            "bot_polza_request_duration_seconds",
            "Time until Polza's response headers arrived",
            ["endpoint"],
            buckets=POLZA_BUCKETS,
            registry=registry,
        )
        self._polza_responses = Counter(
            "bot_polza_responses",
            "Polza HTTP responses by endpoint and status code",
            ["endpoint", "status"],
            registry=registry,
        )
        self._spent = Counter(
            "bot_spent_rubles",
            "Rubles spent on Polza by kind, as written to the usage ledger",
            ["kind"],
            registry=registry,
        )
        self._unexpected = Counter(
            "bot_unexpected_errors", "Exceptions no handler expected", registry=registry
        )
        self._alerts = Counter(
            "bot_admin_alerts", "Alerts sent to the admins, by kind", ["kind"], registry=registry
        )
        self._balance = Gauge(
            "bot_polza_balance_rubles",
            "The Polza balance at the last check (when balance checks are on)",
            registry=registry,
        )
        self._queue = Gauge(
            "bot_conversation_queue_depth",
            "Updates being handled or waiting for their conversation's turn",
            registry=registry,
        )
        for kind in KINDS:  # so every series exists from the start, at zero
            self._spent.labels(kind)
            self._answers.labels(kind, "ok")

    def update_received(self) -> None:
        self._updates.inc()

    def updates_replayed(self, count: int) -> None:
        self._replayed.inc(count)

    def answer_finished(self, kind: str, outcome: str, seconds: float) -> None:
        self._answers.labels(kind, outcome).inc()
        self._answer_seconds.labels(kind).observe(max(seconds, 0.0))

    def polza_latency(self, path: str, status: int, seconds: float) -> None:
        endpoint = polza_endpoint(path)
        self._polza_seconds.labels(endpoint).observe(max(seconds, 0.0))
        self._polza_responses.labels(endpoint, str(status)).inc()

    def spent(self, kind: str, rub: float | None) -> None:
        if rub is not None and rub > 0:
            self._spent.labels(kind).inc(rub)

    def unexpected_error(self) -> None:
        self._unexpected.inc()

    def alert_sent(self, kind: str) -> None:
        self._alerts.labels(kind).inc()

    def balance(self, rub: float) -> None:
        self._balance.set(rub)

    def watch_queue(self, depth: Callable[[], int]) -> None:
        """Read the queue depth from `depth` at every scrape."""
        self._queue.set_function(lambda: float(depth()))

    def render(self) -> bytes:
        """The metrics in Prometheus' text exposition format."""
        return generate_latest(self._registry)
