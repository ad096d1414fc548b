"""The system under test: both fakes and a bot process, plus what we read from them.

The bot process is the real bot (`python -m bot`) or the baseline (`python -m
bench.baseline_bot`, the same stack with no features), started with the same environment.

Processes are started with the end-to-end harness (`tests.support.processes`); everything else
(log cursors, /proc readings, the hand-out calibration) is bench-specific.
"""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import statistics
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.http import JsonClient
from tests.support.processes import BotProcess, ServiceProcess, wait_until

BOT_TOKEN = "7000001:AAF-bench-token_secret-0123456789"
POLZA_API_KEY = "pza_bench_secret_key_0123456789"
BOT_USERNAME = "polza_bench_bot"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

# The bot's settings in every run: the production defaults, written out so that nothing in the
# caller's environment changes them.
BOT_SETTINGS = {
    "LOG_LEVEL": "INFO",
    "DRAFT_INTERVAL_SECONDS": "0.3",
    "EDIT_INTERVAL_SECONDS": "1.0",
    "HISTORY_MAX_TURNS": "20",
    "HISTORY_MAX_CHARS": "24000",
    "POLZA_MAX_RETRIES": "2",
    "POLZA_TIMEOUT_SECONDS": "90",
    "ALLOWED_USER_IDS": "",
    # The bench's users are made up (the bot is invite-only by default), and its bursts send
    # more messages per conversation than the default queue bound lets wait.
    "ACCESS_MODE": "open",
    "MAX_QUEUED_PER_CONVERSATION": "100",
    # Every message is one measured answer; merging quick texts into one would skew the counts.
    "MERGE_WINDOW_SECONDS": "0",
}

# What each kind of bot process runs.
BOT_MODULES = {"bot": "bot", "baseline": "bench.baseline_bot"}

_PROBLEM_LINE = re.compile(r"^\d{4}-\d\d-\d\d [\d:,.]+ (WARNING|ERROR|CRITICAL) ")


class BenchError(Exception):
    """A scenario cannot go on (timeout, crash, wrong answer): the run is broken."""


def wait_for(
    predicate: Callable[[], Any], timeout: float, what: str, interval: float = 0.01
) -> Any:
    """Poll `predicate` until it returns something truthy; BenchError after `timeout` s."""
    try:
        return wait_until(predicate, timeout, interval, what)
    except AssertionError:
        raise BenchError(f"timed out after {timeout:.0f}s waiting for {what}") from None


# -- /proc ------------------------------------------------------------------------------------


def memory_kb(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak RSS) of a process, in KiB."""
    found: dict[str, int] = {}
    with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as status:
        for line in status:
            key, _, rest = line.partition(":")
            if key in {"VmRSS", "VmHWM"}:
                found[key] = int(rest.split()[0])
    return found


def cpu_times(pid: int) -> tuple[float, float]:
    """(user, system) CPU seconds a process has used so far."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0, 0.0
    return int(fields[11]) / CLOCK_TICKS, int(fields[12]) / CLOCK_TICKS


