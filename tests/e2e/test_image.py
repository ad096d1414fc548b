"""/image end to end: the real bot draws with the fake Polza and sends the picture to Telegram."""

from __future__ import annotations

import hashlib
import sqlite3
from typing import Any

from tests.e2e.conftest import BOT_USERNAME, BotHarness
from tests.support import updates
from tests.support.http import request_bytes, request_json
from tests.support.processes import wait_until

USER = 5005
GROUP = -100_500_500
SEEDREAM = "bytedance/seedream-4"
# No status message: these tests count the messages a user gets (tests/e2e/test_image_edit.py
# has the status message of a slow job).
FAST_POLLING = {"IMAGE_POLL_INTERVAL_SECONDS": "0.1", "STATUS_DELAY_SECONDS": "60"}


def media_rules(bot: BotHarness, *rules: dict[str, Any]) -> None:
    request_json("POST", f"{bot.polza.url}/_test/media/rules", list(rules))


def media_posts(bot: BotHarness) -> list[dict[str, Any]]:
    return [
        e for e in bot.polza.journal() if e["method"] == "POST" and e["path"].endswith("/media")
    ]


def polls(bot: BotHarness, task_id: str) -> list[dict[str, Any]]:
    return [
        e
        for e in bot.polza.journal()
        if e["method"] == "GET" and e["path"].endswith(f"/media/{task_id}")
    ]


def wait_for_uploads(bot: BotHarness, chat_id: int, count: int) -> list[dict[str, Any]]:
    """Pictures sent to a chat (photos and documents, in order) once there are `count`."""

    def enough() -> list[dict[str, Any]] | None:
        sent = [
            e
            for e in bot.telegram.log()
            if e["method"] in ("sendPhoto", "sendDocument")
            and e["ok"]
            and str(e["params"].get("chat_id")) == str(chat_id)
        ]
        return sent if len(sent) >= count else None

    return list(wait_until(enough, 20, what=f"{count} picture(s) in chat {chat_id}"))


def assert_delivered(bot: BotHarness, call: dict[str, Any], task_id: str) -> None:
    """The upload is byte for byte the picture the fake Polza made for this task."""
    served = request_bytes(f"{bot.polza.url}/files/{task_id}.png")
    upload = call["params"].get("photo") or call["params"]["document"]
    assert upload["sha256"] == hashlib.sha256(served).hexdigest()
    assert bot.telegram.file_bytes(upload["file_id"]) == served


def wait_for_chat_request(bot: BotHarness, text: str) -> None:
    """`text` went to the chat model: the pending prompt no longer catches messages."""

    def sent() -> bool:
        return any(r["messages"][-1]["content"] == text for r in bot.polza.chat_requests())

    wait_until(sent, 20, what=f"a chat request with {text!r}")


def task_of(post: dict[str, Any], bot: BotHarness) -> str:
    """The id of the task a POST created: the first later request to /media/{id} names it."""
    created = [e for e in bot.polza.journal() if e["seq"] > post["seq"] and "/media/" in e["path"]]
    if created:
        return str(created[0]["path"].rsplit("/", 1)[1])
    raise AssertionError("no task id seen after the POST")


def test_image_async_path_sends_the_real_picture(bot: BotHarness) -> None:
    bot.start(**FAST_POLLING)
    bot.telegram.inject(updates.private_text(USER, "/image 16:9 a lighthouse at dusk"))

    (call,) = wait_for_uploads(bot, USER, 1)
    assert call["method"] == "sendPhoto"
    assert call["params"]["caption"] == "a lighthouse at dusk"
    (post,) = media_posts(bot)
    assert post["json"]["model"] == SEEDREAM
    seed = post["json"]["input"].pop("seed")  # our own, so that 2K / 4K can redraw it
    assert isinstance(seed, int) and 0 <= seed < 2**31
    assert post["json"]["input"] == {"prompt": "a lighthouse at dusk", "aspect_ratio": "16:9"}
    assert post["json"]["user"] == str(USER)
    task_id = task_of(post, bot)
    assert [p["task_status"] for p in polls(bot, task_id)] == [
        "pending",
        "processing",
        "completed",
    ]
    assert_delivered(bot, call, task_id)
    actions = bot.telegram.calls("sendChatAction", USER)
    assert actions and {a["params"]["action"] for a in actions} == {"upload_photo"}
    assert actions[0]["seq"] < call["seq"]

    with sqlite3.connect(bot.database) as db:
        rows = db.execute(
            "SELECT user_id, chat_id, model, cost_rub, estimated FROM usage WHERE kind = 'image'"
        ).fetchall()
    assert rows == [(USER, USER, SEEDREAM, 3.0, 0)]


