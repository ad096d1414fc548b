"""/image [count] [ratio] <prompt>: draw pictures with the user's image model.

With a photo (an image file, an album), or as a reply to a picture, the pictures go along as
references: "make it blue" edits them. Drawing runs as a background job per user
(`UserJobs`), outside the conversation lock: the user can go on chatting meanwhile, and a
second request is refused at once instead of queueing behind the first and paying twice.
`/image` alone asks for the prompt (an FSM state).
"""

from __future__ import annotations

import contextlib
import secrets
from dataclasses import dataclass

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from aiogram_i18n import I18nContext

from bot.i18n import tr
from bot.services.catalogue import ModelInfo, ModelKind
from bot.services.images import (
    DEFAULT_ASPECT_RATIOS,
    DEFAULT_PROMPT_LIMIT,
    UnsupportedRatio,
    parse_picture_request,
)
from bot.services.model_choice import choose_model, image_model_for
from bot.services.model_lookup import catalogue_snapshot
from bot.services.running import RunningAnswers
from bot.telegram.addressing import Addressing
from bot.telegram.albums import PendingAlbum
from bot.telegram.image_job import ImageJob, ImageStudio
from bot.telegram.image_offer import (
    PendingImageRequest,
    ReferenceSwitch,
    reference_model,
    switch_markup,
)
from bot.telegram.photos import utf16_len
from bot.telegram.references import message_sources, picture_source, reply_sources
from bot.telegram.replies import reply_to as answer
from bot.telegram.usage_texts import limit_text
from storage import ConversationKey, UserRecord

# How long a request may wait for a first catalogue fetch before using the default limits.
CATALOGUE_WAIT_SECONDS = 3.0
SEED_LIMIT = 2**31 - 1  # Seedream's documented range is 0..2147483647


class ImagePrompt(StatesGroup):
    waiting = State()  # /image alone: the next message is the prompt
    change = State()  # ✏️ under a picture: the next message says what to change


class CancelPrompt(CallbackData, prefix="imgcancel"):
    user_id: int


@dataclass(frozen=True)
class ModelLimits:
    ratios: tuple[str, ...]
    prompt_limit: int
    info: ModelInfo | None


@dataclass(frozen=True)
class Asked:
    """A request as the user sent it, before it is checked."""

    message: Message
    user_id: int
    text: str
    ratio: str | None = None
    count: int | None = None
    sources: tuple[str, ...] = ()


async def on_image(
    message: Message,
    command: CommandObject,
    state: FSMContext,
    studio: ImageStudio,
    i18n: I18nContext,
    user_record: UserRecord | None = None,
    album: PendingAlbum | None = None,
) -> None:
    await forget_prompt(state, studio.bot, message.chat.id)
    if message.from_user is None:
        return
    sources = await _sources(message, album, studio)
    asked = Asked(message, message.from_user.id, command.args or "", sources=tuple(sources))
    await request_picture(asked, state, studio, i18n, user_record)


async def _sources(message: Message, album: PendingAlbum | None, studio: ImageStudio) -> list[str]:
    """The pictures a request names: its own (with its album's), else the one it replies to."""
    limit = studio.references.limit_bytes
    parts = await album.complete() if album is not None else [message]
    own = [source for part in parts for source in message_sources(part, limit)]
    if own:
        return own
    return await reply_sources(message, studio.bot.id, studio.pictures, limit)


async def on_cancel(
    message: Message,
    state: FSMContext,
    bot: Bot,
    conversation: ConversationKey,
    running_answers: RunningAnswers,
    i18n: I18nContext,
) -> None:
    """Cancels a pending /image prompt and stops an answer being written, whichever exists."""
    stopped = await running_answers.stop_anywhere(conversation)
    if await forget_prompt(state, bot, message.chat.id):
        await answer(message, tr(i18n, "image-cancelled"))
    elif not stopped:
        await answer(message, tr(i18n, "image-nothing-to-cancel"))


async def on_cancel_button(
    query: CallbackQuery, callback_data: CancelPrompt, state: FSMContext, i18n: I18nContext
) -> None:
    pending = await state.get_state() in (ImagePrompt.waiting.state, ImagePrompt.change.state)
    if query.from_user.id != callback_data.user_id or not pending:
        await query.answer(tr(i18n, "image-nothing-to-cancel"))
        return
    await state.clear()
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.edit_text(tr(i18n, "image-cancelled"))


