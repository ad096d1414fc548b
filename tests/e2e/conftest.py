"""End-to-end fixtures: the fake Telegram and fake Polza servers, and the real bot process."""

from __future__ import annotations

import os
import signal
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.fakes import PolzaControl, TelegramControl
from tests.support.processes import (
    BotProcess,
    ForkedBotProcess,
    ServiceProcess,
    Zygote,
    wait_until,
)

BOT_TOKEN = "7000001:AAF-e2e-test-token_secret"
POLZA_API_KEY = "pza_e2e_secret_key_0123456789"
BOT_USERNAME = "polza_test_bot"


@pytest.fixture(scope="session")
def telegram_server() -> Iterator[ServiceProcess]:
    server = ServiceProcess(
        "tests.fakes.telegram_api", "--token", BOT_TOKEN, "--bot-username", BOT_USERNAME
    ).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def polza_server() -> Iterator[ServiceProcess]:
    server = ServiceProcess("tests.fakes.polza_api", "--api-key", POLZA_API_KEY).start()
    yield server
    server.stop()


@pytest.fixture
def telegram(telegram_server: ServiceProcess) -> TelegramControl:
    control = TelegramControl(telegram_server.url)
    control.reset()
    return control


@pytest.fixture
def polza(polza_server: ServiceProcess) -> Iterator[PolzaControl]:
    control = PolzaControl(polza_server.url)
    control.reset()
    yield control
    assert control.unexpected() == [], "the bot called something the fake Polza does not serve"


BotLauncher = Callable[[dict[str, str], Path], BotProcess | ForkedBotProcess]


@pytest.fixture(scope="session")
def bot_launcher() -> Iterator[BotLauncher]:
    """How the bot process is started: forked from a pre-imported zygote (fast), or with
    `E2E_EXEC=1` as a fresh `python -m bot` each time (what an operator runs)."""
    if os.environ.get("E2E_EXEC") == "1":
        yield lambda env, log: BotProcess(env, log).start()
        return
    zygote = Zygote().start()
    yield lambda env, log: ForkedBotProcess(zygote, env, log).start()
    zygote.stop()


class BotHarness:
    """Starts and restarts the real bot against the fakes, on one database."""

    def __init__(
        self,
        telegram: TelegramControl,
        polza: PolzaControl,
        workdir: Path,
        launch: BotLauncher,
    ) -> None:
        self.launch = launch
        self.telegram = telegram
        self.polza = polza
        self.workdir = workdir
        self.database = workdir / "data" / "bot.sqlite3"
        self.env = {
            "BOT_TOKEN": BOT_TOKEN,
            "POLZA_API_KEY": POLZA_API_KEY,
            "POLZA_BASE_URL": polza.base_url,
            "TELEGRAM_API_URL": telegram.url,
            "DATABASE_PATH": str(self.database),
            "LOG_LEVEL": "DEBUG",
            "DRAFT_INTERVAL_SECONDS": "0.05",
            "EDIT_INTERVAL_SECONDS": "0.2",
            # Most tests talk as made-up users; the closed default has tests of its own, which
            # drop this (see `invite_only`).
            "ACCESS_MODE": "open",
            # Tests send messages back to back and expect an answer each; merging is tested
            # with the setting given explicitly.
            "MERGE_WINDOW_SECONDS": "0",
        }
        self.process: BotProcess | ForkedBotProcess | None = None
        self.runs = 0

    def start(self, **env: str) -> BotHarness:
        self.env.update(env)
        polls_before = self.telegram.state()["get_updates_calls"]
        self.runs += 1
        self.process = self.launch(self.env, self.workdir / "bot.log")
        # Generous: on a loaded machine a start can take well over the usual few seconds.
        if webhook := self.env.get("WEBHOOK_URL"):
            wait_until(
                lambda: self.telegram.state()["webhook_url"] == webhook,
                60,
                what="the bot to register its webhook",
            )
        else:
            self.telegram.wait_polling(after=polls_before, timeout=60)
        return self

    def invite_only(self) -> BotHarness:
        """Start with the bot's own default access (invite) on the next `start`."""
        self.env.pop("ACCESS_MODE", None)
        return self

    def stop(self) -> int | None:
        code = self.process.stop() if self.process else None
        self.process = None
        return code

    def stop_hard(self) -> None:
        """kill -9: no shutdown code runs."""
        if self.process is not None:
            self.process.stop(signal.SIGKILL)
        self.process = None

    def restart(self) -> BotHarness:
        self.stop()
        return self.start()

    def log(self) -> str:
        path = self.workdir / "bot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def database_dump(self) -> str:
        if not self.database.exists():
            return ""
        with sqlite3.connect(self.database) as conn:
            return "\n".join(conn.iterdump())


@pytest.fixture
def bot(
    telegram: TelegramControl, polza: PolzaControl, tmp_path: Path, bot_launcher: BotLauncher
) -> Iterator[BotHarness]:
    harness = BotHarness(telegram, polza, tmp_path, bot_launcher)
    yield harness
    harness.stop()
    log = harness.log()
    print(log)  # noqa: T201 - pytest shows it only when the test failed
    for secret in (BOT_TOKEN, POLZA_API_KEY, BOT_TOKEN.split(":")[1]):
        assert secret not in log, "a secret leaked into the bot's log"
        assert secret not in harness.database_dump(), "a secret leaked into the database"
    assert "Traceback" not in log, "the bot logged an unexpected exception"