def machine_cpu_seconds() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, summed over cores."""
    with open("/proc/stat", encoding="ascii") as stat:
        values = [int(v) for v in stat.readline().split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    total = sum(values[:8])
    return (total - idle) / CLOCK_TICKS, total / CLOCK_TICKS


@dataclass
class CpuMeter:
    """CPU used by each of our processes, and by everything else on the machine, over a span."""

    pids: dict[str, int]
    # Called at the end: processes that may have started during the span (a pool's new
    # PostgreSQL backends). Those not known at the start count all their CPU as the span's.
    late_pids: Callable[[], dict[str, int]] | None = None
    wall: float = 0.0
    used: dict[str, tuple[float, float]] = field(default_factory=dict)  # name: (user, system)
    machine_busy: float = 0.0

    def _now(self) -> tuple[dict[str, tuple[float, float]], float]:
        times = {name: cpu_times(pid) for name, pid in self.pids.items()}
        own = os.times()
        times["bench"] = (own.user, own.system)
        return times, machine_cpu_seconds()[0]

    def __enter__(self) -> CpuMeter:
        self._t0 = time.monotonic()
        self._start, self._busy0 = self._now()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.monotonic() - self._t0
        if self.late_pids is not None:
            self.pids = {**self.late_pids(), **self.pids}
        end, busy = self._now()
        start = {name: self._start.get(name, (0.0, 0.0)) for name in end}
        # A process gone by the end reads as (0, 0): what it used is unknown, not negative.
        self.used = {
            name: (max(0.0, user - start[name][0]), max(0.0, system - start[name][1]))
            for name, (user, system) in end.items()
        }
        self.machine_busy = busy - self._busy0

    @property
    def others_share(self) -> float:
        """CPU used by processes outside the benchmark, as a share of one core."""
        ours = sum(user + system for user, system in self.used.values())
        return max(0.0, self.machine_busy - ours) / self.wall if self.wall > 0 else 0.0

    def share(self, name: str) -> float:
        user, system = self.used.get(name, (0.0, 0.0))
        return (user + system) / self.wall if self.wall > 0 else 0.0

    def summary(self) -> str:
        if self.wall <= 0:
            return ""
        ours = sum(user + system for user, system in self.used.values())
        others = max(0.0, self.machine_busy - ours)
        parts = [
            f"{name} {(user + system) / self.wall:.0%} (kernel {system / self.wall:.0%})"
            for name, (user, system) in self.used.items()
        ]
        return (
            f"CPU over {self.wall:.1f} s (100% = one core): {', '.join(parts)}; processes "
            f"outside the benchmark {others / self.wall:.0%} (the machine has "
            f"{os.cpu_count()} cores)"
        )


class RssSampler:
    """Samples a process's VmRSS every `interval` seconds on a thread."""

    def __init__(self, pid: int, interval: float = 0.05) -> None:
        self.pid = pid
        self.interval = interval
        self.peak_kb = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                rss = memory_kb(self.pid).get("VmRSS", 0)
            except FileNotFoundError:
                return
            self.peak_kb = max(self.peak_kb, rss)
            self.samples += 1
            self._stop.wait(self.interval)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)


# -- the fakes' logs --------------------------------------------------------------------------


class TelegramLog:
    """Incremental reader of the fake Telegram's call log (`/_test/log?since=`).

    Entries still running (`ok` is None) are fetched again until they finish, except long
    polls: the bot's waiting getUpdates would otherwise make every fetch re-read everything
    after it. `refresh_from(seq)` re-reads a range explicitly (used for getUpdates results).
    """

    def __init__(self, client: JsonClient) -> None:
        self.client = client
        self.entries: dict[int, dict[str, Any]] = {}
        self._since = 0

    def restart(self) -> None:
        """After a reset of the fake: forget what was read, keep reading new sequence numbers."""
        self.entries.clear()

    def _read(self, since: int) -> list[dict[str, Any]]:
        fetched: list[dict[str, Any]] = self.client.get(f"/_test/log?since={since}")
        for entry in fetched:
            self.entries[entry["seq"]] = entry
        return fetched

    def fetch(self) -> list[dict[str, Any]]:
        fetched = self._read(self._since)
        if fetched:
            running = [
                e["seq"] for e in fetched if e["ok"] is None and e["method"] != "getUpdates"
            ]
            self._since = min(running) - 1 if running else max(e["seq"] for e in fetched)
        return fetched

    def refresh_from(self, seq: int) -> list[dict[str, Any]]:
        """Re-read every entry from `seq` on (the incremental cursor is left alone)."""
        return self._read(seq - 1)

    @property
    def last_seq(self) -> int:
        return max(self.entries, default=0)

    def calls(self, methods: Iterable[str], since_seq: int = 0) -> list[dict[str, Any]]:
        wanted = {m.lower() for m in methods}
        return [
            e
            for seq, e in sorted(self.entries.items())
            if seq > since_seq and e["method"].lower() in wanted
        ]

    def waiting_poll(self) -> dict[str, Any] | None:
        """The newest getUpdates, if it is still waiting (a long poll in progress)."""
        polls = self.calls(["getUpdates"])
        if polls and polls[-1]["ok"] is None:
            return polls[-1]
        return None


