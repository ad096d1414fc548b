"""Polza's model catalogue (`GET /models`): parsed defensively, cached, searchable."""

from __future__ import annotations

import asyncio
import base64
import enum
import hashlib
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import openai
from openai import AsyncOpenAI

from bot.services.errors import translate
from bot.services.polza_shapes import polza_decimal

if TYPE_CHECKING:
    from bot.services.shared_catalogue import SharedCatalogue

logger = logging.getLogger(__name__)

MILLION = Decimal(1_000_000)
KEY_LENGTH = 10
# After a failed refresh the stale snapshot keeps being served; retry no sooner than this.
REFRESH_RETRY_SECONDS = 60.0


class ModelKind(enum.StrEnum):
    CHAT = "chat"
    IMAGE = "image"
    STT = "stt"
    VIDEO = "video"
    OTHER = "other"


class CatalogueUnavailable(Exception):
    """The catalogue could not be fetched and there is no earlier snapshot to fall back on."""


@dataclass(frozen=True, slots=True)
class PriceTier:
    conditions: tuple[str, ...]
    cost_rub: Decimal


@dataclass(frozen=True, slots=True)
class Pricing:
    """Prices in RUB; None when Polza did not give (a valid) one."""

    prompt_per_million: Decimal | None = None
    completion_per_million: Decimal | None = None
    per_request: Decimal | None = None
    image_output_per_million: Decimal | None = None
    stt_per_minute: Decimal | None = None
    request_per_thousand: Decimal | None = None
    web_search_per_thousand: Decimal | None = None
    # `tiers`: a price per request when every condition ("image_resolution=4K") holds.
    tiers: tuple[PriceTier, ...] = ()
    video_per_second: Decimal | None = None
    tts_per_million_characters: Decimal | None = None


@dataclass(frozen=True, slots=True)
class ModelInfo:
    id: str
    name: str
    kind: ModelKind
    provider: str
    short_description: str
    created: int | None
    input_modalities: tuple[str, ...]
    output_modalities: tuple[str, ...]
    context_length: int | None
    max_completion_tokens: int | None
    pricing: Pricing
    supports_reasoning: bool
    aspect_ratios: tuple[str, ...]
    image_resolutions: tuple[str, ...]
    prompt_limit: int | None
    key: str
    # Image models: how many reference pictures `input.images` takes (0: none), how many
    # pictures one request may ask for (`max_images`), and whether `seed` is accepted.
    max_references: int = 0
    max_images: int = 1
    accepts_seed: bool = False
    # Video models: the clip lengths (seconds) `parameters.duration` allows, and its default.
    video_durations: tuple[int, ...] = ()
    default_duration: int | None = None
    # The reasoning efforts the catalogue's `parameters` list for the model (empty: not listed).
    reasoning_efforts: tuple[str, ...] = ()

    @property
    def vision(self) -> bool:
        return "image" in self.input_modalities

    @property
    def reads_files(self) -> bool:
        """Takes `file` content parts (PDFs) itself."""
        return "file" in self.input_modalities


# --- reading raw JSON ------------------------------------------------------------------------


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _text(value: object) -> str | None:
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def _strings(value: object, *, lower: bool = False) -> tuple[str, ...]:
    if not isinstance(value, list | tuple):
        return ()
    items = (item.strip() for item in value if isinstance(item, str) and item.strip())
    return tuple(dict.fromkeys(item.lower() if lower else item for item in items))


def _positive_int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    return value if isinstance(value, int) and value > 0 else None


def _first(*values: object) -> object:
    return next((value for value in values if value is not None), None)


# --- parsing ---------------------------------------------------------------------------------

_KINDS = {
    "chat": ModelKind.CHAT,
    "image": ModelKind.IMAGE,
    "stt": ModelKind.STT,
    "video": ModelKind.VIDEO,
}
# A duration range wider than this is not a list of choices but a broken entry.
MAX_DURATION_CHOICES = 120


