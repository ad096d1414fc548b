"""Settings from the environment."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.config import Settings


def make(monkeypatch: pytest.MonkeyPatch, **env: str) -> Settings:
    for key in ("BOT_TOKEN", "POLZA_API_KEY", "ALLOWED_USER_IDS", "ADMIN_USER_IDS"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return Settings(_env_file=None)


def test_defaults_and_id_lists(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = make(
        monkeypatch,
        BOT_TOKEN="1:abc",
        POLZA_API_KEY="k",
        ALLOWED_USER_IDS="1, 2,3",
        ADMIN_USER_IDS="",
    )
    assert settings.allowed_user_ids == frozenset({1, 2, 3})
    assert settings.admin_user_ids == frozenset()
    assert settings.polza_base_url == "https://api.polza.ai/api/v1"
    assert settings.polza_v2_url == "https://api.polza.ai/api/v2"
    assert settings.default_chat_model == "openai/gpt-4o-mini"
    assert "1:abc" not in repr(settings)


def test_missing_token_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValidationError) as error:
        make(monkeypatch, POLZA_API_KEY="k")
    assert error.value.errors()[0]["loc"] == ("bot_token",)


def test_an_empty_key_as_copied_from_env_example_counts_as_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(ValidationError) as error:
        make(monkeypatch, BOT_TOKEN="1:abc", POLZA_API_KEY=" ")
    assert [(e["loc"], e["type"]) for e in error.value.errors()] == [
        (("polza_api_key",), "missing")
    ]


def test_transcription_language_is_an_iso_code_or_empty(monkeypatch: pytest.MonkeyPatch) -> None:
    base = {"BOT_TOKEN": "1:abc", "POLZA_API_KEY": "k"}
    assert make(monkeypatch, **base).transcription_language == ""
    assert make(monkeypatch, **base, TRANSCRIPTION_LANGUAGE=" DE ").transcription_language == "de"
    with pytest.raises(ValidationError) as error:
        make(monkeypatch, **base, TRANSCRIPTION_LANGUAGE="german")
    assert error.value.errors()[0]["loc"] == ("transcription_language",)
    settings = make(monkeypatch, **base, TRANSCRIPTION_LANGUAGE="")
    assert (settings.tts_model, settings.tts_voice) == ("openai/gpt-4o-mini-tts", "alloy")
