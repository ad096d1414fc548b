"""Access control, admin commands, the usage report and spending limits, end to end."""

from __future__ import annotations

import re
import sqlite3
from typing import Any

from tests.e2e.conftest import BOT_USERNAME, BotHarness
from tests.support import updates
from tests.support.http import request_json
from tests.support.processes import wait_until

ADMIN = 9001
MEMBER = 1001
STRANGER = 5005
GROUP_STRANGER = 5006
GROUP = -1009876543
LISTED_GROUP = -1001112223
UNKNOWN_COMMAND = "I don't know that command. Send /help to see what I can do."


def refusals_logged(bot: BotHarness, user_id: int, count: int) -> None:
    """Wait until the bot has refused `user_id` silently `count` times."""
    wait_until(
        lambda: bot.log().count(f"Refused user {user_id} (silent)") >= count,
        what=f"{count} silent refusal(s) of {user_id}",
    )


def ask(bot: BotHarness, user_id: int, text: str) -> str:
    """Send a private message and return the bot's next final message to that user."""
    before = len(bot.telegram.sent_texts(user_id))
    bot.telegram.inject(updates.private_text(user_id, text))
    return bot.telegram.wait_for_messages(user_id, before + 1)[before]


def addressed(user_id: int, text: str) -> dict[str, Any]:
    message = f"@{BOT_USERNAME} {text}"
    return updates.group_text(
        GROUP, user_id, message, entities=updates.mention(message, BOT_USERNAME)
    )


def buttons(sent: dict[str, Any]) -> list[dict[str, Any]]:
    return [b for row in sent["params"]["reply_markup"]["inline_keyboard"] for b in row]


def test_strangers_are_refused_once_until_an_admin_allows_them(bot: BotHarness) -> None:
    bot.start(ALLOWED_USER_IDS=str(MEMBER), ADMIN_USER_IDS=str(ADMIN), ACCESS_MODE="invite")

    refusal = ask(bot, STRANGER, "hello")
    assert str(STRANGER) in refusal and "private" in refusal
    bot.telegram.inject(updates.private_text(STRANGER, "hello again"))
    bot.telegram.inject(updates.private_text(STRANGER, "/start"))
    refusals_logged(bot, STRANGER, 2)
    assert bot.telegram.sent_texts(STRANGER) == [refusal]
    # A button press is answered (or the client keeps spinning), without a word.
    (told,) = bot.telegram.calls("sendMessage", STRANGER)
    bot.telegram.inject(updates.callback_query(STRANGER, "lang:en", told["result"]))
    (pressed,) = wait_until(lambda: bot.telegram.calls("answerCallbackQuery"), what="the answer")
    assert not pressed["params"].get("text")

    # In a group: one reply to the stranger, then silence.
    first = addressed(GROUP_STRANGER, "hi bot")
    bot.telegram.inject(first)
    (reply,) = bot.telegram.wait_for_messages(GROUP, 1)
    assert str(GROUP_STRANGER) in reply
    (sent,) = bot.telegram.calls("sendMessage", GROUP)
    assert sent["params"]["reply_parameters"]["message_id"] == first["message"]["message_id"]
    bot.telegram.inject(addressed(GROUP_STRANGER, "hello?"))
    refusals_logged(bot, GROUP_STRANGER, 1)
    assert len(bot.telegram.sent_texts(GROUP)) == 1
    assert bot.polza.chat_requests() == []

    assert ask(bot, MEMBER, "member here") == "Echo: member here"
    allowed = ask(bot, ADMIN, f"/allow {STRANGER}")
    assert str(STRANGER) in allowed and "can use the bot now" in allowed
    assert ask(bot, STRANGER, "let me in") == "Echo: let me in"

    assert "can no longer use the bot" in ask(bot, ADMIN, f"/deny {STRANGER}")
    assert str(STRANGER) in ask(bot, STRANGER, "still there?")
    assert len(bot.polza.chat_requests()) == 2

    bot.restart()  # runtime decisions are stored
    bot.telegram.inject(updates.private_text(STRANGER, "after restart"))
    assert str(STRANGER) in bot.telegram.wait_for_messages(STRANGER, 4)[3]
    assert len(bot.polza.chat_requests()) == 2


