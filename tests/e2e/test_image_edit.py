"""Pictures from pictures, end to end: references, the buttons under a picture, variants, and
the status message of a slow job."""

from __future__ import annotations

import base64
import hashlib
import sqlite3
import time
from typing import Any

from bot.services.pictures import normalise
from tests.e2e.conftest import BotHarness
from tests.support import media, updates
from tests.support.http import request_bytes, request_json
from tests.support.processes import wait_until

USER = 6006
OTHER = 6007
FLUX = "black-forest-labs/flux-schnell"
SETTINGS = {
    "IMAGE_POLL_INTERVAL_SECONDS": "0.1",
    "STATUS_DELAY_SECONDS": "0",
    "STATUS_INTERVAL_SECONDS": "1",
}


def message(user_id: int, **fields: Any) -> dict[str, Any]:
    return {
        "message": {
            "message_id": time.monotonic_ns() % 1_000_000_000,
            "date": int(time.time()),
            "chat": updates.private_chat(user_id),
            "from": updates.user(user_id),
            **fields,
        }
    }


def command(text: str) -> dict[str, Any]:
    length = len(text.split()[0])
    return {"entities": [{"type": "bot_command", "offset": 0, "length": length}]}


def captioned(text: str) -> dict[str, Any]:
    return {"caption": text, "caption_entities": command(text)["entities"]}


def media_posts(bot: BotHarness) -> list[dict[str, Any]]:
    return [
        e for e in bot.polza.journal() if e["method"] == "POST" and e["path"].endswith("/media")
    ]


def wait_for_posts(bot: BotHarness, count: int) -> list[dict[str, Any]]:
    def enough() -> list[dict[str, Any]] | None:
        posts = media_posts(bot)
        return posts if len(posts) >= count else None

    return list(wait_until(enough, 20, what=f"{count} POST /media"))


def sent(bot: BotHarness, method: str, count: int) -> list[dict[str, Any]]:
    def enough() -> list[dict[str, Any]] | None:
        calls = bot.telegram.calls(method, USER)
        return calls if len(calls) >= count else None

    return list(wait_until(enough, 20, what=f"{count} {method}"))


def reference(post: dict[str, Any], index: int = 0) -> bytes:
    item = post["json"]["input"]["images"][index]
    assert item["type"] == "base64"
    prefix, _, encoded = item["data"].partition(",")
    assert prefix == "data:image/jpeg;base64"
    return base64.b64decode(encoded)


def served(bot: BotHarness, name: str) -> bytes:
    return request_bytes(f"{bot.polza.url}/files/{name}")


def task_of(bot: BotHarness, post: dict[str, Any]) -> str:
    later = [e for e in bot.polza.journal() if e["seq"] > post["seq"] and "/media/" in e["path"]]
    return str(later[0]["path"].rsplit("/", 1)[1])


def buttons(result: dict[str, Any]) -> dict[str, str]:
    rows = (result.get("reply_markup") or {}).get("inline_keyboard", [])
    return {b["text"]: b["callback_data"] for row in rows for b in row}


def press(bot: BotHarness, result: dict[str, Any], label: str, user_id: int = USER) -> str:
    """Press a button; the text of the callback answer."""
    update = updates.callback_query(user_id, buttons(result)[label], result)
    query_id = update["callback_query"]["id"]
    bot.telegram.inject(update)
    (answer,) = wait_until(
        lambda: [
            c
            for c in bot.telegram.calls("answerCallbackQuery")
            if c["params"]["callback_query_id"] == query_id
        ],
        what=f"the answer to {label}",
    )
    return str(answer["params"].get("text") or "")


