"""The command line: `python -m bot` runs the bot, `python -m bot doctor` checks the setup,
`python -m bot migrate-sqlite-to-postgres` moves a bot's data to PostgreSQL."""

from __future__ import annotations

import argparse
from collections.abc import Sequence


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="Polza Telegram assistant. Without a command it runs the bot.",
    )
    commands = parser.add_subparsers(dest="command")
    doctor = commands.add_parser(
        "doctor",
        help="check the settings, Telegram, Polza, storage and ffmpeg, then exit",
        description="Check the deployment: each line ✓, ⚠ or ✗. Exit code 1 when any ✗.",
    )
    doctor.add_argument(
        "--live",
        action="store_true",
        help="also send one tiny real chat request (costs a fraction of a ruble)",
    )
    doctor.add_argument("--json", action="store_true", help="print the report as JSON")
    move = commands.add_parser(
        "migrate-sqlite-to-postgres",
        help="copy a SQLite database into the PostgreSQL database DATABASE_URL names",
        description="Copy every table (users, history, ledger, settings, admins, inbox) in one"
        " transaction. Stop the bot first. The target must be empty unless --force.",
    )
    move.add_argument(
        "--from", dest="source", required=True, help="the SQLite file, e.g. data/bot.sqlite3"
    )
    move.add_argument(
        "--to", dest="target", default="", help="postgresql://… (default: DATABASE_URL)"
    )
    move.add_argument(
        "--force", action="store_true", help="replace whatever the target database holds"
    )
    return parser.parse_args(list(argv))
