"""The machine, the results table on the terminal, and the Markdown report."""

from __future__ import annotations

import datetime as dt
import os
import platform
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from bench.stats import Figure, ScenarioResult, Target, fmt

ANALYSIS_START = "<!-- analysis:start -->"
ANALYSIS_END = "<!-- analysis:end -->"
PACKAGES = (
    "aiogram",
    "openai",
    "pydantic",
    "aiohttp",
    "aiosqlite",
    "httpx2",
    "telegramify-markdown",
)


MERGE_NOTE = (
    "The bot runs with `MERGE_WINDOW_SECONDS=0` (each message is its own measured answer;"
    " merging quick texts into one turn would change what is counted)."
)


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as file:
            return file.read()
    except OSError:
        return ""


def _git(root: Path, *args: str) -> str:
    try:
        done = subprocess.run(
            ["git", *args], cwd=root, capture_output=True, text=True, timeout=10, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout.rstrip()


def machine_info(root: Path) -> dict[str, str]:
    cpuinfo = _read("/proc/cpuinfo")
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in cpuinfo.splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown",
    )
    mem_kb = next(
        (
            int(line.split()[1])
            for line in _read("/proc/meminfo").splitlines()
            if line.startswith("MemTotal:")
        ),
        0,
    )
    versions = []
    for name in PACKAGES:
        try:
            versions.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            continue
    commit = _git(root, "rev-parse", "--short=12", "HEAD").strip() or "unknown"
    changed = [
        path
        for line in _git(root, "status", "--porcelain").splitlines()
        if (path := line[3:]) and not path.startswith(("bench/", "BENCHMARKS.md"))
    ]
    if changed:
        shown = ", ".join(changed[:8]) + (", …" if len(changed) > 8 else "")
        commit += f" + uncommitted changes in {len(changed)} path(s): {shown}"
    return {
        "CPU": f"{model}, {os.cpu_count()} cores",
        "RAM": f"{mem_kb / 1024 / 1024:.1f} GiB",
        "OS": f"{platform.system()} {platform.release()}",
        "Python": platform.python_version(),
        "Packages": ", ".join(versions),
        "Git commit": commit,
        "Load average at start": " ".join(_read("/proc/loadavg").split()[:3]),
    }


REPLICAS_TARGET = 1.7  # two replicas answer at least 1.7× what one does (issue 21)


@dataclass(frozen=True, slots=True)
class ReplicaRun:
    """One run of the replicas scenario: its rate, and CPU per answered message."""

    rate: float  # messages answered per second
    replicas_ms: float  # b: the replicas' CPU per message, all of them together
    others_ms: float  # o: everything else we started (PostgreSQL, Redis, fakes, bench)


def replica_ceiling(two: ReplicaRun) -> float | None:
    """The most two replicas can answer over one on this machine's 2 cores: one replica is
    bound by its own core (1/b); two share both cores with everything else (2/(b + o))."""
    total = two.replicas_ms + two.others_ms
    return 2 * two.replicas_ms / total if total > 0 else None


def replica_figures(one: ReplicaRun, two: ReplicaRun, messages: int) -> list[Figure]:
    """The replicas rows: each run's rate and CPU per message, the ceiling this machine puts
    on two over one, and two over one against the ≥ 1.7× target."""
    ratio = two.rate / one.rate if one.rate > 0 else None
    return [
        Figure("R", f"1 replica msg/s ({messages} msgs)", "msg/s", value=one.rate),
        Figure("R", f"2 replicas msg/s ({messages} msgs)", "msg/s", value=two.rate),
        Figure("R", "1 replica: its CPU per message (b)", "ms", value=one.replicas_ms),
        Figure("R", "2 replicas: their CPU per message (b)", "ms", value=two.replicas_ms),
        Figure(
            "R",
            "2 replicas: all else's CPU per message (o: PostgreSQL, Redis, fakes, bench)",
            "ms",
            value=two.others_ms,
        ),
        Figure(
            "R",
            "Ceiling on this machine: 2b / (b + o), 2 replicas",
            "×",
            value=replica_ceiling(two),
        ),
        Figure(
            "R",
            "2 replicas / 1 replica",
            "×",
            value=ratio,
            targets=[Target("value", ">=", REPLICAS_TARGET)],
        ),
    ]


def _baseline_cell(figure: Figure) -> str:
    """The baseline's median (and p99 when the figure has one), or — if it did not run."""
    theirs = figure.baseline
    if theirs is None or theirs.median is None:
        return "—"
    cell = f"{fmt(theirs.median)} {figure.unit}"
    if figure.p99 is not None and theirs.p99 is not None:
        cell += f" (p99 {fmt(theirs.p99)})"
    return cell


