"""Photos and pictures sent as files (alone or as an album): the model looks at them.

Also the one-tap switch to a model that can see images; after the switch the photo waiting
for it is answered (after a restart, or once it expired, the user is asked to resend it).
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery, Message
from aiogram_i18n import I18nContext

from bot.i18n import tr
from bot.middlewares import ConversationLocks
from bot.services.document_reader import DocumentReader
from bot.services.model_lookup import catalogue_snapshot
from bot.services.pictures import PictureNormaliser
from bot.telegram.addressing import Addressing
from bot.telegram.albums import PendingAlbum
from bot.telegram.attachments import IMAGE_MIME_TYPES, media_message
from bot.telegram.media_answer import answer_media
from bot.telegram.responder import Responder, Turn
from bot.telegram.vision_offer import VisionSwitch, switch_target
from handlers.chat import user_turn
from storage import UserRecord


async def on_media(
    message: Message,
    turn: Turn,
    addressing: Addressing,
    responder: Responder,
    pictures: PictureNormaliser,
    document_reader: DocumentReader,
    album: PendingAlbum | None = None,
) -> None:
    """A photo, picture or file (with the rest of its album): answered in one request."""
    if not await responder.within_limits(turn):
        if album is not None:
            await album.complete()  # the other parts are settled with this refusal
        return
    text = user_turn(addressing, has_media=False)
    media = await media_message(message, text, album)
    await answer_media(responder, turn, media, pictures=pictures, documents=document_reader)


async def on_vision_switch(
    query: CallbackQuery,
    callback_data: VisionSwitch,
    responder: Responder,
    conversation_locks: ConversationLocks,
    pictures: PictureNormaliser,
    document_reader: DocumentReader,
    i18n: I18nContext,
    user_record: UserRecord | None = None,
) -> None:
    user_id = query.from_user.id
    if user_id != callback_data.user_id or user_record is None:
        await query.answer(tr(i18n, "vision-not-yours"))
        return
    # The vision model offered must be one the user may have (ALLOWED_MODELS).
    snapshot = responder.models.allowed(await catalogue_snapshot(responder.catalogue))
    model = switch_target(callback_data.model, snapshot, responder.settings.vision_model)
    if model is None:
        await query.answer(tr(i18n, "vision-expired"))
        return
    await responder.models.choose_chat_model(user_id, model)
    pending = responder.pending_media.pop(callback_data.token, user_id)
    await query.answer()
    done = "vision-switched" if pending is not None else "vision-switched-resend"
    if isinstance(query.message, Message):
        await query.message.edit_text(tr(i18n, done, model=model), reply_markup=None)
    if pending is None:
        return
    turn = Turn(pending.media.lead, pending.conversation, user_record, i18n)
    if not await responder.within_limits(turn):
        return

    async def answer() -> None:
        await answer_media(
            responder, turn, pending.media, model, pictures=pictures, documents=document_reader
        )

    # A button press skips the message queue; the answer itself must wait its turn.
    await conversation_locks.run(pending.conversation, answer)


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(on_media, F.photo | F.document.mime_type.in_(IMAGE_MIME_TYPES))
    router.callback_query.register(on_vision_switch, VisionSwitch.filter())
    return router