def model_key(model_id: str) -> str:
    """A short id for Telegram callback data, the same in every process and release."""
    digest = hashlib.sha1(model_id.encode("utf-8"), usedforsecurity=False).digest()
    return base64.b32encode(digest).decode("ascii")[:KEY_LENGTH].lower()


def provider_of(model_id: str) -> str:
    prefix, slash, _ = model_id.partition("/")
    return prefix.strip() if slash and prefix.strip() else model_id.lower()


def parse_pricing(raw: object) -> Pricing:
    pricing = _mapping(raw)

    def per_million(key: str, legacy_per_token: str) -> Decimal | None:
        price = polza_decimal(pricing.get(key))
        if price is None:
            per_token = polza_decimal(pricing.get(legacy_per_token))
            price = per_token * MILLION if per_token is not None else None
        return price

    return Pricing(
        prompt_per_million=per_million("prompt_per_million", "prompt"),
        completion_per_million=per_million("completion_per_million", "completion"),
        per_request=polza_decimal(pricing.get("per_request")),
        image_output_per_million=polza_decimal(pricing.get("image_output_per_million")),
        stt_per_minute=polza_decimal(pricing.get("stt_per_minute")),
        request_per_thousand=polza_decimal(pricing.get("request_per_thousand")),
        web_search_per_thousand=polza_decimal(pricing.get("web_search_per_thousand")),
        tiers=_tiers(pricing.get("tiers")),
        video_per_second=polza_decimal(pricing.get("video_per_second")),
        tts_per_million_characters=polza_decimal(pricing.get("tts_per_million_characters")),
    )


def _tiers(raw: object) -> tuple[PriceTier, ...]:
    if not isinstance(raw, list):
        return ()
    tiers: list[PriceTier] = []
    for item in raw:
        tier = _mapping(item)
        price = polza_decimal(tier.get("cost_rub"))
        conditions = _strings(tier.get("conditions"))
        if price is not None and conditions:
            tiers.append(PriceTier(conditions, price))
    return tuple(tiers)


def _kind(type_value: object, inputs: tuple[str, ...], outputs: tuple[str, ...]) -> ModelKind:
    declared = _text(type_value)
    if declared is not None:
        return _KINDS.get(declared.lower(), ModelKind.OTHER)
    if "image" in outputs:
        return ModelKind.IMAGE
    if "text" in outputs:
        speech_only = "audio" in inputs and "text" not in inputs
        return ModelKind.STT if speech_only else ModelKind.CHAT
    return ModelKind.OTHER


def _choices(parameters: Mapping[str, Any], name: str) -> tuple[str, ...]:
    spec = parameters.get(name)
    if isinstance(spec, Mapping):
        spec = _first(spec.get("values"), spec.get("enum"))
    return _strings(spec)


# Polza lists `images` without a `max` for some models; its documented limit is 10.
DEFAULT_MAX_REFERENCES = 10


def _max_references(parameters: Mapping[str, Any]) -> int:
    spec = parameters.get("images")
    if spec is None or spec is False:
        return 0
    limit = _positive_int(_first(*_limits(spec)))
    return limit or DEFAULT_MAX_REFERENCES


def _max_images(parameters: Mapping[str, Any]) -> int:
    spec = parameters.get("max_images")
    if not isinstance(spec, Mapping):
        return 1
    values = _first(spec.get("values"), spec.get("enum"))
    if isinstance(values, list):
        counts = [count for count in map(_positive_int, values) if count is not None]
        if counts:
            return max(counts)
    return _positive_int(_first(*_limits(spec))) or 1


def _limits(spec: object) -> tuple[object, ...]:
    """The upper bounds a parameter's spec may name, in order of preference."""
    if not isinstance(spec, Mapping):
        return ()
    return (spec.get("max"), spec.get("maximum"), spec.get("max_items"), spec.get("maxItems"))


