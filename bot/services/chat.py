"""One chat turn: fit history to the model, stream the answer, store the exchange."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from bot.services.catalogue import ModelCatalogue, ModelInfo
from bot.services.context import Overflow, context_budget, prepare_request
from bot.services.context import build_messages as build_messages
from bot.services.errors import PolzaError, PolzaErrorKind
from bot.services.model_lookup import catalogue_snapshot
from bot.services.polza import ChatUsage, PolzaClient, ReasoningDelta, StreamEnd, TextDelta
from bot.services.usage import UsageService
from storage import ConversationKey, ImageData, MessageRepository, UsageRecord

logger = logging.getLogger(__name__)


class AnswerSink(Protocol):
    """Where the growing answer is shown while it streams (Telegram, in practice)."""

    async def update(self, text: str) -> None: ...

    async def thinking(self) -> None:
        """The model is reasoning and has written no answer yet."""


@dataclass(frozen=True, slots=True)
class HistoryLimits:
    max_turns: int
    max_chars: int
    image_turns: int = 0  # how many of the newest image turns keep their images


@dataclass(frozen=True, slots=True)
class ChatOutcome:
    text: str
    error: PolzaError | None = None
    usage: ChatUsage | None = None
    record: UsageRecord | None = None  # the ledger row of this answer (cost, maybe estimated)
    stopped: bool = False  # the user stopped it; `text` is what had arrived by then
    # Earlier turns no longer fit the model's context, and the user has not been told yet.
    trim_notice: bool = False
    images_refused: bool = False  # the model cannot take the images that were sent
    overflow: Overflow | None = None  # the message alone is too long for the model

    @property
    def interrupted(self) -> bool:
        """Some text arrived, then the stream failed: the text is kept."""
        return self.error is not None and bool(self.text.strip())


REASONING_EFFORTS = ("low", "medium", "high")
_IMAGE_REFUSAL_WORDS = ("image", "vision", "modalit", "изображ")


def refuses_images(error: PolzaError) -> bool:
    """A 400 whose reason says the model cannot take image input."""
    if error.kind is not PolzaErrorKind.BAD_REQUEST:
        return False
    reason = " ".join(part for part in (error.message, error.raw) if part).lower()
    return any(word in reason for word in _IMAGE_REFUSAL_WORDS)


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
        *,
        catalogue: ModelCatalogue | None = None,
        usage: UsageService | None = None,
    ) -> None:
        self._usage = usage
        self._polza = polza
        self._messages = messages
        self._limits = limits
        self._max_answer_tokens = max_answer_tokens
        self._catalogue = catalogue

    async def reply(
        self,
        key: ConversationKey,
        *,
        user_text: str,
        model: str,
        system_prompt: str,
        sink: AnswerSink,
        stop: asyncio.Event | None = None,
        images: Sequence[ImageData] = (),
        reasoning_effort: str | None = None,
    ) -> ChatOutcome:
        """Stream one answer into `sink` and store the exchange.

        History is written only after the answer ends, in one transaction: a failure before
        any text leaves history untouched; a stream cut midway, or stopped by the user, keeps
        the text received. Reasoning is shown as "thinking" but never stored.
        """
        info = await self._model_info(model)
        # Unknown models get this conversation's earlier images only once known to see them.
        history_images = info is not None and info.vision
        limits = self._limits
        history = await self._messages.recent(
            key, limits.max_turns, image_turns=limits.image_turns if history_images else 0
        )
        prepared = prepare_request(
            system_prompt,
            history,
            user_text,
            images=images,
            max_chars=limits.max_chars,
            budget=context_budget(
                info.context_length if info else None,
                info.max_completion_tokens if info else None,
                self._max_answer_tokens,
            ),
            history_images=history_images,
        )
        if isinstance(prepared, Overflow):
            logger.info(
                "Message of user %s too long for %s: ~%d tokens, %d allowed",
                key.user_id,
                model,
                prepared.tokens,
                prepared.limit,
            )
            return ChatOutcome(text="", overflow=prepared)
        effort = reasoning_effort if reasoning_effort in REASONING_EFFORTS else None
        if effort is not None and not (info is not None and info.supports_reasoning):
            effort = None
        progress = _Progress()
        streaming = asyncio.create_task(
            self._stream(
                prepared.messages,
                model=model,
                user_id=key.user_id,
                reasoning_effort=effort,
                sink=sink,
                into=progress,
            )
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
        trim_notice = False
        record: UsageRecord | None = None
        if text.strip():
            record = UsageRecord(
                user_id=key.user_id,
                chat_id=key.chat_id,
                kind="chat",
                model=model,
                prompt_tokens=usage.prompt_tokens if usage else None,
                completion_tokens=usage.completion_tokens if usage else None,
                cost_rub=usage.cost_rub if usage else None,
            )
            if self._usage is not None:  # no cost from Polza: estimate from the price list
                record = await self._usage.complete(
                    record,
                    prompt_chars=sum(len(str(m["content"])) for m in prepared.messages),
                    completion_chars=len(text),
                )
            await self._messages.append_exchange(
                key,
                user_text,
                text,
                model,
                record,
                images=images,
                keep_image_turns=limits.image_turns,
            )
            trim_notice = prepared.trimmed and await self._first_trim(key)
        return ChatOutcome(
            text=text,
            error=error,
            usage=usage,
            stopped=stopped and bool(text.strip()),
            trim_notice=trim_notice,
            record=record,
            images_refused=(
                prepared.has_images
                and not text.strip()
                and error is not None
                and refuses_images(error)
            ),
        )

    async def _model_info(self, model: str) -> ModelInfo | None:
        if self._catalogue is None:
            return None
        snapshot = await catalogue_snapshot(self._catalogue)
        return snapshot.get(model) if snapshot is not None else None

    async def _first_trim(self, key: ConversationKey) -> bool:
        """True the first time this conversation is trimmed (until /new)."""
        if await self._messages.trim_notice_sent(key):
            return False
        await self._messages.mark_trim_notice_sent(key)
        return True

    async def _stream(
        self,
        request: list[dict[str, Any]],
        *,
        model: str,
        user_id: int,
        reasoning_effort: str | None,
        sink: AnswerSink,
        into: _Progress,
    ) -> None:
        try:
            async for event in self._polza.stream_chat(
                request,
                model=model,
                user_id=user_id,
                max_tokens=self._max_answer_tokens,
                reasoning_effort=reasoning_effort,
            ):
                if isinstance(event, TextDelta):
                    into.text += event.text
                    await sink.update(into.text)
                elif isinstance(event, ReasoningDelta):
                    if not into.text:
                        await sink.thinking()
                elif isinstance(event, StreamEnd):
                    into.end = event
        except PolzaError as failure:
            into.error = failure

    async def clear(self, key: ConversationKey) -> int:
        return await self._messages.clear(key)
