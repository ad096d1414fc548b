"""Model catalogue served by the fake Polza server (``GET /api/v1/models``).

Shapes follow Polza's ``PublicModelPresenter`` (see ``/work/shared/docs/polza-api.md`` §2):
prices are strings in RUB per million tokens, ``top_provider`` carries context, pricing and
``supported_parameters``; image models carry ``parameters``. Ids and prices are a plausible
2026 snapshot, not the truth: the bot must read them at run time.

Deliberate oddities, each useful to some test:

* ``openai/gpt-4o-mini`` and ``openai/gpt-4o``: vision chat models (text + image input).
* ``openai/gpt-3.5-turbo``, ``deepseek/deepseek-chat-v3.1``: text-only chat models.
* several reasoning-capable models (``"reasoning"`` in ``supported_parameters``); three list
  their allowed efforts in ``parameters.reasoning_effort`` (the shape of the image models'
  enums): ``google/gemini-2.5-flash`` can switch reasoning off (``none``),
  ``openai/gpt-5-nano`` (``minimal`` and up) and ``deepseek/deepseek-r1-0528`` cannot.
* two ids longer than 64 bytes (Telegram ``callback_data`` limit).
* some models with missing price keys (or an empty ``pricing``).
* ``aiesa/aiesa-mini``: no ``context_length`` anywhere.
* ``google/gemini-2.5-flash``, ``google/gemini-2.5-pro``, ``anthropic/claude-sonnet-4.5``:
  ``file`` among their input modalities (they read PDFs themselves).
* ``mistralai/mistral-7b-instruct-v0.1``: ``context_length`` 4096 (history trimming tests).
* image models ``bytedance/seedream-4`` (references, ``image_resolution``, ``max_images``),
  ``openai/gpt-image-1``, ``google/gemini-2.5-flash-image`` (references), and
  ``black-forest-labs/flux-schnell`` (text only: no ``images`` parameter); stt models
  ``openai/whisper-1``, ``openai/gpt-4o-mini-transcribe``, ``openai/gpt-4o-transcribe``; plus
  one embedding and one tts model, so a picker that forgets to filter by ``type`` shows them.
* video models ``kling/v3`` (3–15 s as a range, RUB per second) and ``kling/v2.5-turbo``
  (5 or 10 s as an enum), both taking up to two frames in ``images``.
"""

from __future__ import annotations

from typing import Any

CHAT_ENDPOINTS = ["/api/v1/chat/completions", "/api/v1/responses"]
IMAGE_ENDPOINTS = ["/api/v1/media", "/api/v1/images/generations"]
STT_ENDPOINTS = ["/api/v1/audio/transcriptions"]
VIDEO_ENDPOINTS = ["/api/v1/media"]

LONG_ID_1 = (
    "some-provider/an-extremely-long-model-identifier-that-overflows-telegram-callback-data-v2"
)
LONG_ID_2 = "nousresearch/hermes-4-llama-3.1-405b-instruct-extended-context-preview-2026-09-30"

SEEDREAM_ASPECT_RATIOS = ["1:1", "4:3", "3:4", "3:2", "2:3", "16:9", "9:16", "21:9"]

_BASIC = ["max_tokens", "temperature", "top_p", "stop", "seed"]
_TOOLS = ["tools", "tool_choice", "response_format", "structured_outputs"]
_REASONING = ["reasoning", "include_reasoning"]


def _pricing(
    prompt: str | None,
    completion: str | None,
    **extra: str,
) -> dict[str, Any]:
    pricing: dict[str, Any] = {}
    if prompt is not None:
        pricing["prompt_per_million"] = prompt
    if completion is not None:
        pricing["completion_per_million"] = completion
    pricing.update(extra)
    pricing["currency"] = "RUB"
    return pricing


