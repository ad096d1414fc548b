"""The inbox keeps received updates until handled, recognises repeats, and forgets contents
(on both backends)."""

from __future__ import annotations

from storage import Database
from storage.inbox import InboxRepository


async def test_updates_are_pending_until_handled_and_repeats_are_recognised(
    store_url: str,
) -> None:
    db = await Database.open(store_url)
    inbox = InboxRepository(db)
    assert await inbox.accept([(1, '{"a": 1}'), (2, '{"b": 2}')]) == [1, 2]
    assert await inbox.accept([(2, '{"b": 2}'), (3, '{"c": 3}')]) == [3]
    await inbox.mark_handled(2)
    pending = await inbox.pending()
    assert [(p.update_id, p.payload) for p in pending] == [(1, '{"a": 1}'), (3, '{"c": 3}')]
    assert await inbox.accept([(2, '{"b": 2}')]) == [], "a handled update is not handled again"
    rows = await db.fetch_all("SELECT payload FROM inbox WHERE update_id = 2")
    assert rows[0][0] == "", "a handled update's content is not kept"
    assert await inbox.prune(older_than=-1) == 1
    await db.close()


async def test_every_start_of_handling_is_counted(store_url: str) -> None:
    db = await Database.open(store_url)
    inbox = InboxRepository(db)
    await inbox.accept([(1, "{}"), (2, "{}")])  # handling starts right away: one attempt
    await inbox.count_attempts([1])
    assert [(p.update_id, p.attempts) for p in await inbox.pending()] == [(1, 2), (2, 1)]
    await db.close()


async def test_a_step_numbered_below_the_newest_applied_one_still_runs(store_url: str) -> None:
    # As when branches land out of order: 11 is recorded, 8 arrives later.
    path = store_url
    db = await Database.open(path)
    async with db.transaction() as tx:
        await tx.execute("ALTER TABLE inbox DROP COLUMN attempts")
        await tx.execute("DELETE FROM schema_version WHERE version = 8")
    await db.close()
    db = await Database.open(path)
    await InboxRepository(db).accept([(1, "{}")])
    assert [p.attempts for p in await InboxRepository(db).pending()] == [1]
    await db.close()
