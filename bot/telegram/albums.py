"""An album (several photos or files sent together) becomes one request.

Telegram delivers an album as separate messages sharing a `media_group_id`. The middleware
runs before the conversation lock: the first part goes on and is handled as usual, carrying
the album in `data["album"]`; later parts join that album and go no further, so they never
queue for the lock behind the first part. The first part's handler waits until no part has
arrived for `window` seconds (usually the parts are all in by the time it holds the lock),
then answers them all at once. A later part counts as handled only when the album is (it
waits outside the lock), so shutdown and restart treat the album as one.

In groups the album is answered when its first part is addressed to the bot: Telegram
clients put the album's caption on the first part, and every part of a reply is a reply.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import Message, TelegramObject, Update

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]

MAX_ALBUM_PARTS = 10  # Telegram's limit: a full album needs no more waiting


def collectable(message: Message) -> bool:
    """Parts answered as one album: photos and files. Audio has its own handler."""
    if message.media_group_id is None:
        return False
    if message.photo:
        return True
    document = message.document
    return document is not None and not (document.mime_type or "").startswith("audio/")


@dataclass(slots=True, eq=False)
class PendingAlbum:
    key: tuple[int, str]
    parts: list[Message]
    last_added: float
    window: float
    clock: Callable[[], float]
    release: Callable[[PendingAlbum], None]
    closed: bool = False
    full: asyncio.Event = field(default_factory=asyncio.Event)
    finished: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def lead(self) -> Message:
        """The part that arrived first: its handler answers the album."""
        return self.parts[0]

    async def complete(self) -> list[Message]:
        """Wait until the album stops growing; its parts in the order they were sent."""
        while not self.closed:
            remaining = self.last_added + self.window - self.clock()
            if remaining <= 0 or self.full.is_set():
                self.close()
                break
            # Woken early only by a full album; otherwise sleep out the rest of the window.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.full.wait(), remaining)
        return sorted(self.parts, key=lambda part: part.message_id)

    def close(self) -> None:
        """Stop collecting: a part arriving later starts an album of its own."""
        if not self.closed:
            self.closed = True
            self.release(self)


class AlbumCollector:
    def __init__(
        self, window_seconds: float, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._window = window_seconds
        self._clock = clock
        self._pending: dict[tuple[int, str], PendingAlbum] = {}

    def add(self, message: Message) -> PendingAlbum:
        """The album `message` joins, or starts (then `message` is its lead)."""
        key = (message.chat.id, message.media_group_id or "")
        album = self._pending.get(key)
        if album is not None:
            album.parts.append(message)
            album.last_added = self._clock()
            if len(album.parts) >= MAX_ALBUM_PARTS:
                album.full.set()
            return album
        album = PendingAlbum(
            key=key,
            parts=[message],
            last_added=self._clock(),
            window=self._window,
            clock=self._clock,
            release=self._release,
        )
        self._pending[key] = album
        return album

    @property
    def collecting(self) -> int:
        return len(self._pending)

    def _release(self, album: PendingAlbum) -> None:
        if self._pending.get(album.key) is album:
            del self._pending[album.key]


class AlbumMiddleware(BaseMiddleware):
    """Outer update middleware; register it before the addressing and ordering middlewares."""

    def __init__(self, collector: AlbumCollector) -> None:
        self._collector = collector

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        message = event.message if isinstance(event, Update) else None
        if message is None or not collectable(message):
            return await handler(event, data)
        album = self._collector.add(message)
        if album.lead is not message:
            await album.finished.wait()
            return None
        data["album"] = album
        try:
            return await handler(event, data)
        finally:
            # Whether answered, refused, or dropped as unaddressed: the album is done.
            album.close()
            album.finished.set()
