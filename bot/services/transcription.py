"""Polza speech-to-text: one metered transcription request per audio chunk, texts joined.

Each chunk is reserved against the limits before it is sent (so the budget is checked again
between chunks) and recorded in the ledger whatever its outcome.

Polza answers ``{text, language, duration, usage: {durationSeconds, cost_rub, cost}}``. The openai
SDK keeps ``language`` and ``duration`` in ``model_extra``, and since Polza's ``usage`` has no
``type`` discriminator the SDK builds it as a ``UsageTokens`` whose declared fields are all None,
with Polza's own fields in ``usage.model_extra``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import openai
from openai import AsyncOpenAI, not_given, omit

from bot.services.audio import AudioChunk
from bot.services.errors import PolzaError, PolzaErrorKind, translate
from bot.services.metering import Charge, Meter
from bot.services.polza_shapes import PolzaUsage, polza_float

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
    def __init__(
        self, client: AsyncOpenAI, model: str, meter: Meter, *, timeout: float | None = None
    ) -> None:
        # Every upload is billed: a retry made by the SDK would be paid for twice.
        self._client = client.with_options(max_retries=0)
        self._model = model
        self._meter = meter
        self._timeout = timeout

    @property
    def model(self) -> str:
        return self._model

    async def transcribe(
        self,
        chunks: Sequence[AudioChunk],
        *,
        language: str | None,
        user_id: int,
        chat_id: int,
        on_chunk: Callable[[int, int], None] | None = None,
    ) -> Transcript:
        """Transcribe the chunks one after another. Raises `PolzaError`, or `LimitExceeded`
        when the next chunk would pass a limit; never retries. `on_chunk(number, total)` is
        called before each chunk of a recording in several chunks."""
        if not chunks:
            raise ValueError("no audio chunks to transcribe")
        info = await self._meter.model_info(self._model)
        per_minute = info.pricing.stt_per_minute if info is not None else None
        parts: list[_Part] = []
        for number, chunk in enumerate(chunks, start=1):
            if on_chunk is not None and len(chunks) > 1:
                on_chunk(number, len(chunks))
            charge = Charge(
                "voice", user_id, chat_id, self._model, audio_seconds=chunk.duration_seconds
            )
            ceiling = (
                per_minute * Decimal(str(chunk.duration_seconds)) / 60
                if per_minute is not None
                else None
            )
            try:
                async with self._meter.call(charge, ceiling=ceiling):
                    parts.append(await self._transcribe_one(chunk, language, charge))
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
        logger.debug(
            "transcribed %d chunk(s), %s s, %s RUB, model %s",
            transcript.requests,
            transcript.duration_seconds,
            transcript.cost_rub,
            self._model,
        )
        return transcript

    async def _transcribe_one(
        self, chunk: AudioChunk, language: str | None, charge: Charge
    ) -> _Part:
        charge.sent = True
        try:
            result = await self._client.audio.transcriptions.create(
                model=self._model,
                file=(chunk.filename, chunk.data, chunk.content_type),
                response_format="json",
                language=language or omit,
                # the SDK has no `user` argument for transcriptions; Polza reads it from the form
                extra_body={"user": str(charge.user_id)},
                timeout=not_given if self._timeout is None else self._timeout,
            )
        except openai.OpenAIError as error:
            # An HTTP error answer means Polza refused the upload and billed nothing.
            charge.refused = isinstance(error, openai.APIStatusError)
            raise (translate(error, self._model) or error) from error

        extra: Mapping[str, Any] = result.model_extra or {}
        usage = PolzaUsage.read(result.usage)
        charge.note_usage(usage)
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
        duration = polza_float(extra.get("duration"))
        if duration is None and usage is not None:
            duration = usage.duration_seconds
        found_language = extra.get("language")
        return _Part(
            text=text.strip(),
            cost_rub=usage.cost_rub if usage is not None else None,
            duration_seconds=duration if duration is not None else chunk.duration_seconds,
            language=found_language
            if isinstance(found_language, str) and found_language
            else None,
        )


def _sum_known(values: Iterable[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return sum(known) if known else None
