"""Pruning: handled inbox rows, and history past HISTORY_RETENTION_DAYS, costs kept."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.services.housekeeping import Housekeeping, next_night
from storage import ConversationKey, Database, MessageRepository, UsageRecord, UsageRepository
from storage.inbox import InboxRepository
from storage.retention import RetentionRepository

MOSCOW = ZoneInfo("Europe/Moscow")


def test_the_history_prune_runs_at_the_next_3_am_local() -> None:
    evening = datetime(2026, 3, 1, 22, 15, tzinfo=MOSCOW)
    assert next_night(evening) == datetime(2026, 3, 2, 3, 0, tzinfo=MOSCOW)
    early = datetime(2026, 3, 1, 1, 0, tzinfo=MOSCOW)
    assert next_night(early) == datetime(2026, 3, 1, 3, 0, tzinfo=MOSCOW)


async def test_old_history_goes_and_its_cost_stays(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "bot.sqlite3")
    messages = MessageRepository(db)
    usage = UsageRepository(db)
    key = ConversationKey(chat_id=3, user_id=3)
    record = UsageRecord(user_id=3, chat_id=3, kind="chat", model="m", cost_rub=1.5)
    await messages.append_exchange(
        key, "old question", "old answer", "m", await usage.record(record)
    )
    ten_days_ago = time.time() - 10 * 86400
    async with db.transaction() as tx:
        await tx.execute("UPDATE messages SET created_at = ?", (ten_days_ago,))
    await messages.append_exchange(key, "new question", "new answer", "m", None)

    housekeeping = Housekeeping(
        InboxRepository(db), RetentionRepository(db), history_days=7, tz=MOSCOW
    )
    await housekeeping.prune_history()
    assert [turn.content for turn in await messages.recent(key, 10)] == [
        "new question",
        "new answer",
    ]
    assert await usage.total_cost(3) == 1.5, "the ledger keeps what was spent"

    keep_forever = Housekeeping(
        InboxRepository(db), RetentionRepository(db), history_days=0, tz=MOSCOW
    )
    async with db.transaction() as tx:
        await tx.execute("UPDATE messages SET created_at = 0")
    await keep_forever.prune_history()
    assert len(await messages.recent(key, 10)) == 2
    await db.close()


async def test_the_background_task_prunes_handled_inbox_rows_and_stops(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "bot.sqlite3")
    inbox = InboxRepository(db)
    await inbox.accept([(1, "{}"), (2, "{}")])
    await inbox.mark_handled(1)
    async with db.transaction() as tx:
        await tx.execute("UPDATE inbox SET received_at = 0")
    housekeeping = Housekeeping(inbox, RetentionRepository(db), history_days=0, tz=MOSCOW)
    housekeeping.start()  # the first round runs at once, then hourly

    async def remaining() -> list[int]:
        return [row[0] for row in await db.fetch_all("SELECT update_id FROM inbox")]

    for _ in range(500):
        if await remaining() == [2]:
            break
        await asyncio.sleep(0.01)
    assert await remaining() == [2], "only the handled row goes"
    await housekeeping.stop()
    await db.close()
