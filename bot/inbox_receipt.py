"""What the handling of one inbox update has already written for it.

The poller opens a receipt for each update it hands to the dispatcher (in the update's own
task, so a context variable carries it without threading it through every layer). When the
answer's delivery is recorded (the Telegram message attached to the stored answer), the
update is marked handled in that same transaction, and the poller then skips its own write:
one transaction fewer per answered message. A replay after that point would only find the
answer delivered and do nothing, so marking it handled there changes nothing a user sees.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field


@dataclass(slots=True)
class InboxReceipt:
    update_id: int
    # The pieces answered together with this update (set by the merging middleware for a
    # lead): they end with it.
    pieces: Callable[[], Sequence[int]] = field(default=lambda: ())
    marked: frozenset[int] = frozenset()  # marked handled already, by the handling itself

    def to_mark(self) -> tuple[int, ...]:
        """The updates that end when this one's answer is delivered."""
        return tuple(dict.fromkeys((self.update_id, *self.pieces())))

    def covers(self, update_ids: Sequence[int]) -> bool:
        return set(update_ids) <= self.marked


_current: ContextVar[InboxReceipt | None] = ContextVar("inbox_receipt", default=None)


def open_receipt(update_id: int) -> InboxReceipt:
    """A receipt for the update handled by the current task (the poller's)."""
    receipt = InboxReceipt(update_id)
    _current.set(receipt)
    return receipt


def current_receipt(update_id: int | None) -> InboxReceipt | None:
    """The receipt of `update_id` when the current task handles that update from the inbox."""
    receipt = _current.get()
    if receipt is None or update_id is None or receipt.update_id != update_id:
        return None
    return receipt
