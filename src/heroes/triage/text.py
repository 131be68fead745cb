"""Plain text from documents found on a seized device, for full-text search.

Why: the words in a chat export, an invoice, a spreadsheet of names and phone numbers or a saved web
page are often what ties a device to a case, and an investigator can only search what has been turned
into text. This module turns PDF, Word, Excel and PowerPoint (Office Open XML), OpenDocument, RTF, HTML
and plain-text files into one normalised string per file; indexing it is done elsewhere.

It runs inside the scan's hashing workers as a per-file plug-in (``TEXT``), so every input is treated
as hostile and the work is bounded:

* Zip packages (Office, OpenDocument) are checked from the central directory *before* any library
  inflates a byte: at most ``MAX_ZIP_MEMBERS`` members, ``MAX_UNZIPPED_BYTES`` in all, and no member
  over ``MAX_RATIO`` times its compressed size once it passes ``RATIO_GRACE_BYTES`` (the rule and the
  defaults Apache POI uses). A directory can lie, and ``zipfile`` inflates a whole member in one go
  before cutting it to the declared size, so each deflate stream is then inflated here in 1 MiB
  steps, stopping one byte past its declared size: a member that would go further is refused. That
  pass costs at most the declared total, which the checks before it bound.
* XML is parsed with entity expansion, DTD loading and network access off (python-docx and
  python-pptx already parse that way; openpyxl uses expat, which refuses billion-laughs expansion).
* Text stops at ``max_chars`` (``truncated`` says so), PDFs at ``MAX_PDF_PAGES`` pages, spreadsheets
  at ``MAX_CELLS`` cells; pypdf's own decompression limits (75 MB a stream) stay on.
* Nothing is written anywhere and nothing is fetched: pure bytes in, text out. There is no wall-clock
  limit: pypdf on a pathological page, or openpyxl on a million cells (about 10 s), is slow but finite.

pypdf's and openpyxl's log records and warnings are turned into ``ExtractedText.warnings`` while they
run; that capture is process-global, which is fine because each worker process reads one file at a time.

Hostile or damaged input raises ``ValueError`` with a sentence an investigator can act on ("PDF is
encrypted; text not extracted"); through ``TEXT`` that becomes the file's error finding while its
hashes still come out. Other exceptions from the parsing libraries are wrapped the same way.

Which files: libmagic's MIME type decides (see ``supported``). A genuine .docx/.xlsx/.pptx is usually
named as such, but libmagic only looks at the first few zip members, and a package whose ``word/``,
``xl/`` or ``ppt/`` members come late is reported as ``application/octet-stream``; so that type is
accepted too, and the content itself is sniffed (an OOXML or OpenDocument zip, a PDF with junk before
its header, RTF). Plain ``application/zip`` is left to the archive walker. Legacy binary Office
(``.doc``/``.xls``/``.ppt``) is not read.

Text decoding: a byte-order mark (UTF-8/16/32) wins, then strict UTF-8, then (for HTML and XML) the
declared ``charset``/``encoding``, then cp1252 with replacement characters. NUL and other control
characters are dropped, runs of spaces and tabs become one space, and at most one blank line is kept.
"""

from __future__ import annotations

import codecs
import importlib
import io
import logging
import re
import struct
import warnings
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any

from heroes.config import Settings
from heroes.hashing.base import Content

__all__ = [
    "MAX_CELLS",
    "MAX_CHARS",
    "MAX_PDF_PAGES",
    "MAX_RATIO",
    "MAX_READ_BYTES",
    "MAX_UNZIPPED_BYTES",
    "MAX_ZIP_MEMBERS",
    "RATIO_GRACE_BYTES",
    "TEXT",
    "ExtractedText",
    "TextExtractor",
    "document_package",
    "extract_text",
    "normalise_whitespace",
    "supported",
]

_MIB = 1024 * 1024
MAX_CHARS = 1_000_000
"""Characters of text kept per file by default."""
MAX_PDF_PAGES = 2_000
MAX_CELLS = 1_000_000
"""Spreadsheet cells visited (empty ones included) across all sheets."""
MAX_ZIP_MEMBERS = 10_000
MAX_UNZIPPED_BYTES = 256 * _MIB
MAX_RATIO = 100
RATIO_GRACE_BYTES = _MIB
"""Members up to this size are not held to ``MAX_RATIO`` (small XML legitimately compresses well)."""
MAX_READ_BYTES = 64 * _MIB
"""The most ``TEXT`` reads of a file not already in memory; bigger PDF and Office files are refused."""
_MAX_WARNINGS = 20


