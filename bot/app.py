"""Building the application: every dependency, opened on an exit stack, and the dispatcher.

`open_dependencies` creates the storage, the Polza gateway and the services in dependency
order, registering each resource's cleanup on the caller's `AsyncExitStack`, so a failure at
any step (a database path that cannot be created, a rejected token) closes what was opened.
`build_dispatcher` wires the middlewares and the routers around them.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.fsm.storage.base import BaseStorage
from aiogram.types import LinkPreviewOptions
from aiogram_i18n.cores import FluentRuntimeCore

from bot.access_middleware import AccessMiddleware
from bot.aiogram_tuning import (
    inject_dependencies,
    pass_routers_by,
    run_sync_filters_inline,
)
from bot.arrival_middleware import ArrivalRefusalMiddleware
from bot.config import Settings
from bot.i18n import setup_i18n
from bot.middlewares import (
    AddressingMiddleware,
    ConversationLocks,
    ConversationOrderMiddleware,
    ReplayLimitMiddleware,
    TurnMiddleware,
    UserMiddleware,
)
from bot.observability.alerts import AdminAlerts
from bot.observability.instrumented import (
    JournaledChatService,
    JournaledImages,
    JournaledTranscription,
)
from bot.observability.runtime import Operations
from bot.services.access import AccessPolicy
from bot.services.audio import AudioPreparer
from bot.services.balance import BalanceService
from bot.services.catalogue import ModelCatalogue
from bot.services.chat import ChatService, HistoryLimits
from bot.services.document_reader import DocumentReader, ReaderLimits
from bot.services.housekeeping import Housekeeping
from bot.services.inline_answers import InlineAnswers
from bot.services.limits import SpendingGuard
from bot.services.metering import Meter
from bot.services.model_choice import ModelResolver
from bot.services.model_filter import ModelFilter
from bot.services.pictures import PictureNormaliser
from bot.services.polza import PolzaClient
from bot.services.running import RunningAnswers
from bot.services.speech import SpeechService
from bot.services.summary import Summariser
from bot.services.told_once import ToldOnceSet
from bot.services.transcription import TranscriptionService
from bot.services.url_policy import UrlPolicy
from bot.services.usage import UsageService
from bot.services.user_jobs import UserJobs
from bot.services.video import VideoService
from bot.shared_state import open_shared_state
from bot.store import open_store
from bot.telegram.albums import AlbumCollector, AlbumMiddleware
from bot.telegram.image_job import ImageStudio
from bot.telegram.image_offer import pending_image_requests
from bot.telegram.inline_mode import InlineMode
from bot.telegram.json_session import JsonBodySession
from bot.telegram.merging import MergeMiddleware
from bot.telegram.references import ReferenceLoader
from bot.telegram.responder import Responder
from bot.telegram.video_job import VideoStudio
from bot.telegram.video_offers import VideoOffers
from bot.telegram.vision_offer import pending_media_store
from bot.telegram.voice_replies import VoiceReplies
from handlers import create_routers
from storage import (
    AccessRepository,
    ConversationRepository,
    MessageRepository,
    UsageRepository,
    UserRepository,
)
from storage.answers import AnswerRepository
from storage.inbox import InboxRepository
from storage.leases import LeaseRepository
from storage.pictures import PictureRepository
from storage.retention import RetentionRepository
from storage.video_jobs import VideoJobRepository

logger = logging.getLogger("bot")


def create_bot(settings: Settings) -> Bot:
    session = (
        JsonBodySession(api=TelegramAPIServer.from_base(settings.telegram_api_url))
        if settings.telegram_api_url
        else JsonBodySession()
    )
    return Bot(
        settings.bot_token.get_secret_value(),
        session=session,
        # The bot's own texts are Telegram HTML; answers are sent as entities instead.
        default=DefaultBotProperties(
            parse_mode=ParseMode.HTML, link_preview=LinkPreviewOptions(is_disabled=True)
        ),
    )


@dataclass(frozen=True, slots=True)
class Dependencies:
    """What handlers and middlewares receive by aiogram's dependency injection, by name."""

    settings: Settings
    users: UserRepository
    conversations: ConversationRepository
    access: AccessPolicy
    responder: Responder
    studio: ImageStudio
    video_studio: VideoStudio
    inline_mode: InlineMode
    chat_service: ChatService
    transcription: TranscriptionService
    usage_service: UsageService
    spending_guard: SpendingGuard
    balance_service: BalanceService
    catalogue: ModelCatalogue
    models: ModelResolver
    model_filter: ModelFilter
    audio_preparer: AudioPreparer
    pictures: PictureNormaliser
    document_reader: DocumentReader
    running_answers: RunningAnswers
    conversation_locks: ConversationLocks
    state_storage: BaseStorage  # aiogram's FSM states: memory, or Redis with REDIS_URL
    group_notices: ToldOnceSet  # unlisted groups told they are not served
    refused_notices: ToldOnceSet  # refused users told they are not allowed
    admin_alerts: AdminAlerts
    voice_replies: VoiceReplies

    def as_workflow_data(self) -> dict[str, Any]:
        return {field.name: getattr(self, field.name) for field in dataclasses.fields(self)}


