"""py-spy around the bot process, and a summary of where its CPU time went."""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")
PROJECT_PACKAGES = {"bot", "handlers", "storage"}
# Frames that only say "the event loop ran something": left out of the inclusive list.
PLUMBING = {"asyncio", "selectors", "runpy", "threading", "importlib", "contextvars"}


def py_spy_path() -> Path | None:
    beside = Path(sys.executable).with_name("py-spy")
    if beside.exists():
        return beside
    found = shutil.which("py-spy")
    return Path(found) if found else None


class PySpy:
    """Two non-blocking samplers attached to `pid`: collapsed stacks (for the summary) and
    an SVG flame graph. Stopped with SIGINT, which makes py-spy write its output."""

    def __init__(self, pid: int, out_dir: Path, rate: int = 250) -> None:
        exe = py_spy_path()
        if exe is None:
            raise RuntimeError(
                "py-spy is not installed: `.venv/bin/pip install py-spy`, then run again"
            )
        self.exe = exe
        self.pid = pid
        self.rate = rate
        self.raw = out_dir / "profile-rate.collapsed.txt"
        self.svg = out_dir / "profile-rate.svg"
        self.log = out_dir / "profile-py-spy.log"
        self._procs: list[subprocess.Popen[bytes]] = []

    def _record(self, fmt: str, output: Path, extra: list[str]) -> subprocess.Popen[bytes]:
        with self.log.open("ab") as log:
            return subprocess.Popen(
                [
                    str(self.exe),
                    "record",
                    "--pid",
                    str(self.pid),
                    "--rate",
                    str(self.rate),
                    "--nonblocking",
                    "--format",
                    fmt,
                    "--output",
                    str(output),
                    *extra,
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def __enter__(self) -> PySpy:
        self._procs = [
            self._record("raw", self.raw, ["--threads"]),
            self._record("flamegraph", self.svg, []),
        ]
        time.sleep(1.0)  # attached and sampling
        for proc in self._procs:
            if proc.poll() is not None:
                raise RuntimeError(f"py-spy exited at once; see {self.log}")
        return self

    def __exit__(self, *exc: object) -> None:
        for proc in self._procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
        for proc in self._procs:
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)

    def outputs(self) -> list[Path]:
        return [p for p in (self.svg, self.raw) if p.exists()]

    def profile(self) -> Profile:
        return Profile.from_collapsed(self.raw.read_text() if self.raw.exists() else "")


def package_of(path: str) -> str:
    """'aiogram/dispatcher/x.py' → 'aiogram'; stdlib modules are marked as such."""
    if path.startswith("<frozen"):
        return "stdlib: importlib"
    for marker in ("site-packages/", "dist-packages/"):
        if marker in path:
            path = path.split(marker, 1)[1]
    if "/lib/python3" in path:
        path = path.split("/lib/python3", 1)[1].split("/", 1)[-1]
    head = path.lstrip("/").split("/", 1)[0]
    name = head.removesuffix(".py")
    if name in PROJECT_PACKAGES:
        return f"project: {name}"
    if name in sys.stdlib_module_names or name.startswith("_"):
        return f"stdlib: {name.lstrip('_') or name}"
    return name


# Named costs the report tracks from run to run: (label, frame substrings; a stack counts once
# if any frame contains any of them).
PROBES: list[tuple[str, tuple[str, ...]]] = [
    (
        "aiogram: sync filters (magic F) run via asyncio.to_thread",
        ("to_thread (asyncio/threads.py",),
    ),
    (
        "aiogram: check_response builds Response[T] (pydantic generic class) per call",
        ("create_generic_submodel (",),
    ),
    ("aiogram: every Bot API call (Bot.__call__)", ("Bot.__call__ (aiogram/client/bot.py",)),
    ("aiogram: multipart form building", ("build_form_data (",)),
    ("openai: SSE chunks parsed into pydantic objects", ("construct_type (openai",)),
    ("openai: request body transform", ("async_maybe_transform (openai",)),
    ("openai: idempotency key (uuid4) per request", ("_idempotency_key (openai",)),
    ("httpcore2/anyio: socket extra info (getpeername) per request", ("getpeername (",)),
    (
        "openai: whole chat request + stream (the request, typed or posted raw, + AsyncStream)",
        (
            "AsyncCompletions.create (",
            "PolzaClient._open_stream (",
            "AsyncStream.__stream__ (",
        ),
    ),
    ("typing indicator task (sendChatAction)", ("_keep_typing (",)),
    ("Markdown → entities (render_parts)", ("render_parts (",)),
    ("storage: awaiting SQLite (event-loop side)", ("(storage/",)),
    ("logging", ("(logging/__init__.py",)),
]

Stack = tuple[list[tuple[str, str]], int]


def thread_kind(root: str, frames: list[tuple[str, str]]) -> str:
    """Which of the bot's threads a sample came from."""
    names = {func for func, _ in frames}
    files = " ".join(path for _, path in frames)
    if "_connection_worker_thread" in names:
        return "aiosqlite worker thread"
    if "_worker" in names and "concurrent/futures/thread.py" in files:
        return "thread pool (asyncio.to_thread / executors)"
    if "MainThread" in root or "asyncio/runners.py" in files or "bot/__main__.py" in files:
        return "event loop (main thread)"
    return "other threads"


MAIN = "event loop (main thread)"


@dataclass
class Profile:
    total: int = 0
    stacks: list[Stack] = field(default_factory=list)  # event-loop thread only
    threads: Counter[str] = field(default_factory=Counter)

    @classmethod
    def from_collapsed(cls, text: str) -> Profile:
        profile = cls()
        for line in text.splitlines():
            body, _, count = line.rpartition(" ")
            if not body or not count.isdigit():
                continue
            parts = body.split(";")
            root = parts[0] if parts[0].startswith("thread (") else ""
            frames: list[tuple[str, str]] = []
            for raw in parts[1:] if root else parts:
                match = _FRAME.match(raw.strip())
                if match:
                    frames.append((match.group("func"), match.group("file")))
                else:
                    frames.append((raw.strip(), ""))
            if not frames:
                continue
            kind = thread_kind(root, frames)
            profile.threads[kind] += int(count)
            if kind == MAIN:
                profile.stacks.append((frames, int(count)))
                profile.total += int(count)
        return profile

    def by_package(self) -> list[tuple[str, int]]:
        counts: Counter[str] = Counter()
        for frames, count in self.stacks:
            counts[package_of(frames[-1][1])] += count
        return counts.most_common()

    def top_self(self, limit: int = 15) -> list[tuple[str, int]]:
        counts: Counter[str] = Counter()
        for frames, count in self.stacks:
            func, path = frames[-1]
            counts[f"{func} ({path})"] += count
        return counts.most_common(limit)

    def top_inclusive(self, limit: int = 25, project_only: bool = False) -> list[tuple[str, int]]:
        counts: Counter[str] = Counter()
        for frames, count in self.stacks:
            seen: set[str] = set()
            for func, path in frames:
                package = package_of(path)
                if project_only and not package.startswith("project:"):
                    continue
                if not project_only and package.removeprefix("stdlib: ") in PLUMBING:
                    continue
                if func == "<module>":
                    continue
                key = f"{func} ({path})"
                if key not in seen:
                    seen.add(key)
                    counts[key] += count
        return counts.most_common(limit)

    def probes(self) -> list[tuple[str, int]]:
        found: list[tuple[str, int]] = []
        for label, needles in PROBES:
            hits = 0
            for frames, count in self.stacks:
                text = ";".join(f"{func} ({path}" for func, path in frames)
                if any(needle in text for needle in needles):
                    hits += count
            found.append((label, hits))
        return found

    def markdown(self) -> str:
        if not self.total:
            return "_No samples were recorded._\n"
        every = sum(self.threads.values())

        def table(title: str, rows: list[tuple[str, int]], code: bool = True) -> str:
            lines = [f"| {title} | samples | share |", "|---|---:|---:|"]
            for name, count in rows:
                shown = f"`{name}`" if code else name
                lines.append(f"| {shown} | {count} | {count / self.total:.1%} |")
            return "\n".join(lines) + "\n"

        threads = "; ".join(
            f"{kind} {count} ({count / every:.0%})" for kind, count in self.threads.most_common()
        )
        return "\n".join(
            [
                f"{every} samples in all, by thread: {threads}. The event-loop thread is the "
                "one that limits throughput (one core, the GIL); every share below is of its "
                f"{self.total} samples. Idle waits are not sampled.\n",
                "Tracked costs (inclusive: a sample counts if any frame matches):\n",
                table("cost", self.probes(), code=False),
                "CPU by package (self time, where the sample's innermost frame was):\n",
                table("package", self.by_package()[:15]),
                "Hottest functions (self time):\n",
                table("function", self.top_self(15)),
                "Inclusive time, the bot's own code (bot/, handlers/, storage/):\n",
                table("function", self.top_inclusive(20, project_only=True)),
                "Inclusive time, everything but event-loop plumbing:\n",
                table("function", self.top_inclusive(30)),
            ]
        )
