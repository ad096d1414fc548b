"""One chat turn: build the request from history, stream the answer, store the exchange."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from bot.services.errors import PolzaError, PolzaErrorKind
from bot.services.polza import ChatUsage, PolzaClient, StreamEnd, TextDelta
from storage import ChatTurn, ConversationKey, MessageRepository, UsageRecord

logger = logging.getLogger(__name__)


class AnswerSink(Protocol):
    """Where the growing answer is shown while it streams (Telegram, in practice)."""

    async def update(self, text: str) -> None: ...


@dataclass(frozen=True, slots=True)
class HistoryLimits:
    max_turns: int
    max_chars: int


@dataclass(frozen=True, slots=True)
class ChatOutcome:
    text: str
    error: PolzaError | None = None
    usage: ChatUsage | None = None
    stopped: bool = False  # the user stopped it; `text` is what had arrived by then

    @property
    def interrupted(self) -> bool:
        """Some text arrived, then the stream failed: the text is kept."""
        return self.error is not None and bool(self.text.strip())


def build_messages(
    system_prompt: str, history: Sequence[ChatTurn], user_text: str, max_chars: int
) -> list[dict[str, Any]]:
    """System prompt, then as many of the newest turns as fit in `max_chars`, then the user."""
    budget = max_chars - len(system_prompt) - len(user_text)
    kept: list[ChatTurn] = []
    for turn in reversed(history):
        budget -= len(turn.content)
        if budget < 0:
            break
        kept.append(turn)
    # Never start the context with an orphaned answer.
    while kept and kept[-1].role == "assistant":
        kept.pop()
    messages: list[dict[str, Any]] = [{"role": "system", "content": system_prompt}]
    messages.extend({"role": turn.role, "content": turn.content} for turn in reversed(kept))
    messages.append({"role": "user", "content": user_text})
    return messages


@dataclass(slots=True)
class _Progress:
    text: str = ""
    end: StreamEnd | None = None
    error: PolzaError | None = None


async def _wait_or_stop(streaming: asyncio.Task[None], stop: asyncio.Event | None) -> bool:
    """Wait for the stream; True if `stop` was set first (the stream is then cancelled,
    which closes the connection so Polza stops generating)."""
    if stop is None:
        await streaming
        return False
    stopping = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({streaming, stopping}, return_when=asyncio.FIRST_COMPLETED)
    except BaseException:  # our own task was cancelled (shutdown): take the stream with us
        streaming.cancel()
        raise
    finally:
        stopping.cancel()
    if streaming.done():
        streaming.result()  # re-raise anything unexpected
        return False
    streaming.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await streaming
    return True


class ChatService:
    def __init__(
        self,
        polza: PolzaClient,
        messages: MessageRepository,
        limits: HistoryLimits,
        max_answer_tokens: int | None = None,
    ) -> None:
        self._polza = polza
        self._messages = messages
        self._limits = limits
        self._max_answer_tokens = max_answer_tokens

    async def reply(
        self,
        key: ConversationKey,
        *,
        user_text: str,
        model: str,
        system_prompt: str,
        sink: AnswerSink,
        stop: asyncio.Event | None = None,
    ) -> ChatOutcome:
        """Stream one answer into `sink` and store the exchange.

        History is written only after the answer ends, in one transaction: a failure before
        any text leaves history untouched; a stream cut midway, or stopped by the user, keeps
        the text received.
        """
        history = await self._messages.recent(key, self._limits.max_turns)
        request = build_messages(system_prompt, history, user_text, self._limits.max_chars)
        progress = _Progress()
        streaming = asyncio.create_task(
            self._stream(request, model=model, user_id=key.user_id, sink=sink, into=progress)
        )
        stopped = await _wait_or_stop(streaming, stop)
        text, end, error = progress.text, progress.end, progress.error
        if stopped:
            logger.info("Answer stopped by user %s after %d chars", key.user_id, len(text))
            error = None
        elif error is None and not text.strip():
            reason = end.finish_reason if end else None
            kind = PolzaErrorKind.LENGTH_EMPTY if reason == "length" else PolzaErrorKind.EMPTY
            error = PolzaError(kind, model=model, message=f"finish_reason={reason}")
        usage = end.usage if end else None
        if error is not None:
            logger.warning("Polza chat failed for user %s: %s", key.user_id, error.log_fields())
        if text.strip():
            await self._messages.append_exchange(
                key,
                user_text,
                text,
                model,
                UsageRecord(
                    user_id=key.user_id,
                    chat_id=key.chat_id,
                    kind="chat",
                    model=model,
                    prompt_tokens=usage.prompt_tokens if usage else None,
                    completion_tokens=usage.completion_tokens if usage else None,
                    cost_rub=usage.cost_rub if usage else None,
                ),
            )
        return ChatOutcome(
            text=text, error=error, usage=usage, stopped=stopped and bool(text.strip())
        )

    async def _stream(
        self,
        request: list[dict[str, Any]],
        *,
        model: str,
        user_id: int,
        sink: AnswerSink,
        into: _Progress,
    ) -> None:
        try:
            async for event in self._polza.stream_chat(
                request, model=model, user_id=user_id, max_tokens=self._max_answer_tokens
            ):
                if isinstance(event, TextDelta):
                    into.text += event.text
                    await sink.update(into.text)
                elif isinstance(event, StreamEnd):
                    into.end = event
        except PolzaError as failure:
            into.error = failure

    async def clear(self, key: ConversationKey) -> int:
        return await self._messages.clear(key)
