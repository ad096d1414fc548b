"""Web search with sources, and PDF / DOCX documents, end to end against the fakes."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import BotHarness
from tests.e2e.test_media import document_message
from tests.support import documents, updates
from tests.support.processes import wait_until

USER = 9019
PDF_TEXT = "Annual report: revenue grew by twelve percent."
DOCX_TEXT = "Meeting minutes: the budget was approved."
FILE_MODEL = "google/gemini-2.5-flash"  # lists `file` among its input modalities


def links(entry: dict[str, Any]) -> list[tuple[str, str]]:
    """(link text, URL) of each text_link entity in a sendMessage call."""
    encoded = entry["params"]["text"].encode("utf-16-le")
    return [
        (encoded[e["offset"] * 2 : (e["offset"] + e["length"]) * 2].decode("utf-16-le"), e["url"])
        for e in entry["params"].get("entities") or []
        if e["type"] == "text_link"
    ]


def chat_requests_after(bot: BotHarness, count: int) -> list[dict[str, Any]]:
    def more() -> list[dict[str, Any]] | None:
        requests = bot.polza.chat_requests()
        return requests if len(requests) > count else None

    return list(wait_until(more, 20, what=f"chat request {count + 1}"))


def test_search_shows_sources_and_documents_reach_the_model(bot: BotHarness) -> None:
    bot.start()
    bot.telegram.inject(updates.private_text(USER, "/search who won the cup"))
    bot.telegram.wait_for_messages(USER, 1)
    (request,) = bot.polza.chat_requests()
    assert request["plugins"] == [{"id": "web"}]
    (answer,) = bot.telegram.calls("sendMessage", USER)
    assert links(answer) == [
        (f"Source {n}: who won the cup", f"https://source{n}.example.com/who-won-the-cup")
        for n in (1, 2, 3)
    ]

    pdf = documents.text_pdf(PDF_TEXT)
    bot.telegram.inject(
        document_message(bot, USER, pdf, "report.pdf", "application/pdf", "Growth?")
    )
    bot.telegram.wait_for_messages(USER, 2)
    content = bot.polza.chat_requests()[1]["messages"][-1]["content"]
    assert PDF_TEXT in content and content.endswith("Growth?")
    assert "plugins" not in bot.polza.chat_requests()[1]

    docx = documents.docx_file(DOCX_TEXT)
    docx_mime = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    bot.telegram.inject(document_message(bot, USER, docx, "minutes.docx", docx_mime))
    bot.telegram.wait_for_messages(USER, 3)
    content = bot.polza.chat_requests()[2]["messages"][-1]["content"]
    assert DOCX_TEXT in content and content.endswith("Summarise this document briefly.")

    scan = documents.scanned_pdf()
    bot.telegram.inject(document_message(bot, USER, scan, "scan.pdf", "application/pdf"))
    assert "no text layer" in bot.telegram.wait_for_messages(USER, 4)[3]
    assert len(bot.polza.chat_requests()) == 3

    # A model that reads files gets the PDF itself.
    bot.stop()
    bot.start(DEFAULT_CHAT_MODEL=FILE_MODEL)
    bot.telegram.inject(
        document_message(bot, USER, pdf, "report.pdf", "application/pdf", "Growth?")
    )
    request = chat_requests_after(bot, 3)[3]
    assert request["model"] == FILE_MODEL
    text, part = request["messages"][-1]["content"]
    assert text["text"].endswith("Growth?") and PDF_TEXT not in text["text"]
    assert part["type"] == "file" and part["file"]["filename"] == "report.pdf"
    assert part["file"]["file_data"].startswith("data:application/pdf;base64,")
    bot.telegram.wait_for_messages(USER, 5)
