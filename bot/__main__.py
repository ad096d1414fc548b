"""Composition root: settings → storage → clients → dispatcher → polling."""

from __future__ import annotations

import asyncio
import logging
import sys
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.types import BotCommand, LinkPreviewOptions
from aiogram_i18n.cores import BaseCore
from pydantic import ValidationError

from bot.config import Settings
from bot.i18n import SUPPORTED_LANGUAGES, setup_i18n
from bot.logging_setup import setup_logging
from bot.middlewares import (
    AddressingMiddleware,
    ConversationLocks,
    ConversationOrderMiddleware,
    InFlightTracker,
    UserMiddleware,
)
from bot.services.audio import configure_ffmpeg
from bot.services.catalogue import ModelCatalogue
from bot.services.chat import ChatService, HistoryLimits
from bot.services.images import ImageService
from bot.services.polza import PolzaClient
from bot.services.running import RunningAnswers
from bot.services.transcription import TranscriptionService
from handlers import get_routers
from handlers.groups import GroupNotices
from storage import Database, MessageRepository, UsageRepository, UserRepository

logger = logging.getLogger("bot")

MENU_COMMANDS = ("new", "language", "help")


def command_menu(core: BaseCore[Any], language: str) -> list[BotCommand]:
    return [
        BotCommand(command=name, description=core.get(f"command-{name}", language))
        for name in MENU_COMMANDS
    ]


def load_settings() -> Settings:
    """Settings, or one clear line per problem and exit code 2."""
    try:
        return Settings()  # filled from the environment
    except ValidationError as error:
        for problem in error.errors():
            name = str(problem["loc"][0]).upper() if problem["loc"] else "settings"
            if problem["type"] == "missing":
                reason = "is required (set it in the environment or .env)"
            else:
                reason = f"is invalid: {problem['msg']}"
            sys.stderr.write(f"Configuration error: {name} {reason}\n")
        raise SystemExit(2) from None


def create_bot(settings: Settings) -> Bot:
    session = (
        AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram_api_url))
        if settings.telegram_api_url
        else AiohttpSession()
    )
    return Bot(
        settings.bot_token.get_secret_value(),
        session=session,
        # The bot's own texts are Telegram HTML; answers are sent as entities instead.
        default=DefaultBotProperties(
            parse_mode=ParseMode.HTML, link_preview=LinkPreviewOptions(is_disabled=True)
        ),
    )


async def run(settings: Settings) -> None:
    logger.info("Using ffmpeg at %s", configure_ffmpeg())
    db = await Database.open(settings.database_path)
    polza = PolzaClient.create(
        base_url=settings.polza_base_url,
        api_key=settings.polza_api_key.get_secret_value(),
        timeout=settings.polza_timeout_seconds,
        max_retries=settings.polza_max_retries,
    )
    users = UserRepository(db)
    chat_service = ChatService(
        polza,
        MessageRepository(db),
        HistoryLimits(settings.history_max_turns, settings.history_max_chars),
        max_answer_tokens=settings.max_answer_tokens or None,
    )
    catalogue = ModelCatalogue(polza.sdk, ttl_seconds=settings.catalogue_ttl_seconds)
    image_service = ImageService(
        polza.sdk,
        poll_interval=settings.image_poll_interval_seconds,
        timeout=settings.image_timeout_seconds,
    )
    bot = create_bot(settings)
    in_flight = InFlightTracker()
    dp = Dispatcher(
        settings=settings,
        chat_service=chat_service,
        users=users,
        polza=polza,
        catalogue=catalogue,
        image_service=image_service,
        group_notices=GroupNotices(),
        running_answers=RunningAnswers(),
        transcription=TranscriptionService(
            polza.sdk, settings.transcription_model, timeout=settings.polza_timeout_seconds
        ),
        usage=UsageRepository(db),
    )
    # Outer update middlewares run in this order; ordering first, before anything awaits I/O.
    dp.update.outer_middleware(in_flight)
    dp.update.outer_middleware(AddressingMiddleware(settings.group_trigger_keyword))
    dp.update.outer_middleware(ConversationOrderMiddleware(ConversationLocks()))
    dp.update.outer_middleware(UserMiddleware(users, settings.default_language))
    i18n_core = setup_i18n(dp, users, settings.default_language)
    dp.include_routers(*get_routers())

    async def on_startup(bot: Bot) -> None:
        me = await bot.me()
        logger.info("Started as @%s (id %s)", me.username, me.id)
        if not me.can_read_all_group_messages:
            logger.warning(
                "Privacy mode is on: in groups the bot only sees commands, replies to it and"
                " some mentions (BotFather: /setprivacy → Disable, then re-add the bot)"
            )
        try:
            for language in SUPPORTED_LANGUAGES:
                await bot.set_my_commands(
                    command_menu(i18n_core, language),
                    language_code=None if language == settings.default_language else language,
                )
        except Exception:
            logger.warning("Could not register the command menu", exc_info=True)

    async def on_shutdown() -> None:
        if in_flight.in_flight:
            logger.info("Waiting for %d answer(s) in flight", in_flight.in_flight)
            if not await in_flight.wait_idle(settings.shutdown_grace_seconds):
                logger.warning("Grace period over; stopping with answers in flight")

    dp.startup.register(on_startup)
    dp.shutdown.register(on_shutdown)
    try:
        await dp.start_polling(bot, handle_signals=True, close_bot_session=True)
    finally:
        await catalogue.close()
        await image_service.close()
        await polza.close()
        await db.close()
        logger.info("Stopped")


def main() -> None:
    settings = load_settings()
    setup_logging(settings.log_level, settings.secrets())
    asyncio.run(run(settings))


if __name__ == "__main__":
    main()
