"""/video: a clip from a prompt, or a photo brought to life; the price is confirmed first."""

from __future__ import annotations

import contextlib
import logging
import math
from decimal import Decimal

from aiogram import Router
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from aiogram_i18n import I18nContext, I18nMiddleware

from bot.i18n import tr
from bot.services.catalogue import ModelInfo
from bot.services.limits import LimitExceeded
from bot.services.model_choice import video_model_for
from bot.services.model_lookup import catalogue_snapshot
from bot.services.pictures import PictureError
from bot.services.usage import rub_amount
from bot.services.video import (
    VideoOptions,
    VideoRequest,
    VideoRequestError,
    parse_video_request,
    video_estimate,
)
from bot.telegram.attachments import FileKind, attachments_of, download
from bot.telegram.downloads import FileTooBig
from bot.telegram.photos import utf16_len
from bot.telegram.replies import reply_to
from bot.telegram.usage_texts import limit_text
from bot.telegram.video_job import VideoStudio
from bot.telegram.video_offers import VideoAction, VideoButton, VideoOffer
from storage import UserRecord

logger = logging.getLogger(__name__)

CATALOGUE_WAIT_SECONDS = 5.0
MB = 1024 * 1024
# What a photo sent with a bare /video is animated with: the user gave no words.
ANIMATE_PROMPT = "Bring this picture to life with natural, gentle motion."


async def on_video(
    message: Message,
    command: CommandObject,
    video_studio: VideoStudio,
    i18n: I18nContext,
    user_record: UserRecord | None = None,
) -> None:
    user = message.from_user
    if user is None or user_record is None:
        return
    studio = video_studio
    if studio.jobs.busy(user.id):
        await reply_to(message, tr(i18n, "video-busy"))
        return
    resolved = await video_model_for(user_record, studio.catalogue, studio.settings, studio.users)
    if resolved.replaced is not None:
        await reply_to(
            message, tr(i18n, "video-model-gone", old=resolved.replaced, model=resolved.id)
        )
    info = await _info(studio, resolved.id)
    options = VideoOptions.of(info)
    try:
        request = parse_video_request(command.args or "", options)
    except VideoRequestError as error:
        await reply_to(message, _refusal(i18n, error, resolved.id))
        return
    frame_source = _frame_source(message)
    if not request.prompt and frame_source is None:
        await reply_to(message, _help(i18n, resolved.id, options))
        return
    if not request.prompt:
        request = VideoRequest(ANIMATE_PROMPT, request.ratio, request.duration)
    length = utf16_len(request.prompt)
    if length > options.prompt_limit:
        refusal = tr(
            i18n,
            "video-prompt-too-long",
            length=length,
            limit=options.prompt_limit,
            model=resolved.id,
        )
        await reply_to(message, refusal)
        return
    estimate = video_estimate(info, request.duration)
    # The limits as Confirm will meet them (budgets, MAX_REQUEST_COST_RUB), told before the
    # price rather than after it; nothing stays held while the user decides.
    worst = estimate if estimate is not None else Decimal(str(studio.settings.unknown_price_rub))
    try:
        await (await studio.spending_guard.reserve(user.id, worst)).release()
    except LimitExceeded as refusal:
        await reply_to(message, limit_text(i18n, refusal.verdict))
        return
    start_frame: bytes | None = None
    if frame_source is not None:
        start_frame = await _start_frame(frame_source, studio, i18n)
        if start_frame is None:
            return
    offer = studio.offers.open(
        user_id=user.id,
        message=message,
        request=request,
        model=resolved.id,
        estimate=estimate,
        start_frame=start_frame,
    )
    minutes = math.ceil(studio.settings.video_confirm_seconds / 60)
    text = _offer_text(i18n, offer, info, minutes)
    await reply_to(message, text, _offer_keyboard(i18n, offer))


async def on_video_button(
    query: CallbackQuery,
    callback_data: VideoButton,
    video_studio: VideoStudio,
    i18n: I18nContext,
) -> None:
    if query.from_user.id != callback_data.user_id:
        await query.answer(tr(i18n, "video-not-yours"), show_alert=True)
        return
    studio = video_studio
    confirm = callback_data.action is VideoAction.CONFIRM
    if confirm and studio.jobs.busy(callback_data.user_id):
        await query.answer(tr(i18n, "video-busy"), show_alert=True)
        return
    offer = studio.offers.take(callback_data.user_id, callback_data.token)
    if offer is None:
        await query.answer(tr(i18n, "video-offer-expired"), show_alert=True)
        await _close_offer(query, None)
        return
    if not confirm:
        await query.answer()
        await _close_offer(query, tr(i18n, "video-cancelled"))
        return
    if not studio.start(offer, i18n):  # a job started between the check and here
        await query.answer(tr(i18n, "video-busy"), show_alert=True)
        return
    await query.answer(tr(i18n, "video-started-short"))
    await _close_offer(query, tr(i18n, "video-started", seconds=offer.request.duration))


