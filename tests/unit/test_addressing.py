"""Which group messages are meant for the bot, and what text the model gets."""

from __future__ import annotations

from typing import Any

import pytest
from aiogram.types import Message, User

from bot.telegram.addressing import detect
from bot.telegram.quotes import Quote
from tests.support.updates import group_text, mention

ME = User(id=777, is_bot=True, first_name="Bot", username="polza_test_bot")


def message(text: str, **kwargs: Any) -> Message:
    return Message.model_validate(group_text(-100, 5, text, **kwargs)["message"])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("@polza_test_bot what is 2+2?", "what is 2+2?"),
        ("Hey @polza_test_bot, remember apples", "Hey remember apples"),
        ("tell me @polza_test_bot", "tell me"),
        ("@POLZA_TEST_BOT shouting", "shouting"),
        ("😀😀 @polza_test_bot after emoji", "😀😀 after emoji"),
    ],
)
def test_mentions_address_the_bot_and_are_cut_out(text: str, expected: str) -> None:
    entities = mention(text, "polza_test_bot") if "polza_test_bot" in text else None
    if entities is None:
        start = text.index("@")
        entities = [{"type": "mention", "offset": start, "length": len("@polza_test_bot")}]
    result = detect(message(text, entities=entities), ME)
    assert result.addressed
    assert result.text == expected


def test_other_mentions_and_plain_talk_are_not_addressed() -> None:
    text = "@someone_else hi"
    assert not detect(message(text, entities=mention(text, "someone_else")), ME).addressed
    assert not detect(message("just chatting"), ME).addressed


def test_text_mention_of_the_bot_user() -> None:
    entity = {"type": "text_mention", "offset": 0, "length": 3, "user": ME.model_dump()}
    result = detect(message("Bot explain this", entities=[entity]), ME)
    assert result.addressed and result.text == "explain this"


def test_commands_for_this_bot_or_no_bot_are_addressed() -> None:
    assert detect(message("/new"), ME).addressed
    assert detect(message("/new@polza_test_bot"), ME).addressed
    assert not detect(message("/new@other_bot"), ME).addressed


def test_replies_are_addressed_to_the_bot_only_when_it_wrote_the_message() -> None:
    bot_message = {
        "message_id": 1,
        "date": 0,
        "chat": {"id": -100, "type": "supergroup", "title": "t"},
        "from": ME.model_dump(),
        "text": "an earlier answer",
    }
    result = detect(message("thanks", reply_to=bot_message), ME)
    assert result.addressed
    assert result.quoted == Quote("an earlier answer", "assistant")
    other = {**bot_message, "from": {"id": 9, "is_bot": False, "first_name": "Bob"}}
    text = "@polza_test_bot is this right?"
    result = detect(message(text, entities=mention(text, "polza_test_bot"), reply_to=other), ME)
    assert result.addressed and result.quoted == Quote("an earlier answer", "other", "Bob")
    assert not detect(message("ok", reply_to=other), ME).addressed


def test_keyword_prefix() -> None:
    result = detect(message("Бот, переведи это"), ME, keyword="бот")
    assert result.addressed and result.text == "переведи это"
    assert not detect(message("робот пришёл"), ME, keyword="бот").addressed
    assert not detect(message("ботаника скучная"), ME, keyword="бот").addressed
