"""/video offers and inline mode, in process: parsing, buttons, expiry, the cache, the timeout."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from aiogram.methods import AnswerCallbackQuery, AnswerInlineQuery, EditMessageText, SendMessage
from aiogram.types import (
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
)

from bot.services.video import (
    VideoOptions,
    VideoRequest,
    VideoRequestError,
    parse_video_request,
)
from tests.support import updates
from tests.unit.inprocess import Harness, running_bot

USER = 4201
OTHER = 4202
KLING = VideoOptions(("16:9", "9:16", "1:1"), tuple(range(3, 16)), 5, 2500)


def test_ratio_and_duration_are_read_in_either_order() -> None:
    assert parse_video_request("9:16 5s a cat surfing", KLING) == VideoRequest(
        "a cat surfing", "9:16", 5
    )
    assert parse_video_request("10s 1:1 waves", KLING) == VideoRequest("waves", "1:1", 10)
    assert parse_video_request("a 5s clip of 16:9 things", KLING) == VideoRequest(
        "a 5s clip of 16:9 things", None, 5
    )
    assert parse_video_request("  ", KLING) == VideoRequest("", None, 5)
    with pytest.raises(VideoRequestError) as bad_ratio:
        parse_video_request("4:3 a cat", KLING)
    assert (bad_ratio.value.what, bad_ratio.value.allowed) == ("ratio", ("16:9", "9:16", "1:1"))
    with pytest.raises(VideoRequestError) as bad_length:
        parse_video_request("20s a cat", KLING)
    assert bad_length.value.what == "duration" and "15s" in bad_length.value.allowed


async def _journal(h: Harness) -> list[dict[str, Any]]:
    async with h.http.get(h.polza.make_url("/_test/journal")) as response:
        return list(await response.json())


async def _media_posts(h: Harness) -> list[dict[str, Any]]:
    return [e for e in await _journal(h) if e["method"] == "POST" and e["path"].endswith("/media")]


def _offer(h: Harness) -> tuple[dict[str, Any], list[str]]:
    """The last offer message sent (as Telegram would return it) and its buttons' data."""
    sent = [m for m in h.session.requests if isinstance(m, SendMessage)]
    offer = sent[-1]
    assert isinstance(offer.reply_markup, InlineKeyboardMarkup)
    data = [b.callback_data or "" for row in offer.reply_markup.inline_keyboard for b in row]
    message = {
        "message_id": 999,
        "date": 0,
        "chat": {"id": offer.chat_id, "type": "private"},
        "text": offer.text,
    }
    return message, data


def _callback_answers(h: Harness) -> list[str | None]:
    return [m.text for m in h.session.requests if isinstance(m, AnswerCallbackQuery)]


async def test_video_offer_other_users_button_and_stale_confirm(tmp_path: Path) -> None:
    async with running_bot(tmp_path, video_confirm_seconds=0.3, max_request_cost_rub=50) as h:
        await h.send(updates.private_text(USER, "/video 9:16 5s a cat surfing"))
        text = h.session.sent_texts(USER)[-1]
        assert "kling/v3" in text and "5 s" in text and "9:16" in text
        assert "42.00 ₽" in text  # 8.40 ₽ a second × 5 s, from the catalogue
        message, (confirm, _cancel) = _offer(h)

        await h.send(updates.callback_query(OTHER, confirm, message))
        assert "Only the person who asked" in str(_callback_answers(h)[-1])

        await asyncio.sleep(0.5)  # the offer expires
        await h.send(updates.callback_query(USER, confirm, message))
        assert "expired" in str(_callback_answers(h)[-1])
        assert await _media_posts(h) == []

        await h.send(updates.private_text(USER, "/video 4:3 a cat"))
        assert "can't make a video in 4:3" in h.session.sent_texts(USER)[-1]
        await h.send(updates.private_text(USER, "/video 99s a cat"))
        assert "can't make a 99s video" in h.session.sent_texts(USER)[-1]
        await h.send(updates.private_text(USER, "/video"))
        assert "/video 9:16 5s" in h.session.sent_texts(USER)[-1]  # the help
        # 10 s cost 84 ₽, over MAX_REQUEST_COST_RUB: refused before any price is offered.
        await h.send(updates.private_text(USER, "/video 10s a cat"))
        assert "could cost up to 84.00 ₽" in h.session.sent_texts(USER)[-1]
        assert await _media_posts(h) == []


