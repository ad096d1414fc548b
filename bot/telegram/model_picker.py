"""The /model picker: keyboards, texts and callback data, built from a catalogue snapshot.

Pure functions, no Telegram I/O. Callback data never carries a model id (those can be longer
than Telegram's 64 bytes): models travel as `ModelInfo.key`, providers as a hash of their name,
and every value that comes back is checked against the current catalogue by `resolve`.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram_i18n import I18nContext

from bot.i18n import tr
from bot.services.catalogue import Catalogue, ModelInfo, ModelKind, model_key
from bot.services.model_choice import effective_model

PAGE_SIZE = 8
PROVIDERS_PER_PAGE = 20
PROVIDER_COLUMNS = 2
SEARCH_LIMIT = 10
BUTTON_TEXT_LIMIT = 40
QUERY_SHOWN_LIMIT = 60
WORD_CUT_SLACK = 6
PICKER_KINDS = (ModelKind.CHAT, ModelKind.IMAGE, ModelKind.VIDEO)

CURRENT_MARK = "✅"
DEFAULT_MARK = "⭐"
VISION_MARK = "👁"
REASONING_MARK = "🧠"
IMAGE_KIND_MARK = "🎨"
KIND_MARKS = {ModelKind.IMAGE: IMAGE_KIND_MARK, ModelKind.VIDEO: "🎬"}

# The texts that differ by the kind of model, by kind (chat is the fallback).
_TAB_KEYS = {
    ModelKind.CHAT: "model-tab-chat",
    ModelKind.IMAGE: "model-tab-image",
    ModelKind.VIDEO: "model-tab-video",
}
_CURRENT_KEYS = {
    ModelKind.CHAT: "model-current-chat",
    ModelKind.IMAGE: "model-current-image",
    ModelKind.VIDEO: "model-current-video",
}
_PROVIDERS_KEYS = {
    ModelKind.CHAT: "model-providers-chat",
    ModelKind.IMAGE: "model-providers-image",
    ModelKind.VIDEO: "model-providers-video",
}
_CHOSEN_KEYS = {
    ModelKind.CHAT: "model-chosen-chat",
    ModelKind.IMAGE: "model-chosen-image",
    ModelKind.VIDEO: "model-chosen-video",
}
_HINT_KEYS = {
    ModelKind.CHAT: "model-hint-chat",
    ModelKind.IMAGE: "model-hint-image",
    ModelKind.VIDEO: "model-hint-video",
}


def _key(keys: dict[ModelKind, str], kind: ModelKind) -> str:
    return keys.get(kind, keys[ModelKind.CHAT])


class NavAction(enum.StrEnum):
    HOME = "home"  # a page of providers
    LIST = "list"  # a page of one provider's models
    PICK = "pick"  # choose a model
    NOOP = "noop"  # a label-only button (page counter, the tab already open)


class ModelNav(CallbackData, prefix="model"):
    """`model:<action>:<kind>:<ref>:<page>`; ref is a provider hash or a model key."""

    action: NavAction
    kind: ModelKind
    ref: str = ""
    page: int = 0


@dataclass(frozen=True, slots=True)
class PickerState:
    """What the user has in effect, and the admin's defaults."""

    chat: str
    image: str
    default_chat: str
    default_image: str
    gone_chat: str | None = None  # the user's choice that the catalogue no longer offers
    gone_image: str | None = None
    video: str = ""
    default_video: str = ""
    gone_video: str | None = None

    @classmethod
    def build(
        cls,
        *,
        chat_choice: str | None,
        image_choice: str | None,
        default_chat: str,
        default_image: str,
        catalogue: Catalogue,
        video_choice: str | None = None,
        default_video: str = "",
    ) -> PickerState:
        chat, gone_chat = effective_model(chat_choice, default_chat, ModelKind.CHAT, catalogue)
        image, gone_image = effective_model(
            image_choice, default_image, ModelKind.IMAGE, catalogue
        )
        video, gone_video = effective_model(
            video_choice, default_video, ModelKind.VIDEO, catalogue
        )
        return cls(
            chat,
            image,
            default_chat,
            default_image,
            gone_chat,
            gone_image,
            video,
            default_video,
            gone_video,
        )

    def current(self, kind: ModelKind) -> str:
        if kind is ModelKind.VIDEO:
            return self.video
        return self.image if kind is ModelKind.IMAGE else self.chat

    def default(self, kind: ModelKind) -> str:
        if kind is ModelKind.VIDEO:
            return self.default_video
        return self.default_image if kind is ModelKind.IMAGE else self.default_chat

    def gone(self, kind: ModelKind) -> str | None:
        if kind is ModelKind.VIDEO:
            return self.gone_video
        return self.gone_image if kind is ModelKind.IMAGE else self.gone_chat


