"""Buttons under answers, edits of the latest message, memory that fits the budget: in process."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from aiogram.methods import AnswerCallbackQuery, EditMessageReplyMarkup, SendMessage
from aiogram.types import Message

from bot.app import warn_about_retired
from bot.config import Settings
from bot.services.context import chars_within, with_summary
from bot.services.documents import file_block
from bot.services.history import HistoryReader
from bot.services.summary import SUMMARY_INSTRUCTION
from storage import ChatTurn, ConversationKey, Database, MessageRepository
from storage.answers import AnswerRepository
from storage.models import TurnSize
from tests.support import updates
from tests.unit.inprocess import Harness, running_bot

USER = 5151
OTHER = 5252
SUMMARY_MODEL = "openai/gpt-4.1-nano"


def answers(bot: Harness) -> list[tuple[SendMessage, Message]]:
    """The bot's final messages to USER, with what Telegram answered."""
    return [
        (method, result)
        for method, result in zip(bot.session.requests, bot.session.results, strict=True)
        if isinstance(method, SendMessage) and method.chat_id == USER
    ]


def button(method: SendMessage, emoji: str) -> str:
    """The callback data of the button whose text starts with `emoji`."""
    markup = method.reply_markup
    assert markup is not None and hasattr(markup, "inline_keyboard"), method.text
    (data,) = [
        b.callback_data for row in markup.inline_keyboard for b in row if b.text.startswith(emoji)
    ]
    assert data is not None
    return data


async def press(bot: Harness, user_id: int, data: str, message: Message) -> str | None:
    """Press a button; the text of the callback answer."""
    update = updates.callback_query(
        user_id, data, message.model_dump(mode="json", exclude_none=True)
    )
    await bot.send(update)
    query_id = update["callback_query"]["id"]
    (answer,) = [
        m
        for m in bot.session.requests
        if isinstance(m, AnswerCallbackQuery) and m.callback_query_id == query_id
    ]
    return answer.text


def markup_edits(bot: Harness) -> list[EditMessageReplyMarkup]:
    return [m for m in bot.session.requests if isinstance(m, EditMessageReplyMarkup)]


async def chat_rules(bot: Harness, *rules: dict[str, Any]) -> None:
    async with bot.http.post(bot.polza.make_url("/_test/chat/rules"), json=list(rules)) as r:
        assert r.status == 200, await r.text()


async def test_old_or_foreign_presses_do_nothing(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path) as bot:
        await bot.send(updates.private_text(USER, "first"))
        await bot.send(updates.private_text(USER, "second"))
        (first, first_message), (second, second_message) = answers(bot)
        old_regenerate = button(first, "🔄")
        button(second, "🔄")
        # The older answer keeps its buttons (no edit per message); its 🔄 no longer works.
        assert markup_edits(bot) == []

        assert "no longer works" in str(await press(bot, USER, old_regenerate, first_message))
        foreign = await press(bot, OTHER, button(second, "🔄"), second_message)
        assert "Only the person who asked" in str(foreign)
        assert len(await bot.chat_requests()) == 2  # neither press reached Polza


async def test_editing_the_latest_message_answers_it_again_and_older_edits_are_ignored(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path) as bot:
        await bot.send(updates.private_text(USER, "warm-up"))
        asked = updates.private_text(USER, "what is 2+2")
        await bot.send(asked)
        old_answer = answers(bot)[-1][1]
        edit = updates.edited(asked)
        edit["edited_message"]["text"] = "what is 3+3"
        await bot.send(edit, update_id=900)

        requests = await bot.chat_requests()
        assert len(requests) == 3
        contents = [m["content"] for m in requests[-1]["messages"][1:]]
        assert contents == ["warm-up", "Echo: warm-up", "what is 3+3"]
        assert answers(bot)[-1][0].text == "Echo: what is 3+3"
        # The replaced answer stays, marked.
        (mark,) = [e for e in markup_edits(bot) if e.message_id == old_answer.message_id]
        assert mark.reply_markup is not None
        assert mark.reply_markup.inline_keyboard[0][0].text.startswith("↩️")

        # A replayed edit is not answered twice; an edit of an older message is ignored.
        await bot.send(edit, update_id=900, replayed=True)
        older = updates.private_text(USER, "warm-up")
        older["message"]["message_id"] = 1  # not the latest turn
        await bot.send(updates.edited(older))
        assert len(await bot.chat_requests()) == 3

        await bot.send(updates.private_text(USER, "next"))
        contents = [m["content"] for m in (await bot.chat_requests())[-1]["messages"][1:]]
        assert contents[-3:] == ["what is 3+3", "Echo: what is 3+3", "next"]
        assert "what is 2+2" not in str(contents) and "Echo: what is 2+2" not in str(contents)


