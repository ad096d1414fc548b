"""Replies as context and merged input, as Polza receives them (in-process)."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any, cast

from aiogram.methods import SendChatAction
from aiogram.types import Message

from bot.polling import DurablePolling
from bot.telegram.gathering import Gatherer
from tests.support import updates
from tests.unit.inprocess import Harness, running_bot

USER = 5151
GROUP = -1005151
BOB = 5252
WINDOW = 0.3  # short, so the tests stay fast; the mechanism is the same as with 1 s


def forwarded(text: str, name: str = "Anna Smith") -> dict[str, Any]:
    update = updates.private_text(USER, text)
    origin = {"type": "hidden_user", "date": int(time.time()), "sender_user_name": name}
    update["message"]["forward_origin"] = origin
    return update


def replying(
    update: dict[str, Any], to: dict[str, Any], quote: str | None = None
) -> dict[str, Any]:
    update["message"]["reply_to_message"] = to
    if quote is not None:
        update["message"]["quote"] = {"text": quote, "position": 0, "is_manual": True}
    return update


def addressed(text: str, **kwargs: Any) -> dict[str, Any]:
    full = f"@polza_test_bot {text}"
    entities = updates.mention(full, "polza_test_bot")
    return updates.group_text(GROUP, USER, full, entities=entities, **kwargs)


async def last_user_content(bot: Harness) -> Any:
    return (await bot.chat_requests())[-1]["messages"][-1]["content"]


async def test_a_reply_to_a_forwarded_message_quotes_it_with_its_source(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        forward = forwarded("The launch is at 9.\nBring badges.")
        await bot.send(forward)
        assert await last_user_content(bot) == (
            "[Forwarded from Anna Smith]\nThe launch is at 9.\nBring badges."
        )
        await bot.send(replying(updates.private_text(USER, "what time?"), forward["message"]))
        assert await last_user_content(bot) == (
            "[Quote from a message forwarded from Anna Smith]\n"
            "> The launch is at 9.\n> Bring badges.\n\nwhat time?"
        )


async def test_group_replies_quote_other_people_and_only_the_selected_part(
    tmp_path: Path,
) -> None:
    bobs = updates.group_text(GROUP, BOB, "Line one.\nThe meeting moved to Friday.\nLine three.")
    bobs["message"]["from"]["first_name"] = "Bob"
    async with running_bot(tmp_path) as bot:
        await bot.send(replying(addressed("is that true?"), bobs["message"]))
        assert await last_user_content(bot) == (
            "[Quote from a message by Bob]\n"
            "> Line one.\n> The meeting moved to Friday.\n> Line three.\n\nis that true?"
        )
        partial = replying(addressed("really?"), bobs["message"], "moved to Friday")
        await bot.send(partial)
        assert await last_user_content(bot) == (
            "[Quote from a message by Bob (the part the user selected)]\n"
            "> moved to Friday\n\nreally?"
        )


async def test_long_quotes_are_cut_and_a_reply_to_a_bare_photo_adds_nothing(
    tmp_path: Path,
) -> None:
    long_answer = {**updates.private_text(USER, "word " * 1000)["message"]}
    long_answer["from"] = {"id": 7000001, "is_bot": True, "first_name": "Polza"}
    photo = {**updates.private_text(USER, "x")["message"]}
    del photo["text"]
    photo["photo"] = [{"file_id": "p", "file_unique_id": "u", "width": 1, "height": 1}]
    async with running_bot(tmp_path) as bot:
        await bot.send(replying(updates.private_text(USER, "shorter please"), long_answer))
        content = await last_user_content(bot)
        assert content.startswith("[Quote from your earlier answer]\n> word word")
        assert "> [… quote cut: 2000 more characters left out]\n\nshorter please" in content
        await bot.send(replying(updates.private_text(USER, "nice?"), photo))
        assert await last_user_content(bot) == "nice?"


async def test_forwards_and_the_question_after_them_are_one_turn(tmp_path: Path) -> None:
    # Two requests a minute: the three pieces take one slot, the next message the other.
    async with running_bot(tmp_path, merge_window_seconds=WINDOW, rate_limit_per_minute=2) as bot:
        await asyncio.gather(
            bot.send(forwarded("First forwarded.")),
            bot.send(forwarded("Second forwarded.", name="Boris")),
            bot.send(updates.private_text(USER, "Summarise these")),
        )
        merged = (
            "[Forwarded from Anna Smith]\nFirst forwarded.\n\n"
            "[Forwarded from Boris]\nSecond forwarded.\n\nSummarise these"
        )
        (request,) = await bot.chat_requests()
        assert request["messages"][-1]["content"] == merged
        assert bot.session.sent_texts(USER) == [f"Echo: {merged}"]
        assert any(isinstance(m, SendChatAction) for m in bot.session.requests)
        report = await bot.app.deps.usage_service.report(USER)
        assert report.today.requests == 1
        # The merged text is the stored user turn.
        await bot.send(updates.private_text(USER, "thanks"))
        history = (await bot.chat_requests())[-1]["messages"]
        assert [m["content"] for m in history[1:]] == [merged, f"Echo: {merged}", "thanks"]


async def test_a_command_closes_the_pieces_before_it_and_is_never_merged(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path, merge_window_seconds=WINDOW) as bot:
        await asyncio.gather(
            bot.send(updates.private_text(USER, "part one")),
            bot.send(updates.private_text(USER, "part two")),
            bot.send(updates.private_text(USER, "/help")),
            bot.send(updates.private_text(USER, "after the command")),
        )
        contents = [r["messages"][-1]["content"] for r in await bot.chat_requests()]
        assert contents == ["part one\n\npart two", "after the command"]
        sent = bot.session.sent_texts(USER)
        assert sent[0] == "Echo: part one\n\npart two"
        assert sent[2] == "Echo: after the command"
        assert "/help" not in contents[0] and "/new" in sent[1]


async def test_with_window_zero_every_message_is_answered_on_its_own(tmp_path: Path) -> None:
    async with running_bot(tmp_path, merge_window_seconds=0) as bot:
        await asyncio.gather(*(bot.send(updates.private_text(USER, t)) for t in "abc"))
        contents = [r["messages"][-1]["content"] for r in await bot.chat_requests()]
        assert contents == ["a", "b", "c"]


async def replay(bot: Harness) -> None:
    """What a start does with the inbox: pending updates are handled again."""
    poller = DurablePolling(bot.dispatcher, bot.app.bot, bot.app.inbox)
    stop = asyncio.Event()
    stop.set()
    await poller.run(stop)
    assert await poller.wait_handled(10) == 0


async def test_merged_pieces_are_all_handled_and_a_replay_answers_them_once(
    tmp_path: Path,
) -> None:
    pieces = [updates.private_text(USER, f"piece {n}") for n in (1, 2, 3)]
    rows = [(100 + n, json.dumps({"update_id": 100 + n, **p})) for n, p in enumerate(pieces)]
    merged = "piece 1\n\npiece 2\n\npiece 3"
    async with running_bot(tmp_path, merge_window_seconds=WINDOW) as bot:
        inbox = bot.app.inbox
        await inbox.accept(rows)  # received, then the bot stopped before handling them
        await replay(bot)
        assert await inbox.pending() == []
        assert [r["messages"][-1]["content"] for r in await bot.chat_requests()] == [merged]

        # A crash after the answer was stored but before it was delivered and the pieces
        # were marked handled.
        db = cast(Any, bot.app.inbox)._db
        async with db.transaction() as tx:
            await tx.executemany(
                "UPDATE inbox SET handled = 0, attempts = 1, payload = ? WHERE update_id = ?",
                [(payload, update_id) for update_id, payload in rows],
            )
            await tx.execute(
                "UPDATE messages SET telegram_message_id = NULL WHERE role = 'assistant'"
            )
        await replay(bot)
        assert await inbox.pending() == []
        assert len(await bot.chat_requests()) == 1, "Polza is not asked again"
        assert bot.session.sent_texts(USER) == [f"Echo: {merged}"] * 2, "resent once"


def test_gathering_is_a_debounce_with_caps_on_time_and_pieces() -> None:
    now = [0.0]
    raw = updates.private_text(USER, "x")["message"]
    texts = (Message.model_validate(raw) for _ in iter(int, 1))

    def joins(gatherer: Gatherer[str], moments: list[float], key: str = "a") -> list[bool]:
        """For each arrival after the first: did it join the first one's gathering?"""
        now[0] = 0.0
        first = gatherer.add(key, next(texts))
        joined = []
        for moment in moments:
            now[0] = moment
            joined.append(gatherer.add(key, next(texts)) is first)
        return joined

    # Each piece within a second of the one before joins, until three pieces (max_parts).
    by_parts = Gatherer[str](1.0, max_parts=3, max_seconds=10.0, clock=lambda: now[0])
    assert joins(by_parts, [0.9, 1.8, 2.7]) == [True, True, False]
    # ...or until 2.5 s after the first (max_seconds); a pause past the window ends it too.
    by_time = Gatherer[str](1.0, max_parts=30, max_seconds=2.5, clock=lambda: now[0])
    assert joins(by_time, [0.9, 1.8, 2.5, 2.6]) == [True, True, True, False]
    assert joins(by_time, [0.5, 1.6], key="b") == [True, False]
