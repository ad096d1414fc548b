"""Polza speech-to-text: one transcription request per audio chunk, texts joined in order.

Polza answers ``{text, language, duration, usage: {durationSeconds, cost_rub, cost}}``. The openai
SDK keeps ``language`` and ``duration`` in ``model_extra``, and since Polza's ``usage`` has no
``type`` discriminator the SDK builds it as a ``UsageTokens`` whose declared fields are all None,
with Polza's own fields in ``usage.model_extra``.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import openai
from openai import AsyncOpenAI, not_given, omit

from bot.services.audio import AudioChunk
from bot.services.errors import PolzaError, PolzaErrorKind
from bot.services.polza import error_from_status

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Transcript:
    text: str  # "" when nothing was recognised
    cost_rub: float | None  # the sum over the chunks Polza reported a cost for
    duration_seconds: float | None  # as Polza reported it, else as measured locally
    language: str | None
    requests: int


@dataclass(frozen=True, slots=True)
class _Part:
    text: str
    cost_rub: float | None
    duration_seconds: float | None
    language: str | None


class TranscriptionService:
    def __init__(self, client: AsyncOpenAI, model: str, *, timeout: float | None = None) -> None:
        # Every upload is billed: a retry made by the SDK would be paid for twice.
        self._client = client.with_options(max_retries=0)
        self._model = model
        self._timeout = timeout

    @property
    def model(self) -> str:
        return self._model

    async def transcribe(
        self, chunks: Sequence[AudioChunk], *, language: str | None, user_id: int
    ) -> Transcript:
        """Transcribe the chunks one after another. Raises `PolzaError`; never retries."""
        if not chunks:
            raise ValueError("no audio chunks to transcribe")
        parts: list[_Part] = []
        for chunk in chunks:
            try:
                parts.append(await self._transcribe_one(chunk, language, user_id))
            except PolzaError:
                if parts:
                    logger.warning(
                        "transcription stopped at chunk %d/%d; earlier chunks cost %s RUB",
                        len(parts) + 1,
                        len(chunks),
                        _sum_known(p.cost_rub for p in parts),
                    )
                raise
        transcript = Transcript(
            text=" ".join(p.text for p in parts if p.text),
            cost_rub=_sum_known(p.cost_rub for p in parts),
            duration_seconds=_sum_known(p.duration_seconds for p in parts),
            language=next((p.language for p in parts if p.language), None),
            requests=len(parts),
        )
        logger.info(
            "transcribed %d chunk(s), %s s, %s RUB, model %s",
            transcript.requests,
            transcript.duration_seconds,
            transcript.cost_rub,
            self._model,
        )
        return transcript

    async def _transcribe_one(
        self, chunk: AudioChunk, language: str | None, user_id: int
    ) -> _Part:
        try:
            result = await self._client.audio.transcriptions.create(
                model=self._model,
                file=(chunk.filename, chunk.data, chunk.content_type),
                response_format="json",
                language=language or omit,
                # the SDK has no `user` argument for transcriptions; Polza reads it from the form
                extra_body={"user": str(user_id)},
                timeout=not_given if self._timeout is None else self._timeout,
            )
        except openai.APIStatusError as error:
            raise error_from_status(error, self._model) from error
        except openai.APITimeoutError as error:  # a subclass of APIConnectionError: first
            raise PolzaError(PolzaErrorKind.TIMEOUT, model=self._model) from error
        except openai.APIConnectionError as error:
            raise PolzaError(
                PolzaErrorKind.CONNECTION, message=str(error), model=self._model
            ) from error

        extra: Mapping[str, Any] = result.model_extra or {}
        usage: Mapping[str, Any] = (result.usage.model_extra if result.usage else None) or {}
        # The SDK builds the model without validation, so a missing `text` is None at run time.
        text: object = result.text
        if not isinstance(text, str):
            # e.g. an asynchronous model answering {id, status: "processing"}
            raise PolzaError(
                PolzaErrorKind.BAD_REQUEST,
                code="NO_TEXT",
                message=f"transcription without text (status={extra.get('status')!r})",
                model=self._model,
            )
        cost = _number(usage.get("cost_rub"))
        duration = _number(extra.get("duration"))
        if duration is None:
            duration = _number(usage.get("durationSeconds"))
        found_language = extra.get("language")
        return _Part(
            text=text.strip(),
            cost_rub=cost if cost is not None else _number(usage.get("cost")),
            duration_seconds=duration if duration is not None else chunk.duration_seconds,
            language=found_language
            if isinstance(found_language, str) and found_language
            else None,
        )


def _number(value: object) -> float | None:
    """A finite float from a JSON number or numeric string (Polza sends both), else None."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _sum_known(values: Iterable[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return sum(known) if known else None
