"""The buttons under a chat answer, built in one place.

Every button acts on one stored answer (`AnswerAction.answer_id`); a press is valid only on
the message that carries that answer's buttons now (see handlers/answer_actions.py). Adding a
button: one flag on `AnswerButtons`, one line in `answer_keyboard`, one action name, and a
handler registered with `AnswerAction.filter(F.action == THE_ACTION)`; `press_is_current`
tells whether the press is on the latest answer's message.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from storage.models import StoredAnswer

CONTINUE = "continue"
REGENERATE = "regenerate"
SPEAK = "speak"  # 🔊: read the answer aloud (bot/telegram/voice_replies.py)
REPLACED = "replaced"  # the mark left on an answer that was replaced: pressing it only explains


class AnswerAction(CallbackData, prefix="ans"):
    action: str
    answer_id: int


@dataclass(frozen=True, slots=True)
class AnswerButtons:
    """Which buttons an answer gets."""

    answer_id: int
    can_continue: bool = False  # it was cut by the output limit
    can_speak: bool = False  # its owner's answers are not spoken by themselves (/voice)


def answer_keyboard(buttons: AnswerButtons, text: Callable[[str], str]) -> InlineKeyboardMarkup:
    """The keyboard for an answer (`text` gives a label by its Fluent key)."""
    row: list[InlineKeyboardButton] = []
    if buttons.can_continue:
        row.append(_button(text("answer-button-continue"), CONTINUE, buttons.answer_id))
    # Every answer is the latest when it is sent; once a newer one follows, its 🔄 answers a
    # press with a polite "no longer works" (press_is_current).
    row.append(_button(text("answer-button-regenerate"), REGENERATE, buttons.answer_id))
    if buttons.can_speak:
        row.append(_button(text("voice-speak-button"), SPEAK, buttons.answer_id))
    return InlineKeyboardMarkup(inline_keyboard=[row])


def replaced_keyboard(answer_id: int, text: Callable[[str], str]) -> InlineKeyboardMarkup:
    """The mark on an answer a newer one replaced (the message itself stays)."""
    button = _button(text("answer-button-replaced"), REPLACED, answer_id)
    return InlineKeyboardMarkup(inline_keyboard=[[button]])


def _button(label: str, action: str, answer_id: int) -> InlineKeyboardButton:
    data = AnswerAction(action=action, answer_id=answer_id).pack()
    return InlineKeyboardButton(text=label, callback_data=data)


def press_is_current(answer: StoredAnswer, message_id: int, action: str) -> bool:
    """A press counts only on the message carrying the buttons of the conversation's latest
    answer; ▶️ only while that answer is still cut."""
    if not answer.latest or answer.telegram_message_id != message_id:
        return False
    return action != CONTINUE or answer.cut
