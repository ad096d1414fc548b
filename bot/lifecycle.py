"""The running bot: open everything, poll until SIGTERM/SIGINT, stop within one deadline."""

from __future__ import annotations

import asyncio
import logging
import signal
from contextlib import AsyncExitStack

from aiogram import Bot, Dispatcher
from aiogram_i18n.cores import FluentRuntimeCore

from bot.app import App, build_dispatcher, open_app
from bot.collector import resume_after_start_up
from bot.config import Settings
from bot.i18n import SUPPORTED_LANGUAGES
from bot.polling import DurablePolling, ReplayLimits
from bot.replicas import SharedInboxRunner
from bot.services.audio import configure_ffmpeg
from bot.services.catalogue import CatalogueUnavailable, ModelCatalogue
from bot.shutdown import poll_until_stopped
from bot.store import shares_state
from bot.telegram.admin_alerts import TelegramAlertSender
from bot.telegram.command_menus import register_command_menus

logger = logging.getLogger("bot")


async def run(settings: Settings) -> None:
    logger.info("Using ffmpeg at %s", configure_ffmpeg())
    async with AsyncExitStack() as stack:
        app = await open_app(settings, stack)
        await serve(app, stack)
    logger.info("Stopped")


async def serve(app: App, stack: AsyncExitStack) -> None:
    settings, bot = app.deps.settings, app.bot
    dp, i18n_core = build_dispatcher(app.deps)
    app.ops.deliver_alerts_with(
        TelegramAlertSender(
            # Admins paired in earlier runs too (a pairing made now counts from the next start).
            bot,
            app.deps.access.admin_ids,
            app.deps.users,
            i18n_core,
            settings.default_language,
        )
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    limits = ReplayLimits(settings.replay_max_attempts, settings.replay_max_age_seconds)
    poller = _intake(app, dp, limits)
    # What no update waits for starts once updates can come in (an update that needs the
    # model list before then loads it itself).
    after_start = asyncio.create_task(_once_receiving(poller, app, i18n_core))
    stack.callback(after_start.cancel)
    dp.startup.register(_introduce)
    workflow = {"dispatcher": dp, "bots": [bot], **dp.workflow_data}
    await dp.emit_startup(bot=bot, **workflow)
    await app.ops.start(loop_alive=poller.alive, balance=app.deps.balance_service)
    if not settings.webhook_url:
        logger.info("Polling")
    resume_after_start_up()
    await poll_until_stopped(
        poller, stop, app.image_jobs, settings.shutdown_grace_seconds, dispatcher=dp, bots=[bot]
    )
    await dp.emit_shutdown(bot=bot, **workflow)


def _intake(app: App, dp: Dispatcher, limits: ReplayLimits) -> DurablePolling:
    """Where updates come from (Telegram's webhook with WEBHOOK_URL, else polling) and who
    handles them (this process, or every replica from the shared inbox)."""
    settings, metrics = app.deps.settings, app.ops.metrics
    replicas = settings.uses_postgres and shares_state(settings)
    if not settings.webhook_url:
        if replicas:
            # The poller-lease holder polls into the shared inbox; every replica claims from it.
            return SharedInboxRunner(
                dp,
                app.bot,
                app.inbox,
                app.leases,
                lease_seconds=settings.inbox_lease_seconds,
                limits=limits,
                metrics=metrics,
            )
        return DurablePolling(dp, app.bot, app.inbox, limits=limits, metrics=metrics)
    from bot.webhook import DurableWebhook, SharedWebhookRunner  # aiohttp's server if used

    url, secret = settings.webhook_url, settings.webhook_secret.get_secret_value()
    listen = settings.webhook_address
    if replicas:
        return SharedWebhookRunner(
            dp,
            app.bot,
            app.inbox,
            app.leases,
            lease_seconds=settings.inbox_lease_seconds,
            limits=limits,
            metrics=metrics,
            url=url,
            secret=secret,
            listen=listen,
        )
    return DurableWebhook(
        dp,
        app.bot,
        app.inbox,
        url=url,
        secret=secret,
        listen=listen,
        limits=limits,
        metrics=metrics,
    )


async def _introduce(bot: Bot) -> None:
    """Who the bot is; a rejected token stops the start here (getMe is the first call)."""
    me = await bot.me()
    logger.info("Started as @%s (id %s)", me.username, me.id)
    if not me.can_read_all_group_messages:
        logger.warning(
            "Privacy mode is on: in groups the bot only sees commands, replies to it and"
            " some mentions (BotFather: /setprivacy → Disable, then re-add the bot)"
        )


async def _once_receiving(poller: DurablePolling, app: App, i18n_core: FluentRuntimeCore) -> None:
    """The model list (wanted by most first requests), the command menus and housekeeping,
    started once the first poll is out, so that none of them delays it."""
    await poller.receiving.wait()
    app.housekeeping.start()
    await asyncio.gather(_warm_up(app.deps.catalogue), _set_command_menus(app, i18n_core))


async def _set_command_menus(app: App, i18n_core: FluentRuntimeCore) -> None:
    settings = app.deps.settings
    try:
        await register_command_menus(
            app.bot,
            i18n_core,
            app.deps.access.admin_ids,  # paired admins too
            SUPPORTED_LANGUAGES,
            default_language=settings.default_language,
        )
    except Exception:
        logger.warning("Could not register the command menu", exc_info=True)


async def _warm_up(catalogue: ModelCatalogue) -> None:
    try:
        await catalogue.get()
    except CatalogueUnavailable as error:
        logger.warning("Polza's model list is not available yet: %s", error)
