"""Operating the bot: health and metrics, JSON logs, admin alerts, /id and /allow @username."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request

from tests.e2e.conftest import BOT_USERNAME, BotHarness
from tests.support import updates
from tests.support.processes import wait_until

ADMIN = 9001
SECOND_ADMIN = 9002
USER = 4242
STRANGER = 5005
GROUP = -1004455667


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def http_get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def sample(metrics: str, name: str) -> float:
    """The value of one sample line (`name` with its labels, exactly as exposed), or 0."""
    for line in metrics.splitlines():
        if line.startswith(name + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def ask(bot: BotHarness, user_id: int, text: str) -> str:
    before = len(bot.telegram.sent_texts(user_id))
    bot.telegram.inject(updates.private_text(user_id, text))
    return bot.telegram.wait_for_messages(user_id, before + 1)[before]


def test_healthz_and_metrics_while_running(bot: BotHarness) -> None:
    port = free_port()
    bot.start(HEALTH_PORT=str(port))
    base = f"http://127.0.0.1:{port}"
    _, body = wait_until(
        lambda: (found := http_get(f"{base}/healthz"))[0] == 200 and found,
        what="/healthz to answer 200",
    )
    assert "updates: ok" in body and "database: ok" in body

    _, before = http_get(f"{base}/metrics")
    assert ask(bot, USER, "count me") == "Echo: count me"

    def grown() -> str | None:
        _, text = http_get(f"{base}/metrics")
        answered = 'bot_answers_total{kind="chat",outcome="ok"}'
        return text if sample(text, answered) > sample(before, answered) else None

    after = wait_until(grown, what="the answer in /metrics")
    assert sample(after, "bot_updates_received_total") > sample(
        before, "bot_updates_received_total"
    )
    assert sample(after, 'bot_polza_request_duration_seconds_count{endpoint="chat"}') >= 1
    assert sample(after, 'bot_spent_rubles_total{kind="chat"}') > 0
    assert "bot_conversation_queue_depth" in after


def test_a_402_alerts_each_admin_once_an_hour(bot: BotHarness) -> None:
    bot.polza.chat_rules({"match": "broke", "status": 402})
    bot.start(ADMIN_USER_IDS=f"{ADMIN},{SECOND_ADMIN}")

    first = ask(bot, USER, "broke once")
    assert "temporarily unavailable" in first
    assert "owner" not in first and "POLZA" not in first
    for admin in (ADMIN, SECOND_ADMIN):
        (alert,) = bot.telegram.wait_for_messages(admin, 1)
        assert "402" in alert and "polza.ai" in alert

    assert "temporarily unavailable" in ask(bot, USER, "broke twice")
    # The second 402 was answered; had it alerted, that alert would be out by now too.
    assert ask(bot, USER, "fine again") == "Echo: fine again"
    for admin in (ADMIN, SECOND_ADMIN):
        assert len(bot.telegram.sent_texts(admin)) == 1


def test_json_logs_never_carry_the_message_text(bot: BotHarness) -> None:
    secret_words = "my very private words 7731"
    bot.start(LOG_FORMAT="json", LOG_LEVEL="INFO")
    assert ask(bot, USER, secret_words) == f"Echo: {secret_words}"
    wait_until(lambda: '"answer"' in bot.log(), what="the answer's log line")
    bot.stop()

    lines = [line for line in bot.log().splitlines() if line.strip()]
    assert lines
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    assert all({"time", "level", "logger", "message"} <= set(r) for r in records)
    answers = [r for r in records if "answer" in r]
    assert len(answers) == 1
    fields = answers[0]["answer"]
    assert fields["user_id"] == USER and fields["chat_kind"] == "private"
    assert fields["outcome"] == "ok" and fields["kind"] == "chat"
    assert fields["completion_tokens"] is not None and fields["cost_rub"] is not None
    assert all(secret_words not in line for line in lines)


def test_id_in_a_private_chat_and_in_a_group(bot: BotHarness) -> None:
    bot.start(ALLOWED_USER_IDS=str(USER), ADMIN_USER_IDS=str(ADMIN), ACCESS_MODE="invite")

    # A stranger, not allowed to use the bot, still learns their ID and nothing about settings.
    mine = ask(bot, STRANGER, "/id")
    assert f"<code>{STRANGER}</code>" in mine and "ALLOWED" not in mine

    text = f"/id@{BOT_USERNAME}"
    bot.telegram.inject(updates.group_text(GROUP, STRANGER, text))
    (in_group,) = bot.telegram.wait_for_messages(GROUP, 1)
    assert f"<code>{STRANGER}</code>" in in_group and f"<code>{GROUP}</code>" in in_group
    assert "ALLOWED" not in in_group

    admins = ask(bot, ADMIN, "/id")
    assert f"<code>{ADMIN}</code>" in admins and "ALLOWED_USER_IDS" in admins
    bot.telegram.inject(updates.group_text(GROUP, ADMIN, "/id"))
    admin_in_group = bot.telegram.wait_for_messages(GROUP, 2)[1]
    assert f"<code>{GROUP}</code>" in admin_in_group and "ALLOWED_CHAT_IDS" in admin_in_group
    assert bot.polza.chat_requests() == []


def test_allow_by_username_for_people_the_bot_has_seen(bot: BotHarness) -> None:
    bot.start(ALLOWED_USER_IDS=str(USER), ADMIN_USER_IDS=str(ADMIN), ACCESS_MODE="invite")
    refusal = ask(bot, STRANGER, "let me in")
    assert str(STRANGER) in refusal

    # The fake users are called "Test" with the username user<ID>.
    unknown = ask(bot, ADMIN, "/allow @nobody_here")
    assert "@nobody_here" in unknown and "/id" in unknown
    allowed = ask(bot, ADMIN, f"/allow @USER{STRANGER}")
    assert "can use the bot now" in allowed
    assert f"Test (@user{STRANGER}) <code>{STRANGER}</code>" in allowed
    assert ask(bot, STRANGER, "now?") == "Echo: now?"

    denied = ask(bot, ADMIN, f"/deny {STRANGER}")
    assert f"(@user{STRANGER})" in denied and "can no longer use the bot" in denied


def test_the_group_greeting_names_the_bot_by_its_real_username(bot: BotHarness) -> None:
    bot.start()
    me = {"id": 7000001, "is_bot": True, "first_name": "Polza", "username": BOT_USERNAME}
    bot.telegram.inject(
        {
            "my_chat_member": {
                "chat": updates.group_chat(GROUP),
                "from": updates.user(USER),
                "date": 1_700_000_000,
                "old_chat_member": {"status": "left", "user": me},
                "new_chat_member": {"status": "member", "user": me},
            }
        }
    )
    (hello,) = bot.telegram.wait_for_messages(GROUP, 1)
    assert f"@{BOT_USERNAME}" in hello
