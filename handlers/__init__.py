"""aiogram routers, one per feature, in the order they must be tried."""

from collections.abc import Callable

from aiogram import Router
from aiogram.enums import ChatType
from aiogram.types import Message

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
    return [
        errors.create_router(),
        # Before the groups router: /id also answers in groups the owner has not allowed yet.
        _only(identity.create_router(), _starts_with_slash),
        _only(groups.create_router(), _in_a_group),
        _commands_router(),
        answer_actions.create_router(),
        image.create_router(),
        picture_buttons.create_router(),
        # A recording, a photo or a file never comes with a text (only with a caption).
        _only(voice.create_router(), _without_text),
        _only(photo.create_router(), _without_text),
        _only(document.create_router(), _without_text),
        chat.create_router(),
        edits.create_router(),
        fallback.create_router(),
    ]


def _commands_router() -> Router:
    """The routers whose messages are all commands, behind one check: a plain text (most
    updates) skips them all at once instead of trying each of their handlers."""
    router = _only(Router(name="commands"), _starts_with_slash)
    router.include_routers(
        # Before common: `/start ask-…` (from an inline answer) is not a plain /start.
        inline.create_router(),
        admin.create_router(),
        usage.create_router(),
        stop.create_router(),
        common.create_router(),
        conversation.create_router(),
        language.create_router(),
        prompt.create_router(),
        video.create_router(),
        model.create_router(),
        mode.create_router(),
        reasoning.create_router(),
        search.create_router(),
        settings.create_router(),
        voice_settings.create_router(),
    )
    return router


def _only(router: Router, check: Callable[[Message], bool]) -> Router:
    """`router` takes only the messages `check` lets through: the others pass it by at the
    cost of that check (`bot.aiogram_tuning.pass_routers_by`), not of entering it."""
    router.message.filter(check)
    return router


def _starts_with_slash(message: Message) -> bool:
    return (message.text or message.caption or "").startswith("/")


def _in_a_group(message: Message) -> bool:
    return message.chat.type in (ChatType.GROUP, ChatType.SUPERGROUP)


def _without_text(message: Message) -> bool:
    return message.text is None
