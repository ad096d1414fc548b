"""aiogram routers, one per feature, in the order they must be tried."""

from aiogram import Router

from handlers import (
    admin,
    chat,
    common,
    conversation,
    document,
    errors,
    fallback,
    groups,
    image,
    language,
    model,
    photo,
    prompt,
    reasoning,
    stop,
    usage,
    voice,
)


def get_routers() -> list[Router]:
    # The catch-all fallback comes last.
    return [
        errors.router,
        groups.router,
        admin.router,
        usage.router,
        stop.router,
        common.router,
        conversation.router,
        language.router,
        prompt.router,
        image.router,
        model.router,
        reasoning.router,
        voice.router,
        photo.router,
        document.router,
        chat.router,
        fallback.router,
    ]
