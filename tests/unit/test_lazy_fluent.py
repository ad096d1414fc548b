"""Catalogues parsed entry by entry on first use give the same texts as parsing them whole."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fluent.runtime import FluentBundle, FluentResource

from bot.i18n import LOCALES_DIR, SUPPORTED_LANGUAGES
from bot.lazy_fluent import FORMATTED_TEXTS_KEPT, LazyBundle, LazyFluentCore

NUMBERS = (0, 1, 2, 5, 21, 1.5, 1234567)


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_every_text_reads_as_from_the_whole_catalogue(language: str) -> None:
    files = sorted((LOCALES_DIR / language).glob("*.ftl"))
    whole = FluentBundle([language], use_isolating=False)
    for path in files:
        whole.add_resource(FluentResource(path.read_text(encoding="utf-8")))
    lazy = LazyBundle(language, files)
    variables = set(re.findall(r"\$([a-zA-Z][\w-]*)", "".join(p.read_text() for p in files)))
    assert len(whole._messages) > 300  # every text of the catalogue is compared
    for key in whole._messages:
        assert lazy.has_message(key)
        expected, got = whole.get_message(key), lazy.get_message(key)
        patterns = [(expected.value, got.value)]
        patterns += [(expected.attributes[a], got.attributes[a]) for a in expected.attributes]
        for want, have in patterns:
            assert (want is None) == (have is None), key
            if want is None or have is None:
                continue
            for number in NUMBERS:  # plural forms and number formatting in the language
                args = dict.fromkeys(variables, number)
                text, errors = lazy.format_pattern(have, args)
                expected_text, expected_errors = whole.format_pattern(want, args)
                assert (text, len(errors)) == (expected_text, len(expected_errors)), key
    assert not lazy.has_message("no-such-text")


def test_references_across_files_and_the_first_definition_wins(tmp_path: Path) -> None:
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "a.ftl").write_text(
        "# Brand\n-brand = Polza\n\nhello = Hi from { -brand }!\n"
        "    .title = { greeting }\n## Group\nitems = { $count ->\n"
        "    [one] one item\n   *[other] { $count } items\n}\n",
        encoding="utf-8",
    )
    (tmp_path / "en" / "b.ftl").write_text(
        "greeting = Welcome to { -brand }\nhello = overridden\n", encoding="utf-8"
    )
    core = LazyFluentCore(path=tmp_path / "{locale}", default_locale="en")
    core.locales.update(core.find_locales())
    assert core.get("hello", "en") == "Hi from Polza!"
    bundle = core.get_translator("en")
    title = bundle.get_message("hello").attributes["title"]
    assert bundle.format_pattern(title)[0] == "Welcome to Polza"
    assert core.get("items", "en", count=1) == "one item"
    assert core.get("items", "en", count=3) == "3 items"


def test_formatted_texts_are_kept_per_locale_and_values(tmp_path: Path) -> None:
    for locale, word in (("en", "item"), ("ru", "штука")):
        (tmp_path / locale).mkdir()
        (tmp_path / locale / "a.ftl").write_text(
            f"stop = Stop {locale}\nitems = {{ $count }} {word}\n",
            encoding="utf-8",
        )
    core = LazyFluentCore(path=tmp_path / "{locale}", default_locale="en")
    core.locales.update(core.find_locales())
    assert core.get("stop", "en") == "Stop en"
    assert core.get("stop", "ru") == "Stop ru"
    assert core.get("stop", "en") == "Stop en"
    assert core.get("items", "en", count=1) == "1 item"
    assert core.get("items", "en", count=2) == "2 item"
    assert core.get("items", "en", count=1.5) == "1.5 item"
    assert core.get("items", "ru", count=1) == "1 штука"
    # Never more than FORMATTED_TEXTS_KEPT texts, whatever values come.
    for count in range(FORMATTED_TEXTS_KEPT + 10):
        assert core.get("items", "en", count=count) == f"{count:,} item"
    assert len(core._formatted) <= FORMATTED_TEXTS_KEPT