def pairing_code(bot: BotHarness) -> str:
    found = wait_until(
        lambda: re.findall(r"send /start (\S+) to the bot", bot.log()), what="a pairing code"
    )
    return str(found[-1])


def test_closed_by_default_and_deny_never_opens_it(bot: BotHarness) -> None:
    bot.invite_only().start(ADMIN_USER_IDS=str(ADMIN), ALLOWED_CHAT_IDS=str(LISTED_GROUP))
    assert "No DAILY_BUDGET_RUB and no RATE_LIMIT_PER_MINUTE" in bot.log()
    assert "ACCESS_MODE=open" not in bot.log()
    assert "send /start" not in bot.log(), "no pairing code while there is an admin"

    refusal = ask(bot, STRANGER, "hello")
    assert str(STRANGER) in refusal and "private" in refusal
    bot.telegram.inject(addressed(GROUP_STRANGER, "hi bot"))
    (reply,) = bot.telegram.wait_for_messages(GROUP, 1)
    assert str(GROUP_STRANGER) in reply

    assert "can use the bot now" in ask(bot, ADMIN, f"/allow {MEMBER}")
    assert ask(bot, MEMBER, "member here") == "Echo: member here"
    assert "can no longer use the bot" in ask(bot, ADMIN, f"/deny {MEMBER}")
    # The allowlist is empty again: the bot stays closed (it used to open to everyone).
    assert str(MEMBER) in ask(bot, MEMBER, "still there?")
    bot.telegram.inject(updates.private_text(STRANGER, "and now?"))
    refusals_logged(bot, STRANGER, 1)
    assert "invite-only" in ask(bot, ADMIN, "/allow")
    assert [r["messages"][-1]["content"] for r in bot.polza.chat_requests()] == ["member here"]

    # A group listed in ALLOWED_CHAT_IDS is served for all its members.
    message = f"@{BOT_USERNAME} hello from a listed group"
    bot.telegram.inject(
        updates.group_text(
            LISTED_GROUP, STRANGER, message, entities=updates.mention(message, BOT_USERNAME)
        )
    )
    bot.telegram.wait_for_texts(LISTED_GROUP, ["Echo: hello from a listed group"])


def test_the_owner_pairs_with_the_code_from_the_log(bot: BotHarness) -> None:
    bot.invite_only().start()
    code = pairing_code(bot)
    assert len(code) == 8

    assert str(STRANGER) in ask(bot, STRANGER, "hello"), "strangers are refused meanwhile"
    assert "not valid" in ask(bot, ADMIN, "/start WRONG234")
    assert "admin now" in ask(bot, ADMIN, f"/start {code}")
    assert "can use the bot now" in ask(bot, ADMIN, f"/allow {MEMBER}")
    assert ask(bot, MEMBER, "hi") == "Echo: hi"
    # Spent: the same code from someone else is an ordinary, refused /start.
    bot.telegram.inject(updates.private_text(STRANGER, f"/start {code}"))
    refusals_logged(bot, STRANGER, 1)

    bot.restart()
    assert bot.log().count("send /start") == 1, "an admin is stored: no new code"
    assert "Bot statistics" in ask(bot, ADMIN, "/stats")


def test_admin_commands_are_hidden_from_others(bot: BotHarness) -> None:
    request_json(
        "POST", f"{bot.polza.url}/_test/balance", {"amount": 1500.5, "available": 1450.25}
    )
    bot.start(ADMIN_USER_IDS=str(ADMIN))

    for command in ("/stats", "/balance", f"/allow {MEMBER}", f"/deny {ADMIN}"):
        assert ask(bot, MEMBER, command) == UNKNOWN_COMMAND
    assert not any(e["path"].endswith("/balance") for e in bot.polza.journal())

    balance = ask(bot, ADMIN, "/balance")
    assert "1,500.50 ₽" in balance and "1,450.25 ₽" in balance
    assert any(e["path"] == "/api/v2/balance" for e in bot.polza.journal())
    stats = ask(bot, ADMIN, "/stats")
    assert "Bot statistics" in stats and "Users: 2" in stats
    assert "open to everyone" in ask(bot, ADMIN, "/allow")

    menus = {
        (
            (c["params"].get("scope") or {}).get("chat_id"),
            c["params"].get("language_code"),
        ): {command["command"] for command in c["params"]["commands"]}
        for c in bot.telegram.calls("setMyCommands")
    }
    admin_only = {"stats", "balance", "allow", "deny"}
    assert set(menus) == {(None, None), (None, "ru"), (ADMIN, None), (ADMIN, "ru")}
    assert all(not menu & admin_only for (chat, _), menu in menus.items() if chat is None)
    assert menus[(ADMIN, "ru")] >= admin_only | {"usage", "new", "help"}


