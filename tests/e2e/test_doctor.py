"""`python -m bot doctor` as an operator runs it, against the fake Telegram and fake Polza."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import subprocess
from typing import Any

from bot.services.usage import rub_amount
from storage import Database
from tests.e2e.conftest import BOT_TOKEN, POLZA_API_KEY, BotHarness
from tests.support.http import request_json
from tests.support.processes import run_bot_command

# Everything an operator sets to get no warning at all.
CAREFUL = {
    "ACCESS_MODE": "invite",  # the harness runs the bot open for its made-up users
    "ALLOWED_USER_IDS": "1001",
    "ADMIN_USER_IDS": "1001",
    "DAILY_BUDGET_RUB": "50",
    "GLOBAL_DAILY_BUDGET_RUB": "500",
    "RATE_LIMIT_PER_MINUTE": "10",
}


def doctor(bot: BotHarness, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    result = run_bot_command({**bot.env, **env}, bot.workdir, "doctor", *args)
    for secret in (BOT_TOKEN, POLZA_API_KEY, BOT_TOKEN.split(":")[1]):
        assert secret not in result.stdout + result.stderr, "the doctor printed a secret"
    assert "Traceback" not in result.stderr, result.stderr
    return result


def lines_with(output: str, mark: str) -> list[str]:
    return [line.strip() for line in output.splitlines() if line.strip().startswith(mark)]


def test_a_careful_setup_is_all_green_and_sends_no_chat_request(bot: BotHarness) -> None:
    result = doctor(bot, **CAREFUL)

    assert result.returncode == 0, result.stdout
    out = result.stdout
    assert lines_with(out, "✗") == []
    assert lines_with(out, "⚠") == []
    assert "✓ Bot: @polza_test_bot (id 7000001), token 7000001:…" in out
    assert "✓ Privacy mode: off" in out
    assert "✓ Webhook: none" in out
    assert "✓ API key: accepted" in out
    assert "✓ Balance: 1200.06 ₽ available" in out
    assert "✓ DEFAULT_CHAT_MODEL: openai/gpt-4o-mini" in out
    assert "✓ DEFAULT_IMAGE_MODEL: bytedance/seedream-4" in out
    assert "✓ TRANSCRIPTION_MODEL: openai/whisper-1" in out
    assert "✓ Database:" in out
    assert "✓ Encoding: 2 s of audio to OGG/Opus" in out
    assert lines_with(out, "–") == [
        "– Live request: skipped (it costs money): run with --live to send one"
    ]
    assert bot.polza.chat_requests() == []
    assert not bot.database.exists(), "the doctor must not create the database"


def test_json_report_parses_and_keeps_the_warnings(bot: BotHarness) -> None:
    result = doctor(bot, "--json")

    assert result.returncode == 0
    report: dict[str, Any] = json.loads(result.stdout)
    assert report["ok"] is True
    assert report["problems"] == 0
    by_name = {check["name"]: check for check in report["checks"]}
    assert by_name["Bot"]["status"] == "ok"
    assert by_name["Who can use it"]["status"] == "warn"
    assert "ALLOWED_USER_IDS" in by_name["Who can use it"]["fix"]
    assert by_name["Daily budget"]["status"] == "warn"
    assert by_name["Live request"]["status"] == "skip"
    assert report["warnings"] == sum(c["status"] == "warn" for c in report["checks"])
    assert bot.polza.chat_requests() == []


def test_a_refused_polza_key_is_named(bot: BotHarness) -> None:
    result = doctor(bot, POLZA_API_KEY="pza_wrong_key_123456", **CAREFUL)

    assert result.returncode == 1
    failures = lines_with(result.stdout, "✗")
    assert failures == ["✗ API key: Polza refused POLZA_API_KEY (401 Неверный API ключ)"]
    assert "put it into POLZA_API_KEY" in result.stdout
    assert "pza_wrong_key_123456" not in result.stdout


def test_an_unknown_chat_model_gets_suggestions(bot: BotHarness) -> None:
    result = doctor(bot, DEFAULT_CHAT_MODEL="openai/gpt-4o-mni", **CAREFUL)

    assert result.returncode == 1
    lines = [line.strip() for line in result.stdout.splitlines()]
    failure = lines.index("✗ DEFAULT_CHAT_MODEL: openai/gpt-4o-mni is not in Polza's catalogue")
    fix = lines[failure + 1]
    assert fix.startswith("→ set DEFAULT_CHAT_MODEL to an existing chat model id; nearest: ")
    assert "openai/gpt-4o-mini" in fix
    assert len(lines_with(result.stdout, "✗")) == 1


def test_a_webhook_blocks_polling(bot: BotHarness) -> None:
    # Another program (or an old deployment) registered a webhook for the same token.
    request_json(
        "POST",
        f"{bot.telegram.url}/bot{BOT_TOKEN}/setWebhook",
        {"url": "https://old.example.com/secret-path-42"},
    )

    result = doctor(bot, **CAREFUL)

    assert result.returncode == 1
    failures = lines_with(result.stdout, "✗")
    assert len(failures) == 1
    assert failures[0].startswith("✗ Webhook: set to https://old.example.com/… while the bot")
    assert f"{bot.telegram.url}/bot<BOT_TOKEN>/deleteWebhook" in result.stdout
    assert "secret-path-42" not in result.stdout


def test_live_sends_one_tiny_request_shows_and_records_its_cost(bot: BotHarness) -> None:
    asyncio.run(_create_database(bot))  # as the bot's first start would

    result = doctor(bot, "--live", **CAREFUL)

    assert result.returncode == 0, result.stdout
    requests = bot.polza.chat_requests()
    assert len(requests) == 1
    assert requests[0]["model"] == "openai/gpt-4o-mini"
    assert 0 < requests[0]["max_tokens"] <= 16
    with sqlite3.connect(bot.database) as conn:
        rows = conn.execute("SELECT user_id, chat_id, kind, model, cost_rub FROM usage").fetchall()
    assert len(rows) == 1
    user_id, chat_id, kind, model, cost = rows[0]
    assert (user_id, chat_id, kind, model) == (0, 0, "chat", "openai/gpt-4o-mini")
    assert cost > 0
    [live] = [line for line in lines_with(result.stdout, "✓") if "Live request" in line]
    assert f"{rub_amount(cost)} ₽" in live
    assert "recorded in the usage ledger" in live


async def _create_database(bot: BotHarness) -> None:
    db = await Database.open(bot.database)
    await db.close()


def test_every_settings_problem_at_once(bot: BotHarness) -> None:
    env = {**bot.env, "TIMEZONE": "Mars/Olympus"}
    del env["POLZA_API_KEY"]
    result = run_bot_command(env, bot.workdir, "doctor")

    assert result.returncode == 1
    assert lines_with(result.stdout, "✗") == [
        "✗ Settings: POLZA_API_KEY is required (set it in the environment or .env)",
        "✗ Settings: TIMEZONE is invalid: Value error, must be an IANA time zone such as UTC"
        " or Europe/Moscow",
    ]
    assert "✓ Encoding" in result.stdout  # what needs no settings still runs