@dataclass(frozen=True, slots=True)
class App:
    """The running application's parts that the composition root itself drives."""

    bot: Bot
    deps: Dependencies
    inbox: InboxRepository
    leases: LeaseRepository
    image_jobs: UserJobs
    ops: Operations  # metrics, health, alerts: started with polling
    housekeeping: Housekeeping


async def open_app(
    settings: Settings,
    stack: AsyncExitStack,
    *,
    bot_factory: Callable[[Settings], Bot] = create_bot,
) -> App:
    """Open every resource, each closed by `stack` (in reverse order) whatever happens."""
    db = await open_store(settings)
    stack.push_async_callback(db.close)
    bot = bot_factory(settings)
    stack.push_async_callback(bot.session.close)
    ops = Operations(settings, database_ok=db.ping)
    stack.push_async_callback(ops.close)

    shared = await open_shared_state(settings, stack)
    users = UserRepository(db)
    usage_repo = UsageRepository(db)
    timezone = ZoneInfo(settings.timezone)
    access = AccessPolicy(
        AccessRepository(db),
        settings.allowed_user_ids,
        settings.admin_user_ids,
        mode=settings.access_mode,
        allowed_chat_ids=settings.allowed_chat_ids,
    )
    await access.load()
    warn_about_openness(settings, access)
    warn_about_retired(settings)
    spending_guard = SpendingGuard(
        usage_repo,
        settings.daily_budget_rub,
        settings.rate_limit_per_minute,
        access.is_admin,  # paired admins too
        tz=timezone,
        global_budget_rub=settings.global_daily_budget_rub,
        max_request_rub=settings.max_request_cost_rub,
        state=shared.limits,
    )
    polza_sdk = PolzaClient.create_sdk(
        base_url=settings.polza_base_url,
        api_key=settings.polza_api_key.get_secret_value(),
        timeout=settings.polza_timeout_seconds,
        http_client=ops.polza_http_client(
            bot.session.tls if isinstance(bot.session, JsonBodySession) else None
        ),
    )
    stack.push_async_callback(polza_sdk.close)
    catalogue = ModelCatalogue(
        polza_sdk, ttl_seconds=settings.catalogue_ttl_seconds, shared=shared.catalogue
    )
    stack.push_async_callback(catalogue.close)
    usage_service = UsageService(
        usage_repo,
        users,
        catalogue,
        tz=timezone,
        unknown_price_rub=Decimal(str(settings.unknown_price_rub)),
    )
    meter = Meter(usage_repo, usage_service, spending_guard, metrics=ops.metrics)
    polza = PolzaClient(polza_sdk, meter, max_retries=settings.polza_max_retries)
    chat_service = JournaledChatService(
        polza,
        MessageRepository(db),
        HistoryLimits(settings.history_max_tokens, settings.history_image_turns),
        max_answer_tokens=settings.max_answer_tokens or None,
        answers=AnswerRepository(db),
        catalogue=catalogue,
        summariser=(
            Summariser(polza, catalogue, settings.summary_model)
            if settings.history_summary
            else None
        ),
        journal=ops.journal,
    )
    # URLs Polza answers with (image results, speech) are fetched under one policy.
    result_urls = UrlPolicy.for_polza(settings.polza_base_url, settings.image_result_hosts)
    speech = SpeechService(
        polza_sdk,
        meter,
        model=settings.tts_model,
        voice=settings.tts_voice,
        url_policy=result_urls,
        timeout=settings.polza_timeout_seconds,
    )
    stack.push_async_callback(speech.close)
    voice_replies = VoiceReplies(bot, speech)
    image_service = JournaledImages(
        polza_sdk,
        meter,
        poll_interval=settings.image_poll_interval_seconds,
        timeout=settings.image_timeout_seconds,
        journal=ops.journal,
        url_policy=result_urls,
    )
    stack.push_async_callback(image_service.close)
    video_service = VideoService(
        polza_sdk,
        meter,
        poll_interval=settings.video_poll_interval_seconds,
        timeout=settings.video_timeout_seconds,
        max_bytes=settings.video_max_upload_mb * 1024 * 1024,
        url_policy=UrlPolicy.for_polza(settings.polza_base_url, settings.image_result_hosts),
    )
    stack.push_async_callback(video_service.close)
    model_filter = ModelFilter(settings.allowed_models)
    if not model_filter.allows(settings.default_chat_model):
        logger.warning(
            "DEFAULT_CHAT_MODEL %s is not in ALLOWED_MODELS: the first allowed chat model in"
            " Polza's catalogue is used instead",
            settings.default_chat_model,
        )
    models = ModelResolver(catalogue, settings, users, model_filter)
    audio_preparer = AudioPreparer(
        chunk_seconds=settings.voice_chunk_seconds,
        max_upload_bytes=settings.stt_max_upload_mb * 1024 * 1024,
        max_duration_seconds=settings.voice_max_duration_seconds,
    )
    stack.callback(audio_preparer.close)
    pictures = PictureNormaliser()
    stack.callback(pictures.close)
    running_answers = shared.running_answers
    image_jobs = UserJobs()
    conversation_locks = ConversationLocks(settings.max_queued_per_conversation)
    ops.metrics.watch_queue(conversation_locks.depth)
    responder = Responder(
        bot=bot,
        settings=settings,
        chat_service=chat_service,
        models=models,
        spending_guard=spending_guard,
        usage=usage_service,
        running_answers=running_answers,
        catalogue=catalogue,
        pending_media=pending_media_store(),
        voice_replies=voice_replies,
    )
    generated = PictureRepository(db, settings.image_keep_per_user)
    studio = ImageStudio(
        bot=bot,
        settings=settings,
        catalogue=catalogue,
        image_service=image_service,
        users=users,
        spending_guard=spending_guard,
        image_jobs=image_jobs,
        pictures=generated,
        references=ReferenceLoader(
            bot, generated, pictures, settings.max_download_mb * 1024 * 1024
        ),
        offers=pending_image_requests(),
    )
    video_studio = VideoStudio(
        bot=bot,
        settings=settings,
        catalogue=catalogue,
        video_service=video_service,
        users=users,
        spending_guard=spending_guard,
        jobs=image_jobs,
        offers=VideoOffers(settings.video_confirm_seconds),
        pictures=pictures,
        video_jobs=VideoJobRepository(db),
    )
    deps = Dependencies(
        settings=settings,
        users=users,
        conversations=ConversationRepository(db),
        access=access,
        responder=responder,
        studio=studio,
        video_studio=video_studio,
        inline_mode=InlineMode(
            settings=settings,
            access=access,
            answers=InlineAnswers(polza, catalogue, cache_seconds=settings.inline_cache_seconds),
            models=models,
            spending_guard=spending_guard,
        ),
        chat_service=chat_service,
        transcription=JournaledTranscription(
            polza_sdk,
            settings.transcription_model,
            meter,
            timeout=settings.polza_timeout_seconds,
            journal=ops.journal,
        ),
        usage_service=usage_service,
        spending_guard=spending_guard,
        balance_service=BalanceService(polza_sdk, settings.polza_v2_url),
        catalogue=catalogue,
        models=models,
        model_filter=model_filter,
        audio_preparer=audio_preparer,
        pictures=pictures,
        document_reader=DocumentReader(
            ReaderLimits(
                max_pages=settings.document_max_pages,
                max_unpacked_bytes=settings.document_max_unpacked_mb * 1024 * 1024,
                timeout_seconds=settings.document_timeout_seconds,
            )
        ),
        running_answers=running_answers,
        conversation_locks=conversation_locks,
        state_storage=shared.fsm,
        group_notices=shared.told_once("groups"),
        refused_notices=shared.told_once("refused"),
        admin_alerts=ops.alerts,
        voice_replies=voice_replies,
    )
    inbox = InboxRepository(db)
    housekeeping = Housekeeping(
        inbox, RetentionRepository(db), history_days=settings.history_retention_days, tz=timezone
    )
    stack.push_async_callback(housekeeping.stop)
    return App(
        bot=bot,
        deps=deps,
        inbox=inbox,
        leases=LeaseRepository(db),
        image_jobs=image_jobs,
        ops=ops,
        housekeeping=housekeeping,
    )


