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

import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import Message, TelegramObject, Update

from bot.telegram.gathering import Gatherer, Gathering

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]

MAX_ALBUM_PARTS = 10  # Telegram's limit: a full album needs no more waiting

AlbumKey = tuple[int, str]
PendingAlbum = Gathering[AlbumKey]


def collectable(message: Message) -> bool:
    """Parts answered as one album: photos and files. Audio has its own handler."""
    if message.media_group_id is None:
        return False
    if message.photo:
        return True
    document = message.document
    return document is not None and not (document.mime_type or "").startswith("audio/")


class AlbumCollector:
    def __init__(
        self, window_seconds: float, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._gatherer: Gatherer[AlbumKey] = Gatherer(
            window_seconds, max_parts=MAX_ALBUM_PARTS, clock=clock
        )

    def add(self, message: Message) -> PendingAlbum:
        """The album `message` joins, or starts (then `message` is its lead)."""
        return self._gatherer.add((message.chat.id, message.media_group_id or ""), message)

    @property
    def collecting(self) -> int:
        return self._gatherer.collecting


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