@dataclass(frozen=True, slots=True)
class ExtractedText:
    """The normalised text of one document and how it was obtained."""

    text: str
    format: str
    """pdf, docx, xlsx, pptx, odt/ods/odp/odf, rtf, html or text."""
    truncated: bool = False
    """True when text, pages or cells were cut at a limit."""
    warnings: tuple[str, ...] = ()


class _Refused(ValueError):
    """Our own clear verdict, passed through unchanged by the library-error wrapper."""


# ---------------------------------------------------------------------------------------------
# Which content is read, and as what

_OOXML_PREFIXES = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.": "xlsx",
    "application/vnd.openxmlformats-officedocument.presentationml.": "pptx",
}
_OOXML_MACRO = {
    "application/vnd.ms-word.document.macroenabled.12": "docx",
    "application/vnd.ms-word.template.macroenabled.12": "docx",
    "application/vnd.ms-excel.sheet.macroenabled.12": "xlsx",
    "application/vnd.ms-excel.template.macroenabled.12": "xlsx",
    "application/vnd.ms-powerpoint.presentation.macroenabled.12": "pptx",
    "application/vnd.ms-powerpoint.slideshow.macroenabled.12": "pptx",
    "application/vnd.ms-powerpoint.template.macroenabled.12": "pptx",
}
_ODF_PREFIX = "application/vnd.oasis.opendocument."
_ODF_KINDS = {"text": "odt", "spreadsheet": "ods", "presentation": "odp"}
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_RTF_TYPES = frozenset({"text/rtf", "application/rtf"})
_XML_TYPES = frozenset({"text/xml", "application/xml"})
_TEXT_APPLICATION = frozenset(
    {
        "application/json",
        "application/xml",
        "application/x-ndjson",
        "application/javascript",
        "application/x-javascript",
        "application/ecmascript",
        "application/x-subrip",
        "application/x-yaml",
        "application/yaml",
        "application/toml",
        "application/csv",
        "application/sql",
        "application/x-sh",
        "application/x-php",
    }
)
_UNKNOWN = "application/octet-stream"
_SNIFFED = frozenset({_UNKNOWN, "application/zip"})
"""Types whose content is sniffed first: libmagic names some genuine Office and OpenDocument files so."""
_SNIFF_BYTES = 1024
_ZIP_MAGIC = b"PK\x03\x04"
_PACKAGE_FIRST_MEMBERS = (b"[Content_Types].xml", b"_rels/", b"docProps/", b"customXml/", b"mimetype")
_HTML_IN_XML = re.compile(rb"<html[\s>]", re.IGNORECASE)


def _base_type(mime: str | None) -> str:
    return (mime or "").split(";", 1)[0].strip().lower()


def supported(mime: str | None) -> bool:
    """True for the types text is extracted from (octet-stream and zip only after a sniff)."""
    kind = _base_type(mime)
    return kind in _SNIFFED or _kind_of_type(kind, b"") is not None


def document_package(head: bytes) -> bool:
    """True when a zip's first member says it is an Office or OpenDocument package, not an archive."""
    return _sniff(head) == "package"


def _kind_of_type(mime: str, head: bytes) -> str | None:
    """pdf, docx, xlsx, pptx, odf-*, rtf, html, text or None, from a lower-case MIME type."""
    if mime == "application/pdf":
        return "pdf"
    for prefix, kind in _OOXML_PREFIXES.items():
        if mime.startswith(prefix):
            return kind
    if mime in _OOXML_MACRO:
        return _OOXML_MACRO[mime]
    if mime.startswith(_ODF_PREFIX):
        return "odf-" + mime[len(_ODF_PREFIX) :].split("-", 1)[0]
    if mime in _HTML_TYPES or (mime in _XML_TYPES and _HTML_IN_XML.search(head[:_SNIFF_BYTES])):
        return "html"
    if mime in _RTF_TYPES:
        return "rtf"
    if mime.startswith("text/") or mime in _TEXT_APPLICATION:
        return "text"
    if mime.startswith("application/") and mime.endswith(("+json", "+xml")):
        return "text"
    return None


