"""/model against the real bot process: browse, search, choose, remember; bad buttons; outages."""

from __future__ import annotations

import sqlite3
import time
from typing import Any

from bot.telegram.model_picker import provider_ref
from tests.e2e.conftest import BOT_USERNAME, BotHarness
from tests.fakes.polza_catalogue import LONG_ID_1, default_catalogue
from tests.support import updates
from tests.support.http import request_json
from tests.support.processes import wait_until

USER = 5001
OTHER = 5002
GROUP = -1005556667
DEFAULT_CHAT = "openai/gpt-4o-mini"


# --- helpers ---------------------------------------------------------------------------------


def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    markup = message.get("reply_markup") or {}
    return [button for row in markup.get("inline_keyboard", []) for button in row]


def button(message: dict[str, Any], text: str) -> str:
    """The callback data of the one button whose label contains `text`."""
    (found,) = [b for b in buttons(message) if text in b["text"]]
    return str(found["callback_data"])


def open_picker(bot: BotHarness, text: str = "/model", chat_id: int = USER) -> dict[str, Any]:
    before = len(bot.telegram.calls("sendMessage", chat_id))
    if chat_id == USER:
        bot.telegram.inject(updates.private_text(USER, text))
    else:
        bot.telegram.inject(updates.group_text(chat_id, USER, text))
    sent = wait_until(
        lambda: bot.telegram.calls("sendMessage", chat_id)[before:], what="the picker"
    )
    message: dict[str, Any] = sent[0]["result"]
    for each in buttons(message):
        assert len(each["callback_data"].encode()) <= 64, each
    return message


def press(
    bot: BotHarness,
    message: dict[str, Any],
    data: str,
    user_id: int = USER,
    *,
    edits: bool = False,
) -> tuple[str | None, dict[str, Any] | None]:
    """Press a button; return the callback answer's text and the edited message, if any.

    With `edits` it waits for the edit; without, it checks that none follows the answer.
    """
    chat_id = message["chat"]["id"]
    edits_before = len(bot.telegram.calls("editMessageText", chat_id, ok=None))
    update = updates.callback_query(user_id, data, message)
    query_id = update["callback_query"]["id"]
    bot.telegram.inject(update)
    (answer,) = wait_until(
        lambda: [
            call
            for call in bot.telegram.calls("answerCallbackQuery")
            if call["params"]["callback_query_id"] == query_id
        ],
        what=f"the answer to {data}",
    )
    if edits:
        wait_until(
            lambda: bot.telegram.calls("editMessageText", chat_id, ok=None)[edits_before:],
            what=f"the edit after {data}",
        )
    else:
        time.sleep(0.3)
    made = bot.telegram.calls("editMessageText", chat_id, ok=None)[edits_before:]
    assert len(made) <= 1 and all(edit["ok"] for edit in made), made
    return answer["params"].get("text"), (made[0]["result"] if made else None)


def navigate(bot: BotHarness, message: dict[str, Any], label: str) -> dict[str, Any]:
    notice, edited = press(bot, message, button(message, label), edits=True)
    assert notice is None and edited is not None, f"pressing {label!r} changed nothing"
    for each in buttons(edited):
        assert len(each["callback_data"].encode()) <= 64, each
    return edited


def stored_models(bot: BotHarness, user_id: int = USER) -> tuple[str | None, str | None]:
    with sqlite3.connect(bot.database) as conn:
        row = conn.execute(
            "SELECT chat_model, image_model FROM users WHERE id = ?", (user_id,)
        ).fetchone()
    return (row[0], row[1]) if row else (None, None)


def chat(bot: BotHarness, text: str) -> str:
    """Send a chat message; return the model id of the Polza request it caused."""
    requests_before = len(bot.polza.chat_requests())
    texts_before = len(bot.telegram.sent_texts(USER))
    bot.telegram.inject(updates.private_text(USER, text))
    requests = wait_until(
        lambda: bot.polza.chat_requests()[requests_before:], what="a chat request"
    )
    wait_until(lambda: len(bot.telegram.sent_texts(USER)) > texts_before, what="a reply")
    return str(requests[0]["model"])


def models_fail(bot: BotHarness, times: int) -> None:
    request_json("POST", f"{bot.polza.url}/_test/models/fail", {"times": times})


def replace_catalogue(bot: BotHarness, entries: list[dict[str, Any]]) -> None:
    request_json("POST", f"{bot.polza.url}/_test/models", entries)


def model_fetches(bot: BotHarness) -> int:
    return len([e for e in bot.polza.journal() if e["path"].endswith("/models")])


# --- tests -----------------------------------------------------------------------------------


