"""`ALLOWED_MODELS`: which chat models users may pick and be answered by.

Patterns are model ids or fnmatch patterns (``openai/*``, ``*-mini``), matched without regard
to case. With no patterns every model is allowed. Only chat models are filtered: image models
are priced per picture and have their own default.
"""

from __future__ import annotations

from collections.abc import Iterable
from fnmatch import fnmatchcase

from bot.services.catalogue import Catalogue, ModelKind


class ModelFilter:
    def __init__(self, patterns: Iterable[str] = ()) -> None:
        self._patterns = tuple(p.strip().lower() for p in patterns if p.strip())
        self._last: tuple[Catalogue, Catalogue] | None = None

    @property
    def active(self) -> bool:
        return bool(self._patterns)

    def allows(self, model_id: str) -> bool:
        lowered = model_id.lower()
        return not self._patterns or any(fnmatchcase(lowered, p) for p in self._patterns)

    def restrict(self, catalogue: Catalogue) -> Catalogue:
        """`catalogue` with only the allowed chat models (and every other kind)."""
        if not self._patterns:
            return catalogue
        if self._last is not None and self._last[0] is catalogue:
            return self._last[1]
        kept = [
            model
            for kind in ModelKind
            for model in catalogue.models(kind)
            if kind is not ModelKind.CHAT or self.allows(model.id)
        ]
        restricted = Catalogue(kept, fetched_at=catalogue.fetched_at)
        self._last = (catalogue, restricted)
        return restricted

    def chat_default(self, default: str, catalogue: Catalogue | None) -> str:
        """`default` if allowed; else the first allowed chat model `catalogue` lists.

        Without a catalogue (or with no allowed chat model in it) `default` stays: there is
        nothing better to offer, and the start-up warning has said so.
        """
        if self.allows(default) or catalogue is None:
            return default
        allowed = self.restrict(catalogue).models(ModelKind.CHAT)
        return allowed[0].id if allowed else default
