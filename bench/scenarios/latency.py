"""Scenarios 1 and 2: one message at a time, from many users.

1. Overhead: the fake Telegram hands the update out → the bot's request reaches fake Polza.
   The fake logs when a long poll *arrived*, not when it was answered, so the update is
   injected while the bot's long poll is waiting (checked before every message): the fake
   releases that poll in the same event-loop turn as it answers the injection. The hand-out
   instant is taken as the moment the bench has read the injection's answer; if the update was
   instead picked up by a poll that arrived later, that poll's arrival is used (the later of
   the two). The calibration (`Stack.calibrate_handout`) measures how long after that instant
   a waiting client really has its update: the overhead figure includes that much of the
   fake's own work, so it errs on the high side.
2. First visible text: fake Polza's `first_content_time` (its first content chunk written) →
   arrival at fake Telegram of the first sendMessageDraft / sendMessage / editMessageText
   in that chat whose text is a prefix of the answer containing at least that first chunk.
"""

from __future__ import annotations

import math
import statistics
import time
from dataclasses import dataclass

from bench.config import Config
from bench.scenarios.common import chat_rule, record_log_problems
from bench.stack import BenchError, BotRun, CpuMeter, Stack, describe_calibration, wait_for
from bench.stats import Figure, ScenarioResult, Target
from bench.traffic import Sent, chat_of, first_visible_ms, messages

FIRST_USER = 1_000_000
WARMUP_USER = 9_100_000


@dataclass
class OneMessage:
    sent: Sent
    overhead_ms: float
    visible_ms: float | None
    poll_was_waiting: bool
    next_poll_ms: float | None  # hand-out → the bot's next getUpdates arrives
    typing_ms: float | None  # hand-out → its sendChatAction for this chat arrives


def send_one(stack: Stack, run: BotRun, sent: Sent, config: Config) -> OneMessage:
    telegram, tg_log = stack.tg()
    _, journal = stack.pz()

    def waiting_poll() -> dict[str, object] | None:
        run.ensure_running()
        tg_log.fetch()
        return tg_log.waiting_poll()

    poll = wait_for(waiting_poll, 10, "the bot's long poll", interval=0.002)
    journal_from = journal.last_seq + 1
    data, sent_at, injected_at = telegram.timed("POST", "/_test/update", sent.update())
    update_id = int(data["update_ids"][0])

    def answered() -> bool:
        run.ensure_running()
        return any(
            e["method"] == "sendMessage" and e["ok"] is True and chat_of(e) == sent.user_id
            for e in tg_log.refresh_from(poll["seq"])
        )

    wait_for(answered, 20, f"the answer to user {sent.user_id}", interval=0.005)
    delivering = next(
        (
            e
            for e in tg_log.calls(["getUpdates"], poll["seq"] - 1)
            if any(u.get("update_id") == update_id for u in e.get("result") or [])
        ),
        None,
    )
    if delivering is None:
        raise BenchError(f"no getUpdates in the fake's log delivered update {update_id}")
    handout = max(injected_at, delivering["time"])
    journal.refresh_from(journal_from)
    requests = [
        e
        for e in journal.chat_requests(journal_from - 1)
        if str(e["json"].get("user")) == str(sent.user_id)
    ]
    if len(requests) != 1:
        raise BenchError(f"expected 1 Polza request for user {sent.user_id}, saw {len(requests)}")
    overhead = (requests[0]["time"] - handout) * 1000
    visible, _ = first_visible_ms(
        requests,
        tg_log.calls(["sendMessageDraft", "sendMessage", "editMessageText"], poll["seq"]),
        {(sent.user_id, sent.text): sent},
        config.chunk_size,
    )
    later = tg_log.calls(["getUpdates", "sendChatAction"], delivering["seq"])
    next_poll = next((e for e in later if e["method"] == "getUpdates"), None)
    typing = next(
        (e for e in later if e["method"] == "sendChatAction" and chat_of(e) == sent.user_id),
        None,
    )
    return OneMessage(
        sent,
        overhead,
        visible[0] if visible else None,
        poll_was_waiting=delivering["time"] < sent_at,
        next_poll_ms=(next_poll["time"] - handout) * 1000 if next_poll else None,
        typing_ms=(typing["time"] - handout) * 1000 if typing else None,
    )


