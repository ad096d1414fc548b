"""Polza text-to-speech: one metered `POST /audio/speech` per piece of text, OGG/Opus back.

Polza answers JSON, ``{audio: <https URL or base64>, contentType, duration, usage{characters,
cost_rub}}``; the OpenAI shape (the audio bytes themselves) is accepted too. A URL is data from
the network: it is fetched only under the same policy as image results (`UrlPolicy`), with a
separate session so the Polza key never goes to a file host.
"""

from __future__ import annotations

import base64
import binascii
import logging
from dataclasses import dataclass
from typing import Any

import aiohttp
import httpx2
import openai
from openai import AsyncOpenAI

from bot.services.catalogue import MILLION
from bot.services.errors import never_sent, translate
from bot.services.metering import Charge, Meter
from bot.services.polza_shapes import PolzaUsage
from bot.services.url_policy import UrlPolicy, UrlRefused, guarded_session, open_checked

logger = logging.getLogger(__name__)

# Polza documents `input` up to 5000 characters; a margin for models that count differently.
DEFAULT_INPUT_LIMIT = 4000
MAX_AUDIO_BYTES = 20 * 1024 * 1024
DOWNLOAD_TIMEOUT_SECONDS = 60.0


class SpeechError(Exception):
    """Polza answered, but no usable audio came of it (details for logs only)."""


@dataclass(frozen=True, slots=True)
class Speech:
    audio: bytes
    cost_rub: float | None


class SpeechService:
    def __init__(
        self,
        client: AsyncOpenAI,
        meter: Meter,
        *,
        model: str,
        voice: str,
        url_policy: UrlPolicy,
        timeout: float | None = None,
    ) -> None:
        self._client = client
        self._meter = meter
        self._model = model
        self._voice = voice
        self._url_policy = url_policy
        self._timeout = timeout
        self._http: aiohttp.ClientSession | None = None

    @property
    def model(self) -> str:
        return self._model

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None

    async def input_limit(self) -> int:
        """How many characters one request may carry: the catalogue's, else a safe default."""
        info = await self._meter.model_info(self._model)
        limit = info.prompt_limit if info is not None else None
        return min(limit, DEFAULT_INPUT_LIMIT) if limit else DEFAULT_INPUT_LIMIT

    async def speak(self, text: str, *, user_id: int, chat_id: int) -> Speech:
        """OGG/Opus audio of `text`. Raises `PolzaError`, `SpeechError`, or `LimitExceeded`
        before anything is sent; the call is recorded in the ledger whatever happens."""
        info = await self._meter.model_info(self._model)
        per_million = info.pricing.tts_per_million_characters if info is not None else None
        ceiling = per_million * len(text) / MILLION if per_million is not None else None
        charge = Charge("speech", user_id, chat_id, self._model, prompt_chars=len(text))
        async with self._meter.call(charge, ceiling=ceiling):
            response = await self._post(text, charge)
            audio = await self._audio_of(response, charge)
        if not audio:
            raise SpeechError("empty audio")
        return Speech(audio, charge.record.cost_rub if charge.record is not None else None)

    async def _post(self, text: str, charge: Charge) -> httpx2.Response:
        body = {
            "model": self._model,
            "input": text,
            "voice": self._voice,
            "response_format": "opus",
            "user": str(charge.user_id),
        }
        # Billed: never repeated by the SDK (Polza has no idempotency key).
        options: openai.RequestOptions = {"max_retries": 0}
        if self._timeout is not None:
            options["timeout"] = self._timeout
        charge.sent = True
        try:
            # The SDK's audio.speech expects raw bytes; Polza answers JSON: read it raw.
            return await self._client.post(
                "/audio/speech", body=body, cast_to=httpx2.Response, options=options
            )
        except openai.OpenAIError as error:
            charge.refused = isinstance(error, openai.APIStatusError) or never_sent(error)
            raise (translate(error, self._model) or error) from error

    async def _audio_of(self, response: httpx2.Response, charge: Charge) -> bytes:
        content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != "application/json":
            return bytes(response.content)  # OpenAI's shape: the audio itself
        try:
            answer: Any = response.json()
        except ValueError as error:
            raise SpeechError("unreadable JSON answer") from error
        if not isinstance(answer, dict):
            raise SpeechError("unexpected answer")
        charge.note_usage(PolzaUsage.read(answer.get("usage")))
        audio = answer.get("audio")
        if not isinstance(audio, str) or not audio:
            raise SpeechError("no audio in the answer")
        if audio.startswith(("https://", "http://")):
            return await self._download(audio)
        if audio.startswith("data:"):
            audio = audio.partition(",")[2]
        try:
            return base64.b64decode(audio, validate=True)
        except (binascii.Error, ValueError) as error:
            raise SpeechError("bad base64 audio") from error

    async def _download(self, url: str) -> bytes:
        try:
            async with open_checked(self._session(), url, self._url_policy) as response:
                if response.status != 200:
                    raise SpeechError(f"audio download: HTTP {response.status}")
                if (response.content_length or 0) > MAX_AUDIO_BYTES:
                    raise SpeechError("audio too large")
                data = bytearray()
                async for chunk in response.content.iter_chunked(64 * 1024):
                    data += chunk
                    if len(data) > MAX_AUDIO_BYTES:
                        raise SpeechError("audio too large")
                return bytes(data)
        except UrlRefused as error:
            logger.warning("Speech audio URL refused: %s", error)
            raise SpeechError(str(error)) from None
        except (aiohttp.ClientError, TimeoutError, OSError) as error:
            raise SpeechError(f"audio download: {type(error).__name__}") from error

    def _session(self) -> aiohttp.ClientSession:
        if self._http is None or self._http.closed:
            self._http = guarded_session(
                self._url_policy, aiohttp.ClientTimeout(total=DOWNLOAD_TIMEOUT_SECONDS)
            )
        return self._http
