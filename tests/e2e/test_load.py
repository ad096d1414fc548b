"""Load: hundreds of users writing at once through the fakes, with model latency. Every message
is answered exactly once, in its own chat, with its own content; nothing errs; history matches.

Marked `load`; CI runs it with these modest numbers (LOAD_USERS × LOAD_MESSAGES)."""

from __future__ import annotations

import sqlite3
from collections import Counter

import pytest

from tests.e2e.conftest import BotHarness
from tests.support import updates
from tests.support.processes import wait_until

LOAD_USERS = 200
LOAD_MESSAGES = 2
FIRST_USER = 100_000


@pytest.mark.load
def test_hundreds_of_users_at_once(bot: BotHarness) -> None:
    bot.polza.chat_rules({"first_chunk_delay": 0.3, "chunk_size": 20})
    bot.start(LOG_LEVEL="INFO")
    users = range(FIRST_USER, FIRST_USER + LOAD_USERS)
    batch = [
        updates.private_text(user_id, f"user {user_id} message {n}")
        for n in range(LOAD_MESSAGES)
        for user_id in users
    ]
    bot.telegram.inject_many(batch)
    expected = LOAD_USERS * LOAD_MESSAGES

    def finals() -> list[dict[str, object]] | None:
        sent = [e for e in bot.telegram.log() if e["method"] == "sendMessage" and e["ok"]]
        return sent if len(sent) >= expected else None

    sent = wait_until(finals, 180, interval=0.5, what=f"{expected} answers")
    assert len(sent) == expected, "some message was answered twice"
    answers = Counter((int(str(e["params"]["chat_id"])), str(e["params"]["text"])) for e in sent)
    for user_id in users:
        for n in range(LOAD_MESSAGES):
            assert answers[(user_id, f"Echo: user {user_id} message {n}")] == 1
    per_user: dict[int, list[object]] = {}
    for e in sent:
        per_user.setdefault(int(str(e["params"]["chat_id"])), []).append(e["params"]["text"])
    for user_id in users:
        assert per_user[user_id] == [
            f"Echo: user {user_id} message {n}" for n in range(LOAD_MESSAGES)
        ], "one user's answers arrived out of order"

    bot.stop()
    assert " ERROR " not in bot.log()
    with sqlite3.connect(bot.database) as conn:
        rows = conn.execute(
            "SELECT user_id, role, COUNT(*) FROM messages GROUP BY user_id, role"
        ).fetchall()
    assert len(rows) == 2 * LOAD_USERS
    assert all(count == LOAD_MESSAGES for _, _, count in rows)
