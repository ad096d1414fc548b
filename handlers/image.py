"""/image [ratio] <prompt>: draw a picture with the user's image model and send it as a photo.

Drawing runs as a background job per user (`UserJobs`), outside the conversation lock: the
user can go on chatting meanwhile, and a second /image is refused at once instead of queueing
behind the first and paying twice. `/image` alone asks for the prompt (an FSM state).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from aiogram_i18n import I18nContext

from bot.i18n import tr
from bot.services.images import DEFAULT_ASPECT_RATIOS, DEFAULT_PROMPT_LIMIT, parse_image_request
from bot.services.model_choice import image_model_for
from bot.services.model_lookup import catalogue_snapshot
from bot.services.running import RunningAnswers
from bot.telegram.addressing import Addressing
from bot.telegram.image_job import ImageJob, ImageStudio
from bot.telegram.photos import utf16_len
from bot.telegram.replies import reply_to as answer
from bot.telegram.usage_texts import limit_text
from storage import ConversationKey, UserRecord

# How long a request may wait for a first catalogue fetch before using the default limits.
CATALOGUE_WAIT_SECONDS = 3.0


class ImagePrompt(StatesGroup):
    waiting = State()


class CancelPrompt(CallbackData, prefix="imgcancel"):
    user_id: int


@dataclass(frozen=True)
class ModelLimits:
    ratios: tuple[str, ...]
    prompt_limit: int


async def on_image(
    message: Message,
    command: CommandObject,
    state: FSMContext,
    studio: ImageStudio,
    i18n: I18nContext,
    user_record: UserRecord | None = None,
) -> None:
    await _forget_prompt(state, studio.bot, message.chat.id)
    await _request(message, command.args or "", None, state, studio, i18n, user_record)


async def on_cancel(
    message: Message,
    state: FSMContext,
    bot: Bot,
    conversation: ConversationKey,
    running_answers: RunningAnswers,
    i18n: I18nContext,
) -> None:
    """Cancels a pending /image prompt and stops an answer being written, whichever exists."""
    stopped = running_answers.stop(conversation)
    if await _forget_prompt(state, bot, message.chat.id):
        await answer(message, tr(i18n, "image-cancelled"))
    elif not stopped:
        await answer(message, tr(i18n, "image-nothing-to-cancel"))


async def on_cancel_button(
    query: CallbackQuery, callback_data: CancelPrompt, state: FSMContext, i18n: I18nContext
) -> None:
    pending = await state.get_state() == ImagePrompt.waiting.state
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
    ratio = (await state.get_data()).get("ratio")
    await _forget_prompt(state, studio.bot, message.chat.id)
    # In groups the text comes without the bot's @mention.
    text = addressing.text if addressing is not None else message.text or ""
    await _request(message, text, ratio, state, studio, i18n, user_record)


async def _request(
    message: Message,
    text: str,
    ratio: str | None,
    state: FSMContext,
    studio: ImageStudio,
    i18n: I18nContext,
    user_record: UserRecord | None,
) -> None:
    """Check a request and start drawing it, or ask for the missing prompt."""
    user = message.from_user
    if user is None:
        return
    if studio.image_jobs.busy(user.id):
        await answer(message, tr(i18n, "image-busy"))
        return
    model = await _model(message, user_record, studio, i18n)
    limits = await _limits(studio, model)
    if ratio is None:
        try:
            ratio, text = parse_image_request(text, limits.ratios)
        except ValueError:
            await answer(message, _ratio_refusal(i18n, text.split()[0], model, limits))
            return
    prompt = text.strip()
    if not prompt:
        await _ask_for_prompt(message, state, ratio, i18n, model, limits)
        return
    length = utf16_len(prompt)
    if length > limits.prompt_limit:
        refusal = tr(
            i18n, "image-prompt-too-long", length=length, limit=limits.prompt_limit, model=model
        )
        await answer(message, refusal)
        return
    verdict = await studio.spending_guard.check(user.id)
    if verdict is not None:
        await answer(message, limit_text(i18n, verdict))
        return
    job = ImageJob(message=message, prompt=prompt, ratio=ratio, model=model, i18n=i18n)
    if not studio.image_jobs.start(user.id, lambda: studio.run(job), name=f"image-{user.id}"):
        await answer(message, tr(i18n, "image-busy"))


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
        return ModelLimits(DEFAULT_ASPECT_RATIOS, DEFAULT_PROMPT_LIMIT)
    return ModelLimits(info.aspect_ratios, info.prompt_limit or DEFAULT_PROMPT_LIMIT)


def _ratio_refusal(i18n: I18nContext, ratio: str, model: str, limits: ModelLimits) -> str:
    if not limits.ratios:
        return tr(i18n, "image-no-ratios", model=model)
    return tr(i18n, "image-bad-ratio", ratio=ratio, model=model, ratios=" ".join(limits.ratios))


async def _ask_for_prompt(
    message: Message,
    state: FSMContext,
    ratio: str | None,
    i18n: I18nContext,
    model: str,
    limits: ModelLimits,
) -> None:
    text = tr(i18n, "image-ask-prompt", model=model)
    if ratio is None and limits.ratios:
        text += "\n" + tr(i18n, "image-ratio-hint", ratios=" ".join(limits.ratios))
    user_id = message.from_user.id if message.from_user else 0
    asked = await answer(message, text, _cancel_keyboard(i18n, user_id))
    await state.set_state(ImagePrompt.waiting)
    await state.set_data({"ratio": ratio, "asked_id": asked.message_id})


def _cancel_keyboard(i18n: I18nContext, user_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(
        text=tr(i18n, "image-cancel-button"), callback_data=CancelPrompt(user_id=user_id)
    )
    return builder.as_markup()


async def _forget_prompt(state: FSMContext, bot: Bot, chat_id: int) -> bool:
    """Drop a pending prompt request and its Cancel button; whether there was one."""
    if await state.get_state() != ImagePrompt.waiting.state:
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
    router.message.register(on_prompt, ImagePrompt.waiting, F.text, ~F.text.startswith("/"))
    return router