def _sniff(head: bytes) -> str | None:
    """What content libmagic called application/octet-stream really is, when it is a document."""
    if head.startswith(_ZIP_MAGIC) and len(head) >= 30:
        name_length = int.from_bytes(head[26:28], "little")
        first = head[30 : 30 + name_length]
        if first.startswith(_PACKAGE_FIRST_MEMBERS):
            return "package"  # OOXML or OpenDocument; which one is told from the member list
        return None
    if b"%PDF-" in head[:_SNIFF_BYTES]:
        return "pdf"
    if head.lstrip().startswith(b"{\\rtf"):
        return "rtf"
    return None


def _kind(mime: str | None, head: bytes) -> str | None:
    base = _base_type(mime)
    return _sniff(head) if base in _SNIFFED else _kind_of_type(base, head)


# ---------------------------------------------------------------------------------------------
# Entry point


def extract_text(data: bytes, mime: str | None, *, max_chars: int = MAX_CHARS) -> ExtractedText:
    """The text of a document; raises ValueError for damaged, hostile, encrypted or unsupported input."""
    kind = _kind(mime, data[:_SNIFF_BYTES])
    if kind is None:
        raise ValueError(f"no text extraction for {_base_type(mime) or 'content of unknown type'}")
    return _extract(data, kind, max_chars, complete=True)


def _extract(data: bytes, kind: str, max_chars: int, *, complete: bool) -> ExtractedText:
    """``complete`` is False when ``data`` is only the start of a longer file."""
    if max_chars < 1:
        raise ValueError("max_chars must be at least 1")
    sink = _Sink(max_chars)
    notes = _Notes()
    try:
        fmt = _dispatch(data, kind, sink, notes, complete)
    except _Refused:
        raise
    except Exception as exc:  # parsing libraries raise anything on hostile input; say what happened
        raise ValueError(
            f"{_label(kind)} could not be read; damaged or truncated? ({_describe(exc)})"
        ) from exc
    text = normalise_whitespace("".join(sink.parts))
    truncated = sink.full or not complete or notes.cut
    if len(text) > max_chars:
        text, truncated = text[:max_chars].rstrip(), True
    return ExtractedText(text, fmt, truncated, tuple(notes.lines))


def _dispatch(data: bytes, kind: str, sink: _Sink, notes: _Notes, complete: bool) -> str:
    if kind == "text":
        head = _head_for(data, sink, notes)
        sink.add(_decode(head, complete=complete and len(head) == len(data)))
        return "text"
    if kind == "html":
        _html(data, sink, notes, complete)
        return "html"
    if kind == "rtf":
        _rtf(data, sink)
        return "rtf"
    if kind == "pdf":
        _pdf(data, sink, notes)
        return "pdf"
    archive = _open_package(data, kind)
    if kind == "package":
        kind = _package_kind(archive)
    if kind == "docx":
        _docx(data, sink, notes)
    elif kind == "xlsx":
        _xlsx(data, sink, notes)
    elif kind == "pptx":
        _pptx(data, sink)
    else:
        _odf(archive, sink, notes)
        return _ODF_KINDS.get(kind.removeprefix("odf-"), "odf")
    return kind


_LABELS = {"text": "text", "html": "HTML page", "rtf": "RTF document", "pdf": "PDF", "package": "document"}


def _label(kind: str) -> str:
    return _LABELS.get(kind, "OpenDocument file" if kind.startswith("odf") else f"{kind.upper()} document")


def _describe(exc: BaseException) -> str:
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    name = type(exc).__name__
    return f"{name}: {message[:200]}" if message else name


class _Sink:
    """Collects text up to a raw budget (twice the kept characters, since whitespace collapses)."""

    def __init__(self, max_chars: int) -> None:
        self.parts: list[str] = []
        self.size = 0
        self.budget = 2 * max_chars + 1024
        self.full = False

    def add(self, text: str) -> None:
        if self.full or not text:
            return
        if self.size + len(text) >= self.budget:
            text, self.full = text[: self.budget - self.size], True
        self.parts.append(text)
        self.size += len(text)