def test_image_request_id_and_immediate_paths_and_the_document_fallback(bot: BotHarness) -> None:
    bot.start(**FAST_POLLING)
    # POST /media missing: /images/generations answers {"requestId"}, polled on /media/{id}.
    request_json("POST", f"{bot.polza.url}/_test/media/unavailable", {"status": 404})
    bot.telegram.inject(updates.private_text(USER, "/image 3:2 a paper boat"))
    (first,) = wait_for_uploads(bot, USER, 1)
    (fallback,) = [e for e in bot.polza.journal() if e["path"].endswith("/images/generations")]
    assert fallback["json"]["prompt"] == "a paper boat"
    gen_id = task_of(fallback, bot)
    assert gen_id.startswith("gen_")
    assert_delivered(bot, first, gen_id)

    # A finished object at once: data is a dict with b64_json, nothing to poll.
    request_json("POST", f"{bot.polza.url}/_test/media/unavailable", {"status": None})
    media_rules(bot, {"mode": "immediate", "data_shape": "dict", "result": "b64_json"})
    polls_before = len([e for e in bot.polza.journal() if "/media/" in e["path"]])
    bot.telegram.inject(updates.private_text(USER, "/image a red kite"))
    second = wait_for_uploads(bot, USER, 2)[1]
    assert second["method"] == "sendPhoto"
    assert second["params"]["caption"] == "a red kite"
    assert len([e for e in bot.polza.journal() if "/media/" in e["path"]]) == polls_before
    # The fake numbers its tasks in order: this one came right after the requestId task.
    assert_delivered(bot, second, f"aig_{int(gen_id.split('_')[1]) + 1}")

    # Telegram refuses the photo: the same picture goes as a file.
    bot.telegram.fault(
        method="sendPhoto", error_code=400, description="Bad Request: PHOTO_INVALID_DIMENSIONS"
    )
    bot.telegram.inject(updates.private_text(USER, "/image a wide panorama"))
    third = wait_for_uploads(bot, USER, 3)[2]
    assert third["method"] == "sendDocument"
    assert third["params"]["caption"] == "a wide panorama"
    assert_delivered(bot, third, task_of(media_posts(bot)[-1], bot))


def test_image_failures_are_explained_and_the_next_request_works(bot: BotHarness) -> None:
    bot.start(**FAST_POLLING)
    media_rules(
        bot,
        {"mode": "failed", "error_message": "Провайдер не справился"},
        {"mode": "moderation"},
        {"status": 402, "error_code": "INSUFFICIENT_FUNDS"},
    )
    for count, prompt in enumerate(("a castle", "something forbidden", "a costly one"), 1):
        bot.telegram.inject(updates.private_text(USER, f"/image {prompt}"))
        bot.telegram.wait_for_messages(USER, count)
    failed, moderated, unpaid = bot.telegram.sent_texts(USER)
    assert "could not draw" in failed and "Провайдер не справился" in failed
    assert "content filter" in moderated and "модерацией" in moderated
    assert "balance" in unpaid.lower()

    bot.telegram.inject(updates.private_text(USER, "/image a castle, second try"))
    (photo,) = wait_for_uploads(bot, USER, 1)
    assert photo["params"]["caption"] == "a castle, second try"
    assert len(media_posts(bot)) == 4

    bot.stop()
    bot.start(DEFAULT_IMAGE_MODEL="nobody/no-such-painter")
    bot.telegram.inject(updates.private_text(USER, "/image a castle"))
    assert "nobody/no-such-painter" in bot.telegram.wait_for_messages(USER, 4)[3]
    assert "Traceback" not in bot.log()


