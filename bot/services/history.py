"""Which stored turns go with a request: the newest that fit a token allowance.

History is read newest first, by size only (ids, lengths, image counts), a page at a time and
only as far as the allowance can reach; then the texts of the turns that fit are loaded. A
long conversation is never read whole. With a summariser, turns that no longer fit are
replaced by a short summary, stored so it is made again only when more turns fall out.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from bot.services.context import chars_within, estimate_turn_tokens
from storage import ChatTurn, ConversationKey
from storage.answers import AnswerRepository
from storage.models import TurnSize

logger = logging.getLogger(__name__)

PAGE = 64
# After a summary is made, history restarts at most this share of the allowance, so the
# next few turns fit without another summary.
SUMMARY_REFILL_SHARE = 0.5
# The most text of left-out turns one summary call reads (older ones are simply dropped).
SUMMARY_INPUT_TOKENS = 24_000
SUMMARY_RESERVE_TOKENS = 700  # room kept in the request for the summary itself

# Makes a summary of (the previous summary, the turns left out since); None when it could not.
Summarise = Callable[[str | None, Sequence[ChatTurn]], Awaitable[str | None]]


@dataclass(frozen=True, slots=True)
class History:
    turns: list[ChatTurn]
    trimmed: bool  # older turns were left out
    summary: str | None = None  # stands in for the turns left out


@dataclass(frozen=True, slots=True)
class _Fit:
    kept: list[TurnSize]  # newest first
    left_out: int | None  # the newest turn left out, if any


class HistoryReader:
    def __init__(self, answers: AnswerRepository, *, image_turns: int) -> None:
        self._answers = answers
        self._image_turns = image_turns

    async def read(
        self,
        key: ConversationKey,
        allowance: int,
        *,
        before: int | None = None,
        images: bool = True,
        summarise: Summarise | None = None,
        summary_model: str = "",
    ) -> History:
        """The newest turns before message `before` within `allowance` tokens."""
        if summarise is None:
            fit = await self._fit(key, allowance, before=before, after=0, images=images)
            return History(await self._load(fit.kept, images), trimmed=fit.left_out is not None)
        allowance -= min(SUMMARY_RESERVE_TOKENS, allowance // 4)
        upto = before - 1 if before is not None else 2**62
        stored = await self._answers.summary(key, upto=upto)
        after = stored.upto if stored else 0
        fit = await self._fit(key, allowance, before=before, after=after, images=images)
        if fit.left_out is None:
            summary = stored.content if stored else None
            return History(await self._load(fit.kept, images), trimmed=False, summary=summary)
        refill = int(allowance * SUMMARY_REFILL_SHARE)
        fit = await self._fit(key, refill, before=before, after=after, images=images)
        newest_dropped = fit.left_out if fit.left_out is not None else 0
        dropped = await self._dropped(key, newest_dropped, after)
        summary = await summarise(stored.content if stored else None, dropped)
        if summary is None:  # could not summarise: plain trimming this time
            fit = await self._fit(key, allowance, before=before, after=0, images=images)
            return History(await self._load(fit.kept, images), trimmed=True)
        await self._answers.save_summary(newest_dropped, summary, summary_model)
        return History(await self._load(fit.kept, images), trimmed=True, summary=summary)

    async def _fit(
        self, key: ConversationKey, allowance: int, *, before: int | None, after: int, images: bool
    ) -> _Fit:
        kept: list[TurnSize] = []
        left = allowance
        cursor = before
        # The first page brings the texts of the turns that surely fit, too: most histories
        # are then read in one statement.
        texts = chars_within(allowance)
        while True:
            page = await self._answers.turn_sizes(
                key, before=cursor, after=after, limit=PAGE, texts_within=texts
            )
            texts = 0
            for size in page:
                cost = estimate_turn_tokens(size.chars, size.images if images else 0)
                if cost > left:
                    return _without_orphan(kept, size.id)
                left -= cost
                kept.append(size)
            if len(page) < PAGE:
                return _Fit(kept, None)
            cursor = page[-1].id

    async def _dropped(self, key: ConversationKey, newest: int, after: int) -> list[ChatTurn]:
        """The left-out turns from `newest` back, as many as one summary call reads."""
        ids: list[int] = []
        left = SUMMARY_INPUT_TOKENS
        cursor: int | None = newest + 1
        while left > 0:
            page = await self._answers.turn_sizes(key, before=cursor, after=after, limit=PAGE)
            for size in page:
                left -= estimate_turn_tokens(size.chars)
                if left < 0 and ids:
                    break
                ids.append(size.id)
            if len(page) < PAGE or left < 0:
                break
            cursor = page[-1].id
        return await self._answers.turns(ids)

    async def _load(self, kept: list[TurnSize], images: bool) -> list[ChatTurn]:
        # Images are looked for only when a kept turn has some.
        pictured = [size.id for size in kept if size.images and size.role == "user"]
        image_turns = self._image_turns if images and pictured else 0
        if any(size.content is None for size in kept):
            return await self._answers.turns([size.id for size in kept], image_turns=image_turns)
        found = await self._answers.images(pictured, image_turns)
        return [
            ChatTurn(
                role=size.role,
                content=size.content or "",
                images=found.get(size.id, ()),
                id=size.id,
            )
            for size in reversed(kept)
        ]


def _without_orphan(kept: list[TurnSize], left_out: int) -> _Fit:
    """History never starts with an answer whose question was left out."""
    while kept and kept[-1].role == "assistant":
        left_out = kept[-1].id
        kept = kept[:-1]
    return _Fit(kept, left_out)
