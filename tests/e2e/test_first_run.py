"""What a new operator meets: `make run` before `.env` exists, and a database it cannot create."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.support.processes import ROOT


def test_make_run_without_env_file_creates_it_and_says_what_to_fill(tmp_path: Path) -> None:
    for name in ("Makefile", ".env.example"):
        shutil.copy(ROOT / name, tmp_path / name)
    result = subprocess.run(
        ["make", "--no-print-directory", "run"],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode != 0
    assert (tmp_path / ".env").read_text() == (ROOT / ".env.example").read_text()
    assert result.stdout.splitlines() == [
        "Created .env from .env.example. Fill in these two lines in .env, then run 'make run'"
        " again:",
        "  BOT_TOKEN=      the token @BotFather gave you",
        "  POLZA_API_KEY=  your Polza.ai API key (polza.ai → API keys)",
    ]
    assert not (tmp_path / ".venv").exists()  # stopped before installing anything


def test_a_database_path_that_cannot_be_created_stops_with_one_line(tmp_path: Path) -> None:
    (tmp_path / "data").write_text("a file where the data folder should be")
    result = subprocess.run(
        [sys.executable, "-m", "bot"],
        cwd=tmp_path,
        env={
            "PATH": "/usr/bin:/bin",
            "PYTHONPATH": str(ROOT),
            "BOT_TOKEN": "1:abc",
            "POLZA_API_KEY": "x",
            "DATABASE_PATH": "data/bot.sqlite3",
        },
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines()[-1] == (
        "Database error: cannot create data/bot.sqlite3 (data is a file); make its folder"
        " writable for this user or set DATABASE_PATH to another file"
    )
