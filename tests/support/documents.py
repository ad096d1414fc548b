"""Small real documents made at test time: text and scanned PDFs, DOCX, ODT, RTF.

The PDFs are written by hand (same bytes every time); DOCX and ODT come from python-docx and
odfdo, the libraries the bot reads them with, so they are what a word processor would save.
"""

from __future__ import annotations

import io
import zipfile


def _pdf(objects: list[bytes]) -> bytes:
    """A PDF file of these objects (object 1 is the catalog), with a correct xref table."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets: list[int] = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def _stream(content: bytes, extra: bytes = b"") -> bytes:
    return b"<< /Length %d %s>>\nstream\n" % (len(content), extra) + content + b"\nendstream"


def _escape(text: str) -> bytes:
    raw = text.encode("latin-1")
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def text_pdf(*pages: str) -> bytes:
    """A PDF with a text layer: one page per argument, each line of it a line of text."""
    count = len(pages)
    kids = b" ".join(b"%d 0 R" % (4 + 2 * i) for i in range(count))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, count),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    for page in pages:
        lines = [b"BT /F1 12 Tf 72 720 Td 14 TL"]
        lines += [b"(%s) Tj T*" % _escape(line) for line in page.split("\n")]
        lines.append(b"ET")
        number = len(objects) + 1
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792]"
            b" /Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % (number + 1)
        )
        objects.append(_stream(b"\n".join(lines)))
    return _pdf(objects)


def scanned_pdf() -> bytes:
    """A PDF whose one page is a picture (like a scan): no text layer at all."""
    pixels = bytes((x * 16 + y * 8) % 256 for y in range(16) for x in range(16))
    image = _stream(
        pixels,
        b"/Type /XObject /Subtype /Image /Width 16 /Height 16 /ColorSpace /DeviceGray"
        b" /BitsPerComponent 8 ",
    )
    return _pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792]"
            b" /Resources << /XObject << /Im1 4 0 R >> >> /Contents 5 0 R >>",
            image,
            _stream(b"q 400 0 0 400 100 300 cm /Im1 Do Q"),
        ]
    )


def encrypted_pdf(text: str, password: str = "secret") -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(text_pdf(text))))
    writer.encrypt(password)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def docx_file(*paragraphs: str, table: list[list[str]] | None = None) -> bytes:
    import docx

    document = docx.Document()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                grid.cell(r, c).text = value
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def odt_file(*paragraphs: str) -> bytes:
    from odfdo import Document, Paragraph

    document = Document("text")
    for paragraph in paragraphs:
        document.body.append(Paragraph(paragraph))
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def rtf_file(text: str) -> bytes:
    """An RTF document (Windows-1251 code page, so Cyrillic is written as escapes)."""
    body = []
    for char in text:
        if char == "\n":
            body.append("\\par\n")
        elif ord(char) < 128:
            body.append("\\" + char if char in "\\{}" else char)
        else:
            body.append(f"\\'{char.encode('cp1251')[0]:02x}")
    return (
        "{\\rtf1\\ansi\\ansicpg1251\\deff0{\\fonttbl{\\f0 Times New Roman;}}\\f0\\fs24 "
        + "".join(body)
        + "\\par\n}"
    ).encode("ascii")


def zip_bomb(name: str = "word/document.xml", unpacked_mb: int = 64) -> bytes:
    """A small zip that would unpack to `unpacked_mb` megabytes (named like a DOCX part)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(name, b" " * (unpacked_mb * 1024 * 1024))
    return out.getvalue()
