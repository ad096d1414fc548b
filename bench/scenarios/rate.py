"""Scenario 3: peak rate of fully answered messages, fakes at zero latency.

A message counts as answered when its final sendMessage reached fake Telegram; at the end the
real bot's SQLite file must hold both turns of every exchange (the baseline stores nothing).
Rate = messages / (last final answer − injection of the burst). One injection request carries
the whole burst; the bot fetches it 100 updates per getUpdates.
"""

from __future__ import annotations

import math
from pathlib import Path

from bench.config import Config
from bench.profiling import Profile, PySpy
from bench.scenarios.common import (
    burst,
    calls_per_message,
    chat_rule,
    record_log_problems,
    wait_messages_stored,
)
from bench.stack import CpuMeter, Stack
from bench.stats import Figure, ScenarioResult, Target, percentile
from bench.traffic import Sent, messages

FIRST_USER = 2_000_000
PROFILE_USER = 4_000_000
WARMUP_USER = 9_200_000


def _plan(config: Config, first_user: int) -> list[Sent]:
    return messages(first_user, config.rate_users, config.rate_per_user, config.reply_chars)[
        : config.rate_messages
    ]


def _timeout(count: int) -> float:
    return 30.0 + count / 20.0  # a bot at 20 msg/s still finishes


def run_rate(stack: Stack, config: Config) -> ScenarioResult:
    result = ScenarioResult("rate", "3. Peak rate (zero-latency fakes, one burst)")
    run = stack.bot
    assert run is not None, "start the bot first"
    stack.reset_polza([chat_rule(config, chunk_delay=0.0, first_chunk_delay=0.0)])
    log_offset = run.log_size()
    warm = messages(WARMUP_USER, config.warmup, 1, config.reply_chars)
    warmed = burst(stack, run, warm, _timeout(len(warm)))
    result.broken += [f"warm-up: {p}" for p in warmed.check.problems]

    plan = _plan(config, FIRST_USER)
    before = run.messages_count() if run.stores_history else 0
    with CpuMeter({"bot": run.pid, **stack.fake_pids}) as cpu:
        outcome = burst(stack, run, plan, _timeout(len(plan)))
    stored = wait_messages_stored(run, before + 2 * len(plan)) if run.stores_history else 0

    n = len(plan)
    answered = outcome.check.answered
    rate = answered / outcome.wall if answered and outcome.wall > 0 else 0.0
    result.figures.append(
        Figure(
            "3",
            f"Peak rate: messages fully answered per second ({n} msgs, {config.rate_users} users)",
            "msg/s",
            value=rate,
            targets=[Target("value", ">=", 200.0)],
        )
    )
    bot_user, bot_system = cpu.used.get("bot", (0.0, 0.0))
    per_message = (bot_user + bot_system) / max(1, answered) * 1000
    result.figures.append(
        Figure(
            "3",
            "Bot CPU time per answered message (200 msg/s needs ≤ 5 ms)",
            "ms",
            value=per_message,
            targets=[Target("value", "<=", 5.0), Target("value", "<=", 1.5, "times")],
        )
    )
    result.foreign_cpu = cpu.others_share
    result.broken += outcome.check.problems
    if not outcome.finished:
        result.broken.append(f"only {answered} of {n} answered before the timeout")
    if run.stores_history and stored != before + 2 * n:
        result.broken.append(
            f"the database holds {stored - before} new messages, expected {2 * n}"
        )
    times = outcome.final_times
    notes = [
        f"{n} messages from {config.rate_users} users ({config.rate_per_user} each, sent round "
        f"by round so each user's messages queue behind each other) injected in one request "
        f"after a {config.warmup}-message warm-up burst. Fake Polza streams a "
        f"{config.reply_chars}-character echo in {config.chunk_size}-character chunks with no "
        f"delay. All {n} final answers in {outcome.wall:.2f} s"
        + (
            f"; the database gained {stored - before} rows (expected {2 * n})."
            if run.stores_history
            else "."
        ),
    ]
    if len(times) >= 10:
        low, high = percentile(times, 10), percentile(times, 90)
        if high > low:
            notes.append(
                f"Steady-state rate (10th→90th percentile of completions): "
                f"{0.8 * len(times) / (high - low):.0f} msg/s; first answer after "
                f"{(times[0] - outcome.injected_at) * 1000:.0f} ms."
            )
    fakes = ", ".join(
        f"{name} {sum(cpu.used.get(name, (0.0, 0.0))) / max(1, answered) * 1000:.1f} ms"
        for name in stack.fake_pids
    )
    notes.append(
        f"{cpu.summary()}. CPU per answered message: bot {per_message:.1f} ms "
        f"(user {bot_user / max(1, answered) * 1000:.1f}, kernel "
        f"{bot_system / max(1, answered) * 1000:.1f}), {fakes}. At that cost one free core "
        f"would answer at most {1000 / per_message:.0f} msg/s."
    )
    calls = calls_per_message(stack, outcome)
    notes.append(f"Bot API calls per answered message during the burst: {calls}.")
    result.notes += notes
    record_log_problems(result, run, log_offset)
    return result


def run_profile(stack: Stack, config: Config, out_dir: Path) -> tuple[ScenarioResult, Profile]:
    """The scenario-3 burst again (new users), with py-spy sampling the bot throughout."""
    result = ScenarioResult("profile", "Profile of the bot under scenario 3 (py-spy)")
    run = stack.bot
    assert run is not None, "start the bot first"
    stack.reset_polza([chat_rule(config, chunk_delay=0.0, first_chunk_delay=0.0)])
    log_offset = run.log_size()
    plan = _plan(config, PROFILE_USER)
    spy = PySpy(run.pid, out_dir, rate=config.profile_rate)
    with spy:
        outcome = burst(stack, run, plan, _timeout(len(plan)) * 2)
    result.broken += outcome.check.problems
    rate = outcome.check.answered / outcome.wall if outcome.wall > 0 else math.nan
    profile = spy.profile()
    result.notes.append(
        f"Same burst as scenario 3 ({len(plan)} messages) under py-spy at {config.profile_rate} "
        f"Hz (--nonblocking, so the bot is never paused): {rate:.0f} msg/s while profiled; "
        f"{profile.total} samples. Files: {', '.join(p.name for p in spy.outputs())}."
    )
    record_log_problems(result, run, log_offset)
    return result, profile