def _chat(
    model_id: str,
    name: str,
    description: str,
    created: int,
    *,
    vision: bool = False,
    audio: bool = False,
    file: bool = False,
    context: int | None = 128000,
    max_out: int | None = 16384,
    pricing: dict[str, Any] | None = None,
    tools: bool = True,
    reasoning: bool = False,
    efforts: list[str] | None = None,
    tokenizer: str = "Other",
    moderated: bool = False,
    russia: bool = False,
) -> dict[str, Any]:
    inputs = ["text"] + (["image"] if vision else []) + (["audio"] if audio else [])
    inputs += ["file"] if file else []
    params = (
        list(_BASIC) + (list(_TOOLS) if tools else []) + (list(_REASONING) if reasoning else [])
    )
    top: dict[str, Any] = {}
    if context is not None:
        top["context_length"] = context
    top["max_completion_tokens"] = max_out
    top["pricing"] = pricing if pricing is not None else _pricing(None, None)
    top["supported_parameters"] = params
    top["is_moderated"] = moderated
    model: dict[str, Any] = {
        "id": model_id,
        "name": name,
        "short_description": description,
        "type": "chat",
        "created": created,
        "architecture": {
            "input_modalities": inputs,
            "output_modalities": ["text"],
            "modality": "+".join(inputs) + "->text",
            "tokenizer": tokenizer,
            "instruct_type": None,
        },
        "top_provider": top,
        "endpoints": list(CHAT_ENDPOINTS),
        "stores_data_in_russia": russia,
        "is_fz152_compliant": russia,
    }
    if context is not None:
        model["context_length"] = context
        model["max_completion_tokens"] = max_out
    if efforts:
        model["parameters"] = {"reasoning_effort": _enum(efforts, efforts[-1])}
    return model


def _image(
    model_id: str,
    name: str,
    description: str,
    created: int,
    *,
    parameters: dict[str, Any],
    pricing: dict[str, Any],
    edit: bool = True,
) -> dict[str, Any]:
    inputs = ["text", "image"] if edit else ["text"]
    return {
        "id": model_id,
        "name": name,
        "short_description": description,
        "type": "image",
        "created": created,
        "architecture": {
            "input_modalities": inputs,
            "output_modalities": ["image"],
            "modality": "+".join(inputs) + "->image",
            "tokenizer": "Other",
            "instruct_type": None,
        },
        "top_provider": {
            "context_length": None,
            "max_completion_tokens": None,
            "pricing": pricing,
            "supported_parameters": sorted(parameters),
            "is_moderated": True,
        },
        "endpoints": list(IMAGE_ENDPOINTS),
        "parameters": parameters,
        "stores_data_in_russia": False,
        "is_fz152_compliant": False,
    }


def _stt(
    model_id: str, name: str, description: str, created: int, per_minute: str
) -> dict[str, Any]:
    return {
        "id": model_id,
        "name": name,
        "short_description": description,
        "type": "stt",
        "created": created,
        "architecture": {
            "input_modalities": ["audio"],
            "output_modalities": ["text"],
            "modality": "audio->text",
            "tokenizer": "Other",
            "instruct_type": None,
        },
        "top_provider": {
            "context_length": None,
            "max_completion_tokens": None,
            "pricing": {"stt_per_minute": per_minute, "currency": "RUB"},
            "supported_parameters": ["language", "prompt", "response_format", "temperature"],
            "is_moderated": False,
        },
        "endpoints": list(STT_ENDPOINTS),
        "stores_data_in_russia": False,
        "is_fz152_compliant": False,
    }


def _video(
    model_id: str,
    name: str,
    description: str,
    created: int,
    *,
    duration: dict[str, Any],
    per_second: str,
) -> dict[str, Any]:
    parameters = {
        "prompt": {"type": "string", "required": True, "max_length": 2500},
        "duration": duration,
        "aspect_ratio": _enum(["16:9", "9:16", "1:1"], "16:9"),
        "images": {"type": "array", "max": 2, "formats": ["url", "base64"]},
        "mode": _enum(["std", "pro"], "std"),
        "sound": {"type": "boolean", "default": False},
    }
    return {
        "id": model_id,
        "name": name,
        "short_description": description,
        "type": "video",
        "created": created,
        "architecture": {
            "input_modalities": ["text", "image"],
            "output_modalities": ["video"],
            "modality": "text+image->video",
            "tokenizer": "Other",
            "instruct_type": None,
        },
        "top_provider": {
            "context_length": None,
            "max_completion_tokens": None,
            "pricing": {"video_per_second": per_second, "unitParam": "second", "currency": "RUB"},
            "supported_parameters": sorted(parameters),
            "is_moderated": True,
        },
        "endpoints": list(VIDEO_ENDPOINTS),
        "parameters": parameters,
        "stores_data_in_russia": False,
        "is_fz152_compliant": False,
    }


def _enum(values: list[str], default: str) -> dict[str, Any]:
    return {"type": "enum", "values": list(values), "default": default}