async def test_a_document_stays_in_context_while_it_fits(tmp_path: Path) -> None:
    key = ConversationKey(USER, USER)
    document = file_block("report.txt", "Quarterly numbers. " * 1600)  # ~30 KB
    async with running_bot(tmp_path) as bot:
        db = await Database.open(tmp_path / "bot.sqlite3")  # the file handler stores it so
        try:
            await MessageRepository(db).append_exchange(
                key, document, "Got the report.", "openai/gpt-4o-mini", None
            )
        finally:
            await db.close()
        for question in ("what is in it?", "and the totals?", "anything else?"):
            await bot.send(updates.private_text(USER, question))
        for request in await bot.chat_requests():
            assert request["messages"][1]["content"] == document
        assert not any("no longer fit" in m.text for m, _ in answers(bot))


async def test_dropped_turns_are_summarised_once_and_recorded_in_the_ledger(
    tmp_path: Path,
) -> None:
    async with running_bot(
        tmp_path, history_max_tokens=500, history_summary=True, summary_model=SUMMARY_MODEL
    ) as bot:
        await chat_rules(bot, {"model": SUMMARY_MODEL, "reply": "They counted to four."})
        for number in range(1, 5):
            await bot.send(updates.private_text(USER, f"turn {number} " + "word " * 120))

        requests = await bot.chat_requests()
        summaries = [r for r in requests if r["model"] == SUMMARY_MODEL]
        chats = [r for r in requests if r["model"] != SUMMARY_MODEL]
        assert len(summaries) == 1, "a stored summary is not made again"
        assert summaries[0]["messages"][0]["content"] == SUMMARY_INSTRUCTION
        assert "turn 1" in summaries[0]["messages"][1]["content"]
        system = with_summary(bot.app.deps.settings.system_prompt, "They counted to four.")
        assert chats[2]["messages"][0]["content"] == system
        assert chats[3]["messages"][0]["content"] == system
        assert "turn 3" in chats[3]["messages"][1]["content"]

        notes = [m.text for m, _ in answers(bot) if "short summary" in str(m.text)]
        assert len(notes) == 1, "told once per conversation"
        report = await bot.app.deps.usage_service.report(USER)
        assert [t.kind for t in report.today.kinds if t.requests] == ["chat", "summary"]
        with sqlite3.connect(tmp_path / "bot.sqlite3") as ledger:
            rows = ledger.execute("SELECT kind, model FROM usage WHERE kind = 'summary'")
            assert list(rows) == [("summary", SUMMARY_MODEL)]


def test_retired_history_settings_get_one_warning(caplog: pytest.LogCaptureFixture) -> None:
    settings = Settings(
        _env_file=None,
        bot_token="1:A",
        polza_api_key="k",
        history_max_turns="20",
        history_max_chars="24000",
    )
    with caplog.at_level(logging.WARNING, logger="bot"):
        warn_about_retired(settings)
    (record,) = caplog.records
    assert "HISTORY_MAX_TURNS and HISTORY_MAX_CHARS are no longer used" in record.message