async def _close_offer(query: CallbackQuery, text: str | None) -> None:
    """The offer's buttons go; with `text`, the message says what became of it."""
    message = query.message
    if not isinstance(message, Message):
        return
    with contextlib.suppress(TelegramBadRequest):
        if text is None:
            await message.edit_reply_markup(reply_markup=None)
        else:
            await message.edit_text(text, reply_markup=None)


async def _info(studio: VideoStudio, model: str) -> ModelInfo | None:
    snapshot = await catalogue_snapshot(studio.catalogue, CATALOGUE_WAIT_SECONDS)
    return snapshot.get(model) if snapshot is not None else None


def _frame_source(message: Message) -> Message | None:
    """The message whose picture is the first frame: this one, or the one replied to."""
    for candidate in (message, message.reply_to_message):
        if candidate is None:
            continue
        if candidate.photo or (
            candidate.document and (candidate.document.mime_type or "").startswith("image/")
        ):
            return candidate
    return None


async def _start_frame(source: Message, studio: VideoStudio, i18n: I18nContext) -> bytes | None:
    """The normalised picture (never its Telegram URL: that holds the bot token)."""
    limit = studio.settings.max_download_mb * MB
    attachments = [a for a in attachments_of(source, limit) if a.kind is FileKind.IMAGE]
    if not attachments:
        await reply_to(source, tr(i18n, "video-photo-unreadable"))
        return None
    try:
        data = await download(studio.bot, attachments[0])
        return await studio.pictures.normalise(data)
    except FileTooBig as error:
        await reply_to(source, tr(i18n, "video-photo-too-big", limit=error.limit_bytes // MB))
    except PictureError:
        await reply_to(source, tr(i18n, "video-photo-unreadable"))
    except TelegramAPIError as error:
        logger.info("Could not download the start frame: %s", error)
        await reply_to(source, tr(i18n, "video-photo-unreadable"))
    return None


def _refusal(i18n: I18nContext, error: VideoRequestError, model: str) -> str:
    key = "video-bad-ratio" if error.what == "ratio" else "video-bad-duration"
    return tr(i18n, key, value=error.value, model=model, allowed=" ".join(error.allowed))


def _help(i18n: I18nContext, model: str, options: VideoOptions) -> str:
    return tr(
        i18n,
        "video-help",
        model=model,
        ratios=" ".join(options.ratios),
        durations=" ".join(f"{d}s" for d in options.durations),
        duration=options.default_duration,
    )


def _offer_text(i18n: I18nContext, offer: VideoOffer, info: ModelInfo | None, minutes: int) -> str:
    request = offer.request
    lines = [
        tr(
            i18n,
            "video-offer",
            name=info.name if info is not None else offer.model,
            model=offer.model,
            seconds=request.duration,
            ratio=request.ratio or "-",
            frame="yes" if offer.start_frame is not None else "no",
        ),
        tr(i18n, "video-offer-prompt", prompt=request.prompt),
    ]
    if offer.estimate is not None and info is not None:
        per_second = info.pricing.video_per_second or Decimal(0)
        lines.append(
            tr(
                i18n,
                "video-offer-price",
                price=rub_amount(offer.estimate),
                per_second=rub_amount(per_second),
            )
        )
    else:
        lines.append(tr(i18n, "video-offer-price-unknown"))
    lines.append(tr(i18n, "video-offer-expires", minutes=minutes))
    return "\n".join(lines)


def _offer_keyboard(i18n: I18nContext, offer: VideoOffer) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    buttons = ((VideoAction.CONFIRM, "video-confirm"), (VideoAction.CANCEL, "video-cancel"))
    for action, key in buttons:
        data = VideoButton(action=action, user_id=offer.user_id, token=offer.token)
        builder.button(text=tr(i18n, key), callback_data=data)
    return builder.as_markup()


async def on_startup(video_studio: VideoStudio, i18n_middleware: I18nMiddleware) -> None:
    """Clips a restart interrupted are waited for again and sent when ready."""

    def i18n_for(language: str) -> I18nContext:
        return i18n_middleware.new_context(locale=language, data={})

    resumed = await video_studio.resume_unfinished(i18n_for)
    if resumed:
        logger.info("Resuming %d video job(s) from before the restart", resumed)


def create_router() -> Router:
    router = Router(name=__name__)
    router.startup.register(on_startup)
    router.message.register(on_video, Command("video"))
    router.callback_query.register(on_video_button, VideoButton.filter())
    return router