def _durations(parameters: Mapping[str, Any]) -> tuple[tuple[int, ...], int | None]:
    """`parameters.duration` as the allowed whole seconds (an enum or a min–max range)."""
    spec = parameters.get("duration")
    if not isinstance(spec, Mapping):
        return (), None
    values = _first(spec.get("values"), spec.get("enum"))
    if isinstance(values, list | tuple):
        found = (_positive_int(value) for value in values)
        allowed = tuple(sorted({value for value in found if value is not None}))
    else:
        low, high = _positive_int(spec.get("min")), _positive_int(spec.get("max"))
        allowed = ()
        if low is not None and high is not None and 0 <= high - low < MAX_DURATION_CHOICES:
            allowed = tuple(range(low, high + 1))
    default = _positive_int(spec.get("default"))
    if default not in allowed:
        default = None
    return allowed, default


def _efforts(parameters: Mapping[str, Any]) -> tuple[str, ...]:
    """Allowed reasoning efforts, under `reasoning_effort` or `reasoning.effort`."""
    spec = parameters.get("reasoning_effort")
    if spec is None:
        reasoning = _mapping(parameters.get("reasoning"))
        spec = reasoning.get("effort", reasoning or None)
    if isinstance(spec, Mapping):
        spec = _first(spec.get("values"), spec.get("enum"))
    return _strings(spec, lower=True)


def parse_model(raw: object) -> ModelInfo | None:
    """One catalogue entry, or None when it has no usable id."""
    if not isinstance(raw, Mapping):
        return None
    model_id = _text(raw.get("id"))
    if model_id is None:
        return None
    architecture = _mapping(raw.get("architecture"))
    top = _mapping(raw.get("top_provider"))
    inputs = _strings(
        _first(architecture.get("input_modalities"), raw.get("input_modalities")), lower=True
    )
    outputs = _strings(
        _first(architecture.get("output_modalities"), raw.get("output_modalities")), lower=True
    )
    kind = _kind(raw.get("type"), inputs, outputs)
    supported = _strings(_first(top.get("supported_parameters"), raw.get("supported_parameters")))
    parameters = _mapping(raw.get("parameters"))
    prompt_spec = _mapping(parameters.get("prompt"))
    is_image = kind is ModelKind.IMAGE
    is_media = is_image or kind is ModelKind.VIDEO
    durations, default_duration = _durations(parameters) if kind is ModelKind.VIDEO else ((), None)
    return ModelInfo(
        id=model_id,
        name=_text(raw.get("name")) or model_id,
        kind=kind,
        provider=provider_of(model_id),
        short_description=_text(raw.get("short_description")) or "",
        created=_positive_int(raw.get("created")),
        input_modalities=inputs,
        output_modalities=outputs,
        context_length=_positive_int(_first(top.get("context_length"), raw.get("context_length"))),
        max_completion_tokens=_positive_int(
            _first(top.get("max_completion_tokens"), raw.get("max_completion_tokens"))
        ),
        pricing=parse_pricing(_first(top.get("pricing"), raw.get("pricing"))),
        supports_reasoning="reasoning" in supported,
        aspect_ratios=_choices(parameters, "aspect_ratio") if is_media else (),
        image_resolutions=_choices(parameters, "image_resolution") if is_image else (),
        prompt_limit=_positive_int(
            _first(prompt_spec.get("max_length"), prompt_spec.get("maxLength"))
        ),
        key=model_key(model_id),
        max_references=_max_references(parameters) if is_image else 0,
        max_images=_max_images(parameters) if is_image else 1,
        accepts_seed=is_image and "seed" in parameters,
        video_durations=durations,
        default_duration=default_duration,
        reasoning_efforts=_efforts(parameters) if not is_image else (),
    )


def parse_models(entries: Iterable[object]) -> list[ModelInfo]:
    models: list[ModelInfo] = []
    for raw in entries:
        model = parse_model(raw)
        if model is None:
            logger.debug("Skipping a malformed catalogue entry: %.200r", raw)
        else:
            models.append(model)
    return models


# --- the snapshot ----------------------------------------------------------------------------


def _display_order(model: ModelInfo) -> tuple[str, str, str]:
    return model.provider.casefold(), model.name.casefold(), model.id


def _after(text: str, separator: str) -> str:
    _, found, tail = text.partition(separator)
    return tail.strip() if found else text