async def on_prompt(
    message: Message,
    state: FSMContext,
    studio: ImageStudio,
    i18n: I18nContext,
    user_record: UserRecord | None = None,
    addressing: Addressing | None = None,
) -> None:
    """The message after `/image` alone (or after ✏️): the prompt of the request."""
    data = await state.get_data()
    changing = await state.get_state() == ImagePrompt.change.state
    await forget_prompt(state, studio.bot, message.chat.id)
    if message.from_user is None:
        return
    # In groups the text comes without the bot's @mention.
    text = addressing.text if addressing is not None else message.text or ""
    sources = data.get("sources") or []
    if changing and isinstance(data.get("picture"), int):
        sources = [picture_source(data["picture"])]
    asked = Asked(
        message,
        message.from_user.id,
        text,
        ratio=data.get("ratio"),
        count=data.get("count"),
        sources=tuple(sources),
    )
    await request_picture(asked, state, studio, i18n, user_record, parse=not changing)


async def request_picture(
    asked: Asked,
    state: FSMContext | None,
    studio: ImageStudio,
    i18n: I18nContext,
    user_record: UserRecord | None,
    *,
    model: str | None = None,
    parse: bool = True,
) -> None:
    """Check a request and start drawing it, or ask for what is missing."""
    message = asked.message
    if studio.image_jobs.busy(asked.user_id):
        await answer(message, tr(i18n, "image-busy"))
        return
    model = model or await _model(message, user_record, studio, i18n)
    limits = await _limits(studio, model)
    ratio, count, text = asked.ratio, asked.count, asked.text
    if parse and ratio is None and count is None:
        try:
            parsed = parse_picture_request(text, limits.ratios)
        except UnsupportedRatio as error:
            await answer(message, _ratio_refusal(i18n, error.ratio, model, limits))
            return
        ratio, count, text = parsed.ratio, parsed.count, parsed.prompt
    prompt = text.strip()
    if not prompt:
        if state is not None:
            await _ask_for_prompt(asked, state, ratio, count, i18n, model, limits)
        return
    length = utf16_len(prompt)
    if length > limits.prompt_limit:
        refusal = tr(
            i18n, "image-prompt-too-long", length=length, limit=limits.prompt_limit, model=model
        )
        await answer(message, refusal)
        return
    info = limits.info
    sources = asked.sources
    if sources and info is not None and info.max_references < len(sources):
        pending = PendingImageRequest(message, asked.user_id, prompt, ratio, count or 1, sources)
        await _offer_switch(pending, studio, i18n, model, info)
        return
    wanted = count or 1
    most = info.max_images if info is not None else 1
    if wanted > most:
        await answer(
            message, tr(i18n, "image-count-clamped", asked=wanted, most=most, model=model)
        )
        wanted = most
    job = ImageJob(
        message=message,
        user_id=asked.user_id,
        prompt=prompt,
        ratio=ratio,
        model=model,
        i18n=i18n,
        sources=sources,
        count=wanted,
        seed=new_seed(info),
    )
    await start_job(job, studio)


def new_seed(info: ModelInfo | None) -> int | None:
    """A seed of our own where the model takes one, so that 2K / 4K can draw the same
    picture again; None leaves it to the model."""
    return secrets.randbelow(SEED_LIMIT) if info is not None and info.accepts_seed else None


async def start_job(job: ImageJob, studio: ImageStudio) -> None:
    verdict = await studio.spending_guard.check(job.user_id)
    if verdict is not None:
        await answer(job.message, limit_text(job.i18n, verdict))
        return
    started = studio.image_jobs.start(
        job.user_id, lambda: studio.run(job), name=f"image-{job.user_id}"
    )
    if not started:
        await answer(job.message, tr(job.i18n, "image-busy"))


async def _offer_switch(
    pending: PendingImageRequest,
    studio: ImageStudio,
    i18n: I18nContext,
    model: str,
    info: ModelInfo,
) -> None:
    count = len(pending.sources)
    snapshot = studio.catalogue.cached()
    suggestion = reference_model(snapshot, studio.settings.default_image_model, count)
    if info.max_references > 0:
        text = tr(i18n, "image-too-many-references", model=model, most=info.max_references)
    else:
        text = tr(i18n, "image-no-references", model=model)
    suggested = snapshot.get(suggestion) if snapshot is not None and suggestion else None
    if suggested is None:
        await answer(pending.message, text)
        return
    token = studio.offers.put(pending)
    data = ReferenceSwitch(user_id=pending.user_id, model=suggested.key, token=token)
    # Button labels are plain text, so no HTML escaping here.
    label = i18n.get("image-switch-button", name=suggested.name)
    text += "\n" + tr(i18n, "image-switch-offer", suggested=suggested.id)
    await answer(pending.message, text, switch_markup(data, label))


