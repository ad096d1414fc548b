"""Messages that arrive close together, gathered so that one handler answers them all.

Used for albums (`albums.py`) and for merged input (`merging.py`). The first message of a
gathering is its *lead*: its update goes on through the middlewares as usual, carrying the
gathering. Later messages join it and wait outside the conversation lock until the lead's
handling ends. The lead's handler calls `complete()`, which waits until no message has joined
for `window` seconds (or the gathering is full, or has gathered for `max_seconds`), closes it
and returns every part in the order sent. A gathering whose handler never asked for its parts
(the lead was refused or answered by some other handler) is `taken` by nobody: the merging
middleware then lets each later part go on by itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from aiogram.types import Message

K = TypeVar("K", bound=Hashable)


@dataclass(slots=True, eq=False)
class Gathering(Generic[K]):
    key: K
    parts: list[Message]
    started: float
    last_added: float
    window: float
    max_parts: int
    max_seconds: float | None
    clock: Callable[[], float]
    release: Callable[[Gathering[K]], None]
    update_ids: list[int] = field(default_factory=list)  # of the parts, when known
    closed: bool = False
    taken: bool = False  # a handler asked for the parts: they are answered together
    grown: asyncio.Event = field(default_factory=asyncio.Event)  # full or closed: stop waiting
    finished: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def lead(self) -> Message:
        """The part that arrived first: its handler answers the gathering."""
        return self.parts[0]

    def add(self, message: Message, update_id: int | None = None) -> None:
        self.parts.append(message)
        if update_id is not None:
            self.update_ids.append(update_id)
        self.last_added = self.clock()
        if len(self.parts) >= self.max_parts:
            self.grown.set()

    def accepts(self, now: float) -> bool:
        """Whether a message arriving `now` still joins (the lead may be queued meanwhile)."""
        if len(self.parts) >= self.max_parts or now - self.last_added > self.window:
            return False
        return self.max_seconds is None or now - self.started <= self.max_seconds

    async def complete(self) -> list[Message]:
        """Wait until the gathering stops growing; its parts in the order they were sent."""
        self.taken = True
        while not self.closed:
            remaining = self.last_added + self.window - self.clock()
            if self.max_seconds is not None:
                remaining = min(remaining, self.started + self.max_seconds - self.clock())
            if remaining <= 0 or self.grown.is_set():
                self.close()
                break
            # Woken early only by a full or closed gathering; otherwise sleep out the window.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.grown.wait(), remaining)
        return sorted(self.parts, key=lambda part: part.message_id)

    def close(self) -> None:
        """Stop collecting: a message arriving later starts a gathering of its own."""
        if not self.closed:
            self.closed = True
            self.grown.set()
            self.release(self)


class Gatherer(Generic[K]):
    """The open gatherings, by key (one per album, or one per conversation)."""

    def __init__(
        self,
        window_seconds: float,
        *,
        max_parts: int,
        max_seconds: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._window = window_seconds
        self._max_parts = max_parts
        self._max_seconds = max_seconds
        self._clock = clock
        self._pending: dict[K, Gathering[K]] = {}

    def open(self, key: K) -> Gathering[K] | None:
        """The gathering still collecting under `key`, if any."""
        return self._pending.get(key)

    def add(self, key: K, message: Message, update_id: int | None = None) -> Gathering[K]:
        """The gathering `message` joins, or starts (then `message` is its lead)."""
        now = self._clock()
        gathering = self._pending.get(key)
        if gathering is not None and gathering.accepts(now):
            gathering.add(message, update_id)
            return gathering
        if gathering is not None:
            gathering.close()  # its lead is still waiting for its turn, past the window
        gathering = Gathering(
            key=key,
            parts=[message],
            started=now,
            last_added=now,
            window=self._window,
            max_parts=self._max_parts,
            max_seconds=self._max_seconds,
            clock=self._clock,
            release=self._release,
            update_ids=[] if update_id is None else [update_id],
        )
        self._pending[key] = gathering
        return gathering

    def flush(self, key: K) -> None:
        """Close the gathering under `key`: what arrives next is not added to it."""
        gathering = self._pending.get(key)
        if gathering is not None:
            gathering.close()

    @property
    def collecting(self) -> int:
        return len(self._pending)

    def _release(self, gathering: Gathering[K]) -> None:
        if self._pending.get(gathering.key) is gathering:
            del self._pending[gathering.key]
