"""Photo or document (by the picture's size), and captions that fit Telegram."""

from __future__ import annotations

import io

import pytest
from aiogram.types import Message
from PIL import Image

from bot.telegram.photos import (
    CAPTION_LIMIT,
    PHOTO_MAX_BYTES,
    file_name,
    fits_as_photo,
    photo_caption,
    utf16_len,
)
from bot.telegram.replies import reply_parameters


def png(width: int, height: int, padding: int = 0) -> bytes:
    """A real one-bit PNG (cheap even when large), with `padding` bytes after its end."""
    out = io.BytesIO()
    Image.new("1", (width, height)).save(out, "PNG")
    return out.getvalue() + b"\0" * padding


@pytest.mark.parametrize(
    ("data", "photo"),
    [
        pytest.param(png(2048, 2048), True, id="square"),
        pytest.param(png(6000, 4000), True, id="sides-sum-10000"),
        pytest.param(png(6001, 4000), False, id="sides-sum-over-10000"),
        pytest.param(png(2000, 100), True, id="ratio-20"),
        pytest.param(png(2001, 100), False, id="ratio-over-20"),
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
