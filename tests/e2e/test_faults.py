"""Fault injection: Polza and Telegram misbehave; the bot tells the user, keeps history
consistent and goes on. SIGTERM with an answer in flight lets it finish."""

from __future__ import annotations

import signal

from tests.e2e.conftest import BotHarness
from tests.support import updates
from tests.support.processes import wait_until

USER = 9009
LONG = " ".join(f"word{i}" for i in range(60))


def chat_calls(bot: BotHarness) -> int:
    return len(bot.polza.chat_requests())


def test_stream_cut_midway_keeps_the_text_and_says_so(bot: BotHarness) -> None:
    bot.polza.chat_rules(
        {"match": "drop", "reply": LONG, "chunk_size": 10, "drop_after_chunks": 5}
    )
    bot.start()
    bot.telegram.inject(updates.private_text(USER, "drop please"))
    (final,) = bot.telegram.wait_for_messages(USER, 1)
    assert final.startswith("word0 word1") and "cut off" in final
    assert "word59" not in final
    bot.telegram.inject(updates.private_text(USER, "after the cut"))
    assert bot.telegram.wait_for_messages(USER, 2)[1] == "Echo: after the cut"
    history = bot.polza.chat_requests()[-1]["messages"]
    assert history[1]["content"] == "drop please"
    assert history[2]["role"] == "assistant" and history[2]["content"].startswith("word0")
    assert "cut off" not in history[2]["content"]


def test_error_chunk_malformed_line_and_empty_answer(bot: BotHarness) -> None:
    bot.polza.chat_rules(
        {"match": "error chunk", "reply": LONG, "chunk_size": 10, "mid_stream_error": 0},
        {"match": "malformed", "reply": "fine text", "malformed_line": True},
        {"match": "empty", "reply": ""},
        {"match": "budget", "reply": "", "finish_reason": "length", "reasoning": "hmm " * 20},
    )
    bot.start()
    for text in ("error chunk", "malformed", "empty", "budget"):
        bot.telegram.inject(updates.private_text(USER, text))
    texts = bot.telegram.wait_for_messages(USER, 4)
    assert "broke off" in texts[0]
    assert texts[1]  # either the text that arrived before the bad line, or an explanation
    assert "empty answer" in texts[2]
    assert "budget" in texts[3]
    bot.telegram.inject(updates.private_text(USER, "still fine?"))
    assert bot.telegram.wait_for_messages(USER, 5)[4] == "Echo: still fine?"
    last = bot.polza.chat_requests()[-1]["messages"]
    assert all("hmm" not in m["content"] for m in last), "reasoning must never be stored"


def test_retryable_statuses_are_retried_and_others_are_not(bot: BotHarness) -> None:
    bot.polza.chat_rules(
        {"match": "busy", "times": 1, "status": 429, "retry_after": 1, "error_code": "RATE"},
        {"match": "busy", "reply": "made it"},
        {"match": "gateway", "times": 2, "status": 502, "error_code": "BAD_GATEWAY"},
        {"match": "gateway", "reply": "through"},
        {"match": "denied", "status": 403, "error_code": "FORBIDDEN", "error_message": "Нет"},
    )
    bot.start()
    bot.telegram.inject(updates.private_text(USER, "busy now"))
    assert bot.telegram.wait_for_messages(USER, 1) == ["made it"]
    assert chat_calls(bot) == 2
    bot.telegram.inject(updates.private_text(USER, "gateway"))
    assert bot.telegram.wait_for_messages(USER, 2)[1] == "through"
    assert chat_calls(bot) == 5
    bot.telegram.inject(updates.private_text(USER, "denied"))
    assert "temporarily unavailable" in bot.telegram.wait_for_messages(USER, 3)[2]
    assert chat_calls(bot) == 6, "a 403 must not be retried"


def test_telegram_network_error_and_deleted_message_during_streaming(bot: BotHarness) -> None:
    bot.polza.chat_rules({"match": "flaky", "reply": LONG, "chunk_size": 10, "chunk_delay": 0.03})
    bot.start()
    bot.telegram.fault(method="sendMessage", error_code=0, times=1)  # connection dropped
    bot.telegram.inject(updates.private_text(USER, "flaky network"))
    assert bot.telegram.wait_for_messages(USER, 1) == [LONG]

    group = -1009009
    bot.telegram.fault(
        method="editMessageText",
        error_code=400,
        description="Bad Request: message to edit not found",
        times=50,
    )
    text = "@polza_test_bot flaky group"
    bot.telegram.inject(
        updates.group_text(group, USER, text, entities=updates.mention(text, "polza_test_bot"))
    )
    wait_until(
        lambda: any(m.get("text") == LONG for m in bot.telegram.messages(group)),
        20,
        what="the final answer as a new message",
    )


def test_sigterm_lets_the_answer_in_flight_finish(bot: BotHarness) -> None:
    bot.polza.chat_rules({"match": "slow", "reply": LONG, "chunk_size": 5, "chunk_delay": 0.05})
    bot.start()
    bot.telegram.inject(updates.private_text(USER, "slow answer"))
    wait_until(lambda: bot.telegram.calls("sendMessageDraft", USER), what="streaming to start")
    assert bot.process is not None
    bot.process.send_signal(signal.SIGTERM)
    assert bot.process.wait(30) == 0
    assert bot.telegram.sent_texts(USER) == [LONG]
    assert "Echo" not in bot.database_dump() and LONG in bot.database_dump()


def test_kill_9_mid_answer_loses_nothing_and_handles_nothing_twice(bot: BotHarness) -> None:
    bot.polza.chat_rules(
        {"match": "first life", "times": 1, "reply": LONG, "chunk_size": 5, "chunk_delay": 0.1}
    )
    bot.start()
    bot.telegram.inject(updates.private_text(USER, "before the crash"))
    bot.telegram.wait_for_messages(USER, 1)
    bot.telegram.inject(updates.private_text(USER, "first life answer"))
    wait_until(lambda: len(bot.polza.chat_requests()) == 2, what="the second request")
    wait_until(lambda: bot.telegram.calls("sendMessageDraft", USER), what="streaming")
    bot.stop_hard()
    assert bot.telegram.state()["pending_update_ids"] == []  # Telegram considers it delivered

    bot.start()
    texts = bot.telegram.wait_for_messages(USER, 2)
    assert texts == ["Echo: before the crash", "Echo: first life answer"]
    bot.telegram.inject(updates.private_text(USER, "after restart"))
    assert bot.telegram.wait_for_messages(USER, 3)[2] == "Echo: after restart"
    contents = [r["messages"][-1]["content"] for r in bot.polza.chat_requests()]
    assert contents == [
        "before the crash",
        "first life answer",
        "first life answer",
        "after restart",
    ]
    history = bot.polza.chat_requests()[-1]["messages"]
    assert [m["content"] for m in history[1:]] == [
        "before the crash",
        "Echo: before the crash",
        "first life answer",
        "Echo: first life answer",
        "after restart",
    ]
