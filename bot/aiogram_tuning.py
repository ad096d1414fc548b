"""An aiogram cost that showed up in the benchmark's profile, removed at start-up.

aiogram 3.31 runs every synchronous filter (all magic `F` filters) through `asyncio.to_thread`:
a thread hop per filter per update, for a microsecond of work. `run_sync_filters_inline` makes
those filters awaitable so they run on the loop. (The other one, answer types rebuilt after
garbage collection, is kept away by `bot.telegram.json_session`.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiogram import Router


def _inline(callback: Callable[..., Any]) -> Callable[..., Any]:
    async def call_on_the_loop(*args: Any, **kwargs: Any) -> Any:
        return callback(*args, **kwargs)

    return call_on_the_loop


def run_sync_filters_inline(root: Router) -> int:
    """Make every synchronous filter under `root` run on the event loop; return how many."""
    changed = 0
    for router in root.chain_tail:
        for observer in router.observers.values():
            # Router-wide filters (`router.message.filter(...)`) live on the observer itself.
            holders = [getattr(observer, "_handler", None), *observer.handlers]
            for holder in holders:
                for filter_object in getattr(holder, "filters", None) or ():
                    if not filter_object.awaitable:
                        filter_object.callback = _inline(filter_object.callback)
                        filter_object.awaitable = True
                        changed += 1
    return changed
