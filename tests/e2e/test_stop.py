"""Stopping an answer keeps what was generated, frees the conversation, and closes the stream."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import BOT_USERNAME, BotHarness
from tests.support import updates
from tests.support.processes import wait_until

USER = 6006
GROUP = -1006006
SLOW = {"reply": " ".join(f"w{i}" for i in range(400)), "chunk_size": 6, "chunk_delay": 0.05}


def first_draft(bot: BotHarness) -> dict[str, Any]:
    drafts = wait_until(lambda: bot.telegram.calls("sendMessageDraft", USER), what="a draft")
    return dict(drafts[0])


def test_draft_stop_button_keeps_the_partial_answer(bot: BotHarness) -> None:
    bot.polza.chat_rules({"match": "slow", **SLOW})
    bot.start()
    bot.telegram.inject(updates.private_text(USER, "slow story please"))
    draft = first_draft(bot)
    assert draft["params"]["can_stop"] is True
    bot.telegram.inject(
        {
            "stopped_message_generation": {
                "chat": updates.private_chat(USER),
                "draft_id": draft["params"]["draft_id"],
            }
        }
    )
    (final,) = bot.telegram.wait_for_messages(USER, 1)
    assert final.startswith("w0 w1") and final.endswith("(Stopped.)")
    assert "w399" not in final
    assert "stopped_message_generation" in bot.telegram.state()["allowed_updates"]

    bot.telegram.inject(updates.private_text(USER, "next one"))
    assert bot.telegram.wait_for_messages(USER, 2)[1] == "Echo: next one"
    history = bot.polza.chat_requests()[-1]["messages"]
    stored_answer = history[-2]
    assert stored_answer["role"] == "assistant" and stored_answer["content"].startswith("w0 w1")
    assert "Stopped" not in stored_answer["content"]
    stream = next(e for e in bot.polza.journal() if e["json"] and "slow" in str(e["json"]))
    assert stream.get("client_disconnected") is True


def test_stop_command_frees_the_conversation_at_once(bot: BotHarness) -> None:
    bot.polza.chat_rules({"match": "slow", **SLOW})
    bot.start()
    bot.telegram.inject(updates.private_text(USER, "slow again"))
    first_draft(bot)
    bot.telegram.inject(updates.private_text(USER, "/stop"))
    bot.telegram.inject(updates.private_text(USER, "after stop"))
    texts = bot.telegram.wait_for_messages(USER, 2)
    assert texts[0].endswith("(Stopped.)")
    assert texts[1] == "Echo: after stop"


def test_stop_button_in_a_group_only_works_for_the_asker(bot: BotHarness) -> None:
    bot.polza.chat_rules({"match": "slow", **SLOW})
    bot.start(GROUP_EDIT_INTERVAL_SECONDS="0.2")
    text = f"@{BOT_USERNAME} slow group story"
    bot.telegram.inject(
        updates.group_text(GROUP, USER, text, entities=updates.mention(text, BOT_USERNAME))
    )
    live = wait_until(lambda: bot.telegram.messages(GROUP), what="the streaming message")[0]
    (button,) = live["reply_markup"]["inline_keyboard"][0]

    bot.telegram.inject(updates.callback_query(7007, button["callback_data"], live))
    wait_until(lambda: bot.telegram.calls("answerCallbackQuery"), what="the refusal")
    assert "Only the person" in bot.telegram.calls("answerCallbackQuery")[0]["params"]["text"]

    bot.telegram.inject(updates.callback_query(USER, button["callback_data"], live))
    wait_until(
        lambda: (m := bot.telegram.messages(GROUP)) and m[-1]["text"].endswith("(Stopped.)"),
        what="the stopped answer",
    )
    final = bot.telegram.messages(GROUP)[-1]
    left = [b for row in (final.get("reply_markup") or {}).get("inline_keyboard", []) for b in row]
    assert button not in left, "the Stop button must go"
