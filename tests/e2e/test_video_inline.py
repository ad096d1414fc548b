"""/video and inline mode end to end: the real bot against the fake Telegram and Polza."""

from __future__ import annotations

import base64
import hashlib
import io
import sqlite3
import time
from typing import Any

from PIL import Image

from tests.e2e.conftest import BotHarness
from tests.support import media, updates
from tests.support.http import request_bytes, request_json
from tests.support.processes import wait_until

USER = 7107
STRANGER = 7108
KLING = "kling/v3"


def media_posts(bot: BotHarness) -> list[dict[str, Any]]:
    return [
        e for e in bot.polza.journal() if e["method"] == "POST" and e["path"].endswith("/media")
    ]


def offer(bot: BotHarness, price: str) -> tuple[dict[str, Any], dict[str, str]]:
    """The offer showing `price`, and its buttons' data by label."""

    def shown() -> dict[str, Any] | None:
        texts = (m for m in bot.telegram.messages(USER) if "reply_markup" in m)
        return next(
            (m for m in texts if "Estimated price" in m["text"] and price in m["text"]), None
        )

    try:
        message = wait_until(shown, 20, what=f"an offer of {price}")
    except AssertionError:
        raise AssertionError(str(bot.telegram.messages(USER))) from None
    rows = message["reply_markup"]["inline_keyboard"]
    return message, {b["text"]: b["callback_data"] for row in rows for b in row}


def photo_update(bot: BotHarness, data: bytes, caption: str) -> dict[str, Any]:
    file = media.upload(bot.telegram, data, f"photos/{time.monotonic_ns()}.jpg")
    return {
        "message": {
            "message_id": int(time.time() * 1000) % 1_000_000_000,
            "date": int(time.time()),
            "chat": updates.private_chat(USER),
            "from": updates.user(USER),
            "photo": media.photo_sizes(file),
            "caption": caption,
        }
    }


def test_video_is_priced_first_and_made_only_on_confirm(bot: BotHarness) -> None:
    bot.start(VIDEO_POLL_INTERVAL_SECONDS="0.1", STATUS_DELAY_SECONDS="0")
    bot.telegram.inject(updates.private_text(USER, "/video 9:16 5s a cat surfing"))
    message, buttons = offer(bot, "42.00 ₽")
    assert "kling/v3" in message["text"] and "9:16" in message["text"]
    assert list(buttons) == ["✅ Confirm", "✖️ Cancel"]
    bot.telegram.inject(updates.callback_query(USER, buttons["✖️ Cancel"], message))
    wait_until(
        lambda: any("Cancelled" in m.get("text", "") for m in bot.telegram.messages(USER)),
        20,
        what="the offer to say it was cancelled",
    )
    assert media_posts(bot) == []

    # A photo with the caption /video: the photo is the first frame of the clip.
    photo = media.jpeg("blue")
    bot.telegram.inject(photo_update(bot, photo, "/video 10s the sea comes alive"))
    message, buttons = offer(bot, "84.00 ₽")  # 10 s × 8.40 ₽
    assert media_posts(bot) == []  # nothing is created before Confirm
    request_json("POST", f"{bot.polza.url}/_test/media/rules", [{"polls_before_done": 8}])
    bot.telegram.inject(updates.callback_query(USER, buttons["✅ Confirm"], message))

    (sent,) = wait_until(lambda: bot.telegram.calls("sendVideo", USER) or None, 30, what="video")
    (post,) = media_posts(bot)
    body = post["json"]
    assert body["model"] == KLING and body["user"] == str(USER)
    assert body["input"]["prompt"] == "the sea comes alive"
    assert body["input"]["duration"] == 10
    (frame,) = body["input"]["images"]
    assert frame["type"] == "base64"
    picture = Image.open(io.BytesIO(base64.b64decode(frame["data"])))
    assert picture.format == "JPEG" and picture.size == (64, 48)
    red, green, blue = picture.convert("RGB").getpixel((32, 24))  # type: ignore[misc]
    assert blue > 200 and red < 60 and green < 60

    task_id = next(e for e in bot.polza.journal() if "/media/" in e["path"])["path"].rsplit("/")[
        -1
    ]
    served = request_bytes(f"{bot.polza.url}/files/{task_id}.mp4")
    upload = sent["params"]["video"]
    assert upload["sha256"] == hashlib.sha256(served).hexdigest()
    assert bot.telegram.file_bytes(upload["file_id"]) == served
    assert sent["params"]["caption"] == "the sea comes alive"
    # While it was made, one status message said so; it made way for the clip.
    (status,) = [
        c for c in bot.telegram.calls("sendMessage", USER) if "Filming" in c["params"]["text"]
    ]
    assert status["params"]["text"].startswith("🎬 Filming… 0:0")
    (deleted,) = bot.telegram.calls("deleteMessage", USER)
    assert status["seq"] < deleted["seq"] < sent["seq"]
    with sqlite3.connect(bot.database) as db:
        rows = db.execute(
            "SELECT user_id, model, cost_rub, estimated FROM usage WHERE kind = 'video'"
        ).fetchall()
    assert rows == [(USER, KLING, 84.0, 0)]
    # The confirmed offer is spent: pressing Confirm again creates nothing.
    bot.telegram.inject(updates.callback_query(USER, buttons["✅ Confirm"], message))
    wait_until(
        lambda: len(bot.telegram.calls("answerCallbackQuery")) >= 3, 20, what="the stale press"
    )
    assert len(media_posts(bot)) == 1


