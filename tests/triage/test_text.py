"""Text extraction for full-text search, on benign documents generated here."""

from __future__ import annotations

import codecs
import io
import os
import re
import struct
import zipfile
from collections.abc import Callable
from typing import Any

import docx
import openpyxl
import pptx
import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.errors import DependencyError

from heroes.config import Settings
from heroes.hashing import MD5
from heroes.hashing.reader import detect_mime, hash_stream
from heroes.triage import text as text_module
from heroes.triage.text import (
    TEXT,
    ExtractedText,
    document_package,
    extract_text,
    normalise_whitespace,
    supported,
)

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
ODT = "application/vnd.oasis.opendocument.text"

# ---------------------------------------------------------------------------------------------
# Builders


def _docx(*paragraphs: str, header: str | None = None, table: list[list[str]] | None = None) -> bytes:
    document = docx.Document()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                grid.cell(r, c).text = value
    if header:
        document.sections[0].header.paragraphs[0].text = header
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _xlsx(sheets: dict[str, list[list[Any]]]) -> bytes:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _pptx(title: str, body: str, notes: str | None = None) -> bytes:
    presentation = pptx.Presentation()
    slide = presentation.slides.add_slide(presentation.slide_layouts[1])
    slide.shapes.title.text = title
    slide.placeholders[1].text = body
    if notes:
        slide.notes_slide.notes_text_frame.text = notes
    out = io.BytesIO()
    presentation.save(out)
    return out.getvalue()


def _pdf(pages: list[list[str]]) -> bytes:
    """A minimal valid PDF: one Helvetica text line per string, with a correct cross-reference table."""
    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(len(pages)))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    for i, lines in enumerate(pages):
        stream = (
            "BT /F1 12 Tf 14 TL 72 720 Td " + " ".join(f"({line}) '" for line in lines) + " ET"
        ).encode()
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> "
            f"/Contents {5 + 2 * i} 0 R >>".encode()
        )
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _encrypted(pdf: bytes, user_password: str) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.encrypt(user_password=user_password, owner_password="owner", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


_ODF_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"'
)


def _odf(body: str, kind: str = "text", doctype: str = "") -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), f"application/vnd.oasis.opendocument.{kind}")
        content = (
            f'<?xml version="1.0" encoding="UTF-8"?>{doctype}<office:document-content {_ODF_NS}>'
            f"<office:body>{body}</office:body></office:document-content>"
        )
        archive.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _rezip(data: bytes, replace: dict[str, bytes] | None = None, last: str | None = None) -> bytes:
    """The same package with some members replaced, and members starting with ``last`` moved to the end."""
    replace = replace or {}
    source = zipfile.ZipFile(io.BytesIO(data))
    members = source.infolist()
    if last:
        members = [m for m in members if not m.filename.startswith(last)] + [
            m for m in members if m.filename.startswith(last)
        ]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for member in members:
            archive.writestr(member.filename, replace.get(member.filename, source.read(member)))
    return out.getvalue()


def _mime(data: bytes) -> str | None:
    return detect_mime(data[: 64 * 1024])


# ---------------------------------------------------------------------------------------------
# Formats


def test_docx_body_table_and_header() -> None:
    data = _docx(
        "Invoice 4711 for Jane Example",
        "Second paragraph",
        header="Quarterly report",
        table=[["Rent", "500"]],
    )
    found = extract_text(data, DOCX)
    assert found.format == "docx" and not found.truncated
    for words in ("Invoice 4711 for Jane Example", "Second paragraph", "Quarterly report", "Rent", "500"):
        assert words in found.text
    assert found.text.index("Invoice") < found.text.index("Second paragraph")


def test_xlsx_cells_and_sheet_names() -> None:
    data = _xlsx(
        {"Contacts": [["Name", "Phone"], ["Bob Example", 447700900123]], "Notes": [[None, "pickup"]]}
    )
    found = extract_text(data, XLSX)
    assert found.format == "xlsx"
    for words in ("Contacts", "Bob Example", "447700900123", "Notes", "pickup"):
        assert words in found.text


def test_pptx_slides_and_notes() -> None:
    found = extract_text(_pptx("Meeting plan", "Point one\nPoint two", notes="Speaker reminder"), PPTX)
    assert found.format == "pptx"
    for words in ("Meeting plan", "Point one", "Point two", "Speaker reminder"):
        assert words in found.text


