"""Reading PDF and Office documents in a worker process, with a deadline.

Each document is parsed by `python -m bot.services.extraction` in a process of its own: a
parser stuck on a hostile file is killed at the deadline, its memory is capped, and the bot's
event loop only waits on a pipe. At most `concurrency` workers run at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import sys
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from bot.services.extraction import (
    DocumentFormat,
    Extracted,
    ExtractionFailure,
    Limits,
    quick_check,
)

logger = logging.getLogger(__name__)

_MIME_FORMATS = {
    "application/pdf": DocumentFormat.PDF,
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (
        DocumentFormat.DOCX
    ),
    "application/vnd.oasis.opendocument.text": DocumentFormat.ODT,
    "application/rtf": DocumentFormat.RTF,
    "text/rtf": DocumentFormat.RTF,
}
_SUFFIX_FORMATS = {f".{fmt.value}": fmt for fmt in DocumentFormat}
# The folder holding the `bot` package, so the worker imports the same code as the bot.
_CODE_ROOT = str(Path(__file__).resolve().parents[2])


def document_format(file_name: str | None, mime_type: str | None) -> DocumentFormat | None:
    """The document format of a file, by its name first (clients often send a generic MIME
    type), then by its MIME type; None for anything else."""
    suffix = PurePosixPath((file_name or "").lower()).suffix
    if suffix in _SUFFIX_FORMATS:
        return _SUFFIX_FORMATS[suffix]
    mime = (mime_type or "").split(";")[0].strip().lower()
    return _MIME_FORMATS.get(mime)


@dataclass(frozen=True, slots=True)
class ReaderLimits:
    max_pages: int
    max_unpacked_bytes: int
    timeout_seconds: float


class DocumentReader:
    """Reads documents' text in worker processes; built once, shared."""

    def __init__(self, limits: ReaderLimits, *, concurrency: int = 2) -> None:
        self._limits = limits
        self._slots = asyncio.Semaphore(concurrency)

    @property
    def max_pages(self) -> int:
        return self._limits.max_pages

    async def read(self, fmt: DocumentFormat, data: bytes, *, max_chars: int) -> Extracted:
        """The document's text (at most `max_chars`), or a result carrying the failure."""
        limits = Limits(self._limits.max_pages, max(1, max_chars), self._limits.max_unpacked_bytes)
        if (failure := quick_check(fmt, data)) is not None:
            return Extracted("", failure=failure)
        async with self._slots:
            return await self._run(fmt, data, limits)

    async def _run(self, fmt: DocumentFormat, data: bytes, limits: Limits) -> Extracted:
        # Not the bot's environment: a parser fooled by a hostile file finds no keys there.
        env = {
            "PATH": os.environ.get("PATH", ""),
            "PYTHONPATH": os.pathsep.join(
                part for part in (_CODE_ROOT, os.environ.get("PYTHONPATH", "")) if part
            ),
        }
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.services.extraction",
            fmt.value,
            f"--max-pages={limits.max_pages}",
            f"--max-chars={limits.max_chars}",
            f"--max-unpacked-bytes={limits.max_unpacked_bytes}",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
        )
        try:
            async with asyncio.timeout(self._limits.timeout_seconds):
                out, err = await process.communicate(data)
        except TimeoutError:
            logger.warning("Reading a %s document took too long; worker stopped", fmt.value)
            return Extracted("", failure=ExtractionFailure.TIMEOUT)
        finally:
            if process.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await process.wait()
        return _parse(fmt, process.returncode, out, err)


def _parse(fmt: DocumentFormat, code: int | None, out: bytes, err: bytes) -> Extracted:
    try:
        fields = json.loads(out)
        failure = fields.get("failure")
        return Extracted(
            text=str(fields["text"]),
            pages=int(fields["pages"]),
            pages_read=int(fields["pages_read"]),
            total_chars=int(fields["total_chars"]),
            cut=bool(fields["cut"]),
            failure=ExtractionFailure(failure) if failure else None,
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        # Killed by its memory cap, or crashed: the file is beyond what we read.
        tail = err.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
        logger.warning("The %s worker failed (exit %s): %s", fmt.value, code, tail[0][:200])
        failure = (
            ExtractionFailure.TOO_LARGE if b"MemoryError" in err else ExtractionFailure.BROKEN
        )
        return Extracted("", failure=failure)
