"""Scenario 7: start-up time, and what the interpreter spends it on.

Start-up = `time.time()` right before the bot process is spawned → arrival of its first
getUpdates at fake Telegram (fresh database, so migrations run too), over `startup_runs`
starts made here, one after another on a quiet stack. The bot's own part of one start: its
start-up minus the time the same interpreter, spawned the same way right before it, takes
from spawn to the end of `import aiogram, openai` (what any bot on this stack pays before it
runs a line of its own). Pairing each start with its own reference keeps the machine's drift
out of the difference (the two figures are ~2 s each, the difference ~0.2 s).
The import profile comes from `python -X importtime -c "import
bot.lifecycle"`, plus a run that times every pydantic `model_rebuild` during `import aiogram`
(aiogram.types rebuilds all its models at import).

Every start reads compiled bytecode, as a deployed bot does: the Docker image compiles it at
build (`UV_COMPILE_BYTECODE=1`) and Python caches it on a first start. A machine that sets
`PYTHONDONTWRITEBYTECODE` (this one does) would otherwise compile every module at every start,
so `compile_bytecode` compiles the project and its packages before the first bot starts.
"""

from __future__ import annotations

import compileall
import os
import re
import resource
import statistics
import subprocess
import sys
import sysconfig
import time
from dataclasses import dataclass, field

from bench.config import Config
from bench.stack import BotRun, Stack
from bench.stats import Figure, ScenarioResult, Target
from tests.support.processes import ROOT

_IMPORT_LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)")

# Times every BaseModel.model_rebuild call made while aiogram is imported.
_REBUILD_PROBE = """
import time, pydantic
original = pydantic.BaseModel.model_rebuild.__func__
spent = [0.0, 0]
def timed(cls, *args, **kwargs):
    began = time.perf_counter()
    try:
        return original(cls, *args, **kwargs)
    finally:
        spent[0] += time.perf_counter() - began
        spent[1] += 1
pydantic.BaseModel.model_rebuild = classmethod(timed)
began = time.perf_counter()
import aiogram
total = time.perf_counter() - began
status = dict(l.split(':', 1) for l in open('/proc/self/status'))
print(total, spent[0], spent[1], status['VmRSS'].split()[0], status['VmHWM'].split()[0])
"""
# Prints the wall-clock instant the stack's imports are done, and the CPU time used until then.
_STACK_IMPORTED = (
    "import os, time, aiogram, openai; t = os.times(); print(repr(time.time()), t[0] + t[1])"
)
# The same, with the garbage collector paused during the imports, as `python -m bot` does
# (bot/collector.py): the bot's own part is measured against the imports done its way.
_STACK_IMPORTED_GC_PAUSED = "import gc; gc.disable(); " + _STACK_IMPORTED


@dataclass
class ImportEntry:
    self_us: int
    cumulative_us: int
    depth: int
    name: str


@dataclass
class ImportProfile:
    entries: list[ImportEntry] = field(default_factory=list)

    @classmethod
    def parse(cls, text: str) -> ImportProfile:
        profile = cls()
        for line in text.splitlines():
            match = _IMPORT_LINE.match(line)
            if match:
                profile.entries.append(
                    ImportEntry(
                        int(match.group(1)),
                        int(match.group(2)),
                        len(match.group(3)) // 2,
                        match.group(4),
                    )
                )
        return profile

    def cumulative(self, name: str) -> float | None:
        found = [e.cumulative_us for e in self.entries if e.name == name]
        return max(found) / 1e6 if found else None

    def self_time(self, name: str) -> float | None:
        found = [e.self_us for e in self.entries if e.name == name]
        return sum(found) / 1e6 if found else None

    def by_package(self) -> list[tuple[str, float]]:
        totals: dict[str, float] = {}
        for entry in self.entries:
            package = entry.name.split(".", 1)[0]
            totals[package] = totals.get(package, 0.0) + entry.self_us / 1e6
        return sorted(totals.items(), key=lambda item: -item[1])

    def top_self(self, limit: int = 10) -> list[ImportEntry]:
        return sorted(self.entries, key=lambda e: -e.self_us)[:limit]


# The project's packages, compiled with the installed ones.
PROJECT_PACKAGES = ("bot", "handlers", "storage", "bench")
BYTECODE_NOTE = (
    "Bytecode compiled before the first start (`compileall` of the project and the installed "
    "packages), as the Docker image does at build and as Python's cache does after a first "
    "start; this machine sets `PYTHONDONTWRITEBYTECODE=1`, under which every start would "
    "compile its ~360 modules again."
)


def compile_bytecode() -> None:
    """Compile what the bots import, so that no start pays for compiling it."""
    paths = sysconfig.get_paths()
    directories = {paths["purelib"], paths["platlib"], *(str(ROOT / p) for p in PROJECT_PACKAGES)}
    for directory in sorted(directories):
        compileall.compile_dir(directory, quiet=1, workers=0)


def _python(code: str, *flags: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *flags, "-c", code],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


def _wall_and_cpu(code: str) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of one interpreter running `code`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    _python(code)
    wall = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def stack_import_seconds(gc_paused: bool = False) -> tuple[float, float]:
    """(wall, CPU) seconds from spawn to `import aiogram, openai` done, in a fresh interpreter;
    `gc_paused`: imported with the garbage collector off, as the real bot imports them."""
    spawned = time.time()  # as `Stack.start_bot` stamps the bot's spawn
    code = _STACK_IMPORTED_GC_PAUSED if gc_paused else _STACK_IMPORTED
    done, cpu = _python(code).stdout.split()
    return float(done) - spawned, float(cpu)


