"""Photos and pictures sent as files (alone or as an album): the model looks at them.

Also the one-tap switch to a model that can see images; after the switch the photo waiting
for it is answered (after a restart, or once it expired, the user is asked to resend it).
"""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.types import CallbackQuery, Message
from aiogram_i18n import I18nContext

from bot.config import Settings
from bot.i18n import tr
from bot.middlewares import ConversationLocks
from bot.services.catalogue import ModelCatalogue
from bot.services.chat import ChatService
from bot.services.limits import SpendingGuard
from bot.services.model_choice import ModelResolver
from bot.services.model_lookup import catalogue_snapshot
from bot.services.running import RunningAnswers
from bot.services.usage import UsageService
from bot.telegram.addressing import Addressing
from bot.telegram.albums import PendingAlbum
from bot.telegram.answering import chat_model, reply_text
from bot.telegram.attachments import IMAGE_MIME_TYPES, media_message
from bot.telegram.media_answer import answer_media
from bot.telegram.usage_texts import limit_text
from bot.telegram.vision_offer import PendingMediaStore, VisionSwitch, switch_target
from handlers.chat import user_turn
from storage import ConversationKey, UserRecord, UserRepository

router = Router(name=__name__)


@router.message(F.photo | F.document.mime_type.in_(IMAGE_MIME_TYPES))
async def on_media(
    message: Message,
    bot: Bot,
    settings: Settings,
    chat_service: ChatService,
    catalogue: ModelCatalogue,
    conversation: ConversationKey,
    running_answers: RunningAnswers,
    pending_media: PendingMediaStore,
    user_record: UserRecord,
    addressing: Addressing,
    spending_guard: SpendingGuard,
    usage_service: UsageService,
    models: ModelResolver,
    i18n: I18nContext,
    album: PendingAlbum | None = None,
) -> None:
    """A photo, picture or file (with the rest of its album): answered in one request."""
    verdict = await spending_guard.check(conversation.user_id)
    if verdict is not None:
        if album is not None:
            await album.complete()  # the other parts are settled with this refusal
        await reply_text(message, limit_text(i18n, verdict))
        return
    media = await media_message(message, user_turn(addressing, has_media=False), album)
    await answer_media(
        media,
        model=(await chat_model(message, user_record, models, i18n)).id,
        system_prompt=user_record.personal_prompt or settings.system_prompt,
        reasoning_effort=user_record.reasoning_effort,
        bot=bot,
        settings=settings,
        chat_service=chat_service,
        catalogue=catalogue,
        conversation=conversation,
        running_answers=running_answers,
        pending_media=pending_media,
        i18n=i18n,
        usage_service=usage_service,
    )


@router.callback_query(VisionSwitch.filter())
async def on_vision_switch(
    query: CallbackQuery,
    callback_data: VisionSwitch,
    bot: Bot,
    settings: Settings,
    users: UserRepository,
    chat_service: ChatService,
    catalogue: ModelCatalogue,
    running_answers: RunningAnswers,
    pending_media: PendingMediaStore,
    spending_guard: SpendingGuard,
    i18n: I18nContext,
    user_record: UserRecord | None = None,
    conversation_locks: ConversationLocks | None = None,
) -> None:
    user_id = query.from_user.id
    if user_id != callback_data.user_id or user_record is None:
        await query.answer(tr(i18n, "vision-not-yours"))
        return
    model = switch_target(
        callback_data.model, await catalogue_snapshot(catalogue), settings.vision_model
    )
    if model is None:
        await query.answer(tr(i18n, "vision-expired"))
        return
    await users.set_chat_model(user_id, model)
    pending = pending_media.pop(callback_data.token, user_id)
    await query.answer()
    done = "vision-switched" if pending is not None else "vision-switched-resend"
    if isinstance(query.message, Message):
        await query.message.edit_text(tr(i18n, done, model=model), reply_markup=None)
    if pending is None:
        return
    verdict = await spending_guard.check(user_id)
    if verdict is not None:
        await reply_text(pending.media.lead, limit_text(i18n, verdict))
        return

    async def answer() -> None:
        await answer_media(
            pending.media,
            model=model,
            system_prompt=user_record.personal_prompt or settings.system_prompt,
            reasoning_effort=user_record.reasoning_effort,
            bot=bot,
            settings=settings,
            chat_service=chat_service,
            catalogue=catalogue,
            conversation=pending.conversation,
            running_answers=running_answers,
            pending_media=pending_media,
            i18n=i18n,
        )

    # A button press skips the message queue; the answer itself must wait its turn.
    if conversation_locks is None:
        await answer()
    else:
        await conversation_locks.run(pending.conversation, answer)
