"""Photo or document, the size read from image headers, and captions that fit Telegram."""

from __future__ import annotations

import struct
import zlib

import pytest
from aiogram.types import Message

from bot.telegram.photos import (
    CAPTION_LIMIT,
    PHOTO_MAX_BYTES,
    file_name,
    fits_as_photo,
    image_size,
    photo_caption,
    utf16_len,
)
from bot.telegram.replies import reply_parameters


def png(width: int, height: int, padding: int = 0) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = struct.pack(">I", len(ihdr)) + b"IHDR" + ihdr + struct.pack(">I", zlib.crc32(ihdr))
    return b"\x89PNG\r\n\x1a\n" + chunk + b"\0" * padding


def jpeg(width: int, height: int) -> bytes:
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\0" + b"\x01\x01\0\0\x01\0\x01\0\0"
    sof = b"\xff\xc2" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    return b"\xff\xd8" + app0 + b"\xff" + sof + b"\xff\xd9"  # with a fill byte before SOF


def webp(chunk: bytes, payload: bytes) -> bytes:
    body = b"WEBP" + chunk + struct.pack("<I", len(payload)) + payload
    return b"RIFF" + struct.pack("<I", len(body)) + body


VP8X = b"\0" * 4 + (4095).to_bytes(3, "little") + (2047).to_bytes(3, "little")


@pytest.mark.parametrize(
    ("data", "size"),
    [
        pytest.param(png(1024, 768), (1024, 768), id="png"),
        pytest.param(jpeg(1920, 1080), (1920, 1080), id="jpeg"),
        pytest.param(b"GIF89a" + struct.pack("<HH", 320, 200) + b"\0" * 8, (320, 200), id="gif"),
        pytest.param(
            webp(b"VP8 ", b"\0" * 3 + b"\x9d\x01\x2a" + struct.pack("<HH", 800, 600)),
            (800, 600),
            id="webp-lossy",
        ),
        pytest.param(
            webp(b"VP8L", b"\x2f" + struct.pack("<I", (640 - 1) | (480 - 1) << 14)),
            (640, 480),
            id="webp-lossless",
        ),
        pytest.param(webp(b"VP8X", VP8X), (4096, 2048), id="webp-extended"),
        pytest.param(b"not an image at all", None, id="not-an-image"),
        pytest.param(b"\xff\xd8\xff\xda\x00\x02", None, id="jpeg-scan-before-frame"),
    ],
)
def test_image_size_from_headers(data: bytes, size: tuple[int, int] | None) -> None:
    assert image_size(data) == size


@pytest.mark.parametrize(
    ("data", "photo"),
    [
        pytest.param(png(2048, 2048), True, id="square"),
        pytest.param(png(6000, 4000), True, id="sides-sum-10000"),
        pytest.param(png(6001, 4000), False, id="sides-sum-over-10000"),
        pytest.param(png(2000, 100), True, id="ratio-20"),
        pytest.param(png(2001, 100), False, id="ratio-over-20"),
        pytest.param(png(100, 0), False, id="zero-height"),
        pytest.param(png(64, 64, padding=PHOTO_MAX_BYTES), False, id="over-10-MB"),
        # Unreadable: Telegram decides, and a refused photo goes as a file.
        pytest.param(b"RIFF\0\0\0\0WEBPVP8Z", True, id="unknown-size"),
    ],
)
def test_photo_or_document(data: bytes, photo: bool) -> None:
    assert fits_as_photo(data) is photo


def test_short_captions_are_escaped_only() -> None:
    assert photo_caption("a fox & a <hare>") == "a fox &amp; a &lt;hare&gt;"
    assert photo_caption("") == ""


def test_long_captions_are_cut_after_escaping_on_a_word() -> None:
    prompt = "Tom & Jerry chase each other " * 60
    caption = photo_caption(prompt)
    assert utf16_len(caption) <= CAPTION_LIMIT
    assert utf16_len(caption) > CAPTION_LIMIT - 40
    assert caption.endswith("…") and not caption.endswith(" …")
    assert "&amp;" in caption and "& " not in caption
    assert not caption.endswith("&…") and not caption.endswith("&amp…")
    assert prompt.replace("&", "&amp;").startswith(caption.removesuffix("…"))


def test_captions_count_emoji_as_two_units() -> None:
    caption = photo_caption("🦊" * 600, limit=101)
    assert caption == "🦊" * 50 + "…"
    assert photo_caption("🦊" * 50) == "🦊" * 50


def test_file_names_follow_the_image_type() -> None:
    assert file_name("image/jpeg") == "image.jpg"
    assert file_name("image/webp") == "image.webp"
    assert file_name("application/x-unknown") == "image.png"


def _message(chat: dict[str, object]) -> Message:
    return Message.model_validate(
        {"message_id": 42, "date": 0, "chat": chat, "text": "/image a kite"}
    )


def test_answers_quote_the_request_only_in_groups() -> None:
    assert reply_parameters(_message({"id": 1, "type": "private"})) is None
    quoted = reply_parameters(_message({"id": -100, "type": "supergroup", "title": "G"}))
    assert quoted is not None
    assert quoted.message_id == 42
    assert quoted.allow_sending_without_reply is True