def build_dispatcher(deps: Dependencies) -> tuple[Dispatcher, FluentRuntimeCore]:
    """The dispatcher with its middlewares and routers; the dependencies reach handlers by
    name (`inject_dependencies`)."""
    settings = deps.settings
    dp = Dispatcher(storage=deps.state_storage)
    # Outer update middlewares run in this order. Nothing before the conversation ordering
    # awaits I/O, so messages of one conversation queue up in the order Telegram sent them.
    # Albums first: in groups only an album's first part carries the mention.
    dp.update.outer_middleware(AlbumMiddleware(AlbumCollector(settings.album_window_seconds)))
    if settings.merge_window_seconds > 0:
        # Before addressing too: in groups, later pieces of a paste do not mention the bot.
        dp.update.outer_middleware(MergeMiddleware(settings.merge_window_seconds))
    dp.update.outer_middleware(AddressingMiddleware(settings.group_trigger_keyword))
    dp.update.outer_middleware(
        ConversationOrderMiddleware(deps.conversation_locks, deps.spending_guard)
    )
    dp.update.outer_middleware(UserMiddleware(deps.users, settings.default_language))
    i18n_core = setup_i18n(dp, deps.users, settings.default_language)
    # After i18n: the refusal is in the user's language.
    dp.update.outer_middleware(AccessMiddleware(deps.access, deps.refused_notices))
    # After the access check: a stranger hears only that they are not allowed.
    dp.update.outer_middleware(ArrivalRefusalMiddleware())
    dp.update.outer_middleware(TurnMiddleware(deps.responder))
    dp.update.outer_middleware(ReplayLimitMiddleware())  # last: see its docstring
    dp.include_routers(*create_routers())
    run_sync_filters_inline(dp)
    pass_routers_by(dp)
    inject_dependencies(dp, deps.as_workflow_data())
    return dp, i18n_core


