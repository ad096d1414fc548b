"""/id: the sender's Telegram ID and, in a group, the group's, for the owner's allow lists.

It answers everyone, refused users and unlisted groups included: a stranger sends their ID
to the owner to be let in. Only admins are told which settings the IDs go into.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.enums import ChatType
from aiogram.filters import Command
from aiogram.types import Message
from aiogram_i18n import I18nContext

from bot.i18n import tr
from bot.services.access import AccessPolicy
from bot.telegram.replies import reply_to


async def on_id(message: Message, access: AccessPolicy, i18n: I18nContext) -> None:
    if message.from_user is None:
        return
    user_id = message.from_user.id
    admin = access.is_admin(user_id)
    lines = [tr(i18n, "id-user", id=str(user_id))]
    if message.chat.type == ChatType.PRIVATE:
        lines.append(tr(i18n, "id-hint-admin" if admin else "id-hint"))
    else:
        lines.append(tr(i18n, "id-chat", id=str(message.chat.id)))
        lines.append(tr(i18n, "id-group-hint-admin" if admin else "id-hint"))
    await reply_to(message, "\n".join(lines))


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(on_id, Command("id"))
    return router
