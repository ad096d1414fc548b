"""Pieces shared by the end-to-end scenarios: rules for fake Polza, bursts, log checks."""

from __future__ import annotations

import contextlib
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from bench.config import Config
from bench.stack import BenchError, BotRun, Stack, wait_for
from bench.stats import ScenarioResult
from bench.traffic import DeliveryCheck, Sent, chat_of, check_delivery


def chat_rule(config: Config, *, chunk_delay: float, first_chunk_delay: float) -> dict[str, Any]:
    """Fake Polza streams the echo of the user's text in `chunk_size` pieces."""
    return {
        "chunk_size": config.chunk_size,
        "chunk_delay": chunk_delay,
        "first_chunk_delay": first_chunk_delay,
    }


def record_log_problems(result: ScenarioResult, run: BotRun, offset: int) -> None:
    """Errors in the bot's log break the scenario; warnings are noted."""
    errors, warnings = run.problems(offset)
    if errors:
        result.broken.append(f"the bot logged {len(errors)} error line(s), e.g. {errors[0][:300]}")
    if warnings:
        result.notes.append(
            f"The bot logged {len(warnings)} warning(s), e.g. `{warnings[0][:200]}`."
        )


@dataclass
class Burst:
    """Many messages injected in one request; when each final answer reached Telegram."""

    sent: list[Sent]
    injected_at: float
    finished: bool
    check: DeliveryCheck
    final_times: list[float] = field(default_factory=list)
    start_seq: int = 0

    @property
    def wall(self) -> float:
        return (self.final_times[-1] - self.injected_at) if self.final_times else float("nan")


def burst(stack: Stack, run: BotRun, sent: list[Sent], timeout: float, poll: float = 0.2) -> Burst:
    """Inject every message at once (one /_test/update call); wait for all final answers."""
    telegram, tg_log = stack.tg()
    tg_log.fetch()
    start_seq = tg_log.last_seq
    chats = {s.user_id for s in sent}
    counted: set[int] = set()
    _, _, injected_at = telegram.timed("POST", "/_test/update", [s.update() for s in sent])
    deadline = time.monotonic() + timeout
    finished = False
    while True:
        run.ensure_running()
        for entry in tg_log.fetch():
            if (
                entry["method"] == "sendMessage"
                and entry["ok"] is True
                and chat_of(entry) in chats
            ):
                counted.add(entry["seq"])
        if len(counted) >= len(sent):
            finished = True
            break
        if time.monotonic() > deadline:
            break
        time.sleep(poll)
    if finished:
        time.sleep(0.3)  # a duplicate answer would show up now
        tg_log.fetch()
    check = check_delivery(sent, tg_log.calls(["sendMessage"], start_seq))
    times = sorted(e["time"] for e in check.finals)
    return Burst(sent, injected_at, finished, check, times, start_seq)


def calls_per_message(stack: Stack, outcome: Burst) -> str:
    """The Bot API calls the bot made during a burst, per answered message, by method."""
    _, tg_log = stack.tg()
    counts = Counter(
        entry["method"] for seq, entry in tg_log.entries.items() if seq > outcome.start_seq
    )
    answered = max(1, outcome.check.answered)
    return ", ".join(f"{method} {n / answered:.2f}" for method, n in counts.most_common())


def wait_messages_stored(run: BotRun, expected: int, timeout: float = 10.0) -> int:
    """Rows in `messages` once it reaches `expected` (history is written before the final)."""
    last = [0]

    def enough() -> bool:
        last[0] = run.messages_count()
        return last[0] >= expected

    with contextlib.suppress(BenchError):
        wait_for(enough, timeout, f"{expected} stored messages", interval=0.1)
    return last[0]
