"""aiogram costs that showed up in the benchmark's profile, removed at start-up.

aiogram 3.31 runs every synchronous filter (all magic `F` filters) through `asyncio.to_thread`:
a thread hop per filter per update, for a microsecond of work. `run_sync_filters_inline` makes
those filters awaitable so they run on the loop. It also enters every router in turn, even one
without a handler for the kind of update at hand or whose own filters refuse it
(`pass_routers_by`), copying the handler data several times in each: the bot's
dependencies join that data only once a handler is chosen (`inject_dependencies`). (The other
one, answer types rebuilt after garbage collection, is kept away by
`bot.telegram.json_session`.)
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from aiogram import BaseMiddleware, Dispatcher, Router
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.dispatcher.event.handler import FilterObject
from aiogram.dispatcher.event.telegram import TelegramEventObserver
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


def pass_routers_by(root: Router) -> int:
    """Let an update pass by the routers under `root` that cannot take it.

    aiogram enters each router in turn (middlewares resolved, root filters checked, the
    handler data copied several times: ~40-55 µs per router on the benchmark's machines),
    even when no handler in it takes that kind of update, and before it checks the router's
    own filters (`router.message.filter(...)`): a plain message went through seven routers
    before reaching the chat one. A router is passed by for a kind when neither it nor its
    sub-routers have a handler or an outer middleware for it, or, when it has no outer
    middleware for that kind, when one of its own filters refuses the update: aiogram would
    then return before its handlers and sub-routers too, so what is handled does not change.
    Call once every handler and filter is registered; returns how many routers it changed.
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
        gates = {
            kind: tuple(own)
            for kind, observer in router.observers.items()
            if (own := _own_filters(observer)) and not len(observer.outer_middleware)
        }
        if idle or gates:
            router.propagate_event = _passing_by(  # type: ignore[method-assign, assignment]
                router, idle, gates
            )
            changed += 1
    return changed


def _own_filters(observer: TelegramEventObserver) -> list[FilterObject]:
    return list(getattr(getattr(observer, "_handler", None), "filters", None) or ())


def _passing_by(
    router: Router, idle: frozenset[str], gates: dict[str, tuple[FilterObject, ...]]
) -> Callable[..., Awaitable[Any]]:
    propagate = router.propagate_event

    async def propagate_event(update_type: str, event: TelegramObject, **kwargs: Any) -> Any:
        if update_type in idle:
            return UNHANDLED
        gate = gates.get(update_type)
        if gate:
            # As aiogram calls them, with the data they would have; a pass is checked again.
            data = {**kwargs, "event_router": router}
            for own_filter in gate:
                if not await own_filter.call(event, **data):
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