def warn_about_retired(settings: Settings) -> None:
    """One WARNING line for settings an older .env may still carry; they change nothing."""
    retired = [
        name
        for name, value in (
            ("HISTORY_MAX_TURNS", settings.history_max_turns),
            ("HISTORY_MAX_CHARS", settings.history_max_chars),
        )
        if value is not None
    ]
    if retired:
        logger.warning(
            "%s no longer used and ignored: history is bounded by HISTORY_MAX_TOKENS (%d) and"
            " the model's context window",
            " and ".join(retired) + (" is" if len(retired) == 1 else " are"),
            settings.history_max_tokens,
        )


def warn_about_openness(settings: Settings, access: AccessPolicy) -> None:
    """One WARNING per way the bot is open to spending, and the owner pairing code if needed."""
    if settings.access_mode == "open":
        logger.warning(
            "ACCESS_MODE=open: any Telegram user can use the bot and spend your Polza balance"
        )
    if settings.daily_budget_rub <= 0 and settings.rate_limit_per_minute <= 0:
        logger.warning(
            "No DAILY_BUDGET_RUB and no RATE_LIMIT_PER_MINUTE: nothing limits what one user spends"
        )
    code = access.new_pairing_code()
    if code is not None:
        logger.warning(
            "No admin yet (ADMIN_USER_IDS is empty). To become the owner, send /start %s to the"
            " bot in a private chat. The code works once and changes at every start.",
            code,
        )
