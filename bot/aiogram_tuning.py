"""Two aiogram costs that showed up in the benchmark's profile, removed at start-up.

* aiogram 3.31 runs every synchronous filter (all magic `F` filters) through
  `asyncio.to_thread`: a thread hop per filter per update, for a microsecond of work.
  `run_sync_filters_inline` makes those filters awaitable so they run on the loop.
* aiogram validates each Bot API answer with `Response[method.__returning__]`; pydantic keeps
  such parametrised classes only weakly, so they are rebuilt (milliseconds each) after garbage
  collection. `pin_response_types` keeps them alive for the methods the bot calls.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from aiogram import Router
from aiogram import methods as api
from aiogram.methods.base import Response

CALLED_METHODS: tuple[type[api.TelegramMethod[Any]], ...] = (
    api.AnswerCallbackQuery,
    api.DeleteMessage,
    api.EditMessageReplyMarkup,
    api.EditMessageText,
    api.GetFile,
    api.GetMe,
    api.GetUpdates,
    api.SendChatAction,
    api.SendDocument,
    api.SendMessage,
    api.SendMessageDraft,
    api.SendPhoto,
    api.SetMyCommands,
)


def pin_response_types(
    methods: Iterable[type[api.TelegramMethod[Any]]] = CALLED_METHODS,
) -> list[Any]:
    """Build the response classes once; keep the returned list for the process's lifetime."""
    return [Response[method.__returning__] for method in methods]  # type: ignore[name-defined]


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
