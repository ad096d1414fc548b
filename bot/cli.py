"""The command line: `python -m bot` runs the bot, `python -m bot doctor` checks the setup."""

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
    return parser.parse_args(list(argv))
