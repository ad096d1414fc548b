"""Where the database goes: DATABASE_PATH, kept inside the data volume when DATA_DIR is set."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.config import Settings
from bot.database_file import usable_database_file


def settings(database_path: Path | str, data_dir: Path | None = None) -> Settings:
    return Settings(
        _env_file=None,
        bot_token=SecretStr("1:abc"),
        polza_api_key=SecretStr("k"),
        database_path=Path(database_path),
        data_dir=data_dir,
    )


def test_without_data_dir_the_database_path_is_used_as_given() -> None:
    assert settings(database_path="data/bot.sqlite3").database_path == Path("data/bot.sqlite3")


def test_a_path_outside_data_dir_gives_way_to_the_volume(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    volume = tmp_path / "data-volume"
    given = settings(data_dir=volume, database_path="data/bot.sqlite3")
    assert given.database_path == volume / "bot.sqlite3"
    with caplog.at_level(logging.WARNING):
        assert usable_database_file(given) == volume / "bot.sqlite3"
    assert (volume / "bot.sqlite3").exists()
    assert "DATABASE_PATH data/bot.sqlite3 is outside DATA_DIR" in caplog.text


def test_a_path_inside_data_dir_is_kept(tmp_path: Path) -> None:
    own = tmp_path / "volume" / "sub" / "mine.sqlite3"
    assert settings(data_dir=tmp_path / "volume", database_path=own).database_path == own


def test_the_folder_is_created(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "bot.sqlite3"
    assert usable_database_file(settings(database_path=path)) == path
    assert path.parent.is_dir()


def test_a_path_that_cannot_be_created_exits_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    with pytest.raises(SystemExit) as stop:
        usable_database_file(settings(database_path=blocker / "bot.sqlite3"))
    assert stop.value.code == 2
    assert capsys.readouterr().err == (
        f"Database error: cannot create {blocker / 'bot.sqlite3'} ({blocker} is a file); make its"
        " folder writable for this user or set DATABASE_PATH to another file\n"
    )
