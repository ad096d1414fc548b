"""Answers being generated right now, so a user can stop theirs."""

from __future__ import annotations

import asyncio

from storage import ConversationKey


class RunningAnswers:
    """One stop switch per conversation (a conversation streams one answer at a time)."""

    def __init__(self) -> None:
        self._running: dict[ConversationKey, asyncio.Event] = {}

    def start(self, key: ConversationKey) -> asyncio.Event:
        stop = asyncio.Event()
        self._running[key] = stop
        return stop

    def finish(self, key: ConversationKey, stop: asyncio.Event) -> None:
        if self._running.get(key) is stop:
            del self._running[key]

    def stop(self, key: ConversationKey) -> bool:
        """Ask the running answer of `key` to stop; False if none is running."""
        stop = self._running.get(key)
        if stop is None:
            return False
        stop.set()
        return True
