"""/prompt: the user's own system prompt (show, set, reset)."""

from __future__ import annotations

import html

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from aiogram_i18n import I18nContext

from bot.config import Settings
from bot.i18n import tr
from storage import UserRecord, UserRepository

PROMPT_MAX_CHARS = 2000
RESET_WORDS = frozenset({"reset", "default", "сброс", "сбросить"})


async def on_prompt(
    message: Message,
    command: CommandObject,
    settings: Settings,
    users: UserRepository,
    user_record: UserRecord,
    i18n: I18nContext,
) -> None:
    text = (command.args or "").strip()
    if not text:
        if user_record.personal_prompt:
            shown = tr(i18n, "prompt-current-personal")
            prompt = user_record.personal_prompt
        else:
            shown = tr(i18n, "prompt-current-default")
            prompt = settings.system_prompt
        await message.answer(f"{shown}\n<blockquote expandable>{html.escape(prompt)}</blockquote>")
        return
    if text.lower() in RESET_WORDS:
        await users.set_personal_prompt(user_record.id, None)
        await message.answer(tr(i18n, "prompt-reset"))
        return
    if len(text) > PROMPT_MAX_CHARS:
        await message.answer(tr(i18n, "prompt-too-long", limit=PROMPT_MAX_CHARS, length=len(text)))
        return
    await users.set_personal_prompt(user_record.id, text)
    await message.answer(tr(i18n, "prompt-set"))


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(on_prompt, Command("prompt"))
    return router
