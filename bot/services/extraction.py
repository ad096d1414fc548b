"""Text out of PDF, DOCX, ODT and RTF files, bounded in pages, characters and unpacked size.

This module is what the document worker process runs (`python -m bot.services.extraction`,
started by `bot.services.document_reader`): the file's bytes come on stdin, one JSON object
goes to stdout. Parsers of untrusted files can take long or eat memory; in a process of its
own a parser is killed at the deadline and limited in memory, and the bot's event loop never
waits on it.
"""

from __future__ import annotations

import argparse
import contextlib
import enum
import io
import json
import sys
import zipfile
from dataclasses import asdict, dataclass
from typing import Any

# Fewer visible characters than this in the pages read: the PDF has no text layer (a scan).
MIN_TEXT_CHARS = 20
MAX_ZIP_ENTRIES = 5000
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # an encrypted Office file (or an old binary .doc)
WORKER_MEMORY_BYTES = 1536 * 1024 * 1024


class DocumentFormat(enum.StrEnum):
    PDF = "pdf"
    DOCX = "docx"
    ODT = "odt"
    RTF = "rtf"


class ExtractionFailure(enum.StrEnum):
    ENCRYPTED = "encrypted"
    BROKEN = "broken"
    NO_TEXT = "no_text"  # a PDF without a text layer
    EMPTY = "empty"
    TOO_LARGE = "too_large"  # unpacks to more than allowed (a zip bomb, or just huge)
    TIMEOUT = "timeout"


@dataclass(frozen=True, slots=True)
class Limits:
    max_pages: int
    max_chars: int
    max_unpacked_bytes: int


@dataclass(frozen=True, slots=True)
class Extracted:
    """The text read (at most `max_chars`); `pages`/`pages_read` for PDFs (0 otherwise);
    `total_chars`: the text's whole length when known (it is cut when larger)."""

    text: str
    pages: int = 0
    pages_read: int = 0
    total_chars: int = 0
    cut: bool = False
    failure: ExtractionFailure | None = None


class _Failed(Exception):
    def __init__(self, failure: ExtractionFailure) -> None:
        super().__init__(failure.value)
        self.failure = failure


def quick_check(fmt: DocumentFormat, data: bytes) -> ExtractionFailure | None:
    """What the first bytes already tell, so no worker is started for them: a file that is
    not of its format at all, or an Office file that is encrypted."""
    head = data[:1024]
    if fmt is DocumentFormat.PDF:
        ok = b"%PDF-" in head
    elif fmt is DocumentFormat.RTF:
        ok = head.lstrip().startswith(b"{\\rtf")
    elif head.startswith(OLE_MAGIC):
        return ExtractionFailure.ENCRYPTED
    else:
        ok = head.startswith(b"PK\x03\x04")
    return None if ok else ExtractionFailure.BROKEN


def extract(fmt: DocumentFormat, data: bytes, limits: Limits) -> Extracted:
    """The document's text within `limits`; a failure is returned, never raised."""
    if (failure := quick_check(fmt, data)) is not None:
        return Extracted("", failure=failure)
    try:
        if fmt is DocumentFormat.PDF:
            result = _pdf(data, limits)
        elif fmt is DocumentFormat.RTF:
            result = _capped(_rtf(data), limits)
        else:
            _check_zip(data, limits)
            text = _docx(data) if fmt is DocumentFormat.DOCX else _odt(data)
            result = _capped(text, limits)
    except _Failed as failed:
        return Extracted("", failure=failed.failure)
    except MemoryError:
        return Extracted("", failure=ExtractionFailure.TOO_LARGE)
    except Exception:  # any parser error on a damaged file
        return Extracted("", failure=ExtractionFailure.BROKEN)
    if result.failure is None and not result.text.strip():
        return Extracted("", failure=ExtractionFailure.EMPTY)
    return result


def _capped(text: str, limits: Limits) -> Extracted:
    text = _tidy(text)
    cut = len(text) > limits.max_chars
    return Extracted(text[: limits.max_chars], total_chars=len(text), cut=cut)


