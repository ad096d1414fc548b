"""Show an answer while it streams, then leave it complete in the chat.

Private chats get `sendMessageDraft` previews (throttled) and the final text with
`sendMessage`. Groups, or any chat where a draft call fails, get one message that is edited
(throttled) and finished with a last edit. Past Telegram's length limit the finished part is
sent as its own message and streaming goes on in a new one. Flood control (429) pauses the
previews; the final text is retried until it is delivered.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import Callable
from typing import Any

from aiogram import Bot
from aiogram.enums import ChatAction
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import EditMessageText, SendMessage, SendMessageDraft, TelegramMethod
from aiogram.types import InlineKeyboardMarkup, Message, ReplyParameters

from bot.telegram.formatting import Rendered, render_parts, take_segment

logger = logging.getLogger(__name__)

TYPING_REFRESH_SECONDS = 4.0
# "typing…" only when the first words take longer than this: an answer that starts sooner
# shows itself, and the indicator would cost a Bot API call for nothing.
TYPING_DELAY_SECONDS = 0.4
MAX_FINAL_ATTEMPTS = 8
MAX_RETRY_AFTER_WAIT = 120.0


class _Skipped(Exception):
    """A preview was not shown (flood control or a passing network error); try later."""


def _is_parse_error(error: TelegramBadRequest) -> bool:
    text = error.message.lower()
    return "parse" in text or "entit" in text


def _is_not_modified(error: TelegramBadRequest) -> bool:
    return "message is not modified" in error.message.lower()


def _is_edit_target_gone(error: TelegramBadRequest) -> bool:
    text = error.message.lower()
    return "message to edit not found" in text or "message can't be edited" in text


def new_draft_id() -> int:
    return secrets.randbelow(2**31 - 1) + 1


class TelegramAnswer:
    """The Telegram side of one streamed answer (an `AnswerSink`)."""

    def __init__(
        self,
        bot: Bot,
        *,
        chat_id: int,
        use_draft: bool,
        draft_interval: float,
        edit_interval: float,
        thread_id: int | None = None,
        reply_to: int | None = None,
        stop_markup: Callable[[], InlineKeyboardMarkup] | None = None,
        thinking_text: str | None = None,
        reopen_fence: str = "",
    ) -> None:
        self._bot = bot
        self._chat_id = chat_id
        self._thread_id = thread_id
        self._reply_to = reply_to
        self._use_draft = use_draft
        # Drafts carry Telegram's own stop button; edited messages carry this one meanwhile
        # (made when first needed: a private answer streamed as drafts never needs it).
        self._make_stop_markup = stop_markup
        self._stop_markup: InlineKeyboardMarkup | None = None
        self._draft_interval = draft_interval
        self._edit_interval = edit_interval
        self._draft_id = new_draft_id()
        self._committed = 0  # characters of the answer already sent as final messages
        # Fence line that reopens a code block cut at the last commit (or, for a continued
        # answer, left open where the answer before it stopped).
        self._carry = reopen_fence + "\n" if reopen_fence else ""
        self._live_message_id: int | None = None  # edit mode: the message being edited
        self._live_text: str | None = None
        self._next_preview = 0.0
        self._paused_until = 0.0
        self._typing: asyncio.Task[None] | None = None
        # Shown once while a reasoning model thinks, until its first words arrive.
        self._thinking_text = thinking_text
        self._thinking_shown = False

    def _stop_button(self) -> InlineKeyboardMarkup | None:
        if self._stop_markup is None and self._make_stop_markup is not None:
            self._stop_markup = self._make_stop_markup()
        return self._stop_markup

    # -- typing indicator -------------------------------------------------------------------

    def start_typing(self) -> None:
        if self._typing is None:
            self._typing = asyncio.create_task(self._keep_typing())

    async def stop_typing(self) -> None:
        task, self._typing = self._typing, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _keep_typing(self) -> None:
        await asyncio.sleep(TYPING_DELAY_SECONDS)
        while True:
            with contextlib.suppress(Exception):
                await self._bot.send_chat_action(
                    self._chat_id, ChatAction.TYPING, message_thread_id=self._thread_id
                )
            await asyncio.sleep(TYPING_REFRESH_SECONDS)

    # -- AnswerSink ---------------------------------------------------------------------------

    async def update(self, text: str) -> None:
        now = time.monotonic()
        if now < self._next_preview or now < self._paused_until:
            return
        await self.stop_typing()
        await self._commit_full_segments(text)
        tail = self._tail(text)
        parts = render_parts(tail)
        if parts:
            with contextlib.suppress(_Skipped):
                await self._show_preview(parts[0])
        interval = self._draft_interval if self._use_draft else self._edit_interval
        self._next_preview = time.monotonic() + interval

    async def thinking(self) -> None:
        if self._thinking_shown or self._thinking_text is None or self._live_text is not None:
            return
        now = time.monotonic()
        if now < self._next_preview or now < self._paused_until:
            return
        self._thinking_shown = True
        await self.stop_typing()
        parts = render_parts(self._thinking_text)
        if parts:
            with contextlib.suppress(_Skipped):
                await self._show_preview(parts[0])
        interval = self._draft_interval if self._use_draft else self._edit_interval
        self._next_preview = time.monotonic() + interval

    async def discard(self) -> None:
        """Remove a preview message left without an answer (drafts vanish by themselves)."""
        await self.stop_typing()
        message_id, self._live_message_id = self._live_message_id, None
        if message_id is None:
            return
        self._live_text = None
        with contextlib.suppress(TelegramAPIError):
            await self._bot.delete_message(self._chat_id, message_id)

    async def finish(self, text: str, markup: InlineKeyboardMarkup | None = None) -> int | None:
        """Deliver everything not yet delivered as final messages, `markup` under the last;
        the id of that last message (None if Telegram did not say)."""
        await self.stop_typing()
        parts = render_parts(self._tail(text))
        last: int | None = None
        for index, part in enumerate(parts):
            keyboard = markup if index == len(parts) - 1 else None
            if index == 0 and self._live_message_id is not None:
                last = await self._finalize_live(part, keyboard)
            else:
                last = await self._send_final(part, keyboard)
        self._committed = len(text)
        self._carry = ""
        return last

    # -- internals ------------------------------------------------------------------------

    def _tail(self, text: str) -> str:
        return self._carry + text[self._committed :]

    async def _commit_full_segments(self, text: str) -> None:
        """Send parts that can no longer change as final messages."""
        while (segment := take_segment(self._tail(text))) is not None:
            for index, part in enumerate(render_parts(segment.markdown)):
                if index == 0 and self._live_message_id is not None:
                    await self._finalize_live(part)
                else:
                    await self._send_final(part)
            self._committed += segment.consumed - len(self._carry)
            while text[self._committed : self._committed + 1] == "\n":
                self._committed += 1
            self._carry = segment.carry
            self._draft_id = new_draft_id()

    async def _show_preview(self, part: Rendered) -> None:
        if self._use_draft:
            try:
                await self._request(
                    lambda plain: SendMessageDraft(
                        chat_id=self._chat_id,
                        draft_id=self._draft_id,
                        message_thread_id=self._thread_id,
                        can_stop=True if self._make_stop_markup is not None else None,
                        **_body(part, plain),
                    ),
                    final=False,
                )
                return
            except TelegramBadRequest as error:
                logger.info(
                    "Drafts unavailable in chat %s (%s); editing instead",
                    self._chat_id,
                    error.message,
                )
                self._use_draft = False
        if self._live_message_id is None:
            message = await self._request(
                lambda plain: self._send_method(part, plain, final=False), final=False
            )
            self._remember_live(message, part)
            return
        if part.text == self._live_text:
            return
        try:
            await self._request(
                lambda plain: self._edit_method(part, plain, final=False), final=False
            )
            self._live_text = part.text
        except TelegramBadRequest as error:
            if _is_not_modified(error):
                return
            if not _is_edit_target_gone(error):
                raise
            self._live_message_id = None  # the user deleted it: the next preview starts anew

    async def _finalize_live(
        self, part: Rendered, markup: InlineKeyboardMarkup | None = None
    ) -> int | None:
        message_id = self._live_message_id
        try:
            await self._request(
                lambda plain: self._edit_method(part, plain, final=True, markup=markup),
                final=True,
            )
        except TelegramBadRequest as error:
            if not _is_not_modified(error):
                if not _is_edit_target_gone(error):
                    raise
                self._live_message_id = None
                return await self._send_final(part, markup)
        self._live_message_id = None
        self._live_text = None
        return message_id

    async def _send_final(
        self, part: Rendered, markup: InlineKeyboardMarkup | None = None
    ) -> int | None:
        sent = await self._request(
            lambda plain: self._send_method(part, plain, final=True, markup=markup), final=True
        )
        self._reply_to = None
        return sent.message_id if isinstance(sent, Message) else None

    def _remember_live(self, message: Any, part: Rendered) -> None:
        if isinstance(message, Message):
            self._live_message_id = message.message_id
            self._live_text = part.text
            self._reply_to = None

    def _send_method(
        self,
        part: Rendered,
        plain: bool,
        *,
        final: bool,
        markup: InlineKeyboardMarkup | None = None,
    ) -> SendMessage:
        reply = (
            ReplyParameters(message_id=self._reply_to, allow_sending_without_reply=True)
            if self._reply_to
            else None
        )
        return SendMessage(
            chat_id=self._chat_id,
            message_thread_id=self._thread_id,
            reply_parameters=reply,
            reply_markup=markup if final else self._stop_button(),
            **_body(part, plain),
        )

    def _edit_method(
        self,
        part: Rendered,
        plain: bool,
        *,
        final: bool,
        markup: InlineKeyboardMarkup | None = None,
    ) -> EditMessageText:
        return EditMessageText(
            chat_id=self._chat_id,
            message_id=self._live_message_id,
            reply_markup=markup if final else self._stop_button(),
            **_body(part, plain),
        )

    async def _request(self, make: Callable[[bool], TelegramMethod[Any]], *, final: bool) -> Any:
        """Call Telegram; formatted first, plain if Telegram cannot parse the entities.

        Previews give up at once on flood control or network trouble; final text waits out
        `retry_after` and retries a few times.
        """
        plain = False
        attempt = 0
        while True:
            try:
                return await self._bot(make(plain))
            except TelegramRetryAfter as error:
                if not final:
                    self._paused_until = time.monotonic() + error.retry_after
                    raise _Skipped from error
                delay = float(min(error.retry_after, MAX_RETRY_AFTER_WAIT))
            except TelegramBadRequest as error:
                if _is_parse_error(error) and not plain:
                    logger.warning(
                        "Telegram rejected formatting (%s); sending plain", error.message
                    )
                    plain = True
                    continue
                raise
            except (TelegramNetworkError, TelegramServerError) as error:
                if not final:
                    raise _Skipped from error
                delay = min(10.0, 0.5 * 2**attempt)
            attempt += 1
            if attempt >= MAX_FINAL_ATTEMPTS:
                raise RuntimeError(
                    f"Telegram kept refusing the final answer in chat {self._chat_id}"
                )
            logger.info("Final answer delayed %.1fs in chat %s", delay, self._chat_id)
            await asyncio.sleep(delay)


def _body(part: Rendered, plain: bool) -> dict[str, Any]:
    if plain:
        return {"text": part.text, "entities": None, "parse_mode": None}
    return {"text": part.text, "entities": part.entities or None, "parse_mode": None}
