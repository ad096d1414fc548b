"""Continue a cut answer, regenerate one, the trimming notice, notes outside code blocks."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import BotHarness
from tests.support import updates
from tests.support.processes import wait_until

USER = 7171
CODE_LINES = "\n".join(f"print('line {i}')" for i in range(40))
CODE = f"Here is the script:\n\n```python\n{CODE_LINES}\n```\n\nThat is all."
CUT_AT = 40 * 4  # MAX_ANSWER_TOKENS=40; the fake Polza counts four characters a token


def buttons(message: dict[str, Any]) -> dict[str, str]:
    """Button text → callback data of a message as the chat shows it now."""
    markup = message.get("reply_markup") or {}
    return {
        b["text"]: b["callback_data"] for row in markup.get("inline_keyboard", []) for b in row
    }


def data_of(message: dict[str, Any], emoji: str) -> str:
    (data,) = [data for text, data in buttons(message).items() if text.startswith(emoji)]
    return data


def code_entities_end(message: dict[str, Any]) -> int:
    return max(
        int(e["offset"]) + int(e["length"])
        for e in message.get("entities", [])
        if e["type"] in ("pre", "code")
    )


def note_offset(message: dict[str, Any], note: str) -> int:
    text = str(message["text"])
    return updates.utf16_len(text[: text.index(note)])


def test_continue_regenerate_and_trimming(bot: BotHarness) -> None:
    bot.polza.chat_rules(
        {"match": "Continue it exactly", "reply": "print('the rest')\n```\n\nDone.", "times": 1},
        {"match": "write code", "reply": CODE, "times": 1},
        {"match": "write code", "reply": "A shorter version."},
    )
    bot.start(MAX_ANSWER_TOKENS="40", HISTORY_MAX_TOKENS="500")
    assert "edited_message" in bot.telegram.state()["allowed_updates"]

    # An answer cut by the output limit inside a code block: the note is outside the code.
    bot.telegram.inject(updates.private_text(USER, "write code"))
    bot.telegram.wait_for_messages(USER, 1)
    (cut,) = bot.telegram.messages(USER)
    assert "print('line 3')" in cut["text"] and "That is all" not in cut["text"]
    assert note_offset(cut, "(The answer reached the length limit") >= code_entities_end(cut)
    assert set(buttons(cut)) == {"▶️ Continue", "🔄 Regenerate", "🔊"}

    # ▶️: the request carries the partial answer as the assistant's turn; the rest arrives as
    # the next message, still rendered as code, and is stored as part of the answer.
    bot.telegram.press(USER, cut, data_of(cut, "▶️"))
    bot.telegram.wait_for_messages(USER, 2)
    continuation = bot.polza.chat_requests()[1]["messages"]
    assert continuation[-2] == {"role": "assistant", "content": CODE[:CUT_AT]}
    assert continuation[-1]["role"] == "user"
    assert continuation[-3] == {"role": "user", "content": "write code"}
    # Only the latest answer keeps its buttons (taken off the older one right after).
    wait_until(lambda: not buttons(bot.telegram.messages(USER)[0]), what="the old buttons gone")
    rest = bot.telegram.messages(USER)[1]
    assert rest["text"].startswith("print('the rest')") and rest["text"].endswith("Done.")
    assert any(e["type"] == "pre" for e in rest["entities"])
    assert set(buttons(rest)) == {"🔄 Regenerate", "🔊"}

    # 🔄: the same question again; the new answer replaces the old one in history, and the
    # old message stays, marked.
    bot.telegram.press(USER, rest, data_of(rest, "🔄"))
    bot.telegram.wait_for_messages(USER, 3)
    regenerated = bot.polza.chat_requests()[2]["messages"]
    assert [m["content"] for m in regenerated[1:]] == ["write code"]
    assert bot.telegram.messages(USER)[2]["text"] == "A shorter version."
    wait_until(
        lambda: set(buttons(bot.telegram.messages(USER)[1])) == {"↩️ Replaced"},
        what="the replaced answer marked",
    )

    bot.telegram.inject(updates.private_text(USER, "and now?"))
    bot.telegram.wait_for_messages(USER, 4)
    history = [m["content"] for m in bot.polza.chat_requests()[3]["messages"][1:]]
    assert history == ["write code", "A shorter version.", "and now?"]

    # Past HISTORY_MAX_TOKENS older turns are left out, and the user is told once.
    bot.telegram.inject(updates.private_text(USER, "long " * 500))
    bot.telegram.wait_for_messages(USER, 5)
    for number, question in enumerate(("final question", "one more"), start=6):
        bot.telegram.inject(updates.private_text(USER, question))
        bot.telegram.wait_for_messages(USER, number)
    told = [t for t in bot.telegram.sent_texts(USER) if "no longer fit" in t]
    assert len(told) == 1 and told[0].startswith("Echo: final question")
    last = bot.polza.chat_requests()[-2]["messages"]
    assert "long long" not in str(last) and "write code" not in str(last)