def _tidy(text: str) -> str:
    lines = (line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    tidy: list[str] = []
    for line in lines:
        if line or (tidy and tidy[-1]):  # at most one empty line in a row
            tidy.append(line)
    return "\n".join(tidy).strip()


# --- PDF -------------------------------------------------------------------------------------


def _pdf(data: bytes, limits: Limits) -> Extracted:
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError

    reader = PdfReader(io.BytesIO(data))
    if reader.is_encrypted:
        # Many PDFs are "encrypted" with an empty password only to restrict printing.
        try:
            opened = reader.decrypt("")
        except Exception as error:
            raise _Failed(ExtractionFailure.ENCRYPTED) from error
        if not opened:
            raise _Failed(ExtractionFailure.ENCRYPTED)
    try:
        pages = len(reader.pages)
    except FileNotDecryptedError as error:
        raise _Failed(ExtractionFailure.ENCRYPTED) from error
    texts: list[str] = []
    used = 0
    read = 0
    cut = False
    for page in reader.pages[: limits.max_pages]:
        text = _tidy(page.extract_text() or "")
        read += 1
        if used + len(text) > limits.max_chars:
            texts.append(text[: max(0, limits.max_chars - used)])
            cut = True
            break
        texts.append(text)
        used += len(text) + 2
    joined = "\n\n".join(part for part in texts if part)
    visible = sum(1 for char in joined if not char.isspace())
    if visible < MIN_TEXT_CHARS:
        failure = ExtractionFailure.NO_TEXT if pages else ExtractionFailure.EMPTY
        return Extracted("", pages=pages, failure=failure)
    return Extracted(
        joined[: limits.max_chars],
        pages=pages,
        pages_read=read,
        cut=cut or read < pages,
    )


# --- zipped formats --------------------------------------------------------------------------


def _check_zip(data: bytes, limits: Limits) -> None:
    """Refuse before unpacking anything when the archive would unpack past the limit.

    `zipfile` never inflates an entry past its declared size, so the declared sizes bound
    what the parsers can read.
    """
    if data.startswith(OLE_MAGIC):
        raise _Failed(ExtractionFailure.ENCRYPTED)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise _Failed(ExtractionFailure.BROKEN) from error
    if len(entries) > MAX_ZIP_ENTRIES:
        raise _Failed(ExtractionFailure.TOO_LARGE)
    if sum(entry.file_size for entry in entries) > limits.max_unpacked_bytes:
        raise _Failed(ExtractionFailure.TOO_LARGE)
    names = {entry.filename for entry in entries}
    if "META-INF/manifest.xml" in names:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            manifest = archive.read("META-INF/manifest.xml")
        if b"encryption-data" in manifest:  # an ODF file saved with a password
            raise _Failed(ExtractionFailure.ENCRYPTED)


def _docx(data: bytes) -> str:
    import docx
    from docx.table import Table

    document = docx.Document(io.BytesIO(data))
    blocks: list[str] = []
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            blocks.extend(_table_rows(block))
        else:
            blocks.append(block.text)
    return "\n".join(blocks)


def _table_rows(table: Any) -> list[str]:
    rows: list[str] = []
    for row in table.rows:
        cells: list[str] = []
        for cell in row.cells:
            text = " ".join(cell.text.split())
            if not cells or cells[-1] != text:  # merged cells repeat their text
                cells.append(text)
        rows.append(" | ".join(cells))
    return rows


def _odt(data: bytes) -> str:
    from odfdo import Document

    document = Document(io.BytesIO(data))
    return str(document.get_formatted_text())


# --- RTF -------------------------------------------------------------------------------------


def _rtf(data: bytes) -> str:
    from striprtf.striprtf import rtf_to_text

    # RTF is 7-bit: other characters are escapes that striprtf decodes by the file's codepage.
    text = rtf_to_text(data.decode("latin-1"), errors="replace")  # type: ignore[no-untyped-call]
    return str(text)


# --- the worker process ----------------------------------------------------------------------


def _limit_memory() -> None:
    with contextlib.suppress(ImportError, ValueError, OSError):
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (WORKER_MEMORY_BYTES, WORKER_MEMORY_BYTES))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Print a document's text as JSON.")
    parser.add_argument("format", choices=[item.value for item in DocumentFormat])
    parser.add_argument("--max-pages", type=int, required=True)
    parser.add_argument("--max-chars", type=int, required=True)
    parser.add_argument("--max-unpacked-bytes", type=int, required=True)
    args = parser.parse_args(argv)
    _limit_memory()
    limits = Limits(args.max_pages, args.max_chars, args.max_unpacked_bytes)
    result = extract(DocumentFormat(args.format), sys.stdin.buffer.read(), limits)
    json.dump(asdict(result), sys.stdout, ensure_ascii=True)


if __name__ == "__main__":
    main()
