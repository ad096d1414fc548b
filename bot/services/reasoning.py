"""Which reasoning efforts a model takes, and what to send for the user's choice.

Polza takes `reasoning: {effort}` with `none` (reasoning off), `minimal`, `low`, `medium`,
`high` and `xhigh`. A model's catalogue `parameters` may list the ones it allows; a reasoning
model that lists none is assumed to take off / low / medium / high. Nothing is sent to a model
the catalogue does not list as reasoning, nor when the user left it to the model (`None`).
"""

from __future__ import annotations

from bot.services.catalogue import ModelInfo

OFF = "none"
LEVELS = (OFF, "minimal", "low", "medium", "high", "xhigh")  # least to most thinking
STANDARD = (OFF, "low", "medium", "high")


def offered(info: ModelInfo | None) -> tuple[str, ...]:
    """The efforts to offer for a model: unknown models get the standard set."""
    if info is None:
        return STANDARD
    if not info.supports_reasoning:
        return ()
    listed = tuple(level for level in LEVELS if level in info.reasoning_efforts)
    return listed or STANDARD


def effort_to_send(requested: str | None, info: ModelInfo | None) -> str | None:
    """The effort for the request: the user's choice, or the nearest level the model takes
    (a choice made for another model; "off" on a model that cannot stop thinking becomes its
    lightest level)."""
    if requested not in LEVELS or info is None or not info.supports_reasoning:
        return None
    allowed = offered(info)
    if requested in allowed:
        return requested
    wanted = LEVELS.index(requested)
    return min(allowed, key=lambda level: (abs(LEVELS.index(level) - wanted), LEVELS.index(level)))