@dataclass(frozen=True, slots=True)
class PickerView:
    text: str
    markup: InlineKeyboardMarkup


# --- what a button press asks for --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProvidersTarget:
    kind: ModelKind
    page: int


@dataclass(frozen=True, slots=True)
class ModelsTarget:
    kind: ModelKind
    provider: str
    page: int


@dataclass(frozen=True, slots=True)
class PickTarget:
    model: ModelInfo


Target = ProvidersTarget | ModelsTarget | PickTarget


def provider_ref(provider: str) -> str:
    """A short, stable stand-in for a provider name (which may be long) in callback data."""
    return model_key(provider)


def resolve(data: ModelNav, catalogue: Catalogue) -> Target | None:
    """What a pressed button asks for, or None if it is forged, stale or a label."""
    kind = data.kind
    if kind not in PICKER_KINDS:
        return None
    if data.action is NavAction.HOME:
        pages = page_count(len(catalogue.providers(kind)), PROVIDERS_PER_PAGE)
        valid = not data.ref and 0 <= data.page < pages
        return ProvidersTarget(kind, data.page) if valid else None
    if data.action is NavAction.LIST:
        provider = _provider_by_ref(catalogue, kind, data.ref)
        if provider is None:
            return None
        pages = page_count(len(catalogue.by_provider(kind, provider)), PAGE_SIZE)
        return ModelsTarget(kind, provider, data.page) if 0 <= data.page < pages else None
    if data.action is NavAction.PICK:
        model = catalogue.by_key(data.ref)
        if model is None or model.kind is not kind or data.page != 0:
            return None
        return PickTarget(model)
    return None


