"""Chat modes (/mode) and how the system message is put together.

The final system message is always the default guidance (`SYSTEM_PROMPT`: language and
formatting rules), then the chosen preset's instructions, then the user's own `/prompt`,
which applies in every mode (like standing custom instructions). The assistant preset is the
default guidance alone (its Fluent prompt is empty), so a user who never chose a mode sends
what they always sent. "My prompt" is the mode with no preset: the default guidance plus the
user's own instructions alone.
"""

from __future__ import annotations

ASSISTANT = "assistant"
CUSTOM = "custom"
PRESETS = (
    ASSISTANT,
    "translator",
    "editor",
    "programmer",
    "tutor",
    "summarizer",
    "brainstorm",
    "concise",
)
MODES = (*PRESETS, CUSTOM)


def mode_of(stored: str | None) -> str:
    """The user's mode; anything unknown (never chosen, or a preset since removed) is the
    default assistant."""
    return stored if stored in MODES else ASSISTANT


def compose_system_prompt(default: str, preset: str | None, personal: str | None) -> str:
    """Default guidance + the preset's instructions + the user's own, blank parts left out."""
    parts = (default, preset, personal)
    return "\n\n".join(part.strip() for part in parts if part and part.strip())