class _Notes:
    """Warnings without duplicates, in order, at most ``_MAX_WARNINGS``; ``cut`` marks a limit hit."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.cut = False

    def add(self, line: str) -> None:
        if line not in self.lines and len(self.lines) < _MAX_WARNINGS:
            self.lines.append(line)


# ---------------------------------------------------------------------------------------------
# Text decoding and whitespace

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: its BOM starts with UTF-16 LE's
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_DECLARED = re.compile(rb"""(?:charset|encoding)\s*=\s*["']?([A-Za-z0-9_.:-]{2,40})""", re.IGNORECASE)
_NEWLINES = str.maketrans(
    {"\r": "\n", "\x0b": "\n", "\x0c": "\n", "\x85": "\n", "\u2028": "\n", "\u2029": "\n"}
)
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_SPACES = re.compile(r"[^\S\n]+")
_EDGE_SPACES = re.compile(r" ?\n ?")
_BLANK_LINES = re.compile(r"\n{3,}")


def _decode(data: bytes, *, complete: bool = True, declared: bool = False) -> str:
    """Bytes of unknown encoding to text; ``complete`` False tolerates a character cut at the end."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return codecs.getincrementaldecoder(codec)("replace").decode(data[len(bom) :], final=complete)
    try:
        return codecs.getincrementaldecoder("utf-8")("strict").decode(data, final=complete)
    except UnicodeDecodeError:
        pass
    if declared:
        found = _DECLARED.search(data[:_SNIFF_BYTES])
        if found:
            try:
                codec = codecs.lookup(found.group(1).decode("ascii")).name
                if not codec.startswith(("utf-16", "utf-32", "utf-8")):
                    return codecs.getincrementaldecoder(codec)("strict").decode(data, final=complete)
            except (LookupError, UnicodeDecodeError):
                pass
    return data.decode("cp1252", "replace")


def normalise_whitespace(text: str) -> str:
    """Control characters out, runs of spaces and tabs to one space, at most one blank line."""
    text = text.replace("\r\n", "\n").translate(_NEWLINES)
    text = _CONTROL.sub("", text)
    text = _SPACES.sub(" ", text)
    text = _EDGE_SPACES.sub("\n", text)
    return _BLANK_LINES.sub("\n\n", text).strip()


def _text_bytes(max_chars: int) -> int:
    """Bytes enough for a sink's budget of characters (4 bytes each at worst, plus a BOM)."""
    return 4 * _Sink(max_chars).budget + 4


def _head_for(data: bytes, sink: _Sink, notes: _Notes) -> bytes:
    """The start of plain text that can fill the sink; reading on would be wasted."""
    limit = 4 * sink.budget + 4
    if len(data) > limit:
        notes.cut = True
        return data[:limit]
    return data


# ---------------------------------------------------------------------------------------------
# HTML and RTF

_STRIPPED_TAGS = ["script", "style", "noscript", "template"]
_BLOCKS = (
    "p, div, br, li, dt, dd, tr, h1, h2, h3, h4, h5, h6, table, ul, ol, dl, section, article, header, "
    "footer, nav, aside, main, blockquote, pre, address, figure, figcaption, hr, form, fieldset, legend, "
    "option, caption, details, summary"
)


def _html(data: bytes, sink: _Sink, notes: _Notes, complete: bool) -> None:
    from selectolax.lexbor import LexborHTMLParser

    if len(data) > MAX_READ_BYTES:
        data, complete, notes.cut = data[:MAX_READ_BYTES], False, True
    tree = LexborHTMLParser(_decode(data, complete=complete, declared=True))
    tree.strip_tags(_STRIPPED_TAGS)
    title = tree.css_first("title")
    if title is not None:
        sink.add(title.text() + "\n\n")
        title.decompose()
    for node in tree.css(_BLOCKS):  # so that block elements do not run their words together
        node.insert_before("\n")
        node.insert_after("\n")
    for cell in tree.css("td, th"):
        cell.insert_after("\t")
    root = tree.body if tree.body is not None else tree.root
    if root is not None:
        sink.add(root.text())


_RTF_TOKEN = re.compile(
    r"\\([a-zA-Z]{1,32})(-?\d{1,10})? ?|\\'([0-9a-fA-F]{2})|\\([^a-zA-Z])|([{}])|([^\\{}\r\n]+)|[\r\n]+"
)
_RTF_SKIP = frozenset(
    (
        *("fonttbl", "colortbl", "stylesheet", "info", "pict", "object", "objdata", "themedata"),
        *("colorschememapping", "datastore", "latentstyles", "listtable", "listoverridetable", "rsidtbl"),
        *("generator", "xmlnstbl", "filetbl", "revtbl", "pgdsctbl", "fldinst", "bkmkstart", "bkmkend"),
        *("shppict", "nonshppict", "blipuid", "mmathPr", "userprops", "docvar", "template", "atnid"),
        *("atnauthor", "protusertbl", "passwordhash"),
    )
)
_RTF_CHARS = {
    "par": "\n",
    "line": "\n",
    "sect": "\n\n",
    "page": "\n\n",
    "row": "\n",
    "cell": "\t",
    "tab": "\t",
    "emdash": "\u2014",
    "endash": "\u2013",
    "emspace": " ",
    "enspace": " ",
    "qmspace": " ",
    "bullet": "\u2022",
    "lquote": "\u2018",
    "rquote": "\u2019",
    "ldblquote": "\u201c",
    "rdblquote": "\u201d",
}


