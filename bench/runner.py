"""`python -m bench`: start the fakes and the bot, run the scenarios, report."""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from bench.config import SCENARIOS, Config, add_arguments, from_args
from bench.profiling import py_spy_path
from bench.report import (
    machine_info,
    markdown,
    noise_summary,
    preserved_analysis,
    text_table,
)
from bench.stack import Stack
from bench.stats import ScenarioResult, side_by_side
from tests.support.processes import ROOT

RESULTS = ROOT / "bench" / "results"
BENCHMARKS = ROOT / "BENCHMARKS.md"


def say(message: str) -> None:
    sys.stderr.write(f"[bench] {message}\n")
    sys.stderr.flush()


def parse(argv: list[str] | None) -> tuple[argparse.Namespace, Config]:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Benchmark the bot process against the fake Telegram and Polza servers.",
    )
    parser.add_argument(
        "--quick", action="store_true", help="tiny sizes: checks that every scenario works"
    )
    parser.add_argument("--write", action="store_true", help="also write BENCHMARKS.md")
    parser.add_argument(
        "--profile", action="store_true", help="profile the bot with py-spy under scenario 3"
    )
    parser.add_argument(
        "--only",
        default=",".join(SCENARIOS),
        help=f"comma-separated scenarios to run (default all: {','.join(SCENARIOS)})",
    )
    parser.add_argument(
        "--no-baseline",
        action="store_true",
        help="do not run the scenarios against the baseline bot (bench/baseline_bot.py)",
    )
    parser.add_argument(
        "--strict", action="store_true", help="exit 1 on a missed target too, not only a break"
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the work directory (bot logs, databases)"
    )
    add_arguments(parser)
    args = parser.parse_args(argv)
    selected = {s.strip() for s in args.only.split(",") if s.strip()}
    unknown = selected - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenario(s) {sorted(unknown)}; choose from {SCENARIOS}")
    args.selected = selected
    return args, from_args(args)


def attempt(key: str, title: str, body: Callable[[], ScenarioResult]) -> ScenarioResult:
    began = time.monotonic()
    say(f"{title} …")
    try:
        result = body()
    except Exception as error:  # one broken scenario must not hide the others
        traceback.print_exc()
        result = ScenarioResult(key, title, broken=[f"{type(error).__name__}: {error}"])
    result.seconds = time.monotonic() - began
    state = "BROKEN" if result.broken else "done"
    say(f"{title}: {state} in {result.seconds:.1f} s")
    for problem in result.broken:
        say(f"  - {problem}")
    return result


def command_line(argv: list[str]) -> str:
    python = Path(sys.executable)
    shown = os.path.relpath(python, ROOT) if python.is_relative_to(ROOT) else str(python)
    return shlex.join([shown, "-m", "bench", *argv])


