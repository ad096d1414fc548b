"""Photos, albums, text files, context trimming and reasoning models, end to end."""

from __future__ import annotations

import base64
import io
import sqlite3
import time
from typing import Any

from PIL import Image

from tests.e2e.conftest import BotHarness
from tests.support import media, updates
from tests.support.http import request_json
from tests.support.processes import wait_until

USER = 8008
OTHER = 8009
SHORT_CONTEXT_MODEL = "mistralai/mistral-7b-instruct-v0.1"  # 4096 tokens, 1024 for the answer


def message(user_id: int, **fields: Any) -> dict[str, Any]:
    return {
        "message": {
            "message_id": int(time.time() * 1000) % 1_000_000_000,
            "date": int(time.time()),
            "chat": updates.private_chat(user_id),
            "from": updates.user(user_id),
            **fields,
        }
    }


def photo_message(
    bot: BotHarness, user_id: int, data: bytes, caption: str | None = None, **fields: Any
) -> dict[str, Any]:
    file = media.upload(bot.telegram, data, f"photos/{time.monotonic_ns()}.jpg")
    extra = {"caption": caption} if caption else {}
    return message(user_id, photo=media.photo_sizes(file), **extra, **fields)


def document_message(
    bot: BotHarness, user_id: int, data: bytes, name: str, mime: str, caption: str = ""
) -> dict[str, Any]:
    file = media.upload(bot.telegram, data, f"documents/{name}")
    document = {
        "file_id": file["file_id"],
        "file_unique_id": file["file_unique_id"],
        "file_name": name,
        "mime_type": mime,
        "file_size": file["file_size"],
    }
    return message(user_id, document=document, **({"caption": caption} if caption else {}))


def picture(url: str) -> Image.Image:
    """The picture in a data URI the model received; it must be a JPEG (re-encoded)."""
    assert url.startswith("data:image/jpeg;base64,"), url[:40]
    image = Image.open(io.BytesIO(base64.b64decode(url.partition(",")[2])))
    assert image.format == "JPEG"
    return image


