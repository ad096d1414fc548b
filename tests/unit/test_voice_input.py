"""What the model is asked about a recording: the reply's quote, the caption, the transcript."""

from __future__ import annotations

from bot.telegram.addressing import Addressing
from bot.telegram.quotes import Quote, render_quote
from handlers.voice import TRANSCRIPT_INTRO, model_input


def test_without_a_caption_the_transcript_is_the_message() -> None:
    assert model_input(Addressing(addressed=True, text=""), "Hello there.") == "Hello there."


def test_the_caption_instructs_and_the_transcript_follows_under_its_label() -> None:
    asked = model_input(Addressing(addressed=True, text=" Make minutes "), "We met at ten.")
    assert asked == f"Make minutes\n\n{TRANSCRIPT_INTRO}\nWe met at ten."


def test_a_voice_reply_carries_the_message_it_replies_to() -> None:
    quote = Quote("The capital is Paris.", "assistant")
    asked = model_input(Addressing(addressed=True, text="", quoted=quote), "And of Spain?")
    assert asked == f"{render_quote(quote)}\n\nAnd of Spain?"
