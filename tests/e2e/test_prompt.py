"""/prompt: a user's own instructions reach the request's system message, everywhere."""

from __future__ import annotations

from bot.config import DEFAULT_SYSTEM_PROMPT
from tests.e2e.conftest import BOT_USERNAME, BotHarness
from tests.support import updates

USER = 8008
GROUP = -1008008


def test_personal_prompt_is_used_shown_and_reset(bot: BotHarness) -> None:
    bot.start()
    bot.telegram.inject(updates.private_text(USER, "/prompt Answer like a pirate & be brief"))
    assert "Done" in bot.telegram.wait_for_messages(USER, 1)[0]
    bot.telegram.inject(updates.private_text(USER, "hello"))
    bot.telegram.wait_for_messages(USER, 2)
    system = bot.polza.chat_requests()[-1]["messages"][0]
    # Added to the default guidance (language and formatting rules), not replacing it.
    assert system == {
        "role": "system",
        "content": f"{DEFAULT_SYSTEM_PROMPT}\n\nAnswer like a pirate & be brief",
    }

    text = f"@{BOT_USERNAME} ahoy"
    bot.telegram.inject(
        updates.group_text(GROUP, USER, text, entities=updates.mention(text, BOT_USERNAME))
    )
    bot.telegram.wait_for_texts(GROUP, ["Echo: ahoy"])
    assert bot.polza.chat_requests()[-1]["messages"][0]["content"] == system["content"]

    bot.telegram.inject(updates.private_text(USER, "/prompt"))
    # Sent as Telegram HTML, so the user's "&" arrives escaped and shows as "&".
    assert "Answer like a pirate &amp; be brief" in bot.telegram.wait_for_messages(USER, 3)[2]
    assert bot.telegram.calls("sendMessage", USER)[2]["params"]["parse_mode"] == "HTML"

    bot.telegram.inject(updates.private_text(USER, "/prompt " + "x" * 2001))
    assert "2,001 characters" in bot.telegram.wait_for_messages(USER, 4)[3]

    bot.telegram.inject(updates.private_text(USER, "/prompt reset"))
    bot.telegram.wait_for_messages(USER, 5)
    bot.telegram.inject(updates.private_text(USER, "again"))
    bot.telegram.wait_for_messages(USER, 6)
    assert bot.polza.chat_requests()[-1]["messages"][0]["content"] == DEFAULT_SYSTEM_PROMPT
