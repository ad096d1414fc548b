"""Fluent catalogues parsed entry by entry, the first time each text is wanted.

fluent.syntax's parser is pure Python: parsing every catalogue at start-up took ~0.3 s of CPU
and ~8 MB for hundreds of texts a run mostly never shows (admin reports, video offers, the
other language). At start-up the catalogues are only cut into entries by a line scan; an entry
is parsed (a fraction of a millisecond) and compiled when it is first looked up, directly or
through a reference from another text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import cached_property
from pathlib import Path
from typing import Any, cast

from aiogram_i18n.cores import FluentRuntimeCore
from babel.plural import to_python
from fluent.runtime import FluentBundle
from fluent.runtime.builtins import BUILTINS
from fluent.runtime.prepare import Compiler
from fluent.runtime.resolver import Message
from fluent.syntax import FluentParser
from fluent.syntax import ast as FTL

# A message (`name =`) or a term (`-name =`) starts at the beginning of a line; the lines of
# its text, attributes and variants are indented (Fluent syntax 1.0), comments start with #.
_ENTRY = re.compile(r"^(-?[a-zA-Z][a-zA-Z0-9_-]*) *=", re.MULTILINE)


def entry_sources(source: str) -> dict[str, str]:
    """Each message and term (`-name`) of a Fluent source, with its text up to the next one
    (comments in between parse as comments)."""
    starts = list(_ENTRY.finditer(source))
    ends = [match.start() for match in starts[1:]] + [len(source)]
    entries: dict[str, str] = {}
    for match, end in zip(starts, ends, strict=True):
        entries.setdefault(match.group(1), source[match.start() : end])
    return entries


class LazyBundle(FluentBundle):
    """A `FluentBundle` over `files` that parses each entry when it is first needed.

    As with eager loading, the first file to define a name wins.
    """

    def __init__(
        self,
        locale: str,
        files: Iterable[Path],
        *,
        functions: dict[str, Callable[..., Any]] | None = None,
        use_isolating: bool = False,
    ) -> None:
        # FluentBundle.__init__ but for its plural rule: that needs babel's data for the
        # language (~3 MB each), loaded by `_plural_form` only when a text picks a plural form.
        self.locales = [locale]
        self._functions = {**BUILTINS, **(functions or {})}
        self.use_isolating = use_isolating
        self._messages: dict[str, FTL.Message | FTL.Term] = {}
        self._terms: dict[str, FTL.Message | FTL.Term] = {}
        self._compiled: dict[str, Message] = {}
        self._compiler = cast(Callable[[FTL.Message | FTL.Term], Message], Compiler())
        self._babel_locale = self._get_babel_locale()
        self._parser = FluentParser(with_spans=False)
        self._unparsed: dict[str, str] = {}  # name (terms with their "-") → its source
        for path in files:
            for name, source in entry_sources(path.read_text(encoding="utf-8")).items():
                self._unparsed.setdefault(name, source)

    @cached_property
    def _plural_form(self) -> Callable[[int | float], str]:  # type: ignore[override]
        rule: Callable[[int | float], str] = to_python(self._babel_locale.plural_form)
        return rule

    def has_message(self, message_id: str) -> bool:
        self._parse(message_id)
        return super().has_message(message_id)

    def _lookup(self, entry_id: str, term: bool = False) -> Message:
        self._parse(f"-{entry_id}" if term else entry_id)
        return super()._lookup(entry_id, term)

    def _parse(self, name: str) -> None:
        source = self._unparsed.pop(name, None)
        if source is not None:
            self.add_resource(self._parser.parse(source))


# How many formatted texts `LazyFluentCore` keeps; past that it starts again (texts with
# values such as names or prompts could otherwise fill it without end).
FORMATTED_TEXTS_KEPT = 2048


class LazyFluentCore(FluentRuntimeCore):
    """aiogram-i18n's Fluent core with `LazyBundle`s, keeping the texts it formatted.

    Formatting walks the compiled pattern each time (~30-70 µs per text): an answer's
    set-up alone wanted four (its stop button, "thinking…", the mode's system prompt). A
    text depends only on its locale, name and values, so a formatted one is kept.
    """

    def get(self, message_id: str, locale: str | None = None, /, **kwargs: Any) -> str:
        locale = self.get_locale(locale=locale)
        # Fluent's values (strings, numbers, dates) are hashable. With each value's type:
        # 1, 1.0 and True would be one key otherwise.
        key = (message_id, locale, *((k, type(v), v) for k, v in sorted(kwargs.items())))
        known = self._formatted.get(key)
        if known is None:
            known = super().get(message_id, locale, **kwargs)
            if len(self._formatted) >= FORMATTED_TEXTS_KEPT:
                self._formatted.clear()
            self._formatted[key] = known
        return known

    @cached_property
    def _formatted(self) -> dict[tuple[Any, ...], str]:
        return {}

    def find_locales(self) -> dict[str, FluentBundle]:
        found = self._find_locales(self.path, self._extract_locales(self.path), ".ftl")
        return {
            locale: LazyBundle(
                locale,
                sorted(paths),
                functions=self.functions,
                use_isolating=self.use_isolating,
            )
            for locale, paths in found.items()
        }
