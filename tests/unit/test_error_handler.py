"""The last-resort error handler answers where the user is: in the message's forum topic, and
on the pressed button (or its spinner keeps turning)."""

from __future__ import annotations

from typing import Any, cast

from aiogram import Bot
from aiogram.types import ErrorEvent, Update
from aiogram_i18n import I18nContext

from handlers.errors import on_error
from tests.support import updates

APOLOGY = "Sorry, something went wrong on my side. Please try again."


class English:
    def get(self, key: str, **values: object) -> str:
        assert key == "generic-apology"
        return APOLOGY


class RecordingBot:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    async def send_message(self, chat_id: int, text: str, **kwargs: Any) -> None:
        self.calls.append(("sendMessage", {"chat_id": chat_id, "text": text, **kwargs}))

    async def answer_callback_query(self, query_id: str, **kwargs: Any) -> None:
        self.calls.append(("answerCallbackQuery", {"id": query_id, **kwargs}))


async def handle(raw: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    bot = RecordingBot()
    event = ErrorEvent(
        update=Update.model_validate({"update_id": 1, **raw}), exception=RuntimeError("boom")
    )
    assert await on_error(event, cast(Bot, bot), cast(I18nContext, English())) is True
    return bot.calls


async def test_the_apology_goes_to_the_messages_forum_topic() -> None:
    calls = await handle(updates.group_text(-100777, 5, "/boom", thread_id=42))
    assert calls == [
        ("sendMessage", {"chat_id": -100777, "text": APOLOGY, "message_thread_id": 42})
    ]


async def test_a_failed_button_press_is_answered() -> None:
    sent = updates.private_text(5, "menu")["message"]
    calls = await handle(updates.callback_query(5, "lang:en", sent))
    assert [name for name, _ in calls] == ["answerCallbackQuery"]
    assert calls[0][1]["text"] == APOLOGY
