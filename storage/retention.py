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
        Saved conversations left with no message go too.
        """
        async with self._db.transaction() as tx:
            deleted = await tx.execute("DELETE FROM messages WHERE created_at < ?", (cutoff,))
            await tx.execute(
                "DELETE FROM conversations WHERE NOT EXISTS"
                " (SELECT 1 FROM messages m WHERE m.conversation_id = conversations.id)"
            )
            await tx.execute(
                "DELETE FROM active_conversations WHERE NOT EXISTS (SELECT 1 FROM"
                " conversations c WHERE c.id = active_conversations.conversation_id)"
            )
            return deleted