def inline_answers(bot: BotHarness) -> list[dict[str, Any]]:
    return bot.telegram.calls("answerInlineQuery")


def test_inline_answers_allowed_users_and_nobody_else(bot: BotHarness) -> None:
    bot.invite_only().start(ALLOWED_USER_IDS=str(USER))
    assert "inline_query" in bot.telegram.state()["allowed_updates"]
    bot.telegram.inject(updates.inline_query(USER, "Name a colour"))
    (answer,) = wait_until(lambda: inline_answers(bot) or None, 20, what="an inline answer")
    (result,) = answer["params"]["results"]
    assert result["type"] == "article"
    assert result["input_message_content"]["message_text"] == "Echo: Name a colour"
    assert len(bot.polza.chat_requests()) == 1

    bot.telegram.inject(updates.inline_query(STRANGER, "Name a colour please"))
    wait_until(lambda: len(inline_answers(bot)) == 2, 20, what="the stranger's inline answer")
    assert inline_answers(bot)[1]["params"]["results"] == []
    assert len(bot.polza.chat_requests()) == 1  # no Polza call for a refused user


def test_a_clip_interrupted_by_a_restart_is_sent_after_it(bot: BotHarness) -> None:
    bot.start(VIDEO_POLL_INTERVAL_SECONDS="0.2", SHUTDOWN_GRACE_SECONDS="0.5")
    request_json("POST", f"{bot.polza.url}/_test/media/rules", [{"polls_before_done": 12}])
    bot.telegram.inject(updates.private_text(USER, "/video 5s a slow sunrise"))
    message, buttons = offer(bot, "42.00 ₽")
    bot.telegram.inject(updates.callback_query(USER, buttons["✅ Confirm"], message))
    wait_until(lambda: any("/media/" in e["path"] for e in bot.polza.journal()), 20, what="a poll")

    bot.restart()
    assert any("still being made" in text for text in bot.telegram.sent_texts(USER))
    (sent,) = wait_until(lambda: bot.telegram.calls("sendVideo", USER) or None, 30, what="video")
    assert sent["params"]["caption"] == "a slow sunrise"
    assert len(media_posts(bot)) == 1  # polled again, never created again
    with sqlite3.connect(bot.database) as db:
        rows = db.execute("SELECT user_id, model, cost_rub FROM usage WHERE kind = 'video'")
        assert rows.fetchall() == [(USER, KLING, 42.0)]  # recorded once, at the estimate

    def forgotten() -> bool:
        with sqlite3.connect(bot.database) as db:
            return bool(db.execute("SELECT COUNT(*) FROM video_jobs").fetchone() == (0,))

    wait_until(forgotten, 10, what="the delivered job to be forgotten")