def run_latency(stack: Stack, config: Config) -> ScenarioResult:
    result = ScenarioResult(
        "latency", "1–2. Overhead and first visible text (one message at a time)"
    )
    run = stack.bot
    assert run is not None, "start the bot first"
    stack.reset_polza(
        [
            chat_rule(
                config,
                chunk_delay=config.chunk_delay,
                first_chunk_delay=config.first_chunk_delay,
            )
        ]
    )
    log_offset = run.log_size()
    for sent in messages(WARMUP_USER, 3, 1, config.reply_chars):
        send_one(stack, run, sent, config)
        time.sleep(config.gap)

    per_user = math.ceil(config.messages / config.latency_users)
    plan = messages(FIRST_USER, config.latency_users, per_user, config.reply_chars)
    plan = plan[: config.messages]
    measured: list[OneMessage] = []
    with CpuMeter({"bot": run.pid, **stack.fake_pids}) as cpu:
        for sent in plan:
            measured.append(send_one(stack, run, sent, config))
            time.sleep(config.gap)
    result.foreign_cpu = cpu.others_share

    overhead = [m.overhead_ms for m in measured]
    visible = [m.visible_ms for m in measured if m.visible_ms is not None]
    result.figures.append(
        Figure(
            "1",
            "Overhead: update handed out → Polza request",
            "ms",
            samples=overhead,
            targets=[Target("median", "<=", 4.0), Target("p99", "<=", 20.0)],
        )
    )
    result.figures.append(
        Figure(
            "2",
            "First visible text: first content chunk → first draft/message",
            "ms",
            samples=visible,
            targets=[Target("median", "<=", 50.0)],
        )
    )
    if len(visible) < len(measured):
        result.broken.append(
            f"{len(measured) - len(visible)} answer(s) never showed their first chunk"
        )
    first_contact = [m.overhead_ms for m in measured if m.sent.index == 0]
    returning = [m.overhead_ms for m in measured if m.sent.index > 0]
    breakdown = (
        "first message of a user (the bot creates its user row) median "
        f"{statistics.median(first_contact):.2f} ms"
    )
    if returning:
        breakdown += (
            ", returning users (the bot reads history) median "
            f"{statistics.median(returning):.2f} ms"
        )
    not_waiting = sum(1 for m in measured if not m.poll_was_waiting)
    stages: list[tuple[str, list[float | None]]] = [
        ("the bot's next getUpdates arrives", [m.next_poll_ms for m in measured]),
        (
            "its sendChatAction (typing, sent as the handler starts) arrives",
            [m.typing_ms for m in measured],
        ),
        ("the Polza request arrives", [m.overhead_ms for m in measured]),
    ]
    milestones = []
    for label, values in stages:
        known = [v for v in values if v is not None]
        if known:
            milestones.append(f"{label} {statistics.median(known):.2f} ms")
    result.notes += [
        f"{len(measured)} messages from {config.latency_users} users, one at a time "
        f"({config.gap * 1000:.0f} ms idle between an answer and the next message), after 3 "
        f"unmeasured warm-up messages. Fake Polza streams a {config.reply_chars}-character echo "
        f"in {config.chunk_size}-character chunks, {config.chunk_delay * 1000:.0f} ms apart, "
        f"first chunk after {config.first_chunk_delay * 1000:.0f} ms.",
        f"Overhead by kind of message: {breakdown}.",
        "Where the overhead goes (medians after the hand-out, as seen at the fakes): "
        + "; ".join(milestones)
        + ".",
        "Hand-out instant: the injection's answer as read by the bench, with the bot's long "
        "poll verified to be waiting beforehand (it was for "
        f"{len(measured) - not_waiting} of {len(measured)} messages; otherwise the later "
        "arrival of the poll that carried the update is used). Calibration, a bench client "
        "long-polling the fake instead of the bot: its poll answer was read "
        f"{describe_calibration(stack.calibration_ms)} after the injection's answer, so the "
        "overhead figure includes about that much of the fake's own getUpdates work.",
        cpu.summary() + ".",
    ]
    record_log_problems(result, run, log_offset)
    return result
