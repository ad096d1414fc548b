"""Group chats: silence unless addressed, private per-user context, topics, flood-safe edits."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import BOT_USERNAME, BotHarness
from tests.support import media, updates
from tests.support.processes import wait_until

GROUP = -1001234567
ALICE = 4001
BOB = 4002


def addressed(user_id: int, question: str, **kwargs: Any) -> dict[str, Any]:
    """A group message that starts by mentioning the bot."""
    text = f"@{BOT_USERNAME} {question}"
    return updates.group_text(
        GROUP, user_id, text, entities=updates.mention(text, BOT_USERNAME), **kwargs
    )


def group_answers(bot: BotHarness, chat_id: int = GROUP) -> list[dict[str, Any]]:
    return bot.telegram.calls("sendMessage", chat_id)


def test_silent_unless_mentioned_and_the_mention_is_stripped(bot: BotHarness) -> None:
    bot.start()
    bot.telegram.inject(updates.group_text(GROUP, ALICE, "hello everyone, nice weather"))
    question = addressed(ALICE, "what is the capital of France?")
    bot.telegram.inject(question)

    bot.telegram.wait_for_texts(GROUP, ["Echo: what is the capital of France?"])
    (answer,) = group_answers(bot)
    assert answer["params"]["reply_parameters"]["message_id"] == question["message"]["message_id"]
    (request,) = bot.polza.chat_requests()
    assert request["messages"][-1] == {"role": "user", "content": "what is the capital of France?"}
    assert bot.telegram.calls("sendMessageDraft", GROUP, ok=None) == []


def test_reply_to_the_bot_and_commands_addressed_to_it(bot: BotHarness) -> None:
    bot.start()
    text = f"Hey @{BOT_USERNAME}, remember apples"
    entities = updates.mention(text, BOT_USERNAME)
    bot.telegram.inject(updates.group_text(GROUP, ALICE, text, entities=entities))
    (first,) = bot.telegram.wait_for_texts(GROUP, ["Echo: Hey remember apples"])
    assert bot.polza.chat_requests()[0]["messages"][-1]["content"] == "Hey remember apples"

    bot.telegram.inject(updates.group_text(GROUP, ALICE, "and pears", reply_to=first))
    and_pears = "[Quote from your earlier answer]\n> Echo: Hey remember apples\n\nand pears"
    wait_until(lambda: len(group_answers(bot)) == 2, what="the answer to the reply")
    second = bot.polza.chat_requests()[1]["messages"]
    assert [m["content"] for m in second[1:]] == [
        "Hey remember apples",
        "Echo: Hey remember apples",
        and_pears,
    ]

    bot.telegram.inject(updates.group_text(GROUP, ALICE, "/new@someone_else_bot"))
    bot.telegram.inject(updates.group_text(GROUP, ALICE, f"/new@{BOT_USERNAME}"))
    wait_until(lambda: len(bot.telegram.messages(GROUP)) == 3, what="the /new confirmation")
    assert "previous one is saved" in bot.telegram.messages(GROUP)[2]["text"]
    bot.telegram.inject(addressed(ALICE, "fresh"))
    wait_until(lambda: len(bot.polza.chat_requests()) == 3, what="the next request")
    assert [m["role"] for m in bot.polza.chat_requests()[-1]["messages"]] == ["system", "user"]
    assert len(bot.telegram.messages(GROUP)) >= 3


def test_mention_in_a_photo_caption_is_answered(bot: BotHarness) -> None:
    bot.start()
    caption = f"@{BOT_USERNAME} what do you think?"
    entities = updates.mention(caption, BOT_USERNAME)
    photo = media.upload(bot.telegram, media.jpeg(), "photos/file_1.jpg")
    bot.telegram.inject(updates.group_photo(GROUP, ALICE, caption, photo["file_id"], entities))
    wait_until(lambda: bot.polza.chat_requests(), what="the request")
    (request,) = bot.polza.chat_requests()
    text, image = request["messages"][-1]["content"]
    assert text["text"].endswith("what do you think?") and f"@{BOT_USERNAME}" not in text["text"]
    assert image["type"] == "image_url"
    wait_until(lambda: bot.telegram.messages(GROUP), what="the answer")


def test_quoted_message_of_someone_else_is_given_as_context(bot: BotHarness) -> None:
    bot.start()
    bobs = updates.group_text(GROUP, BOB, "The meeting moved to Friday")
    bot.telegram.inject(bobs)
    bot.telegram.inject(addressed(ALICE, "is that true?", reply_to=bobs["message"]))
    wait_until(lambda: bot.polza.chat_requests(), what="the request")
    content = bot.polza.chat_requests()[0]["messages"][-1]["content"]
    assert "The meeting moved to Friday" in content and content.endswith("is that true?")


def test_histories_are_per_user_per_topic_and_never_mix_with_private_chats(
    bot: BotHarness,
) -> None:
    bot.start()
    bot.telegram.inject(updates.private_text(ALICE, "my private secret"))
    bot.telegram.wait_for_messages(ALICE, 1)

    expected: list[str] = []
    for user_id, question, thread in (
        (ALICE, "alice in topic", 77),
        (BOB, "bob in topic", 77),
        (ALICE, "alice again in topic", 77),
        (ALICE, "alice in general", None),
    ):
        bot.telegram.inject(addressed(user_id, question, thread_id=thread))
        expected.append(f"Echo: {question}")
        bot.telegram.wait_for_texts(GROUP, expected)

    requests = bot.polza.chat_requests()[1:]
    contents = [[m["content"] for m in r["messages"][1:]] for r in requests]
    assert contents[0] == ["alice in topic"]
    assert contents[1] == ["bob in topic"]
    assert contents[2] == ["alice in topic", "Echo: alice in topic", "alice again in topic"]
    assert contents[3] == ["alice in general"]
    assert all("my private secret" not in c for convo in contents for c in convo)
    threads = [m.get("message_thread_id") for m in bot.telegram.messages(GROUP)]
    assert threads == [77, 77, 77, None]


def test_bots_and_edited_messages_are_ignored(bot: BotHarness) -> None:
    bot.start()
    bot_text = f"@{BOT_USERNAME} I am a bot"
    bot.telegram.inject(
        updates.group_text(
            GROUP, 9999, bot_text, entities=updates.mention(bot_text, BOT_USERNAME), from_bot=True
        )
    )
    bot.telegram.inject(updates.edited(addressed(ALICE, "edited question")))
    bot.telegram.inject(addressed(ALICE, "sentinel"))
    bot.telegram.wait_for_texts(GROUP, ["Echo: sentinel"])
    assert [r["messages"][-1]["content"] for r in bot.polza.chat_requests()] == ["sentinel"]


def test_group_streaming_by_edits_survives_flood_control(bot: BotHarness) -> None:
    reply = "Group answer " + " ".join(f"chunk{i}" for i in range(50))
    bot.polza.chat_rules(
        {"match": "long group", "reply": reply, "chunk_size": 8, "chunk_delay": 0.03}
    )
    bot.start(GROUP_EDIT_INTERVAL_SECONDS="0.2")
    bot.telegram.fault(method="editMessageText", error_code=429, retry_after=1, times=2)
    bot.telegram.inject(addressed(ALICE, "long group answer please"))

    bot.telegram.wait_for_texts(GROUP, [reply], timeout=30)
    assert len(bot.telegram.calls("editMessageText", GROUP, ok=False)) == 2
    assert len(group_answers(bot)) == 1
    assert bot.telegram.calls("sendMessageDraft", GROUP, ok=None) == []


def test_unlisted_group_gets_one_polite_line(bot: BotHarness) -> None:
    bot.start(ALLOWED_CHAT_IDS="-100999")
    bot.telegram.inject(addressed(ALICE, "first try"))
    bot.telegram.inject(addressed(ALICE, "second try"))
    bot.telegram.inject(updates.private_text(ALICE, "sentinel in private"))
    bot.telegram.wait_for_messages(ALICE, 1)
    (notice,) = bot.telegram.messages(GROUP)
    assert "not available" in notice["text"]
    assert [r["messages"][-1]["content"] for r in bot.polza.chat_requests()] == [
        "sentinel in private"
    ]
