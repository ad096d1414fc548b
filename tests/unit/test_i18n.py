"""Both catalogues are complete, translated, valid Fluent, and every key used in code exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fluent.syntax import FluentParser, ast

from bot.i18n import LOCALES_DIR, SUPPORTED_LANGUAGES, language_for

ROOT = Path(__file__).resolve().parents[2]
# Texts that are legitimately identical in both languages.
# "{ $label }: { $value }"; a bare emoji button reads the same in every language.
SAME_IN_BOTH: set[str] = {"settings-line", "voice-speak-button"}


def catalogue(language: str) -> dict[str, str]:
    messages: dict[str, str] = {}
    for path in sorted((LOCALES_DIR / language).glob("*.ftl")):
        resource = FluentParser().parse(path.read_text(encoding="utf-8"))
        for entry in resource.body:
            assert not isinstance(entry, ast.Junk), f"{path}: unparsable entry {entry.content!r}"
            if isinstance(entry, ast.Message):
                assert entry.id.name not in messages, f"duplicate key {entry.id.name}"
                messages[entry.id.name] = (
                    path.read_text(encoding="utf-8")[entry.span.start : entry.span.end]
                    if entry.span
                    else entry.id.name
                )
    return messages


def test_every_language_has_the_same_keys() -> None:
    keys = {language: set(catalogue(language)) for language in SUPPORTED_LANGUAGES}
    english = keys["en"]
    for language, found in keys.items():
        assert found - english == set(), f"{language} has keys English lacks"
        assert english - found == set(), f"{language} is missing keys"


def test_russian_entries_are_translated() -> None:
    english = catalogue("en")
    russian = catalogue("ru")
    untranslated = [
        key
        for key, text in russian.items()
        if key not in SAME_IN_BOTH
        and (text == english[key] or not re.search("[а-яё]", text, re.IGNORECASE))
    ]
    assert untranslated == []


def test_every_key_used_in_code_exists() -> None:
    english = set(catalogue("en"))
    used: set[str] = set()
    pattern = re.compile(r"""(?:tr\(i18n,\s*|i18n\.get\(|core\.get\(f?)"([a-z0-9-]+)""")
    for folder in ("bot", "handlers"):
        for path in (ROOT / folder).rglob("*.py"):
            used.update(pattern.findall(path.read_text(encoding="utf-8")))
    from bot.i18n import _ERROR_KEYS  # the error texts are looked up through a table

    used.update(_ERROR_KEYS.values())
    from bot.telegram.admin_alerts import ALERT_KEYS

    used.update(ALERT_KEYS.values())
    from bot.telegram.command_menus import ADMIN_COMMANDS, USER_COMMANDS

    used.discard("command-")
    used.update(f"command-{name}" for name in USER_COMMANDS + ADMIN_COMMANDS)
    assert used, "the key scan found nothing: the pattern is broken"
    assert used - english == set()


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("ru", "ru"),
        ("uk", "en"),
        ("be", "ru"),
        ("kk", "ru"),
        ("en", "en"),
        ("de", "en"),
        ("pt-br", "en"),
        ("ru-RU", "ru"),
        (None, "ru"),
        ("", "ru"),
    ],
)
def test_interface_language_from_telegram(code: str | None, expected: str) -> None:
    assert language_for(code, default="ru") == expected