def page_count(items: int, page_size: int) -> int:
    return max(1, -(-items // page_size))


def _provider_by_ref(catalogue: Catalogue, kind: ModelKind, ref: str) -> str | None:
    return next((name for name, _ in catalogue.providers(kind) if provider_ref(name) == ref), None)


# --- views ---------------------------------------------------------------------------------------


def providers_view(
    i18n: I18nContext, catalogue: Catalogue, state: PickerState, kind: ModelKind, page: int = 0
) -> PickerView:
    providers = catalogue.providers(kind)
    pages = page_count(len(providers), PROVIDERS_PER_PAGE)
    page = min(max(page, 0), pages - 1)
    current = catalogue.get(state.current(kind))
    buttons = []
    for name, count in providers[page * PROVIDERS_PER_PAGE : (page + 1) * PROVIDERS_PER_PAGE]:
        mark = f" {CURRENT_MARK}" if current is not None and current.provider == name else ""
        label = _fit(name, BUTTON_TEXT_LIMIT - len(f" ({count}){mark}")) + f" ({count}){mark}"
        data = _nav(NavAction.LIST, kind, provider_ref(name))
        buttons.append(_button(label, data))
    rows = [_tabs(i18n, kind)]
    rows += [buttons[i : i + PROVIDER_COLUMNS] for i in range(0, len(buttons), PROVIDER_COLUMNS)]
    if pages > 1:
        rows.append(_pager(kind, page, pages, lambda p: _nav(NavAction.HOME, kind, page=p)))
    total = sum(count for _, count in providers)
    if total == 0:
        prompt = tr(i18n, "model-none")
    else:
        prompt = tr(i18n, _key(_PROVIDERS_KEYS, kind), count=total)
    return PickerView(f"{_header(i18n, catalogue, state)}\n\n{prompt}", _markup(rows))


def models_view(
    i18n: I18nContext,
    catalogue: Catalogue,
    state: PickerState,
    kind: ModelKind,
    provider: str,
    page: int = 0,
) -> PickerView:
    count = len(catalogue.by_provider(kind, provider))
    text = "\n".join(
        (
            _header(i18n, catalogue, state),
            "",
            tr(i18n, "model-provider-title", provider=provider, count=count),
            tr(i18n, "model-legend"),
        )
    )
    return PickerView(text, _models_keyboard(i18n, catalogue, state, kind, provider, page))


def chosen_view(
    i18n: I18nContext, catalogue: Catalogue, state: PickerState, model: ModelInfo
) -> PickerView:
    """The confirmation, over the page of the provider's models that holds the chosen one."""
    siblings = catalogue.by_provider(model.kind, model.provider)
    page = siblings.index(model) // PAGE_SIZE if model in siblings else 0
    markup = _models_keyboard(i18n, catalogue, state, model.kind, model.provider, page)
    return PickerView(chosen_text(i18n, model), markup)


def search_view(
    i18n: I18nContext, catalogue: Catalogue, state: PickerState, query: str
) -> PickerView:
    everything = len(catalogue)
    found = [model for kind in PICKER_KINDS for model in catalogue.search(kind, query, everything)]
    shown = found[:SEARCH_LIMIT]
    rows = [
        [
            _button(
                model_button_text(i18n, model, state, in_search=True),
                _nav(NavAction.PICK, model.kind, model.key),
            )
        ]
        for model in shown
    ]
    rows.append([_button(i18n.get("model-button-browse"), _nav(NavAction.HOME, ModelKind.CHAT))])
    shown_query = _fit(" ".join(query.split()), QUERY_SHOWN_LIMIT)
    if not found:
        lines = [tr(i18n, "model-search-none", query=shown_query)]
    else:
        lines = [
            tr(i18n, "model-search-found", query=shown_query, count=len(found)),
            tr(i18n, "model-legend"),
        ]
        if len(found) > len(shown):
            lines.append(tr(i18n, "model-search-more", shown=len(shown)))
    text = "\n".join((_header(i18n, catalogue, state), "", *lines))
    return PickerView(text, _markup(rows))


# --- texts ---------------------------------------------------------------------------------------


def chosen_text(i18n: I18nContext, model: ModelInfo) -> str:
    lines = [tr(i18n, _key(_CHOSEN_KEYS, model.kind), name=model.name, id=model.id)]
    lines.append(price_text(i18n, model))
    if model.kind is ModelKind.CHAT:
        if model.context_length is None:
            lines.append(tr(i18n, "model-context-unknown"))
        else:
            lines.append(tr(i18n, "model-context", tokens=model.context_length))
    return "\n".join(lines)


def price_text(i18n: I18nContext, model: ModelInfo) -> str:
    pricing = model.pricing
    if model.kind is ModelKind.VIDEO:
        if pricing.video_per_second is None:
            return tr(i18n, "model-price-unknown")
        return tr(i18n, "model-price-video", price=pricing.video_per_second)
    prompt, completion = pricing.prompt_per_million, pricing.completion_per_million
    if model.kind is ModelKind.IMAGE or (prompt is None and completion is None):
        if pricing.per_request is not None:
            if model.kind is ModelKind.IMAGE:
                return tr(i18n, "model-price-image", price=pricing.per_request)
            return tr(i18n, "model-price-request", price=pricing.per_request)
        return tr(i18n, "model-price-unknown")
    if prompt is not None and completion is not None:
        return tr(i18n, "model-price-tokens", prompt=prompt, completion=completion)
    if prompt is not None:
        return tr(i18n, "model-price-input", prompt=prompt)
    return tr(i18n, "model-price-output", completion=completion)


def price_hint(model: ModelInfo) -> Decimal | None:
    """One number to compare models by: RUB per image, per second of video, or per 1M tokens
    in and out together."""
    pricing = model.pricing
    if model.kind is ModelKind.VIDEO:
        return pricing.video_per_second
    if model.kind is ModelKind.IMAGE:
        return pricing.per_request
    known = [
        price
        for price in (pricing.prompt_per_million, pricing.completion_per_million)
        if price is not None
    ]
    return sum(known, Decimal(0)) if known else None


def round_hint(value: Decimal) -> Decimal:
    """Two or three significant digits are enough at a glance; a real price never shows as 0."""
    if value >= 10:
        step = Decimal(1)
    elif value >= 1:
        step = Decimal("0.1")
    else:
        step = Decimal("0.01")
    rounded = value.quantize(step, rounding=ROUND_HALF_UP)
    return Decimal("0.01") if rounded == 0 and value > 0 else rounded


def model_button_text(
    i18n: I18nContext, model: ModelInfo, state: PickerState, *, in_search: bool = False
) -> str:
    marks = CURRENT_MARK if model.id == state.current(model.kind) else ""
    marks += DEFAULT_MARK if model.id == state.default(model.kind) else ""
    if in_search and model.kind in KIND_MARKS:
        marks = KIND_MARKS[model.kind] + marks
    abilities = (VISION_MARK if model.vision else "") + (
        REASONING_MARK if model.supports_reasoning else ""
    )
    hint = price_hint(model)
    prefix = f"{marks} " if marks else ""
    suffix = f" {abilities}" if abilities else ""
    if hint is not None:
        rounded = round_hint(hint)
        suffix += " · " + i18n.get(_key(_HINT_KEYS, model.kind), price=rounded)
    # Buttons are narrow; "Google: " in front of "Gemini 2.5 Pro" says nothing new.
    name = _short_name(model.name)
    budget = max(BUTTON_TEXT_LIMIT - len(prefix) - len(suffix), 12)
    return prefix + _fit(name, budget) + suffix


def _header(i18n: I18nContext, catalogue: Catalogue, state: PickerState) -> str:
    lines = []
    for kind in PICKER_KINDS:
        model_id = state.current(kind)
        info = catalogue.get(model_id)
        name = info.name if info is not None else model_id
        line = tr(i18n, _key(_CURRENT_KEYS, kind), name=name, id=model_id)
        lines.append(f"{line} {DEFAULT_MARK}" if model_id == state.default(kind) else line)
        gone = state.gone(kind)
        if gone is not None:
            lines.append(tr(i18n, "model-current-gone", id=gone))
    return "\n".join(lines)


def _short_name(name: str) -> str:
    _, colon, rest = name.partition(": ")
    return rest.strip() if colon and rest.strip() else name


def _fit(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: max(limit - 1, 1)]
    # End on a whole word when that loses only a few letters.
    space = cut.rfind(" ")
    if space >= len(cut) - WORD_CUT_SLACK:
        cut = cut[:space]
    return cut.rstrip() + "…"


# --- keyboards -----------------------------------------------------------------------------------


def _models_keyboard(
    i18n: I18nContext,
    catalogue: Catalogue,
    state: PickerState,
    kind: ModelKind,
    provider: str,
    page: int,
) -> InlineKeyboardMarkup:
    models = catalogue.by_provider(kind, provider)
    pages = page_count(len(models), PAGE_SIZE)
    page = min(max(page, 0), pages - 1)
    rows = [
        [
            _button(
                model_button_text(i18n, model, state),
                _nav(NavAction.PICK, kind, model.key),
            )
        ]
        for model in models[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    ]
    ref = provider_ref(provider)
    if pages > 1:
        rows.append(_pager(kind, page, pages, lambda p: _nav(NavAction.LIST, kind, ref, p)))
    names = [name for name, _ in catalogue.providers(kind)]
    home = names.index(provider) // PROVIDERS_PER_PAGE if provider in names else 0
    rows.append([_button(i18n.get("model-button-back"), _nav(NavAction.HOME, kind, page=home))])
    return _markup(rows)


def _tabs(i18n: I18nContext, active: ModelKind) -> list[InlineKeyboardButton]:
    tabs = []
    for kind in PICKER_KINDS:
        label = i18n.get(_key(_TAB_KEYS, kind))
        if kind is active:
            tabs.append(_button(f"· {label} ·", _nav(NavAction.NOOP, kind)))
        else:
            tabs.append(_button(label, _nav(NavAction.HOME, kind)))
    return tabs


def _pager(
    kind: ModelKind, page: int, pages: int, to_page: Callable[[int], ModelNav]
) -> list[InlineKeyboardButton]:
    """‹ n/N › — the arrows wrap around."""
    return [
        _button("‹", to_page((page - 1) % pages)),
        _button(f"{page + 1}/{pages}", _nav(NavAction.NOOP, kind)),
        _button("›", to_page((page + 1) % pages)),
    ]


def _nav(action: NavAction, kind: ModelKind, ref: str = "", page: int = 0) -> ModelNav:
    return ModelNav(action=action, kind=kind, ref=ref, page=page)


def _button(text: str, data: ModelNav) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data.pack())


def _markup(rows: list[list[InlineKeyboardButton]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=rows)
