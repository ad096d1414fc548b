"""Logging that never prints a secret, whatever library formats the line: text or JSON."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable

from pythonjsonlogger.json import JsonFormatter

REDACTED = "***"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class _Redactor:
    """Masks the bot token and the Polza key in a record's final text, tracebacks included."""

    def __init__(self, secrets: Iterable[str]) -> None:
        # Longest first, so a secret that contains another is masked whole.
        self._secrets = sorted({s for s in secrets if len(s) >= 6}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return text


class RedactingFormatter(logging.Formatter):
    def __init__(self, fmt: str, secrets: Iterable[str]) -> None:
        super().__init__(fmt)
        self._redact = _Redactor(secrets)

    def format(self, record: logging.LogRecord) -> str:
        return self._redact(super().format(record))


class RedactingJsonFormatter(JsonFormatter):
    """One JSON object per line (python-json-logger: maintained, handles `extra` fields and
    tracebacks). Secrets are masked in the serialised line: the token and the key are plain
    ASCII, so JSON escaping leaves them as they are."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"levelname": "level", "name": "logger", "asctime": "time"},
        )
        self._redact = _Redactor(secrets)

    def format(self, record: logging.LogRecord) -> str:
        return self._redact(super().format(record))


def setup_logging(level: str, secrets: Iterable[str], log_format: str = "text") -> None:
    secrets = list(secrets)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        RedactingJsonFormatter(secrets)
        if log_format == "json"
        else RedactingFormatter(TEXT_FORMAT, secrets)
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # HTTP clients and aiosqlite log every request or query, aiogram every update; keep that
    # out of normal logs (the bot writes its own line per answer).
    for noisy in (
        "httpx",
        "httpx2",
        "httpcore",
        "httpcore2",
        "openai",
        "aiosqlite",
        "aiogram.event",
    ):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
