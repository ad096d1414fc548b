"""The floor the bot is measured against: the thinnest bot on the same stack.

`python -m bench.baseline_bot`, with the bot's environment variables (BOT_TOKEN, POLZA_API_KEY,
POLZA_BASE_URL, TELEGRAM_API_URL, optional DEFAULT_CHAT_MODEL). aiogram long polling, one
message handler that streams a chat completion from Polza with the official openai SDK
(defaults everywhere), collects the text and sends it in one `sendMessage`. No storage, no
middlewares, no drafts, no typing action, no formatting.

The one addition: a per-chat `asyncio.Lock`, because scenario 4 checks that each user's
messages reach Polza in the order sent, and aiogram handles every update in its own task.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections import defaultdict

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import Message
from openai import AsyncOpenAI

DEFAULT_MODEL = "openai/gpt-4o-mini"


async def main() -> None:
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    bot = Bot(
        os.environ["BOT_TOKEN"],
        session=AiohttpSession(api=TelegramAPIServer.from_base(os.environ["TELEGRAM_API_URL"])),
    )
    polza = AsyncOpenAI(api_key=os.environ["POLZA_API_KEY"], base_url=os.environ["POLZA_BASE_URL"])
    model = os.environ.get("DEFAULT_CHAT_MODEL") or DEFAULT_MODEL
    locks: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)
    dp = Dispatcher()

    @dp.message()
    async def answer(message: Message) -> None:
        if not message.text or message.from_user is None:
            return
        async with locks[message.chat.id]:
            stream = await polza.chat.completions.create(
                model=model,
                messages=[{"role": "user", "content": message.text}],
                user=str(message.from_user.id),
                stream=True,
            )
            parts = [
                chunk.choices[0].delta.content or ""
                async for chunk in stream
                if chunk.choices and chunk.choices[0].delta
            ]
            await bot.send_message(message.chat.id, "".join(parts) or "…")

    try:
        await dp.start_polling(bot)  # closes the bot's session when it stops
    finally:
        await polza.close()


if __name__ == "__main__":
    asyncio.run(main())
