"""Scenario 6: the project's storage layer on a big history, in this process.

The schema comes from the project's migrations (`storage.Database.open` on a fresh file); the
rows are seeded straight through `sqlite3` (one executemany in one transaction, users
interleaved so that no user's rows are contiguous), then the file is checkpointed and reopened
with `storage.Database`, and the repository calls are timed one by one with
`time.perf_counter`, as the bot awaits them.
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from bench.config import Config
from bench.stack import CpuMeter
from bench.stats import Figure, ScenarioResult, Target
from storage import ConversationKey, Database, MessageRepository, UsageRecord, UsageRepository
from storage.conversations import ACTIVE_ID
from storage.db import Transaction

MODEL = "openai/gpt-4o-mini"
_TEXT = "the quick brown fox jumps over a lazy dog while seven wizards quietly judge boxing"
WORDS = [*_TEXT.split(" "), "matches", "and", "explain", "why", "sphinxes", "of", "quartz"]


def _contents(count: int, seed: int) -> list[str]:
    """A pool of message texts of varied length (20 to ~900 characters)."""
    rng = random.Random(seed)
    pool = []
    for _ in range(count):
        length = int(rng.lognormvariate(5.0, 0.8))
        words: list[str] = []
        while sum(len(w) + 1 for w in words) < max(20, min(length, 900)):
            words.append(rng.choice(WORDS))
        pool.append(" ".join(words))
    return pool


def _rows(messages: int, users: int, start: float) -> Iterator[tuple[object, ...]]:
    pool = _contents(997, seed=6)
    for i in range(messages):
        user = 10_000_000 + i % users
        role = "user" if (i // users) % 2 == 0 else "assistant"
        yield (
            user,
            user,
            0,
            role,
            pool[i % len(pool)],
            MODEL if role == "assistant" else None,
            start + i * 0.01,
            i % users + 1,  # each user's one conversation (see `seed`)
        )


def seed(path: Path, messages: int, users: int) -> float:
    started = time.perf_counter()
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("BEGIN")
        start = time.time() - messages * 0.01
        # One active conversation per user, conversation id = user index + 1.
        owners = [(n + 1, 10_000_000 + n) for n in range(users)]
        conn.executemany(
            "INSERT INTO conversations (id, chat_id, user_id, thread_id, created_at, updated_at)"
            " VALUES (?, ?, ?, 0, ?, ?)",
            [(cid, user, user, start, start) for cid, user in owners],
        )
        conn.executemany(
            "INSERT INTO active_conversations (chat_id, user_id, thread_id, conversation_id)"
            " VALUES (?, ?, 0, ?)",
            [(user, user, cid) for cid, user in owners],
        )
        conn.executemany(
            "INSERT INTO messages (chat_id, user_id, thread_id, role, content, model, created_at,"
            " conversation_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            _rows(messages, users, start),
        )
        conn.execute("COMMIT")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    return time.perf_counter() - started


def query_plan(path: Path) -> str:
    with sqlite3.connect(path) as conn:
        rows = conn.execute(
            f"EXPLAIN QUERY PLAN SELECT id, role, content FROM messages"
            f" WHERE conversation_id = ({ACTIVE_ID}) ORDER BY id DESC LIMIT ?",
            (1, 1, 0, 20),
        ).fetchall()
    return "; ".join(str(row[-1]) for row in rows)


async def _time_calls(path: Path, config: Config) -> tuple[list[float], list[float], int]:
    db = await Database.open(path)
    try:
        repo = MessageRepository(db)
        ledger = UsageRepository(db)
        rng = random.Random(66)
        users = [10_000_000 + rng.randrange(config.storage_users) for _ in range(4000)]
        for user in users[:50]:  # warm-up: caches, aiosqlite's thread
            await repo.recent(ConversationKey(user, user), 20)
        recent: list[float] = []
        short = 0
        for i in range(config.storage_samples):
            user = users[i % len(users)]
            began = time.perf_counter()
            turns = await repo.recent(ConversationKey(user, user), 20)
            recent.append((time.perf_counter() - began) * 1000)
            if len(turns) < min(20, config.storage_messages // config.storage_users):
                short += 1
        appends: list[float] = []
        answer = " ".join(WORDS * 4)
        for i in range(config.storage_samples):
            user = users[-1 - i % len(users)]
            usage = UsageRecord(user, user, "chat", MODEL, 120, 80, 0.0123)
            key = ConversationKey(user, user)

            async def exchange(tx: Transaction, key: ConversationKey = key) -> int:
                ids = await repo.append_exchange(
                    key, "How do tides work?", answer, MODEL, None, within=tx
                )
                return ids.answer

            began = time.perf_counter()
            # As the bot writes a chat call: the turns, then the ledger row linked to the
            # answer, in one transaction.
            await ledger.record(usage, alongside=exchange)
            appends.append((time.perf_counter() - began) * 1000)
        return recent, appends, short
    finally:
        await db.close()


async def _migrate(path: Path) -> None:
    db = await Database.open(path)
    await db.close()


def run_storage(config: Config) -> ScenarioResult:
    result = ScenarioResult("storage", "6. Storage (in-process, SQLite)")
    with tempfile.TemporaryDirectory(prefix="bench-storage-") as tmp:
        path = Path(tmp) / "bot.sqlite3"
        asyncio.run(_migrate(path))
        seconds = seed(path, config.storage_messages, config.storage_users)
        size_mb = path.stat().st_size / 1024 / 1024
        plan = query_plan(path)
        with CpuMeter({}) as cpu:
            recent, appends, short = asyncio.run(_time_calls(path, config))
    result.foreign_cpu = cpu.others_share
    result.figures += [
        Figure(
            "6",
            f"Storage: MessageRepository.recent(key, 20), {config.storage_messages:,} rows",
            "ms",
            samples=recent,
            targets=[Target("p99", "<=", 2.0)],
        ),
        Figure(
            "6",
            "Storage: one answered exchange written (ledger row + both turns, one transaction)",
            "ms",
            samples=appends,
            targets=[Target("p99", "<=", 5.0)],
        ),
    ]
    if short:
        result.broken.append(f"{short} recent() calls returned fewer turns than stored")
    result.notes += [
        f"{config.storage_messages:,} messages over {config.storage_users:,} users seeded in "
        f"{seconds:.1f} s ({size_mb:.0f} MB file); {config.storage_samples} timed calls of "
        f"each kind on random users, after 50 warm-up reads. Query plan of recent(): {plan}.",
        "Timed from the caller's side: each call includes aiosqlite's hops to its worker thread "
        "and back (`UsageRepository.record` with `MessageRepository.append_exchange` alongside, "
        "as the bot stores a chat call: BEGIN IMMEDIATE, the conversation's UPDATE … RETURNING, "
        "one INSERT of both turns, the INSERT of the ledger row linked to the answer, COMMIT; "
        "WAL mode with synchronous=NORMAL).",
        cpu.summary() + ".",
    ]
    return result
