"""Nearest existing ids for a mistyped model id."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def nearest_ids(wanted: str, candidates: Iterable[str], limit: int = 3) -> list[str]:
    """Up to `limit` candidates most like `wanted`, best first; case does not matter."""
    by_folded: dict[str, str] = {}
    for candidate in candidates:
        by_folded.setdefault(candidate.casefold(), candidate)
    folded = wanted.strip().casefold()
    found = difflib.get_close_matches(folded, list(by_folded), n=limit, cutoff=0.5)
    if not found:
        # "gpt-4o" alone: compare with the part after the provider too.
        bare = {key.partition("/")[2] or key: key for key in by_folded}
        found = [
            bare[key] for key in difflib.get_close_matches(folded, list(bare), n=limit, cutoff=0.5)
        ]
    return [by_folded[key] for key in found]
