"""Settings errors as one plain line each: shared by start-up and `python -m bot doctor`."""

from __future__ import annotations

from pydantic import ValidationError


def settings_problems(error: ValidationError) -> list[str]:
    """One line per problem, naming the environment variable: "BOT_TOKEN is required …"."""
    lines = []
    for problem in error.errors():
        name = str(problem["loc"][0]).upper() if problem["loc"] else "settings"
        if problem["type"] == "missing":
            reason = "is required (set it in the environment or .env)"
        elif problem["type"] == "required_with":
            reason = f"is required {problem['msg']}"
        else:
            reason = f"is invalid: {problem['msg']}"
        lines.append(f"{name} {reason}")
    return lines
