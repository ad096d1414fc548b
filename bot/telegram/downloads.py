"""Downloading a user's file from Telegram without trusting the size the client declared.

`file_size` in a message comes from the sender's client; only the bytes that arrive count.
The download is stopped as soon as it passes the limit, so an oversized file never sits in
memory whole.
"""

from __future__ import annotations

import io

from aiogram import Bot
from aiogram.types import Downloadable


class FileTooBig(Exception):
    def __init__(self, limit_bytes: int) -> None:
        super().__init__(f"the file is larger than {limit_bytes} bytes")
        self.limit_bytes = limit_bytes


class _LimitedBuffer(io.BytesIO):
    """aiogram writes the download here chunk by chunk; past the limit the write fails,
    which ends the download."""

    def __init__(self, limit_bytes: int) -> None:
        super().__init__()
        self._limit = limit_bytes

    def write(self, data: bytes) -> int:  # type: ignore[override]
        if self.tell() + len(data) > self._limit:
            raise FileTooBig(self._limit)
        return super().write(data)


async def download_within(bot: Bot, file: Downloadable, limit_bytes: int) -> bytes:
    """The file's bytes; raises `FileTooBig` past `limit_bytes` (whatever the message said),
    and aiogram's errors when Telegram refuses."""
    info = await bot.get_file(file.file_id)
    if info.file_size is not None and info.file_size > limit_bytes:
        raise FileTooBig(limit_bytes)
    if info.file_path is None:  # Telegram gives no path for files it will not serve
        raise FileTooBig(limit_bytes)
    buffer = _LimitedBuffer(limit_bytes)
    await bot.download_file(info.file_path, destination=buffer)
    return buffer.getvalue()
