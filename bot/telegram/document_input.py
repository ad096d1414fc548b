"""PDF, DOCX, ODT and RTF files as model input: their text, or the PDF itself.

A PDF goes to a model whose catalogue entry lists `file` among its inputs as a `file` part
(the model reads its layout, pictures and scans itself); every other document is read here
(`DocumentReader`, in a worker process) and given to the model as text. Either way history
keeps the text (at most the request's text allowance), so follow-up questions still see it;
a scanned PDF sent as a file is kept as a one-line note.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiogram_i18n import I18nContext

from bot.i18n import tr
from bot.services.context import FileData, estimate_text_tokens
from bot.services.document_reader import DocumentReader
from bot.services.documents import file_block
from bot.services.extraction import DocumentFormat, Extracted, ExtractionFailure
from bot.telegram.attachments import Attachment, RequestCaps

# What one PDF page sent as a file costs a model, at most (text plus the page as a picture).
FILE_PAGE_TOKENS = 1500
PDF_MIME = "application/pdf"


@dataclass(frozen=True, slots=True)
class ReadDocument:
    """One document, ready for the request: `request_text` goes with the question (the text,
    or a line naming the attached `file`); history keeps `stored_text`. `note`: what the
    user is told (only part of it fits)."""

    request_text: str
    stored_text: str
    file: FileData | None = None
    note: str | None = None


async def read_document(
    reader: DocumentReader,
    attachment: Attachment,
    data: bytes,
    *,
    caps: RequestCaps,
    reads_files: bool,
    i18n: I18nContext,
) -> ReadDocument | str:
    """The document for the request, or the message that says why it cannot be read."""
    name, fmt = attachment.name, attachment.format or DocumentFormat.PDF
    room = caps.text_chars - caps.used_text_chars
    if room <= 0:
        return tr(i18n, "media-text-over-cap", name=name, limit=caps.text_chars)
    result = await reader.read(fmt, data, max_chars=room)
    as_file = fmt is DocumentFormat.PDF and reads_files
    if as_file and result.failure is ExtractionFailure.NO_TEXT:
        pages = max(1, result.pages)
        file = FileData(name, PDF_MIME, data, tokens=pages * FILE_PAGE_TOKENS)
        note = f"[PDF {name}: {pages} scanned page(s) without a text layer, read as a file]"
        return ReadDocument(request_text=_file_line(name, pages), stored_text=note, file=file)
    if result.failure is not None:
        return failure_text(i18n, result.failure, name)
    caps.take_text(len(result.text))
    model_note, user_note = _cut_notes(i18n, name, fmt, result)
    stored = file_block(name, result.text) + (f"\n{model_note}" if model_note else "")
    if not as_file:
        return ReadDocument(request_text=stored, stored_text=stored, note=user_note)
    pages = max(1, result.pages)
    tokens = max(pages * FILE_PAGE_TOKENS, estimate_text_tokens(result.text))
    file = FileData(name, PDF_MIME, data, tokens=tokens)
    return ReadDocument(request_text=_file_line(name, pages), stored_text=stored, file=file)


def _file_line(name: str, pages: int) -> str:
    return f"File: {name} (PDF, {pages} page(s), attached)"


def _cut_notes(
    i18n: I18nContext, name: str, fmt: DocumentFormat, result: Extracted
) -> tuple[str | None, str | None]:
    """What the model and the user are told when only the start of a document fits."""
    if not result.cut:
        return None, None
    if fmt is DocumentFormat.PDF:
        return (
            f"[Only pages 1-{result.pages_read} of {result.pages} are included.]",
            tr(i18n, "document-pages-cut", name=name, read=result.pages_read, total=result.pages),
        )
    share = 100 * len(result.text) // max(1, result.total_chars)
    return (
        f"[Only the first {share}% of the document is included.]",
        tr(i18n, "document-text-cut", name=name, percent=share),
    )


def failure_text(i18n: I18nContext, failure: ExtractionFailure, name: str) -> str:
    return tr(i18n, "document-failed", name=name, reason=failure.value)
