"""Album parts become one request, without waiting behind the conversation lock."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from aiogram.types import Message, TelegramObject, Update

from bot.middlewares import ConversationLocks
from bot.telegram.albums import AlbumCollector, AlbumMiddleware, PendingAlbum
from storage import ConversationKey

WINDOW = 0.15
_ids = iter(range(1, 10_000))


def part(
    message_id: int, group: str | None = "g1", chat_id: int = 42, kind: str = "photo"
) -> Message:
    raw: dict[str, Any] = {
        "message_id": message_id,
        "date": int(time.time()),
        "chat": {"id": chat_id, "type": "private", "first_name": "T"},
        "from": {"id": chat_id, "is_bot": False, "first_name": "T"},
    }
    if group is not None:
        raw["media_group_id"] = group
    if kind == "photo":
        raw["photo"] = [
            {"file_id": f"f{message_id}", "file_unique_id": "u", "width": 1, "height": 1}
        ]
    elif kind == "audio":
        raw["document"] = {"file_id": "a", "file_unique_id": "u", "mime_type": "audio/mpeg"}
    elif kind == "document":
        raw["document"] = {"file_id": "d", "file_unique_id": "u", "file_name": "a.txt"}
    else:
        raw["text"] = "hello"
    return Message.model_validate(raw)


def update(message: Message) -> Update:
    return Update(update_id=next(_ids), message=message)


async def test_parts_arriving_within_the_window_make_one_album() -> None:
    collector = AlbumCollector(WINDOW)
    lead = part(3)
    album = collector.add(lead)
    assert album.lead is lead

    async def more() -> None:
        for message_id in (1, 2):  # order of arrival is not the order sent
            await asyncio.sleep(WINDOW / 2)
            assert collector.add(part(message_id)) is album

    started = time.monotonic()
    _, parts = await asyncio.gather(more(), album.complete())
    assert [p.message_id for p in parts] == [1, 2, 3]
    # The window restarts with each part: ~2 half-windows of arrivals, then a full one.
    assert time.monotonic() - started >= WINDOW * 1.9
    assert collector.collecting == 0

    late = part(4)
    assert collector.add(late).lead is late, "a part after the window starts anew"


async def test_a_full_album_does_not_wait_for_the_window() -> None:
    collector = AlbumCollector(window_seconds=5.0)
    album = collector.add(part(1))
    for message_id in range(2, 11):
        assert collector.add(part(message_id)) is album
    parts = await asyncio.wait_for(album.complete(), 1.0)
    assert len(parts) == 10


async def test_albums_of_different_chats_are_separate() -> None:
    collector = AlbumCollector(WINDOW)
    first = collector.add(part(1, chat_id=1))
    second = collector.add(part(1, chat_id=2))
    assert first is not second
    assert [len(await a.complete()) for a in (first, second)] == [1, 1]


async def test_middleware_answers_once_without_deadlocking_on_the_conversation_lock() -> None:
    """The real order of middlewares: album collection, then the per-conversation lock."""
    locks = ConversationLocks()
    middleware = AlbumMiddleware(AlbumCollector(WINDOW))
    answered: list[list[int]] = []
    key = ConversationKey(chat_id=42, user_id=42)

    async def handler(event: TelegramObject, data: dict[str, Any]) -> str:
        album: PendingAlbum | None = data.get("album")
        parts = await album.complete() if album else [data["message"]]
        await asyncio.sleep(0.05)  # the answer streams while holding the lock
        answered.append([p.message_id for p in parts])
        return "answered"

    async def ordered(event: TelegramObject, data: dict[str, Any]) -> Any:
        return await locks.run(key, lambda: handler(event, data))

    async def feed(message: Message) -> Any:
        result = await middleware(ordered, update(message), {"message": message})
        done.append((message.message_id, len(answered)))
        return result

    done: list[tuple[int, int]] = []
    parts = [part(i) for i in (11, 12, 13)]
    results = await asyncio.wait_for(
        asyncio.gather(*(feed(p) for p in parts), feed(part(14, group=None, kind="text"))),
        timeout=3.0,
    )
    assert results == ["answered", None, None, "answered"]
    assert answered == [[11, 12, 13], [14]], "the text sent after the album waits its turn"
    # The other parts are done only once the album is answered (for shutdown and restarts).
    assert sorted(done)[:3] == [(11, 1), (12, 1), (13, 1)]


async def test_only_photos_and_files_are_collected() -> None:
    middleware = AlbumMiddleware(AlbumCollector(WINDOW))
    seen: list[tuple[int, bool]] = []

    async def handler(event: TelegramObject, data: dict[str, Any]) -> None:
        assert isinstance(event, Update) and event.message is not None
        seen.append((event.message.message_id, "album" in data))

    for message in (
        part(1, group="audio", kind="audio"),
        part(2, group="audio", kind="audio"),
        part(3, group=None),
        part(4, group="docs", kind="document"),
        part(5, group="docs", kind="document"),
    ):
        await middleware(handler, update(message), {})
    assert seen == [(1, False), (2, False), (3, False), (4, True), (5, True)]