def test_a_result_url_on_a_foreign_host_is_not_fetched(bot: BotHarness) -> None:
    bot.start(**FAST_POLLING)
    # The same fake server under another name: allowed only as POLZA_BASE_URL's host.
    port = bot.polza.base_url.split("://", 1)[1].split("/", 1)[0].rsplit(":", 1)[1]
    media_rules(bot, {"files_host": f"localhost:{port}", "times": 1})
    bot.telegram.inject(updates.private_text(USER, "/image a lighthouse"))
    (failure,) = bot.telegram.wait_for_messages(USER, 1)
    assert "couldn't download it" in failure
    assert not any("/files/" in e["path"] for e in bot.polza.journal()), "nothing fetched"
    assert "Image result URL refused" in bot.log()

    bot.telegram.inject(updates.private_text(USER, "/image a lighthouse, again"))
    (photo,) = wait_for_uploads(bot, USER, 1)
    assert photo["params"]["caption"] == "a lighthouse, again"


def test_image_timeout_and_shutdown_leave_nothing_stuck(bot: BotHarness) -> None:
    bot.start(IMAGE_TIMEOUT_SECONDS="1", **FAST_POLLING)
    media_rules(bot, {"mode": "never"})
    bot.telegram.inject(updates.private_text(USER, "/image a slow snail"))
    (timed_out,) = bot.telegram.wait_for_messages(USER, 1)
    assert "too long" in timed_out
    task_id = task_of(media_posts(bot)[0], bot)
    polled = len(polls(bot, task_id))
    assert 3 <= polled <= 12

    # A picture still drawing at shutdown: the user is told, the process exits promptly.
    bot.stop()
    assert len(polls(bot, task_id)) == polled, "polling went on after the timeout"
    bot.start(IMAGE_TIMEOUT_SECONDS="60", SHUTDOWN_GRACE_SECONDS="0.5")
    media_rules(bot, {"mode": "never"})
    bot.telegram.inject(updates.private_text(USER, "/image another slow snail"))
    wait_until(lambda: len(media_posts(bot)) == 2, what="the second POST /media")
    assert bot.stop() == 0
    assert "restarting" in bot.telegram.sent_texts(USER)[1]

    # After the restart nobody is left marked busy.
    bot.start(**FAST_POLLING)
    bot.telegram.inject(updates.private_text(USER, "/image a fast hare"))
    (photo,) = wait_for_uploads(bot, USER, 1)
    assert photo["params"]["caption"] == "a fast hare"


def test_image_without_a_prompt_asks_for_it_and_can_be_cancelled(bot: BotHarness) -> None:
    bot.start(**FAST_POLLING)
    bot.telegram.inject(updates.private_text(USER, "/image"))
    (ask,) = bot.telegram.wait_for_messages(USER, 1)
    assert "What should I draw" in ask and "16:9" in ask
    (asked,) = bot.telegram.calls("sendMessage", USER)
    assert asked["params"]["reply_markup"]["inline_keyboard"][0][0]["text"] == "Cancel"
    bot.telegram.inject(updates.private_text(USER, "a fox in a snowy forest, watercolor"))
    (photo,) = wait_for_uploads(bot, USER, 1)
    assert photo["params"]["caption"] == "a fox in a snowy forest, watercolor"
    assert bot.telegram.calls("editMessageReplyMarkup", USER), "the Cancel button stayed"

    # A ratio alone is remembered while the prompt is asked for.
    bot.telegram.inject(updates.private_text(USER, "/image 9:16"))
    bot.telegram.wait_for_messages(USER, 2)
    bot.telegram.inject(updates.private_text(USER, "a tall tower"))
    wait_for_uploads(bot, USER, 2)
    assert media_posts(bot)[-1]["json"]["input"] == {
        "prompt": "a tall tower",
        "aspect_ratio": "9:16",
        "seed": media_posts(bot)[-1]["json"]["input"]["seed"],
    }

    bot.telegram.inject(updates.private_text(USER, "/cancel"))
    assert "nothing to cancel" in bot.telegram.wait_for_messages(USER, 3)[2]

    bot.telegram.inject(updates.private_text(USER, "/image"))
    bot.telegram.wait_for_messages(USER, 4)
    keyboard_message = bot.telegram.calls("sendMessage", USER)[3]
    button = keyboard_message["params"]["reply_markup"]["inline_keyboard"][0][0]
    bot.telegram.inject(
        updates.callback_query(USER, button["callback_data"], keyboard_message["result"])
    )
    edit = wait_until(lambda: bot.telegram.calls("editMessageText", USER), what="the edit")
    assert "Cancelled" in edit[0]["params"]["text"]

    bot.telegram.inject(updates.private_text(USER, "/image"))
    bot.telegram.wait_for_messages(USER, 5)
    bot.telegram.inject(updates.private_text(USER, "/cancel"))
    assert "Cancelled" in bot.telegram.wait_for_messages(USER, 6)[5]
    # With the prompt cancelled, text is for the chat model again.
    bot.telegram.inject(updates.private_text(USER, "hello again"))
    wait_for_chat_request(bot, "hello again")
    assert len(media_posts(bot)) == 2


