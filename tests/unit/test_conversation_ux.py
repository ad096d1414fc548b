"""Saved conversations, modes, /prompt, /reasoning and /settings, in process: what the user
sees (texts, buttons, alerts) and what Polza receives."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiogram.methods import AnswerCallbackQuery, EditMessageText, SendMessage

from bot.config import DEFAULT_SYSTEM_PROMPT
from tests.support import updates
from tests.unit.inprocess import Harness, running_bot

USER = 4343
OTHER = 4344
GROUP = -1004343


# --- helpers ---------------------------------------------------------------------------------


def last_screen(bot: Harness, chat_id: int = USER) -> dict[str, Any]:
    """The newest message the bot sent or edited in the chat, as a callback would carry it."""
    for method in reversed(bot.session.requests):
        if isinstance(method, SendMessage | EditMessageText) and method.chat_id == chat_id:
            markup = method.reply_markup
            return {
                "message_id": getattr(method, "message_id", None) or 1,
                "date": int(datetime.now(UTC).timestamp()),
                "chat": (
                    updates.private_chat(chat_id) if chat_id > 0 else updates.group_chat(chat_id)
                ),
                "text": method.text,
                **({"reply_markup": markup.model_dump(exclude_none=True)} if markup else {}),
            }
    raise AssertionError("the bot showed nothing")


def buttons(screen: dict[str, Any]) -> dict[str, str]:
    rows = screen.get("reply_markup", {}).get("inline_keyboard", [])
    return {button["text"]: button["callback_data"] for row in rows for button in row}


def button(screen: dict[str, Any], label: str) -> str:
    (data,) = [data for text, data in buttons(screen).items() if label in text]
    return data


async def press(
    bot: Harness, screen: dict[str, Any], label: str, user_id: int = USER
) -> AnswerCallbackQuery:
    """Press the button labelled `label`; return the bot's answer to the press."""
    before = len(bot.session.requests)
    await bot.send(updates.callback_query(user_id, button(screen, label), screen))
    (answer,) = [m for m in bot.session.requests[before:] if isinstance(m, AnswerCallbackQuery)]
    return answer


def edits_since(bot: Harness, before: int) -> list[EditMessageText]:
    return [m for m in bot.session.requests[before:] if isinstance(m, EditMessageText)]


async def say(bot: Harness, text: str) -> None:
    await bot.send(updates.private_text(USER, text))