def _row(figure: Figure) -> list[str]:
    unit = f" {figure.unit}"
    ratio = figure.ratio
    return [
        figure.scenario,
        figure.name,
        str(figure.n),
        fmt(figure.median) + unit if figure.median is not None else "—",
        fmt(figure.p99) + unit if figure.p99 is not None else "—",
        _baseline_cell(figure),
        f"{ratio:.2f}×" if ratio is not None else "—",
        figure.target_text,
        figure.met_text.replace("**", ""),
    ]


HEADER = ["#", "Figure", "n", "median", "p99", "baseline", "bot/baseline", "target", "met?"]
_RIGHT = (2, 3, 4, 5, 6)


def text_table(results: Sequence[ScenarioResult]) -> str:
    rows = [HEADER] + [_row(f) for r in results for f in r.figures]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADER))]
    lines = []
    for index, row in enumerate(rows):
        cells = [
            cell.rjust(widths[i]) if i in _RIGHT else cell.ljust(widths[i])
            for i, cell in enumerate(row)
        ]
        lines.append("  ".join(cells).rstrip())
        if index == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown_table(results: Sequence[ScenarioResult]) -> str:
    lines = [
        "| " + " | ".join(HEADER) + " |",
        "|" + "|".join("---:" if i in _RIGHT else "---" for i in range(len(HEADER))) + "|",
    ]
    for result in results:
        for figure in result.figures:
            row = _row(figure)
            row[-1] = figure.met_text
            lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def preserved_analysis(path: Path) -> str:
    text = _read(str(path))
    if ANALYSIS_START in text and ANALYSIS_END in text:
        start = text.index(ANALYSIS_START)
        end = text.index(ANALYSIS_END) + len(ANALYSIS_END)
        return text[start:end]
    return ""


def noise_summary(results: Sequence[ScenarioResult]) -> str:
    """One line on how busy the machine was with work outside the benchmark."""
    shares = [(r.title, r.foreign_cpu) for r in results if r.foreign_cpu is not None]
    if not shares:
        return ""
    listed = "; ".join(f"{title}: {share:.0%}" for title, share in shares)
    worst = max(share for _, share in shares)
    if worst < 0.25:
        return (
            f"Other processes on the machine stayed quiet (CPU outside the benchmark: {listed})."
        )
    return (
        f"**The machine was busy with other work during this run** (CPU used by processes "
        f"outside the benchmark, 100% = one of the {os.cpu_count()} cores: {listed}). "
        "Wall-clock figures (latencies, rates, wall times) are pessimistic by that much "
        "contention; the CPU-time figures are not affected by it."
    )


def markdown(
    *,
    command: str,
    machine: dict[str, str],
    results: Sequence[ScenarioResult],
    seconds: float,
    quick: bool,
    profile_md: str | None,
    analysis: str = "",
) -> str:
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    broken = [(r.title, problem) for r in results for problem in r.broken]
    out = [
        "# Benchmarks",
        "",
        "The real bot process (`python -m bot`, fresh SQLite file per start, production "
        "settings) against the fake Telegram and fake Polza servers on 127.0.0.1, driven by "
        "`bench/`. Every process shares the machine below; the fakes and the benchmark "
        "itself use CPU too (see the CPU notes per scenario).",
        "",
        "In the same run, the same scenarios also drive a **baseline bot** "
        "(`python -m bench.baseline_bot`): the thinnest program on the same stack (aiogram "
        "long polling, the official openai SDK streaming from Polza with its defaults, one "
        "`sendMessage` per answer, a per-chat lock to keep each user's order; no storage, "
        "middlewares, drafts or typing action). The *baseline* column is its median (p99), "
        "*bot/baseline* the ratio of the medians: what the bot's features cost on top of "
        "aiogram + openai. Scenarios about the bot's own features (storage) run only for the "
        "bot.",
        "",
        f"- Command: `{command}`"
        + (" (quick: tiny sizes, only checks that it works)" if quick else ""),
        f"- Date: {now}; the run took {seconds / 60:.1f} min",
        "",
        "## Machine",
        "",
        "| | |",
        "|---|---|",
        *[f"| {key} | {value} |" for key, value in machine.items()],
        "",
        "## Results",
        "",
        markdown_table(results),
        "",
    ]
    noise = noise_summary(results)
    if noise:
        out += [noise, ""]
    if broken:
        out += ["**Broken scenarios:**", ""]
        out += [f"- {title}: {problem}" for title, problem in broken]
        out.append("")
    out += ["## How each figure was measured", "", MERGE_NOTE, ""]
    for result in results:
        if not result.notes:
            continue
        out += [f"### {result.title}", ""]
        out += [f"- {note}" for note in result.notes]
        out.append("")
    if profile_md:
        out += ["## Profile of the bot under scenario 3", "", profile_md]
    if analysis:
        out += ["", analysis, ""]
    return "\n".join(out).rstrip() + "\n"