def test_image_request_checks_captions_and_groups(bot: BotHarness) -> None:
    bot.start(**FAST_POLLING)
    bot.telegram.inject(updates.private_text(USER, "/image " + "x" * 5001))
    assert "5,000" in bot.telegram.wait_for_messages(USER, 1)[0]
    bot.telegram.inject(updates.private_text(USER, "/image 5:7 a cat"))
    refusal = bot.telegram.wait_for_messages(USER, 2)[1]
    assert "5:7" in refusal and "21:9" in refusal
    assert media_posts(bot) == []

    long_prompt = "Tom & Jerry <friends> " * 200  # 4400 characters, more once escaped
    bot.telegram.inject(updates.private_text(USER, "/image " + long_prompt))
    (photo,) = wait_for_uploads(bot, USER, 1)
    assert media_posts(bot)[0]["json"]["input"]["prompt"] == long_prompt.strip()
    caption = photo["params"]["caption"]
    assert updates.utf16_len(caption) <= 1024
    assert caption.startswith("Tom &amp; Jerry &lt;friends&gt; Tom") and caption.endswith("…")

    command = updates.group_text(GROUP, USER, f"/image@{BOT_USERNAME} a red kite", thread_id=7)
    bot.telegram.inject(command)
    (in_group,) = wait_for_uploads(bot, GROUP, 1)
    assert in_group["params"]["caption"] == "a red kite"
    assert in_group["params"]["message_thread_id"] == 7
    assert in_group["params"]["reply_parameters"]["message_id"] == command["message"]["message_id"]

    # In a group the prompt comes as a reply to the bot's question.
    bot.telegram.inject(updates.group_text(GROUP, USER, f"/image@{BOT_USERNAME}"))
    (question,) = bot.telegram.wait_for_messages(GROUP, 1)
    assert "What should I draw" in question
    asked = bot.telegram.calls("sendMessage", GROUP)[0]["result"]
    bot.telegram.inject(updates.group_text(GROUP, USER, "a blue whale", reply_to=asked))
    answered = wait_for_uploads(bot, GROUP, 2)[1]
    assert answered["params"]["caption"] == "a blue whale"


def test_second_image_while_the_first_is_drawing_is_refused(bot: BotHarness) -> None:
    bot.start(**FAST_POLLING)
    media_rules(bot, {"polls_before_done": 20})
    bot.telegram.inject(updates.private_text(USER, "/image a slow first one"))
    bot.telegram.inject(updates.private_text(USER, "/image a second one"))
    (busy,) = bot.telegram.wait_for_messages(USER, 1)
    assert "still being drawn" in busy
    (photo,) = wait_for_uploads(bot, USER, 1)
    assert photo["params"]["caption"] == "a slow first one"
    assert len(media_posts(bot)) == 1

    bot.telegram.inject(updates.private_text(USER, "/image a third one"))
    wait_for_uploads(bot, USER, 2)
    assert len(media_posts(bot)) == 2
