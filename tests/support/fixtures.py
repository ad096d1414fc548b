"""The shared voice fixtures, which live beside the repository (`../shared/fixtures`)."""

from __future__ import annotations

from pathlib import Path

SHARED_FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures"


def fixture_bytes(name: str) -> bytes:
    path = SHARED_FIXTURES / name
    if not path.exists():
        raise FileNotFoundError(f"voice fixture {name} is missing: expected it at {path}")
    return path.read_bytes()
