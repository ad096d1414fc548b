"""PDF, DOCX, ODT and RTF: reading their text within caps, the worker process, and what the
user and the model get (in process, the download replaced by the file's bytes)."""

from __future__ import annotations

import itertools
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest
from aiogram.methods import DeleteMessage
from aiogram.types import Document, PhotoSize

from bot.services.document_reader import DocumentReader, ReaderLimits, document_format
from bot.services.extraction import DocumentFormat, ExtractionFailure, Limits, extract
from bot.telegram import media_answer
from bot.telegram.attachments import Attachment
from tests.support import documents, updates
from tests.unit.inprocess import Harness, running_bot

USER = 6161
LIMITS = Limits(max_pages=50, max_chars=100_000, max_unpacked_bytes=8 * 1024 * 1024)
FILE_MODEL = "google/gemini-2.5-flash"  # lists `file` among its input modalities
_ids = itertools.count(1)

REPORT = "Quarterly report: revenue grew by twelve percent.\nCosts fell by three percent."


# --- reading ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "mime", "expected"),
    [
        ("report.pdf", "application/octet-stream", DocumentFormat.PDF),
        ("scan", "application/pdf", DocumentFormat.PDF),
        ("Letter.DOCX", None, DocumentFormat.DOCX),
        ("minutes.odt", None, DocumentFormat.ODT),
        ("old.rtf", "text/rtf", DocumentFormat.RTF),
        ("notes.txt", "text/plain", None),
        ("sheet.xlsx", None, None),
    ],
)
def test_document_formats_by_name_or_type(
    name: str, mime: str | None, expected: DocumentFormat | None
) -> None:
    assert document_format(name, mime) is expected


def test_docx_odt_and_rtf_text_is_read() -> None:
    docx = extract(
        DocumentFormat.DOCX,
        documents.docx_file("Первый абзац.", "Second one.", table=[["Name", "Qty"], ["Tea", "2"]]),
        LIMITS,
    )
    assert docx.text == "Первый абзац.\nSecond one.\nName | Qty\nTea | 2"
    odt = extract(DocumentFormat.ODT, documents.odt_file("ODT paragraph.", "Абзац два."), LIMITS)
    assert odt.failure is None and "ODT paragraph." in odt.text and "Абзац два." in odt.text
    rtf = extract(DocumentFormat.RTF, documents.rtf_file("RTF line\nПривет, мир {1}"), LIMITS)
    assert rtf.text == "RTF line\nПривет, мир {1}"


def test_caps_cut_pdfs_by_pages_and_other_documents_by_characters() -> None:
    pages = [f"Page {n}: " + "words " * 20 for n in range(1, 8)]
    by_pages = extract(DocumentFormat.PDF, documents.text_pdf(*pages), Limits(3, 100_000, 1 << 20))
    assert (by_pages.pages, by_pages.pages_read, by_pages.cut) == (7, 3, True)
    assert "Page 3" in by_pages.text and "Page 4" not in by_pages.text
    by_chars = extract(DocumentFormat.PDF, documents.text_pdf(*pages), Limits(50, 200, 1 << 20))
    assert by_chars.cut and len(by_chars.text) <= 200 and by_chars.pages_read < 7
    long_docx = documents.docx_file(*(f"Paragraph of text number {n}." for n in range(100)))
    cut = extract(DocumentFormat.DOCX, long_docx, Limits(50, 300, 1 << 20))
    assert cut.cut and len(cut.text) == 300 and cut.total_chars > 2000


@pytest.mark.parametrize(
    ("fmt", "data", "failure"),
    [
        (DocumentFormat.PDF, documents.scanned_pdf(), ExtractionFailure.NO_TEXT),
        (DocumentFormat.PDF, documents.encrypted_pdf(REPORT), ExtractionFailure.ENCRYPTED),
        (DocumentFormat.PDF, b"%PDF-1.4 truncated", ExtractionFailure.BROKEN),
        (DocumentFormat.DOCX, b"PK\x03\x04 not really a zip", ExtractionFailure.BROKEN),
        (DocumentFormat.DOCX, b"\xd0\xcf\x11\xe0" + bytes(600), ExtractionFailure.ENCRYPTED),
        (DocumentFormat.DOCX, documents.zip_bomb(unpacked_mb=16), ExtractionFailure.TOO_LARGE),
        (DocumentFormat.ODT, documents.docx_file("a docx named .odt"), ExtractionFailure.BROKEN),
        (DocumentFormat.RTF, b"plain text, not RTF", ExtractionFailure.BROKEN),
        (DocumentFormat.DOCX, documents.docx_file(" ", ""), ExtractionFailure.EMPTY),
    ],
)
def test_bad_documents_are_reported_never_raised(
    fmt: DocumentFormat, data: bytes, failure: ExtractionFailure
) -> None:
    result = extract(fmt, data, LIMITS)
    assert result.failure is failure and result.text == ""


