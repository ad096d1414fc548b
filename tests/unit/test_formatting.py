"""Markdown → Telegram entities, and splitting long answers."""

from __future__ import annotations

import re
from typing import cast

import pytest
from aiogram_i18n import I18nContext

from bot.telegram.formatting import (
    SOURCE_SEGMENT_LIMIT,
    TELEGRAM_TEXT_LIMIT,
    cut_utf16,
    render,
    render_parts,
    split_markdown,
    take_segment,
)
from bot.telegram.transcripts import transcript_html


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def test_render_turns_markdown_into_entities() -> None:
    rendered = render("**bold** `code` [link](https://example.com)")
    assert rendered.text == "bold code link"
    kinds = {(e.type, e.offset, e.length) for e in rendered.entities}
    assert ("bold", 0, 4) in kinds
    assert ("code", 5, 4) in kinds
    assert any(e.type == "text_link" and e.url == "https://example.com" for e in rendered.entities)


def test_entity_offsets_are_utf16() -> None:
    rendered = render("😀😀 **жирный**")
    (bold,) = [e for e in rendered.entities if e.type == "bold"]
    assert bold.offset == 5 and bold.length == 6


def test_short_text_is_not_split() -> None:
    assert take_segment("short answer") is None
    assert split_markdown("short answer") == ["short answer"]


def test_split_prefers_paragraph_boundaries() -> None:
    paragraphs = [f"Paragraph {i}. " + "word " * 150 for i in range(12)]
    text = "\n\n".join(paragraphs)
    parts = split_markdown(text)
    assert len(parts) > 1
    for part in parts:
        assert utf16_len(part) <= SOURCE_SEGMENT_LIMIT
        assert part.startswith("Paragraph ")
    assert "".join(p.replace(" ", "").replace("\n", "") for p in parts) == text.replace(
        " ", ""
    ).replace("\n", "")


def test_code_block_cut_in_two_is_closed_and_reopened() -> None:
    code = "\n".join(f"line_{i} = {i}" for i in range(600))
    text = f"Intro\n\n```python\n{code}\n```\n\nOutro"
    parts = split_markdown(text)
    assert len(parts) >= 2
    for part in parts[:-1]:
        assert part.rstrip().endswith("```")
    for part in parts[1:]:
        if "line_" in part:
            assert part.startswith("```python\n")
    rendered = render_parts(text)
    joined = "\n".join(p.text for p in rendered)
    for i in range(600):
        assert f"line_{i} = {i}" in joined
    for piece in rendered:
        assert utf16_len(piece.text) <= 4096
        if "line_" in piece.text:
            assert any(e.type == "pre" and e.language == "python" for e in piece.entities)


def test_one_huge_line_is_cut_hard_and_nothing_is_lost() -> None:
    text = "x" * 9000
    parts = split_markdown(text)
    assert "".join(parts) == text
    assert all(utf16_len(p) <= SOURCE_SEGMENT_LIMIT for p in parts)


@pytest.mark.parametrize("emoji", ["😀", "👍🏽", "🇷🇺"])
def test_astral_characters_count_double(emoji: str) -> None:
    text = (emoji + " ") * 3000
    for part in render_parts(text):
        assert utf16_len(part.text) <= 4096
    assert sum(p.text.count(emoji) for p in render_parts(text)) == 3000


def test_cut_utf16_counts_as_telegram_does_and_never_splits_a_pair() -> None:
    assert cut_utf16("short", 10) == "short"
    emoji = "😀" * 3000  # 3000 code points, 6000 UTF-16 units
    cut = cut_utf16(emoji, 3000)
    assert utf16_len(cut) <= 3000 and cut.endswith("…")
    assert cut[:-1] == "😀" * 1499
    assert cut_utf16("a😀b", 3) == "a…", "half an emoji is not kept"


def test_a_long_transcript_preview_fits_in_one_telegram_message() -> None:
    class English:
        def get(self, key: str, **values: object) -> str:
            return "🎧 I heard:"

    html = transcript_html(cast(I18nContext, English()), "😀" * 5000)
    text = re.sub(r"<[^>]+>", "", html)  # what Telegram counts once the tags are parsed
    assert utf16_len(text) <= TELEGRAM_TEXT_LIMIT