def default_catalogue() -> list[dict[str, Any]]:
    """Return a fresh copy of the default catalogue (safe to mutate)."""
    p = _pricing
    models: list[dict[str, Any]] = [
        # --- openai -------------------------------------------------------------------------
        _chat(
            "openai/gpt-4o-mini",
            "OpenAI: GPT-4o-mini",
            "Быстрая и дешёвая мультимодальная модель",
            1721260800,
            vision=True,
            tokenizer="GPT",
            pricing=p(
                "14.63",
                "58.53",
                input_cache_read_per_million="7.32",
                image_input_per_million="14.63",
            ),
        ),
        _chat(
            "openai/gpt-4o",
            "OpenAI: GPT-4o",
            "Флагманская мультимодальная модель OpenAI",
            1715558400,
            vision=True,
            tokenizer="GPT",
            pricing=p("243.88", "975.50", input_cache_read_per_million="121.94"),
        ),
        _chat(
            "openai/gpt-3.5-turbo",
            "OpenAI: GPT-3.5 Turbo",
            "Классическая текстовая модель",
            1685232000,
            context=16385,
            max_out=4096,
            tokenizer="GPT",
            pricing=p("48.78", "146.33"),
        ),
        _chat(
            "openai/gpt-4.1-nano",
            "OpenAI: GPT-4.1 Nano",
            "Самая дешёвая модель серии 4.1",
            1744675200,
            vision=True,
            context=1047576,
            max_out=32768,
            tokenizer="GPT",
            pricing=p("9.76", "39.02"),
        ),
        _chat(
            "openai/gpt-5-nano",
            "OpenAI: GPT-5 Nano",
            "Компактная рассуждающая модель",
            1754611200,
            vision=True,
            context=400000,
            max_out=128000,
            reasoning=True,
            efforts=["minimal", "low", "medium", "high"],
            tokenizer="GPT",
            pricing=p("2.93", "23.41", input_cache_read_per_million="0.29"),
        ),
        _chat(
            "openai/gpt-5-mini",
            "OpenAI: GPT-5 Mini",
            "Рассуждающая модель среднего класса",
            1754611200,
            vision=True,
            context=400000,
            max_out=128000,
            reasoning=True,
            tokenizer="GPT",
            pricing=p("14.63", "117.06", input_cache_read_per_million="1.46"),
        ),
        _chat(
            "openai/o4-mini",
            "OpenAI: o4 Mini",
            "Рассуждающая модель o-серии",
            1744761600,
            vision=True,
            context=200000,
            max_out=100000,
            reasoning=True,
            tokenizer="GPT",
            pricing=p("107.30", "429.22"),
        ),
        # --- anthropic ----------------------------------------------------------------------
        _chat(
            "anthropic/claude-sonnet-4.5",
            "Anthropic: Claude Sonnet 4.5",
            "Сбалансированная модель Claude",
            1759104000,
            vision=True,
            file=True,
            context=1000000,
            max_out=64000,
            reasoning=True,
            tokenizer="Claude",
            pricing=p(
                "351.18",
                "1755.90",
                input_cache_read_per_million="35.12",
                input_cache_write_per_million="438.98",
            ),
        ),
        _chat(
            "anthropic/claude-haiku-4.5",
            "Anthropic: Claude Haiku 4.5",
            "Быстрая модель Claude",
            1760486400,
            vision=True,
            context=200000,
            max_out=64000,
            reasoning=True,
            tokenizer="Claude",
            pricing=p("117.06", "585.30"),
        ),
        _chat(
            "anthropic/claude-opus-4.1",
            "Anthropic: Claude Opus 4.1",
            "Самая мощная модель Claude",
            1754352000,
            vision=True,
            context=200000,
            max_out=32000,
            reasoning=True,
            tokenizer="Claude",
            pricing=p("1755.90", "8779.50"),
        ),
        # --- google -------------------------------------------------------------------------
        _chat(
            "google/gemini-2.5-flash",
            "Google: Gemini 2.5 Flash",
            "Быстрая модель Gemini",
            1750118400,
            vision=True,
            audio=True,
            file=True,
            context=1048576,
            max_out=65535,
            reasoning=True,
            efforts=["none", "low", "medium", "high"],
            tokenizer="Gemini",
            pricing=p(
                "29.27", "243.88", input_cache_read_per_million="2.93", audio_per_million="97.55"
            ),
        ),
        _chat(
            "google/gemini-2.5-pro",
            "Google: Gemini 2.5 Pro",
            "Флагман Gemini",
            1750118400,
            vision=True,
            audio=True,
            file=True,
            context=1048576,
            max_out=65536,
            reasoning=True,
            tokenizer="Gemini",
            pricing=p("121.94", "975.50"),
        ),
        _chat(
            "google/gemini-2.5-flash-lite",
            "Google: Gemini 2.5 Flash Lite",
            "Самая дешёвая модель Gemini",
            1753142400,
            vision=True,
            context=1048576,
            max_out=65535,
            reasoning=True,
            tokenizer="Gemini",
            pricing=p("5.85", "23.41"),
        ),
        _chat(
            "google/gemma-3-27b-it",
            "Google: Gemma 3 27B",
            "Открытая модель Google",
            1741737600,
            vision=True,
            context=131072,
            max_out=None,
            tools=False,
            tokenizer="Gemini",
            pricing=p("6.34", None),
        ),
        # --- deepseek -----------------------------------------------------------------------
        _chat(
            "deepseek/deepseek-chat-v3.1",
            "DeepSeek: DeepSeek V3.1",
            "Текстовая модель DeepSeek",
            1755734400,
            context=163840,
            max_out=163840,
            tokenizer="DeepSeek",
            pricing=p("19.51", "78.04", input_cache_read_per_million="1.95"),
        ),
        _chat(
            "deepseek/deepseek-r1-0528",
            "DeepSeek: R1 0528",
            "Рассуждающая модель DeepSeek",
            1748390400,
            context=163840,
            max_out=None,
            reasoning=True,
            efforts=["low", "medium", "high"],
            tools=False,
            tokenizer="DeepSeek",
            pricing=p("48.78", None),
        ),
        _chat(
            "deepseek/deepseek-v3.2-exp",
            "DeepSeek: V3.2 Exp",
            "Экспериментальная версия V3.2",
            1759190400,
            context=163840,
            max_out=65536,
            reasoning=True,
            tokenizer="DeepSeek",
            pricing=p("26.34", "39.51"),
        ),
        # --- meta-llama ---------------------------------------------------------------------
        _chat(
            "meta-llama/llama-3.3-70b-instruct",
            "Meta: Llama 3.3 70B Instruct",
            "Открытая модель Meta",
            1733443200,
            context=131072,
            max_out=16384,
            tokenizer="Llama3",
            pricing=p("12.68", "37.07"),
        ),
        _chat(
            "meta-llama/llama-4-maverick",
            "Meta: Llama 4 Maverick",
            "Мультимодальная MoE-модель",
            1743897600,
            vision=True,
            context=1048576,
            max_out=16384,
            tokenizer="Llama4",
            pricing=p("14.63", "58.53"),
        ),
        _chat(
            "meta-llama/llama-3.1-8b-instruct",
            "Meta: Llama 3.1 8B Instruct",
            "Маленькая открытая модель",
            1721692800,
            context=131072,
            max_out=None,
            tools=False,
            tokenizer="Llama3",
            pricing={"currency": "RUB"},
        ),
        # --- mistralai ----------------------------------------------------------------------
        _chat(
            "mistralai/mistral-large-2411",
            "Mistral: Mistral Large 2411",
            "Флагман Mistral",
            1731974400,
            context=131072,
            max_out=None,
            tokenizer="Mistral",
            pricing=p("195.10", "585.30"),
        ),
        _chat(
            "mistralai/mistral-small-3.2-24b-instruct",
            "Mistral: Mistral Small 3.2 24B",
            "Компактная мультимодальная модель",
            1750377600,
            vision=True,
            context=131072,
            max_out=131072,
            tokenizer="Mistral",
            pricing=p("4.88", "19.51"),
        ),
        _chat(
            "mistralai/mistral-7b-instruct-v0.1",
            "Mistral: Mistral 7B Instruct v0.1",
            "Старая маленькая модель с коротким контекстом",
            1695859200,
            context=4096,
            max_out=1024,
            tools=False,
            tokenizer="Mistral",
            pricing=p("10.73", "18.53"),
        ),
        # --- x-ai ---------------------------------------------------------------------------
        _chat(
            "x-ai/grok-4",
            "xAI: Grok 4",
            "Рассуждающая модель xAI",
            1752019200,
            vision=True,
            context=256000,
            max_out=None,
            reasoning=True,
            tokenizer="Grok",
            pricing=p("292.65", "1463.25", web_search_per_thousand="1170.60"),
        ),
        _chat(
            "x-ai/grok-3-mini",
            "xAI: Grok 3 Mini",
            "Лёгкая рассуждающая модель",
            1744156800,
            context=131072,
            max_out=None,
            reasoning=True,
            tokenizer="Grok",
            pricing=p("29.27", "48.78"),
        ),
        # --- qwen ---------------------------------------------------------------------------
        _chat(
            "qwen/qwen3-235b-a22b-2507",
            "Qwen: Qwen3 235B A22B Instruct 2507",
            "Большая MoE-модель Qwen",
            1753142400,
            context=262144,
            max_out=262144,
            tokenizer="Qwen3",
            pricing=p("7.61", "30.44"),
        ),
        _chat(
            "qwen/qwen3-30b-a3b-thinking-2507",
            "Qwen: Qwen3 30B A3B Thinking 2507",
            "Рассуждающая модель Qwen",
            1753747200,
            context=262144,
            max_out=262144,
            reasoning=True,
            tokenizer="Qwen3",
            pricing=p("7.80", None),
        ),
        _chat(
            "qwen/qwen2.5-vl-72b-instruct",
            "Qwen: Qwen2.5 VL 72B Instruct",
            "Мультимодальная модель Qwen",
            1738368000,
            vision=True,
            context=32768,
            max_out=32768,
            tools=False,
            tokenizer="Qwen",
            pricing=p("24.39", "24.39"),
        ),
        # --- GigaChat / yandex / aiesa (Russian providers) ----------------------------------
        _chat(
            "GigaChat/GigaChat-3-Pro",
            "GigaChat 3 Pro",
            "Модель Сбера",
            1758758400,
            context=262144,
            max_out=None,
            tokenizer="GigaChat",
            pricing=p("102.00", "247.00"),
            russia=True,
        ),
        _chat(
            "GigaChat/GigaChat-2-Max",
            "GigaChat 2 Max",
            "Старшая модель GigaChat 2",
            1742428800,
            vision=True,
            context=131072,
            max_out=None,
            tools=False,
            tokenizer="GigaChat",
            pricing=p("1950.00", "1950.00"),
            russia=True,
        ),
        _chat(
            "yandex/yandexgpt-5-lite",
            "YandexGPT 5 Lite",
            "Лёгкая модель Яндекса",
            1740700800,
            context=32768,
            max_out=None,
            tools=False,
            tokenizer="YandexGPT",
            pricing=p("280.00", "280.00"),
            russia=True,
        ),
        _chat(
            "aiesa/aiesa-mini",
            "Aiesa Mini",
            "Модель без указанного контекста",
            1756684800,
            context=None,
            max_out=None,
            tools=False,
            pricing=p("120.00", "170.00"),
            russia=True,
        ),
        # --- very long ids (callback_data overflow) -----------------------------------------
        _chat(
            LONG_ID_1,
            "Some Provider: Extremely Long Identifier v2",
            "Модель с очень длинным идентификатором",
            1759449600,
            context=65536,
            max_out=8192,
            pricing=p("1.00", "2.00"),
        ),
        _chat(
            LONG_ID_2,
            "Nous: Hermes 4 405B (extended context preview)",
            "Ещё один длинный идентификатор",
            1759190400,
            context=131072,
            max_out=None,
            reasoning=True,
            tokenizer="Llama3",
            pricing=p("97.55", "292.65"),
        ),
        # --- image models -------------------------------------------------------------------
        _image(
            "bytedance/seedream-4",
            "ByteDance: Seedream 4.0",
            "Генерация и редактирование изображений до 4K",
            1757203200,
            parameters={
                "prompt": {"type": "string", "required": True, "max_length": 5000},
                "aspect_ratio": _enum(SEEDREAM_ASPECT_RATIOS, "1:1"),
                "image_resolution": _enum(["1K", "2K", "4K"], "2K"),
                "seed": {"type": "integer", "min": 0, "max": 2147483647},
                "images": {"type": "array", "max": 10, "formats": ["url", "base64"]},
                "max_images": {"type": "integer", "min": 1, "max": 6, "default": 1},
            },
            pricing={
                "per_request": "3.00",
                "tiers": [{"conditions": ["image_resolution=4K"], "cost_rub": "8.25"}],
                "unitParam": "image",
                "currency": "RUB",
            },
        ),
        _image(
            "openai/gpt-image-1",
            "OpenAI: GPT Image 1",
            "Генерация изображений OpenAI",
            1745366400,
            parameters={
                "prompt": {"type": "string", "required": True, "max_length": 32000},
                "aspect_ratio": _enum(["1:1", "3:2", "2:3"], "1:1"),
                "quality": _enum(["low", "medium", "high"], "medium"),
                "output_format": _enum(["png", "jpeg", "webp"], "png"),
                "images": {"type": "array", "max": 16, "formats": ["url", "base64"]},
            },
            pricing={
                "per_request": "4.10",
                "tiers": [
                    {"conditions": ["quality=high"], "cost_rub": "16.50"},
                    {"conditions": ["quality=low"], "cost_rub": "1.10"},
                ],
                "image_input_per_million": "975.50",
                "currency": "RUB",
            },
        ),
        _image(
            "google/gemini-2.5-flash-image",
            "Google: Nano Banana (Gemini 2.5 Flash Image)",
            "Генерация изображений Gemini",
            1756166400,
            parameters={
                "prompt": {"type": "string", "required": True, "max_length": 5000},
                "aspect_ratio": _enum(
                    ["1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9"],
                    "1:1",
                ),
                "images": {"type": "array", "max": 3, "formats": ["url", "base64"]},
            },
            pricing={"per_request": "2.90", "currency": "RUB"},
        ),
        _image(
            "black-forest-labs/flux-schnell",
            "Black Forest Labs: FLUX.1 [schnell]",
            "Быстрая генерация изображений по описанию",
            1722470400,
            parameters={
                "prompt": {"type": "string", "required": True, "max_length": 2000},
                "aspect_ratio": _enum(["1:1", "16:9", "9:16", "4:3", "3:4"], "1:1"),
                "seed": {"type": "integer", "min": 0, "max": 2147483647},
            },
            pricing={"per_request": "0.45", "currency": "RUB"},
            edit=False,
        ),
        # --- video --------------------------------------------------------------------------
        _video(
            "kling/v3",
            "Kling: Kling 3.0",
            "Генерация видео по тексту и по кадрам",
            1770000000,
            duration={"type": "integer", "min": 3, "max": 15, "default": 5},
            per_second="8.40",
        ),
        _video(
            "kling/v2.5-turbo",
            "Kling: Kling 2.5 Turbo",
            "Быстрая генерация видео",
            1758000000,
            duration={"type": "enum", "values": ["5", "10"], "default": "5"},
            per_second="4.20",
        ),
        # --- stt ----------------------------------------------------------------------------
        _stt(
            "openai/whisper-1", "OpenAI: Whisper", "Распознавание речи Whisper", 1677628800, "0.59"
        ),
        _stt(
            "openai/gpt-4o-mini-transcribe",
            "OpenAI: GPT-4o mini Transcribe",
            "Быстрое распознавание речи",
            1742256000,
            "0.29",
        ),
        _stt(
            "openai/gpt-4o-transcribe",
            "OpenAI: GPT-4o Transcribe",
            "Точное распознавание речи",
            1742256000,
            "0.59",
        ),
        # --- other types (must not show up in a chat picker) -------------------------------
        {
            "id": "openai/text-embedding-3-small",
            "name": "OpenAI: Text Embedding 3 Small",
            "short_description": "Эмбеддинги 1536 измерений",
            "type": "embedding",
            "created": 1706140800,
            "architecture": {
                "input_modalities": ["text"],
                "output_modalities": ["embeddings"],
                "modality": "text->embeddings",
                "tokenizer": "GPT",
                "instruct_type": None,
            },
            "top_provider": {
                "context_length": 8192,
                "max_completion_tokens": None,
                "pricing": p("2.34", None),
                "supported_parameters": ["dimensions", "encoding_format"],
                "is_moderated": False,
            },
            "endpoints": ["/api/v1/embeddings"],
        },
        {
            "id": "openai/gpt-4o-mini-tts",
            "name": "OpenAI: GPT-4o mini TTS",
            "short_description": "Синтез речи",
            "type": "tts",
            "created": 1742256000,
            "architecture": {
                "input_modalities": ["text"],
                "output_modalities": ["audio"],
                "modality": "text->audio",
                "tokenizer": "GPT",
                "instruct_type": None,
            },
            "top_provider": {
                "context_length": None,
                "max_completion_tokens": None,
                "pricing": {"tts_per_million_characters": "1170.60", "currency": "RUB"},
                "supported_parameters": ["voice", "speed", "response_format"],
                "is_moderated": False,
            },
            "endpoints": ["/api/v1/audio/speech"],
        },
    ]
    return models
