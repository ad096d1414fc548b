"""Replicas: the scenario-3 burst answered by one, then by two `python -m bot` processes on
one PostgreSQL database and one Redis (the `scale` deployment), all on this machine.

Each run gets a fresh database and an emptied Redis; its replicas are started together and
measured once every one of them is claiming from the shared inbox (one of them long-polls).
Rate = messages / (last final answer − injection of the burst), as in scenario 3, with the
same zero-latency fakes and traffic (new users per run). PostgreSQL and Redis run on the same
cores as the fakes and the replicas, so their CPU counts against the replicas' rate.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from pathlib import Path

from redis import Redis

from bench.config import Config
from bench.report import ReplicaRun, replica_ceiling, replica_figures
from bench.scenarios.common import burst, chat_rule, record_log_problems
from bench.stack import BotRun, CpuMeter, Stack, wait_for
from bench.stats import ScenarioResult
from bench.traffic import messages
from tests.support.processes import BotProcess
from tests.support.servers import PostgresServer, RedisServer

FIRST_USER = 6_000_000  # + 1,000,000 per replica count, so no run meets another's users
WARMUP_USER = 9_300_000
READY_LINE = "handling updates from the shared inbox"


def _postgres_pids(postgres: PostgresServer) -> dict[str, int]:
    """The postmaster and its children (one backend per pooled connection), by name."""
    try:
        postmaster = int((postgres.data / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return {}
    found = {"PostgreSQL": postmaster}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == postmaster:
                found[f"PostgreSQL {stat.parent.name}"] = int(stat.parent.name)
    return found


def _timeout(count: int) -> float:
    return 60.0 + count / 10.0


def _start_replicas(stack: Stack, count: int, database_url: str, redis_url: str) -> list[BotRun]:
    _, tg_log = stack.tg()
    tg_log.fetch()
    seq_before = tg_log.last_seq
    runs: list[BotRun] = []
    for index in range(count):
        directory = stack.workdir / f"replicas-{count}" / f"replica-{index + 1}"
        directory.mkdir(parents=True)
        env = {
            key: value
            for key, value in stack.bot_env(directory / "unused.sqlite3").items()
            if key != "DATABASE_PATH"
        }
        env |= {"DATABASE_URL": database_url, "REDIS_URL": redis_url}
        process = BotProcess(env, directory / "bot.log", "bot")
        started_at = time.time()
        process.start()
        runs.append(
            BotRun(
                "bot", f"replica {index + 1}/{count}", process, directory, directory, started_at
            )
        )

    def ready() -> bool:
        for run in runs:
            run.ensure_running()
        tg_log.fetch()
        polling = tg_log.waiting_poll() is not None and bool(
            tg_log.calls(["getUpdates"], seq_before)
        )
        return polling and all(READY_LINE in run.log_since(0) for run in runs)

    wait_for(ready, 90, f"{count} replica(s) to claim from the inbox", interval=0.05)
    return runs


def _stop(stack: Stack, runs: list[BotRun]) -> None:
    for run in runs:
        with contextlib.suppress(Exception):
            run.process.stop(signal.SIGTERM, timeout=30)
    stack.confirm_pending()


def _measure(
    stack: Stack,
    config: Config,
    result: ScenarioResult,
    count: int,
    postgres: PostgresServer,
    redis: RedisServer,
) -> ReplicaRun:
    """Messages per second answered by `count` replicas, and CPU per message."""
    database_url = asyncio.run(postgres.create_database())
    with Redis.from_url(redis.url) as client:
        client.flushdb()
    stack.reset_polza([chat_rule(config, chunk_delay=0.0, first_chunk_delay=0.0)])
    runs = _start_replicas(stack, count, database_url, redis.url)
    try:
        # As many users as the timed burst, one message each: every replica's connection pool
        # grows to its working size here, so the timed burst measures the steady state and not
        # PostgreSQL forking backends for pools that are still growing.
        warm = messages(WARMUP_USER + count * 100_000, config.rate_users, 1, config.reply_chars)
        warmed = burst(stack, runs[0], warm, _timeout(len(warm)))
        result.broken += [f"{count} replica(s), warm-up: {p}" for p in warmed.check.problems]
        plan = messages(
            FIRST_USER + count * 1_000_000,
            config.rate_users,
            config.rate_per_user,
            config.reply_chars,
        )[: config.rate_messages]
        pids = {f"replica {n + 1}": run.pid for n, run in enumerate(runs)}
        if redis.proc is not None:
            pids["Redis"] = redis.proc.pid
        backends_before = _postgres_pids(postgres)
        meter = CpuMeter(
            {**pids, **backends_before, **stack.fake_pids},
            late_pids=lambda: _postgres_pids(postgres),
        )
        with meter as cpu:
            outcome = burst(stack, runs[0], plan, _timeout(len(plan)))
        for run in runs[1:]:
            run.ensure_running()
        answered = outcome.check.answered
        rate = answered / outcome.wall if answered and outcome.wall > 0 else 0.0
        result.broken += [f"{count} replica(s): {p}" for p in outcome.check.problems]
        if not outcome.finished:
            result.broken.append(
                f"{count} replica(s): only {answered} of {len(plan)} answered before the timeout"
            )
        foreign = cpu.others_share
        result.foreign_cpu = max(result.foreign_cpu or 0.0, foreign)
        # One figure for PostgreSQL: the postmaster and every backend summed.
        backends = [name for name in cpu.used if name.startswith("PostgreSQL")]
        summed = [cpu.used.pop(name) for name in backends]
        cpu.used["PostgreSQL (all processes)"] = (
            sum(user for user, _ in summed),
            sum(system for _, system in summed),
        )
        per_message = {
            name: (user + system) / max(1, answered) * 1000
            for name, (user, system) in cpu.used.items()
        }
        replicas_ms = sum(ms for name, ms in per_message.items() if name.startswith("replica"))
        others_ms = sum(ms for name, ms in per_message.items() if not name.startswith("replica"))
        each = ", ".join(f"{name} {ms:.1f} ms" for name, ms in per_message.items())
        result.notes.append(
            f"{count} replica(s): {len(plan)} messages from {config.rate_users} users answered "
            f"in {outcome.wall:.2f} s = {rate:.0f} msg/s; CPU per answered message: {each} "
            f"(replicas together b = {replicas_ms:.1f} ms, everything else o = "
            f"{others_ms:.1f} ms). {cpu.summary()}. PostgreSQL processes: "
            f"{len(backends_before)} at the start, {len(backends)} at the end (a process "
            "started during the burst counts all its CPU in it)."
        )
        for run in runs:
            record_log_problems(result, run, 0)
        return ReplicaRun(rate, replicas_ms, others_ms)
    finally:
        _stop(stack, runs)
        with contextlib.suppress(Exception):
            asyncio.run(postgres.drop_database(database_url))


def run_replicas(stack: Stack, config: Config) -> ScenarioResult:
    result = ScenarioResult("replicas", "Replicas (PostgreSQL + Redis): one vs two")
    postgres = PostgresServer()
    redis = RedisServer()
    try:
        postgres.start()
        redis.start()
        one = _measure(stack, config, result, 1, postgres, redis)
        two = _measure(stack, config, result, 2, postgres, redis)
    finally:
        redis.stop()
        postgres.stop()
    result.figures += replica_figures(one, two, config.rate_messages)
    ceiling = replica_ceiling(two)
    if ceiling is not None and one.rate > 0:
        result.notes.append(
            f"What limits two over one here: with two replicas, each message costs "
            f"b = {two.replicas_ms:.1f} ms of replica CPU and o = {two.others_ms:.1f} ms in the "
            f"other processes on the same {os.cpu_count()} cores, so two replicas answer at "
            f"most 2 / (b + o) = {2000 / (two.replicas_ms + two.others_ms):.0f} msg/s against "
            f"one replica's 1 / b; the ceiling is 2b / (b + o) = {ceiling:.2f}×, and the "
            f"measured {two.rate / one.rate:.2f}× is {two.rate / one.rate / ceiling:.0%} of it "
            f"(the replicas themselves scale when that share is near 100%)."
        )
    return result
