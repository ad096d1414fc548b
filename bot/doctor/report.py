"""The doctor's findings and how they are shown: a checklist for people, JSON for scripts."""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, replace


class Status(enum.StrEnum):
    OK = "ok"
    WARN = "warn"
    FAIL = "fail"
    SKIP = "skip"  # not run (e.g. the paid live request without --live)


MARKS = {Status.OK: "✓", Status.WARN: "⚠", Status.FAIL: "✗", Status.SKIP: "–"}


@dataclass(frozen=True, slots=True)
class Check:
    group: str
    name: str
    status: Status
    found: str
    fix: str = ""  # what to do; empty when there is nothing to do


def ok(group: str, name: str, found: str) -> Check:
    return Check(group, name, Status.OK, found)


def warn(group: str, name: str, found: str, fix: str) -> Check:
    return Check(group, name, Status.WARN, found, fix)


def fail(group: str, name: str, found: str, fix: str) -> Check:
    return Check(group, name, Status.FAIL, found, fix)


def skip(group: str, name: str, found: str) -> Check:
    return Check(group, name, Status.SKIP, found)


def exit_code(checks: Iterable[Check]) -> int:
    return 1 if any(check.status is Status.FAIL for check in checks) else 0


def redact(checks: Sequence[Check], secrets: Iterable[str]) -> list[Check]:
    """Checks with every secret masked, whatever an error message happened to quote."""
    hidden = sorted({s for s in secrets if len(s) >= 6}, key=len, reverse=True)

    def clean(text: str) -> str:
        for secret in hidden:
            text = text.replace(secret, "***")
        return text

    return [replace(c, found=clean(c.found), fix=clean(c.fix)) for c in checks]


def _count(checks: Sequence[Check], status: Status) -> int:
    return sum(check.status is status for check in checks)


def _plural(number: int, word: str) -> str:
    return f"{number} {word}" if number == 1 else f"{number} {word}s"


def summary(checks: Sequence[Check]) -> str:
    problems, warnings = _count(checks, Status.FAIL), _count(checks, Status.WARN)
    counts = f"{_plural(problems, 'problem')}, {_plural(warnings, 'warning')}"
    if problems:
        return f"{counts}: fix the ✗ lines, then run the doctor again."
    if warnings:
        return f"{counts}: the bot will work; read the ⚠ lines."
    return f"{counts}: the bot is ready to start (make run)."


def render_text(checks: Sequence[Check]) -> str:
    lines: list[str] = []
    group = None
    for check in checks:
        if check.group != group:
            group = check.group
            if lines:
                lines.append("")
            lines.append(group)
        lines.append(f"  {MARKS[check.status]} {check.name}: {check.found}")
        if check.fix:
            lines.append(f"      → {check.fix}")
    lines.extend(["", summary(checks)])
    return "\n".join(lines) + "\n"


def render_json(checks: Sequence[Check]) -> str:
    document = {
        "ok": exit_code(checks) == 0,
        "problems": _count(checks, Status.FAIL),
        "warnings": _count(checks, Status.WARN),
        "checks": [asdict(check) for check in checks],
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"