def _rtf(data: bytes, sink: _Sink) -> None:
    """The visible text of an RTF document: control words, tables of fonts and colours, pictures out."""
    source = data.decode("latin-1")  # RTF is 7-bit; \\'hh escapes carry the code page's bytes
    codepage = "cp1252"
    stack: list[tuple[int, bool]] = []
    skip_after_unicode, ignorable, pending_skip = 1, False, 0
    hex_bytes = bytearray()
    pos = 0
    while pos < len(source) and not sink.full:
        found = _RTF_TOKEN.match(source, pos)
        if found is None:  # a lone backslash at the end
            break
        pos = found.end()
        word, argument, hex_pair, symbol, brace, run = found.groups()
        if hex_pair is not None:
            if pending_skip:
                pending_skip -= 1
            elif not ignorable:
                hex_bytes.append(int(hex_pair, 16))
            continue
        if hex_bytes:
            sink.add(hex_bytes.decode(codepage, "replace"))
            hex_bytes.clear()
        if run is not None:
            if pending_skip:
                run, pending_skip = run[pending_skip:], max(0, pending_skip - len(run))
            if not ignorable:
                sink.add(run)
        elif brace == "{":
            pending_skip = 0
            stack.append((skip_after_unicode, ignorable))
        elif brace == "}":
            pending_skip = 0
            if stack:
                skip_after_unicode, ignorable = stack.pop()
        elif symbol is not None:
            pending_skip = 0
            if symbol == "*":
                ignorable = True
            elif not ignorable:
                sink.add({"~": "\xa0", "_": "-", "-": "", "\n": "\n", "\r": "\n"}.get(symbol, symbol))
        elif word is not None:
            pending_skip = 0
            number = int(argument) if argument else None
            if word in _RTF_SKIP:
                ignorable = True
            elif word == "ansicpg" and number is not None:
                with suppress(LookupError):
                    codepage = codecs.lookup(f"cp{number}").name
            elif word == "bin" and number:
                pos += max(0, number)
            elif ignorable:
                continue
            elif word == "uc" and number is not None:
                skip_after_unicode = max(0, min(number, 10))
            elif word == "u" and number is not None:
                code = number + 0x10000 if number < 0 else number
                sink.add(chr(code) if 0 < code < 0x110000 and not 0xD800 <= code < 0xE000 else "\ufffd")
                pending_skip = skip_after_unicode
            elif word in _RTF_CHARS:
                sink.add(_RTF_CHARS[word])
    if hex_bytes:
        sink.add(hex_bytes.decode(codepage, "replace"))


# ---------------------------------------------------------------------------------------------
# PDF


@contextmanager
def _library_warnings(logger_name: str, notes: _Notes, prefix: str) -> Iterator[None]:
    """Turn a library's log records and Python warnings into our warnings while it runs."""

    class _Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            notes.add(f"{prefix}: {record.getMessage()[:200]}")

    logger = logging.getLogger(logger_name)
    handler, propagate = _Collect(logging.WARNING), logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield
        for warning in caught:
            notes.add(f"{prefix}: {str(warning.message)[:200]}")
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate


