"""/image counts and references, the price of a request, who may press a picture's buttons,
and the switch to a model that takes reference pictures (in process)."""

from __future__ import annotations

import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from aiogram.methods import AnswerCallbackQuery, EditMessageText, SendMessage

from bot.services.catalogue import parse_model
from bot.services.images import (
    ImageRequest,
    UnsupportedRatio,
    image_ceiling,
    parse_picture_request,
    split_count,
)
from bot.telegram.image_offer import ReferenceSwitch
from bot.telegram.picture_keyboard import PictureAction, PictureButton, picture_markup
from storage.pictures import PictureRequest
from tests.fakes.polza_catalogue import default_catalogue
from tests.support import updates
from tests.unit.inprocess import Harness, running_bot

USER = 7107
OTHER = 7108
SEEDREAM = "bytedance/seedream-4"
FLUX = "black-forest-labs/flux-schnell"
RATIOS = ("1:1", "16:9")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("4 cats", (None, 4, "cats")),
        ("16:9 3 cats on a roof", ("16:9", 3, "cats on a roof")),
        ("3 16:9 cats", ("16:9", 3, "cats")),
        ("cats", (None, None, "cats")),
        ("1984 poster", (None, None, "1984 poster")),  # past MAX_COUNT_WORD: words
        ("0 cats", (None, None, "0 cats")),
        ("２ cats", (None, None, "２ cats")),  # only ASCII digits count
        ("5", (None, 5, "")),  # the prompt is asked for next
    ],
)
def test_a_count_and_a_ratio_lead_the_prompt_in_either_order(
    text: str, expected: tuple[str | None, int | None, str]
) -> None:
    parsed = parse_picture_request(text, RATIOS)
    assert (parsed.ratio, parsed.count, parsed.prompt) == expected


def test_an_unlisted_ratio_is_named_in_the_refusal() -> None:
    with pytest.raises(UnsupportedRatio) as refused:
        parse_picture_request("2 5:4 cats", RATIOS)
    assert refused.value.ratio == "5:4"
    assert split_count("  7 dwarfs ") == (7, "dwarfs")


def model(model_id: str) -> Any:
    (raw,) = [m for m in default_catalogue() if m["id"] == model_id]
    info = parse_model(raw)
    assert info is not None
    return info


def test_the_catalogue_says_what_each_image_model_takes() -> None:
    seedream, flux = model(SEEDREAM), model(FLUX)
    assert (seedream.max_references, seedream.max_images, seedream.accepts_seed) == (10, 6, True)
    assert (flux.max_references, flux.max_images, flux.accepts_seed) == (0, 1, True)
    assert model("google/gemini-2.5-flash-image").max_references == 3


def test_the_reservation_covers_every_variant_and_the_dearer_resolution() -> None:
    seedream = model(SEEDREAM)
    assert image_ceiling(seedream, ImageRequest("cats", SEEDREAM)) == Decimal("3.00")
    assert image_ceiling(seedream, ImageRequest("cats", SEEDREAM, count=3)) == Decimal("9.00")
    at_4k = ImageRequest("cats", SEEDREAM, image_resolution="4K")
    assert image_ceiling(seedream, at_4k) == Decimal("8.25")


def test_resolution_buttons_only_where_the_model_lists_them() -> None:
    labels = [
        [b.text for b in row]
        for row in picture_markup(5, ("1K", "2K", "4K"), None).inline_keyboard
    ]
    assert labels == [["🔄", "✏️", "📎"], ["2K", "4K"]]
    at_2k = picture_markup(5, ("1K", "2K", "4K"), "2K").inline_keyboard
    assert [b.text for b in at_2k[1]] == ["4K"]
    assert len(picture_markup(5, (), None).inline_keyboard) == 1


def bot_message(message_id: int, chat_id: int = USER) -> dict[str, Any]:
    return {
        "message_id": message_id,
        "date": int(time.time()),
        "chat": updates.private_chat(chat_id),
        "from": {"id": 7000001, "is_bot": True, "first_name": "Polza"},
        "text": "picture",
    }


