"""The doctor's report rendering, nearest-id suggestions and model checks."""

from __future__ import annotations

import json

import pytest
from aiogram import Bot

from bot.config import Settings
from bot.doctor.context import DoctorContext, masked_token
from bot.doctor.polza import model_checks
from bot.doctor.report import (
    Check,
    Status,
    exit_code,
    fail,
    ok,
    redact,
    render_json,
    render_text,
    warn,
)
from bot.doctor.report import skip as skipped
from bot.doctor.suggest import nearest_ids
from bot.services.catalogue import Catalogue, parse_models
from tests.fakes.polza_catalogue import default_catalogue

CHECKS = [
    ok("Telegram", "Bot", "@x_bot (id 1)"),
    warn("Telegram", "Privacy mode", "on", "BotFather: /setprivacy"),
    ok("Polza", "Balance", "1200.06 ₽ available"),
    skipped("Polza", "Live request", "skipped"),
]


def test_text_report_groups_marks_fixes_and_summary() -> None:
    assert render_text(CHECKS) == (
        "Telegram\n"
        "  ✓ Bot: @x_bot (id 1)\n"
        "  ⚠ Privacy mode: on\n"
        "      → BotFather: /setprivacy\n"
        "\n"
        "Polza\n"
        "  ✓ Balance: 1200.06 ₽ available\n"
        "  – Live request: skipped\n"
        "\n"
        "0 problems, 1 warning: the bot will work; read the ⚠ lines.\n"
    )


def test_a_failure_sets_the_exit_code_and_the_summary() -> None:
    checks = [*CHECKS, fail("Polza", "API key", "refused", "fix POLZA_API_KEY")]
    assert exit_code(CHECKS) == 0
    assert exit_code(checks) == 1
    assert render_text(checks).endswith(
        "1 problem, 1 warning: fix the ✗ lines, then run the doctor again.\n"
    )
    assert render_text(CHECKS[:1]).endswith("the bot is ready to start (make run).\n")


def test_json_report_has_the_same_checks() -> None:
    report = json.loads(render_json([*CHECKS, fail("Polza", "API key", "refused", "fix it")]))
    assert report["ok"] is False
    assert (report["problems"], report["warnings"]) == (1, 1)
    assert report["checks"][1] == {
        "group": "Telegram",
        "name": "Privacy mode",
        "status": "warn",
        "found": "on",
        "fix": "BotFather: /setprivacy",
    }
    assert [check["status"] for check in report["checks"]] == ["ok", "warn", "ok", "skip", "fail"]


def test_secrets_are_masked_wherever_they_appear() -> None:
    checks = [Check("T", "Bot API", Status.FAIL, "GET /bot123:SECRETpart/getMe", "x SECRETpart")]
    [clean] = redact(checks, ["123:SECRETpart", "SECRETpart"])
    assert clean.found == "GET /bot***/getMe"
    assert clean.fix == "x ***"
    assert masked_token("123456:AAbbcc") == "123456:…"
    assert masked_token("no-colon-token") == "…"


@pytest.mark.parametrize(
    ("wanted", "expected_first"),
    [
        ("openai/gpt-4o-mni", "openai/gpt-4o-mini"),
        ("OpenAI/GPT-4o-Mini", "openai/gpt-4o-mini"),
        ("gpt-4o-mini", "openai/gpt-4o-mini"),  # the provider prefix forgotten
        ("anthropic/claude-sonet-4", "anthropic/claude-sonnet-4"),
    ],
)
def test_nearest_ids(wanted: str, expected_first: str) -> None:
    ids = ["openai/gpt-4o-mini", "openai/gpt-4o", "anthropic/claude-sonnet-4", "x/y"]
    found = nearest_ids(wanted, ids)
    assert found[0] == expected_first
    assert len(found) <= 3


def test_nothing_near_gives_nothing() -> None:
    assert nearest_ids("zzzzzzzz", ["openai/gpt-4o-mini", "openai/gpt-4o"]) == []


def _settings(**fields: str) -> Settings:
    return Settings(_env_file=None, bot_token="1:a", polza_api_key="k", **fields)  # type: ignore[arg-type]


def _catalogue() -> Catalogue:
    return Catalogue(parse_models(default_catalogue()), fetched_at=0.0)


def _by_name(checks: list[Check]) -> dict[str, Check]:
    return {check.name: check for check in checks}


def test_models_of_the_wrong_kind_or_blind_vision_model() -> None:
    settings = _settings(
        default_chat_model="bytedance/seedream-4",
        vision_model="openai/gpt-3.5-turbo",
        transcription_model="openai/whisper-1",
    )
    checks = _by_name(model_checks(DoctorContext(settings, False, _no_bot), _catalogue()))
    chat = checks["DEFAULT_CHAT_MODEL"]
    assert chat.status is Status.FAIL
    assert chat.found == "bytedance/seedream-4 is not a chat model (Polza lists it as image)"
    assert chat.fix == (
        "set DEFAULT_CHAT_MODEL to a chat model;"
        " pick one with /model in the bot (it lists Polza's catalogue)"
    )
    assert checks["TRANSCRIPTION_MODEL"].status is Status.OK
    vision = checks["VISION_MODEL"]
    assert (vision.status, vision.found) == (Status.WARN, "openai/gpt-3.5-turbo cannot see images")
    assert checks["DEFAULT_IMAGE_MODEL"].status is Status.OK
    assert checks["DEFAULT_VIDEO_MODEL"].status is Status.OK  # kling/v3, a video model


def _no_bot(settings: Settings) -> Bot:
    raise AssertionError("no Telegram in model checks")
