"""Building the request: system prompt, bounded history, the new message."""

from __future__ import annotations

from typing import Any

from bot.services.context import PreparedRequest, context_budget, prepare_request
from bot.services.errors import PolzaErrorKind, kind_for_status, parse_error_body
from storage import ChatTurn


def build_messages(
    system_prompt: str, history: list[ChatTurn], user_text: str, context: int | None = None
) -> list[dict[str, Any]]:
    budget = context_budget(context, 100) if context else None
    prepared = prepare_request(system_prompt, history, user_text, budget=budget)
    assert isinstance(prepared, PreparedRequest)
    return prepared.messages


def test_request_has_system_history_and_user_in_order() -> None:
    history = [ChatTurn("user", "hi"), ChatTurn("assistant", "hello")]
    messages = build_messages("be nice", history, "how are you?")
    assert messages == [
        {"role": "system", "content": "be nice"},
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "hello"},
        {"role": "user", "content": "how are you?"},
    ]


def test_oldest_turns_are_dropped_to_fit_the_budget() -> None:
    history = []
    for i in range(50):
        history += [
            ChatTurn("user", f"question {i} " * 20),
            ChatTurn("assistant", f"answer {i} " * 20),
        ]
    messages = build_messages("sys", history, "latest", context=700)
    assert sum(len(m["content"]) for m in messages) <= 600 * 3.5
    assert messages[-1] == {"role": "user", "content": "latest"}
    assert messages[1]["role"] == "user", "context must not start with an orphaned answer"
    assert "question 49" in messages[-3]["content"]


def test_both_polza_error_shapes_are_understood() -> None:
    current = {"error": {"code": "NOT_FOUND", "message": "Модель не найдена", "trace_id": "t1"}}
    assert parse_error_body(current) == ("NOT_FOUND", "Модель не найдена", "t1", None)
    legacy = {"statusCode": 401, "message": "Unauthorized"}
    assert parse_error_body(legacy) == ("401", "Unauthorized", None, None)
    raw = {"code": "BAD_REQUEST", "message": "Некорректный запрос", "metadata": {"raw": "why"}}
    assert parse_error_body(raw)[3] == "why"


def test_statuses_map_to_what_the_user_is_told() -> None:
    assert kind_for_status(402) is PolzaErrorKind.BALANCE
    assert kind_for_status(404) is PolzaErrorKind.MODEL_NOT_FOUND
    assert kind_for_status(401) is PolzaErrorKind.AUTH
    assert kind_for_status(429) is PolzaErrorKind.RATE_LIMITED
    assert kind_for_status(503) is PolzaErrorKind.UNAVAILABLE
    assert kind_for_status(400) is PolzaErrorKind.BAD_REQUEST