def test_edit_iterate_and_fetch_the_original(bot: BotHarness) -> None:
    bot.start(**SETTINGS)
    # A slow first job: the fake stays "processing" for 25 polls (about 2.5 s).
    request_json("POST", f"{bot.polza.url}/_test/media/rules", [{"polls_before_done": 25}])
    photo = media.jpeg("red", 64, 48)
    file = media.upload(bot.telegram, photo, "photos/red.jpg")
    caption = "/image make it blue"
    bot.telegram.inject(
        message(
            USER,
            photo=media.photo_sizes(file),
            **captioned(caption),
        )
    )

    (first,) = sent(bot, "sendPhoto", 1)
    (post,) = media_posts(bot)
    assert post["json"]["input"]["prompt"] == "make it blue"
    assert len(post["json"]["input"]["images"]) == 1
    assert reference(post) == normalise(photo)
    task = task_of(bot, post)
    original = served(bot, f"{task}.png")
    assert first["params"]["photo"]["sha256"] == hashlib.sha256(original).hexdigest()
    picture = first["result"]
    assert set(buttons(picture)) == {"🔄", "✏️", "📎", "2K", "4K"}

    # The slow job had one status message, edited while it ran, deleted before the picture.
    (status,) = bot.telegram.calls("sendMessage", USER)
    assert status["params"]["text"].startswith("🎨 Drawing… 0:0")
    status_id = status["result"]["message_id"]
    edits = [
        e
        for e in bot.telegram.calls("editMessageText", USER)
        if e["params"]["message_id"] == status_id
    ]
    assert edits and all(e["params"]["text"].startswith("🎨 Drawing… 0:0") for e in edits)
    (deleted,) = bot.telegram.calls("deleteMessage", USER)
    assert deleted["params"]["message_id"] == status_id
    assert status["seq"] < edits[0]["seq"] and deleted["seq"] < first["seq"]

    # Someone else's press changes nothing.
    assert "belong to" in press(bot, picture, "🔄", user_id=OTHER)

    # 🔄: the same request again (same prompt and reference), a new seed.
    press(bot, picture, "🔄")
    again = wait_for_posts(bot, 2)[1]
    assert again["json"]["input"]["prompt"] == "make it blue"
    assert reference(again) == normalise(photo)
    assert again["json"]["input"]["seed"] != post["json"]["input"]["seed"]
    sent(bot, "sendPhoto", 2)

    # 2K: the same picture (same seed) at that resolution.
    press(bot, picture, "2K")
    upscale = wait_for_posts(bot, 3)[2]
    assert upscale["json"]["input"]["image_resolution"] == "2K"
    assert upscale["json"]["input"]["seed"] == post["json"]["input"]["seed"]
    sent(bot, "sendPhoto", 3)

    # 📎: the original file, byte for byte, and no new request.
    press(bot, picture, "📎")
    (document,) = sent(bot, "sendDocument", 1)
    assert bot.telegram.file_bytes(document["result"]["document"]["file_id"]) == original
    assert len(media_posts(bot)) == 3

    # A reply /image to the bot's picture: that picture (its original) is the reference.
    reply = "/image add a hat"
    bot.telegram.inject(message(USER, text=reply, reply_to_message=picture, **command(reply)))
    edit = wait_for_posts(bot, 4)[3]
    assert edit["json"]["input"]["prompt"] == "add a hat"
    assert reference(edit) == normalise(original)
    sent(bot, "sendPhoto", 4)

    # ✏️ then the change: this picture is the reference.
    press(bot, picture, "✏️")
    wait_until(
        lambda: any(
            "reply_markup" in c["params"] and "force_reply" in str(c["params"]["reply_markup"])
            for c in bot.telegram.calls("sendMessage", USER)
        ),
        what="the question with ForceReply",
    )
    bot.telegram.inject(message(USER, text="make the sky pink"))
    change = wait_for_posts(bot, 5)[4]
    assert change["json"]["input"]["prompt"] == "make the sky pink"
    assert reference(change) == normalise(original)
    sent(bot, "sendPhoto", 5)


