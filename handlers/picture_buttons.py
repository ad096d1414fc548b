"""The buttons under a generated picture: 🔄 again, ✏️ change, 2K / 4K, 📎 the original file.

Only the user who asked for the picture may press them; anyone else gets a polite notice.
Every press that draws is a new billed request (busy and budget checks as for /image).
"""

from __future__ import annotations

from aiogram import Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, ForceReply, Message
from aiogram_i18n import I18nContext

from bot.i18n import tr
from bot.services.model_lookup import catalogue_snapshot
from bot.telegram.image_job import ImageJob, ImageStudio
from bot.telegram.photos import photo_caption, send_original
from bot.telegram.picture_keyboard import UPSCALE_RESOLUTIONS, PictureAction, PictureButton
from bot.telegram.replies import reply_parameters
from bot.telegram.usage_texts import limit_text
from handlers.image import CATALOGUE_WAIT_SECONDS, ImagePrompt, forget_prompt, new_seed, start_job
from storage.pictures import StoredPicture


async def on_picture_button(
    query: CallbackQuery,
    callback_data: PictureButton,
    state: FSMContext,
    studio: ImageStudio,
    i18n: I18nContext,
) -> None:
    stored = await studio.pictures.get(callback_data.picture)
    if stored is not None and stored.request.user_id != query.from_user.id:
        await query.answer(tr(i18n, "image-not-yours"))
        return
    message = query.message
    if stored is None or not isinstance(message, Message):
        await query.answer(tr(i18n, "image-picture-gone"), show_alert=True)
        return
    match callback_data.action:
        case PictureAction.ORIGINAL:
            await query.answer()
            await send_original(
                message, stored.data, stored.mime_type, photo_caption(stored.request.prompt)
            )
        case PictureAction.CHANGE:
            await query.answer()
            await _ask_for_change(message, stored, state, studio, i18n)
        case PictureAction.AGAIN:
            await _draw(query, message, stored, None, studio, i18n)
        case PictureAction.RESOLUTION:
            await _draw(query, message, stored, callback_data.value, studio, i18n)


async def _ask_for_change(
    message: Message,
    stored: StoredPicture,
    state: FSMContext,
    studio: ImageStudio,
    i18n: I18nContext,
) -> None:
    await forget_prompt(state, studio.bot, message.chat.id)
    await message.answer(
        tr(i18n, "image-ask-edit"),
        reply_markup=ForceReply(input_field_placeholder=i18n.get("image-edit-placeholder")),
        reply_parameters=reply_parameters(message),
    )
    await state.set_state(ImagePrompt.change)
    await state.set_data({"picture": stored.id})


async def _draw(
    query: CallbackQuery,
    message: Message,
    stored: StoredPicture,
    resolution: str | None,
    studio: ImageStudio,
    i18n: I18nContext,
) -> None:
    """🔄 (resolution None): the same request with a new seed. 2K / 4K: the same picture
    (same seed) at that resolution."""
    asked = stored.request
    snapshot = await catalogue_snapshot(studio.catalogue, CATALOGUE_WAIT_SECONDS)
    info = snapshot.get(asked.model) if snapshot is not None else None
    if resolution is not None and (
        resolution not in UPSCALE_RESOLUTIONS
        or (info is not None and resolution not in info.image_resolutions)
    ):
        await query.answer(tr(i18n, "image-picture-gone"), show_alert=True)
        return
    if studio.image_jobs.busy(query.from_user.id):
        await query.answer(tr(i18n, "image-busy"), show_alert=True)
        return
    # A press is not a message, so it takes its rate-limit slot here.
    verdict = await studio.spending_guard.take_rate_slot(query.from_user.id)
    if verdict is not None:
        await query.answer(limit_text(i18n, verdict), show_alert=True)
        return
    await query.answer(tr(i18n, "image-button-started"))
    job = ImageJob(
        message=message,
        user_id=query.from_user.id,
        prompt=asked.prompt,
        ratio=asked.aspect_ratio,
        model=asked.model,
        i18n=i18n,
        sources=asked.sources,
        count=asked.variants if resolution is None else 1,
        seed=new_seed(info) if resolution is None else asked.seed,
        resolution=resolution or asked.resolution,
    )
    await start_job(job, studio)


def create_router() -> Router:
    router = Router(name=__name__)
    router.callback_query.register(on_picture_button, PictureButton.filter())
    return router
