"""Saved conversations and modes against the real bot process: /new keeps the old
conversation, /chats switches back to it (its history reaches Polza) and exports it as a
Markdown document; a /mode preset reaches Polza together with the default guidance."""

from __future__ import annotations

from typing import Any

from bot.config import DEFAULT_SYSTEM_PROMPT
from tests.e2e.conftest import BotHarness
from tests.e2e.test_model_picker import button, press
from tests.support import updates
from tests.support.processes import wait_until

USER = 6106


def say(bot: BotHarness, text: str) -> None:
    """Send a message and wait for the bot's one reply to it."""
    before = len(bot.telegram.sent_texts(USER))
    bot.telegram.inject(updates.private_text(USER, text))
    bot.telegram.wait_for_messages(USER, before + 1)


def open_menu(bot: BotHarness, command: str) -> dict[str, Any]:
    """Send a command; return the message (with its buttons) the bot answers with."""
    before = len(bot.telegram.calls("sendMessage", USER))
    bot.telegram.inject(updates.private_text(USER, command))
    sent = wait_until(lambda: bot.telegram.calls("sendMessage", USER)[before:], what=command)
    message: dict[str, Any] = sent[0]["result"]
    return message


def open_conversation(bot: BotHarness, title: str) -> dict[str, Any]:
    listing = open_menu(bot, "/chats")
    _, card = press(bot, listing, button(listing, title), USER, edits=True)
    assert card is not None
    return card


def test_switch_back_export_and_a_mode(bot: BotHarness) -> None:
    bot.start()
    say(bot, "alpha question")
    say(bot, "/new")
    say(bot, "beta question")

    card = open_conversation(bot, "alpha question")
    notice, switched = press(bot, card, button(card, "Continue"), USER, edits=True)
    assert notice == "Switched." and switched is not None
    say(bot, "gamma question")
    history = [m["content"] for m in bot.polza.chat_requests()[-1]["messages"][1:]]
    assert history == ["alpha question", "Echo: alpha question", "gamma question"]

    card = open_conversation(bot, "alpha question")
    assert "This is your current conversation" in card["text"]
    press(bot, card, button(card, "Export"), USER)
    (sent,) = wait_until(lambda: bot.telegram.calls("sendDocument", USER), what="the export")
    document = sent["result"]["document"]
    assert document["file_name"].endswith(".md")
    text = bot.telegram.file_bytes(document["file_id"]).decode("utf-8")
    assert text.startswith("# alpha question\n")
    turns = [block.split("\n\n", 1) for block in text.split("### ")[1:]]
    labels = [label.split(" · ")[0] for label, _ in turns]
    assert labels == ["🧑 You", "🤖 Assistant (openai/gpt-4o-mini)"] * 2
    assert [body.strip().removesuffix("---").strip() for _, body in turns] == [
        "alpha question",
        "Echo: alpha question",
        "gamma question",
        "Echo: gamma question",
    ]

    menu = open_menu(bot, "/mode")
    press(bot, menu, button(menu, "Translator"), USER, edits=True)
    say(bot, "good morning")
    system = bot.polza.chat_requests()[-1]["messages"][0]
    assert system["role"] == "system"
    assert system["content"].startswith(DEFAULT_SYSTEM_PROMPT + "\n\n")
    assert "Act as a professional translator" in system["content"]