def _inline_answers(h: Harness) -> list[AnswerInlineQuery]:
    return [m for m in h.session.requests if isinstance(m, AnswerInlineQuery)]


async def test_identical_inline_queries_within_a_minute_cost_one_call(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as h:
        await h.send(updates.inline_query(USER, "What is the capital of France?"))
        await h.send(updates.inline_query(USER, "What  is the capital of France?"))
        first, second = _inline_answers(h)
        assert len(await h.chat_requests()) == 1
        for answer in (first, second):
            (result,) = answer.results
            assert isinstance(result, InlineQueryResultArticle)
            content = result.input_message_content
            assert isinstance(content, InputTextMessageContent)
            assert "Echo: What is the capital of France?" in content.message_text
            assert answer.is_personal is True
        # Another user asking the same is not served someone else's answer.
        await h.send(updates.inline_query(OTHER, "What is the capital of France?"))
        assert len(await h.chat_requests()) == 2
        # Too short: a help result, and no call.
        await h.send(updates.inline_query(USER, "hi"))
        assert _inline_answers(h)[-1].results[0].id == "help"
        assert len(await h.chat_requests()) == 2


async def test_a_slow_inline_answer_offers_the_private_chat(tmp_path: Path) -> None:
    async with running_bot(tmp_path, inline_timeout_seconds=0.3) as h:
        async with h.http.post(
            h.polza.make_url("/_test/chat/rules"),
            json=[{"first_chunk_delay": 2, "times": 1}],
        ) as response:
            assert response.status == 200
        await h.send(updates.inline_query(USER, "Explain relativity"))
        (answer,) = _inline_answers(h)
        assert answer.results == []
        assert answer.button is not None and answer.button.start_parameter
        start = answer.button.start_parameter
        assert start.startswith("ask-")

        await h.send(updates.private_text(USER, f"/start {start}"))
        requests = await h.chat_requests()
        assert requests[-1]["messages"][-1]["content"] == "Explain relativity"
        edits = [
            m.text for m in h.session.requests if isinstance(m, SendMessage | EditMessageText)
        ]
        assert any("Echo: Explain relativity" in str(text) for text in edits)
        # The same button again: the question is no longer waiting.
        await h.send(updates.private_text(USER, f"/start {start}"))
        assert "no longer waiting" in h.session.sent_texts(USER)[-1]


async def test_a_video_model_picked_in_model_is_used_by_video(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as h:
        await h.send(updates.private_text(USER, "/model kling turbo"))
        sent = [m for m in h.session.requests if isinstance(m, SendMessage)][-1]
        assert isinstance(sent.reply_markup, InlineKeyboardMarkup)
        (pick,) = [
            b for row in sent.reply_markup.inline_keyboard for b in row if "Turbo" in b.text
        ]
        assert pick.text.startswith("🎬")  # marked as a video model among the results
        picker = {"message_id": 5, "date": 0, "chat": {"id": USER, "type": "private"}, "text": "x"}
        await h.send(updates.callback_query(USER, pick.callback_data or "", picker))

        await h.send(updates.private_text(USER, "/video 7s waves"))
        assert "can't make a 7s video. Choose one of: 5s 10s" in h.session.sent_texts(USER)[-1]
        await h.send(updates.private_text(USER, "/video waves"))
        offer = h.session.sent_texts(USER)[-1]
        assert "kling/v2.5-turbo" in offer and "21.00 ₽" in offer  # 5 s × 4.20 ₽


async def test_a_clip_past_the_timeout_is_reported_and_still_recorded(tmp_path: Path) -> None:
    settings = {"video_timeout_seconds": 0.5, "video_poll_interval_seconds": 0.05}
    async with running_bot(tmp_path, **settings) as h:
        async with h.http.post(
            h.polza.make_url("/_test/media/rules"), json=[{"mode": "never"}]
        ) as response:
            assert response.status == 200
        await h.send(updates.private_text(USER, "/video 5s a very slow clip"))
        message, (confirm, _) = _offer(h)
        await h.send(updates.callback_query(USER, confirm, message))
        for _ in range(100):
            if any("took too long" in t for t in h.session.sent_texts(USER)):
                break
            await asyncio.sleep(0.05)
        assert any("took too long" in t for t in h.session.sent_texts(USER))
        assert len(await _media_posts(h)) == 1
        report = await h.app.deps.usage_service.report(USER)
        (video,) = [kind for kind in report.today.kinds if kind.kind == "video"]
        assert (video.requests, video.cost_rub, video.approximate) == (1, 42.0, True)