def _rank(query: str, model: ModelInfo) -> int:
    model_id = model.id.casefold()
    name = model.name.casefold()
    # "gpt-4o" should rank "openai/gpt-4o" and "OpenAI: GPT-4o" as exact/prefix matches too.
    short_id = _after(model_id, "/")
    short_name = _after(name, ":")
    if query in (model_id, short_id):
        return 0
    if model_id.startswith(query) or short_id.startswith(query):
        return 1
    if name.startswith(query) or short_name.startswith(query):
        return 2
    return 3


class Catalogue:
    """An immutable snapshot of the catalogue; lists it returns are fresh copies."""

    __slots__ = ("_by_id", "_by_key", "_by_kind", "_fetched_at")

    def __init__(self, models: Iterable[ModelInfo], *, fetched_at: float) -> None:
        by_id: dict[str, ModelInfo] = {}
        for model in models:
            if model.id in by_id:
                logger.debug("Duplicate model id in the catalogue: %s", model.id)
            else:
                by_id[model.id] = model
        ordered = sorted(by_id.values(), key=_display_order)
        by_key: dict[str, ModelInfo] = {}
        for model in ordered:
            by_key.setdefault(model.key, model)
        self._by_id = by_id
        self._by_key = by_key
        self._by_kind = {kind: tuple(m for m in ordered if m.kind is kind) for kind in ModelKind}
        self._fetched_at = fetched_at

    @property
    def fetched_at(self) -> float:
        """The `ModelCatalogue` clock's reading when this snapshot was fetched."""
        return self._fetched_at

    def __len__(self) -> int:
        return len(self._by_id)

    def models(self, kind: ModelKind) -> list[ModelInfo]:
        """Models of one kind, by provider then name."""
        return list(self._by_kind[kind])

    def providers(self, kind: ModelKind) -> list[tuple[str, int]]:
        counts = Counter(model.provider for model in self._by_kind[kind])
        return sorted(counts.items(), key=lambda item: (item[0].casefold(), item[0]))

    def by_provider(self, kind: ModelKind, provider: str) -> list[ModelInfo]:
        return [model for model in self._by_kind[kind] if model.provider == provider]

    def search(self, kind: ModelKind, text: str, limit: int = 24) -> list[ModelInfo]:
        """Models whose id or name contains every word of `text`, best matches first."""
        words = text.casefold().split()
        if not words or limit <= 0:
            return []
        query = " ".join(words)
        found = [
            (_rank(query, model), position, model)
            for position, model in enumerate(self._by_kind[kind])
            if all(word in model.id.casefold() or word in model.name.casefold() for word in words)
        ]
        found.sort(key=lambda item: item[:2])
        return [model for _, _, model in found[:limit]]

    def get(self, model_id: str) -> ModelInfo | None:
        return self._by_id.get(model_id)

    def by_key(self, key: str) -> ModelInfo | None:
        return self._by_key.get(key)


def estimate_cost_rub(
    model: ModelInfo, prompt_tokens: int | None, completion_tokens: int | None
) -> Decimal | None:
    """Rough cost of one request from the listed prices; None when nothing is known."""
    pricing = model.pricing
    parts: list[Decimal] = []
    for tokens, price in (
        (prompt_tokens, pricing.prompt_per_million),
        (completion_tokens, pricing.completion_per_million),
    ):
        if tokens is not None and price is not None:
            parts.append(price * max(tokens, 0) / MILLION)
    if pricing.per_request is not None:
        parts.append(pricing.per_request)
    if pricing.request_per_thousand is not None:
        parts.append(pricing.request_per_thousand / 1000)
    return sum(parts, Decimal(0)) if parts else None


def estimate_video_rub(model: ModelInfo, seconds: int) -> Decimal | None:
    """A clip's list price: `video_per_second` × its length; None when not listed."""
    price = model.pricing.video_per_second
    return price * seconds if price is not None else None


# --- the cache -------------------------------------------------------------------------------


