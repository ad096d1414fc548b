"""Webhook mode with the real process: Telegram (the fake) delivers updates by POST through
what a reverse proxy would forward; only requests with the secret are processed, and an
update confirmed with 200 survives a crash."""

from __future__ import annotations

import asyncio
import json
import socket
import urllib.error
import urllib.request
from pathlib import Path

import asyncpg

from tests.e2e.conftest import BOT_TOKEN, POLZA_API_KEY, BotHarness, BotLauncher
from tests.support import updates
from tests.support.fakes import PolzaControl, TelegramControl
from tests.support.processes import wait_until
from tests.support.servers import RedisServer

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
    except urllib.error.URLError:
        return 0  # not listening (yet)


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


def test_replicas_behind_a_webhook_store_into_the_shared_inbox_and_answer_once(
    telegram: TelegramControl,
    polza: PolzaControl,
    tmp_path: Path,
    bot_launcher: BotLauncher,
    postgres_url: str,
    redis_server: RedisServer,
) -> None:
    ports = [free_port(), free_port()]
    base = {
        "BOT_TOKEN": BOT_TOKEN,
        "POLZA_API_KEY": POLZA_API_KEY,
        "POLZA_BASE_URL": polza.base_url,
        "TELEGRAM_API_URL": telegram.url,
        "DATABASE_URL": postgres_url,
        "REDIS_URL": redis_server.url,
        "ACCESS_MODE": "open",
        "MERGE_WINDOW_SECONDS": "0",
        "WEBHOOK_URL": PUBLIC_URL,
        "WEBHOOK_SECRET": SECRET,
    }
    # The proxy sends Telegram's deliveries to the first replica; the second is posted to.
    telegram.webhook_target(f"http://127.0.0.1:{ports[0]}")
    started = [
        bot_launcher({**base, "WEBHOOK_LISTEN": f"127.0.0.1:{port}"}, tmp_path / f"r{n}.log")
        for n, port in enumerate(ports)
    ]
    try:
        wait_until(lambda: telegram.state()["webhook_url"] == PUBLIC_URL, 90, what="setWebhook")
        delivered = telegram.inject_many(
            [updates.private_text(USER + 100 + n, f"via the proxy {n}") for n in range(5)]
        )
        direct = {"update_id": 990002, **updates.private_text(STRANGER, "to the other one")}
        wait_until(lambda: post_update(ports[1], direct, SECRET) == 200, 60, what="replica 2")
        for n in range(5):
            assert telegram.wait_for_messages(USER + 100 + n, 1, 60) == [
                f"Echo: via the proxy {n}"
            ]
        assert telegram.wait_for_messages(STRANGER, 1, 60) == ["Echo: to the other one"]
        assert len(polza.chat_requests()) == 6, "each update asked once"
        rows = asyncio.run(inbox_rows(postgres_url))
        assert {uid for uid, _ in rows} == {*delivered, 990002}
        assert all(conversation for _, conversation in rows), "stored with its conversation"
    finally:
        for process in started:
            process.stop()
        for n in range(len(started)):
            log = (tmp_path / f"r{n}.log").read_text(errors="replace")
            print(log)  # noqa: T201 - pytest shows it only when the test failed
            assert "Traceback" not in log


async def inbox_rows(url: str) -> list[tuple[int, str | None]]:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch("SELECT update_id, conversation FROM inbox")
    finally:
        await conn.close()
    return [(int(row[0]), row[1]) for row in rows]
