"""The command routers sit behind one "starts with /" check: it must not hide a handler; and
routers passed by for kinds of update they have no handler for, or that their own filters
refuse, still handle what they did."""

from __future__ import annotations

from typing import Any

import pytest
from aiogram import BaseMiddleware, Bot, Dispatcher, F, Router
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.filters import Command
from aiogram.types import Update

from bot.aiogram_tuning import inject_dependencies, pass_routers_by
from handlers import create_routers


def test_the_routers_behind_the_command_check_take_only_commands() -> None:
    (commands,) = [r for r in create_routers() if r.name == "commands"]
    handlers = [
        (router.name, handler)
        for router in commands.sub_routers
        for handler in router.message.handlers
    ]
    assert len(handlers) > 20
    for name, handler in handlers:
        filters = [f.callback for f in handler.filters or ()]
        assert any(isinstance(f, Command) for f in filters), f"{name}: {handler.callback}"


def _tree(seen: list[str]) -> Dispatcher:
    dp = Dispatcher()
    buttons, media, edits, texts, watcher, gated, inner = (Router(name=n) for n in "abcdefg")
    buttons.callback_query.register(lambda _: "button")
    media.message.register(lambda _: "photo", F.photo)
    edits.edited_message.register(lambda _: "edit")
    media.include_router(edits)

    class Watch(BaseMiddleware):
        async def __call__(self, handler: Any, event: Any, data: dict[str, Any]) -> Any:
            seen.append("watched")
            return await handler(event, data)

    # Its own filter refuses texts: neither it nor its sub-router may take one.
    gated.message.filter(lambda message: message.text is None)
    inner.message.register(lambda _: "taken by a router behind a refusing filter")
    gated.include_router(inner)
    entered = gated._propagate_event

    async def entering(*args: Any, **kwargs: Any) -> Any:
        seen.append("gated router entered")
        return await entered(*args, **kwargs)

    gated._propagate_event = entering  # type: ignore[method-assign]
    # No handler of its own and a filter refusing everything, but an outer middleware: it
    # is still entered (aiogram runs the middleware before the filter).
    watcher.message.outer_middleware(Watch())
    watcher.message.filter(lambda _: False)
    texts.message.register(lambda _: "text")
    dp.include_routers(buttons, media, gated, watcher, texts)
    return dp


USER: dict[str, Any] = {"id": 7, "is_bot": False, "first_name": "A"}
CHAT: dict[str, Any] = {"id": 7, "type": "private"}
MESSAGE: dict[str, Any] = {"message_id": 1, "date": 0, "chat": CHAT, "from": USER}
UPDATES: dict[str, dict[str, Any]] = {
    "text": {"message": {**MESSAGE, "text": "hi"}},
    "photo": {
        "message": {
            **MESSAGE,
            "photo": [{"file_id": "p", "file_unique_id": "u", "width": 1, "height": 1}],
        }
    },
    "button": {"callback_query": {"id": "1", "from": USER, "chat_instance": "c", "data": "x"}},
    "edit": {"edited_message": {**MESSAGE, "text": "hi", "edit_date": 1}},
    "inline": {"inline_query": {"id": "1", "from": USER, "query": "q", "offset": ""}},
}


@pytest.mark.parametrize("kind", UPDATES)
async def test_routers_passed_by_still_handle_what_they_did(kind: str) -> None:
    bot = Bot("42:TEST")
    results = []
    for tuned in (False, True):
        seen: list[str] = []
        dp = _tree(seen)
        if tuned:
            assert pass_routers_by(dp) == 7
        update = Update.model_validate({"update_id": 1, **UPDATES[kind]})
        results.append((await dp.feed_update(bot, update), seen))
    await bot.session.close()
    (handled, seen_untuned), (tuned_handled, seen) = results
    assert tuned_handled == handled == (UNHANDLED if kind == "inline" else kind)
    if kind == "text":
        assert seen_untuned == ["gated router entered", "watched"]
        assert seen == ["watched"], "passed by the router whose own filter refuses texts"
    else:
        assert seen == [] and "watched" not in seen_untuned


async def test_dependencies_reach_filters_handlers_and_startup_by_name() -> None:
    dp = Dispatcher()
    router = Router()
    seen: dict[str, Any] = {}

    def open_gate(_: Any, gate: str) -> bool:
        seen["filter"] = gate
        return True

    async def handle(_: Any, gate: str, service: str) -> str:
        seen["handler"] = (gate, service)
        return "handled"

    async def on_startup(clock: str) -> None:
        seen["startup"] = clock

    class Routing(BaseMiddleware):
        async def __call__(self, handler: Any, event: Any, data: dict[str, Any]) -> Any:
            seen["routing data"] = sorted(k for k in ("gate", "clock", "service") if k in data)
            return await handler(event, data)

    router.message.register(handle, open_gate)
    router.startup.register(on_startup)
    dp.include_router(router)
    dp.update.outer_middleware(Routing())
    early = inject_dependencies(dp, {"gate": "G", "clock": "C", "service": "S"})
    assert early == {"gate", "clock"}, "a filter's and a startup handler's stay in the data"

    bot = Bot("42:TEST")
    await dp.emit_startup(bot=bot, **dp.workflow_data)
    update = Update.model_validate({"update_id": 1, **UPDATES["text"]})
    assert await dp.feed_update(bot, update) == "handled"
    await bot.session.close()
    assert seen == {
        "startup": "C",
        "routing data": ["clock", "gate"],  # the rest is not copied from router to router
        "filter": "G",
        "handler": ("G", "S"),
    }
