"""Every sentence the bot itself says, in one place (translations come later)."""

from __future__ import annotations

from aiogram.utils.formatting import Bold, Code, Text, as_list, as_marked_section

from bot.services.errors import PolzaError, PolzaErrorKind


def welcome(first_name: str, model: str) -> Text:
    return as_list(
        Text("Hi, ", Bold(first_name), "! I'm an AI assistant powered by Polza.ai."),
        "",
        as_marked_section(
            Bold("What I can do:"),
            "answer any message you send me, remembering our conversation",
            "format code, lists and tables so they read well in Telegram",
            "split long answers over several messages so nothing is cut",
            marker="• ",
        ),
        "",
        Text("Current model: ", Code(model)),
        "",
        help_commands(),
    )


def help_commands() -> Text:
    return as_marked_section(
        Bold("Commands:"),
        Text("/new — start a new conversation (forget the history)"),
        Text("/help — this help"),
        marker="",
    )


def help_text(model: str) -> Text:
    return as_list(
        Text("Just write to me and I'll answer with ", Code(model), "."),
        "I remember the conversation until you send /new.",
        "",
        help_commands(),
    )


def conversation_cleared(removed: int) -> str:
    if removed:
        return "Done: the conversation history is cleared. Let's start over!"
    return "The conversation was already empty. Let's start!"


EMPTY_MESSAGE = "Your message is empty. Write something and I'll answer."
UNKNOWN_COMMAND = "I don't know that command. Send /help to see what I can do."
UNSUPPORTED_MESSAGE = "I can only read text messages for now. Please write your question as text."
GENERIC_APOLOGY = "Sorry, something went wrong on my side. Please try again."
ANSWER_CUT_NOTE = "_(The answer was cut off: the connection to the model broke.)_"


def polza_error(error: PolzaError) -> str:
    kind = error.kind
    if kind is PolzaErrorKind.BALANCE:
        return (
            "The Polza.ai balance is exhausted (or the API key's spending limit is reached). "
            "The bot owner needs to top it up at polza.ai."
        )
    if kind is PolzaErrorKind.AUTH:
        return "Polza.ai rejected the bot's API key. The bot owner needs to check POLZA_API_KEY."
    if kind is PolzaErrorKind.MODEL_NOT_FOUND:
        return f"The model {error.model} is not available on Polza.ai. Choose another model."
    if kind is PolzaErrorKind.RATE_LIMITED:
        return "Polza.ai is receiving too many requests right now. Please try again in a minute."
    if kind is PolzaErrorKind.UNAVAILABLE:
        status = f" (error {error.status})" if error.status else ""
        return f"The model's provider is unavailable right now{status}. Please try again shortly."
    if kind is PolzaErrorKind.TIMEOUT:
        return "The model took too long to answer. Please try again."
    if kind is PolzaErrorKind.CONNECTION:
        return "I couldn't reach Polza.ai. Please try again shortly."
    if kind is PolzaErrorKind.EMPTY:
        return "The model returned an empty answer. Try rephrasing your message."
    if kind is PolzaErrorKind.LENGTH_EMPTY:
        return (
            "The model spent its whole output budget before writing an answer. "
            "Try a simpler question or another model."
        )
    if kind in (PolzaErrorKind.STREAM_ERROR, PolzaErrorKind.INTERRUPTED):
        return "The model's answer broke off before any text arrived. Please try again."
    return "Polza.ai could not process this request. Try rephrasing it or start over with /new."
