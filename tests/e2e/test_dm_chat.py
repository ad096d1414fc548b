"""A private chat with the real bot process, over HTTP, against the fake servers."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.e2e.conftest import BotHarness
from tests.support import updates
from tests.support.processes import ROOT, wait_until

USER = 1001


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def test_dm_round_trip(bot: BotHarness) -> None:
    bot.start()
    bot.telegram.inject(updates.private_text(USER, "Hello there"))

    assert bot.telegram.wait_for_messages(USER, 1) == ["Echo: Hello there"]
    (request,) = bot.polza.chat_requests()
    assert request["model"] == "openai/gpt-4o-mini"
    assert request["stream"] is True
    assert request["user"] == str(USER)
    assert request["messages"][0]["role"] == "system"
    assert request["messages"][-1] == {"role": "user", "content": "Hello there"}
    assert len(request["messages"]) == 2


def test_second_turn_carries_history(bot: BotHarness) -> None:
    bot.start()
    bot.telegram.inject(updates.private_text(USER, "My name is Ada"))
    bot.telegram.wait_for_messages(USER, 1)
    bot.telegram.inject(updates.private_text(USER, "What is my name?"))
    bot.telegram.wait_for_messages(USER, 2)

    second = bot.polza.chat_requests()[1]
    assert [m["role"] for m in second["messages"]] == ["system", "user", "assistant", "user"]
    assert second["messages"][1]["content"] == "My name is Ada"
    assert second["messages"][2]["content"] == "Echo: My name is Ada"


def test_history_survives_restart(bot: BotHarness) -> None:
    bot.start()
    bot.telegram.inject(updates.private_text(USER, "Remember the number 42"))
    bot.telegram.wait_for_messages(USER, 1)
    bot.restart()
    bot.telegram.inject(updates.private_text(USER, "Which number?"))
    bot.telegram.wait_for_messages(USER, 2)

    after_restart = bot.polza.chat_requests()[1]["messages"]
    assert {"role": "user", "content": "Remember the number 42"} in after_restart
    assert {"role": "assistant", "content": "Echo: Remember the number 42"} in after_restart


def test_new_starts_a_fresh_conversation_and_saves_the_old(bot: BotHarness) -> None:
    bot.start()
    bot.telegram.inject(updates.private_text(USER, "Something to keep"))
    bot.telegram.wait_for_messages(USER, 1)
    bot.telegram.inject(updates.private_text(USER, "/new"))
    texts = bot.telegram.wait_for_messages(USER, 2)
    assert "previous one is saved" in texts[1]

    bot.telegram.inject(updates.private_text(USER, "Fresh start"))
    bot.telegram.wait_for_messages(USER, 3)
    last = bot.polza.chat_requests()[-1]["messages"]
    assert [m["role"] for m in last] == ["system", "user"]
    assert "Something to keep" in bot.database_dump()  # saved, for /chats


def test_other_users_history_is_separate(bot: BotHarness) -> None:
    bot.start()
    bot.telegram.inject(updates.private_text(USER, "Secret of user one"))
    bot.telegram.wait_for_messages(USER, 1)
    bot.telegram.inject(updates.private_text(2002, "Hi from user two"))
    bot.telegram.wait_for_messages(2002, 1)

    second = bot.polza.chat_requests()[1]
    assert second["user"] == "2002"
    assert all("Secret of user one" not in m["content"] for m in second["messages"])


def test_streaming_shows_text_before_the_final_message(bot: BotHarness) -> None:
    reply = "Streaming answer " + " ".join(f"word{i}" for i in range(40))
    bot.polza.chat_rules(
        {
            "match": "stream please",
            "reply": reply,
            "chunk_size": 12,
            "chunk_delay": 0.03,
            "first_chunk_delay": 1.0,  # a model that takes a moment: typing shows meanwhile
        }
    )
    bot.start()
    bot.telegram.inject(updates.private_text(USER, "stream please"))
    assert bot.telegram.wait_for_messages(USER, 1) == [reply]

    drafts = bot.telegram.calls("sendMessageDraft", USER)
    assert len(drafts) >= 2
    draft_ids = {d["params"]["draft_id"] for d in drafts}
    assert len(draft_ids) == 1 and 0 not in draft_ids
    shown = [d["params"]["text"] for d in drafts]
    assert all(reply.startswith(text) for text in shown)
    assert len(shown[0]) < len(reply)
    log = bot.telegram.log()
    first_draft = next(e["seq"] for e in log if e["method"] == "sendMessageDraft")
    final = next(e["seq"] for e in log if e["method"] == "sendMessage")
    assert first_draft < final
    assert bot.telegram.calls("sendChatAction", USER), "typing was not shown while waiting"


def test_an_answer_that_starts_at_once_is_not_preceded_by_typing(bot: BotHarness) -> None:
    bot.start()
    bot.telegram.inject(updates.private_text(USER, "quick"))
    assert bot.telegram.wait_for_messages(USER, 1) == ["Echo: quick"]
    assert bot.telegram.calls("sendChatAction", USER) == []


def test_long_answer_with_code_arrives_whole(bot: BotHarness) -> None:
    code = "\n".join(f"    total += compute({i})  # step {i}" for i in range(120))
    prose = " ".join(f"Sentence number {i} explains the algorithm in detail." for i in range(120))
    reply = f"Here is the program:\n\n```python\n{code}\n```\n\n{prose}"
    assert len(reply) > 10_000
    bot.polza.chat_rules({"match": "long one", "reply": reply, "chunk_size": 400})
    bot.start()
    bot.telegram.inject(updates.private_text(USER, "long one"))

    def all_delivered() -> list[dict[str, object]] | None:
        sent = bot.telegram.calls("sendMessage", USER)
        joined = "".join(str(e["params"]["text"]) for e in sent)
        return sent if "Sentence number 119 explains" in joined else None

    sent = wait_until(all_delivered, 20, what="the whole long answer")
    assert len(sent) >= 3
    assert not bot.telegram.calls("sendMessage", USER, ok=False)
    texts = [str(e["params"]["text"]) for e in sent]
    assert all(utf16_len(t) <= 4096 for t in texts)
    joined = "\n".join(texts)
    for i in range(120):
        assert f"total += compute({i})  # step {i}" in joined
        assert f"Sentence number {i} explains" in joined
    code_parts = [e for e in sent if "compute(" in str(e["params"]["text"])]
    assert len(code_parts) >= 2, "the code block should have been split across messages"
    for entry in code_parts:
        entities = entry["params"].get("entities") or []
        assert any(e["type"] == "pre" and e.get("language") == "python" for e in entities)


def test_markdown_becomes_telegram_formatting(bot: BotHarness) -> None:
    reply = "**Bold** and `inline code` and [a link](https://example.com/x)\n\n- first\n- second"
    bot.polza.chat_rules({"match": "format", "reply": reply})
    bot.start()
    bot.telegram.inject(updates.private_text(USER, "format this"))
    bot.telegram.wait_for_messages(USER, 1)

    (final,) = bot.telegram.calls("sendMessage", USER)
    text = final["params"]["text"]
    assert "**" not in text and "](" not in text
    types = {e["type"] for e in final["params"]["entities"]}
    assert {"bold", "code", "text_link"} <= types
    assert "first" in text and "second" in text


def test_polza_errors_give_clear_messages_and_the_bot_recovers(bot: BotHarness) -> None:
    bot.polza.chat_rules(
        {
            "match": "pay",
            "status": 402,
            "error_code": "INSUFFICIENT_FUNDS",
            "error_message": "Недостаточно средств",
        },
        {
            "match": "legacy",
            "status": 402,
            "error_shape": "legacy",
            "error_message": "Payment Required",
        },
        {"match": "broken", "status": 500, "error_code": "INTERNAL", "error_message": "Ошибка"},
    )
    bot.start()
    bot.telegram.inject(updates.private_text(USER, "pay me"))
    assert "balance" in bot.telegram.wait_for_messages(USER, 1)[0].lower()
    bot.telegram.inject(updates.private_text(USER, "legacy body"))
    assert "balance" in bot.telegram.wait_for_messages(USER, 2)[1].lower()
    bot.telegram.inject(updates.private_text(USER, "broken model"))
    assert "unavailable" in bot.telegram.wait_for_messages(USER, 3)[2].lower()
    bot.telegram.inject(updates.private_text(USER, "still there?"))
    assert bot.telegram.wait_for_messages(USER, 4)[3] == "Echo: still there?"

    log = bot.log()
    assert "INSUFFICIENT_FUNDS" in log and "Недостаточно средств" in log
    # A failed request leaves no half-written history behind.
    last = bot.polza.chat_requests()[-1]["messages"]
    assert [m["role"] for m in last] == ["system", "user"]


def test_unknown_model_is_named(bot: BotHarness) -> None:
    bot.start(DEFAULT_CHAT_MODEL="nobody/no-such-model")
    bot.telegram.inject(updates.private_text(USER, "hello"))
    (text,) = bot.telegram.wait_for_messages(USER, 1)
    assert "nobody/no-such-model" in text


def test_two_quick_messages_are_answered_in_order(bot: BotHarness) -> None:
    bot.polza.chat_rules(
        {
            "match": "first",
            "reply": "answer to the first one",
            "chunk_size": 4,
            "chunk_delay": 0.05,
        }
    )
    bot.start()
    bot.telegram.inject(updates.private_text(USER, "first"))
    bot.telegram.inject(updates.private_text(USER, "second"))

    assert bot.telegram.wait_for_messages(USER, 2) == ["answer to the first one", "Echo: second"]
    second = bot.polza.chat_requests()[1]["messages"]
    assert [m["content"] for m in second[1:]] == ["first", "answer to the first one", "second"]


def test_final_message_survives_telegram_flood_control(bot: BotHarness) -> None:
    bot.start()
    bot.telegram.fault(method="sendMessage", error_code=429, retry_after=1, times=1)
    bot.telegram.inject(updates.private_text(USER, "hello under flood"))
    assert bot.telegram.wait_for_messages(USER, 1) == ["Echo: hello under flood"]
    assert bot.telegram.calls("sendMessage", USER, ok=False)


def test_commands_and_unsupported_messages(bot: BotHarness) -> None:
    bot.start()
    bot.telegram.inject(updates.private_text(USER, "/start"))
    assert "Polza" in bot.telegram.wait_for_messages(USER, 1)[0]
    bot.telegram.inject(updates.private_text(USER, "/help"))
    assert "/new" in bot.telegram.wait_for_messages(USER, 2)[1]
    bot.telegram.inject(updates.private_text(USER, "/frobnicate now"))
    assert "/help" in bot.telegram.wait_for_messages(USER, 3)[2]
    bot.telegram.inject(updates.private_sticker(USER))
    assert "text" in bot.telegram.wait_for_messages(USER, 4)[3]
    assert bot.polza.chat_requests() == []
    commands = bot.telegram.calls("setMyCommands")
    assert commands and {c["command"] for c in commands[0]["params"]["commands"]} >= {
        "new",
        "help",
    }


def test_missing_required_setting_stops_with_one_clear_line(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "POLZA_API_KEY": "x", "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-m", "bot"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines == [
        "Configuration error: BOT_TOKEN is required (set it in the environment or .env)"
    ]


def test_a_malformed_token_stops_with_one_line_naming_it(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "BOT_TOKEN": "abc", "POLZA_API_KEY": "x"}
    result = subprocess.run(
        [sys.executable, "-m", "bot"],
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Configuration error: BOT_TOKEN is invalid")
    assert not (tmp_path / "data").exists(), "nothing is opened before the settings are valid"


def test_failed_draft_falls_back_to_an_edited_message(bot: BotHarness) -> None:
    reply = "Edited answer " + " ".join(f"piece{i}" for i in range(60))
    bot.polza.chat_rules(
        {"match": "no drafts", "reply": reply, "chunk_size": 10, "chunk_delay": 0.03}
    )
    bot.start()
    bot.telegram.fault(
        method="sendMessageDraft",
        error_code=400,
        description="Bad Request: drafts are off",
        times=1,
    )
    bot.telegram.inject(updates.private_text(USER, "no drafts here"))

    def final_edit() -> dict[str, object] | None:
        edits = bot.telegram.calls("editMessageText", USER)
        return edits[-1] if edits and edits[-1]["params"]["text"] == reply else None

    wait_until(final_edit, 20, what="the final edit")
    sent = bot.telegram.calls("sendMessage", USER)
    assert len(sent) == 1 and reply.startswith(str(sent[0]["params"]["text"]))
    assert len(bot.telegram.calls("sendMessageDraft", USER, ok=True)) == 0
