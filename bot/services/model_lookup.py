"""What the catalogue says about one model, without letting an outage hold up an answer."""

from __future__ import annotations

import asyncio
from typing import Protocol

from bot.services.catalogue import Catalogue, CatalogueUnavailable, ModelKind

# Only the very first load can take a while; later calls return the cached snapshot at once.
FIRST_LOAD_WAIT_SECONDS = 5.0


class CatalogueSource(Protocol):
    async def get(self) -> Catalogue: ...


async def catalogue_snapshot(
    catalogue: CatalogueSource, wait_seconds: float = FIRST_LOAD_WAIT_SECONDS
) -> Catalogue | None:
    """The current snapshot (refreshed in the background when stale), or None if unavailable."""
    try:
        # Not `wait_for`: that runs `get()` as a task of its own, a trip through the event
        # loop for what is almost always a snapshot at hand.
        async with asyncio.timeout(wait_seconds):
            return await catalogue.get()
    except (CatalogueUnavailable, TimeoutError):
        return None


def vision_suggestion(snapshot: Catalogue | None, preferred: str) -> str | None:
    """The chat model to offer for images: `preferred` unless the catalogue says it cannot
    see them (or lacks it), then the first vision chat model listed; None if there is none."""
    if snapshot is None:
        return preferred
    info = snapshot.get(preferred)
    if info is not None and info.kind is ModelKind.CHAT and info.vision:
        return preferred
    return next((model.id for model in snapshot.models(ModelKind.CHAT) if model.vision), None)
