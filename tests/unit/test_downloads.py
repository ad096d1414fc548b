"""A file's size as the sender's client declared it is not trusted: the download stops once
more bytes arrive than the limit allows."""

from __future__ import annotations

from typing import Any, BinaryIO, cast

import pytest
from aiogram import Bot
from aiogram.types import Document, File

from bot.telegram.downloads import FileTooBig, download_within


class ServingBot:
    """getFile and a download in 64 KB chunks, as aiogram streams them."""

    def __init__(self, data: bytes, reported_size: int | None) -> None:
        self.data = data
        self.reported_size = reported_size
        self.chunks_sent = 0

    async def get_file(self, file_id: str) -> File:
        return File(
            file_id=file_id, file_unique_id="u", file_size=self.reported_size, file_path="f/1"
        )

    async def download_file(self, file_path: str, destination: BinaryIO, **kwargs: Any) -> None:
        for start in range(0, len(self.data), 65536):
            self.chunks_sent += 1
            destination.write(self.data[start : start + 65536])


def document(declared: int) -> Document:
    return Document(file_id="doc", file_unique_id="u", file_name="a.txt", file_size=declared)


async def test_a_file_within_the_limit_arrives_whole() -> None:
    bot = ServingBot(b"x" * 100_000, reported_size=None)
    assert await download_within(cast(Bot, bot), document(10), 200_000) == b"x" * 100_000


async def test_a_file_bigger_than_declared_is_stopped_while_streaming() -> None:
    bot = ServingBot(b"x" * 2_000_000, reported_size=None)  # claims 10 bytes
    with pytest.raises(FileTooBig):
        await download_within(cast(Bot, bot), document(10), 512 * 1024)
    assert bot.chunks_sent == 9, "the download stops at the first chunk past the limit"


async def test_a_file_telegram_reports_too_big_is_not_downloaded() -> None:
    bot = ServingBot(b"x" * 2_000_000, reported_size=2_000_000)
    with pytest.raises(FileTooBig):
        await download_within(cast(Bot, bot), document(10), 512 * 1024)
    assert bot.chunks_sent == 0
