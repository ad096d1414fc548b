"""Whatever no other router took: unknown commands, content the bot cannot use, stale buttons."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.enums import ChatType, ContentType
from aiogram.types import CallbackQuery, Message
from aiogram_i18n import I18nContext

from bot.i18n import tr

# Things a person sends on purpose; anything else left over is a service message (a pin, a
# video chat, a payment notice…), which is deliberately ignored.
USER_CONTENT = frozenset(
    {
        ContentType.TEXT,
        ContentType.ANIMATION,
        ContentType.AUDIO,
        ContentType.DOCUMENT,
        ContentType.LIVE_PHOTO,
        ContentType.PAID_MEDIA,
        ContentType.PHOTO,
        ContentType.STICKER,
        ContentType.STORY,
        ContentType.VIDEO,
        ContentType.VIDEO_NOTE,
        ContentType.VOICE,
        ContentType.CHECKLIST,
        ContentType.CONTACT,
        ContentType.DICE,
        ContentType.GAME,
        ContentType.POLL,
        ContentType.VENUE,
        ContentType.LOCATION,
    }
)


async def on_unknown_command(message: Message, i18n: I18nContext) -> None:
    await message.answer(tr(i18n, "unknown-command"))


async def on_unsupported(message: Message, i18n: I18nContext) -> None:
    await message.answer(tr(i18n, "unsupported-message"))


async def on_unknown_button(query: CallbackQuery, i18n: I18nContext) -> None:
    """A button no handler recognises (an old keyboard, or forged data): say so, do nothing."""
    await query.answer(tr(i18n, "button-expired"))


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.filter(F.chat.type == ChatType.PRIVATE)
    router.message.register(on_unknown_command, F.text.startswith("/"))
    router.message.register(on_unsupported, F.content_type.in_(USER_CONTENT))
    router.callback_query.register(on_unknown_button)
    return router
