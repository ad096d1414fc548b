"""The command routers sit behind one "starts with /" check: it must not hide a handler."""

from __future__ import annotations

from aiogram.filters import Command

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
