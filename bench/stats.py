"""Figures, targets and the little statistics the report needs."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

Stat = Literal["median", "p99", "value"]
Op = Literal["<=", ">="]


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100) with linear interpolation between closest ranks."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    rank = (len(ordered) - 1) * q / 100.0
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def median(values: Sequence[float]) -> float:
    return percentile(values, 50.0)


def fmt(value: float | None) -> str:
    """A number with as many decimals as make sense for its size."""
    if value is None or math.isnan(value):
        return "—"
    size = abs(value)
    if size >= 100:
        return f"{value:,.0f}"
    if size >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


@dataclass(frozen=True)
class Target:
    stat: Stat
    op: Op
    limit: float

    def check(self, value: float | None) -> bool | None:
        if value is None:
            return None
        return value <= self.limit if self.op == "<=" else value >= self.limit

    def text(self, unit: str) -> str:
        sign = "≤" if self.op == "<=" else "≥"
        prefix = "" if self.stat == "value" else f"{self.stat} "
        return f"{prefix}{sign} {fmt(self.limit)} {unit}".strip()


@dataclass
class Figure:
    """One row of the results table: a distribution (samples) or a single value."""

    scenario: str
    name: str
    unit: str
    samples: list[float] | None = None
    value: float | None = None
    targets: list[Target] = field(default_factory=list)

    @property
    def n(self) -> int:
        if self.samples is not None:
            return len(self.samples)
        return 1 if self.value is not None else 0

    @property
    def median(self) -> float | None:
        if self.samples:
            return median(self.samples)
        return self.value

    @property
    def p99(self) -> float | None:
        return percentile(self.samples, 99.0) if self.samples else None

    def stat(self, which: Stat) -> float | None:
        if which == "p99":
            return self.p99
        return self.median

    @property
    def met(self) -> bool | None:
        """True/False against every target; None without targets or without data."""
        if not self.targets:
            return None
        verdicts = [target.check(self.stat(target.stat)) for target in self.targets]
        if any(verdict is None for verdict in verdicts):
            return None
        return all(verdicts)

    @property
    def target_text(self) -> str:
        return ", ".join(target.text(self.unit) for target in self.targets) or "—"

    @property
    def met_text(self) -> str:
        verdict = self.met
        if verdict is None:
            return "—" if not self.targets else "no data"
        return "yes" if verdict else "**NO**"


@dataclass
class ScenarioResult:
    """What one scenario measured, what broke (fatal), and how it was measured (notes)."""

    key: str
    title: str
    figures: list[Figure] = field(default_factory=list)
    broken: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    foreign_cpu: float | None = None  # CPU of processes outside the benchmark (1.0 = a core)
