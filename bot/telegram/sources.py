"""The numbered list of web sources under an answer, as Markdown that renders to links."""

from __future__ import annotations

import re
from collections.abc import Sequence

from aiogram_i18n import I18nContext

from bot.i18n import tr
from bot.services.citations import Citation

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]()~>#+\-=|{}.!<&])")


def _escape(text: str) -> str:
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def _link_target(url: str) -> str:
    # Parentheses and spaces would end a Markdown link early.
    return url.replace("(", "%28").replace(")", "%29").replace(" ", "%20")


def sources_block(i18n: I18nContext, citations: Sequence[Citation]) -> str | None:
    """ "Sources:" and one numbered link per source (its title as the link text), or None."""
    if not citations:
        return None
    lines = [tr(i18n, "search-sources")]
    lines.extend(
        f"{number}\\. [{_escape(citation.title)}]({_link_target(citation.url)})"
        for number, citation in enumerate(citations, start=1)
    )
    return "\n".join(lines)
