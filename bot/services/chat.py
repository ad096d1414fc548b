"""One chat turn: fit history to the model, stream the answer through the gateway, store it."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import logging
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from bot.services.catalogue import ModelCatalogue, ModelInfo
from bot.services.citations import Citation, Sources
from bot.services.context import (
    FileData,
    Overflow,
    PreparedRequest,
    context_budget,
    fixed_tokens,
    prepare_request,
    with_summary,
)
from bot.services.errors import PolzaError, PolzaErrorKind
from bot.services.history import History, HistoryReader
from bot.services.limits import LimitExceeded, LimitVerdict
from bot.services.metering import Charge, RowWriter, chat_ceiling
from bot.services.model_lookup import catalogue_snapshot
from bot.services.polza import (
    ChatRequest,
    CitationsFound,
    PolzaClient,
    ReasoningDelta,
    StreamEnd,
    TextDelta,
)
from bot.services.polza_shapes import PolzaUsage
from bot.services.reasoning import effort_to_send
from bot.services.summary import Summariser
from storage import ConversationKey, ImageData, MessageRepository, UsageRecord
from storage.answers import AnswerRepository
from storage.db import Transaction
from storage.models import ReplayedAnswer, StoredAnswer
from storage.usage import Alongside

logger = logging.getLogger(__name__)


class AnswerSink(Protocol):
    """Where the growing answer is shown while it streams (Telegram, in practice)."""

    async def update(self, text: str) -> None: ...

    async def thinking(self) -> None:
        """The model is reasoning and has written no answer yet."""


@dataclass(frozen=True, slots=True)
class HistoryLimits:
    max_tokens: int  # history sent with one request, on top of the model's own window
    image_turns: int = 0  # how many of the newest image turns keep their images


@dataclass(frozen=True, slots=True)
class Redo:
    """Answer a stored turn again rather than a new one."""

    answer: StoredAnswer  # the conversation's latest answer
    # "regenerate": a new answer replaces it; "continue": the cut answer goes on;
    # "edit": the user changed the question (`Question.user_text`), a new answer replaces it.
    kind: str = "regenerate"

    @property
    def continues(self) -> bool:
        return self.kind == "continue"


@dataclass(frozen=True, slots=True)
class Question:
    """What one user turn asks of the model."""

    user_text: str
    model: str
    system_prompt: str
    images: Sequence[ImageData] = ()
    reasoning_effort: str | None = None
    update_id: int | None = None  # the Telegram update it answers, stored with the exchange
    web_search: bool = False  # Polza's web-search plugin answers this one
    files: Sequence[FileData] = ()  # sent with this turn only, never stored
    # What history keeps of the turn when it differs from what is sent (files sent as file
    # parts are kept as their text); None: `user_text`.
    stored_text: str | None = None
    message_id: int | None = None  # the user's Telegram message, stored with the turn
    redo: Redo | None = None


@dataclass(frozen=True, slots=True)
class ChatOutcome:
    text: str
    error: PolzaError | None = None
    usage: PolzaUsage | None = None
    record: UsageRecord | None = None  # the ledger row of this answer (cost, maybe estimated)
    limit: LimitVerdict | None = None  # refused before the call: it would pass a limit
    store_failed: bool = False  # the answer arrived but could not be stored
    stopped: bool = False  # the user stopped it; `text` is what had arrived by then
    # Earlier turns no longer fit the model's context, and the user has not been told yet.
    trim_notice: bool = False
    summarised: bool = False  # those turns went as a summary
    finish_reason: str | None = None
    answer_id: int | None = None  # the stored answer (its buttons act on it)
    # The Telegram message of the answer this one continues or replaces: its buttons go.
    # A plain new answer leaves the older ones as they are: their 🔄 and ▶️ stop working
    # politely (one Bot API call and two reads less per message than moving them).
    superseded: int | None = None
    replaced: bool = False  # that answer was replaced by this one (not just followed)
    images_refused: bool = False  # the model cannot take the images that were sent
    overflow: Overflow | None = None  # the message alone is too long for the model
    sources: tuple[Citation, ...] = ()  # web pages the answer cites (web search)

    @property
    def interrupted(self) -> bool:
        """Some text arrived, then the stream failed: the text is kept."""
        return self.error is not None and bool(self.text.strip())

    @property
    def cut(self) -> bool:
        """Text arrived and the output limit ended it: it can be continued."""
        return self.finish_reason == "length" and self.error is None and not self.stopped


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
    limit: LimitVerdict | None = None
    sources: Sources = dataclasses.field(default_factory=Sources)


# A stored answer: its id, the message of the answer it redoes, whether that one was replaced.
_Saved = tuple[int, int | None, bool]


@dataclass(slots=True)
class _LedgerRow:
    """The chat call's ledger row, taken over from the meter while the answer is awaited, to
    be written with the exchange in one transaction (or alone: `write(None)`)."""

    accepting: bool = True  # until the stream has ended: later, the meter writes it itself
    writer: RowWriter | None = None

    def take(self, writer: RowWriter) -> bool:
        if not self.accepting:
            return False
        self.writer = writer
        return True

    @property
    def pending(self) -> bool:
        return self.writer is not None

    async def write(self, alongside: Alongside | None) -> None:
        """Write the row, once (with `alongside` in its transaction, or alone)."""
        writer, self.writer = self.writer, None
        if writer is not None:
            await writer(alongside)


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
        answers: AnswerRepository,
        catalogue: ModelCatalogue | None = None,
        summariser: Summariser | None = None,
    ) -> None:
        self._polza = polza
        self._messages = messages
        self._answers = answers
        self._limits = limits
        self._max_answer_tokens = max_answer_tokens
        self._catalogue = catalogue
        self._summariser = summariser
        self._history = HistoryReader(answers, image_turns=limits.image_turns)

    async def reply(
        self,
        key: ConversationKey,
        question: Question,
        *,
        sink: AnswerSink,
        stop: asyncio.Event | None = None,
    ) -> ChatOutcome:
        """Stream one answer into `sink` and store the exchange.

        History is written only after the answer ends, in one transaction: a failure before
        any text leaves history untouched; a stream cut midway, or stopped by the user, keeps
        the text received. Reasoning is shown as "thinking" but never stored. The call is in
        the usage ledger whatever happened (the gateway's meter writes it).
        """
        info = await self._model_info(question.model)
        question = await self._with_turn_images(question, info)
        prepared, max_tokens, history = await self._prepare(key, question, info)
        if isinstance(prepared, Overflow):
            logger.debug(
                "Message of user %s too long for %s: ~%d tokens, %d allowed",
                key.user_id,
                question.model,
                prepared.tokens,
                prepared.limit,
            )
            return ChatOutcome(text="", overflow=prepared)
        request = ChatRequest(
            messages=prepared.messages,
            model=question.model,
            user_id=key.user_id,
            chat_id=key.chat_id,
            max_tokens=max_tokens,
            ceiling=chat_ceiling(
                info,
                prompt_tokens=prepared.tokens,
                max_tokens=max_tokens,
                web_search=question.web_search,
            ),
            reasoning_effort=effort_to_send(question.reasoning_effort, info),
            web_search=question.web_search,
            file_tokens=sum(file.tokens for file in question.files),
        )
        charge = request.charge()
        ledger = _LedgerRow()
        charge.handover = ledger.take  # written with the exchange: one transaction for both
        try:
            progress = _Progress()
            streaming = asyncio.create_task(self._stream(request, charge, sink, progress))
            stopped = await _wait_or_stop(streaming, stop)
            ledger.accepting = False
            outcome = _outcome(question, prepared, progress, charge, stopped)
            if outcome.text.strip():
                trimmed = prepared.trimmed or history.trimmed
                outcome = dataclasses.replace(outcome, summarised=history.summary is not None)
                outcome = await self._store(key, question, outcome, charge, trimmed, ledger)
            return outcome
        finally:
            ledger.accepting = False
            if ledger.pending:  # no exchange took it (nothing to store, an error, a cancel)
                await asyncio.shield(ledger.write(None))

    async def _prepare(
        self, key: ConversationKey, question: Question, info: ModelInfo | None
    ) -> tuple[PreparedRequest | Overflow, int, History]:
        """The request's messages (history fitted to the model), the `max_tokens` to send and
        the history read."""
        # Unknown models get this conversation's earlier images only once known to see them.
        history_images = info is not None and info.vision
        budget = context_budget(
            info.context_length if info else None,
            info.max_completion_tokens if info else None,
            self._max_answer_tokens,
        )
        redo = question.redo
        continuation = redo.answer.content if redo is not None and redo.continues else None
        fixed = fixed_tokens(
            question.system_prompt, question.user_text, len(question.images), continuation
        ) + sum(file.tokens for file in question.files)
        allowance = max(0, min(self._limits.max_tokens, budget.prompt_tokens - fixed))
        summariser = self._summariser
        history = await self._history.read(
            key,
            allowance,
            before=redo.answer.user_turn if redo is not None else None,
            images=history_images,
            summarise=(
                functools.partial(summariser.summarise, key) if summariser is not None else None
            ),
            summary_model=summariser.model if summariser is not None else "",
        )
        prepared = prepare_request(
            with_summary(question.system_prompt, history.summary),
            history.turns,
            question.user_text,
            images=question.images,
            files=question.files,
            budget=budget,
            history_images=history_images,
            continuation=continuation,
        )
        return prepared, budget.answer_reserve, history

    async def _with_turn_images(self, question: Question, info: ModelInfo | None) -> Question:
        """A turn answered again keeps the images it was sent with, while they are stored."""
        redo = question.redo
        if redo is None or question.images or info is None or not info.vision:
            return question
        turns = await self._answers.turns([redo.answer.user_turn], image_turns=1)
        images = turns[0].images if turns else ()
        return dataclasses.replace(question, images=images) if images else question

    async def _store(
        self,
        key: ConversationKey,
        question: Question,
        outcome: ChatOutcome,
        charge: Charge,
        trimmed: bool,
        ledger: _LedgerRow,
    ) -> ChatOutcome:
        """Store the exchange (with the call's ledger row when the meter handed it over); a
        storage failure is reported on the outcome, never raised: the user who watched the
        answer stream in still gets it."""
        try:
            if ledger.pending:
                saved: list[_Saved] = []

                async def alongside(tx: Transaction) -> int:
                    saved.append(await self._save(tx, key, question, outcome, None))
                    return saved[-1][0]

                await ledger.write(alongside)
                answer_id, superseded, replaced = saved[-1]
            else:
                async with self._messages.transaction() as tx:
                    answer_id, superseded, replaced = await self._save(
                        tx, key, question, outcome, charge.record_id
                    )
            trim_notice = trimmed and await self._first_trim(key)
        except (sqlite3.Error, OSError) as error:  # locked too long, disk full, read-only
            logger.error("Could not store the answer for user %s: %r", key.user_id, error)
            return dataclasses.replace(outcome, store_failed=True)
        except Exception:
            logger.exception("Could not store the answer for user %s", key.user_id)
            return dataclasses.replace(outcome, store_failed=True)
        return dataclasses.replace(
            outcome,
            trim_notice=trim_notice,
            answer_id=answer_id,
            superseded=superseded,
            replaced=replaced,
        )

    async def _save(
        self,
        tx: Transaction,
        key: ConversationKey,
        question: Question,
        outcome: ChatOutcome,
        usage_id: int | None,
    ) -> _Saved:
        """Store the answer in `tx`: a new exchange, or in place of (or after) the answer
        redone. Returns its id, the message of the answer it redoes, and whether that answer
        was replaced (not continued)."""
        redo = question.redo
        if redo is None:
            ids = await self._messages.append_exchange(
                key,
                question.user_text if question.stored_text is None else question.stored_text,
                outcome.text,
                question.model,
                usage_id,
                images=question.images,
                keep_image_turns=self._limits.image_turns,
                update_id=question.update_id,
                telegram_message_id=question.message_id,
                finish_reason=outcome.finish_reason,
                within=tx,
            )
            return ids.answer, None, False
        answer = redo.answer
        await self._answers.replace(
            answer.id,
            answer.content + outcome.text if redo.continues else outcome.text,
            question.model,
            usage_id,
            finish_reason=outcome.finish_reason,
            update_id=question.update_id,
            question=(answer.user_turn, question.user_text) if redo.kind == "edit" else None,
            within=tx,
        )
        return answer.id, answer.telegram_message_id, not redo.continues

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
        self, request: ChatRequest, charge: Charge, sink: AnswerSink, into: _Progress
    ) -> None:
        try:
            async for event in self._polza.stream_chat(request, charge):
                if isinstance(event, TextDelta):
                    into.text += event.text
                    await sink.update(into.text)
                elif isinstance(event, ReasoningDelta):
                    if not into.text:
                        await sink.thinking()
                elif isinstance(event, CitationsFound):
                    into.sources.add(event.citations)
                elif isinstance(event, StreamEnd):
                    into.end = event
        except PolzaError as failure:
            into.error = failure
        except LimitExceeded as refusal:
            into.limit = refusal.verdict

    async def find_answer(self, answer_id: int) -> StoredAnswer | None:
        return await self._answers.get(answer_id)

    async def answer_to_message(
        self, key: ConversationKey, telegram_message_id: int
    ) -> StoredAnswer | None:
        """The latest answer when it answers this user message (its newest turn)."""
        return await self._answers.answer_to_message(key, telegram_message_id)

    async def attach_message(
        self, answer_id: int, telegram_message_id: int, handled: Sequence[int] = ()
    ) -> bool:
        """Remember the Telegram message carrying the answer's buttons (best effort), and
        mark the inbox updates `handled` in the same write; False when it failed."""
        try:
            await self._answers.attach_message(answer_id, telegram_message_id, handled)
        except (sqlite3.Error, OSError) as error:
            logger.error("Could not remember the message of answer %s: %r", answer_id, error)
            return False
        return True

    async def stored_answer(self, update_id: int) -> ReplayedAnswer | None:
        """The answer already stored for this update (it was replayed after a crash)."""
        return await self._messages.stored_answer(update_id)


def _outcome(
    question: Question,
    prepared: PreparedRequest,
    progress: _Progress,
    charge: Charge,
    stopped: bool,
) -> ChatOutcome:
    text, end, error = progress.text, progress.end, progress.error
    if stopped:
        logger.debug("Answer stopped by user %s after %d chars", charge.user_id, len(text))
        error = None
    elif error is None and progress.limit is None and not text.strip():
        reason = end.finish_reason if end else None
        kind = PolzaErrorKind.LENGTH_EMPTY if reason == "length" else PolzaErrorKind.EMPTY
        error = PolzaError(kind, model=question.model, message=f"finish_reason={reason}")
    if error is not None:
        logger.warning("Polza chat failed for user %s: %s", charge.user_id, error.log_fields())
    return ChatOutcome(
        text=text,
        finish_reason=end.finish_reason if end is not None else None,
        error=error,
        usage=charge.usage,
        record=charge.record,
        limit=progress.limit,
        sources=tuple(progress.sources.items),
        stopped=stopped and bool(text.strip()),
        images_refused=(
            prepared.has_images
            and not text.strip()
            and error is not None
            and refuses_images(error)
        ),
    )
