"""One turn, one place: everything a handler needs to answer a user with the model.

Handlers parse the update and call the `Responder`: it applies the limits, resolves the model
and the prompt, streams the answer into the chat, adds the notes and the cost line, and tells
the user what went wrong when something did. The call itself is metered by the Polza gateway.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from aiogram import Bot
from aiogram.enums import ChatType
from aiogram.exceptions import TelegramAPIError, TelegramForbiddenError
from aiogram.types import InlineKeyboardMarkup, Message
from aiogram_i18n import I18nContext

from bot.bounded import PendingByToken
from bot.config import Settings
from bot.i18n import polza_error_text, tr
from bot.inbox_receipt import current_receipt
from bot.services.catalogue import ModelCatalogue
from bot.services.chat import ChatOutcome, ChatService, Question, Redo
from bot.services.context import FileData
from bot.services.limits import LimitVerdict, SpendingGuard
from bot.services.model_choice import ModelResolver, ResolvedModel
from bot.services.modes import CUSTOM, compose_system_prompt, mode_of
from bot.services.running import RunningAnswers
from bot.services.usage import UsageService
from bot.telegram.answer_keyboard import (
    CONTINUE,
    AnswerButtons,
    answer_keyboard,
    press_is_current,
    replaced_keyboard,
)
from bot.telegram.formatting import close_open_fence, open_fence_at_end
from bot.telegram.replies import reply_to, topic_of
from bot.telegram.sources import sources_block
from bot.telegram.stop_button import stop_markup
from bot.telegram.streaming import TelegramAnswer
from bot.telegram.usage_texts import cost_line, limit_text
from bot.telegram.vision_offer import PendingMedia
from bot.telegram.voice_replies import VoiceReplies, speaks
from storage import ConversationKey, ImageData, UserRecord

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Turn:
    """One user's message and who sent it: what every answer is addressed to."""

    message: Message
    conversation: ConversationKey
    user: UserRecord
    i18n: I18nContext
    update_id: int | None = None

    def text(self, key: str, **params: object) -> str:
        return tr(self.i18n, key, **params)

    async def say(self, text: str, markup: InlineKeyboardMarkup | None = None) -> Message:
        return await reply_to(self.message, text, markup)

    async def refuse(self, verdict: LimitVerdict) -> None:
        await self.say(limit_text(self.i18n, verdict))


