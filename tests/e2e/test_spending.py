"""Money that cannot run away: every billed call in the ledger, budgets held as reservations."""

from __future__ import annotations

import sqlite3
from typing import Any

from tests.e2e.conftest import BOT_USERNAME, BotHarness
from tests.support import updates
from tests.support.http import request_json
from tests.support.processes import wait_until

USER = 5001
OTHER = 5002
GROUPS = (-1005001, -1005002, -1005003)


def ledger(bot: BotHarness) -> list[tuple[Any, ...]]:
    with sqlite3.connect(bot.database) as conn:
        return conn.execute("SELECT user_id, kind, cost_rub, estimated FROM usage").fetchall()


def addressed(chat_id: int, question: str, thread_id: int | None = None) -> dict[str, Any]:
    text = f"@{BOT_USERNAME} {question}"
    return updates.group_text(
        chat_id, USER, text, entities=updates.mention(text, BOT_USERNAME), thread_id=thread_id
    )


def test_answers_without_text_are_billed_recorded_and_count_against_the_budget(
    bot: BotHarness,
) -> None:
    # Reasoning used the whole token budget: no visible text, but Polza billed 2.5 ₽ each.
    bot.polza.chat_rules(
        {"reply": "", "reasoning": "thinking " * 40, "finish_reason": "length", "cost_rub": 2.5}
    )
    bot.start(DAILY_BUDGET_RUB="5")
    for number in range(3):
        bot.telegram.inject(updates.private_text(USER, f"puzzle {number}"))
        bot.telegram.wait_for_messages(USER, number + 1)
    texts = bot.telegram.sent_texts(USER)
    assert "daily spending limit of 5.00 ₽" in texts[2]
    assert len(bot.polza.chat_requests()) == 2
    assert ledger(bot) == [(USER, "chat", 2.5, 0), (USER, "chat", 2.5, 0)]


def test_parallel_conversations_of_one_user_share_one_budget(bot: BotHarness) -> None:
    # Each request can cost up to ~0.59 ₽ (10,000 answer tokens at 58.53 ₽ per million): two
    # fit in 1.5 ₽ at the same time, a third would not, whatever they end up costing.
    bot.polza.chat_rules({"chunk_size": 2, "chunk_delay": 0.15, "cost_rub": 0.1})
    bot.start(DAILY_BUDGET_RUB="1.5", MAX_ANSWER_TOKENS="10000")
    bot.telegram.inject(updates.private_text(USER, "in private"))
    for chat_id in GROUPS:
        bot.telegram.inject(addressed(chat_id, "in a group"))
    bot.telegram.inject(addressed(GROUPS[0], "in a topic", thread_id=7))

    def all_told() -> bool:
        texts = bot.telegram.sent_texts(USER) + [
            t for chat_id in GROUPS for t in bot.telegram.sent_texts(chat_id)
        ]
        return len(texts) >= 5

    wait_until(all_told, 30, what="an answer or a refusal in each of the five conversations")
    # In groups an answer's first words arrive before it ends; its ledger row comes at the end.
    wait_until(lambda: len(ledger(bot)) == 2, 15, what="both answers in the ledger")
    refusals = [
        t
        for chat_id in (USER, *GROUPS)
        for t in bot.telegram.sent_texts(chat_id)
        if "daily spending limit" in t
    ]
    assert len(bot.polza.chat_requests()) == 2
    assert len(refusals) == 3


def test_a_request_over_the_per_request_cap_is_refused_before_polza(bot: BotHarness) -> None:
    bot.start(MAX_REQUEST_COST_RUB="0.01", MAX_ANSWER_TOKENS="10000")
    bot.telegram.inject(updates.private_text(USER, "write me a novel"))
    (text,) = bot.telegram.wait_for_messages(USER, 1)
    assert "more than the 0.01 ₽ allowed for one request" in text
    assert bot.polza.chat_requests() == []
    assert ledger(bot) == []


def test_the_global_budget_counts_everyone(bot: BotHarness) -> None:
    bot.polza.chat_rules({"cost_rub": 3.0})
    bot.start(GLOBAL_DAILY_BUDGET_RUB="5", ADMIN_USER_IDS=str(OTHER))
    bot.telegram.inject(updates.private_text(OTHER, "the admin spends first"))
    assert bot.telegram.wait_for_messages(OTHER, 1) == ["Echo: the admin spends first"]
    bot.telegram.inject(updates.private_text(OTHER, "and again"))
    assert bot.telegram.wait_for_messages(OTHER, 2)[1] == "Echo: and again"
    bot.telegram.inject(updates.private_text(USER, "my turn"))
    (text,) = bot.telegram.wait_for_messages(USER, 1)
    assert "shared daily spending limit" in text
    assert len(bot.polza.chat_requests()) == 2


def test_a_finished_picture_that_cannot_be_downloaded_is_still_recorded(
    bot: BotHarness,
) -> None:
    request_json(
        "POST", f"{bot.polza.url}/_test/media/rules", [{"url_gone": True, "cost_rub": 1.4}]
    )
    bot.start()
    bot.telegram.inject(updates.private_text(USER, "/image a red fox"))
    # The failure is told in the status message ("🎨 Drawing…") when one is shown already.
    wait_until(
        lambda: any("couldn't download" in m.get("text", "") for m in bot.telegram.messages(USER)),
        30,
        what="the failure message",
    )
    assert ledger(bot) == [(USER, "image", 1.4, 0)]
