"""An answer the user watched stream in is delivered whole even when it cannot be stored."""

from __future__ import annotations

import sqlite3
import threading

from tests.e2e.conftest import BotHarness
from tests.support import updates
from tests.support.processes import wait_until

USER = 7101
LONG = " ".join(f"word{i}" for i in range(40))


def test_an_answer_that_cannot_be_stored_still_arrives_whole(bot: BotHarness) -> None:
    # The answer streams for about two seconds; meanwhile another program takes the database
    # and keeps it until the answer has arrived, longer than the bot waits for it (10 s), so
    # storing the exchange (and the ledger row) fails.
    bot.polza.chat_rules({"match": "keep", "reply": LONG, "chunk_size": 10, "chunk_delay": 0.5})
    bot.start()
    bot.telegram.inject(updates.private_text(USER, "keep this answer"))
    wait_until(lambda: bot.telegram.calls("sendMessageDraft", USER), what="the answer to stream")

    locked, release = threading.Event(), threading.Event()

    def hold_the_database() -> None:
        with sqlite3.connect(bot.database, timeout=30, isolation_level=None) as conn:
            conn.execute("BEGIN EXCLUSIVE")
            locked.set()
            release.wait(90)
            conn.execute("ROLLBACK")

    holder = threading.Thread(target=hold_the_database)
    holder.start()
    try:
        assert locked.wait(10), "could not lock the database"
        (text,) = bot.telegram.wait_for_messages(USER, 1, timeout=80)
    finally:
        release.set()
        holder.join(30)
    assert text.startswith(LONG + "\n\n")
    assert "could not be saved" in text
    assert bot.process is not None and bot.process.running()
