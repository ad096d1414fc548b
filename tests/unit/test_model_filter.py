"""ALLOWED_MODELS: ids and fnmatch patterns, the filtered catalogue and the default."""

from __future__ import annotations

import pytest

from bot.services.catalogue import Catalogue, ModelKind, parse_models
from bot.services.model_filter import ModelFilter
from tests.fakes.polza_catalogue import default_catalogue


@pytest.fixture
def catalogue() -> Catalogue:
    return Catalogue(parse_models(default_catalogue()), fetched_at=0.0)


@pytest.mark.parametrize(
    ("patterns", "model", "allowed"),
    [
        ((), "x-ai/grok-4", True),
        (("openai/*",), "openai/gpt-4o-mini", True),
        (("openai/*",), "anthropic/claude-haiku-4.5", False),
        (("OpenAI/GPT-4o",), "openai/gpt-4o", True),
        (("openai/gpt-4o",), "openai/gpt-4o-mini", False),
        (("*-mini", "anthropic/*"), "openai/o4-mini", True),
        (("openai/gpt-4?",), "openai/gpt-4o", True),
        ((" ", ""), "anything/at-all", True),
    ],
)
def test_patterns(patterns: tuple[str, ...], model: str, allowed: bool) -> None:
    assert ModelFilter(patterns).allows(model) is allowed


def test_restrict_keeps_allowed_chat_models_and_every_image_model(catalogue: Catalogue) -> None:
    restricted = ModelFilter(["anthropic/*"]).restrict(catalogue)
    chat = {m.id for m in restricted.models(ModelKind.CHAT)}
    assert chat and all(model.startswith("anthropic/") for model in chat)
    assert restricted.get("openai/gpt-4o-mini") is None
    assert restricted.models(ModelKind.IMAGE) == catalogue.models(ModelKind.IMAGE)
    assert ModelFilter().restrict(catalogue) is catalogue


def test_the_default_falls_back_to_the_first_allowed_model(catalogue: Catalogue) -> None:
    only_anthropic = ModelFilter(["anthropic/*"])
    assert only_anthropic.chat_default("openai/gpt-4o-mini", catalogue) == (
        "anthropic/claude-haiku-4.5"
    )
    assert only_anthropic.chat_default("openai/gpt-4o-mini", None) == "openai/gpt-4o-mini"
    assert ModelFilter(["openai/*"]).chat_default("openai/gpt-4o-mini", catalogue) == (
        "openai/gpt-4o-mini"
    )
    assert ModelFilter(["nobody/*"]).chat_default("openai/gpt-4o-mini", catalogue) == (
        "openai/gpt-4o-mini"
    )
