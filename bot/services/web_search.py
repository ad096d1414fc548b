"""/search's words: which arguments switch web search on or off rather than ask a question."""

from __future__ import annotations

ON_WORDS = frozenset({"on", "вкл", "включить"})
OFF_WORDS = frozenset({"off", "выкл", "выключить"})


def switch_of(arguments: str | None) -> bool | None:
    """True/False when `arguments` turn web search on/off; None when they are a question."""
    word = (arguments or "").strip().lower()
    if word in ON_WORDS:
        return True
    if word in OFF_WORDS:
        return False
    return None