def run(args: argparse.Namespace, config: Config) -> tuple[list[ScenarioResult], str | None]:
    from bench.scenarios.concurrency import run_concurrency
    from bench.scenarios.latency import run_latency
    from bench.scenarios.rate import run_profile, run_rate
    from bench.scenarios.replicas import run_replicas
    from bench.scenarios.startup import compile_bytecode, run_startup
    from bench.scenarios.storage import run_storage

    selected: set[str] = args.selected
    kinds = ("bot", "baseline") if config.baseline else ("bot",)
    results: list[ScenarioResult] = []  # the real bot's, in order
    baseline: dict[str, ScenarioResult] = {}  # the baseline bot's, by scenario key
    profile_md: str | None = None
    workdir = Path(tempfile.mkdtemp(prefix="bench-"))
    stack = Stack(workdir)

    def bot_for(label: str, kind: str) -> None:
        """A fresh bot process per scenario; in --quick one of each kind serves them all."""
        current = stack.bot
        if current is not None and (
            not config.quick or current.kind != kind or not current.process.running()
        ):
            stack.stop_bot()
        if stack.bot is None:
            say(f"starting the {kind} ({label})")
            stack.start_bot(label, kind)

    try:
        say("compiling bytecode (as a deployed bot has it)")
        compile_bytecode()  # every bot start below is a start-up sample
        if selected & {"latency", "rate", "concurrency", "startup", "replicas"}:
            say("starting fake Telegram and fake Polza")
            stack.start_fakes()
            rounds = 5 if config.quick else 30
            results_ms = stack.calibrate_handout(rounds)
            say(f"hand-out calibration: median {sorted(results_ms)[len(results_ms) // 2]:.2f} ms")

        def scenario(key: str, title: str, kind: str, body: Callable[[], ScenarioResult]) -> None:
            if key in selected:
                result = attempt(key, f"{title} [{kind}]", body)
                if kind == "bot":
                    results.append(result)
                else:
                    baseline[key] = result

        def profiled() -> ScenarioResult:
            nonlocal profile_md
            bot_for("profile", "bot")
            result, profile = run_profile(stack, config, RESULTS)
            profile_md = "\n".join(result.notes) + "\n\n" + profile.markdown()
            result.notes.clear()  # shown with the profile
            return result

        def startup(kind: str) -> ScenarioResult:
            if not config.quick:
                stack.stop_bot()
            return run_startup(stack, config, kind)

        # The real bot's scenarios, then the baseline's (so that --quick starts each once).
        for kind in kinds:

            def on(label: str, body: Callable[[Stack, Config], ScenarioResult]) -> ScenarioResult:
                bot_for(label, kind)  # noqa: B023 - called within this iteration
                return body(stack, config)

            scenario(
                "latency",
                "Scenarios 1–2 (overhead, first visible text)",
                kind,
                lambda: on("latency", run_latency),
            )
            scenario("rate", "Scenario 3 (peak rate)", kind, lambda: on("rate", run_rate))
            if kind == "bot" and config.profile and "rate" in selected:
                if py_spy_path() is None:
                    say("--profile: py-spy is not installed (`.venv/bin/pip install py-spy`)")
                else:
                    scenario("rate", "Profile under scenario 3 (py-spy)", kind, profiled)
            scenario(
                "concurrency",
                "Scenarios 4–5 (concurrency, memory)",
                kind,
                lambda: on("concurrency", run_concurrency),
            )
            stack.stop_bot()
            if kind == "bot":  # the bot's storage layer: nothing to compare it with
                scenario("storage", "Scenario 6 (storage)", kind, lambda: run_storage(config))
                scenario(
                    "replicas",
                    "Replicas: one vs two (PostgreSQL + Redis)",
                    kind,
                    lambda: run_replicas(stack, config),
                )
            scenario(
                "startup",
                "Scenario 7 (start-up, import profile)",
                kind,
                lambda: startup(kind),  # noqa: B023 - called within this iteration
            )
        results = [side_by_side(result, baseline.get(result.key)) for result in results]
    finally:
        stack.close()
        broken = any(r.broken for r in results)
        if args.keep or broken:
            say(f"work directory kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return results, profile_md


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    args, config = parse(argv)
    RESULTS.mkdir(parents=True, exist_ok=True)
    began = time.monotonic()
    machine = machine_info(ROOT)
    results, profile_md = run(args, config)
    seconds = time.monotonic() - began
    machine["Load average at end"] = " ".join(Path("/proc/loadavg").read_text().split()[:3])

    table = text_table(results)
    sys.stdout.write("\n" + table + "\n")
    noise = noise_summary(results)
    if noise:
        sys.stdout.write("\n" + noise.replace("**", "") + "\n")
    broken = [(r.title, p) for r in results for p in r.broken]
    for title, problem in broken:
        sys.stdout.write(f"BROKEN {title}: {problem}\n")
    missed = [f for r in results for f in r.figures if f.met is False]

    report = markdown(
        command=command_line(argv),
        machine=machine,
        results=results,
        seconds=seconds,
        quick=config.quick,
        profile_md=profile_md,
    )
    latest = RESULTS / "latest.md"
    latest.write_text(report)
    sys.stdout.write(f"\nReport: {os.path.relpath(latest, ROOT)}\n")
    if args.write:
        BENCHMARKS.write_text(
            markdown(
                command=command_line(argv),
                machine=machine,
                results=results,
                seconds=seconds,
                quick=config.quick,
                profile_md=profile_md,
                analysis=preserved_analysis(BENCHMARKS),
            )
        )
        sys.stdout.write(f"Written: {os.path.relpath(BENCHMARKS, ROOT)}\n")
    sys.stdout.write(
        f"{len(broken)} broken, {len(missed)} target(s) missed, "
        f"{sum(1 for r in results for f in r.figures if f.met)} met; "
        f"{seconds:.0f} s in all\n"
    )
    if broken or (args.strict and missed):
        raise SystemExit(1)
