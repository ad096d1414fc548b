"""Limits taken when a message arrives: the conversation queue bound and the rate limit."""

from __future__ import annotations

from tests.e2e.conftest import BotHarness
from tests.support import updates
from tests.support.processes import wait_until

USER = 6006
QUEUE_FULL = "I'm still busy with your earlier messages"
SLOW = {"first_chunk_delay": 2.0}


def test_messages_beyond_the_queue_bound_are_refused_at_once(bot: BotHarness) -> None:
    bot.polza.chat_rules(SLOW)
    bot.start(MAX_QUEUED_PER_CONVERSATION="2")
    bot.telegram.inject_many([updates.private_text(USER, f"slow {i}") for i in range(6)])

    # The three refusals do not wait for the slow answers in front of them.
    refusals = wait_until(
        lambda: [t for t in bot.telegram.sent_texts(USER) if QUEUE_FULL in t] or None,
        what="the first refusal",
    )
    assert len(bot.polza.chat_requests()) <= 1 or refusals
    texts = bot.telegram.wait_for_messages(USER, 6, timeout=60)
    assert [t for t in texts if t.startswith("Echo")] == [
        "Echo: slow 0",
        "Echo: slow 1",
        "Echo: slow 2",
    ]
    assert len([t for t in texts if QUEUE_FULL in t]) == 3
    asked = [r["messages"][-1]["content"] for r in bot.polza.chat_requests()]
    assert asked == ["slow 0", "slow 1", "slow 2"], "refused messages never reach Polza"

    # Commands are never refused, and the queue has room again.
    bot.telegram.inject(updates.private_text(USER, "/help"))
    bot.telegram.inject(updates.private_text(USER, "one more"))
    later = bot.telegram.wait_for_messages(USER, 8, timeout=60)[6:]
    assert later[0].startswith("Just write to me") and later[1] == "Echo: one more"


def test_the_rate_limit_is_counted_when_messages_arrive(bot: BotHarness) -> None:
    bot.polza.chat_rules(SLOW)
    bot.start(RATE_LIMIT_PER_MINUTE="2", MAX_QUEUED_PER_CONVERSATION="10")
    bot.telegram.inject_many([updates.private_text(USER, f"burst {i}") for i in range(5)])

    texts = bot.telegram.wait_for_messages(USER, 5, timeout=60)
    assert [t for t in texts if t.startswith("Echo")] == ["Echo: burst 0", "Echo: burst 1"]
    assert len([t for t in texts if "Too many requests: the limit is 2 a minute" in t]) == 3
    assert len(bot.polza.chat_requests()) == 2
    # /usage asks nothing of Polza: over the limit, it still answers.
    bot.telegram.inject(updates.private_text(USER, "/usage"))
    assert "Chat: 2 requests" in bot.telegram.wait_for_messages(USER, 6)[5]
