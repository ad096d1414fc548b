"""Scenarios 4 and 5: many users at once against a slow model, and the bot's memory meanwhile.

Every user sends `per_user` messages in the same instant; fake Polza waits `model_latency`
before the first chunk. The bot answers one message at a time per conversation, so the ideal
wall time is per_user × (latency + streaming time of one answer); the target is twice that.
Wall time runs from the injection of all messages to the last final answer at fake Telegram.
Peak RSS: the bot's VmRSS sampled every 50 ms during the burst (VmHWM, the lifetime peak
that includes start-up, is reported too); the target is on the growth over the RSS it had
before the burst. The database checks apply to the real bot only (the baseline stores nothing).
"""

from __future__ import annotations

import math
from collections import defaultdict

from bench.config import Config
from bench.scenarios.common import (
    burst,
    calls_per_message,
    chat_rule,
    record_log_problems,
    wait_messages_stored,
)
from bench.stack import CpuMeter, RssSampler, Stack, memory_kb, request_user_text
from bench.stats import Figure, ScenarioResult, Target
from bench.traffic import first_visible_ms, messages

FIRST_USER = 3_000_000


def run_concurrency(stack: Stack, config: Config) -> ScenarioResult:
    result = ScenarioResult("concurrency", "4–5. Concurrency and memory")
    run = stack.bot
    assert run is not None, "start the bot first"
    stack.reset_polza(
        [chat_rule(config, chunk_delay=config.chunk_delay, first_chunk_delay=config.model_latency)]
    )
    _, journal = stack.pz()
    log_offset = run.log_size()
    plan = messages(FIRST_USER, config.users, config.per_user, config.reply_chars)
    chunks = max(math.ceil(len(s.expected) / config.chunk_size) for s in plan)
    one_answer = config.model_latency + (chunks - 1) * config.chunk_delay
    ideal = config.per_user * one_answer
    before = run.messages_count() if run.stores_history else 0
    idle_rss = memory_kb(run.pid).get("VmRSS", 0)
    with CpuMeter({"bot": run.pid, **stack.fake_pids}) as cpu, RssSampler(run.pid) as rss:
        outcome = burst(stack, run, plan, timeout=max(ideal * 5, len(plan) / 20) + 60, poll=0.1)
    hwm = memory_kb(run.pid).get("VmHWM", 0)
    stored = wait_messages_stored(run, before + 2 * len(plan)) if run.stores_history else 0

    result.figures.append(
        Figure(
            "4",
            f"Concurrency: wall time, {config.users} users × {config.per_user} msgs, "
            f"model latency {config.model_latency:g} s",
            "s",
            value=outcome.wall if outcome.finished else None,
            targets=[Target("value", "<=", 2 * ideal)],
        )
    )
    journal.refresh_from(1)
    requests = journal.chat_requests()
    by_text = {(s.user_id, s.text): s for s in plan}
    _, tg_log = stack.tg()
    visible, unmatched = first_visible_ms(
        requests,
        tg_log.calls(["sendMessageDraft", "sendMessage", "editMessageText"], outcome.start_seq),
        by_text,
        config.chunk_size,
    )
    result.figures.append(
        Figure("4", "First visible text under this load (informational)", "ms", samples=visible)
    )
    result.figures.append(
        Figure("5", "Memory: peak RSS during scenario 4", "MB", value=rss.peak_kb / 1024)
    )
    result.figures.append(
        Figure(
            "5",
            "Memory: growth under scenario 4 (sampled peak − RSS before the burst)",
            "MB",
            value=(rss.peak_kb - idle_rss) / 1024,
            targets=[Target("value", "<=", 30.0)],
        )
    )
    result.figures.append(
        Figure(
            "5",
            "Memory: VmHWM, lifetime peak incl. start-up (informational)",
            "MB",
            value=hwm / 1024,
        )
    )

    bot_cpu = sum(cpu.used.get("bot", (0.0, 0.0)))
    result.foreign_cpu = cpu.others_share
    result.broken += outcome.check.problems
    if not outcome.finished:
        result.broken.append(
            f"only {outcome.check.answered} of {len(plan)} answered before the timeout"
        )
    if run.stores_history and stored != before + 2 * len(plan):
        result.broken.append(
            f"the database holds {stored - before} new messages, expected {2 * len(plan)}"
        )
    # Per-conversation order: each user's requests reach Polza in the order sent.
    order: dict[int, list[tuple[float, int]]] = defaultdict(list)
    for request in requests:
        sent = by_text.get((int(request["json"].get("user") or 0), request_user_text(request)))
        if sent is not None:
            order[sent.user_id].append((request["time"], sent.index))
    out_of_order = sum(
        1 for seq in order.values() if [i for _, i in sorted(seq)] != sorted(i for _, i in seq)
    )
    if out_of_order:
        result.broken.append(f"{out_of_order} user(s) had their messages answered out of order")
    retried = len(requests) - len(plan)
    result.notes += [
        f"{len(plan)} messages ({config.users} users × {config.per_user}) injected in one "
        f"request. Fake Polza: first chunk after {config.model_latency:g} s, then "
        f"{chunks} chunks of {config.chunk_size} characters {config.chunk_delay * 1000:.0f} ms "
        f"apart: one answer ideally takes {one_answer:.2f} s, {config.per_user} in a row "
        f"{ideal:.2f} s; target 2× = {2 * ideal:.2f} s.",
        f"Answered exactly once: {outcome.check.answered} of {len(plan)}; Polza requests "
        f"{len(requests)} ({'no retries' if retried == 0 else f'{retried} extra'}); every "
        f"user's messages reached Polza in order: {'yes' if not out_of_order else 'NO'}"
        + (
            f"; database rows added {stored - before} (expected {2 * len(plan)})."
            if run.stores_history
            else "."
        ),
        f"Memory: RSS {idle_rss / 1024:.0f} MB before the burst, sampled peak "
        f"{rss.peak_kb / 1024:.0f} MB ({rss.samples} samples), VmHWM {hwm / 1024:.0f} MB.",
        f"First visible text matched for {len(visible)} of {len(requests)} requests "
        f"({unmatched} without a matching preview).",
        f"{cpu.summary()}. Bot CPU per answered message: "
        f"{bot_cpu / max(1, outcome.check.answered) * 1000:.1f} ms, {bot_cpu:.1f} s in all: "
        "one event loop (one core, the GIL) cannot finish the burst in less wall time than "
        "that, whatever the model latency.",
        f"Bot API calls per answered message during the burst: "
        f"{calls_per_message(stack, outcome)}.",
    ]
    record_log_problems(result, run, log_offset)
    return result
