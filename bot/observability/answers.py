"""One INFO line and one metric sample per answer, never the words of either side.

An *answer* is one billed piece of work: a model's reply (`chat`, whatever the request
came as), a transcription (`voice`) or a picture (`image`), matching the usage ledger's kinds.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from bot.observability.metrics import Metrics

logger = logging.getLogger("bot.answers")


@dataclass(frozen=True, slots=True)
class AnswerReport:
    kind: str  # chat, voice or image
    user_id: int
    chat_kind: str
    model: str
    outcome: str  # ok, stopped, too_long, refused, error
    seconds: float
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    cost_rub: float | None = None
    estimated: bool = False
    error: str | None = None  # the Polza or image error kind, when there was one


class AnswerJournal:
    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics

    def finished(self, report: AnswerReport) -> None:
        self._metrics.answer_finished(report.kind, report.outcome, report.seconds)
        cost = "?" if report.cost_rub is None else f"{report.cost_rub:.4f}"
        if report.estimated and report.cost_rub is not None:
            cost = "~" + cost
        logger.info(
            "answer kind=%s user=%s chat=%s model=%s tokens=%s/%s cost=%s latency=%.2fs"
            " outcome=%s%s",
            report.kind,
            report.user_id,
            report.chat_kind,
            report.model,
            _or_dash(report.prompt_tokens),
            _or_dash(report.completion_tokens),
            cost,
            report.seconds,
            report.outcome,
            f" error={report.error}" if report.error else "",
            extra={"answer": _fields(report)},
        )


def _or_dash(value: int | None) -> str:
    return "-" if value is None else str(value)


def _fields(report: AnswerReport) -> dict[str, Any]:
    return {
        "kind": report.kind,
        "user_id": report.user_id,
        "chat_kind": report.chat_kind,
        "model": report.model,
        "prompt_tokens": report.prompt_tokens,
        "completion_tokens": report.completion_tokens,
        "cost_rub": report.cost_rub,
        "cost_estimated": report.estimated,
        "latency_seconds": round(report.seconds, 3),
        "outcome": report.outcome,
        "error": report.error,
    }
