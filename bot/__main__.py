"""Composition root: settings → storage → clients → dispatcher → polling."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from zoneinfo import ZoneInfo

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.types import LinkPreviewOptions
from pydantic import ValidationError

from bot.access_middleware import AccessMiddleware
from bot.aiogram_tuning import pin_response_types, run_sync_filters_inline
from bot.cli import parse_args
from bot.config import Settings
from bot.doctor import run_doctor
from bot.i18n import SUPPORTED_LANGUAGES, setup_i18n
from bot.logging_setup import setup_logging
from bot.middlewares import (
    AddressingMiddleware,
    ConversationLocks,
    ConversationOrderMiddleware,
    UserMiddleware,
)
from bot.polling import DurablePolling
from bot.services.access import AccessPolicy
from bot.services.audio import configure_ffmpeg
from bot.services.balance import BalanceService
from bot.services.catalogue import CatalogueUnavailable, ModelCatalogue
from bot.services.chat import ChatService, HistoryLimits
from bot.services.images import ImageService
from bot.services.limits import SpendingGuard
from bot.services.model_choice import ModelResolver
from bot.services.polza import PolzaClient
from bot.services.running import RunningAnswers
from bot.services.transcription import TranscriptionService
from bot.services.usage import UsageService
from bot.services.user_jobs import UserJobs
from bot.settings_problems import settings_problems
from bot.telegram.albums import AlbumCollector, AlbumMiddleware
from bot.telegram.command_menus import register_command_menus
from bot.telegram.vision_offer import PendingMediaStore
from handlers import get_routers
from handlers.groups import GroupNotices
from storage import (
    AccessRepository,
    Database,
    MessageRepository,
    UsageRepository,
    UserRepository,
)
from storage.inbox import InboxRepository

logger = logging.getLogger("bot")


def load_settings() -> Settings:
    """Settings, or one clear line per problem and exit code 2."""
    try:
        return Settings()  # filled from the environment
    except ValidationError as error:
        for problem in settings_problems(error):
            sys.stderr.write(f"Configuration error: {problem}\n")
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
    catalogue = ModelCatalogue(polza.sdk, ttl_seconds=settings.catalogue_ttl_seconds)
    timezone = ZoneInfo(settings.timezone)
    usage_repo = UsageRepository(db)
    usage_service = UsageService(usage_repo, users, catalogue, tz=timezone)
    chat_service = ChatService(
        polza,
        MessageRepository(db),
        HistoryLimits(
            settings.history_max_turns, settings.history_max_chars, settings.history_image_turns
        ),
        max_answer_tokens=settings.max_answer_tokens or None,
        catalogue=catalogue,
        usage=usage_service,
    )
    image_service = ImageService(
        polza.sdk,
        poll_interval=settings.image_poll_interval_seconds,
        timeout=settings.image_timeout_seconds,
    )
    access = AccessPolicy(AccessRepository(db), settings.allowed_user_ids, settings.admin_user_ids)
    bot = create_bot(settings)
    image_jobs = UserJobs()
    conversation_locks = ConversationLocks()
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
        usage=usage_repo,
        access=access,
        usage_service=usage_service,
        spending_guard=SpendingGuard(
            usage_repo,
            settings.daily_budget_rub,
            settings.rate_limit_per_minute,
            settings.admin_user_ids,
            tz=timezone,
        ),
        balance_service=BalanceService(polza.sdk, settings.polza_v2_url),
        conversation_locks=conversation_locks,
        pending_media=PendingMediaStore(),
        models=ModelResolver(catalogue, settings, users),
        image_jobs=image_jobs,
    )
    # Outer update middlewares run in this order. Nothing before the conversation ordering
    # awaits I/O, so messages of one conversation queue up in the order Telegram sent them.
    # Albums first: in groups only an album's first part carries the mention.
    dp.update.outer_middleware(AlbumMiddleware(AlbumCollector(settings.album_window_seconds)))
    dp.update.outer_middleware(AddressingMiddleware(settings.group_trigger_keyword))
    dp.update.outer_middleware(ConversationOrderMiddleware(conversation_locks))
    dp.update.outer_middleware(UserMiddleware(users, settings.default_language))
    i18n_core = setup_i18n(dp, users, settings.default_language)
    # After i18n: the refusal is in the user's language.
    dp.update.outer_middleware(AccessMiddleware(access))
    dp.include_routers(*get_routers())
    run_sync_filters_inline(dp)
    response_types = pin_response_types()  # referenced until the bot stops

    async def on_startup(bot: Bot) -> None:
        me = await bot.me()
        logger.info("Started as @%s (id %s)", me.username, me.id)
        if not me.can_read_all_group_messages:
            logger.warning(
                "Privacy mode is on: in groups the bot only sees commands, replies to it and"
                " some mentions (BotFather: /setprivacy → Disable, then re-add the bot)"
            )
        try:
            await register_command_menus(
                bot,
                i18n_core,
                settings.admin_user_ids,
                SUPPORTED_LANGUAGES,
                default_language=settings.default_language,
            )
        except Exception:
            logger.warning("Could not register the command menu", exc_info=True)

    dp.startup.register(on_startup)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    poller = DurablePolling(dp, bot, InboxRepository(db))
    # The model list is wanted by most first requests: load it while the bot starts.
    warm_up = asyncio.create_task(_warm_up(catalogue))
    workflow = {"dispatcher": dp, "bots": [bot], **dp.workflow_data}
    try:
        await dp.emit_startup(bot=bot, **workflow)
        logger.info("Polling")
        await poller.run(stop, dispatcher=dp, bots=[bot])
        logger.info("Stopping: letting answers in flight finish")
        unfinished = await poller.wait_handled(settings.shutdown_grace_seconds)
        if unfinished:
            logger.warning("%d update(s) unfinished; they are handled again at start", unfinished)
            await poller.cancel_remaining()
        await image_jobs.shutdown(settings.shutdown_grace_seconds)
        await dp.emit_shutdown(bot=bot, **workflow)
    finally:
        warm_up.cancel()
        del response_types
        await bot.session.close()
        await catalogue.close()
        await image_service.close()
        await polza.close()
        await db.close()
        logger.info("Stopped")


async def _warm_up(catalogue: ModelCatalogue) -> None:
    try:
        await catalogue.get()
    except CatalogueUnavailable as error:
        logger.warning("Polza's model list is not available yet: %s", error)


def main() -> None:
    args = parse_args(sys.argv[1:])
    if args.command == "doctor":
        raise SystemExit(run_doctor(live=args.live, as_json=args.json, create_bot=create_bot))
    settings = load_settings()
    setup_logging(settings.log_level, settings.secrets())
    asyncio.run(run(settings))


if __name__ == "__main__":
    main()