class ModelCatalogue:
    """Fetches the catalogue once, then serves it, refreshing in the background when stale.

    Does not own `client`: closing the SDK client is its creator's job. With `shared` (Redis),
    replicas share one copy: Polza is asked only when that copy is missing or expired.
    """

    def __init__(
        self,
        client: AsyncOpenAI,
        *,
        ttl_seconds: float = 600.0,
        clock: Callable[[], float] = time.monotonic,
        shared: SharedCatalogue | None = None,
    ) -> None:
        self._client = client
        self._shared = shared
        self._ttl = ttl_seconds
        self._clock = clock
        self._snapshot: Catalogue | None = None
        self._next_refresh_at = 0.0
        self._loading: asyncio.Task[Catalogue] | None = None
        self._refresh_task: asyncio.Task[None] | None = None
        self._closed = False

    def cached(self) -> Catalogue | None:
        return self._snapshot

    async def get(self) -> Catalogue:
        """The current snapshot; raises `CatalogueUnavailable` only if there has never been one."""
        snapshot = self._snapshot
        if snapshot is None:
            return await self._load_first()
        if self._clock() >= self._next_refresh_at:
            self._start_refresh()
        return snapshot

    async def close(self) -> None:
        self._closed = True
        tasks = [task for task in (self._loading, self._refresh_task) if task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._loading = self._refresh_task = None

    async def _load_first(self) -> Catalogue:
        if self._closed:
            raise CatalogueUnavailable("the model catalogue is closed")
        if self._loading is None:
            self._loading = asyncio.create_task(self._fetch_first(), name="catalogue-load")
        # Shielded: one caller giving up must not cancel the fetch the others are waiting for.
        return await asyncio.shield(self._loading)

    async def _fetch_first(self) -> Catalogue:
        try:
            return self._store(*await self._fetch())
        except CatalogueUnavailable as error:
            logger.warning("Model catalogue unavailable: %s", error)
            raise
        finally:
            self._loading = None

    def _start_refresh(self) -> None:
        if self._closed or (self._refresh_task is not None and not self._refresh_task.done()):
            return
        self._refresh_task = asyncio.create_task(self._refresh(), name="catalogue-refresh")

    async def _refresh(self) -> None:
        try:
            self._store(*await self._fetch())
        except Exception as error:
            self._next_refresh_at = self._clock() + min(self._ttl, REFRESH_RETRY_SECONDS)
            if isinstance(error, CatalogueUnavailable):
                logger.warning("Model catalogue refresh failed, keeping the old one: %s", error)
            else:
                logger.exception("Model catalogue refresh crashed, keeping the old one")

    def _store(self, catalogue: Catalogue, fresh_for: float) -> Catalogue:
        self._snapshot = catalogue
        self._next_refresh_at = catalogue.fetched_at + fresh_for
        logger.info("Model catalogue loaded: %d models", len(catalogue))
        return catalogue

    async def _fetch(self) -> tuple[Catalogue, float]:
        """A snapshot, and the seconds it stays fresh (fewer when a shared copy is older)."""
        if self._shared is None:
            entries, fresh_for = await self._fetch_entries(), self._ttl
        else:
            entries, fresh_for = await self._shared.entries(self._fetch_entries)
        models = parse_models(entries)
        if not models:
            raise CatalogueUnavailable("GET /models returned no usable models")
        return Catalogue(models, fetched_at=self._clock()), fresh_for

    async def _fetch_entries(self) -> list[Any]:
        try:
            # A raw GET keeps every Polza field; `models.list()` would hide them in model_extra.
            payload = await self._client.get("/models", cast_to=object)
        except (openai.OpenAIError, ValueError) as error:  # ValueError: a body that is not JSON
            raise CatalogueUnavailable(f"GET /models failed: {translate(error)}") from error
        entries = payload.get("data") if isinstance(payload, Mapping) else None
        if not isinstance(entries, list):
            raise CatalogueUnavailable(f"GET /models: unexpected body {payload!r:.200}")
        # Checked before it is shared: a broken answer must not reach the other replicas.
        if not any(parse_model(entry) is not None for entry in entries):
            raise CatalogueUnavailable("GET /models returned no usable models")
        return entries
