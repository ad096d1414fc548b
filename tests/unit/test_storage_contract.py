"""The storage contract on both backends: the same schema after all migrations, and the
repositories behaving the same on a SQLite file and on a real PostgreSQL database."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage import (
    AccessRepository,
    ConversationKey,
    Database,
    ImageData,
    MessageRepository,
    Person,
    UsageRecord,
    UsageRepository,
    UserRepository,
)
from storage.answers import AnswerRepository
from storage.inbox import InboxRepository, NewUpdate
from storage.leases import LeaseRepository
from storage.migrations import MIGRATIONS
from storage.migrations_pg import POSTGRES_MIGRATIONS
from storage.models import ReplayedAnswer
from storage.pictures import PictureRepository, PictureRequest
from storage.retention import RetentionRepository
from storage.schema import table_columns
from storage.video_jobs import VideoJobRepository
from tests.support.servers import PostgresServer


def test_every_migration_has_a_postgresql_twin() -> None:
    sqlite = [(version, name) for version, name, _ in MIGRATIONS]
    postgres = [(version, name) for version, name, _ in POSTGRES_MIGRATIONS]
    assert sorted(postgres) == sorted(sqlite), "add the twin to storage/migrations_pg.py"


async def test_both_schemas_have_the_same_tables_and_columns(
    tmp_path: Path, postgres_server: PostgresServer
) -> None:
    sqlite = await Database.open(tmp_path / "bot.sqlite3")
    url = await postgres_server.create_database()
    postgres = await Database.open(url)
    try:
        sqlite_tables = await table_columns(sqlite)
        postgres_tables = await table_columns(postgres)
        assert {t: set(c) for t, c in postgres_tables.items()} == {
            t: set(c) for t, c in sqlite_tables.items()
        }
    finally:
        await sqlite.close()
        await postgres.close()
        await postgres_server.drop_database(url)


async def test_telegram_ids_beyond_32_bits_are_kept(store: Database) -> None:
    big = 7_000_000_000
    users = UserRepository(store)
    await users.ensure(big, "en", Person(big, "Big_One"))
    assert await users.find_by_username("@big_one") == Person(big, "Big_One")
    key = ConversationKey(chat_id=-1_000_000_000_123, user_id=big)
    await MessageRepository(store).append_exchange(key, "q", "a", "m", None, update_id=big)
    assert await MessageRepository(store).stored_answer(big) == ReplayedAnswer(
        "a", delivered=False
    )


async def test_access_decisions_and_admins(store: Database) -> None:
    access = AccessRepository(store)
    assert not await access.any_allowed()
    await access.set_status(1, "allowed", 9)
    await access.set_status(1, "denied", 9)
    await access.set_status(2, "allowed", None)
    assert await access.status(1) == "denied"
    assert await access.any_allowed()
    assert [(e.user_id, e.status) for e in await access.entries()] == [
        (1, "denied"),
        (2, "allowed"),
    ]
    await access.add_admin(5)
    await access.add_admin(5)
    assert await access.admins() == frozenset({5})


async def test_ledger_totals(store: Database) -> None:
    usage = UsageRepository(store)
    await usage.record(UsageRecord(1, 1, "chat", "m", 10, 20, cost_rub=1.5))
    await usage.record(UsageRecord(1, 1, "image", "i", cost_rub=2.0, estimated=True))
    await usage.record(UsageRecord(2, 2, "chat", "m"))
    by_kind = await usage.totals_by_kind(0)
    assert [(k.kind, k.requests, k.cost_rub, k.approximate) for k in by_kind] == [
        ("chat", 2, 1.5, True),
        ("image", 1, 2.0, True),
    ]
    assert [(k.kind, k.approximate) for k in await usage.totals_by_kind(0, user_id=1)] == [
        ("chat", False),
        ("image", True),
    ]
    period = await usage.period_totals(0)
    assert (period.requests, period.users, period.cost_rub) == (3, 2, 3.5)
    top = await usage.top_spenders(0, 1)
    assert [(s.user_id, s.cost_rub) for s in top] == [(1, 3.5)]
    assert await usage.spent_by_everyone(0) == pytest.approx(3.5)


async def test_only_the_newest_image_turns_keep_images(store: Database) -> None:
    messages = MessageRepository(store)
    key = ConversationKey(chat_id=3, user_id=3)
    for n in range(3):
        image = ImageData("image/jpeg", bytes([n, 0, 255]))
        await messages.append_exchange(
            key, f"q{n}", f"a{n}", "m", None, images=[image], keep_image_turns=2
        )
    turns = await messages.recent(key, 10, image_turns=5)
    assert [turn.images for turn in turns if turn.role == "user"] == [
        (),
        (ImageData("image/jpeg", bytes([1, 0, 255])),),
        (ImageData("image/jpeg", bytes([2, 0, 255])),),
    ]
    # Sizes, newest first, with the texts that fit in 4 characters.
    sizes = await AnswerRepository(store).turn_sizes(key, before=None, limit=3, texts_within=4)
    assert [(s.role, s.chars, s.images, s.content) for s in sizes] == [
        ("assistant", 2, 0, "a2"),
        ("user", 2, 1, "q2"),
        ("assistant", 2, 0, None),
    ]


async def test_trim_notices_and_retention(store: Database) -> None:
    messages = MessageRepository(store)
    key = ConversationKey(chat_id=4, user_id=4)
    await messages.append_exchange(key, "q", "a", "m", None)
    assert not await messages.trim_notice_sent(key)
    await messages.mark_trim_notice_sent(key)
    await messages.mark_trim_notice_sent(key)
    assert await messages.trim_notice_sent(key)
    assert await RetentionRepository(store).delete_messages_before(0) == 0
    assert await RetentionRepository(store).delete_messages_before(2e9) == 2


async def test_user_settings(store: Database) -> None:
    users = UserRepository(store)
    await users.ensure(8, "ru")
    await users.set_show_cost(8, True)
    await users.set_reasoning_effort(8, "high")
    await users.set_missing_model_notified(8, "gone/model")
    assert await users.show_cost(8)
    record = await users.get(8)
    assert record is not None and record.show_cost and record.access_status is None
    await AccessRepository(store).set_status(8, "denied", 1)
    assert (await users.ensure(8, "ru")).access_status == "denied"
    assert await users.missing_model_notified(8) == "gone/model"
    assert await users.count() == 1
    assert (await users.people([8, 9])).keys() == {8}


async def test_inbox_prunes_only_handled_updates(store: Database) -> None:
    inbox = InboxRepository(store)
    await inbox.accept([(1, "{}"), (2, "{}")])
    await inbox.mark_handled(1)
    assert await inbox.prune(older_than=-1) == 1
    assert [p.update_id for p in await inbox.pending()] == [2]


async def test_claims_keep_one_conversation_in_order_and_leases_expire(store: Database) -> None:
    inbox = InboxRepository(store)
    stored = await inbox.store(
        [
            NewUpdate(1, '{"a": 1}', "1:1:0"),
            NewUpdate(2, '{"b": 1}', "2:2:0"),
            NewUpdate(3, '{"a": 2}', "1:1:0"),
            NewUpdate(4, "{}", None),
        ]
    )
    assert stored == [1, 2, 3, 4]
    assert await inbox.store([NewUpdate(3, "{}", "1:1:0"), NewUpdate(5, "{}", "2:2:0")]) == [5]
    first = await inbox.claim("replica-a", lease_seconds=60, limit=10)
    assert [(u.update_id, u.attempts) for u in first] == [(1, 0), (2, 0), (4, 0)]
    assert await inbox.claim("replica-b", lease_seconds=60, limit=10) == [], "all busy"
    # Finishing 1 and claiming in one step hands out its conversation's next one at once.
    second = await inbox.claim("replica-a", lease_seconds=60, limit=10, finished=[1])
    assert [u.update_id for u in second] == [3], "the conversation's next one, after the first"
    assert 1 not in {u.update_id for u in await inbox.pending()}
    await inbox.release("replica-a", 2)  # a stopping replica gives its update back
    assert [u.update_id for u in await inbox.claim("replica-b", 60, 10)] == [2]
    # A lease that expires (its replica died) is taken over, the attempt counted.
    assert await inbox.extend("replica-a", [2, 3], lease_seconds=60) == {3}, "2 is b's now"
    assert await inbox.extend("replica-b", [2, 3], lease_seconds=60) == {2}
    assert await inbox.extend("replica-b", [2], lease_seconds=-1) == {2}
    (again,) = await inbox.claim("replica-c", lease_seconds=60, limit=10)
    assert (again.update_id, again.attempts, again.payload) == (2, 2, '{"b": 1}')


async def test_a_lease_is_held_by_one_owner_until_it_expires(store: Database) -> None:
    leases = LeaseRepository(store)
    assert await leases.acquire("poller", "a", 60)
    assert not await leases.acquire("poller", "b", 60)
    assert await leases.acquire("poller", "a", -1), "renewed by its owner"
    assert await leases.acquire("poller", "b", 60), "taken over once expired"
    await leases.give_up("poller", "b")
    assert await leases.acquire("poller", "a", 60)


async def test_pictures_and_video_jobs(store: Database) -> None:
    pictures = PictureRepository(store, keep_per_user=2)
    request = PictureRequest(5, 5, "m", "a cat", "1:1", None, 7_000_000_000, 1, ("photo:1",))
    ids = [await pictures.add(request, "image/png", bytes([n, 255])) for n in range(3)]
    assert await pictures.get(ids[0]) is None, "only the newest two are kept"
    await pictures.set_message(ids[2], 99)
    shown = await pictures.shown_in(5, 99)
    assert shown is not None and shown.data == bytes([2, 255]) and shown.request == request
    jobs = VideoJobRepository(store)
    job = await jobs.add(
        user_id=5, chat_id=5, thread_id=None, reply_to=None, task_id="t", model="v",
        prompt="p", duration=5, language="en",
    )  # fmt: skip
    await jobs.mark_recorded(job)
    assert [(j.id, j.recorded) for j in await jobs.unfinished()] == [(job, True)]
    await jobs.finish(job)
    assert await jobs.unfinished() == []
