"""The Russian README is kept in step with README.md, and both document every setting."""

from __future__ import annotations

import re
from pathlib import Path

from bot.config import Settings

ROOT = Path(__file__).resolve().parents[2]
ENGLISH = (ROOT / "README.md").read_text(encoding="utf-8")
RUSSIAN = (ROOT / "README.ru.md").read_text(encoding="utf-8")


def heading_levels(text: str) -> list[int]:
    levels, in_code = [], False
    for line in text.splitlines():
        if line.startswith("```"):
            in_code = not in_code
        elif not in_code and line.startswith("#"):
            levels.append(len(line) - len(line.lstrip("#")))
    return levels


def settings_rows(text: str) -> list[str]:
    return re.findall(r"^\| `([A-Z0-9_]+)` \|", text, flags=re.MULTILINE)


def test_both_readmes_have_the_same_sections() -> None:
    assert heading_levels(RUSSIAN) == heading_levels(ENGLISH)


def test_both_readmes_list_the_same_settings_in_the_same_order() -> None:
    assert settings_rows(RUSSIAN) == settings_rows(ENGLISH)


def test_every_setting_is_in_the_settings_table() -> None:
    documented = set(settings_rows(ENGLISH))
    assert {name.upper() for name in Settings.model_fields} - documented == set()
