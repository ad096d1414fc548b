"""The /model picker's keyboards, texts and callback data, and resolving a user's models."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram_i18n import I18nContext
from aiogram_i18n.cores import FluentRuntimeCore
from aiogram_i18n.managers import ConstManager

from bot.config import Settings
from bot.i18n import LOCALES_DIR, SUPPORTED_LANGUAGES
from bot.services.catalogue import Catalogue, ModelCatalogue, ModelInfo, ModelKind, parse_models
from bot.services.model_choice import (
    ResolvedModel,
    chat_model_for,
    choose_model,
    effective_model,
    image_model_for,
)
from bot.telegram.model_picker import (
    BUTTON_TEXT_LIMIT,
    PAGE_SIZE,
    PROVIDERS_PER_PAGE,
    ModelNav,
    ModelsTarget,
    NavAction,
    PickerState,
    PickerView,
    PickTarget,
    ProvidersTarget,
    chosen_view,
    model_button_text,
    models_view,
    page_count,
    provider_ref,
    providers_view,
    resolve,
    round_hint,
    search_view,
)
from storage import Database, UserRecord, UserRepository
from tests.fakes.polza_catalogue import LONG_ID_1, LONG_ID_2, default_catalogue

DEFAULT_CHAT = "openai/gpt-4o-mini"
DEFAULT_IMAGE = "bytedance/seedream-4"


@pytest.fixture(scope="module")
def core() -> FluentRuntimeCore:
    core = FluentRuntimeCore(path=LOCALES_DIR / "{locale}", default_locale="en")
    asyncio.run(core.startup())
    return core


def translator(core: FluentRuntimeCore, language: str) -> I18nContext:
    return I18nContext(language, core, ConstManager(default_locale="en"), {})


@pytest.fixture
def en(core: FluentRuntimeCore) -> I18nContext:
    return translator(core, "en")


@pytest.fixture
def ru(core: FluentRuntimeCore) -> I18nContext:
    return translator(core, "ru")


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return Catalogue(parse_models(default_catalogue()), fetched_at=0.0)


def state_for(
    catalogue: Catalogue, chat: str | None = None, image: str | None = None
) -> PickerState:
    return PickerState.build(
        chat_choice=chat,
        image_choice=image,
        default_chat=DEFAULT_CHAT,
        default_image=DEFAULT_IMAGE,
        catalogue=catalogue,
        default_video="kling/v3",
    )


def buttons(view: PickerView | InlineKeyboardMarkup) -> list[InlineKeyboardButton]:
    markup = view.markup if isinstance(view, PickerView) else view
    return [button for row in markup.inline_keyboard for button in row]


def data_of(button: InlineKeyboardButton) -> ModelNav:
    assert button.callback_data is not None
    return ModelNav.unpack(button.callback_data)


def model_buttons(view: PickerView) -> list[InlineKeyboardButton]:
    return [b for b in buttons(view) if data_of(b).action is NavAction.PICK]


def all_views(i18n: I18nContext, catalogue: Catalogue, state: PickerState) -> Iterator[PickerView]:
    """Every screen the picker can show over this catalogue."""
    for kind in (ModelKind.CHAT, ModelKind.IMAGE):
        providers = catalogue.providers(kind)
        for page in range(page_count(len(providers), PROVIDERS_PER_PAGE)):
            yield providers_view(i18n, catalogue, state, kind, page)
        for provider, count in providers:
            for page in range(page_count(count, PAGE_SIZE)):
                yield models_view(i18n, catalogue, state, kind, provider, page)
        for model in catalogue.models(kind):
            yield chosen_view(i18n, catalogue, state, model)
    for query in ("gemini", "gpt", "o", "long", "zzz-nothing", "x" * 300):
        yield search_view(i18n, catalogue, state, query)


def synthetic_catalogue(models_per_provider: dict[str, int]) -> Catalogue:
    entries: list[dict[str, Any]] = [
        {
            "id": f"{provider}/model-{n:02d}",
            "name": f"{provider.title()}: Model {n:02d}",
            "type": "chat",
            "top_provider": {"pricing": {"prompt_per_million": str(n + 1)}},
        }
        for provider, count in models_per_provider.items()
        for n in range(count)
    ]
    return Catalogue(parse_models(entries), fetched_at=0.0)


# --- callback data ---------------------------------------------------------------------------


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_every_button_of_every_screen_fits_and_resolves(
    core: FluentRuntimeCore, catalogue: Catalogue, language: str
) -> None:
    i18n = translator(core, language)
    seen = 0
    for view in all_views(i18n, catalogue, state_for(catalogue, chat=LONG_ID_2)):
        for button in buttons(view):
            assert button.callback_data is not None
            assert len(button.callback_data.encode("utf-8")) <= 64, button.callback_data
            assert len(button.text) <= BUTTON_TEXT_LIMIT, button.text
            data = data_of(button)
            if data.action is not NavAction.NOOP:
                assert resolve(data, catalogue) is not None, button.callback_data
            seen += 1
    assert seen > 200


def test_long_ids_travel_as_short_keys(catalogue: Catalogue, en: I18nContext) -> None:
    model = catalogue.get(LONG_ID_1)
    assert model is not None and len(LONG_ID_1.encode()) > 64
    view = chosen_view(en, catalogue, state_for(catalogue), model)
    (pick,) = [b for b in model_buttons(view) if data_of(b).ref == model.key]
    assert LONG_ID_1 not in (pick.callback_data or "")
    target = resolve(data_of(pick), catalogue)
    assert target == PickTarget(model)


def test_forged_and_stale_values_resolve_to_nothing(catalogue: Catalogue) -> None:
    image = catalogue.get(DEFAULT_IMAGE)
    assert image is not None
    openai = provider_ref("openai")
    forged = [
        ModelNav(action=NavAction.PICK, kind=ModelKind.CHAT, ref="zzzzzzzzzz"),
        ModelNav(action=NavAction.PICK, kind=ModelKind.CHAT, ref=image.key),  # wrong kind
        ModelNav(action=NavAction.PICK, kind=ModelKind.CHAT, ref=""),
        ModelNav(action=NavAction.PICK, kind=ModelKind.IMAGE, ref=image.key, page=3),
        ModelNav(action=NavAction.LIST, kind=ModelKind.CHAT, ref="nobody"),
        ModelNav(action=NavAction.LIST, kind=ModelKind.CHAT, ref=openai, page=1),
        ModelNav(action=NavAction.LIST, kind=ModelKind.CHAT, ref=openai, page=-1),
        ModelNav(action=NavAction.LIST, kind=ModelKind.STT, ref=openai),
        ModelNav(action=NavAction.HOME, kind=ModelKind.CHAT, page=1),
        ModelNav(action=NavAction.HOME, kind=ModelKind.CHAT, ref=openai),
        ModelNav(action=NavAction.HOME, kind=ModelKind.OTHER),
        ModelNav(action=NavAction.NOOP, kind=ModelKind.CHAT),
    ]
    for data in forged:
        assert resolve(data, catalogue) is None, data.pack()
    assert resolve(ModelNav.unpack(f"model:list:chat:{openai}:0"), catalogue) == ModelsTarget(
        ModelKind.CHAT, "openai", 0
    )


@pytest.mark.parametrize(
    "raw",
    [
        "model:pick:chat:zzzzzzzzzz",
        "model:jump:chat::0",
        "model:pick:audio::0",
        "model:list:chat:x:y",
    ],
)
def test_malformed_data_does_not_parse(raw: str) -> None:
    with pytest.raises((TypeError, ValueError)):
        ModelNav.unpack(raw)


# --- screens ---------------------------------------------------------------------------------


def test_providers_screen_lists_chat_providers_and_marks_the_current_one(
    catalogue: Catalogue, en: I18nContext
) -> None:
    view = providers_view(en, catalogue, state_for(catalogue), ModelKind.CHAT)
    assert "<code>openai/gpt-4o-mini</code>" in view.text
    assert "<code>bytedance/seedream-4</code>" in view.text
    assert "34 chat models" in view.text
    labels = [b.text for b in buttons(view)]
    assert labels[0] == "· 💬 Chat ·" and data_of(buttons(view)[0]).action is NavAction.NOOP
    assert labels[1] == "🎨 Images"
    assert labels[2] == "🎬 Video"
    assert "openai (7) ✅" in labels
    assert "nousresearch (1)" in labels
    # stt, embedding and tts models belong to no picker
    assert not any("whisper" in text or "embedding" in text for text in labels)

    images = providers_view(en, catalogue, state_for(catalogue), ModelKind.IMAGE)
    assert [b.text for b in buttons(images)][3:] == [
        "black-forest-labs (1)",
        "bytedance (1) ✅",
        "google (1)",
        "openai (1)",
    ]


def test_the_video_tab_lists_video_models_with_their_price_per_second(
    catalogue: Catalogue, en: I18nContext
) -> None:
    state = state_for(catalogue)
    view = providers_view(en, catalogue, state, ModelKind.VIDEO)
    assert "🎬 Video: <b>Kling: Kling 3.0</b> (<code>kling/v3</code>) ⭐" in view.text
    assert "2 video models" in view.text
    assert [b.text for b in buttons(view)][:4] == [
        "💬 Chat",
        "🎨 Images",
        "· 🎬 Video ·",
        "kling (2) ✅",
    ]
    kling = models_view(en, catalogue, state, ModelKind.VIDEO, "kling")
    labels = [b.text for b in model_buttons(kling)]
    assert labels == ["Kling 2.5 Turbo 👁 · 4.2 ₽/s", "✅⭐ Kling 3.0 👁 · 8.4 ₽/s"]
    turbo = catalogue.get("kling/v2.5-turbo")
    assert turbo is not None
    chosen = chosen_view(en, catalogue, state, turbo)
    assert "Video model set" in chosen.text and "4.20 ₽ per second of video" in chosen.text


def test_model_buttons_show_marks_and_price_hints(
    catalogue: Catalogue, en: I18nContext, ru: I18nContext
) -> None:
    state = state_for(catalogue, chat="openai/gpt-5-nano")
    labels = [
        b.text for b in model_buttons(models_view(en, catalogue, state, ModelKind.CHAT, "openai"))
    ]
    assert "⭐ GPT-4o-mini 👁 · ≈73 ₽/1M" in labels  # the default, 14.63 + 58.53
    assert "✅ GPT-5 Nano 👁🧠 · ≈26 ₽/1M" in labels  # the current choice
    assert "GPT-3.5 Turbo · ≈195 ₽/1M" in labels  # text only, no reasoning
    assert "GPT-4o 👁 · ≈1,219 ₽/1M" in labels

    def label(model_id: str, i18n: I18nContext = en) -> str:
        model = catalogue.get(model_id)
        assert model is not None
        return model_button_text(i18n, model, state)

    assert label("meta-llama/llama-3.1-8b-instruct") == "Llama 3.1 8B Instruct"  # no prices
    assert label("google/gemma-3-27b-it") == "Gemma 3 27B 👁 · ≈6.3 ₽/1M"  # prompt price only
    assert label("deepseek/deepseek-r1-0528") == "R1 0528 🧠 · ≈49 ₽/1M"
    assert label(DEFAULT_IMAGE) == "✅⭐ Seedream 4.0 👁 · 3 ₽/img"  # current and default
    assert label("openai/gpt-4o", ru) == "GPT-4o 👁 · ≈1\xa0219 ₽/млн"
    assert label("google/gemini-2.5-flash-image", ru) == "Nano Banana (Gemini 2.5… 👁 · 2,9 ₽/шт"


def test_long_names_are_shortened_to_fit(catalogue: Catalogue, en: I18nContext) -> None:
    model = catalogue.get(LONG_ID_2)
    assert model is not None
    text = model_button_text(en, model, state_for(catalogue, chat=LONG_ID_2))
    assert text.startswith("✅ Hermes 4 405B") and "…" in text
    assert text.endswith(" 🧠 · ≈390 ₽/1M") and len(text) <= BUTTON_TEXT_LIMIT


@pytest.mark.parametrize(
    ("price", "hint"),
    [
        ("73.16", "73"),
        ("1219.38", "1219"),
        ("6.34", "6.3"),
        ("2.9", "2.9"),
        ("0.456", "0.46"),
        ("0.0001", "0.01"),
        ("0", "0"),
    ],
)
def test_price_hints_are_rounded_for_a_glance(price: str, hint: str) -> None:
    assert round_hint(Decimal(price)) == Decimal(hint)


def test_a_provider_with_many_models_is_paged(en: I18nContext) -> None:
    catalogue = synthetic_catalogue({"big": 19, "small": 2})
    state = state_for(catalogue)
    pages = [models_view(en, catalogue, state, ModelKind.CHAT, "big", p) for p in range(3)]
    assert [len(model_buttons(page)) for page in pages] == [8, 8, 3]
    assert "Model 00" in model_buttons(pages[0])[0].text
    assert "Model 16" in model_buttons(pages[2])[0].text
    assert "<b>big</b>: 19 models" in pages[0].text

    pager = pages[0].markup.inline_keyboard[-2]
    assert [b.text for b in pager] == ["‹", "1/3", "›"]
    previous, counter, following = (data_of(b) for b in pager)
    ref = provider_ref("big")
    assert (previous.action, previous.ref, previous.page) == (NavAction.LIST, ref, 2)  # wraps
    assert counter.action is NavAction.NOOP
    assert resolve(following, catalogue) == ModelsTarget(ModelKind.CHAT, "big", 1)
    back = data_of(pages[0].markup.inline_keyboard[-1][0])
    assert resolve(back, catalogue) == ProvidersTarget(ModelKind.CHAT, 0)

    for bad_page in (3, -1, 10**12):
        stale = ModelNav(action=NavAction.LIST, kind=ModelKind.CHAT, ref=ref, page=bad_page)
        assert resolve(stale, catalogue) is None
    # A provider with one page has no pager.
    small = models_view(en, catalogue, state, ModelKind.CHAT, "small")
    assert [b.text for b in small.markup.inline_keyboard[-1]] == ["‹ Providers"]
    assert len(small.markup.inline_keyboard) == 3


def test_many_providers_are_paged(en: I18nContext) -> None:
    catalogue = synthetic_catalogue({f"p{n:02d}": 1 for n in range(45)})
    state = state_for(catalogue)
    first = providers_view(en, catalogue, state, ModelKind.CHAT, 0)
    last = providers_view(en, catalogue, state, ModelKind.CHAT, 2)
    provider_buttons = [b for b in buttons(first) if data_of(b).action is NavAction.LIST]
    assert len(provider_buttons) == PROVIDERS_PER_PAGE
    assert [b.text for b in first.markup.inline_keyboard[-1]] == ["‹", "1/3", "›"]
    assert len([b for b in buttons(last) if data_of(b).action is NavAction.LIST]) == 5
    # "Back" from a provider on page 3 returns to page 3.
    models = models_view(en, catalogue, state, ModelKind.CHAT, "p44")
    back = data_of(models.markup.inline_keyboard[-1][0])
    assert resolve(back, catalogue) == ProvidersTarget(ModelKind.CHAT, 2)
    assert resolve(ModelNav(action=NavAction.HOME, kind=ModelKind.CHAT, page=3), catalogue) is None


def test_search_finds_chat_and_image_models(catalogue: Catalogue, en: I18nContext) -> None:
    view = search_view(en, catalogue, state_for(catalogue), "gemini")
    labels = [b.text for b in model_buttons(view)]
    assert labels[:3] == [
        "Gemini 2.5 Flash 👁🧠 · ≈273 ₽/1M",
        "Gemini 2.5 Flash Lite 👁🧠 · ≈29 ₽/1M",
        "Gemini 2.5 Pro 👁🧠 · ≈1,097 ₽/1M",
    ]
    assert labels[3].startswith("🎨 Nano Banana")
    assert data_of(model_buttons(view)[3]).kind is ModelKind.IMAGE
    assert "4 models match <b>gemini</b>" in view.text
    assert buttons(view)[-1].text == "‹ All models"

    many = search_view(en, catalogue, state_for(catalogue), "o")
    assert len(model_buttons(many)) == 10 and "Only the first 10" in many.text

    none = search_view(en, catalogue, state_for(catalogue), "<nothing>")
    assert model_buttons(none) == []
    assert "No models match <b>&lt;nothing&gt;</b>" in none.text


def test_choice_confirmation_has_price_and_context(
    catalogue: Catalogue, en: I18nContext, ru: I18nContext
) -> None:
    model = catalogue.get(LONG_ID_1)
    assert model is not None
    state = state_for(catalogue, chat=LONG_ID_1)
    view = chosen_view(en, catalogue, state, model)
    assert f"<code>{LONG_ID_1}</code>" in view.text
    assert "1.00 ₽ per 1M input tokens, 2.00 ₽ per 1M output tokens" in view.text
    assert "Context: 65,536 tokens" in view.text
    assert model_buttons(view)[0].text.startswith("✅ ")
    assert "Контекст: 65\xa0536 токенов" in chosen_view(ru, catalogue, state, model).text

    def text(model_id: str, i18n: I18nContext = en) -> str:
        info = catalogue.get(model_id)
        assert info is not None
        return chosen_view(i18n, catalogue, state, info).text

    assert "Context: not listed" in text("aiesa/aiesa-mini")
    assert "Price: not listed" in text("meta-llama/llama-3.1-8b-instruct")
    assert "Price: 6.34 ₽ per 1M input tokens\n" in text("google/gemma-3-27b-it")
    assert "131\xa0072 токена" in text("google/gemma-3-27b-it", ru)
    image = text("openai/gpt-image-1")
    assert "Image model set" in image and "4.10 ₽ per image" in image and "Context" not in image


def test_a_vanished_choice_shows_the_default_and_says_so(
    catalogue: Catalogue, en: I18nContext
) -> None:
    state = state_for(catalogue, chat="gone/model", image="openai/gpt-4o")  # a chat model
    assert (state.chat, state.gone_chat) == (DEFAULT_CHAT, "gone/model")
    assert (state.image, state.gone_image) == (DEFAULT_IMAGE, "openai/gpt-4o")
    view = providers_view(en, catalogue, state, ModelKind.CHAT)
    assert "<code>gone/model</code> is no longer offered" in view.text
    assert "<code>openai/gpt-4o-mini</code>) ⭐" in view.text


# --- resolving a user's models ---------------------------------------------------------------


def test_effective_model(catalogue: Catalogue) -> None:
    chat = ModelKind.CHAT
    assert effective_model(None, DEFAULT_CHAT, chat, catalogue) == (DEFAULT_CHAT, None)
    assert effective_model(LONG_ID_1, DEFAULT_CHAT, chat, catalogue) == (LONG_ID_1, None)
    assert effective_model("gone/x", DEFAULT_CHAT, chat, catalogue) == (DEFAULT_CHAT, "gone/x")
    assert effective_model("gone/x", DEFAULT_CHAT, chat, None) == ("gone/x", None)
    assert effective_model(DEFAULT_IMAGE, DEFAULT_CHAT, chat, catalogue) == (
        DEFAULT_CHAT,
        DEFAULT_IMAGE,
    )


@pytest.fixture
async def users(tmp_path: Path) -> AsyncIterator[UserRepository]:
    db = await Database.open(tmp_path / "bot.sqlite3")
    yield UserRepository(db)
    await db.close()


SETTINGS = cast(
    Settings, SimpleNamespace(default_chat_model=DEFAULT_CHAT, default_image_model=DEFAULT_IMAGE)
)


def cache_of(snapshot: Catalogue | None) -> ModelCatalogue:
    return cast(ModelCatalogue, SimpleNamespace(cached=lambda: snapshot))


async def test_a_vanished_model_is_reported_once_per_model(
    users: UserRepository, catalogue: Catalogue
) -> None:
    await users.ensure(7, "en")
    await users.set_chat_model(7, "gone/chat")
    await users.set_image_model(7, "gone/image")
    record = await users.get(7)
    assert record is not None
    cache = cache_of(catalogue)

    first = await chat_model_for(record, cache, SETTINGS, users)
    assert first.id == DEFAULT_CHAT and first.replaced == "gone/chat"
    assert first.info is not None and first.info.vision
    image = await image_model_for(record, cache, SETTINGS, users)
    assert (image.id, image.replaced) == (DEFAULT_IMAGE, "gone/image")
    # Both were told once; neither notice comes back, whichever is asked first.
    assert (await chat_model_for(record, cache, SETTINGS, users)).replaced is None
    assert (await image_model_for(record, cache, SETTINGS, users)).replaced is None

    # Picking the model again re-arms the notice for when it vanishes again.
    await choose_model(users, 7, fake_model("gone/chat"))
    record = await users.get(7)
    assert record is not None
    assert (await chat_model_for(record, cache, SETTINGS, users)).replaced == "gone/chat"


async def test_choices_are_trusted_until_a_catalogue_is_loaded(
    users: UserRepository, catalogue: Catalogue
) -> None:
    record = UserRecord(8, "en", "gone/chat", None)
    await users.ensure(8, "en")
    assert await chat_model_for(record, cache_of(None), SETTINGS, users) == ResolvedModel(
        "gone/chat", None, None
    )
    chosen = await chat_model_for(
        UserRecord(8, "en", LONG_ID_1, None), cache_of(catalogue), SETTINGS, users
    )
    assert (chosen.id, chosen.replaced) == (LONG_ID_1, None)
    assert chosen.info is catalogue.get(LONG_ID_1)
    assert await users.missing_model_notified(8) is None


async def test_choose_model_stores_by_kind(users: UserRepository, catalogue: Catalogue) -> None:
    await users.ensure(9, "en")
    image = catalogue.get("openai/gpt-image-1")
    chat = catalogue.get(LONG_ID_2)
    assert image is not None and chat is not None
    await choose_model(users, 9, image)
    await choose_model(users, 9, chat)
    assert await users.get(9) == UserRecord(9, "en", LONG_ID_2, "openai/gpt-image-1")


def fake_model(model_id: str) -> ModelInfo:
    (model,) = parse_models([{"id": model_id, "type": "chat"}])
    return model
