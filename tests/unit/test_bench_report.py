"""The benchmark's side-by-side report: targets relative to the baseline bot, and the ratio."""

from bench.report import ReplicaRun, replica_figures, text_table
from bench.stats import Figure, ScenarioResult, Target, side_by_side


def _cpu(value: float) -> ScenarioResult:
    targets = [Target("value", "<=", 5.0), Target("value", "<=", 1.5, "times")]
    figure = Figure("3", "CPU per message", "ms", value=value, targets=targets)
    return ScenarioResult("rate", "3", [figure])


def test_relative_target_is_judged_against_the_baseline() -> None:
    within = side_by_side(_cpu(4.5), _cpu(3.2)).figures[0]
    over = side_by_side(_cpu(4.9), _cpu(3.2)).figures[0]

    assert within.met is True
    assert over.met is False
    assert over.target_text == "≤ 5.00 ms, ≤ 1.50× baseline"


def test_without_a_baseline_only_absolute_targets_count() -> None:
    alone = side_by_side(_cpu(4.9), None).figures[0]

    assert alone.met is True
    assert alone.target_text == "≤ 5.00 ms"
    assert alone.ratio is None


def test_table_shows_the_baseline_and_the_ratio() -> None:
    bot = _cpu(12.0)
    baseline = _cpu(4.0)
    baseline.broken.append("1 message(s) never answered")

    merged = side_by_side(bot, baseline)
    table = text_table([merged])

    assert "4.00 ms" in table and "3.00×" in table
    assert merged.broken == ["baseline: 1 message(s) never answered"]


def test_replica_rows_judge_two_against_one() -> None:
    one = ReplicaRun(100.0, replicas_ms=10.0, others_ms=2.0)
    fast = ScenarioResult("replicas", "R", replica_figures(one, ReplicaRun(180.0, 10, 1), 2000))
    slow = ScenarioResult("replicas", "R", replica_figures(one, ReplicaRun(150.0, 10, 5), 2000))

    table = text_table([fast, slow])

    assert "1 replica msg/s (2000 msgs)" in table and "2 replicas msg/s (2000 msgs)" in table
    assert "180 msg/s" in table and "1.80 ×" in table and "1.50 ×" in table
    assert [f.met for f in fast.figures] == [None] * 6 + [True]
    assert slow.figures[-1].met is False
    # Beside the ratio, what this machine allows: 2b / (b + o) of the two-replica run.
    assert "1.82 ×" in table and "1.33 ×" in table
    assert fast.figures[-1].target_text == "≥ 1.70 ×"