def test_choose_a_long_id_model_then_chat_with_it_across_a_restart(bot: BotHarness) -> None:
    bot.start()
    picker = open_picker(bot)
    assert f"<code>{DEFAULT_CHAT}</code>) ⭐" in picker["text"]
    assert "<code>bytedance/seedream-4</code>) ⭐" in picker["text"]
    assert "openai (7) ✅" in [b["text"] for b in buttons(picker)]

    provider = navigate(bot, picker, "some-provider (1)")
    assert provider["message_id"] == picker["message_id"]  # the same message, edited
    assert "<b>some-provider</b>: 1 model" in provider["text"]
    chosen = navigate(bot, provider, "Extremely Long Identifier")
    assert f"<code>{LONG_ID_1}</code>" in chosen["text"]
    assert "1.00 ₽ per 1M input tokens, 2.00 ₽ per 1M output tokens" in chosen["text"]
    assert "Context: 65,536 tokens" in chosen["text"]
    assert buttons(chosen)[0]["text"].startswith("✅ Extremely Long Identifier")
    assert stored_models(bot) == (LONG_ID_1, None)

    assert chat(bot, "Hello long model") == LONG_ID_1
    bot.restart()
    assert chat(bot, "Still you?") == LONG_ID_1
    after = open_picker(bot)
    assert f"<code>{LONG_ID_1}</code>)\n" in after["text"]  # current, and not the default
    assert "some-provider (1) ✅" in [b["text"] for b in buttons(after)]


def test_pages_search_and_image_models(bot: BotHarness) -> None:
    extra = [
        {
            "id": f"openai/test-model-{n:02d}",
            "name": f"OpenAI: Test Model {n:02d}",
            "type": "chat",
            "top_provider": {"context_length": 8192, "pricing": {"prompt_per_million": "1"}},
        }
        for n in range(12)
    ]
    replace_catalogue(bot, default_catalogue() + extra)
    bot.start()
    picker = open_picker(bot)

    first = navigate(bot, picker, "openai (19)")
    assert "1/3" in [b["text"] for b in buttons(first)]
    assert len([b for b in buttons(first) if b["callback_data"].startswith("model:pick:")]) == 8
    second = navigate(bot, first, "›")
    assert "2/3" in [b["text"] for b in buttons(second)]
    wrapped = navigate(bot, navigate(bot, second, "›"), "›")
    assert "1/3" in [b["text"] for b in buttons(wrapped)]
    notice, edited = press(bot, wrapped, button(wrapped, "1/3"))  # the counter is a label
    assert (notice, edited) == (None, None)
    back = navigate(bot, wrapped, "‹ Providers")
    assert "openai (19) ✅" in [b["text"] for b in buttons(back)]

    found = open_picker(bot, "/model gemini")
    assert "4 models match <b>gemini</b>" in found["text"]
    labels = [b["text"] for b in buttons(found)]
    assert labels[0].startswith("Gemini 2.5 Flash 👁🧠")
    assert labels[3].startswith("🎨 Nano Banana")
    chosen = navigate(bot, found, "Gemini 2.5 Pro")
    assert "Chat model set: <b>Google: Gemini 2.5 Pro</b>" in chosen["text"]
    assert stored_models(bot) == ("google/gemini-2.5-pro", None)

    images = navigate(bot, open_picker(bot), "🎨 Images")
    assert "4 image models" in images["text"]
    openai_images = navigate(bot, images, "openai (1)")
    picked = navigate(bot, openai_images, "GPT Image 1")
    assert "Image model set: <b>OpenAI: GPT Image 1</b>" in picked["text"]
    assert "4.10 ₽ per image" in picked["text"]
    assert stored_models(bot) == ("google/gemini-2.5-pro", "openai/gpt-image-1")
    assert "🎨 Images: <b>OpenAI: GPT Image 1</b>" in open_picker(bot)["text"]


def test_forged_stale_and_foreign_buttons_change_nothing(bot: BotHarness) -> None:
    bot.start()
    picker = open_picker(bot, f"/model@{BOT_USERNAME}", chat_id=GROUP)  # works in groups
    assert picker["reply_to_message"]["from"]["id"] == USER
    x_ai = navigate(bot, picker, "x-ai (2)")
    grok = button(x_ai, "Grok 4")
    yandex = button(picker, "yandex (1)")

    notice, edited = press(bot, x_ai, grok, user_id=OTHER)  # not the one who opened it
    assert edited is None and notice is not None and "someone else" in notice
    for forged in (
        "model:pick:chat:zzzzzzzzzz",
        "model:pick:chat:zzzzzzzzzz:0",
        grok.replace(":chat:", ":image:"),
        "model:list:chat:nobody:0",
        button(x_ai, "‹ Providers").replace(":0", ":7"),
        "model:nuke:chat::0",
    ):
        notice, edited = press(bot, x_ai, forged)
        assert edited is None and notice is not None and "out of date" in notice, forged
    assert stored_models(bot) == (None, None)

    # The catalogue changes under an open menu: its buttons for what is gone expire.
    replace_catalogue(
        bot,
        [
            m
            for m in default_catalogue()
            if m["id"] not in ("x-ai/grok-4", "yandex/yandexgpt-5-lite")
        ],
    )
    bot.restart()
    for stale in (grok, yandex):
        notice, edited = press(bot, x_ai, stale)
        assert edited is None and notice is not None and "out of date" in notice
    assert stored_models(bot) == (None, None)
    # ...while the rest of the old menu still works.
    chosen = navigate(bot, x_ai, "Grok 3 Mini")
    assert "x-ai/grok-3-mini" in chosen["text"]
    assert stored_models(bot) == ("x-ai/grok-3-mini", None)


