"""What goes into one chat request: as much recent history as the model's context can take.

Tokens are estimated, not counted: characters / 3.5 (on the safe side for English, code and
most Russian text), a few tokens per message, and a flat cost per image. Each turn is
estimated once per request; nothing is recounted while streaming.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from storage import ChatTurn, ImageData

CHARS_PER_TOKEN = 3.5
MESSAGE_OVERHEAD_TOKENS = 4
# A detailed ~1 MP image costs 750-1600 tokens depending on the provider.
IMAGE_TOKENS = 1000
DEFAULT_CONTEXT_TOKENS = 8192  # when the catalogue does not say
DEFAULT_ANSWER_RESERVE = 2048
MAX_ANSWER_RESERVE = 4096


def estimate_text_tokens(text: str) -> int:
    return math.ceil(len(text) / CHARS_PER_TOKEN)


def estimate_message_tokens(text: str, images: int = 0) -> int:
    return estimate_turn_tokens(len(text), images)


def chars_within(tokens: int) -> int:
    """The most characters turns estimated at `tokens` in all can have (see below)."""
    return math.ceil(max(tokens, 0) * CHARS_PER_TOKEN)


def estimate_turn_tokens(chars: int, images: int = 0) -> int:
    """A message known only by its length and how many images it has."""
    return MESSAGE_OVERHEAD_TOKENS + math.ceil(chars / CHARS_PER_TOKEN) + images * IMAGE_TOKENS


@dataclass(frozen=True, slots=True)
class FileData:
    """A file sent to the model as a `file` content part (a PDF, to a model that reads files);
    `tokens`: what it is estimated to take of the model's window."""

    name: str
    mime_type: str
    data: bytes
    tokens: int

    def part(self) -> dict[str, Any]:
        encoded = base64.b64encode(self.data).decode("ascii")
        return {
            "type": "file",
            "file": {
                "filename": self.name,
                "file_data": f"data:{self.mime_type};base64,{encoded}",
            },
        }


@dataclass(frozen=True, slots=True)
class ContextBudget:
    context_tokens: int
    answer_reserve: int

    @property
    def prompt_tokens(self) -> int:
        """What the request itself may take, leaving room for the answer."""
        return self.context_tokens - self.answer_reserve