class Responder:
    """Answers turns with the model; built once, injected into handlers as `responder`."""

    def __init__(
        self,
        *,
        bot: Bot,
        settings: Settings,
        chat_service: ChatService,
        models: ModelResolver,
        spending_guard: SpendingGuard,
        usage: UsageService,
        running_answers: RunningAnswers,
        catalogue: ModelCatalogue,
        pending_media: PendingByToken[PendingMedia],
        voice_replies: VoiceReplies | None = None,
    ) -> None:
        self.bot = bot
        self.settings = settings
        self.chat_service = chat_service
        self.models = models
        self.spending_guard = spending_guard
        self.usage = usage
        self.running_answers = running_answers
        self.catalogue = catalogue
        self.pending_media = pending_media
        self.voice_replies = voice_replies

    async def within_limits(self, turn: Turn) -> bool:
        """False (after telling the user) when a limit already refuses any new request."""
        verdict = await self.spending_guard.check(turn.conversation.user_id)
        if verdict is None:
            return True
        await turn.refuse(verdict)
        return False

    async def resend_stored(self, turn: Turn) -> bool:
        """Deliver the stored answer of a replayed update; False when none was stored.

        After a crash between storing an answer and delivering it, the update is handled
        again: the user gets the answer that was paid for, and Polza is not asked twice.
        """
        if turn.update_id is None:
            return False
        stored = await self.chat_service.stored_answer(turn.update_id)
        if stored is None:
            return False
        if stored.delivered:
            # Cut off after delivering, before the update was marked handled: sent already.
            logger.info("Update %s was answered and delivered before a restart", turn.update_id)
            return True
        logger.info("Update %s was answered before a restart; resending", turn.update_id)
        answer = self._telegram_answer(turn)
        try:
            await answer.finish(stored.text)
        except TelegramForbiddenError:
            logger.info("Chat %s no longer accepts messages", turn.message.chat.id)
        return True

    async def chat_model(self, turn: Turn) -> ResolvedModel:
        """The user's chat model; tells them once when their chosen one left the catalogue."""
        resolved = await self.models.chat(turn.user)
        if resolved.replaced is not None:
            await turn.say(
                turn.text("model-missing", missing=resolved.replaced, fallback=resolved.id)
            )
        return resolved

    async def answer(
        self,
        turn: Turn,
        user_text: str,
        *,
        images: Sequence[ImageData] = (),
        model: str | None = None,
        web_search: bool | None = None,
        files: Sequence[FileData] = (),
        stored_text: str | None = None,
        redo: Redo | None = None,
        editable: bool = True,
        voice_input: bool = False,
    ) -> ChatOutcome | None:
        """Stream the model's answer to `user_text`; None if the chat no longer accepts us.

        The user can stop it: the draft's own stop button, the Stop button on an edited
        message, or /stop. What had arrived by then stays as the answer, marked as stopped.
        When the model cannot take the images, nothing is said here: the caller offers a
        switch. `web_search`: answer with web search (None: as the user chose with /search);
        `files` go as file parts and history keeps `stored_text` instead of `user_text`.
        With `redo`, the conversation's latest answer is answered again (regenerate, an
        edited question) or continued. `editable`: an edit of the user's message (the turn's
        only one) answers it again.
        """
        question = Question(
            user_text=user_text,
            model=model or (await self.chat_model(turn)).id,
            system_prompt=self.system_prompt(turn),
            images=images,
            reasoning_effort=turn.user.reasoning_effort,
            update_id=turn.update_id,
            web_search=turn.user.web_search if web_search is None else web_search,
            files=files,
            stored_text=stored_text,
            message_id=turn.message.message_id if editable and redo is None else None,
            redo=redo,
        )
        conversation = turn.conversation
        reopen = ""
        if redo is not None and redo.continues:
            reopen = open_fence_at_end(redo.answer.content) or ""
        answer = self._telegram_answer(turn, reopen_fence=reopen)
        stop = self.running_answers.start(conversation)
        answer.start_typing()
        try:
            outcome = await self.chat_service.reply(conversation, question, sink=answer, stop=stop)
            self.running_answers.finish(conversation, stop)
            if outcome.text.strip():
                spoken = speaks(turn.user.voice_replies, voice_input=voice_input)
                markup = None
                if outcome.answer_id is not None:
                    buttons = AnswerButtons(
                        outcome.answer_id,
                        can_continue=outcome.cut,
                        can_speak=self._speakable(spoken),
                    )
                    markup = answer_keyboard(buttons, turn.text)
                final = await self._final_text(turn, outcome, question.model, reopen)
                message_id = await answer.finish(final, markup)
                await self._settle_buttons(turn, outcome, message_id)
                if spoken and not outcome.stopped:
                    await self._speak(turn, outcome.text)
            else:
                await answer.discard()
                await self._explain_failure(turn, outcome, question.model)
        except TelegramForbiddenError:
            # Blocked by the user or removed from the group mid-answer: nobody to tell.
            logger.info("Chat %s no longer accepts messages; answer dropped", turn.message.chat.id)
            return None
        finally:
            self.running_answers.finish(conversation, stop)
            await answer.stop_typing()
        return outcome

    def system_prompt(self, turn: Turn) -> str:
        """Default guidance + the /mode preset (in the user's language) + their /prompt."""
        mode = mode_of(turn.user.chat_mode)
        preset = turn.i18n.get("mode-prompt", mode=mode) if mode != CUSTOM else None
        return compose_system_prompt(
            self.settings.system_prompt, preset, turn.user.personal_prompt
        )

    async def redo(self, turn: Turn, answer_id: int, action: str) -> None:
        """▶️ or 🔄 pressed under the conversation's latest answer (checked again here: another
        press may have been answered while this one waited for its turn)."""
        answer = await self.chat_service.find_answer(answer_id)
        if answer is None or not press_is_current(answer, turn.message.message_id, action):
            logger.info("Answer %s changed while a press on it waited; ignored", answer_id)
            await turn.say(turn.text("answer-action-stale"))
            return
        if not await self.within_limits(turn):
            return
        if action == CONTINUE:
            await self.answer(turn, answer.question, model=answer.model, redo=Redo(answer, action))
        else:
            await self.answer(turn, answer.question, redo=Redo(answer, "regenerate"))

    async def _settle_buttons(
        self, turn: Turn, outcome: ChatOutcome, message_id: int | None
    ) -> None:
        """The new answer's message carries the buttons now; the one it continues loses them,
        the one it replaced keeps a mark saying so."""
        if outcome.answer_id is None:
            return
        if message_id is not None:
            receipt = current_receipt(turn.update_id)
            ended = receipt.to_mark() if receipt is not None else ()
            attached = await self.chat_service.attach_message(outcome.answer_id, message_id, ended)
            if attached and receipt is not None:
                receipt.marked = frozenset(ended)
        old = outcome.superseded
        if old is None or old == message_id:
            return
        markup = replaced_keyboard(outcome.answer_id, turn.text) if outcome.replaced else None
        try:
            await self.bot.edit_message_reply_markup(
                chat_id=turn.conversation.chat_id, message_id=old, reply_markup=markup
            )
        except TelegramForbiddenError:
            raise
        except TelegramAPIError as error:  # deleted by the user, too old to edit, …
            logger.info("Could not update the buttons of message %s: %s", old, error)

    def _speakable(self, spoken: bool) -> bool:
        """Whether an answer gets 🔊: it was not spoken by itself, and speech is set up."""
        return not spoken and self.voice_replies is not None

    async def _speak(self, turn: Turn, text: str) -> None:
        if self.voice_replies is None:
            return
        message = turn.message
        await self.voice_replies.speak(
            text,
            i18n=turn.i18n,
            user_id=turn.conversation.user_id,
            chat_id=message.chat.id,
            thread_id=topic_of(message),
            reply_to=None if message.chat.type == ChatType.PRIVATE else message.message_id,
        )

    def _telegram_answer(self, turn: Turn, *, reopen_fence: str = "") -> TelegramAnswer:
        message, settings = turn.message, self.settings
        private = message.chat.type == ChatType.PRIVATE
        return TelegramAnswer(
            self.bot,
            chat_id=message.chat.id,
            use_draft=private,
            draft_interval=settings.draft_interval_seconds,
            edit_interval=(
                settings.edit_interval_seconds if private else settings.group_edit_interval_seconds
            ),
            thread_id=topic_of(message),
            reply_to=None if private else message.message_id,
            stop_markup=functools.partial(
                stop_markup, turn.conversation, turn.text("stop-button")
            ),
            thinking_text=turn.text("answer-thinking"),
            reopen_fence=reopen_fence,
        )

    async def _final_text(
        self, turn: Turn, outcome: ChatOutcome, model: str, reopen: str = ""
    ) -> str:
        """The answer, then its notes and the cost line, always outside any code block."""
        notes: list[str] = []
        if sources := sources_block(turn.i18n, outcome.sources):
            notes.append(sources)
        if outcome.stopped:
            notes.append(turn.i18n.get("answer-stopped-note"))
        elif outcome.interrupted:
            notes.append(turn.i18n.get("answer-cut-note"))
        elif outcome.cut and outcome.answer_id is not None:
            notes.append(turn.i18n.get("answer-length-note"))
        if outcome.store_failed:
            notes.append(turn.i18n.get("answer-not-saved-note"))
        if outcome.trim_notice:
            key = "history-summarised-note" if outcome.summarised else "history-trimmed-note"
            notes.append(turn.i18n.get(key, model=model))  # Markdown, not HTML: unescaped
        if (
            outcome.record is not None
            and await self._wants_cost_line(turn)
            and (line := cost_line(turn.i18n, outcome.record))
        ):
            notes.append(line)
        if not notes:
            return outcome.text
        # A continued answer is shown after the fence it reopens, so it is closed the same way.
        text = close_open_fence(reopen + "\n" + outcome.text if reopen else outcome.text)
        if reopen:
            text = text[len(reopen) + 1 :]
        return "\n\n".join([text, *notes])

    async def _wants_cost_line(self, turn: Turn) -> bool:
        if turn.user.id == turn.conversation.user_id:
            return turn.user.show_cost  # read with the user record when the update came
        return await self.usage.wants_cost_line(turn.conversation.user_id)

    async def _explain_failure(self, turn: Turn, outcome: ChatOutcome, model: str) -> None:
        if outcome.limit is not None:
            await turn.refuse(outcome.limit)
        elif outcome.overflow is not None:
            await turn.say(
                turn.text(
                    "context-too-long",
                    model=model,
                    tokens=outcome.overflow.tokens,
                    limit=outcome.overflow.limit,
                )
            )
        elif outcome.error is not None and not outcome.images_refused:
            await turn.say(polza_error_text(turn.i18n, outcome.error))
