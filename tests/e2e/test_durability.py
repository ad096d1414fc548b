"""Durable intake under faults, with the real process: crashes in the middle of one answer,
a database locked by another process, and a stop with work in flight."""

from __future__ import annotations

import signal
import sqlite3
import time

from tests.e2e.conftest import BotHarness
from tests.e2e.test_image import FAST_POLLING, media_posts, media_rules
from tests.support import updates
from tests.support.processes import wait_until

USER = 7007
OTHER = 7008
LONG = " ".join(f"word{i}" for i in range(60))
APOLOGY = "restarts of the bot interrupted it"


def requests_for(bot: BotHarness, text: str) -> int:
    return sum(1 for r in bot.polza.chat_requests() if r["messages"][-1]["content"] == text)


def streaming(bot: BotHarness, chat_id: int, after: int) -> None:
    wait_until(
        lambda: len(bot.telegram.calls("sendMessageDraft", chat_id)) > after,
        what="the answer to stream",
    )


def kill_mid_answer(bot: BotHarness, attempt: int) -> None:
    wait_until(lambda: requests_for(bot, "doomed message") == attempt, what=f"attempt {attempt}")
    streaming(bot, USER, after=len(bot.telegram.calls("sendMessageDraft", USER)))
    bot.stop_hard()


def test_a_message_that_kills_the_bot_is_billed_at_most_twice_then_apologised_for(
    bot: BotHarness,
) -> None:
    # Each attempt streams for half a minute: long enough to be killed in the middle.
    bot.polza.chat_rules({"match": "doomed", "reply": LONG, "chunk_size": 5, "chunk_delay": 0.5})
    bot.start()
    bot.telegram.inject(updates.private_text(USER, "doomed message"))
    kill_mid_answer(bot, attempt=1)
    bot.start()  # second start: the message is handled again
    kill_mid_answer(bot, attempt=2)

    bot.start()  # third start: the attempts are used up
    (apology,) = bot.telegram.wait_for_messages(USER, 1)
    assert APOLOGY in apology
    bot.telegram.inject(updates.private_text(USER, "later message"))
    assert bot.telegram.wait_for_messages(USER, 2)[1] == "Echo: later message"
    assert requests_for(bot, "doomed message") == 2, "at most two attempts reach Polza"
    assert bot.telegram.sent_texts(USER) == [apology, "Echo: later message"]
    # After a restart nothing comes back.
    bot.restart()
    bot.telegram.inject(updates.private_text(USER, "after the restart"))
    assert bot.telegram.wait_for_messages(USER, 3)[2] == "Echo: after the restart"
    assert requests_for(bot, "doomed message") == 2


def test_a_database_locked_by_another_process_delays_answers_but_loses_none(
    bot: BotHarness,
) -> None:
    bot.start()
    bot.telegram.inject(updates.private_text(USER, "warm up"))
    bot.telegram.wait_for_messages(USER, 1)

    outside = sqlite3.connect(bot.database, isolation_level=None)
    outside.execute("BEGIN IMMEDIATE")  # a backup or an admin's shell holding the write lock
    try:
        bot.telegram.inject(updates.private_text(USER, "while locked"))
        bot.telegram.inject(updates.private_text(OTHER, "me too"))
        time.sleep(7)
    finally:
        outside.execute("ROLLBACK")
        outside.close()

    assert bot.telegram.wait_for_messages(USER, 2)[1] == "Echo: while locked"
    assert bot.telegram.wait_for_messages(OTHER, 1) == ["Echo: me too"]
    assert bot.process is not None and bot.process.running()
    bot.restart()  # nothing is left pending to be answered again
    bot.telegram.inject(updates.private_text(USER, "after the lock"))
    assert bot.telegram.wait_for_messages(USER, 3)[2] == "Echo: after the lock"
    assert bot.telegram.sent_texts(OTHER) == ["Echo: me too"]
    assert requests_for(bot, "while locked") == 1
    assert requests_for(bot, "me too") == 1


def test_sigterm_with_a_picture_and_a_slow_answer_in_flight_keeps_one_deadline(
    bot: BotHarness,
) -> None:
    grace = 4
    bot.start(SHUTDOWN_GRACE_SECONDS=str(grace), IMAGE_TIMEOUT_SECONDS="120", **FAST_POLLING)
    media_rules(bot, {"mode": "never"})
    bot.polza.chat_rules({"match": "slow", "reply": LONG, "chunk_size": 5, "chunk_delay": 1.0})
    bot.telegram.inject(updates.private_text(OTHER, "/image a snail that never arrives"))
    bot.telegram.inject(updates.private_text(USER, "slow answer"))
    wait_until(lambda: media_posts(bot), what="the picture to be ordered")
    streaming(bot, USER, after=0)

    assert bot.process is not None
    bot.process.send_signal(signal.SIGTERM)
    assert bot.process.wait(grace + 3) == 0, f"not stopped cleanly {grace + 3} s after SIGTERM"
    assert "restarting" in bot.telegram.sent_texts(OTHER)[-1], "the picture's user is told"