async def test_history_is_read_only_as_far_as_the_budget_reaches(db: Database) -> None:
    key = ConversationKey(USER, USER)
    messages = MessageRepository(db)
    for number in range(400):
        await messages.append_exchange(key, f"question {number}", f"answer {number}", "m", None)
    answers_repo = AnswerRepository(db)
    pages: list[int] = []
    texts: list[str] = []  # read with the sizes
    loaded: list[int] = []
    read_sizes, read_turns = answers_repo.turn_sizes, answers_repo.turns

    async def sizes(*args: Any, **kwargs: Any) -> list[TurnSize]:
        page = await read_sizes(*args, **kwargs)
        pages.append(len(page))
        texts.extend(size.content for size in page if size.content is not None)
        return page

    async def turns(ids: Sequence[int], **kwargs: Any) -> list[ChatTurn]:
        loaded.extend(ids)
        return await read_turns(ids, **kwargs)

    answers_repo.turn_sizes = sizes  # type: ignore[method-assign]
    answers_repo.turns = turns  # type: ignore[method-assign]
    history = await HistoryReader(answers_repo, image_turns=0).read(key, 100)
    assert history.trimmed
    assert [t.content for t in history.turns][-2:] == ["question 399", "answer 399"]
    assert history.turns[0].role == "user"
    assert len(pages) == 1 and len(history.turns) < 20
    # The texts came with the sizes, no more of them than the allowance can hold.
    assert not loaded and sum(map(len, texts)) <= chars_within(100)

    everything = await HistoryReader(answers_repo, image_turns=0).read(key, 1_000_000)
    assert not everything.trimmed and len(everything.turns) == 800


async def test_a_press_counts_against_the_rate_limit(tmp_path: Path) -> None:
    async with running_bot(tmp_path, rate_limit_per_minute=2) as bot:
        await bot.send(updates.private_text(USER, "one"))
        await bot.send(updates.private_text(USER, "two"))
        method, message = answers(bot)[-1]
        await press(bot, USER, button(method, "🔄"), message)
        assert "Too many requests" in str(answers(bot)[-1][0].text)
        assert len(await bot.chat_requests()) == 2


async def test_the_cost_line_after_an_unclosed_code_block_is_not_code(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        await chat_rules(bot, {"reply": "Try this:\n\n```python\nprint('hi')\nprint('there')"})
        await bot.app.deps.users.ensure(USER, "en")
        await bot.app.deps.usage_service.set_cost_line(USER, True)
        await bot.send(updates.private_text(USER, "code please"))
        ((method, _),) = answers(bot)
        text = str(method.text)
        code = [e for e in method.entities or [] if e.type in ("pre", "code")]
        assert code and "₽" in text
        cost_at = updates.utf16_len(text[: text.index("₽")])
        assert all(e.offset + e.length <= cost_at for e in code)


async def test_a_continuation_is_stored_as_part_of_the_answer(tmp_path: Path) -> None:
    async with running_bot(tmp_path, max_answer_tokens=5) as bot:
        await chat_rules(
            bot,
            {"match": "Continue it exactly", "reply": " and the end."},
            {"match": "story", "reply": "Once upon a time there lived a fox."},
        )
        await bot.send(updates.private_text(USER, "story"))
        method, message = answers(bot)[-1]
        assert str(method.text).startswith("Once upon a time ")
        await press(bot, USER, button(method, "▶️"), message)
        assert answers(bot)[-1][0].text == "and the end."
        await bot.send(updates.private_text(USER, "next"))
        history = [m["content"] for m in (await bot.chat_requests())[-1]["messages"][1:]]
        assert history == ["story", "Once upon a time the and the end.", "next"]


async def test_only_an_edit_that_is_answered_again_counts_against_the_rate_limit(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path, rate_limit_per_minute=2) as bot:
        first = updates.private_text(USER, "first")
        second = updates.private_text(USER, "second")
        await bot.send(first)
        await bot.send(second)
        for typo_fix in ("firsst", "first!"):  # edits of an older message: ignored, free
            edit = updates.edited(first)
            edit["edited_message"]["text"] = typo_fix
            await bot.send(edit)
        assert [m.text for m, _ in answers(bot)] == ["Echo: first", "Echo: second"]
        edit = updates.edited(second)
        edit["edited_message"]["text"] = "second, edited"
        await bot.send(edit)
        assert "Too many requests" in str(answers(bot)[-1][0].text)
        assert len(await bot.chat_requests()) == 2


async def test_an_edit_of_one_piece_of_a_merged_turn_is_ignored(tmp_path: Path) -> None:
    async with running_bot(tmp_path, merge_window_seconds=0.3) as bot:
        first = updates.private_text(USER, "part one")
        await asyncio.gather(bot.send(first), bot.send(updates.private_text(USER, "part two")))
        edit = updates.edited(first)
        edit["edited_message"]["text"] = "part one, fixed"
        await bot.send(edit)
        assert len(await bot.chat_requests()) == 1
