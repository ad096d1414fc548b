"""Polza's numbers and usage blocks, read leniently in one place.

Polza sends money and counts as JSON numbers on some routes and numeric strings on others
(`"cost_rub": "1.40"`), and names the same cost `cost_rub` or `cost`. Everything that reads a
number from a Polza answer goes through `polza_decimal` / `polza_float`.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator

# No real price or cost comes near this; the bound keeps later arithmetic from overflowing.
MAX_AMOUNT = Decimal(10) ** 12


def polza_decimal(value: object, *, allow_negative: bool = False) -> Decimal | None:
    """A finite Decimal from a JSON number or numeric string, else None."""
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    if not number.is_finite() or abs(number) > MAX_AMOUNT:
        return None
    if number < 0 and not allow_negative:
        return None
    return number


def polza_float(value: object) -> float | None:
    number = polza_decimal(value)
    return float(number) if number is not None else None


def _count(value: object) -> int | None:
    number = polza_decimal(value)
    return int(number) if number is not None else None


class PolzaUsage(BaseModel):
    """A `usage` block of any Polza answer (chat, transcription, media, speech)."""

    model_config = ConfigDict(frozen=True)

    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    reasoning_tokens: int | None = None
    cost_rub: float | None = None
    duration_seconds: float | None = None
    web_search_requests: int | None = None

    @field_validator("cost_rub", "duration_seconds", mode="before")
    @classmethod
    def _amount(cls, value: object) -> float | None:
        return polza_float(value)

    @field_validator(
        "prompt_tokens",
        "completion_tokens",
        "reasoning_tokens",
        "web_search_requests",
        mode="before",
    )
    @classmethod
    def _tokens(cls, value: object) -> int | None:
        return _count(value)

    @classmethod
    def read(cls, raw: object) -> PolzaUsage | None:
        """From a dict or an SDK object (Polza's extras live in `model_extra`); None if absent."""
        fields = as_mapping(raw)
        if fields is None:
            return None
        details = as_mapping(fields.get("completion_tokens_details")) or {}
        tools = as_mapping(fields.get("server_tool_use")) or {}
        cost = fields.get("cost_rub")
        return cls(
            prompt_tokens=fields.get("prompt_tokens"),
            completion_tokens=fields.get("completion_tokens"),
            reasoning_tokens=details.get("reasoning_tokens"),
            cost_rub=cost if cost is not None else fields.get("cost"),
            duration_seconds=fields.get("durationSeconds"),
            web_search_requests=tools.get("web_search_requests"),
        )


def as_mapping(raw: object) -> Mapping[str, Any] | None:
    """A dict, or an SDK object as a dict with its extras (`model_extra`); None otherwise."""
    if raw is None:
        return None
    if isinstance(raw, Mapping):
        return raw
    dump = getattr(raw, "model_dump", None)
    if callable(dump):
        fields: dict[str, Any] = dict(dump())
        fields.update(getattr(raw, "model_extra", None) or {})
        return fields
    return None
