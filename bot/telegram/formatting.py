"""LLM Markdown → Telegram text + entities (telegramify-markdown), split to Telegram's limits.

Long answers are cut on the Markdown source, at a paragraph or line boundary where one
is near the limit, and a code block that has to be cut is closed and reopened with the same
fence, so every part renders on its own. Lengths are counted in UTF-16 units, as Telegram does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import telegramify_markdown
from aiogram.types import MessageEntity
from telegramify_markdown import split_entities, utf16_len

TELEGRAM_TEXT_LIMIT = 4096
# Rendering can add a few units (heading marks, bullets); leave room for them.
SOURCE_SEGMENT_LIMIT = 3800

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})(.*)$")


@dataclass(frozen=True, slots=True)
class Rendered:
    text: str
    entities: list[MessageEntity]


@dataclass(frozen=True, slots=True)
class Segment:
    """A cut of Markdown source: `markdown` to show, `consumed` characters of the input used,
    and `carry`, the fence line to put before the rest when a code block was cut."""

    markdown: str
    consumed: int
    carry: str


def render(markdown: str) -> Rendered:
    text, entities = telegramify_markdown.convert(markdown)
    return Rendered(text, [MessageEntity(**entity.to_dict()) for entity in entities])


def open_fence_at_end(markdown: str) -> str | None:
    """The opening fence line of a code block left open at the end of `markdown`."""
    open_line: str | None = None
    fence_char = ""
    fence_len = 0
    for line in markdown.split("\n"):
        match = _FENCE.match(line)
        if not match:
            continue
        marker = match.group(1)
        if open_line is None:
            open_line, fence_char, fence_len = line.strip(), marker[0], len(marker)
        elif marker[0] == fence_char and len(marker) >= fence_len and not match.group(2).strip():
            open_line = None
    return open_line


def close_open_fence(markdown: str) -> str:
    """`markdown` with a code block left open at its end closed, so what follows it (notes,
    the sources, the cost line) renders as text, not as code."""
    open_line = open_fence_at_end(markdown)
    if open_line is None:
        return markdown
    fence = re.match(r"[`~]+", open_line)
    return markdown.rstrip("\n") + "\n" + (fence.group(0) if fence else "```")


def utf16_prefix(text: str, limit: int) -> int:
    """The largest index `i` with utf16_len(text[:i]) <= limit."""
    if text.isascii():
        return min(len(text), limit)
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return index
    return len(text)


def _best_cut(window: str, minimum: int) -> int:
    """Where to cut `window`: paragraph › line › sentence › word › anywhere."""
    for separator, floor in (("\n\n", 0.5), ("\n", 0.3), (". ", 0.5), (" ", 0.5)):
        position = window.rfind(separator)
        if position >= max(minimum, int(len(window) * floor)):
            return position + len(separator)
    return len(window)


def take_segment(markdown: str, limit: int = SOURCE_SEGMENT_LIMIT) -> Segment | None:
    """Cut the first part off `markdown`, or None when all of it fits in `limit`."""
    if utf16_len(markdown) <= limit:
        return None
    closing_room = 8  # "\n```" or a longer fence
    window_end = utf16_prefix(markdown, limit - closing_room)
    window = markdown[:window_end]
    first_line_end = markdown.find("\n") + 1 if _FENCE.match(markdown.split("\n", 1)[0]) else 0
    cut = _best_cut(window, minimum=max(1, first_line_end))
    head = markdown[:cut]
    open_fence = open_fence_at_end(head)
    shown = head.rstrip()
    carry = ""
    if open_fence is not None:
        fence = re.match(r"[`~]+", open_fence)
        shown = head.rstrip("\n") + "\n" + (fence.group(0) if fence else "```")
        carry = open_fence + "\n"
    return Segment(markdown=shown, consumed=cut, carry=carry)


def split_markdown(markdown: str, limit: int = SOURCE_SEGMENT_LIMIT) -> list[str]:
    parts: list[str] = []
    rest = markdown
    while (segment := take_segment(rest, limit)) is not None:
        if segment.markdown.strip():
            parts.append(segment.markdown)
        rest = segment.carry + rest[segment.consumed :].lstrip("\n")
    if rest.strip():
        parts.append(rest)
    return parts


def render_parts(markdown: str, limit: int = TELEGRAM_TEXT_LIMIT) -> list[Rendered]:
    """Everything needed to send `markdown` as Telegram messages, each within `limit`."""
    rendered: list[Rendered] = []
    for part in split_markdown(markdown):
        piece = render(part)
        if not piece.text.strip():
            continue
        if utf16_len(piece.text) <= limit:
            rendered.append(piece)
            continue
        # Rendering grew past the limit (rare): cut the rendered text, clipping entities.
        raw_entities = [
            telegramify_markdown.MessageEntity(**entity.model_dump(exclude_none=True))
            for entity in piece.entities
        ]
        for text, entities in split_entities(piece.text, raw_entities, limit):
            rendered.append(Rendered(text, [MessageEntity(**e.to_dict()) for e in entities]))
    return rendered


def cut_utf16(text: str, limit: int, ellipsis: str = "…") -> str:
    """`text` if it fits in `limit` UTF-16 units, else its longest prefix that fits with
    `ellipsis` after it (a surrogate pair is never split)."""
    if utf16_len(text) <= limit:
        return text
    return text[: utf16_prefix(text, limit - utf16_len(ellipsis))] + ellipsis
