"""Forgetting old conversation history (HISTORY_RETENTION_DAYS)."""

from __future__ import annotations

from storage.db import Database


class RetentionRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def delete_messages_before(self, cutoff: float) -> int:
        """Delete history turns stored before `cutoff` (Unix time); return how many.

        Their images go with them (ON DELETE CASCADE); the usage ledger keeps its rows, only
        their link to the message is cleared (ON DELETE SET NULL), so costs stay counted.
        """
        async with self._db.transaction() as tx:
            cursor = await tx.execute("DELETE FROM messages WHERE created_at < ?", (cutoff,))
            return cursor.rowcount