def test_pdf_pages_in_order() -> None:
    found = extract_text(_pdf([["Hello invoice 4711", "second line"], ["Page two words"]]), "application/pdf")
    assert found.format == "pdf" and not found.truncated
    assert "Hello invoice 4711" in found.text and "second line" in found.text
    assert found.text.index("4711") < found.text.index("Page two words")


def test_pdf_page_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(text_module, "MAX_PDF_PAGES", 2)
    found = extract_text(_pdf([["alpha"], ["bravo"], ["charlie"]]), "application/pdf")
    assert "alpha" in found.text and "bravo" in found.text and "charlie" not in found.text
    assert found.truncated
    assert any("3 pages" in line for line in found.warnings)


def test_opendocument_text_and_spreadsheet() -> None:
    data = _odf(
        "<office:text><text:h>Title here</text:h>"
        '<text:p>Hello<text:s text:c="3"/>big <text:span>world</text:span>!<text:tab/>tabbed'
        "<text:line-break/>next</text:p><text:p>Second</text:p></office:text>"
    )
    found = extract_text(data, ODT)
    assert found.format == "odt"
    assert found.text == "Title here\n\nHello big world! tabbed\nnext\n\nSecond"
    sheet = _odf(
        '<office:spreadsheet><table:table table:name="S"><table:table-row>'
        "<table:table-cell><text:p>north</text:p></table:table-cell>"
        '<table:table-cell table:number-columns-repeated="16000"/>'
        "<table:table-cell><text:p>south</text:p></table:table-cell>"
        "</table:table-row></table:table></office:spreadsheet>",
        kind="spreadsheet",
    )
    found = extract_text(sheet, "application/vnd.oasis.opendocument.spreadsheet")
    assert found.format == "ods" and "north" in found.text and "south" in found.text


def test_xml_entities_are_never_expanded_or_fetched() -> None:
    doctype = (
        '<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/hostname"><!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>'
    )
    found = extract_text(
        _odf("<office:text><text:p>before &xxe; &c; after</text:p></office:text>", doctype=doctype), ODT
    )
    assert "before" in found.text and "after" in found.text
    assert "aaaa" not in found.text
    if os.path.exists("/etc/hostname"):
        hostname = open("/etc/hostname").read().strip()  # noqa: SIM115
        assert not hostname or hostname not in found.text


def test_html_drops_scripts_and_styles_keeps_title() -> None:
    page = (
        b"<!DOCTYPE html><html><head><title>Community notice</title><style>.x{color:red}</style>"
        b"<script>var secret = 'SCRIPTWORD';</script></head><body><h1>Heading</h1>"
        b"<p>para <b>bold</b>word</p><div>block</div><noscript>NOSCRIPTWORD</noscript>"
        b"<template>TEMPLATEWORD</template><table><tr><td>cell1</td><td>cell2</td></tr></table></body></html>"
    )
    found = extract_text(page, "text/html")
    assert found.format == "html"
    assert found.text.startswith("Community notice")
    assert "para boldword" in found.text and "Heading" in found.text
    assert "block" in found.text.split() and "cell1" in found.text.split()
    for hidden in ("SCRIPTWORD", "color:red", "NOSCRIPTWORD", "TEMPLATEWORD"):
        assert hidden not in found.text


def test_html_declared_charset() -> None:
    page = '<html><head><meta charset="windows-1251"><title>t</title></head><body>привет мир</body></html>'
    found = extract_text(page.encode("cp1251"), "text/html")
    assert "привет мир" in found.text