def test_usage_adds_up_the_costs_polza_reported(bot: BotHarness) -> None:
    bot.polza.chat_rules(
        {"match": "first", "cost_rub": 0.5}, {"match": "second", "cost_rub": 1.25}
    )
    bot.start()
    ask(bot, MEMBER, "first question")
    ask(bot, MEMBER, "second question")

    report = ask(bot, MEMBER, "/usage")
    assert report.count("💬 Chat: 2 requests, 1.75 ₽") == 3  # today, this month, all time
    assert "≈" not in report and "UTC" in report
    sent = bot.telegram.calls("sendMessage", MEMBER)[-1]
    (switch,) = buttons(sent)
    assert "Show the cost" in switch["text"]

    bot.telegram.inject(updates.callback_query(MEMBER, switch["callback_data"], sent["result"]))
    (answered,) = wait_until(
        lambda: bot.telegram.calls("answerCallbackQuery"), what="the switch's answer"
    )
    assert "will be shown" in answered["params"]["text"]
    usage_message = sent["result"]["message_id"]
    (edit,) = wait_until(
        lambda: [
            call
            for call in bot.telegram.calls("editMessageReplyMarkup", MEMBER)
            if call["params"]["message_id"] == usage_message  # not the answers' buttons
        ]
    )
    assert "Hide" in buttons(edit)[0]["text"]
    with sqlite3.connect(bot.database) as conn:
        assert conn.execute("SELECT show_cost FROM users WHERE id = ?", (MEMBER,)).fetchone()[0]
    assert len(bot.polza.chat_requests()) == 2


def test_daily_budget_stops_requests_until_midnight(bot: BotHarness) -> None:
    bot.polza.chat_rules({"cost_rub": 5.0})
    bot.start(DAILY_BUDGET_RUB="1", ADMIN_USER_IDS=str(ADMIN), TIMEZONE="Europe/Moscow")

    assert ask(bot, MEMBER, "one") == "Echo: one"
    refusal = ask(bot, MEMBER, "two")
    assert "daily spending limit of 1.00 ₽" in refusal
    assert "00:00 (Europe/Moscow)" in refusal
    assert len(bot.polza.chat_requests()) == 1

    assert ask(bot, ADMIN, "one") == "Echo: one"
    assert ask(bot, ADMIN, "two") == "Echo: two"
    assert "5.00 ₽" in ask(bot, MEMBER, "/usage")
    assert len(bot.polza.chat_requests()) == 3


def test_rate_limit_counts_requests_as_they_start(bot: BotHarness) -> None:
    bot.start(RATE_LIMIT_PER_MINUTE="2")
    for i in range(4):
        bot.telegram.inject(updates.private_text(MEMBER, f"quick {i}"))

    texts = bot.telegram.wait_for_messages(MEMBER, 4)
    # Refused on arrival, so the refusals may come before the answers.
    assert [t for t in texts if t.startswith("Echo")] == ["Echo: quick 0", "Echo: quick 1"]
    for refusal in [t for t in texts if not t.startswith("Echo")]:
        assert "Too many requests: the limit is 2 a minute" in refusal
        assert "try again in" in refusal
    assert len(bot.polza.chat_requests()) == 2


def test_an_answer_without_usage_gets_an_estimated_cost(bot: BotHarness) -> None:
    bot.polza.chat_rules({"match": "estimate", "omit_usage": True})
    bot.start()
    assert ask(bot, MEMBER, "estimate me") == "Echo: estimate me"

    report = ask(bot, MEMBER, "/usage")
    assert "💬 Chat: 1 request, ≈" in report and "estimate" in report
    with sqlite3.connect(bot.database) as conn:
        cost, estimated = conn.execute("SELECT cost_rub, estimated FROM usage").fetchone()
    assert cost > 0 and estimated == 1