def context_budget(
    context_length: int | None,
    max_completion_tokens: int | None = None,
    max_answer_tokens: int | None = None,
) -> ContextBudget:
    """The budget for a model with these catalogue limits (None: not known).

    The reserve for the answer is also the `max_tokens` every request carries: the configured
    answer cap when set, else the model's own output cap but never more than 4096 tokens;
    never more than half the window either: models whose output cap equals their context
    would otherwise leave no room for the conversation.
    """
    context = context_length or DEFAULT_CONTEXT_TOKENS
    if max_answer_tokens:
        reserve = max_answer_tokens
    else:
        reserve = min(max_completion_tokens or DEFAULT_ANSWER_RESERVE, MAX_ANSWER_RESERVE)
    if max_completion_tokens:
        reserve = min(reserve, max_completion_tokens)
    return ContextBudget(context, max(1, min(reserve, context // 2)))


@dataclass(frozen=True, slots=True)
class PreparedRequest:
    messages: list[dict[str, Any]]
    trimmed: bool  # earlier turns were left out because the model's context could not take them
    has_images: bool
    tokens: int  # the estimated size of the request (images included)


@dataclass(frozen=True, slots=True)
class Overflow:
    """The new message alone (with the system prompt) does not fit the model's context."""

    tokens: int
    limit: int


def data_uri(image: ImageData) -> str:
    return f"data:{image.mime_type};base64,{base64.b64encode(image.data).decode('ascii')}"


def request_chars(messages: Sequence[dict[str, Any]]) -> int:
    """A request's size in characters for a cost estimate: its text, and each image part as
    `IMAGE_TOKENS` tokens' worth (never the length of its base64 data). File parts are left
    out: their estimate travels with the request (`ChatRequest.file_tokens`)."""
    chars = 0
    for message in messages:
        content = message.get("content", "")
        if isinstance(content, str):
            chars += len(content)
            continue
        for part in content:
            if part.get("type") == "text":
                chars += len(str(part.get("text", "")))
            elif part.get("type") != "file":
                chars += math.ceil(IMAGE_TOKENS * CHARS_PER_TOKEN)
    return chars


def message_content(
    text: str, images: Sequence[ImageData], files: Sequence[FileData] = ()
) -> str | list[dict[str, Any]]:
    """A plain string for text; content parts (text, images, files) when there are others."""
    if not images and not files:
        return text
    parts: list[dict[str, Any]] = [{"type": "text", "text": text}] if text else []
    parts.extend({"type": "image_url", "image_url": {"url": data_uri(image)}} for image in images)
    parts.extend(file.part() for file in files)
    return parts


CONTINUE_INSTRUCTION = (
    "Your previous answer was cut off by the length limit. Continue it exactly where it "
    "stopped, without repeating anything and without any preface."
)


def with_summary(system_prompt: str, summary: str | None) -> str:
    """The system prompt, followed by the summary of turns left out, when there is one."""
    if not summary:
        return system_prompt
    return f"{system_prompt}\n\nSummary of the earlier part of this conversation:\n{summary}"


def fixed_tokens(
    system_prompt: str, user_text: str, images: int = 0, continuation: str | None = None
) -> int:
    """What a request takes besides its history."""
    tokens = estimate_message_tokens(system_prompt) + estimate_message_tokens(user_text, images)
    if continuation is not None:
        tokens += estimate_message_tokens(continuation)
        tokens += estimate_message_tokens(CONTINUE_INSTRUCTION)
    return tokens


def prepare_request(
    system_prompt: str,
    history: Sequence[ChatTurn],
    user_text: str,
    *,
    images: Sequence[ImageData] = (),
    files: Sequence[FileData] = (),
    budget: ContextBudget | None = None,
    history_images: bool = True,
    continuation: str | None = None,
) -> PreparedRequest | Overflow:
    """System prompt, the newest turns that fit, then the new message.

    Turns are dropped oldest first to stay within `budget` (the model's window, reported as
    `trimmed`). The new message always goes; if it cannot fit at all the answer is an
    `Overflow`. With `continuation` (a cut answer), the request ends with that answer as the
    assistant's turn and a request to go on from where it stopped.
    """
    fixed = fixed_tokens(system_prompt, user_text, len(images), continuation) + sum(
        file.tokens for file in files
    )
    tokens_left = math.inf if budget is None else budget.prompt_tokens - fixed
    if budget is not None and tokens_left < 0:
        return Overflow(tokens=fixed, limit=budget.prompt_tokens)
    kept: list[ChatTurn] = []
    used = fixed
    trimmed = False
    for turn in reversed(history):
        turn_images = len(turn.images) if history_images else 0
        cost = estimate_message_tokens(turn.content, turn_images)
        if cost > tokens_left:
            trimmed = True
            break
        tokens_left -= cost
        used += cost
        kept.append(turn)
    # Never start the context with an orphaned answer.
    while kept and kept[-1].role == "assistant":
        kept.pop()
    messages: list[dict[str, Any]] = [{"role": "system", "content": system_prompt}]
    for turn in reversed(kept):
        content = message_content(turn.content, turn.images if history_images else ())
        messages.append({"role": turn.role, "content": content})
    messages.append({"role": "user", "content": message_content(user_text, images, files)})
    if continuation is not None:
        messages.append({"role": "assistant", "content": continuation})
        messages.append({"role": "user", "content": CONTINUE_INSTRUCTION})
    has_images = bool(images) or (history_images and any(turn.images for turn in kept))
    return PreparedRequest(messages=messages, trimmed=trimmed, has_images=has_images, tokens=used)