class PolzaJournal:
    """Incremental reader of the fake Polza's journal (`/_test/journal?since=`)."""

    def __init__(self, client: JsonClient) -> None:
        self.client = client
        self.entries: dict[int, dict[str, Any]] = {}

    def restart(self) -> None:
        self.entries.clear()

    def refresh_from(self, seq: int) -> list[dict[str, Any]]:
        fetched: list[dict[str, Any]] = self.client.get(f"/_test/journal?since={seq - 1}")
        for entry in fetched:
            self.entries[entry["seq"]] = entry
        return fetched

    @property
    def last_seq(self) -> int:
        return max(self.entries, default=0)

    def chat_requests(self, since_seq: int = 0) -> list[dict[str, Any]]:
        return [
            e
            for seq, e in sorted(self.entries.items())
            if seq > since_seq
            and e["path"].endswith("/chat/completions")
            and isinstance(e.get("json"), dict)
        ]


def request_user_text(entry: dict[str, Any]) -> str:
    """The last user message of a journalled chat request."""
    for message in reversed(entry["json"].get("messages") or []):
        if message.get("role") == "user" and isinstance(message.get("content"), str):
            return str(message["content"])
    return ""


# -- the bot ----------------------------------------------------------------------------------


@dataclass
class BotRun:
    """One start of a bot process (`kind`, see BOT_MODULES); the real bot on a fresh database."""

    kind: str
    label: str
    process: BotProcess
    directory: Path
    database: Path
    started_at: float  # time.time() right before the process was spawned
    first_request_at: float | None = None  # first Bot API call (getMe) at the fake
    first_poll_at: float | None = None  # first getUpdates at the fake
    idle_rss_kb: int | None = None
    startup_cpu: float | None = None  # CPU seconds the process had used when it first polled

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def stores_history(self) -> bool:
        """Only the real bot has a database; the baseline stores nothing."""
        return self.kind == "bot"

    @property
    def log_path(self) -> Path:
        return self.process.log_path

    def log_size(self) -> int:
        return self.log_path.stat().st_size if self.log_path.exists() else 0

    def log_since(self, offset: int) -> str:
        if not self.log_path.exists():
            return ""
        with self.log_path.open("rb") as log:
            log.seek(offset)
            return log.read().decode(errors="replace")

    def problems(self, offset: int = 0) -> tuple[list[str], list[str]]:
        """(errors, warnings) the bot logged after `offset`: ERROR/CRITICAL lines and
        tracebacks count as errors."""
        errors: list[str] = []
        warnings: list[str] = []
        for line in self.log_since(offset).splitlines():
            match = _PROBLEM_LINE.match(line)
            if match:
                (warnings if match.group(1) == "WARNING" else errors).append(line.strip())
            elif line.startswith("Traceback"):
                errors.append(line.strip())
        return errors, warnings

    def messages_count(self) -> int:
        """Rows in the bot's `messages` table (read while the bot runs: WAL allows it)."""
        with sqlite3.connect(self.database, timeout=10) as conn:
            row = conn.execute("SELECT COUNT(*) FROM messages").fetchone()
        return int(row[0])

    @property
    def startup_seconds(self) -> float | None:
        if self.first_poll_at is None:
            return None
        return self.first_poll_at - self.started_at

    def ensure_running(self) -> None:
        if not self.process.running():
            tail = self.log_since(max(0, self.log_size() - 3000))
            raise BenchError(f"the {self.kind} process ({self.label}) exited; log tail:\n{tail}")


