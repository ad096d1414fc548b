"""Webhook mode with the real process: Telegram (the fake) delivers updates by POST through
what a reverse proxy would forward; only requests with the secret are processed, and an
update confirmed with 200 survives a crash."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request

from tests.e2e.conftest import BotHarness
from tests.support import updates
from tests.support.processes import wait_until

PUBLIC_URL = "https://bot.example.org/telegram/hook"
SECRET = "s3cret-Token_1"
USER = 8101
STRANGER = 8102
SURVIVOR = 8103


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def post_update(port: int, update: dict[str, object], secret: str | None) -> int:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/telegram/hook",
        data=json.dumps(update).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    if secret is not None:
        request.add_header("X-Telegram-Bot-Api-Secret-Token", secret)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def start_with_webhook(bot: BotHarness) -> int:
    port = free_port()
    bot.telegram.webhook_target(f"http://127.0.0.1:{port}")
    bot.start(WEBHOOK_URL=PUBLIC_URL, WEBHOOK_SECRET=SECRET, WEBHOOK_LISTEN=f"127.0.0.1:{port}")
    return port


def test_webhook_mode_registers_answers_and_refuses_requests_without_the_secret(
    bot: BotHarness,
) -> None:
    polls_before = bot.telegram.state()["get_updates_calls"]
    port = start_with_webhook(bot)
    (registration,) = bot.telegram.calls("setWebhook")
    assert registration["params"]["url"] == PUBLIC_URL
    assert registration["params"]["secret_token"] == SECRET
    assert {"message", "callback_query"} <= set(registration["params"]["allowed_updates"])

    bot.telegram.inject(updates.private_text(USER, "hello over the webhook"))
    assert bot.telegram.wait_for_messages(USER, 1) == ["Echo: hello over the webhook"]
    assert {d["status"] for d in bot.telegram.webhook_deliveries()} == {200}
    assert bot.telegram.state()["get_updates_calls"] == polls_before, "no polling"

    forged = {"update_id": 990001, **updates.private_text(STRANGER, "spend the budget")}
    assert post_update(port, forged, secret="wrong-secret") == 401
    assert post_update(port, forged, secret=None) == 401
    # The same update with the secret is processed: the refusals above stored nothing.
    assert post_update(port, forged, secret=SECRET) == 200
    assert bot.telegram.wait_for_messages(STRANGER, 1) == ["Echo: spend the budget"]
    asked = [r["messages"][-1]["content"] for r in bot.polza.chat_requests()]
    assert asked == ["hello over the webhook", "spend the budget"]


def test_an_update_confirmed_to_telegram_is_answered_after_a_crash(bot: BotHarness) -> None:
    bot.polza.chat_rules(
        {"match": "survive", "reply": "too late", "first_chunk_delay": 30, "times": 1},
        {"match": "survive", "reply": "still here"},
    )
    start_with_webhook(bot)
    (update_id,) = [bot.telegram.inject(updates.private_text(SURVIVOR, "survive the crash"))]
    wait_until(
        lambda: {"update_id": update_id, "status": 200} in bot.telegram.webhook_deliveries(),
        what="the delivery to be confirmed",
    )
    wait_until(lambda: bot.polza.chat_requests(), what="the request to reach Polza")
    bot.stop_hard()
    # Telegram considers it delivered: only the bot's own inbox can bring it back.
    assert bot.telegram.state()["pending_update_ids"] == []
    bot.start()
    assert bot.telegram.wait_for_messages(SURVIVOR, 1) == ["still here"]