def _pdf(data: bytes, sink: _Sink, notes: _Notes) -> None:
    from pypdf import PasswordType, PdfReader
    from pypdf.errors import DependencyError

    no_aes = "PDF is encrypted with AES and no AES library (cryptography) is installed; text not extracted"
    with _library_warnings("pypdf", notes, "PDF"):
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")
            except DependencyError as exc:
                raise _Refused(no_aes) from exc
            if opened == PasswordType.NOT_DECRYPTED:
                raise _Refused("PDF is encrypted; text not extracted")
            notes.add("PDF is encrypted with an empty user password; text read anyway")
        count = len(reader.pages)
        if count > MAX_PDF_PAGES:
            notes.add(f"PDF has {count:,} pages; only the first {MAX_PDF_PAGES:,} were read")
            notes.cut = True
        failed = 0
        for number in range(min(count, MAX_PDF_PAGES)):
            if sink.full:
                break
            try:
                sink.add(reader.pages[number].extract_text() + "\n\n")
            except DependencyError as exc:  # AES-128 passes the password check, then fails on each stream
                raise _Refused(no_aes) from exc
            except Exception as exc:  # one bad page must not cost the others
                failed += 1
                notes.add(f"PDF page {number + 1} unreadable ({_describe(exc)}); skipped")
        if count and failed == min(count, MAX_PDF_PAGES):
            raise _Refused(f"PDF could not be read: none of its {count:,} pages could be parsed")


# ---------------------------------------------------------------------------------------------
# Zip packages: Office Open XML and OpenDocument


def _printable(name: str) -> str:
    shown = name if name.isprintable() else ascii(name)[1:-1]
    return shown if len(shown) <= 80 else shown[:77] + "..."


def _open_package(data: bytes, kind: str) -> zipfile.ZipFile:
    """The zip, once its directory and its deflate streams show it is safe to inflate; else _Refused."""
    label = _label(kind)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise _Refused(f"{label} is damaged or not a zip package ({_describe(exc)})") from exc
    if len(members) > MAX_ZIP_MEMBERS:
        raise _Refused(f"{label} has {len(members):,} zip members (limit {MAX_ZIP_MEMBERS:,}); not read")
    total = 0
    for member in members:
        if member.flag_bits & 0x1:
            raise _Refused(f"{label} has encrypted zip members; text not extracted")
        if member.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise _Refused(
                f"{label} uses zip compression method {member.compress_type} for member "
                f"{_printable(member.filename)} (Office and OpenDocument only store or deflate); not read"
            )
        size = member.file_size
        total += size
        ratio = size / max(member.compress_size, 1)
        if size > RATIO_GRACE_BYTES and ratio > MAX_RATIO:
            raise _Refused(
                f"document looks like a decompression bomb: member {_printable(member.filename)} "
                f"expands {ratio:,.0f}x ({size / _MIB:,.0f} MiB)"
            )
    if total > MAX_UNZIPPED_BYTES:
        raise _Refused(
            f"document looks like a decompression bomb: {total / _MIB:,.0f} MiB uncompressed "
            f"(limit {MAX_UNZIPPED_BYTES // _MIB:,} MiB)"
        )
    for member in members:
        if member.compress_type == zipfile.ZIP_DEFLATED and not _inflates_within(data, member, label):
            raise _Refused(
                f"document looks like a decompression bomb: member {_printable(member.filename)} "
                f"inflates past the {member.file_size:,} bytes its zip directory declares"
            )
    return archive


_INFLATE_STEP = _MIB


def _inflates_within(data: bytes, member: zipfile.ZipInfo, label: str) -> bool:
    """True when the member's deflate stream gives no more than its declared size.

    ``zipfile`` cuts a member's output at the declared size, but inflates a whole ``read()`` first (up
    to 2 GiB), so a directory that understates a size is checked here, in bounded steps, before any
    library reads the member.
    """
    start = member.header_offset
    header = data[start : start + 30]
    if len(header) < 30 or not header.startswith(_ZIP_MAGIC):
        raise _Refused(f"{label} is damaged: member {_printable(member.filename)} has no local header")
    name_length, extra_length = struct.unpack("<HH", header[26:30])
    begin = start + 30 + name_length + extra_length
    stream = memoryview(data)[begin : begin + member.compress_size]
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    room, position, pending = member.file_size + 1, 0, b""
    try:
        while room > 0 and not inflater.eof:
            if not pending:
                if position >= len(stream):
                    break
                pending = bytes(stream[position : position + _INFLATE_STEP])
                position += _INFLATE_STEP
            room -= len(inflater.decompress(pending, min(room, _INFLATE_STEP)))
            pending = inflater.unconsumed_tail
    except zlib.error as exc:
        raise _Refused(f"{label} is damaged: member {_printable(member.filename)} ({exc})") from exc
    return room > 0


