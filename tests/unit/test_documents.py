"""Which files are read as text, and decoding them without ever crashing."""

from __future__ import annotations

import threading

import pytest

from bot.services import documents
from bot.services.documents import (
    DocumentError,
    DocumentErrorKind,
    decode_text,
    file_block,
    is_text_file,
)

RUSSIAN = "Привет, мир! Это проверка кодировки: съешь же ещё этих мягких булок."
FRENCH = "Café au lait, crème brûlée et naïveté: déjà vu à la française."
GERMAN = "Über die Größe der Straße — „Anführungszeichen“ im Text."


@pytest.mark.parametrize(
    ("name", "mime", "expected"),
    [
        ("notes.txt", "text/plain", True),
        ("README.md", None, True),
        ("main.py", "application/octet-stream", True),
        ("data.csv", "text/csv", True),
        ("config.json", "application/json", True),
        ("feed", "application/atom+xml", True),
        ("Dockerfile", None, True),
        ("script.unknown", "text/x-whatever", True),
        ("photo.jpg", "image/jpeg", False),
        ("report.pdf", "application/pdf", False),
        ("archive.zip", "application/zip", False),
        ("program.exe", "application/x-msdownload", False),
        (None, None, False),
    ],
)
def test_text_files_are_recognised_by_type_or_name(
    name: str | None, mime: str | None, expected: bool
) -> None:
    assert is_text_file(name, mime) is expected


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"plain ascii", "plain ascii"),
        (RUSSIAN.encode("utf-8"), RUSSIAN),
        (b"\xef\xbb\xbf" + RUSSIAN.encode("utf-8"), RUSSIAN),
        (RUSSIAN.encode("utf-16"), RUSSIAN),  # with its BOM, so with NUL bytes
        (b"\xfe\xff" + RUSSIAN.encode("utf-16-be"), RUSSIAN),
        (RUSSIAN.encode("utf-32"), RUSSIAN),
        (RUSSIAN.encode("cp1251"), RUSSIAN),
        (FRENCH.encode("latin-1"), FRENCH),
        (GERMAN.encode("cp1252"), GERMAN),
        (b"line one\r\nline two\rline three", "line one\nline two\nline three"),
    ],
)
def test_encodings_are_detected(data: bytes, expected: str) -> None:
    assert decode_text(data) == expected


def test_code_with_russian_comments_in_cp1251_reads_as_cyrillic() -> None:
    source = (
        "def greet(name):\n    # Поздороваться с пользователем\n    return f'Привет, {name}'\n"
    )
    assert decode_text(source.encode("cp1251")) == source


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"", DocumentErrorKind.EMPTY),
        (b"   \n\t\r\n", DocumentErrorKind.EMPTY),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", DocumentErrorKind.BINARY),
        (b"text with a \x00 NUL byte", DocumentErrorKind.BINARY),
        (bytes(range(1, 32)) * 20, DocumentErrorKind.BINARY),
    ],
)
def test_empty_and_binary_data_are_refused(data: bytes, kind: DocumentErrorKind) -> None:
    with pytest.raises(DocumentError) as caught:
        decode_text(data)
    assert caught.value.kind is kind


def test_arbitrary_bytes_give_text_or_a_clear_refusal() -> None:
    for start in range(0, 256, 16):
        data = bytes(range(start, min(start + 64, 256))) * 3
        try:
            text = decode_text(data)
        except DocumentError as error:
            assert error.kind in (DocumentErrorKind.EMPTY, DocumentErrorKind.BINARY)
        else:
            assert isinstance(text, str) and text.strip()


def test_file_block_names_the_file_and_keeps_fences_intact() -> None:
    assert file_block("a.py", "print(1)\n") == "File: a.py\n```\nprint(1)\n```"
    inner = "Example:\n```python\nx = 1\n```"
    block = file_block("notes.md", inner)
    assert block.startswith("File: notes.md\n````\n") and block.endswith("\n````")
    assert inner in block


async def test_files_are_decoded_off_the_event_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    threads: list[str] = []

    def recording_decode(data: bytes) -> str:
        threads.append(threading.current_thread().name)
        return decode_text(data)

    monkeypatch.setattr(documents, "decode_text", recording_decode)
    assert await documents.read_text(RUSSIAN.encode("cp1251")) == RUSSIAN
    with pytest.raises(DocumentError):
        await documents.read_text(b"\x00\x01binary")
    assert len(threads) == 2
    assert all(name.startswith("decode-text") for name in threads)
