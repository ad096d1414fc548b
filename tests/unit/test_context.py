"""Fitting history into the model's context window, and the images that history keeps."""

from __future__ import annotations

import base64
import math
from typing import Any

from bot.services.context import (
    CHARS_PER_TOKEN,
    IMAGE_TOKENS,
    Overflow,
    PreparedRequest,
    context_budget,
    estimate_message_tokens,
    message_content,
    prepare_request,
    request_chars,
)
from storage import ChatTurn, ConversationKey, Database, ImageData, MessageRepository

PHOTO = ImageData("image/jpeg", b"\xff\xd8\xff\xe0 fake jpeg")
KEY = ConversationKey(chat_id=1, user_id=1)


def exchange(i: int, size: int = 700) -> list[ChatTurn]:
    return [ChatTurn("user", f"q{i} " + "x" * size), ChatTurn("assistant", f"a{i} " + "y" * size)]


def prepared(result: PreparedRequest | Overflow) -> PreparedRequest:
    assert isinstance(result, PreparedRequest), result
    return result


def test_estimate_is_chars_over_3_5_plus_overhead_and_images() -> None:
    assert estimate_message_tokens("") == 4
    assert estimate_message_tokens("x" * 35) == 4 + 10
    assert estimate_message_tokens("x" * 36) == 4 + 11
    assert estimate_message_tokens("hi", images=2) == 4 + 1 + 2 * IMAGE_TOKENS


def test_budget_leaves_room_for_the_answer() -> None:
    assert context_budget(4096, 1024).prompt_tokens == 3072
    # Unknown model: a safe default window and reserve.
    assert context_budget(None).context_tokens == 8192
    assert context_budget(None).answer_reserve == 2048
    # An output cap as big as the window is capped, so the conversation still fits.
    big = context_budget(128_000, 128_000)
    assert big.answer_reserve == 4096
    assert context_budget(2000, 2000).answer_reserve == 1000
    # The configured answer cap wins over the model's own.
    assert context_budget(128_000, 16_384, max_answer_tokens=500).answer_reserve == 500


def test_newest_turns_that_fit_are_kept_and_trimming_is_reported() -> None:
    history = [turn for i in range(20) for turn in exchange(i)]
    budget = context_budget(4096, 1024)
    result = prepared(prepare_request("sys", history, "latest", budget=budget))
    messages = result.messages
    assert result.trimmed
    assert messages[0] == {"role": "system", "content": "sys"}
    assert messages[1]["role"] == "user", "context must not start with an orphaned answer"
    assert messages[-1] == {"role": "user", "content": "latest"}
    assert messages[-2]["content"].startswith("a19")
    estimated = sum(estimate_message_tokens(m["content"]) for m in messages)
    assert estimated <= budget.prompt_tokens
    # The fake Polza's stricter check (chars / 4) is met with room to spare.
    assert sum(len(m["content"]) for m in messages) / 4 < 4096


def test_history_that_fits_is_not_reported_as_trimmed() -> None:
    history = exchange(0) + exchange(1)
    result = prepared(prepare_request("sys", history, "q", budget=context_budget(128_000)))
    assert not result.trimmed
    assert len(result.messages) == 6


def test_a_message_too_long_for_the_model_is_an_overflow() -> None:
    result = prepare_request("sys", [], "z" * 20_000, budget=context_budget(4096, 1024))
    assert isinstance(result, Overflow)
    assert result.limit == 3072 and result.tokens > 5000


def test_images_become_content_parts_and_count_towards_the_budget() -> None:
    history = [
        ChatTurn("user", "[image]\nold photo", images=(PHOTO,)),
        ChatTurn("assistant", "a cat"),
    ]
    result = prepared(prepare_request("sys", history, "[image]\nand this?", images=[PHOTO, PHOTO]))
    uri = "data:image/jpeg;base64," + base64.b64encode(PHOTO.data).decode()
    assert result.has_images
    assert result.messages[1]["content"] == [
        {"type": "text", "text": "[image]\nold photo"},
        {"type": "image_url", "image_url": {"url": uri}},
    ]
    text, *images = result.messages[-1]["content"]
    assert text == {"type": "text", "text": "[image]\nand this?"}
    assert images == [{"type": "image_url", "image_url": {"url": uri}}] * 2

    # Without room for the old image, the turn goes (images are not split off).
    tight = context_budget(IMAGE_TOKENS + 500, 100)
    result = prepared(prepare_request("sys", history, "[image]\nq", images=[PHOTO], budget=tight))
    assert result.trimmed and len(result.messages) == 2

    # A model that cannot see images gets the turn's text only.
    result = prepared(prepare_request("sys", history, "q", history_images=False))
    assert result.messages[1]["content"] == "[image]\nold photo"
    assert not result.has_images


async def test_only_the_newest_image_turns_keep_their_images(db: Database) -> None:
    messages = MessageRepository(db)
    other = ConversationKey(chat_id=2, user_id=2)
    await messages.append_exchange(
        other, "[image]", "theirs", "m", None, images=[PHOTO], keep_image_turns=2
    )
    for i in range(4):
        photo = ImageData("image/png", f"png {i}".encode())
        await messages.append_exchange(
            KEY, f"[image] {i}", f"answer {i}", "m", None, images=[photo], keep_image_turns=2
        )
        await messages.append_exchange(KEY, f"text {i}", f"reply {i}", "m", None)

    turns = await messages.recent(KEY, 100, image_turns=2)
    with_images = [(t.content, [i.data for i in t.images]) for t in turns if t.images]
    assert with_images == [("[image] 2", [b"png 2"]), ("[image] 3", [b"png 3"])]
    assert [t.content for t in turns][:2] == ["[image] 0", "answer 0"], "text stays"
    # Loading fewer than are stored, or none at all.
    assert [t.content for t in await messages.recent(KEY, 100, image_turns=1) if t.images] == [
        "[image] 3"
    ]
    assert not any(t.images for t in await messages.recent(KEY, 100))
    # Storage is bounded: older images are deleted, not just skipped; others' are untouched.
    row = await db.fetch_one("SELECT COUNT(*) FROM message_images")
    assert row is not None and row[0] == 3
    assert (await messages.recent(other, 10, image_turns=2))[0].images == (PHOTO,)


async def test_new_forgets_images_and_the_trim_notice(db: Database) -> None:
    messages = MessageRepository(db)
    await messages.append_exchange(
        KEY, "[image]", "a", "m", None, images=[PHOTO], keep_image_turns=2
    )
    assert not await messages.trim_notice_sent(KEY)
    await messages.mark_trim_notice_sent(KEY)
    await messages.mark_trim_notice_sent(KEY)
    assert await messages.trim_notice_sent(KEY)
    assert not await messages.trim_notice_sent(ConversationKey(chat_id=1, user_id=1, thread_id=5))

    assert await messages.clear(KEY) == 2
    assert not await messages.trim_notice_sent(KEY)
    row = await db.fetch_one("SELECT COUNT(*) FROM message_images")
    assert row is not None and row[0] == 0


def test_request_chars_count_images_as_tokens_not_as_their_base64() -> None:
    big = ImageData("image/jpeg", b"\xff" * 300_000)
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": "sys"},
        {"role": "user", "content": message_content("look", [big])},
    ]
    assert request_chars(messages) == 3 + 4 + math.ceil(IMAGE_TOKENS * CHARS_PER_TOKEN)
