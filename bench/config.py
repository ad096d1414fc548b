"""Every knob of a run, with the full and the quick presets."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, fields, replace

SCENARIOS = ("latency", "rate", "concurrency", "storage", "startup", "replicas")


@dataclass(frozen=True)
class Config:
    quick: bool = False
    # Fake Polza's answer: the echo of the message, `reply_chars` long, in `chunk_size` pieces.
    reply_chars: int = 120
    chunk_size: int = 12
    chunk_delay: float = 0.02  # between chunks, scenarios 1-2 and 4 (scenario 3: zero)
    first_chunk_delay: float = 0.0  # before the first chunk, scenarios 1-2
    model_latency: float = 1.0  # before the first chunk, scenario 4
    # 1-2: one message at a time
    messages: int = 300
    latency_users: int = 150
    gap: float = 0.01  # idle time between two messages
    # 3: burst at zero latency
    rate_messages: int = 2000
    rate_users: int = 500
    warmup: int = 20
    # 4-5: everyone at once
    users: int = 1000
    per_user: int = 3
    # 6: storage
    storage_messages: int = 1_000_000
    storage_users: int = 10_000
    storage_samples: int = 2000
    # 7: start-up
    startup_runs: int = 5
    import_runs: int = 3
    # misc
    baseline: bool = True  # also run the scenarios against bench/baseline_bot.py
    profile: bool = False
    profile_rate: int = 250

    @property
    def rate_per_user(self) -> int:
        return max(1, self.rate_messages // self.rate_users)


QUICK = Config(
    quick=True,
    messages=15,
    latency_users=8,
    rate_messages=120,
    rate_users=30,
    warmup=3,
    users=30,
    per_user=3,
    model_latency=0.2,
    storage_messages=20_000,
    storage_users=200,
    storage_samples=200,
    startup_runs=1,
    import_runs=0,
)

# CLI flag -> Config field, for the flags that override a preset value.
OVERRIDES: dict[str, tuple[str, type, str]] = {
    "reply_chars": ("--reply-chars", int, "length of fake Polza's answer (characters)"),
    "chunk_size": ("--chunk-size", int, "characters per streamed chunk"),
    "chunk_delay": ("--chunk-delay", float, "seconds between chunks (scenarios 1-2, 4)"),
    "first_chunk_delay": (
        "--first-chunk-delay",
        float,
        "seconds before the first chunk in scenarios 1-2",
    ),
    "model_latency": (
        "--model-latency",
        float,
        "seconds before the first chunk in scenario 4 (fake model latency)",
    ),
    "messages": ("--messages", int, "scenario 1-2: messages sent one at a time"),
    "latency_users": ("--latency-users", int, "scenario 1-2: distinct users"),
    "rate_messages": ("--rate-messages", int, "scenario 3: messages in the burst"),
    "rate_users": ("--rate-users", int, "scenario 3: users in the burst"),
    "users": ("--users", int, "scenario 4: users sending at once"),
    "per_user": ("--per-user", int, "scenario 4: messages each user sends"),
    "storage_messages": ("--storage-messages", int, "scenario 6: rows seeded"),
    "storage_users": ("--storage-users", int, "scenario 6: users they belong to"),
    "storage_samples": ("--storage-samples", int, "scenario 6: timed calls of each kind"),
    "startup_runs": ("--startup-runs", int, "scenario 7: bot starts measured (at least)"),
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    defaults = Config()
    for name, (flag, kind, help_text) in OVERRIDES.items():
        parser.add_argument(
            flag,
            type=kind,
            default=None,
            dest=name,
            help=f"{help_text} (default {getattr(defaults, name)}, "
            f"--quick {getattr(QUICK, name)})",
        )


def from_args(args: argparse.Namespace) -> Config:
    config = QUICK if args.quick else Config()
    known = {f.name for f in fields(Config)}
    changes = {
        name: getattr(args, name)
        for name in OVERRIDES
        if name in known and getattr(args, name, None) is not None
    }
    config = replace(config, profile=bool(args.profile), baseline=not args.no_baseline, **changes)
    if config.chunk_size < 1 or not 20 <= config.reply_chars <= 3500:
        # Longer answers are split over several Telegram messages; the delivery check expects
        # one final message per answer.
        raise SystemExit("--chunk-size must be >= 1 and --reply-chars between 20 and 3500")
    if min(config.messages, config.rate_messages, config.users, config.per_user) < 1:
        raise SystemExit("message and user counts must be >= 1")
    return config
