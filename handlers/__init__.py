"""aiogram routers, one per feature, in the order they must be tried."""

from aiogram import Router

from handlers import (
    admin,
    answer_actions,
    chat,
    common,
    conversation,
    document,
    edits,
    errors,
    fallback,
    groups,
    identity,
    image,
    inline,
    language,
    mode,
    model,
    photo,
    picture_buttons,
    prompt,
    reasoning,
    search,
    settings,
    stop,
    usage,
    video,
    voice,
    voice_settings,
)


def create_routers() -> list[Router]:
    """Fresh routers (a router belongs to one dispatcher); the catch-all fallback comes last."""
    modules = [
        errors,
        # Before the groups router: /id also answers in groups the owner has not allowed yet.
        identity,
        groups,
        # Before common: `/start ask-…` (from an inline answer) is not a plain /start.
        inline,
        admin,
        usage,
        stop,
        answer_actions,
        common,
        conversation,
        language,
        prompt,
        image,
        picture_buttons,
        video,
        model,
        mode,
        reasoning,
        search,
        settings,
        voice_settings,
        voice,
        photo,
        document,
        chat,
        edits,
        fallback,
    ]
    return [module.create_router() for module in modules]