def test_rtf_visible_text_only() -> None:
    rtf = (
        rb"{\rtf1\ansi\ansicpg1252\deff0{\fonttbl{\f0 Times;}}{\colortbl;\red0\green0\blue0;}"
        rb"{\*\generator Writer;}\f0\fs24 Hello \b bold\b0  caf\'e9 \u8364?5\par Second line"
        rb"{\pict\pngblip 89504e470d0a}\par}"
    )
    found = extract_text(rtf, "text/rtf")
    assert found.format == "rtf"
    assert found.text == "Hello bold café €5\nSecond line"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"plain ascii words", "plain ascii words"),
        ("\ufeffUTF-8 with BOM é".encode(), "UTF-8 with BOM é"),
        ("UTF-16 text é".encode("utf-16"), "UTF-16 text é"),
        (codecs.BOM_UTF16_BE + "UTF-16 BE".encode("utf-16-be"), "UTF-16 BE"),
        ("UTF-32 text €".encode("utf-32"), "UTF-32 text €"),
        ("café naïve – €5".encode("cp1252"), "café naïve – €5"),
        ("strict UTF-8 – ü".encode(), "strict UTF-8 – ü"),
        (b"nul\x00 removed", "nul removed"),
    ],
)
def test_text_decoding(raw: bytes, expected: str) -> None:
    found = extract_text(raw, "text/plain")
    assert found == ExtractedText(expected, "text")


def test_whitespace_normalised() -> None:
    assert normalise_whitespace("  a \t\t b\r\n\r\n\r\n\r\nc  \n  d\x0ce\u00a0f\x07") == "a b\n\nc\nd\ne f"


@pytest.mark.parametrize("mime", ["text/plain", "text/csv", "application/json", "text/xml", "text/x-c"])
def test_text_like_types(mime: str) -> None:
    assert supported(mime)
    assert extract_text(b'{"name": "value"}', mime).text == '{"name": "value"}'


def test_truncation_at_max_chars() -> None:
    found = extract_text(b"word " * 1000, "text/plain", max_chars=100)
    assert found.truncated and len(found.text) <= 100 and found.text.startswith("word word")
    assert not extract_text(b"word " * 10, "text/plain", max_chars=100).truncated
    found = extract_text(_docx(*(f"paragraph number {i}" for i in range(200))), DOCX, max_chars=50)
    assert found.truncated and len(found.text) <= 50 and found.text.startswith("paragraph number 0")


def test_long_text_is_cut_mid_character_cleanly() -> None:
    raw = "é" * 5000  # two bytes each; a byte budget can cut one in half, which must not fall back to cp1252
    found = extract_text(raw.encode(), "text/plain", max_chars=10)
    assert found.text == "é" * 10 and found.truncated


def test_supported_types() -> None:
    for mime in (
        DOCX,
        XLSX,
        PPTX,
        ODT,
        "application/pdf",
        "text/html",
        "text/rtf",
        "text/plain; charset=utf-8",
    ):
        assert supported(mime), mime
    assert supported("application/octet-stream")  # a genuine .docx can come out so; sniffed later
    assert supported("application/zip")  # so can an OpenDocument file; sniffed later too
    for other in ("image/jpeg", "video/mp4", "application/msword", None, ""):
        assert not supported(other), other
    assert TEXT.accepts(DOCX) and TEXT.accepts("application/zip")


def test_a_document_libmagic_calls_zip_is_read_and_a_real_zip_is_not() -> None:
    odt = _rezip(_odf("<office:text><text:p>zipped odt words</text:p></office:text>"))  # mimetype deflated
    assert _mime(odt) == "application/zip" and document_package(odt[:1024])
    assert _hash(odt, name=b"/x/notes.odt").values["text"] == "zipped odt words"
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as plain:
        plain.writestr("holiday/readme.txt", "just a note")
    assert not document_package(archive.getvalue()[:1024])
    result = _hash(archive.getvalue(), name=b"/x/photos.zip")
    assert result.error is None and "text" not in result.values


# ---------------------------------------------------------------------------------------------
# Damaged and hostile input


def _refused(data: bytes, mime: str | None) -> str:
    with pytest.raises(ValueError) as caught:
        extract_text(data, mime)
    return str(caught.value)