def stored(tmp_path: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(tmp_path / "bot.sqlite3") as conn:
        return conn.execute(sql).fetchall()


# --- saved conversations ---------------------------------------------------------------------


async def test_deleting_a_conversation_asks_first(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        await say(bot, "first topic")
        await say(bot, "/new")
        assert "previous one is saved" in bot.session.sent_texts(USER)[-1]
        await say(bot, "second topic")
        await say(bot, "/chats")
        listing = last_screen(bot)
        assert "first topic" in listing["text"] and "second topic" in listing["text"]
        assert listing["text"].index("second topic") < listing["text"].index("first topic")
        assert "(current)" in listing["text"].split("\n")[1]  # the newest, active one

        await press(bot, listing, "first topic")
        card = last_screen(bot)
        assert "1 message" in card["text"]
        await press(bot, card, "Delete")
        confirm = last_screen(bot)
        assert "cannot be undone" in confirm["text"]
        assert len(stored(tmp_path, "SELECT id FROM conversations")) == 2  # not yet

        await press(bot, confirm, "Cancel")
        assert "Continue this conversation" in str(buttons(last_screen(bot)))
        await press(bot, last_screen(bot), "Delete")
        answer = await press(bot, last_screen(bot), "Yes, delete")
        assert answer.text == "Deleted: first topic"
        after = last_screen(bot)
        assert "first topic" not in after["text"] and "second topic" in after["text"]
        assert stored(tmp_path, "SELECT content FROM messages WHERE role = 'user'") == [
            ("second topic",)
        ]

        await say(bot, "still here?")  # the active conversation was untouched
        (request,) = (await bot.chat_requests())[-1:]
        assert [m["content"] for m in request["messages"][1:]] == [
            "second topic",
            "Echo: second topic",
            "still here?",
        ]


async def test_new_on_an_empty_conversation_saves_nothing(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        await say(bot, "/new")
        assert "already a new conversation" in bot.session.sent_texts(USER)[-1]
        await say(bot, "/chats")
        assert "no saved conversations" in bot.session.sent_texts(USER)[-1]


async def test_many_conversations_are_listed_a_page_at_a_time(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        for number in range(10):
            await say(bot, f"topic {number}")
            await say(bot, "/new")
        await say(bot, "/chats")
        first = last_screen(bot)
        assert "(page 1 of 2)" in first["text"]
        assert "topic 9" in first["text"] and "topic 2" in first["text"]
        assert "topic 1" not in first["text"] and "◀️" not in buttons(first)
        await press(bot, first, "▶️")
        second = last_screen(bot)
        assert "(page 2 of 2)" in second["text"] and "9. topic 1" in second["text"]
        assert "10. topic 0" in second["text"] and "▶️" not in buttons(second)


# --- modes and the personal prompt -----------------------------------------------------------


async def test_prompt_and_mode_are_added_to_the_default_guidance(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        await say(bot, "/prompt Always sign as Captain")
        await say(bot, "hello")
        system = (await bot.chat_requests())[-1]["messages"][0]
        assert system["role"] == "system"
        assert system["content"].startswith(DEFAULT_SYSTEM_PROMPT)
        assert system["content"].endswith("Always sign as Captain")

        await say(bot, "/mode")
        menu = last_screen(bot)
        assert len(buttons(menu)) >= 9 and "✓ 🤖 Assistant" in buttons(menu)
        await press(bot, menu, "Editor")
        assert "Mode: <b>✏️ Editor</b>" in str(last_screen(bot)["text"])
        await say(bot, "fix this txt")
        content = (await bot.chat_requests())[-1]["messages"][0]["content"]
        assert content.startswith(DEFAULT_SYSTEM_PROMPT)
        assert "Act as a careful editor" in content
        assert content.endswith("Always sign as Captain")

        await say(bot, "/mode")
        await press(bot, last_screen(bot), "My prompt")
        await say(bot, "again")
        content = (await bot.chat_requests())[-1]["messages"][0]["content"]
        assert content == f"{DEFAULT_SYSTEM_PROMPT}\n\nAlways sign as Captain"


# --- reasoning -------------------------------------------------------------------------------


async def test_reasoning_off_sends_effort_none(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        await bot.app.deps.users.ensure(USER, "en")
        await bot.app.deps.users.set_chat_model(USER, "google/gemini-2.5-flash")
        await say(bot, "/reasoning")
        picker = last_screen(bot)
        assert set(buttons(picker)) == {"✓ Model's default", "Off", "Low", "Medium", "High"}
        await press(bot, picker, "Off")
        assert "Reasoning for <code>google/gemini-2.5-flash</code>: Off" in str(
            last_screen(bot)["text"]
        )
        await say(bot, "quick one")
        assert (await bot.chat_requests())[-1]["reasoning"] == {"effort": "none"}


async def test_reasoning_off_is_refused_where_the_model_cannot(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        await bot.app.deps.users.ensure(USER, "en")
        await bot.app.deps.users.set_chat_model(USER, "openai/gpt-5-nano")
        await say(bot, "/reasoning")
        picker = last_screen(bot)
        assert "cannot switch reasoning off" in str(picker["text"])
        assert "Minimal" in buttons(picker) and "Extra high" not in buttons(picker)
        before = len(bot.session.requests)
        answer = await press(bot, picker, "Off")
        assert answer.show_alert and "cannot switch reasoning off" in str(answer.text)
        assert edits_since(bot, before) == []
        assert stored(tmp_path, f"SELECT reasoning_effort FROM users WHERE id = {USER}") == [
            (None,)
        ]
        await say(bot, "think")
        assert "reasoning" not in (await bot.chat_requests())[-1]

        # "Off" chosen with another model: this one thinks as little as it can.
        await bot.app.deps.users.set_reasoning_effort(USER, "none")
        await say(bot, "and now")
        assert (await bot.chat_requests())[-1]["reasoning"] == {"effort": "minimal"}


# --- the settings menu -----------------------------------------------------------------------


async def test_settings_open_pickers_in_place_and_come_back(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        await say(bot, "/start")
        welcome = last_screen(bot)
        await press(bot, welcome, "Settings")
        home = last_screen(bot)
        assert list(buttons(home)) == [
            "🤖 Chat model",
            "🎨 Image model",
            "🎭 Mode",
            "🧠 Reasoning",
            "🌐 Language",
            "🔎 Web search for every message",
            "🔊 Spoken answers",
            "🎙 Voice message language",
            "💰 Cost under answers",
        ]
        assert "🎙 Voice message language: <b>detected</b>" in str(home["text"])
        assert "🎭 Mode: <b>🤖 Assistant</b>" in str(home["text"])
        assert "💰 Cost under answers: <b>off</b>" in str(home["text"])

        before = len(bot.session.requests)
        await press(bot, home, "Mode")
        assert len(edits_since(bot, before)) == 1  # the same message, edited
        picker = last_screen(bot)
        assert "⬅️ Back" in buttons(picker) and "🌐 Translator" in buttons(picker)
        await press(bot, picker, "Translator")
        chosen = last_screen(bot)
        assert "Translator" in str(chosen["text"]) and list(buttons(chosen)) == ["⬅️ Back"]
        await press(bot, chosen, "Back")
        assert "🎭 Mode: <b>🌐 Translator</b>" in str(last_screen(bot)["text"])

        await press(bot, last_screen(bot), "Cost under answers")
        await press(bot, last_screen(bot), "Show")
        toggled = last_screen(bot)
        assert "⬅️ Back" in buttons(toggled)
        await press(bot, toggled, "Back")
        assert "💰 Cost under answers: <b>on</b>" in str(last_screen(bot)["text"])

        await press(bot, last_screen(bot), "Web search")
        await press(bot, last_screen(bot), "On")
        switched = last_screen(bot)
        assert "Web search is on" in str(switched["text"]) and list(buttons(switched)) == [
            "⬅️ Back"
        ]
        await press(bot, switched, "Back")
        assert "🔎 Web search for every message: <b>on</b>" in str(last_screen(bot)["text"])

        await press(bot, last_screen(bot), "Spoken answers")
        await press(bot, last_screen(bot), "Auto")
        spoken = last_screen(bot)
        assert "voice messages are also spoken" in str(spoken["text"])
        assert list(buttons(spoken)) == ["⬅️ Back"]
        await press(bot, spoken, "Back")
        assert "🔊 Spoken answers: <b>Auto</b>" in str(last_screen(bot)["text"])

        await press(bot, last_screen(bot), "Language")
        await press(bot, last_screen(bot), "Русский")
        await press(bot, last_screen(bot), "Назад")
        assert "⚙️ <b>Настройки</b>" in str(last_screen(bot)["text"])

        await press(bot, last_screen(bot), "Модель для чата")
        models = last_screen(bot)
        assert "⬅️ Назад" in buttons(models) and len(buttons(models)) > 2


async def test_menus_of_another_user_in_a_group_refuse_politely(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        await bot.app.deps.users.ensure(USER, "en")
        await bot.app.deps.users.set_chat_model(USER, "google/gemini-2.5-flash")
        command = updates.group_text(GROUP, USER, "/settings")
        await bot.send(command)
        menu = {**last_screen(bot, GROUP), "reply_to_message": command["message"]}
        before = len(bot.session.requests)
        answer = await press(bot, menu, "Mode", user_id=OTHER)
        assert answer.show_alert and "belongs to someone else" in str(answer.text)
        assert edits_since(bot, before) == []

        await press(bot, menu, "Reasoning")  # its opener may, and the picker stays theirs
        picker = {**last_screen(bot, GROUP), "reply_to_message": command["message"]}
        answer = await press(bot, picker, "High", user_id=OTHER)
        assert "belongs to someone else" in str(answer.text)

        await bot.send(updates.group_text(GROUP, USER, "/mode"))
        picker = {**last_screen(bot, GROUP), "reply_to_message": command["message"]}
        answer = await press(bot, picker, "Translator", user_id=OTHER)
        assert "belongs to someone else" in str(answer.text)
        assert stored(
            tmp_path, f"SELECT chat_mode, reasoning_effort FROM users WHERE id = {OTHER}"
        ) == [(None, None)]