async def on_reference_switch(
    query: CallbackQuery,
    callback_data: ReferenceSwitch,
    studio: ImageStudio,
    i18n: I18nContext,
    user_record: UserRecord | None = None,
) -> None:
    user_id = query.from_user.id
    if user_id != callback_data.user_id or user_record is None:
        await query.answer(tr(i18n, "image-not-yours"))
        return
    snapshot = await catalogue_snapshot(studio.catalogue, CATALOGUE_WAIT_SECONDS)
    info = snapshot.by_key(callback_data.model) if snapshot is not None else None
    if info is None or info.kind is not ModelKind.IMAGE or info.max_references == 0:
        await query.answer(tr(i18n, "image-switch-expired"))
        return
    await choose_model(studio.users, user_id, info)
    pending = studio.offers.pop(callback_data.token, user_id)
    await query.answer()
    done = "image-switched" if pending is not None else "image-switched-resend"
    if isinstance(query.message, Message):
        with contextlib.suppress(TelegramBadRequest):
            await query.message.edit_text(tr(i18n, done, model=info.id), reply_markup=None)
    if pending is None:
        return
    asked = Asked(
        pending.message,
        user_id,
        pending.prompt,
        ratio=pending.ratio,
        count=pending.count,
        sources=pending.sources,
    )
    await request_picture(asked, None, studio, i18n, user_record, model=info.id, parse=False)


async def _model(
    message: Message, user_record: UserRecord | None, studio: ImageStudio, i18n: I18nContext
) -> str:
    """The user's image model; they are told once if their choice has left the catalogue."""
    if user_record is None:
        return studio.settings.default_image_model
    resolved = await image_model_for(user_record, studio.catalogue, studio.settings, studio.users)
    if resolved.replaced is not None:
        await answer(
            message, tr(i18n, "image-model-gone", old=resolved.replaced, model=resolved.id)
        )
    return resolved.id


async def _limits(studio: ImageStudio, model: str) -> ModelLimits:
    """The model's ratios and prompt limit from the catalogue; defaults when it is unknown."""
    snapshot = await catalogue_snapshot(studio.catalogue, CATALOGUE_WAIT_SECONDS)
    info = snapshot.get(model) if snapshot is not None else None
    if info is None:
        return ModelLimits(DEFAULT_ASPECT_RATIOS, DEFAULT_PROMPT_LIMIT, None)
    return ModelLimits(info.aspect_ratios, info.prompt_limit or DEFAULT_PROMPT_LIMIT, info)


def _ratio_refusal(i18n: I18nContext, ratio: str, model: str, limits: ModelLimits) -> str:
    if not limits.ratios:
        return tr(i18n, "image-no-ratios", model=model)
    return tr(i18n, "image-bad-ratio", ratio=ratio, model=model, ratios=" ".join(limits.ratios))


async def _ask_for_prompt(
    asked: Asked,
    state: FSMContext,
    ratio: str | None,
    count: int | None,
    i18n: I18nContext,
    model: str,
    limits: ModelLimits,
) -> None:
    key = "image-ask-change" if asked.sources else "image-ask-prompt"
    text = tr(i18n, key, model=model)
    if ratio is None and limits.ratios:
        text += "\n" + tr(i18n, "image-ratio-hint", ratios=" ".join(limits.ratios))
    asked_message = await answer(asked.message, text, cancel_keyboard(i18n, asked.user_id))
    await state.set_state(ImagePrompt.waiting)
    await state.set_data(
        {
            "ratio": ratio,
            "count": count,
            "sources": list(asked.sources),
            "asked_id": asked_message.message_id,
        }
    )


def cancel_keyboard(i18n: I18nContext, user_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(
        text=tr(i18n, "image-cancel-button"), callback_data=CancelPrompt(user_id=user_id)
    )
    return builder.as_markup()


async def forget_prompt(state: FSMContext, bot: Bot, chat_id: int) -> bool:
    """Drop a pending prompt request and its Cancel button; whether there was one."""
    if await state.get_state() not in (ImagePrompt.waiting.state, ImagePrompt.change.state):
        return False
    asked_id = (await state.get_data()).get("asked_id")
    await state.clear()
    if isinstance(asked_id, int):
        # The message may be gone or have no buttons any more; neither matters.
        with contextlib.suppress(TelegramBadRequest):
            await bot.edit_message_reply_markup(chat_id=chat_id, message_id=asked_id)
    return True


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(on_image, Command("image"))
    router.message.register(on_cancel, Command("cancel"))
    router.callback_query.register(on_cancel_button, CancelPrompt.filter())
    router.callback_query.register(on_reference_switch, ReferenceSwitch.filter())
    router.message.register(
        on_prompt,
        StateFilter(ImagePrompt.waiting, ImagePrompt.change),
        F.text,
        ~F.text.startswith("/"),
    )
    return router
