"""aiogram costs that showed up in the benchmark's profile, removed at start-up.

aiogram 3.31 runs every synchronous filter (all magic `F` filters) through `asyncio.to_thread`:
a thread hop per filter per update, for a microsecond of work. `run_sync_filters_inline` makes
those filters awaitable so they run on the loop. It also enters every router in turn, even one
without a handler for the kind of update at hand (`skip_routers_without_handlers`), copying the
handler data several times in each: the bot's dependencies join that data only once a handler
is chosen (`inject_dependencies`). (The other one, answer types rebuilt after garbage
collection, is kept away by `bot.telegram.json_session`.)
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from aiogram import BaseMiddleware, Dispatcher, Router
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.dispatcher.event.handler import FilterObject
from aiogram.types import TelegramObject


def _inline(callback: Callable[..., Any]) -> Callable[..., Any]:
    async def call_on_the_loop(*args: Any, **kwargs: Any) -> Any:
        return callback(*args, **kwargs)

    return call_on_the_loop


def _filters(root: Router) -> Iterator[FilterObject]:
    """Every filter under `root`: its handlers' and its routers' own."""
    for router in root.chain_tail:
        for observer in router.observers.values():
            # Router-wide filters (`router.message.filter(...)`) live on the observer itself.
            holders = [getattr(observer, "_handler", None), *observer.handlers]
            for holder in holders:
                yield from getattr(holder, "filters", None) or ()


def run_sync_filters_inline(root: Router) -> int:
    """Make every synchronous filter under `root` run on the event loop; return how many."""
    changed = 0
    for filter_object in _filters(root):
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


def inject_dependencies(dp: Dispatcher, dependencies: dict[str, Any]) -> set[str]:
    """Hand `dependencies` to handlers by name, as aiogram's workflow data would, but only
    once a handler has been chosen: aiogram copies the handler data several times in every
    router an update passes through, and the bot's ~26 dependencies were over half of it.

    The ones a filter or a startup/shutdown handler asks for stay in the workflow data (all of
    them if a filter takes `**kwargs`); returns their names. Outer middlewares see only the
    workflow data: they get what they need when they are made. Call once every handler is
    registered.
    """
    wanted: set[str] = set()
    for filter_object in _filters(dp):
        wanted |= set(dependencies) if filter_object.varkw else filter_object.params
    for router in dp.chain_tail:
        for lifetime in (router.startup, router.shutdown):
            for handler in lifetime.handlers:
                wanted |= handler.params
    early = {name: value for name, value in dependencies.items() if name in wanted}
    late = {name: value for name, value in dependencies.items() if name not in wanted}
    dp.workflow_data.update(early)
    if late:
        middleware = _Dependencies(late)
        for kind, observer in dp.observers.items():
            if kind != "update":  # the update's own observer routes: nothing chosen yet
                observer.middleware(middleware)
    return set(early)


class _Dependencies(BaseMiddleware):
    """An inner middleware of the dispatcher: runs once a handler's filters have passed."""

    def __init__(self, dependencies: dict[str, Any]) -> None:
        self._dependencies = dependencies

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        data.update(self._dependencies)
        return await handler(event, data)