def test_damaged_documents_raise_clear_errors() -> None:
    document = _docx("some words")
    assert "DOCX document is damaged or not a zip package" in _refused(document[: len(document) // 2], DOCX)
    assert "DOCX document is damaged or not a zip package" in _refused(os.urandom(4000), DOCX)
    assert "XLSX document is damaged" in _refused(b"not a spreadsheet", XLSX)
    pdf = _pdf([["words"]])
    assert _refused(pdf[: len(pdf) // 2], "application/pdf").startswith("PDF could not be read")
    assert _refused(b"%PDF-1.4\n" + os.urandom(2000), "application/pdf").startswith("PDF could not be read")
    assert "no text extraction for image/jpeg" in _refused(b"\xff\xd8\xff", "image/jpeg")
    assert "no text extraction for application/octet-stream" in _refused(
        os.urandom(100), "application/octet-stream"
    )


def test_package_missing_its_main_part() -> None:
    data = _rezip(_docx("x"), last="word/")
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for member in source.infolist():
            if not member.filename.startswith("word/document"):
                archive.writestr(member, source.read(member))
    message = _refused(out.getvalue(), DOCX)
    assert message.startswith("DOCX document could not be read")


def test_zip_bomb_refused_from_the_directory(monkeypatch: pytest.MonkeyPatch) -> None:
    bomb = _rezip(_docx("x"), replace={"word/document.xml": b"\0" * 50_000_000})
    assert len(bomb) < 1_000_000
    opened: list[str] = []
    real_open = zipfile.ZipFile.open

    def spy(self: zipfile.ZipFile, name: Any, *args: Any, **kwargs: Any) -> Any:
        opened.append(getattr(name, "filename", name))
        return real_open(self, name, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "open", spy)
    message = _refused(bomb, DOCX)
    assert re.fullmatch(
        r"document looks like a decompression bomb: member word/document\.xml expands [\d,]+x \(48 MiB\)",
        message,
    )
    assert opened == []  # decided from the central directory; nothing was inflated


def _forge_size(data: bytes, name: str, size: int) -> bytes:
    """The package with ``name``'s uncompressed size rewritten in its local header and the directory."""
    forged = bytearray(data)
    member = zipfile.ZipFile(io.BytesIO(data)).getinfo(name)
    struct.pack_into("<I", forged, member.header_offset + 22, size)
    entry = forged.find(b"PK\x01\x02")
    while entry >= 0:
        (length,) = struct.unpack_from("<H", forged, entry + 28)
        if forged[entry + 46 : entry + 46 + length] == name.encode():
            struct.pack_into("<I", forged, entry + 24, size)
            return bytes(forged)
        entry = forged.find(b"PK\x01\x02", entry + 46)
    raise AssertionError(f"{name} not in the central directory")


def test_zip_directory_that_understates_a_size(monkeypatch: pytest.MonkeyPatch) -> None:
    bomb = _forge_size(
        _rezip(_docx("x"), replace={"word/document.xml": b"\0" * 50_000_000}), "word/document.xml", 900
    )
    assert zipfile.ZipFile(io.BytesIO(bomb)).getinfo("word/document.xml").file_size == 900
    monkeypatch.setattr(zipfile.ZipFile, "open", None)  # no library may get as far as reading a member
    message = _refused(bomb, DOCX)
    assert message == (
        "document looks like a decompression bomb: member word/document.xml inflates past the 900 bytes "
        "its zip directory declares"
    )


def test_zip_unusual_compression_refused() -> None:
    source = zipfile.ZipFile(io.BytesIO(_docx("x")))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for member in source.infolist():
            method = zipfile.ZIP_BZIP2 if member.filename == "word/document.xml" else zipfile.ZIP_DEFLATED
            archive.writestr(member.filename, source.read(member), compress_type=method)
    assert "compression method 12 for member word/document.xml" in _refused(out.getvalue(), DOCX)


def test_zip_total_size_and_member_count_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    data = _docx("x")
    monkeypatch.setattr(text_module, "MAX_UNZIPPED_BYTES", 1024)
    assert "decompression bomb" in _refused(data, DOCX) and "limit" in _refused(data, DOCX)
    monkeypatch.setattr(text_module, "MAX_UNZIPPED_BYTES", 256 * 1024 * 1024)
    monkeypatch.setattr(text_module, "MAX_ZIP_MEMBERS", 3)
    assert "zip members (limit 3)" in _refused(data, DOCX)


def test_encrypted_pdf() -> None:
    pdf = _pdf([["confidential words"]])
    assert _refused(_encrypted(pdf, "secret"), "application/pdf") == "PDF is encrypted; text not extracted"
    found = extract_text(_encrypted(pdf, ""), "application/pdf")  # owner restrictions only: readable
    assert "confidential words" in found.text
    assert found.warnings == ("PDF is encrypted with an empty user password; text read anyway",)


def test_aes_pdf_without_a_crypto_library(monkeypatch: pytest.MonkeyPatch) -> None:
    def needs_aes(self: PdfReader, password: str) -> Any:
        raise DependencyError("cryptography>=3.1 is required for AES algorithm")

    monkeypatch.setattr(PdfReader, "decrypt", needs_aes)
    message = _refused(_encrypted(_pdf([["words"]]), ""), "application/pdf")
    assert (
        message
        == "PDF is encrypted with AES and no AES library (cryptography) is installed; text not extracted"
    )


def test_spreadsheet_cell_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(text_module, "MAX_CELLS", 10)
    found = extract_text(_xlsx({"S": [[f"r{r}c{c}" for c in range(3)] for r in range(10)]}), XLSX)
    assert found.truncated and "r0c0" in found.text and "r9c0" not in found.text
    assert "more than 10 cells" in found.warnings[0]


# ---------------------------------------------------------------------------------------------
# libmagic and the reader


@pytest.mark.parametrize(
    ("build", "words"),
    [
        (lambda: _docx("docx marker words"), "docx marker words"),
        (lambda: _xlsx({"S": [["xlsx marker words"]]}), "xlsx marker words"),
        (lambda: _pptx("pptx marker words", "body"), "pptx marker words"),
        (lambda: _odf("<office:text><text:p>odt marker words</text:p></office:text>"), "odt marker words"),
        (lambda: _pdf([["pdf marker words"]]), "pdf marker words"),
        (lambda: b"<html><body><p>html marker words</p></body></html>", "html marker words"),
        (lambda: _rezip(_docx("late word members"), last="word/"), "late word members"),
    ],
)
def test_libmagic_types_are_accepted(build: Callable[[], bytes], words: str) -> None:
    data = build()
    mime = _mime(data)
    assert supported(mime), mime
    assert words in extract_text(data, mime).text


def _hash(data: bytes, settings: Settings | None = None, name: bytes = b"/x/doc.docx") -> Any:
    return hash_stream(
        name, io.BytesIO(data).read, settings or Settings(), [MD5, TEXT], reopen=lambda: io.BytesIO(data)
    )


def test_through_the_reader() -> None:
    result = _hash(_docx("Meeting at the harbour"))
    assert result.error is None
    assert result.values["text"] == "Meeting at the harbour"
    assert result.values["text_truncated"] is False
    assert len(result.values["md5"]) == 32


def test_bad_document_through_the_reader() -> None:
    data = _docx("x")
    result = _hash(data[: len(data) // 2] + b"\0" * 100)
    assert result.mime == DOCX  # libmagic names it from the first members
    assert len(result.values["md5"]) == 32
    assert result.error is not None and result.error.startswith("text: DOCX document is damaged")
    assert result.error_plugin == "text"
    assert "text" not in result.values


def test_unnamed_binary_gives_nothing_and_no_error() -> None:
    result = _hash(b"\x01\x02\x03" + os.urandom(5000), name=b"/x/blob.bin")
    assert result.mime == "application/octet-stream"
    assert result.error is None and "text" not in result.values and "md5" in result.values


def test_second_pass_when_not_kept_in_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    small = Settings(whole_file_bytes=1024, read_chunk_bytes=1024)
    data = _docx("Read again from the source")
    assert _hash(data, small).values["text"] == "Read again from the source"
    long_text = b"line of text\n" * 2000
    result = _hash(long_text, small, name=b"/x/notes.txt")
    assert result.values["text"].startswith("line of text") and result.values["text_truncated"] is False
    monkeypatch.setattr(text_module, "MAX_READ_BYTES", 4096)
    result = _hash(data, small)
    assert result.error is not None and "too large for text extraction" in result.error
    assert "md5" in result.values
    result = _hash(long_text, small, name=b"/x/notes.txt")  # plain text: its start is still worth having
    assert result.values["text"].startswith("line of text") and result.values["text_truncated"] is True


def test_empty_text_gives_no_fields() -> None:
    result = _hash(b"   \n\n  ", name=b"/x/blank.txt")
    assert result.error is None and "text" not in result.values
