"""Text files as model input: which files count as text, and decoding them safely."""

from __future__ import annotations

import asyncio
import enum
import re
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from pathlib import PurePosixPath

TEXT_EXTENSIONS = frozenset(
    {
        # prose and markup
        "txt", "text", "md", "markdown", "rst", "adoc", "org", "tex", "log",
        "html", "htm", "xml", "svg", "xhtml",
        # data
        "csv", "tsv", "json", "jsonl", "ndjson", "yaml", "yml", "toml", "ini", "cfg", "conf",
        "env", "properties", "sql", "graphql", "proto", "srt", "vtt",
        # code
        "py", "pyi", "ipynb", "js", "mjs", "cjs", "jsx", "ts", "tsx", "vue", "svelte",
        "java", "kt", "kts", "scala", "groovy", "gradle", "c", "h", "cc", "cpp", "cxx", "hpp",
        "hh", "cs", "fs", "go", "rs", "swift", "m", "mm", "rb", "php", "pl", "pm", "lua", "r",
        "jl", "dart", "ex", "exs", "erl", "hs", "clj", "elm", "zig", "nim", "sol",
        "sh", "bash", "zsh", "fish", "ps1", "bat", "cmd", "css", "scss", "sass", "less",
        "dockerfile", "makefile", "cmake", "tf", "hcl", "nix", "diff", "patch",
    }
)  # fmt: skip
TEXT_FILE_NAMES = frozenset(
    {"dockerfile", "makefile", "readme", "license", "procfile", "gemfile", "rakefile"}
)
TEXT_MIME_TYPES = frozenset(
    {
        "application/json",
        "application/ld+json",
        "application/x-ndjson",
        "application/xml",
        "application/yaml",
        "application/x-yaml",
        "application/toml",
        "application/javascript",
        "application/x-javascript",
        "application/typescript",
        "application/sql",
        "application/graphql",
        "application/x-sh",
        "application/x-shellscript",
        "application/x-httpd-php",
        "application/x-tex",
        "application/csv",
        "application/x-subrip",
    }
)

_BOMS = (
    # UTF-32 first: its little-endian mark begins with UTF-16's.
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)
_WORD = re.compile(r"[^\W\d_]+")
_ALLOWED_CONTROLS = frozenset("\t\n\r\f\v")
MAX_CONTROL_SHARE = 0.01

# Decoding a 512 KB file takes ~0.4 s of CPU; an album of them would stall every chat. One
# thread of its own, so it neither blocks the event loop nor queues behind DNS lookups and
# ffmpeg in the default executor. Its thread starts with the first file.
_DECODER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="decode-text")


class DocumentErrorKind(enum.StrEnum):
    EMPTY = "empty"
    BINARY = "binary"


class DocumentError(Exception):
    def __init__(self, kind: DocumentErrorKind) -> None:
        super().__init__(kind.value)
        self.kind = kind


def is_text_file(file_name: str | None, mime_type: str | None) -> bool:
    """Whether a file looks like text by its MIME type or its name."""
    mime = (mime_type or "").split(";")[0].strip().lower()
    if mime.startswith("text/") or mime in TEXT_MIME_TYPES or mime.endswith(("+json", "+xml")):
        return True
    path = PurePosixPath((file_name or "").lower())
    return path.suffix.lstrip(".") in TEXT_EXTENSIONS or path.name in TEXT_FILE_NAMES


def decode_text(data: bytes) -> str:
    """The file's text with `\\n` line ends. Raises `DocumentError` for empty or binary data.

    UTF-8 (with or without a BOM) and UTF-16/32 with a BOM are read as such; anything else
    that is not UTF-8 is read as Windows-1251 when that gives Cyrillic words, else as
    Windows-1252 / Latin-1, which never fail.
    """
    text = _decode(data)
    controls = sum(1 for char in text if _is_control(char))
    if controls > len(text) * MAX_CONTROL_SHARE:
        raise DocumentError(DocumentErrorKind.BINARY)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise DocumentError(DocumentErrorKind.EMPTY)
    return text


async def read_text(data: bytes) -> str:
    """`decode_text` off the event loop."""
    return await asyncio.get_running_loop().run_in_executor(_DECODER, decode_text, data)


def _decode(data: bytes) -> str:
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(codec, errors="replace")
    if b"\x00" in data:
        raise DocumentError(DocumentErrorKind.BINARY)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        cyrillic = data.decode("cp1251")
    except UnicodeDecodeError:
        cyrillic = None
    if cyrillic is not None and _reads_as_cyrillic(cyrillic):
        return cyrillic
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _reads_as_cyrillic(text: str) -> bool:
    """Western text read as cp1251 turns its accented letters Cyrillic inside Latin words
    ("café" → "cafй"); real Cyrillic text has whole Cyrillic words."""
    words = [word for word in _WORD.findall(text) if any(_is_cyrillic(c) for c in word)]
    if not words:
        return False
    mixed = sum(1 for word in words if any(c.isascii() for c in word))
    return mixed <= len(words) * 0.2


def _is_cyrillic(char: str) -> bool:
    return "\u0400" <= char <= "\u04ff"


def _is_control(char: str) -> bool:
    return char not in _ALLOWED_CONTROLS and unicodedata.category(char) == "Cc"


def file_block(name: str, text: str) -> str:
    """The file as the model gets it: its name, then its text in a code fence."""
    fence = "```"
    while fence in text:
        fence += "`"
    return f"File: {name}\n{fence}\n{text.rstrip()}\n{fence}"
