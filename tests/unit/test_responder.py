"""The responder and the chat service, in process: a turn in, what the user sees and what
the ledger holds out."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from storage import MessageRepository
from tests.support import updates
from tests.unit.inprocess import running_bot

USER = 4242


async def test_a_private_text_is_answered_and_recorded(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        await bot.send(updates.private_text(USER, "Hello there"))
        assert bot.session.sent_texts(USER) == ["Echo: Hello there"]
        (request,) = await bot.chat_requests()
        assert request["messages"][-1] == {"role": "user", "content": "Hello there"}
        assert isinstance(request["max_tokens"], int) and 0 < request["max_tokens"] <= 4096
        report = await bot.app.deps.usage_service.report(USER)
        assert report.today.requests == 1 and report.today.cost_rub > 0


async def test_the_cost_line_follows_the_answer(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        await bot.app.deps.users.ensure(USER, "en")
        await bot.app.deps.usage_service.set_cost_line(USER, True)
        await bot.send(updates.private_text(USER, "How much?"))
        (text,) = bot.session.sent_texts(USER)
        assert text.startswith("Echo: How much?\n\n") and "₽" in text.split("\n\n")[-1]


async def test_an_answer_that_cannot_be_stored_still_arrives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def disk_full(*args: object, **kwargs: object) -> None:
        raise OSError("database or disk is full")

    async with running_bot(tmp_path) as bot:
        monkeypatch.setattr(MessageRepository, "append_exchange", disk_full)
        await bot.send(updates.private_text(USER, "Remember this"))
        (text,) = bot.session.sent_texts(USER)
        assert text.startswith("Echo: Remember this\n\n")
        assert "could not be saved" in text
        report = await bot.app.deps.usage_service.report(USER)
        assert report.today.requests == 1  # the call is still in the ledger


async def test_a_request_over_the_per_request_cap_never_reaches_polza(tmp_path: Path) -> None:
    async with running_bot(tmp_path, max_request_cost_rub=0.000001) as bot:
        await bot.send(updates.private_text(USER, "Something expensive"))
        (text,) = bot.session.sent_texts(USER)
        assert "allowed for one request" in text
        assert await bot.chat_requests() == []
        assert (await bot.app.deps.usage_service.report(USER)).today.requests == 0


async def test_a_replayed_update_gets_its_stored_answer_without_a_second_request(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path) as bot:
        question = updates.private_text(USER, "Answered before the crash")
        await bot.send(question, update_id=77)
        # A crash after storing the answer, before it reached the chat: no message attached.
        with sqlite3.connect(tmp_path / "bot.sqlite3") as conn:
            conn.execute("UPDATE messages SET telegram_message_id = NULL WHERE role = 'assistant'")
        await bot.send(question, update_id=77, replayed=True)  # handled again after a restart
        assert bot.session.sent_texts(USER) == ["Echo: Answered before the crash"] * 2
        assert len(await bot.chat_requests()) == 1
        report = await bot.app.deps.usage_service.report(USER)
        assert report.today.requests == 1
    with sqlite3.connect(tmp_path / "bot.sqlite3") as conn:
        stored = conn.execute("SELECT role FROM messages ORDER BY id").fetchall()
    assert stored == [("user",), ("assistant",)]  # the exchange is stored exactly once


async def test_a_replayed_update_whose_answer_was_delivered_is_not_sent_again(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path) as bot:
        question = updates.private_text(USER, "Delivered before the crash")
        await bot.send(question, update_id=78)
        # Killed after delivering, before the update was marked handled: replayed.
        await bot.send(question, update_id=78, replayed=True)
        assert bot.session.sent_texts(USER) == ["Echo: Delivered before the crash"]
        assert len(await bot.chat_requests()) == 1
