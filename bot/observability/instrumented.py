"""The three answering services, each reporting every answer to the `AnswerJournal`.

Subclasses rather than hooks inside the services: the services stay about Polza, and the
composition root decides whether answers are journaled. Arguments pass through untouched.
"""

from __future__ import annotations

import time
from typing import Any

from bot.observability.answers import AnswerJournal, AnswerReport
from bot.services.chat import ChatOutcome, ChatService, Question
from bot.services.errors import PolzaError
from bot.services.images import (
    GeneratedImage,
    ImageError,
    ImageErrorKind,
    ImageRequest,
    ImageService,
)
from bot.services.limits import LimitExceeded
from bot.services.transcription import Transcript, TranscriptionService
from storage import ConversationKey


def chat_kind(user_id: int, chat_id: int) -> str:
    # In a private chat the chat is the user (see ConversationKey).
    return "private" if chat_id == user_id else "group"


def chat_outcome(outcome: ChatOutcome) -> str:
    if outcome.overflow is not None:
        return "too_long"
    if outcome.limit is not None or outcome.images_refused:
        return "refused"
    if outcome.stopped:
        return "stopped"
    if outcome.error is not None:
        return "error"
    return "ok"


class JournaledChatService(ChatService):
    def __init__(self, *args: Any, journal: AnswerJournal, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._journal = journal

    async def reply(self, key: ConversationKey, question: Question, **kwargs: Any) -> ChatOutcome:
        started = time.monotonic()
        outcome = await super().reply(key, question, **kwargs)
        usage, record = outcome.usage, outcome.record
        if outcome.limit is not None:
            error: str | None = f"limit_{outcome.limit.kind}"
        else:
            error = outcome.error.kind.value if outcome.error else None
        self._journal.finished(
            AnswerReport(
                kind="chat",
                user_id=key.user_id,
                chat_kind=chat_kind(key.user_id, key.chat_id),
                model=question.model,
                outcome=chat_outcome(outcome),
                seconds=time.monotonic() - started,
                prompt_tokens=usage.prompt_tokens if usage else None,
                completion_tokens=usage.completion_tokens if usage else None,
                cost_rub=record.cost_rub if record else None,
                estimated=record.estimated if record else False,
                error=error,
            )
        )
        return outcome


class JournaledTranscription(TranscriptionService):
    def __init__(self, *args: Any, journal: AnswerJournal, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._journal = journal

    async def transcribe(
        self, *args: Any, user_id: int, chat_id: int, **kwargs: Any
    ) -> Transcript:
        started = time.monotonic()

        def report(outcome: str, cost_rub: float | None = None, error: str | None = None) -> None:
            self._journal.finished(
                AnswerReport(
                    kind="voice",
                    user_id=user_id,
                    chat_kind=chat_kind(user_id, chat_id),
                    model=self.model,
                    outcome=outcome,
                    seconds=time.monotonic() - started,
                    cost_rub=cost_rub,
                    error=error,
                )
            )

        try:
            transcript = await super().transcribe(
                *args, user_id=user_id, chat_id=chat_id, **kwargs
            )
        except LimitExceeded as refusal:
            report("refused", error=f"limit_{refusal.verdict.kind}")
            raise
        except PolzaError as error:
            report("error", error=error.kind.value)
            raise
        report("ok", cost_rub=transcript.cost_rub)
        return transcript


class JournaledImages(ImageService):
    def __init__(self, *args: Any, journal: AnswerJournal, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._journal = journal

    async def generate_set(
        self, request: ImageRequest, *, user_id: int, chat_id: int
    ) -> list[GeneratedImage]:
        started = time.monotonic()
        model = request.model

        def report(
            outcome: str, *, used: str = model, cost: float | None = None, error: str | None = None
        ) -> None:
            self._journal.finished(
                AnswerReport(
                    kind="image",
                    user_id=user_id,
                    chat_kind=chat_kind(user_id, chat_id),
                    model=used,
                    outcome=outcome,
                    seconds=time.monotonic() - started,
                    cost_rub=cost,
                    error=error,
                )
            )

        try:
            images = await super().generate_set(request, user_id=user_id, chat_id=chat_id)
        except LimitExceeded as refusal:
            report("refused", error=f"limit_{refusal.verdict.kind}")
            raise
        except ImageError as error:
            refused = error.kind is ImageErrorKind.MODERATION
            report("refused" if refused else "error", error=error.kind.value)
            raise
        except PolzaError as error:
            report("error", error=error.kind.value)
            raise
        # One request, one cost: every picture of it carries the request's total.
        report("ok", used=images[0].model, cost=images[0].cost_rub)
        return images
