"""The bad-input catalogue (docs/bad-inputs.md), end to end: every item gets a clear reply or is
deliberately ignored, no handler crashes, and the bot keeps answering."""

from __future__ import annotations

import time
from typing import Any

from tests.e2e.conftest import BotHarness
from tests.support import updates
from tests.support.processes import wait_until

USER = 7117
UNSUPPORTED = "can't use this kind of message"


def private(content: dict[str, Any], user_id: int = USER) -> dict[str, Any]:
    message = {
        "message_id": int(time.time() * 1_000_000) % 2_000_000_000,
        "date": int(time.time()),
        "chat": updates.private_chat(user_id),
        "from": updates.user(user_id),
        **content,
    }
    return {"message": message}


STICKER = {
    "sticker": {
        "file_id": "st",
        "file_unique_id": "st-u",
        "type": "regular",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
    }
}
GIF = {
    "animation": {
        "file_id": "gif",
        "file_unique_id": "gif-u",
        "width": 320,
        "height": 240,
        "duration": 3,
        "mime_type": "video/mp4",
    },
}
CONTACT = {"contact": {"phone_number": "+70000000000", "first_name": "Ivan"}}
LOCATION = {"location": {"latitude": 55.75, "longitude": 37.61}}
POLL = {
    "poll": {
        "id": "p1",
        "question": "Tea or coffee?",
        "options": [
            {"persistent_id": "o1", "text": "Tea", "voter_count": 0},
            {"persistent_id": "o2", "text": "Coffee", "voter_count": 0},
        ],
        "total_voter_count": 0,
        "is_closed": False,
        "is_anonymous": True,
        "type": "regular",
        "allows_multiple_answers": False,
        "allows_revoting": False,
        "members_only": False,
    }
}
DICE = {"dice": {"emoji": "🎲", "value": 4}}
PINNED = {
    "pinned_message": {
        "message_id": 1,
        "date": 0,
        "chat": updates.private_chat(USER),
    }
}


def test_unusable_messages_get_one_clear_reply_each(bot: BotHarness) -> None:
    bot.start()
    # (videos are transcribed: tests/e2e/test_voice.py)
    for content in (STICKER, GIF, CONTACT, LOCATION, POLL, DICE):
        bot.telegram.inject(private(content))
    bot.telegram.inject(private(PINNED))  # a service message: ignored
    bot.telegram.inject(updates.private_text(USER, "sentinel"))
    texts = bot.telegram.wait_for_messages(USER, 7)
    assert texts[-1] == "Echo: sentinel"
    replies = texts[:-1]
    assert len(replies) == 6
    assert all(UNSUPPORTED in text or "not supported" in text.lower() for text in replies)
    assert [r["messages"][-1]["content"] for r in bot.polza.chat_requests()] == ["sentinel"]


def test_odd_text_commands_and_buttons(bot: BotHarness) -> None:
    bot.start()
    long_text = ("Ж" * 4095) + "!"
    inputs = [
        "   \n\t  ",  # whitespace only
        long_text,  # the longest message Telegram allows
        "**__~~``||> <b>&amp;</b> [x](javascript:alert(1))",  # mostly formatting characters
        "/frobnicate",
        "/model \u202e\u0000' OR 1=1; --",
        "/image 999:1 a cat",
        "/prompt reset extra words that are not a prompt reset",
    ]
    for text in inputs:
        bot.telegram.inject(updates.private_text(USER, text))
    bot.telegram.inject(updates.private_text(USER, "sentinel"))

    def settled() -> list[str] | None:
        texts = bot.telegram.sent_texts(USER)
        return texts if texts and texts[-1] == "Echo: sentinel" else None

    texts = wait_until(settled, 60, what="every input answered, then the sentinel")
    joined = "\n".join(texts)
    assert "empty" in texts[0].lower()
    assert "Ж" * 100 in joined, "a 4096-character message is answered"
    assert "I don't know that command" in joined
    assert not bot.telegram.calls("sendMessage", USER, ok=False), "Telegram refused a message"
    sent = [r["messages"][-1]["content"] for r in bot.polza.chat_requests()]
    assert long_text in sent and "sentinel" in sent
    assert all(" OR 1=1" not in content for content in sent)

    (first,) = bot.telegram.calls("sendMessage", USER)[:1]
    for data in ("garbage-data", "model:pick:chat:zzzzzzzzzz", "stop:1:2:3", "lang:xx"):
        bot.telegram.inject(updates.callback_query(USER, data, first["result"]))
    wait_until(lambda: len(bot.telegram.calls("answerCallbackQuery")) == 4, what="4 answers")
    assert all(c["params"].get("text") for c in bot.telegram.calls("answerCallbackQuery"))
    assert bot.telegram.calls("editMessageText", USER) == []


def test_a_burst_from_one_user_is_answered_in_order(bot: BotHarness) -> None:
    bot.start(MAX_QUEUED_PER_CONVERSATION="20")  # the default bound has its own tests
    burst = [f"burst {i}" for i in range(15)]
    for text in burst:
        bot.telegram.inject(updates.private_text(USER, text))
    texts = bot.telegram.wait_for_messages(USER, 15, timeout=60)
    assert texts == [f"Echo: {text}" for text in burst]