def same_pictures(urls: list[str], originals: list[bytes]) -> bool:
    """Each URL holds its original re-encoded: same size, about the same colours."""
    if len(urls) != len(originals):
        return False
    for url, original in zip(urls, originals, strict=True):
        seen, source = picture(url).convert("RGB"), Image.open(io.BytesIO(original)).convert("RGB")
        if seen.size != source.size:
            return False
        middle = (seen.width // 2, seen.height // 2)
        pixel, expected = seen.getpixel(middle), source.getpixel(middle)
        assert isinstance(pixel, tuple) and isinstance(expected, tuple)
        if any(abs(a - b) > 12 for a, b in zip(pixel, expected, strict=True)):
            return False
    return True


def image_urls(content: Any) -> list[str]:
    if isinstance(content, str):
        return []
    return [part["image_url"]["url"] for part in content if part["type"] == "image_url"]


def text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    return "\n".join(part["text"] for part in content if part["type"] == "text")


def buttons(sent: dict[str, Any]) -> list[dict[str, Any]]:
    markup = sent.get("reply_markup") or {}
    return [button for row in markup.get("inline_keyboard", []) for button in row]


def stored_images(bot: BotHarness) -> int:
    with sqlite3.connect(bot.database) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM message_images").fetchone()[0])


def test_photos_reach_the_model_and_history_keeps_only_the_newest_images(
    bot: BotHarness,
) -> None:
    red, blue = media.jpeg("red"), media.jpeg("blue")
    bot.start(HISTORY_IMAGE_TURNS="1")
    bot.telegram.inject(photo_message(bot, USER, red, "What colour is this?"))
    bot.telegram.wait_for_messages(USER, 1)
    (first,) = bot.polza.chat_requests()
    sent = first["messages"][-1]
    assert sent["role"] == "user"
    assert sent["content"][0] == {"type": "text", "text": "[image]\n\nWhat colour is this?"}
    assert same_pictures(image_urls(sent["content"]), [red])
    fetched = [call["params"]["file_id"] for call in bot.telegram.calls("getFile")]
    assert len(fetched) == 1 and not fetched[0].endswith(("-s", "-x")), "largest usable size"

    bot.telegram.inject(photo_message(bot, USER, blue))  # no caption
    bot.telegram.wait_for_messages(USER, 2)
    bot.telegram.inject(updates.private_text(USER, "Which one was brighter?"))
    bot.telegram.wait_for_messages(USER, 3)

    history = bot.polza.chat_requests()[2]["messages"]
    assert [m["role"] for m in history] == ["system", *["user", "assistant"] * 2, "user"]
    assert history[1]["content"] == "[image]\n\nWhat colour is this?", "older image: text only"
    assert same_pictures(image_urls(history[3]["content"]), [blue])
    assert text_of(history[3]["content"]) == "[image]"
    assert stored_images(bot) == 1


def test_an_album_is_one_request_and_a_text_after_it_waits_its_turn(bot: BotHarness) -> None:
    colours = ["red", "green", "blue"]
    pictures = [media.jpeg(colour) for colour in colours]
    bot.start()
    parts = [
        photo_message(bot, USER, data, "Compare these" if index == 0 else None)
        for index, data in enumerate(pictures)
    ]
    for index, part in enumerate(parts):
        part["message"]["message_id"] = 500 + index
        part["message"]["media_group_id"] = "album-1"
    text = updates.private_text(USER, "And one more question")
    request_json("POST", f"{bot.telegram.url}/_test/update", [*parts, text])

    answers = bot.telegram.wait_for_messages(USER, 2)
    time.sleep(1.0)
    assert len(bot.telegram.sent_texts(USER)) == 2, "one answer for the album, one for the text"
    album_request, text_request = bot.polza.chat_requests()
    last = album_request["messages"][-1]["content"]
    assert text_of(last) == "[3 images]\n\nCompare these"
    assert same_pictures(image_urls(last), pictures)
    assert answers[0].startswith("Echo: [3 images]")
    assert text_request["messages"][-1] == {"role": "user", "content": "And one more question"}
    assert text_of(text_request["messages"][1]["content"]) == "[3 images]\n\nCompare these"


def test_a_model_without_vision_offers_a_switch_that_answers_the_photo(bot: BotHarness) -> None:
    photo = media.jpeg("yellow")
    bot.start(DEFAULT_CHAT_MODEL="openai/gpt-3.5-turbo")
    bot.telegram.inject(photo_message(bot, USER, photo, "What is this?"))
    bot.telegram.wait_for_messages(USER, 1)
    offer = bot.telegram.calls("sendMessage", USER)[0]["result"]
    assert "openai/gpt-3.5-turbo" in offer["text"] and "can't see images" in offer["text"]
    (switch,) = buttons(offer)
    assert bot.polza.chat_requests() == [], "nothing is sent to a model that cannot see"

    bot.telegram.press(USER, offer, switch["callback_data"])
    bot.telegram.wait_for_messages(USER, 2)
    (request,) = bot.polza.chat_requests()
    assert request["model"] == "openai/gpt-4o-mini"
    assert same_pictures(image_urls(request["messages"][-1]["content"]), [photo])
    edited = bot.telegram.messages(USER)[0]
    assert "now <code>openai/gpt-4o-mini</code>" in edited["text"] and not buttons(edited)

    bot.telegram.inject(updates.private_text(USER, "thanks"))
    bot.telegram.wait_for_messages(USER, 3)
    assert bot.polza.chat_requests()[-1]["model"] == "openai/gpt-4o-mini", "the switch stays"

    # After a restart the waiting photo is gone: the switch still works, and asks to resend.
    bot.telegram.inject(photo_message(bot, OTHER, photo, "And this?"))
    bot.telegram.wait_for_messages(OTHER, 1)
    offer = bot.telegram.calls("sendMessage", OTHER)[0]["result"]
    bot.restart()
    bot.telegram.press(OTHER, offer, buttons(offer)[0]["callback_data"])
    wait_until(
        lambda: "send the picture again" in bot.telegram.messages(OTHER)[0]["text"],
        what="the resend request",
    )
    assert len(bot.polza.chat_requests()) == 2


def test_files_text_is_read_pictures_are_seen_and_other_files_declined(bot: BotHarness) -> None:
    source = "def add(a, b):\n    # Сложить два числа\n    return a + b\n"
    bot.start()
    bot.telegram.inject(
        document_message(
            bot, USER, b"\xef\xbb\xbf" + source.encode(), "calc.py", "text/x-python", "Explain"
        )
    )
    bot.telegram.wait_for_messages(USER, 1)
    (request,) = bot.polza.chat_requests()
    assert (
        request["messages"][-1]["content"]
        == f"File: calc.py\n```\n{source.rstrip()}\n```\n\nExplain"
    )

    bot.telegram.inject(
        document_message(bot, USER, b"PK\x03\x04\x00\x00binary", "data.zip", "application/zip")
    )
    assert "can't read this kind of file" in bot.telegram.wait_for_messages(USER, 2)[1]
    bot.telegram.inject(
        document_message(bot, USER, b"MZ\x90\x00\x03\x00", "notes.txt", "text/plain")
    )
    assert "doesn't look like text" in bot.telegram.wait_for_messages(USER, 3)[2]

    png = media.jpeg("white")
    bot.telegram.inject(document_message(bot, USER, png, "scan.jpg", "image/jpeg", "Read it"))
    bot.telegram.wait_for_messages(USER, 4)
    assert len(bot.polza.chat_requests()) == 2
    sent = bot.polza.chat_requests()[1]["messages"][-1]["content"]
    assert same_pictures(image_urls(sent), [png])


def test_pictures_are_re_encoded_and_non_pictures_never_reach_polza(bot: BotHarness) -> None:
    # A 3000 x 2000 PNG of noise (several MB) sent as a file, rotated by its EXIF tag.
    noise = Image.effect_noise((3000, 2000), 64).convert("RGB")
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° clockwise to show
    out = io.BytesIO()
    noise.save(out, "PNG", exif=exif)
    large = out.getvalue()
    assert len(large) > 4_000_000
    bot.start()
    bot.telegram.inject(document_message(bot, USER, large, "scan.png", "image/png", "Look"))
    bot.telegram.wait_for_messages(USER, 1)
    (request,) = bot.polza.chat_requests()
    (url,) = image_urls(request["messages"][-1]["content"])
    seen = picture(url)
    width, height = seen.size
    assert height == 2048 and 1364 <= width <= 1366, "long side 2048 px, EXIF rotation applied"
    assert len(base64.b64decode(url.partition(",")[2])) < len(large) // 2

    fake = b"\x89PNG\r\n\x1a\n but really just text, not a picture at all"
    bot.telegram.inject(document_message(bot, USER, fake, "fake.png", "image/png", "What?"))
    refusal = bot.telegram.wait_for_messages(USER, 2)[1]
    assert "fake.png" in refusal and "isn't a picture" in refusal
    assert len(bot.polza.chat_requests()) == 1
    with sqlite3.connect(bot.database) as conn:
        (stored,) = [row[0] for row in conn.execute("SELECT data FROM message_images")]
    assert Image.open(io.BytesIO(stored)).size == seen.size, "only the re-encoded bytes"


def test_attached_text_is_capped_per_request(bot: BotHarness) -> None:
    bot.start(MAX_ATTACHED_TEXT_CHARS="1500")
    parts = [
        document_message(bot, USER, (letter * 1000).encode(), f"{letter}.txt", "text/plain")
        for letter in "ab"
    ]
    for index, part in enumerate(parts):
        part["message"]["message_id"] = 700 + index
        part["message"]["media_group_id"] = "album-text"
    request_json("POST", f"{bot.telegram.url}/_test/update", parts)
    texts = bot.telegram.wait_for_messages(USER, 2)
    assert any("I left out" in text and "b.txt" in text for text in texts)
    (request,) = bot.polza.chat_requests()
    content = request["messages"][-1]["content"]
    assert "a" * 1000 in content and "b" * 1000 not in content


def test_a_long_conversation_is_trimmed_to_the_context_with_one_notice(bot: BotHarness) -> None:
    # ~2000-character turns: three exchanges fill the 3072 tokens left for the prompt.
    bot.start(DEFAULT_CHAT_MODEL=SHORT_CONTEXT_MODEL)
    sent = 0

    def say(text: str, replies: int = 1) -> list[str]:
        nonlocal sent
        sent += replies
        bot.telegram.inject(updates.private_text(USER, text))
        return bot.telegram.wait_for_messages(USER, sent)

    def long(label: str) -> str:
        return f"{label} " + "word " * 400

    for turn in range(3):
        say(long(f"turn {turn}"))
    texts = say(long("turn 3"))
    assert texts[3].startswith("Echo: turn 3")
    assert "no longer fit" in texts[3] and "/new" in texts[3], "a note after the answer"
    say(long("more 0"))
    bot.restart()
    say(long("more 1"))
    time.sleep(0.5)
    texts = bot.telegram.sent_texts(USER)
    assert sum("no longer fit" in text for text in texts) == 1, "told once, restarts too"

    requests = bot.polza.chat_requests()
    assert len(requests) == 6
    for request in requests:
        chars = sum(len(text_of(m["content"])) for m in request["messages"])
        assert chars / 4 <= 4096 - 1024, "the prompt leaves room for the answer"
        assert request["model"] == SHORT_CONTEXT_MODEL
    assert "turn 0" not in str(requests[3]["messages"]) and "turn 1" in str(requests[3])
    journal = [e for e in bot.polza.journal() if e["path"].endswith("/chat/completions")]
    assert [e["status"] for e in journal] == [200] * 6

    say("/new")
    for turn in range(3):
        say(long(f"again {turn}"))
    texts = say(long("again 3"))
    assert "no longer fit" in texts[-1], "/new starts a conversation that gets its own notice"


def test_reasoning_effort_thinking_indicator_and_an_empty_answer(bot: BotHarness) -> None:
    bot.polza.chat_rules(
        {
            "match": "think",
            "reasoning": "Let me consider this carefully. " * 6,
            "reply": "The answer is 42.",
            "chunk_size": 16,
            "chunk_delay": 0.05,
        },
        {"match": "budget", "reasoning": "Hmm. " * 20, "reply": "", "finish_reason": "length"},
    )
    bot.start(DEFAULT_CHAT_MODEL="openai/gpt-5-nano")
    bot.telegram.inject(updates.private_text(USER, "/reasoning"))
    bot.telegram.wait_for_messages(USER, 1)
    menu = bot.telegram.calls("sendMessage", USER)[0]["result"]
    labels = {button["text"]: button["callback_data"] for button in buttons(menu)}
    assert list(labels) == ["✓ Model's default", "Off", "Minimal", "Low", "Medium", "High"]
    bot.telegram.press(USER, menu, labels["High"])
    wait_until(
        lambda: "gpt-5-nano</code>: High" in bot.telegram.messages(USER)[0]["text"],
        what="the edit",
    )

    bot.telegram.inject(updates.private_text(USER, "think about life"))
    assert bot.telegram.wait_for_messages(USER, 2)[1] == "The answer is 42."
    (request,) = bot.polza.chat_requests()
    assert request["reasoning"] == {"effort": "high"}
    drafts = [call["params"]["text"] for call in bot.telegram.calls("sendMessageDraft", USER)]
    assert drafts[0] == "🧠 Thinking…"
    assert drafts.count("🧠 Thinking…") == 1 and all("consider" not in d for d in drafts)

    bot.telegram.inject(updates.private_text(USER, "budget please"))
    assert "whole output budget" in bot.telegram.wait_for_messages(USER, 3)[2]
    bot.telegram.inject(updates.private_text(USER, "next"))
    bot.telegram.wait_for_messages(USER, 4)
    history = bot.polza.chat_requests()[-1]["messages"]
    assert [m["content"] for m in history[1:]] == ["think about life", "The answer is 42.", "next"]

    # The setting is not sent to a model that does not reason.
    with sqlite3.connect(bot.database) as conn:
        conn.execute("UPDATE users SET chat_model = 'openai/gpt-4o-mini' WHERE id = ?", (USER,))
    bot.telegram.inject(updates.private_text(USER, "plain question"))
    bot.telegram.wait_for_messages(USER, 5)
    assert "reasoning" not in bot.polza.chat_requests()[-1]
