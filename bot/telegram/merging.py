"""Merged input: texts one user sends in quick succession become one turn.

Telegram splits a paste longer than 4096 characters into several messages, and forwarding a
few messages then asking about them ("summarise") arrives as separate messages too. Texts of
one conversation (chat, user, forum topic) that follow each other within the window
(`MERGE_WINDOW_SECONDS`, a debounce: the wait restarts with every piece) are gathered, with the
album mechanism (`gathering.py`), into one turn: one Polza request, one answer, one ledger row.

- Only plain texts are merged (forwarded ones included). A command, or any other message of
  the conversation (a photo, a voice note, a sticker...), closes the open gathering first, so
  it is answered after the texts sent before it.
- Gathering stops at `MAX_MERGED_PIECES` pieces, or `MAX_GATHER_SECONDS` after the first
  piece, whichever comes first; what arrives later starts the next turn.
- Only the first piece (the lead) goes through the conversation queue, so a merged turn takes
  ONE rate-limit slot; later pieces wait outside the queue until it is answered.
- The lead's handler asks for the pieces (`Gathering.complete`). When it does not (the lead
  was turned away, or a handler other than the chat one took it), each later piece goes on by
  itself, as if nothing had been gathered.
- Durability: the lead returns `HandledTogether` with every piece's update id, and the poller
  marks them handled in one write. After a crash before that, the pieces are replayed together
  and merge again; pieces sent more than the window apart (by Telegram's send dates) are not
  merged on replay either.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import Message, TelegramObject, Update

from bot.conversation import conversation_key
from bot.inbox_receipt import current_receipt
from bot.telegram.gathering import Gatherer, Gathering
from storage import ConversationKey

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]

MAX_MERGED_PIECES = 30
MAX_GATHER_SECONDS = 6.0

MERGED = "merged"  # in the handler data of a first piece: its gathering

MergedInput = Gathering[ConversationKey]


@dataclass(frozen=True, slots=True)
class HandledTogether:
    """Returned for an update answered together with others: the poller marks all of them
    handled in one write, so a crash can never leave only some of them pending."""

    update_ids: tuple[int, ...]


async def settle_merged(data: dict[str, Any]) -> None:
    """The update is answered (or refused) as a whole: its merged pieces go with it."""
    merged: MergedInput | None = data.get(MERGED)
    if merged is not None:
        await merged.complete()


def mergeable(message: Message) -> bool:
    """A plain text (forwarded or not) from a person; commands and media are not merged."""
    text = message.text
    if text is None or text.lstrip().startswith("/") or message.media_group_id is not None:
        return False
    return message.from_user is not None and not message.from_user.is_bot


class MergeMiddleware(BaseMiddleware):
    """Outer update middleware: after the albums, before addressing and the conversation
    queue (in groups, the later pieces of a paste carry no mention of the bot)."""

    def __init__(self, window_seconds: float) -> None:
        self._window = window_seconds
        self._gatherer: Gatherer[ConversationKey] = Gatherer(
            window_seconds, max_parts=MAX_MERGED_PIECES, max_seconds=MAX_GATHER_SECONDS
        )

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        if not isinstance(event, Update) or event.message is None:
            return await handler(event, data)
        message = event.message
        key = conversation_key(message)
        if key is None:
            return await handler(event, data)
        if not mergeable(message):
            self._gatherer.flush(key)  # keeps the order: the texts before it go first
            return await handler(event, data)
        self._close_if_apart(key, message)
        merged = self._gatherer.add(key, message, event.update_id)
        if merged.lead is not message:
            await merged.finished.wait()
            if merged.taken:
                return None  # answered with the lead
            return await handler(event, data)
        data[MERGED] = merged
        receipt = current_receipt(event.update_id)
        if receipt is not None:  # the pieces it takes end with it
            receipt.pieces = lambda: merged.update_ids if merged.taken else ()
        try:
            result = await handler(event, data)
        finally:
            merged.close()
            merged.finished.set()
        if merged.taken and len(merged.parts) > 1:
            return HandledTogether(tuple(merged.update_ids))
        return result

    def _close_if_apart(self, key: ConversationKey, message: Message) -> None:
        """Replayed pieces arrive at once: Telegram's send dates tell them apart."""
        merged = self._gatherer.open(key)
        if merged is None:
            return
        gap = abs((message.date - merged.parts[-1].date).total_seconds())
        if gap > self._window + 1:  # send dates have whole seconds
            merged.close()
