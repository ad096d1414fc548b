"""The garbage collector around start-up: off while the bot starts, then told to leave the
objects made at start-up alone for good.

Importing aiogram, openai and the bot makes a quarter of a million long-lived objects (pydantic
models and their schemas, classes, functions) and almost no garbage, yet every full collection
walks all of them (~0.2 s of CPU each, several during start-up). Frozen after start-up, they
are never walked again: later collections only look at what handling updates makes.
"""

from __future__ import annotations

import gc


def pause_for_start_up() -> None:
    """Call before the heavy imports; `resume_after_start_up` turns collection back on."""
    gc.disable()


def resume_after_start_up() -> None:
    """Move everything alive now out of the collector's reach, then collect as usual."""
    gc.freeze()
    gc.enable()
