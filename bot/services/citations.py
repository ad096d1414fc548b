"""Web-search sources: Polza's `url_citation` annotations, read leniently and merged.

An annotation is `{"type": "url_citation", "url_citation": {"url", "title", ...}}` (the flat
OpenAI Responses shape `{"type": "url_citation", "url", "title"}` is read too). They may come in
stream deltas, in the final chunk's message, or both: every batch goes through `Sources.add`,
which keeps the first `limit` distinct http(s) URLs in the order first seen.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from bot.services.polza_shapes import as_mapping

MAX_SOURCES = 5
MAX_TITLE_CHARS = 80
MAX_URL_CHARS = 2000


@dataclass(frozen=True, slots=True)
class Citation:
    url: str
    title: str


def _fields(raw: object) -> Mapping[str, Any]:
    return as_mapping(raw) or {}


def _clean_url(value: object) -> str | None:
    if not isinstance(value, str) or len(value) > MAX_URL_CHARS:
        return None
    url = value.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    if any(char.isspace() or ord(char) < 32 for char in url):
        return None
    return url


def _key(url: str) -> str:
    """Two URLs that differ only in case of the host, a trailing slash or a fragment are the
    same source."""
    parts = urlsplit(url)
    path = parts.path.rstrip("/")
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, parts.query, ""))


def _title(value: object, url: str) -> str:
    title = " ".join(value.split()) if isinstance(value, str) else ""
    if not title:
        title = urlsplit(url).hostname or url
    if len(title) > MAX_TITLE_CHARS:
        title = title[: MAX_TITLE_CHARS - 1].rstrip() + "…"
    return title


def read_annotations(raw: object) -> list[Citation]:
    """The URL citations in a list of annotations (anything else is skipped)."""
    if not isinstance(raw, list | tuple):
        return []
    citations: list[Citation] = []
    for item in raw:
        annotation = _fields(item)
        if annotation.get("type") != "url_citation":
            continue
        inner = _fields(annotation.get("url_citation")) or annotation
        url = _clean_url(inner.get("url"))
        if url is not None:
            citations.append(Citation(url, _title(inner.get("title"), url)))
    return citations


@dataclass(slots=True)
class Sources:
    """The distinct sources of one answer, at most `limit`, in the order first seen."""

    limit: int = MAX_SOURCES
    items: list[Citation] = field(default_factory=list)
    _seen: set[str] = field(default_factory=set)

    def add(self, citations: Iterable[Citation]) -> None:
        for citation in citations:
            key = _key(citation.url)
            if key in self._seen or len(self.items) >= self.limit:
                continue
            self._seen.add(key)
            self.items.append(citation)
