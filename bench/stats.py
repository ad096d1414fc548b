"""Figures, targets and the little statistics the report needs."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

Stat = Literal["median", "p99", "value"]
Op = Literal["<=", ">="]
# A target relative to the baseline bot's same figure: limit × baseline, or baseline + limit.
Relative = Literal["times", "plus"]


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
    of_baseline: Relative | None = None

    def check(self, value: float | None, baseline: float | None = None) -> bool | None:
        limit = self.limit
        if self.of_baseline is not None:
            if baseline is None:
                return None
            limit = baseline * limit if self.of_baseline == "times" else baseline + limit
        if value is None:
            return None
        return value <= limit if self.op == "<=" else value >= limit

    def text(self, unit: str) -> str:
        sign = "≤" if self.op == "<=" else "≥"
        prefix = "" if self.stat == "value" else f"{self.stat} "
        if self.of_baseline == "times":
            return f"{prefix}{sign} {fmt(self.limit)}× baseline"
        if self.of_baseline == "plus":
            return f"{prefix}{sign} baseline + {fmt(self.limit)} {unit}".strip()
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
    baseline: Figure | None = None  # the same figure measured on the baseline bot

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
    def ratio(self) -> float | None:
        """This figure's median over the baseline's (None without a baseline)."""
        theirs = self.baseline.median if self.baseline is not None else None
        if theirs is None or self.median is None or theirs == 0:
            return None
        return self.median / theirs

    @property
    def _judged(self) -> list[Target]:
        """Targets relative to the baseline count only when the baseline ran."""
        return [t for t in self.targets if t.of_baseline is None or self.baseline is not None]

    @property
    def met(self) -> bool | None:
        """True/False against every target; None without targets or without data."""
        if not self._judged:
            return None
        verdicts = [
            target.check(
                self.stat(target.stat),
                self.baseline.stat(target.stat) if self.baseline is not None else None,
            )
            for target in self._judged
        ]
        if any(verdict is None for verdict in verdicts):
            return None
        return all(verdicts)

    @property
    def target_text(self) -> str:
        return ", ".join(target.text(self.unit) for target in self._judged) or "—"

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


def side_by_side(bot: ScenarioResult, baseline: ScenarioResult | None) -> ScenarioResult:
    """The bot's result with the baseline's same figures attached (matched by name), its
    breakages and notes prefixed, and the busier of the two machine readings."""
    if baseline is None:
        return bot
    theirs = {(f.scenario, f.name): f for f in baseline.figures}
    for figure in bot.figures:
        figure.baseline = theirs.get((figure.scenario, figure.name))
    bot.broken += [f"baseline: {problem}" for problem in baseline.broken]
    bot.notes += [f"Baseline bot: {note}" for note in baseline.notes]
    shares = [s for s in (bot.foreign_cpu, baseline.foreign_cpu) if s is not None]
    bot.foreign_cpu = max(shares) if shares else None
    bot.seconds += baseline.seconds
    return bot
