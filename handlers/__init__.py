"""aiogram routers, one per feature, in the order they must be tried."""

from aiogram import Router

from handlers import (
    chat,
    common,
    conversation,
    errors,
    fallback,
    groups,
    language,
    prompt,
    stop,
    voice,
)


def get_routers() -> list[Router]:
    # The catch-all fallback comes last.
    return [
        errors.router,
        groups.router,
        stop.router,
        common.router,
        conversation.router,
        language.router,
        prompt.router,
        voice.router,
        chat.router,
        fallback.router,
    ]