def test_variants_come_as_an_album(bot: BotHarness) -> None:
    bot.start(**SETTINGS)
    bot.telegram.inject(updates.private_text(USER, "/image 3 cats"))
    (album,) = sent(bot, "sendMediaGroup", 1)
    (post,) = media_posts(bot)
    assert post["json"]["input"]["max_images"] == 3
    assert post["json"]["input"]["prompt"] == "cats"
    task = task_of(bot, post)
    names = [f"{task}.png", f"{task}-2.png", f"{task}-3.png"]
    uploads = [item["media"]["sha256"] for item in album["params"]["media"]]
    assert uploads == [hashlib.sha256(served(bot, name)).hexdigest() for name in names]
    assert [m["media_group_id"] for m in album["result"]] == [
        album["result"][0]["media_group_id"]
    ] * 3
    keyboard = wait_until(
        lambda: [
            c
            for c in bot.telegram.calls("sendMessage", USER)
            if "3 variants" in c["params"]["text"]
        ],
        what="the variants' buttons",
    )[0]["result"]
    assert set(buttons(keyboard)) == {"🔄", "✏️ 1", "📎 1", "✏️ 2", "📎 2", "✏️ 3", "📎 3"}
    # 📎 2: the second variant's original file.
    press(bot, keyboard, "📎 2")
    (document,) = sent(bot, "sendDocument", 1)
    assert bot.telegram.file_bytes(document["result"]["document"]["file_id"]) == served(
        bot, names[1]
    )

    # One request, billed once for all three pictures.
    with sqlite3.connect(bot.database) as db:
        costs = db.execute("SELECT cost_rub FROM usage WHERE kind = 'image'").fetchall()
    assert costs == [(9.0,)]

    # A count above the model's max_images is clamped with a note.
    bot.telegram.inject(updates.private_text(USER, "/image 9 dogs"))
    (_, second_album) = sent(bot, "sendMediaGroup", 2)
    assert media_posts(bot)[1]["json"]["input"]["max_images"] == 6
    assert len(second_album["params"]["media"]) == 6
    assert any("at most 6 pictures" in t for t in bot.telegram.sent_texts(USER))


def test_an_album_an_image_file_and_the_switch_to_a_model_that_takes_them(bot: BotHarness) -> None:
    bot.start(**SETTINGS)
    red, green = media.jpeg("red", 64, 48), media.jpeg("green", 48, 64)
    caption = "/image put them side by side"
    parts = []
    for number, data in enumerate((red, green)):
        file = media.upload(bot.telegram, data, f"photos/album-{number}.jpg")
        extra = captioned(caption) if number == 0 else {}
        parts.append(
            message(USER, photo=media.photo_sizes(file), media_group_id="album-1", **extra)
        )
    bot.telegram.inject_many(parts)
    (post,) = wait_for_posts(bot, 1)
    assert post["json"]["input"]["prompt"] == "put them side by side"
    assert [reference(post, 0), reference(post, 1)] == [normalise(red), normalise(green)]
    sent(bot, "sendPhoto", 1)

    png = served(bot, f"{task_of(bot, post)}.png")
    file = media.upload(bot.telegram, png, "documents/drawing.png")
    document = {
        "file_id": file["file_id"],
        "file_unique_id": file["file_unique_id"],
        "file_name": "drawing.png",
        "mime_type": "image/png",
        "file_size": file["file_size"],
    }
    # With a text-only image model the bot offers a switch, and then does the request.
    with sqlite3.connect(bot.database) as db:
        db.execute("UPDATE users SET image_model = ? WHERE id = ?", (FLUX, USER))
    caption = "/image in pencil"
    bot.telegram.inject(message(USER, document=document, **captioned(caption)))
    offer = wait_until(
        lambda: [
            c for c in bot.telegram.calls("sendMessage", USER) if "switch" in c["params"]["text"]
        ],
        what="the switch offer",
    )[0]["result"]
    assert f"<code>{FLUX}</code> can't work from a picture" in offer["text"]
    assert len(media_posts(bot)) == 1
    press(bot, offer, "Use ByteDance: Seedream 4.0")
    second = wait_for_posts(bot, 2)[1]
    assert second["json"]["model"] == "bytedance/seedream-4"
    assert second["json"]["input"]["prompt"] == "in pencil"
    assert reference(second) == normalise(png)
    sent(bot, "sendPhoto", 2)