def _package_kind(archive: zipfile.ZipFile) -> str:
    """docx, xlsx, pptx or odf-*, from the members of a package libmagic could not name."""
    names = archive.namelist()
    if "mimetype" in names and "content.xml" in names:
        declared = archive.read("mimetype")[:100].decode("ascii", "replace").strip().lower()
        return "odf-" + declared.removeprefix(_ODF_PREFIX).split("-", 1)[0]
    for prefix, kind in (("word/", "docx"), ("xl/", "xlsx"), ("ppt/", "pptx")):
        if any(name.startswith(prefix) for name in names):
            return kind
    raise _Refused("zip package is neither an Office Open XML nor an OpenDocument file; no text")


def _etree() -> Any:
    """lxml.etree (installed with python-docx and python-pptx; it ships no type stubs)."""
    return importlib.import_module("lxml.etree")


def _xml(blob: bytes) -> Any:
    """Parsed XML with entity expansion, DTD loading and network access off."""
    etree = _etree()
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_comments=True
    )
    return etree.fromstring(blob, parser)


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_WORD_TEXT = {f"{_W}t": None, f"{_W}tab": "\t", f"{_W}br": "\n", f"{_W}cr": "\n", f"{_W}noBreakHyphen": "-"}
_WORD_BLOCKS = frozenset({f"{_W}p", f"{_W}tr"})
_WORD_SKIP = frozenset({_MC_FALLBACK, f"{_W}pPr", f"{_W}rPr", f"{_W}sectPr", f"{_W}tblPr"})
_DRAWING_TEXT = {f"{_A}t": None, f"{_A}br": "\n"}
_DRAWING_BLOCKS = frozenset({f"{_A}p"})
_DRAWING_SKIP = frozenset({_MC_FALLBACK, f"{_A}pPr", f"{_A}rPr", f"{_A}endParaRPr"})


def _walk_ooxml(
    root: Any, text: dict[str, str | None], blocks: frozenset[str], skip: frozenset[str], sink: _Sink
) -> None:
    """Text runs, breaks and paragraphs in document order; alternate-content fallbacks are skipped."""
    walker = _etree().iterwalk(root, events=("start",))
    for _, element in walker:
        tag = element.tag
        if tag in skip:
            walker.skip_subtree()
        elif tag in text:
            sink.add(text[tag] or element.text or "")
        elif tag in blocks:
            sink.add("\n")
            if sink.full:
                return


def _docx(data: bytes, sink: _Sink, notes: _Notes) -> None:
    import docx  # noqa: F401  (registers python-docx's part classes)
    from docx.opc.constants import RELATIONSHIP_TYPE as RT
    from docx.package import Package

    main = Package.open(io.BytesIO(data)).main_document_part
    related = (RT.HEADER, RT.FOOTER, RT.FOOTNOTES, RT.ENDNOTES, RT.COMMENTS)
    parts = [main] + [
        rel.target_part for rel in main.rels.values() if not rel.is_external and rel.reltype in related
    ]
    deleted = False
    for part in parts:
        element = getattr(part, "element", None)
        root = element if element is not None else _xml(part.blob)  # .docm and .dotx: generic parts
        _walk_ooxml(root, _WORD_TEXT, _WORD_BLOCKS, _WORD_SKIP, sink)
        sink.add("\n\n")
        deleted = deleted or next(root.iter(f"{_W}delText"), None) is not None
    if deleted:
        notes.add("document has tracked deletions; the deleted text is not included")


def _pptx(data: bytes, sink: _Sink) -> None:
    from pptx.package import Package

    presentation = Package.open(io.BytesIO(data)).presentation_part.presentation
    for slide in presentation.slides:
        _walk_ooxml(slide.element, _DRAWING_TEXT, _DRAWING_BLOCKS, _DRAWING_SKIP, sink)
        if slide.has_notes_slide:
            sink.add("\n")
            _walk_ooxml(slide.notes_slide.element, _DRAWING_TEXT, _DRAWING_BLOCKS, _DRAWING_SKIP, sink)
        sink.add("\n\n")
        if sink.full:
            return


def _xlsx(data: bytes, sink: _Sink, notes: _Notes) -> None:
    from openpyxl import load_workbook

    with _library_warnings("openpyxl", notes, "spreadsheet"):
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            cells = 0
            for sheet in workbook.worksheets:
                sink.add(f"{sheet.title}\n")
                if hasattr(sheet, "reset_dimensions"):
                    sheet.reset_dimensions()  # a declared A1:XFD1048576 must not pad every row
                for row in sheet.iter_rows(values_only=True):
                    cells += max(1, len(row))
                    if cells > MAX_CELLS:
                        notes.add(f"spreadsheet has more than {MAX_CELLS:,} cells; the rest were not read")
                        notes.cut = True
                        return
                    line = "\t".join("" if value is None else str(value) for value in row).strip()
                    if line:
                        sink.add(line + "\n")
                    if sink.full:
                        return
                sink.add("\n")
        finally:
            workbook.close()


