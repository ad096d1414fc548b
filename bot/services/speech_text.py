"""What of a Markdown answer is read aloud, in pieces a speech model accepts.

Code blocks are not read (a listener cannot use them); each is replaced by a short spoken note.
Inline code keeps its words, links keep their text, Markdown marks and bare URLs go. The text
is then cut, at sentence or word ends, into pieces of at most `limit` characters; past
`max_pieces` the rest is dropped and the caller says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_FENCE = re.compile(r"^[ \t]*(```|~~~)[^\n]*\n.*?(?:^[ \t]*\1[ \t]*$|\Z)", re.S | re.M)
_INLINE_CODE = re.compile(r"`([^`\n]+)`")
_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_URL = re.compile(r"https?://\S+")
_HEADING = re.compile(r"^[ \t]*#{1,6}[ \t]+", re.M)
_QUOTE = re.compile(r"^[ \t]*>[ \t]?", re.M)
_BULLET = re.compile(r"^[ \t]*[-*+][ \t]+", re.M)
_RULE = re.compile(r"^[ \t]*([-*_])([ \t]*\1){2,}[ \t]*$", re.M)
_TABLE_RULE = re.compile(
    r"^[ \t]*\|?[ \t]*:?-{2,}:?[ \t]*(\|[ \t]*:?-{2,}:?[ \t]*)*\|?[ \t]*$", re.M
)
_EMPHASIS = re.compile(r"(\*\*|__|\*|_|~~|\|\|)(?=\S)(.+?)(?<=\S)\1")
_SPACES = re.compile(r"[ \t]+")
_BLANK_LINES = re.compile(r"\n{3,}")
_SENTENCE_END = re.compile(r"[.!?…;:](?=\s)|\n")


def spoken_text(markdown: str, code_note: str) -> str:
    """The answer as it should be read aloud: `code_note` in place of each code block."""
    text = _FENCE.sub(lambda _: f"\n{code_note}\n", markdown)
    text = _INLINE_CODE.sub(r"\1", text)
    text = _IMAGE.sub(r"\1", text)
    text = _LINK.sub(r"\1", text)
    text = _URL.sub("", text)
    text = _RULE.sub("", text)
    text = _TABLE_RULE.sub("", text)
    text = _HEADING.sub("", text)
    text = _QUOTE.sub("", text)
    text = _BULLET.sub("", text)
    text = _EMPHASIS.sub(r"\2", text)
    text = text.replace("|", " ")
    text = _SPACES.sub(" ", text)
    lines = (line.strip() for line in text.split("\n"))
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


@dataclass(frozen=True, slots=True)
class SpokenPieces:
    pieces: tuple[str, ...]
    cut: bool  # text was left out after the last piece


def split_for_speech(text: str, limit: int, max_pieces: int) -> SpokenPieces:
    """`text` in at most `max_pieces` pieces of at most `limit` characters each."""
    if limit < 1 or max_pieces < 1:
        raise ValueError("limit and max_pieces must be positive")
    pieces: list[str] = []
    rest = text.strip()
    while rest and len(pieces) < max_pieces:
        if len(rest) <= limit:
            pieces.append(rest)
            rest = ""
            break
        end = _cut_at(rest, limit)
        pieces.append(rest[:end].strip())
        rest = rest[end:].strip()
    return SpokenPieces(tuple(p for p in pieces if p), cut=bool(rest))


def _cut_at(text: str, limit: int) -> int:
    """Where to end a piece of `text` no longer than `limit`: a sentence end, else a space."""
    window = text[:limit]
    ends = [m.end() for m in _SENTENCE_END.finditer(window)]
    if ends and ends[-1] > limit // 2:
        return ends[-1]
    space = window.rfind(" ")
    return space if space > limit // 2 else limit
