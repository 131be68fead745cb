"""Telling hash-list formats apart by content, never by file name.

Lists arrive renamed, zipped and mislabelled, so the decision reads the first 64 KiB:

* ``SQLite format 3\\0`` at offset 0 → ``nsrl`` (RDSv3 is the only SQLite list we read);
* after an optional byte-order mark, ``{`` or ``[`` with an OData header, a ``"value"``, a
  ``"Media"`` or an ``"MD5"`` key in the first 64 KiB → ``vics``; other JSON is refused;
* a first line (after blank and ``#`` lines) whose cells name a hash column → ``csv``;
* anything else → ``text`` (one hash per line; bad lines are reported by the reader).

ZIP and gzip archives are refused with a message, since NSRL and VICS sets are often shipped
compressed and importing the archive bytes as text would only yield malformed lines.
"""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path

from heroes.errors import HashListFormatError, NotFound

__all__ = ["SNIFF_BYTES", "ListFormat", "detect_format"]

SNIFF_BYTES = 64 * 1024


class ListFormat(StrEnum):
    """A hash-list format the importer can read."""

    VICS = "vics"
    NSRL = "nsrl"
    CSV = "csv"
    TEXT = "text"
    VPDQ = "vpdq"


_VICS_MARKERS = re.compile(r'odata\.(?:context|metadata)|"value"\s*:|"Media"\s*:|"MD5"\s*:', re.IGNORECASE)
# Meta's reference vPDQ lines: frame number, quality, 64 hex digits, timestamp in seconds.
_VPDQ_LINE = re.compile(r"^[0-9]{1,9},[0-9]{1,3},[0-9a-fA-F]{64},[0-9]+(?:\.[0-9]+)?$")
_HEADER_NAMES = {"md5", "sha1", "sha-1", "sha256", "sha-256", "pdq", "hash", "value"}
_CELL_SPLIT = re.compile(r"[\t,;|]")
_ARCHIVES = (
    (b"PK\x03\x04", "a ZIP archive"),
    (b"\x1f\x8b", "a gzip file"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
)


def detect_format(path: Path) -> ListFormat:
    """The format of the list at path, from its first bytes."""
    try:
        with path.open("rb") as handle:
            head = handle.read(SNIFF_BYTES)
    except FileNotFoundError:
        raise NotFound(f"hash list {path} does not exist") from None
    except OSError as exc:
        raise HashListFormatError(f"hash list {path} cannot be read: {exc.strerror or exc}") from None
    if head.startswith(b"SQLite format 3\x00"):
        return ListFormat.NSRL
    for magic, what in _ARCHIVES:
        if head.startswith(magic):
            raise HashListFormatError(f"{path} is {what}; extract the list inside it and import that")
    text = _decode(head)
    body = text.lstrip()
    if body[:1] in ("{", "["):
        if _VICS_MARKERS.search(body):
            return ListFormat.VICS
        raise HashListFormatError(
            f"{path} is JSON but not Project VIC (no odata header, 'value' or 'Media' in the first "
            f"{SNIFF_BYTES // 1024} KiB)"
        )
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if _VPDQ_LINE.match(stripped):
            return ListFormat.VPDQ
        cells = {c.strip().strip('"').strip().lower() for c in _CELL_SPLIT.split(stripped)}
        return ListFormat.CSV if cells & _HEADER_NAMES else ListFormat.TEXT
    return ListFormat.TEXT


def _decode(head: bytes) -> str:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return head.decode("utf-16", "replace")
    return head.removeprefix(b"\xef\xbb\xbf").decode("utf-8", "replace")
