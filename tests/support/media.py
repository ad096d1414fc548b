"""Real picture bytes and uploads to the fake Telegram, for photo and file updates."""

from __future__ import annotations

import functools
import subprocess
from typing import Any

import imageio_ffmpeg

from tests.support.fakes import TelegramControl
from tests.support.http import post_multipart


@functools.cache
def jpeg(color: str = "red", width: int = 64, height: int = 48) -> bytes:
    """A small real JPEG of one colour (Telegram stores every photo as JPEG)."""
    return subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-loglevel", "error", "-f", "lavfi",
         "-i", f"color=c={color}:s={width}x{height}", "-frames:v", "1",
         "-f", "image2pipe", "-vcodec", "mjpeg", "-"],
        check=True,
        capture_output=True,
    ).stdout  # fmt: skip


def upload(
    telegram: TelegramControl, data: bytes, file_path: str, **fields: str
) -> dict[str, Any]:
    """Store a file in the fake Telegram; its answer carries `file_id`, `file_size`, …"""
    return dict(
        post_multipart(
            f"{telegram.url}/_test/upload",
            {"file_path": file_path, **fields},
            {"file": ("upload.bin", data, "application/octet-stream")},
        )
    )


def photo_sizes(file: dict[str, Any], width: int = 64, height: int = 48) -> list[dict[str, Any]]:
    """The `photo` field of a message: a thumbnail, the uploaded file, and a size too big for
    a bot to download (so the bot must pick the uploaded one)."""
    return [
        {"file_id": f"{file['file_id']}-s", "file_unique_id": f"{file['file_unique_id']}-s",
         "width": 8, "height": 6, "file_size": 300},
        {"file_id": file["file_id"], "file_unique_id": file["file_unique_id"], "width": width,
         "height": height, "file_size": file["file_size"]},
        {"file_id": f"{file['file_id']}-x", "file_unique_id": f"{file['file_unique_id']}-x",
         "width": width * 100, "height": height * 100, "file_size": 25 * 1024 * 1024},
    ]  # fmt: skip
