"""aiogram costs that showed up in the benchmark's profile, removed at start-up.

aiogram 3.31 runs every synchronous filter (all magic `F` filters) through `asyncio.to_thread`:
a thread hop per filter per update, for a microsecond of work. `run_sync_filters_inline` makes
those filters awaitable so they run on the loop. It also enters every router in turn, even one
without a handler for the kind of update at hand (`skip_routers_without_handlers`). (The other
one, answer types rebuilt after garbage collection, is kept away by
`bot.telegram.json_session`.)
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import Router
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.types import TelegramObject


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


def skip_routers_without_handlers(root: Router) -> int:
    """Let an update pass by the routers under `root` that have no handler for its kind.

    aiogram enters each router in turn (middlewares resolved, root filters checked, the
    handler data copied several times: ~40 µs per router on the benchmark's machine), even
    when no handler in it takes that kind of update: a plain message went through three such
    routers before reaching the chat one. A router is passed by for a kind only when neither
    it nor its sub-routers have a handler or an outer middleware for it, so what is handled
    does not change. Call once every handler is registered; returns how many routers skip
    some kind.
    """
    changed = 0
    for router in root.chain_tail:
        if router is root:
            continue
        idle = frozenset(
            kind
            for kind in router.observers
            if not any(
                sub.observers[kind].handlers or len(sub.observers[kind].outer_middleware)
                for sub in router.chain_tail
            )
        )
        if idle:
            passing_by = _passing_by(router.propagate_event, idle)
            router.propagate_event = passing_by  # type: ignore[method-assign, assignment]
            changed += 1
    return changed


def _passing_by(
    propagate: Callable[..., Awaitable[Any]], idle: frozenset[str]
) -> Callable[..., Awaitable[Any]]:
    async def propagate_event(update_type: str, event: TelegramObject, **kwargs: Any) -> Any:
        if update_type in idle:
            return UNHANDLED
        return await propagate(update_type=update_type, event=event, **kwargs)

    return propagate_event