def answers(bot: Harness) -> list[str]:
    return [
        str(m.text) for m in bot.session.requests if isinstance(m, AnswerCallbackQuery) and m.text
    ]


async def media_requests(bot: Harness) -> list[dict[str, Any]]:
    async with bot.http.get(bot.polza.make_url("/_test/journal")) as response:
        journal = await response.json()
    return [e for e in journal if e["path"].endswith("/media")]


async def test_only_the_asker_may_press_a_pictures_buttons(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        pictures = bot.app.deps.studio.pictures
        asked = PictureRequest(USER, USER, SEEDREAM, "a cat", None, None, 42, 1, ())
        picture = await pictures.add(asked, "image/png", b"\x89PNG...")
        await pictures.set_message(picture, 900)
        for action in PictureAction:
            data = PictureButton(action=action, picture=picture, value="2K").pack()
            await bot.send(updates.callback_query(OTHER, data, bot_message(900)))
        assert (
            answers(bot) == ["These buttons belong to the person who asked for the picture."] * 4
        )
        gone = PictureButton(action=PictureAction.AGAIN, picture=picture + 1).pack()
        await bot.send(updates.callback_query(USER, gone, bot_message(901)))
        assert answers(bot)[-1].startswith("This picture is no longer kept")
        assert await media_requests(bot) == []


async def test_a_model_without_references_offers_a_one_tap_switch(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        users = bot.app.deps.users
        await users.ensure(USER, "en")
        await users.set_image_model(USER, FLUX)
        caption = "/image make it blue"
        photo = {
            "message_id": 55,
            "date": int(time.time()),
            "chat": updates.private_chat(USER),
            "from": updates.user(USER),
            "photo": [
                {"file_id": "AgAD-red", "file_unique_id": "u-red", "width": 64, "height": 48}
            ],
            "caption": caption,
            "caption_entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        }
        await bot.send({"message": photo})
        (offer,) = [m for m in bot.session.requests if isinstance(m, SendMessage)]
        assert f"<code>{FLUX}</code> can't work from a picture" in str(offer.text)
        assert offer.reply_markup is not None
        (button,) = offer.reply_markup.inline_keyboard[0]  # type: ignore[union-attr]
        assert button.text == "Use ByteDance: Seedream 4.0"
        switch = ReferenceSwitch.unpack(str(button.callback_data))
        assert switch.user_id == USER
        assert await media_requests(bot) == []  # nothing drawn without the references

        shown = {**bot_message(56), "text": str(offer.text)}
        await bot.send(updates.callback_query(OTHER, str(button.callback_data), shown))
        assert answers(bot) == ["These buttons belong to the person who asked for the picture."]
        assert (await users.get(USER)).image_model == FLUX  # type: ignore[union-attr]

        # The owner's press switches; a request no longer waiting (a restart) is asked again.
        stale = ReferenceSwitch(user_id=USER, model=switch.model, token=switch.token + 1).pack()
        await bot.send(updates.callback_query(USER, stale, shown))
        assert (await users.get(USER)).image_model == SEEDREAM  # type: ignore[union-attr]
        edits = [m for m in bot.session.requests if isinstance(m, EditMessageText)]
        assert "now <code>bytedance/seedream-4</code>. Please send your request again" in str(
            edits[-1].text
        )


async def test_a_press_that_draws_counts_against_the_rate_limit(tmp_path: Path) -> None:
    async with running_bot(tmp_path, rate_limit_per_minute=1) as bot:
        await bot.send(updates.private_text(USER, "Hello"))  # takes the minute's one slot
        asked = PictureRequest(USER, USER, SEEDREAM, "a cat", None, None, 42, 1, ())
        picture = await bot.app.deps.studio.pictures.add(asked, "image/png", b"\x89PNG...")
        data = PictureButton(action=PictureAction.AGAIN, picture=picture).pack()
        await bot.send(updates.callback_query(USER, data, bot_message(900)))
        (refusal,) = [m for m in bot.session.requests if isinstance(m, AnswerCallbackQuery)]
        assert str(refusal.text).startswith("Too many requests")
        assert refusal.show_alert
        assert await media_requests(bot) == []