def test_catalogue_outage_before_anything_was_loaded(bot: BotHarness) -> None:
    models_fail(bot, 100)
    bot.start()
    bot.telegram.inject(updates.private_text(USER, "/model"))
    (text,) = bot.telegram.wait_for_messages(USER, 1)
    assert "couldn't get the list of models" in text
    (failure,) = bot.telegram.calls("sendMessage", USER)
    assert "reply_markup" not in failure["params"]

    # A button of an older menu, pressed while the list still cannot be had.
    old_button = f"model:list:chat:{provider_ref('openai')}:0"
    notice, edited = press(bot, failure["result"], old_button)
    assert edited is None and notice is not None and "list of models" in notice

    models_fail(bot, 0)
    assert "openai (7) ✅" in [b["text"] for b in buttons(open_picker(bot))]


def test_a_failed_refresh_keeps_the_last_list(bot: BotHarness) -> None:
    bot.start(CATALOGUE_TTL_SECONDS="5")
    open_picker(bot)
    fetched = model_fetches(bot)
    models_fail(bot, 100)
    time.sleep(5.5)

    stale = open_picker(bot)  # served from the old list; a refresh starts behind it
    assert "openai (7) ✅" in [b["text"] for b in buttons(stale)]
    wait_until(lambda: model_fetches(bot) > fetched, what="a refresh attempt")
    wait_until(lambda: "refresh failed, keeping the old one" in bot.log(), what="the failure")
    again = open_picker(bot)
    assert "openai (7) ✅" in [b["text"] for b in buttons(again)]
    assert "<b>openai</b>: 7 models" in navigate(bot, again, "openai (7)")["text"]


def test_a_vanished_model_falls_back_to_the_default_with_one_notice(bot: BotHarness) -> None:
    """Needs the chat handler to resolve the model with `chat_model_for`."""
    bot.start()
    found = open_picker(bot, "/model grok 4")
    navigate(bot, found, "Grok 4")
    assert stored_models(bot) == ("x-ai/grok-4", None)

    replace_catalogue(bot, [m for m in default_catalogue() if m["id"] != "x-ai/grok-4"])
    bot.restart()
    picker = open_picker(bot)  # loads the new list
    assert "<code>x-ai/grok-4</code> is no longer offered" in picker["text"]
    assert f"<code>{DEFAULT_CHAT}</code>) ⭐" in picker["text"]

    assert chat(bot, "Who answers?") == DEFAULT_CHAT
    wait_until(lambda: len(missing_notices(bot)) == 1, what="the notice")
    (notice,) = missing_notices(bot)
    assert "<code>x-ai/grok-4</code>" in notice and f"<code>{DEFAULT_CHAT}</code>" in notice
    assert chat(bot, "And now?") == DEFAULT_CHAT
    time.sleep(0.3)
    assert len(missing_notices(bot)) == 1  # told once only


def missing_notices(bot: BotHarness) -> list[str]:
    return [t for t in bot.telegram.sent_texts(USER) if "you chose is no longer offered" in t]


def test_allowed_models_limit_the_picker_and_the_answers(bot: BotHarness) -> None:
    bot.start()
    navigate(bot, open_picker(bot, "/model grok 4"), "Grok 4")
    assert stored_models(bot) == ("x-ai/grok-4", None)
    bot.stop()

    # The default (openai/gpt-4o-mini) is outside the list too.
    bot.start(ALLOWED_MODELS="anthropic/*, openai/gpt-4o")
    assert "DEFAULT_CHAT_MODEL openai/gpt-4o-mini is not in ALLOWED_MODELS" in bot.log()
    picker = open_picker(bot)
    labels = [b["text"] for b in buttons(picker)]
    # ✅: the model answering now (the first allowed one) is from anthropic.
    assert "anthropic (3) ✅" in labels and "openai (1)" in labels
    assert not any(label.startswith(("x-ai", "some-provider")) for label in labels)
    provider = navigate(bot, picker, "openai (1)")
    assert "<b>openai</b>: 1 model" in provider["text"]

    # The stored choice is outside the list: the first allowed model answers instead.
    assert chat(bot, "Who answers now?") == "anthropic/claude-haiku-4.5"
    assert stored_models(bot) == ("x-ai/grok-4", None), "the choice itself is kept"
