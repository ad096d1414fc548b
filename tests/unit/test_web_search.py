"""Web search: /search, the stored on/off choice, and the sources under the answer."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from aiogram.methods import EditMessageText, SendMessage

from bot.services.catalogue import parse_model
from bot.services.citations import Citation, Sources, read_annotations
from bot.services.metering import WEB_SEARCH_RESERVE_RUB, chat_ceiling
from tests.fakes.polza_catalogue import default_catalogue
from tests.support import updates
from tests.unit.inprocess import Harness, running_bot

USER = 5151
GROUP = -100777


def citation(url: str, title: str = "T") -> dict[str, Any]:
    return {"type": "url_citation", "url_citation": {"url": url, "title": title}}


async def rules(bot: Harness, *specs: dict[str, Any]) -> None:
    url = bot.polza.make_url("/_test/chat/rules")
    async with bot.http.post(url, json=list(specs)) as response:
        assert response.status == 200, await response.text()


def final_answer(bot: Harness, chat_id: int) -> SendMessage | EditMessageText:
    finals = [
        m
        for m in bot.session.requests
        if isinstance(m, SendMessage | EditMessageText)
        and m.chat_id == chat_id
        # Not a preview: those carry the Stop button; the final one carries the answer's own.
        and (m.reply_markup is None or '"stop:' not in m.reply_markup.model_dump_json())
    ]
    return finals[-1]


def links(message: SendMessage | EditMessageText) -> list[tuple[str, str]]:
    text = str(message.text)
    encoded = text.encode("utf-16-le")
    found = []
    for entity in message.entities or []:
        if entity.type == "text_link":
            start, end = entity.offset * 2, (entity.offset + entity.length) * 2
            found.append((encoded[start:end].decode("utf-16-le"), str(entity.url)))
    return found


def test_annotations_are_read_in_both_shapes_and_junk_is_skipped() -> None:
    raw = [
        citation("https://a.example/x", "  A   title "),
        {"type": "url_citation", "url": "https://b.example/", "title": ""},  # flat shape
        citation("javascript:alert(1)"),
        citation("ftp://files.example/"),
        {"type": "file_citation", "file_citation": {"file_id": "f"}},
        citation("https://c.example/" + "x" * 3000),
        "nonsense",
    ]
    assert read_annotations(raw) == [
        Citation("https://a.example/x", "A title"),
        Citation("https://b.example/", "b.example"),  # no title: the host
    ]
    assert read_annotations(None) == []


def test_sources_merge_duplicates_and_keep_at_most_five() -> None:
    sources = Sources()
    sources.add(read_annotations([citation(f"https://s{n}.example/page") for n in (1, 2)]))
    sources.add(
        read_annotations(
            [
                citation("https://S1.example/page/"),  # the same page again
                citation("https://s2.example/page#part"),
                *(citation(f"https://s{n}.example/page") for n in range(3, 9)),
            ]
        )
    )
    assert [c.url for c in sources.items] == [f"https://s{n}.example/page" for n in range(1, 6)]


def test_the_ceiling_includes_the_search() -> None:
    catalogue = {m["id"]: parse_model(m) for m in default_catalogue()}
    grok, mini = catalogue["x-ai/grok-4"], catalogue["openai/gpt-4o-mini"]
    assert grok is not None and mini is not None
    base = chat_ceiling(grok, prompt_tokens=100, max_tokens=100)
    searched = chat_ceiling(grok, prompt_tokens=100, max_tokens=100, web_search=True)
    assert base is not None and searched is not None
    assert searched - base == grok.pricing.web_search_per_thousand / 1000  # type: ignore[operator]
    plain = chat_ceiling(mini, prompt_tokens=100, max_tokens=100)
    reserved = chat_ceiling(mini, prompt_tokens=100, max_tokens=100, web_search=True)
    assert plain is not None and reserved == plain + WEB_SEARCH_RESERVE_RUB


async def test_search_sends_the_plugin_and_lists_the_sources_as_links(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        await bot.app.deps.users.ensure(USER, "en")
        await bot.app.deps.usage_service.set_cost_line(USER, True)
        await bot.send(updates.private_text(USER, "/search who won the race"))
        (request,) = await bot.chat_requests()
        assert request["plugins"] == [{"id": "web"}]
        assert request["messages"][-1]["content"] == "who won the race"
        answer = final_answer(bot, USER)
        assert str(answer.text).startswith("Echo: who won the race\n\n🔎 Sources:\n1. ")
        assert "₽" in str(answer.text).split("\n\n")[-1]  # the cost line comes last
        assert links(answer) == [
            (f"Source {n}: who won the race", f"https://source{n}.example.com/who-won-the-race")
            for n in (1, 2, 3)
        ]
        # The next plain message goes without search: /search <question> is for one question.
        await bot.send(updates.private_text(USER, "thanks"))
        assert "plugins" not in (await bot.chat_requests())[-1]
        assert links(final_answer(bot, USER)) == []
    with sqlite3.connect(tmp_path / "bot.sqlite3") as conn:
        searches = conn.execute("SELECT web_search_requests FROM usage ORDER BY id").fetchall()
    assert searches == [(1,), (None,)]


async def test_sources_only_in_the_final_chunk_also_appear_after_a_code_block(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path) as bot:
        await rules(
            bot,
            {
                "annotations": "final",
                "reply": "Here:\n```python\nprint(1)",  # the model left the block open
                "sources": [
                    {"url": "https://docs.example/a", "title": "Docs [A]"},
                    {"url": "https://docs.example/a/", "title": "Same page"},
                    {"url": "http://old.example/b", "title": "Old B"},
                ],
            },
        )
        await bot.send(updates.private_text(USER, "/search print in python"))
        answer = final_answer(bot, USER)
        assert links(answer) == [
            ("Docs [A]", "https://docs.example/a"),
            ("Old B", "http://old.example/b"),
        ]
        code = [e for e in answer.entities or [] if e.type == "pre"]
        sources_at = str(answer.text).index("🔎")
        assert code and all(e.offset + e.length <= sources_at for e in code)


async def test_search_on_and_off_are_stored_per_user(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        await bot.send(updates.private_text(USER, "/search on"))
        assert "Web search is on" in bot.session.sent_texts(USER)[-1]
        assert await bot.chat_requests() == []  # switching costs nothing
        await bot.send(updates.private_text(USER, "latest news"))
        assert (await bot.chat_requests())[-1]["plugins"] == [{"id": "web"}]
        assert len(links(final_answer(bot, USER))) == 3
        await bot.send(updates.private_text(USER, "/search"))
        status = [m for m in bot.session.requests if isinstance(m, SendMessage)][-1]
        assert "Web search</b> is on" in str(status.text)
        assert status.reply_markup is not None
        await bot.send(updates.private_text(USER, "/search off"))
        await bot.send(updates.private_text(USER, "older news"))
        assert "plugins" not in (await bot.chat_requests())[-1]
        record = await bot.app.deps.users.get(USER)
        assert record is not None and record.web_search is False


async def test_in_a_group_search_works_for_the_addressed_user(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        await bot.send(updates.group_text(GROUP, USER, "/search@polza_test_bot on"))
        text = "@polza_test_bot what is new"
        mention = updates.mention(text, "polza_test_bot")
        await bot.send(updates.group_text(GROUP, USER, text, entities=mention))
        assert (await bot.chat_requests())[-1]["plugins"] == [{"id": "web"}]
        assert len(links(final_answer(bot, GROUP))) == 3
        other = await bot.app.deps.users.get(USER + 1)
        assert other is None or other.web_search is False