def import_profile(config: Config) -> tuple[list[Figure], list[str]]:
    """Where `import bot.lifecycle` spends its time, and what `import aiogram` costs."""
    figures: list[Figure] = []
    importtime = _python("import bot.lifecycle", "-X", "importtime")
    profile = ImportProfile.parse(importtime.stderr)
    probe = _python(_REBUILD_PROBE).stdout.split()
    aiogram_total, rebuild, rebuilt = float(probe[0]), float(probe[1]), int(probe[2])
    rss_kb, hwm_kb = int(probe[3]), int(probe[4])
    if config.import_runs:
        bare = [_wall_and_cpu("pass") for _ in range(config.import_runs)]
        timed = [_wall_and_cpu("import aiogram") for _ in range(config.import_runs)]
        bare_wall = statistics.median(w for w, _ in bare)
        bare_cpu = statistics.median(c for _, c in bare)
        figures += [
            Figure(
                "7",
                "`import aiogram` alone, wall (minus a bare interpreter)",
                "s",
                samples=[w - bare_wall for w, _ in timed],
            ),
            Figure(
                "7",
                "`import aiogram` alone, CPU time (minus a bare interpreter)",
                "s",
                samples=[c - bare_cpu for _, c in timed],
            ),
        ]
    bot_total = profile.cumulative("bot.lifecycle") or 0.0
    packages = ", ".join(f"{name} {seconds:.2f} s" for name, seconds in profile.by_package()[:6])
    top = "; ".join(f"`{e.name}` {e.self_us / 1e6:.2f} s" for e in profile.top_self(6))
    notes = [
        f"`python -X importtime -c 'import bot.lifecycle'`: {bot_total:.2f} s in imports. "
        f"By top-level package (self time): {packages}. Largest single modules (self time): "
        f"{top}.",
        f"`aiogram.types` alone: {profile.self_time('aiogram.types') or 0:.2f} s of its own "
        f"(module body), {profile.cumulative('aiogram.types') or 0:.2f} s with what it imports. "
        f"Its body ends with a loop calling `model_rebuild()` on every Telegram type (although "
        f"`TelegramObject` declares `defer_build=True`): timed separately, `import aiogram` "
        f"took {aiogram_total:.2f} s, of which {rebuild:.2f} s "
        f"({rebuild / aiogram_total:.0%}) went into {rebuilt} `model_rebuild` calls; the "
        f"process then had RSS {rss_kb / 1024:.0f} MB (peak {hwm_kb / 1024:.0f} MB) "
        f"from the import alone.",
    ]
    return figures, notes


def run_startup(stack: Stack, config: Config, kind: str = "bot") -> ScenarioResult:
    result = ScenarioResult("startup", "7. Start-up")

    gc_paused = kind == "bot"  # the baseline imports with the collector on, as Python does
    runs: list[BotRun] = []
    imported: list[tuple[float, float]] = []  # each start's reference, measured right before
    for _ in range(config.startup_runs):
        imported.append(stack_import_seconds(gc_paused))
        runs.append(stack.start_bot("startup", kind))
        stack.stop_bot()
    pairs = list(zip(runs, imported, strict=True))
    to_poll = [r.startup_seconds for r in runs if r.startup_seconds is not None]
    own = [r.startup_seconds - wall for r, (wall, _) in pairs if r.startup_seconds is not None]
    own_cpu = [r.startup_cpu - cpu for r, (_, cpu) in pairs if r.startup_cpu is not None]
    import_median = statistics.median(wall for wall, _ in imported)
    import_cpu = statistics.median(cpu for _, cpu in imported)
    to_first_call = [r.first_request_at - r.started_at for r in runs if r.first_request_at]
    idle_rss = [r.idle_rss_kb / 1024 for r in runs if r.idle_rss_kb]
    startup_cpu = [r.startup_cpu for r in runs if r.startup_cpu is not None]
    result.figures += [
        Figure("7", "Start-up: process start → first getUpdates", "s", samples=to_poll),
        Figure(
            "7",
            "Start-up, own part: first getUpdates − `import aiogram, openai` (spawn → imported)",
            "s",
            samples=own,
            targets=[Target("median", "<=", 0.3)],
        ),
        Figure(
            "7",
            "Start-up, own part in CPU time: CPU until polled − CPU of `import aiogram, openai`",
            "s",
            samples=own_cpu,
        ),
        Figure(
            "7", "Start-up: process start → first Bot API call (getMe)", "s", samples=to_first_call
        ),
        Figure(
            "7",
            "Start-up: CPU time the bot used until it polled (contention-free estimate)",
            "s",
            samples=startup_cpu,
        ),
        Figure(
            "7",
            "Idle RSS right after start-up",
            "MB",
            samples=idle_rss,
            targets=[Target("median", "<=", 15.0, "plus")],
        ),
    ]

    result.notes.append(BYTECODE_NOTE)
    result.notes.append(
        f"{len(runs)} start(s)"
        + (", each on a fresh database (migrations included)" if kind == "bot" else "")
        + ", each right after its reference: spawn → `import aiogram, openai` done in a fresh "
        "interpreter"
        + (" with the garbage collector paused, as the bot imports them" if gc_paused else "")
        + ": median "
        f"{import_median:.2f} s wall, {import_cpu:.2f} s CPU (each start's own part subtracts "
        "its own reference; the CPU figure is the one a busy machine moves least)."
    )
    if kind != "bot":
        return result  # the import profile is about the bot's imports
    if config.quick:
        result.notes.append("Import profile: skipped in --quick (it costs ~10 s of CPU).")
    else:
        figures, notes = import_profile(config)
        result.figures += figures
        result.notes += notes
    return result
