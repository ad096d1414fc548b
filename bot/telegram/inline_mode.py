"""Inline mode: `@bot question` in any chat answered with one article holding the answer.

Telegram sends a new inline query as the user types. Each user's newest query wins: a query
waits `SETTLE_SECONDS`, and one overtaken by a newer query from the same user meanwhile (or
while its answer is being written) is answered with nothing, so a half-typed question is not
paid for. An answer that takes longer than `INLINE_TIMEOUT_SECONDS` is dropped, and the result
list offers a button that opens the private chat, where the question is answered in full.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from collections import OrderedDict
from dataclasses import dataclass, field

from aiogram.types import (
    InlineQuery,
    InlineQueryResultArticle,
    InlineQueryResultsButton,
    InlineQueryResultUnion,
    InputTextMessageContent,
)
from aiogram_i18n import I18nContext

from bot.config import Settings
from bot.i18n import polza_error_text, tr
from bot.services.access import AccessPolicy
from bot.services.errors import PolzaError
from bot.services.inline_answers import InlineAnswers, normalised
from bot.services.limits import LimitExceeded, SpendingGuard
from bot.services.model_choice import ModelResolver
from bot.telegram.formatting import cut_utf16, render
from bot.telegram.photos import utf16_len
from storage import UserRecord

SETTLE_SECONDS = 0.6
MIN_QUESTION_CHARS = 3
START_PREFIX = "ask-"
PENDING_QUESTIONS = 1024
MESSAGE_LIMIT = 4096
TITLE_LIMIT = 64
DESCRIPTION_LIMIT = 120
BUTTON_TEXT_LIMIT = 64


@dataclass
class InlineMode:
    settings: Settings
    access: AccessPolicy
    answers: InlineAnswers
    models: ModelResolver
    spending_guard: SpendingGuard
    _latest: dict[int, int] = field(default_factory=dict)
    # Questions that timed out, by user, until they open the private chat: (token, question).
    _pending: OrderedDict[int, tuple[str, str]] = field(default_factory=OrderedDict)

    async def handle(self, query: InlineQuery, i18n: I18nContext, user: UserRecord) -> None:
        user_id = query.from_user.id
        if not await self.access.is_allowed(user_id):
            await _answer(query, [])  # a stranger gets nothing, and Polza is not called
            return
        question = normalised(query.query)
        if len(question) < MIN_QUESTION_CHARS:
            await _answer(query, [_help_result(i18n)])
            return
        resolved = await self.models.chat(user)
        model = resolved.id
        cached = self.answers.cached(user_id, model, question)
        if cached is not None:
            await _answer(query, [_answer_result(question, cached)])
            return
        generation = self._latest.get(user_id, 0) + 1
        self._latest[user_id] = generation
        try:
            await self._answer_newest(query, i18n, user, model, question, generation)
        finally:
            if self._latest.get(user_id) == generation:
                del self._latest[user_id]  # nobody is typing: nothing to remember

    async def _answer_newest(
        self,
        query: InlineQuery,
        i18n: I18nContext,
        user: UserRecord,
        model: str,
        question: str,
        generation: int,
    ) -> None:
        user_id = user.id
        await asyncio.sleep(SETTLE_SECONDS)
        if self._latest.get(user_id) != generation:
            await _answer(query, [])  # overtaken by a newer query while typing
            return
        verdict = await self.spending_guard.take_rate_slot(
            user_id
        ) or await self.spending_guard.check(user_id)
        if verdict is not None:
            await _answer(query, [], _button(tr(i18n, "inline-limit"), "limits"))
            return
        system_prompt = user.personal_prompt or self.settings.system_prompt
        try:
            async with asyncio.timeout(self.settings.inline_timeout_seconds):
                answer = await self.answers.ask(
                    user_id=user_id, model=model, question=question, system_prompt=system_prompt
                )
        except TimeoutError:
            token = self._remember(user_id, question)
            await _answer(query, [], _button(tr(i18n, "inline-too-slow"), START_PREFIX + token))
            return
        except LimitExceeded:
            await _answer(query, [], _button(tr(i18n, "inline-limit"), "limits"))
            return
        except PolzaError as error:
            text = polza_error_text(i18n, error)
            await _answer(query, [_error_result(i18n, question, text)])
            return
        if self._latest.get(user_id) != generation:
            await _answer(query, [])
            return
        if not answer:
            await _answer(query, [_error_result(i18n, question, tr(i18n, "inline-empty"))])
            return
        await _answer(query, [_answer_result(question, answer)])

    def take_pending(self, user_id: int, token: str) -> str | None:
        """The timed-out question behind a `/start ask-<token>`, once."""
        stored = self._pending.get(user_id)
        if stored is None or stored[0] != token:
            return None
        del self._pending[user_id]
        return stored[1]

    def _remember(self, user_id: int, question: str) -> str:
        token = secrets.token_urlsafe(9)
        self._pending[user_id] = (token, question)
        self._pending.move_to_end(user_id)
        while len(self._pending) > PENDING_QUESTIONS:
            self._pending.popitem(last=False)
        return token


async def _answer(
    query: InlineQuery,
    results: list[InlineQueryResultArticle],
    button: InlineQueryResultsButton | None = None,
) -> None:
    # Personal and not cached by Telegram: answers depend on the user's model and limits.
    union: list[InlineQueryResultUnion] = list(results)
    await query.answer(union, cache_time=0, is_personal=True, button=button)


def _button(text: str, start: str) -> InlineQueryResultsButton:
    return InlineQueryResultsButton(text=cut_utf16(text, BUTTON_TEXT_LIMIT), start_parameter=start)


def _result_id(*parts: str) -> str:
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]


def _answer_result(question: str, answer: str) -> InlineQueryResultArticle:
    rendered = render(answer)
    text, entities = rendered.text, rendered.entities
    if utf16_len(text) > MESSAGE_LIMIT:
        text, entities = cut_utf16(answer, MESSAGE_LIMIT), []
    return InlineQueryResultArticle(
        id=_result_id(question, answer),
        title=cut_utf16(question, TITLE_LIMIT),
        description=cut_utf16(" ".join(rendered.text.split()), DESCRIPTION_LIMIT),
        input_message_content=InputTextMessageContent(
            message_text=text, entities=entities or None, parse_mode=None
        ),
    )


def _help_result(i18n: I18nContext) -> InlineQueryResultArticle:
    return InlineQueryResultArticle(
        id="help",
        title=tr(i18n, "inline-help-title"),
        description=tr(i18n, "inline-help-description"),
        input_message_content=InputTextMessageContent(message_text=tr(i18n, "inline-help-text")),
    )


def _error_result(i18n: I18nContext, question: str, text: str) -> InlineQueryResultArticle:
    return InlineQueryResultArticle(
        id=_result_id("error", question),
        title=tr(i18n, "inline-error-title"),
        description=cut_utf16(text, DESCRIPTION_LIMIT),
        input_message_content=InputTextMessageContent(message_text=text),
    )