class Stack:
    """Both fakes for the whole run, and bot processes started on demand."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.telegram_server: ServiceProcess | None = None
        self.polza_server: ServiceProcess | None = None
        self.telegram: JsonClient | None = None
        self.polza: JsonClient | None = None
        self.tg_log: TelegramLog | None = None
        self.journal: PolzaJournal | None = None
        self.bot: BotRun | None = None
        self.runs: list[BotRun] = []
        self.calibration_ms: list[float] = []

    # -- fakes ----------------------------------------------------------------------------------

    def start_fakes(self) -> None:
        servers = {
            "telegram": ServiceProcess(
                "tests.fakes.telegram_api", "--token", BOT_TOKEN, "--bot-username", BOT_USERNAME
            ),
            "polza": ServiceProcess("tests.fakes.polza_api", "--api-key", POLZA_API_KEY),
        }
        failures: list[BaseException] = []

        def start(server: ServiceProcess) -> None:
            try:
                server.start()
            except BaseException as error:  # reported below, in the main thread
                failures.append(error)

        threads = [threading.Thread(target=start, args=(s,)) for s in servers.values()]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(40)
        self.telegram_server, self.polza_server = servers["telegram"], servers["polza"]
        if failures or not all(s.port for s in servers.values()):
            raise BenchError(f"the fakes did not start: {failures!r}")
        self.telegram = JsonClient(self.telegram_server.url)
        self.polza = JsonClient(self.polza_server.url)
        self.tg_log = TelegramLog(self.telegram)
        self.journal = PolzaJournal(self.polza)

    @property
    def fake_pids(self) -> dict[str, int]:
        pids: dict[str, int] = {}
        for name, server in (
            ("fake Telegram", self.telegram_server),
            ("fake Polza", self.polza_server),
        ):
            if server is not None and server.proc is not None:
                pids[name] = server.proc.pid
        return pids

    def tg(self) -> tuple[JsonClient, TelegramLog]:
        assert self.telegram is not None and self.tg_log is not None, "fakes not started"
        return self.telegram, self.tg_log

    def pz(self) -> tuple[JsonClient, PolzaJournal]:
        assert self.polza is not None and self.journal is not None, "fakes not started"
        return self.polza, self.journal

    def reset_polza(self, chat_rules: list[dict[str, Any]] | None = None) -> None:
        """Clear fake Polza (journal, rules) and set new chat rules.

        Fake Telegram is not reset while a bot runs: a reset empties its log under the bot's
        waiting long poll, whose arrival time scenario 1 needs. Its log is read by sequence
        number instead (`TelegramLog`), so old entries cost only the fake's linear `since`
        filter.
        """
        polza, journal = self.pz()
        polza.post("/_test/reset", {})
        journal.restart()
        if chat_rules:
            polza.post("/_test/chat/rules", chat_rules)

    def calibrate_handout(self, rounds: int) -> list[float]:
        """How long after the injection's answer a waiting long poll gets its update.

        With no bot running, a bench thread long-polls getUpdates on its own connection; the
        main thread injects one update; the difference between the poll's answer and the
        injection's answer (both read by this process) bounds how much of the fake's own
        work the overhead figure contains. Must run while no bot is polling.
        """
        telegram, tg_log = self.tg()
        assert self.telegram_server is not None
        poller = JsonClient(self.telegram_server.url)
        offset = 0
        results: list[float] = []

        def poll(at_offset: int, answer: dict[str, Any]) -> None:
            path = f"/bot{BOT_TOKEN}/getUpdates?timeout=5"
            if at_offset:
                path += f"&offset={at_offset}"
            data, _, received = poller.timed("GET", path)
            answer["received"] = received
            answer["result"] = data["result"]

        def polls_counted() -> int:
            return int(telegram.get("/_test/state")["get_updates_calls"])

        try:
            for index in range(rounds):
                answer: dict[str, Any] = {}
                before = polls_counted()
                thread = threading.Thread(target=poll, args=(offset, answer))
                thread.start()
                wait_for(
                    lambda: polls_counted() > before,  # noqa: B023 - used within the round
                    5,
                    "the calibration poll",
                    interval=0.002,
                )
                time.sleep(0.005)  # the poll is now waiting inside the fake
                update = _calibration_update(index)
                data, _, injected = telegram.timed("POST", "/_test/update", update)
                thread.join(10)
                received = answer.get("received")
                if not isinstance(received, float) or not answer.get("result"):
                    raise BenchError("the calibration long poll returned nothing")
                results.append((received - injected) * 1000)
                offset = int(data["update_ids"][0]) + 1
            # Confirm the last one, so no bot ever sees the calibration updates.
            poller.get(f"/bot{BOT_TOKEN}/getUpdates?timeout=0&offset={offset}")
        finally:
            poller.close()
        telegram.post("/_test/reset", {})
        tg_log.restart()
        self.calibration_ms = results
        return results

    # -- the bot --------------------------------------------------------------------------------

    def bot_env(self, database: Path) -> dict[str, str]:
        assert self.telegram_server is not None and self.polza_server is not None
        return {
            **BOT_SETTINGS,
            "BOT_TOKEN": BOT_TOKEN,
            "POLZA_API_KEY": POLZA_API_KEY,
            "POLZA_BASE_URL": f"{self.polza_server.url}/api/v1",
            "TELEGRAM_API_URL": self.telegram_server.url,
            "DATABASE_PATH": str(database),
        }

    def start_bot(self, label: str, kind: str = "bot", timeout: float = 60.0) -> BotRun:
        """Start a bot process of `kind` (the real bot on a fresh database); return once it
        long-polls."""
        if self.bot is not None:
            raise BenchError("a bot is already running")
        _, tg_log = self.tg()
        tg_log.fetch()
        seq_before = tg_log.last_seq
        directory = self.workdir / f"{kind}-{len(self.runs) + 1}-{label}"
        directory.mkdir(parents=True)
        database = directory / "data" / "bot.sqlite3"
        process = BotProcess(self.bot_env(database), directory / "bot.log", BOT_MODULES[kind])
        started_at = time.time()
        process.start()
        run = BotRun(kind, label, process, directory, database, started_at)
        self.bot = run
        self.runs.append(run)

        def polling() -> bool:
            run.ensure_running()
            tg_log.fetch()
            return tg_log.waiting_poll() is not None and bool(
                tg_log.calls(["getUpdates"], seq_before)
            )

        wait_for(polling, timeout, f"the {kind} ({label}) to poll", interval=0.005)
        run.startup_cpu = sum(cpu_times(run.pid))
        first_call = next(iter(tg_log.calls(["getMe"], seq_before)), None)
        first_poll = tg_log.calls(["getUpdates"], seq_before)[0]
        run.first_request_at = first_call["time"] if first_call else None
        run.first_poll_at = first_poll["time"]
        time.sleep(0.3)  # let start-up finish (set_my_commands, logging) before reading RSS
        run.idle_rss_kb = memory_kb(run.pid).get("VmRSS")
        return run

    def stop_bot(self) -> int | None:
        run, self.bot = self.bot, None
        if run is None:
            return None
        code = run.process.stop(signal.SIGTERM, timeout=30)
        self.confirm_pending()
        return code

    def confirm_pending(self) -> None:
        """Confirm what a stopped bot left unconfirmed (aiogram confirms a batch only with its
        next getUpdates), so that the next bot process never answers it again."""
        if self.telegram is None:
            return
        telegram = self.telegram
        pending = telegram.get("/_test/state").get("pending_update_ids") or []
        if pending:
            telegram.get(f"/bot{BOT_TOKEN}/getUpdates?timeout=0&offset={max(pending) + 1}")

    def close(self) -> None:
        self.stop_bot()
        for client in (self.telegram, self.polza):
            if client is not None:
                client.close()
        for server in (self.telegram_server, self.polza_server):
            if server is not None:
                server.stop()


def _calibration_update(index: int) -> dict[str, Any]:
    from tests.support.updates import private_text

    return private_text(9_900_000 + index, f"calibration {index}")


def describe_calibration(samples: list[float]) -> str:
    if not samples:
        return "not run"
    return (
        f"median {statistics.median(samples):.2f} ms, max {max(samples):.2f} ms "
        f"over {len(samples)} rounds"
    )