async def test_the_worker_process_reads_and_is_stopped_at_the_deadline() -> None:
    reader = DocumentReader(ReaderLimits(50, 1 << 20, timeout_seconds=60))
    result = await reader.read(DocumentFormat.ODT, documents.odt_file(REPORT), max_chars=1000)
    assert result.failure is None and "revenue grew" in result.text
    hasty = DocumentReader(ReaderLimits(50, 1 << 20, timeout_seconds=0.001))
    late = await hasty.read(DocumentFormat.PDF, documents.text_pdf(REPORT), max_chars=1000)
    assert late.failure is ExtractionFailure.TIMEOUT


# --- what the user and the model get -----------------------------------------------------------


def document_update(name: str, data: bytes, caption: str = "") -> dict[str, Any]:
    message = updates.private_text(USER, "x")["message"]
    del message["text"]
    message["document"] = {
        "file_id": f"doc-{next(_ids)}",
        "file_unique_id": f"u{time.monotonic_ns()}",
        "file_name": name,
        "file_size": len(data),
    }
    if caption:
        message["caption"] = caption
    return {"message": message}


@pytest.fixture
def files(monkeypatch: pytest.MonkeyPatch) -> dict[str, bytes]:
    """The bytes "Telegram" serves per file id (no Bot API in process)."""
    served: dict[str, bytes] = {}

    async def download(bot: Any, attachment: Attachment) -> bytes:
        assert isinstance(attachment.file, Document | PhotoSize)
        return served[attachment.file.file_id]

    monkeypatch.setattr(media_answer, "download_file", download)
    return served


async def send_document(
    bot: Harness, files: dict[str, bytes], name: str, data: bytes, caption: str = ""
) -> None:
    update = document_update(name, data, caption)
    files[update["message"]["document"]["file_id"]] = data
    await bot.send(update)


def last_user_content(request: dict[str, Any]) -> Any:
    return request["messages"][-1]["content"]


async def test_a_text_pdf_with_a_caption_reaches_the_model_as_text(
    tmp_path: Path, files: dict[str, bytes]
) -> None:
    async with running_bot(tmp_path) as bot:
        await send_document(bot, files, "report.pdf", documents.text_pdf(REPORT), "Key numbers?")
        (request,) = await bot.chat_requests()
        content = last_user_content(request)
        assert isinstance(content, str) and content.startswith("File: report.pdf\n```\n")
        assert "revenue grew by twelve percent" in content and content.endswith("Key numbers?")
        # Without a caption: a short summary, asked in the user's language.
        await send_document(bot, files, "notes.odt", documents.odt_file("Встреча в среду."))
        content = last_user_content((await bot.chat_requests())[-1])
        assert "Встреча в среду." in content and content.endswith(
            "Summarise this document briefly."
        )


async def test_a_file_capable_model_gets_the_pdf_and_history_keeps_its_text(
    tmp_path: Path, files: dict[str, bytes]
) -> None:
    pdf = documents.text_pdf(REPORT)
    async with running_bot(tmp_path, default_chat_model=FILE_MODEL) as bot:
        await send_document(bot, files, "report.pdf", pdf, "Key numbers?")
        await bot.send(updates.private_text(USER, "And costs?"))
        first, follow_up = await bot.chat_requests()
    text, part = last_user_content(first)
    assert part["type"] == "file" and part["file"]["filename"] == "report.pdf"
    assert part["file"]["file_data"].startswith("data:application/pdf;base64,")
    assert "revenue grew" not in text["text"] and text["text"].endswith("Key numbers?")
    earlier = follow_up["messages"][-3]["content"]
    assert "revenue grew by twelve percent" in earlier  # the stored turn holds the text
    with sqlite3.connect(tmp_path / "bot.sqlite3") as conn:
        (stored,) = conn.execute(
            "SELECT content FROM messages WHERE role = 'user' LIMIT 1"
        ).fetchone()
    assert "base64" not in stored


async def test_scanned_broken_and_locked_documents_get_a_clear_message(
    tmp_path: Path, files: dict[str, bytes]
) -> None:
    async with running_bot(tmp_path) as bot:
        await send_document(bot, files, "scan.pdf", documents.scanned_pdf(), "What is this?")
        await send_document(bot, files, "broken.docx", b"PK\x03\x04garbage")
        await send_document(bot, files, "locked.pdf", documents.encrypted_pdf(REPORT))
        scanned, broken, locked = bot.session.sent_texts(USER)
        assert "no text layer" in scanned and "as photos" in scanned and "/model" in scanned
        assert "damaged" in broken
        assert "password" in locked
        assert await bot.chat_requests() == []


async def test_a_long_pdf_is_read_up_to_the_page_cap_with_a_note(
    tmp_path: Path, files: dict[str, bytes]
) -> None:
    pages = [f"Chapter {n} text." for n in range(1, 6)]
    async with running_bot(tmp_path, document_max_pages=2, status_delay_seconds=0) as bot:
        await send_document(bot, files, "book.pdf", documents.text_pdf(*pages), "Summary?")
        status, note, _answer = bot.session.sent_texts(USER)
        assert status.startswith("📄 Reading the document… 0:0")  # shown while it was read
        assert any(isinstance(m, DeleteMessage) for m in bot.session.requests)  # then removed
        assert "has 5 pages; only the first 2 fit" in note
        content = last_user_content((await bot.chat_requests())[-1])
        assert "Chapter 2 text." in content and "Chapter 3" not in content
        assert "[Only pages 1-2 of 5 are included.]" in content
