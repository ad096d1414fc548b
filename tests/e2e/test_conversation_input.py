"""Replies as context and merged input, with the real bot process."""

from __future__ import annotations

from tests.e2e.conftest import BotHarness
from tests.support import updates
from tests.support.processes import wait_until

USER = 1801


def test_an_old_answer_replied_to_and_a_split_paste_answered_once(bot: BotHarness) -> None:
    bot.start(MERGE_WINDOW_SECONDS="1.0")
    bot.telegram.inject(updates.private_text(USER, "Name three rivers"))
    bot.telegram.wait_for_messages(USER, 1)
    bot.telegram.inject(updates.private_text(USER, "And three lakes"))
    bot.telegram.wait_for_messages(USER, 2)

    # A reply to the older of the two answers brings its text into the request.
    old_answer = bot.telegram.calls("sendMessage", USER)[0]["result"]
    reply = updates.private_text(USER, "Explain the second one")
    reply["message"]["reply_to_message"] = old_answer
    bot.telegram.inject(reply)
    bot.telegram.wait_for_messages(USER, 3)
    quoted = bot.polza.chat_requests()[2]["messages"][-1]["content"]
    assert quoted == (
        "[Quote from your earlier answer]\n> Echo: Name three rivers\n\nExplain the second one"
    )

    # Telegram splits a long paste into pieces sent one after another: one request, one answer.
    pieces = [f"piece {n}: " + "lorem ipsum " * 300 for n in (1, 2, 3)]
    for piece in pieces:
        bot.telegram.inject(updates.private_text(USER, piece))
    wait_until(lambda: len(bot.polza.chat_requests()) >= 4, what="the request for the paste")
    merged = "\n\n".join(p.strip() for p in pieces)
    # The echo is longer than one Telegram message: it arrives whole, cut between paragraphs.
    wait_until(
        lambda: "\n\n".join(bot.telegram.sent_texts(USER)[3:]) == f"Echo: {merged}",
        what="the whole answer to the paste",
    )
    requests = bot.polza.chat_requests()
    assert len(requests) == 4
    assert requests[3]["messages"][-1]["content"] == merged
