"""What the bot counts, behind methods named after what happened.

`Metrics` itself keeps nothing: with no HEALTH_PORT nobody can read metrics, so the bot neither
loads prometheus_client nor pays for counting. With HEALTH_PORT the bot uses
`bot.observability.prometheus.PrometheusMetrics`, served on `GET /metrics`.
"""

from __future__ import annotations

from collections.abc import Callable

KINDS = ("chat", "voice", "image", "video")

# Polza routes, reduced to a few names: ids in paths must not become label values.
_ENDPOINTS = (
    ("/chat/completions", "chat"),
    ("/audio/", "transcription"),
    ("/images/", "image"),
    ("/media", "image"),
    ("/models", "models"),
    ("/balance", "balance"),
)


def polza_endpoint(path: str) -> str:
    return next((name for fragment, name in _ENDPOINTS if fragment in path), "other")


class Metrics:
    """Counts nothing (no HEALTH_PORT); `PrometheusMetrics` counts for real."""

    def update_received(self) -> None:
        pass

    def updates_replayed(self, count: int) -> None:
        pass

    def answer_finished(self, kind: str, outcome: str, seconds: float) -> None:
        pass

    def polza_latency(self, path: str, status: int, seconds: float) -> None:
        pass

    def spent(self, kind: str, rub: float | None) -> None:
        pass

    def unexpected_error(self) -> None:
        pass

    def alert_sent(self, kind: str) -> None:
        pass

    def balance(self, rub: float) -> None:
        pass

    def watch_queue(self, depth: Callable[[], int]) -> None:
        pass