_ODF_TEXT_NS = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
_ODF_OFFICE_NS = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
_ODF_TABLE_NS = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_ODF_BLOCKS = frozenset({f"{_ODF_TEXT_NS}p", f"{_ODF_TEXT_NS}h", f"{_ODF_TABLE_NS}table-row"})
_ODF_SKIP = frozenset({f"{_ODF_TEXT_NS}tracked-changes", f"{_ODF_OFFICE_NS}forms"})
_ODF_MAX_SPACES = 100


def _odf(archive: zipfile.ZipFile, sink: _Sink, notes: _Notes) -> None:
    try:
        blob = archive.read("content.xml")
    except KeyError as exc:
        raise _Refused("OpenDocument file has no content.xml; no text") from exc
    root = _xml(blob)
    body = root.find(f"{_ODF_OFFICE_NS}body")
    walker = _etree().iterwalk(body if body is not None else root, events=("start", "end"))
    for event, element in walker:
        tag = element.tag
        if event == "end":
            if tag in _ODF_BLOCKS:
                sink.add("\n")
            elif tag == f"{_ODF_TABLE_NS}table-cell":
                sink.add("\t")
            sink.add(element.tail or "")
            if sink.full:
                return
            continue
        if not isinstance(tag, str):  # an unexpanded entity reference or a processing instruction
            continue
        if tag in _ODF_SKIP:
            notes.add("document has tracked changes; deleted text is not included")
            walker.skip_subtree()
            continue
        if tag in _ODF_BLOCKS:
            sink.add("\n")
        elif tag == f"{_ODF_TEXT_NS}s":
            count = element.get(f"{_ODF_TEXT_NS}c", "1")
            sink.add(" " * (min(int(count), _ODF_MAX_SPACES) if count.isdigit() else 1))
        elif tag == f"{_ODF_TEXT_NS}tab":
            sink.add("\t")
        elif tag == f"{_ODF_TEXT_NS}line-break":
            sink.add("\n")
        sink.add(element.text or "")


# ---------------------------------------------------------------------------------------------
# The per-file plug-in


class _TextSession:
    def __init__(self) -> None:
        self._head: bytes | None = None

    def update(self, chunk: bytes) -> None:
        """Only the start is kept here, to sniff content libmagic could not name."""
        if self._head is None:
            self._head = chunk[:_SNIFF_BYTES]

    def finish(self, content: Content, settings: Settings) -> dict[str, Any]:
        head = content.data[:_SNIFF_BYTES] if content.data is not None else (self._head or b"")
        kind = _kind(content.mime, head)
        if kind is None:
            return {}  # octet-stream or zip content that is not a document
        data = content.data
        if data is None:
            partial = kind in ("text", "html", "rtf")  # their start is worth having on its own
            if not partial and content.size > MAX_READ_BYTES:
                raise ValueError(
                    f"too large for text extraction ({content.size / _MIB:,.0f} MiB > "
                    f"{MAX_READ_BYTES // _MIB:,} MiB)"
                )
            with content.open() as handle:
                wanted = min(MAX_READ_BYTES, _text_bytes(MAX_CHARS) + 1) if kind == "text" else MAX_READ_BYTES
                data = handle.read(wanted)
        found = _extract(data, kind, MAX_CHARS, complete=len(data) >= content.size)
        if not found.text:
            return {}
        return {"text": found.text, "text_truncated": found.truncated}


class TextExtractor:
    """Plain text of documents (PDF, Office, OpenDocument, RTF, HTML, text) for full-text search."""

    name = "text"
    version = "1"
    fields: tuple[str, ...] = ("text", "text_truncated")

    def accepts(self, mime: str | None) -> bool:
        """Documents and text-like content; unnamed binary content is sniffed in ``finish``."""
        return supported(mime)

    def begin(self) -> _TextSession:
        """A session that reads the retained bytes (or a bounded second pass) in ``finish``."""
        return _TextSession()


TEXT = TextExtractor()
