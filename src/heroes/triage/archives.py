"""Archive members as items, in memory, with limits: zip, tar (plain, gz, bz2, xz), gz, bz2 and xz.

Why in memory and never on disk: evidence is read-only and the examiner's machine must not change
because of what a suspect's archive contains. Nothing is extracted; member names are never used as
paths. A member's bytes are handed over as ``Member.data`` (for hashing and metadata), and a member
that is itself an archive is opened the same way, down to ``ArchiveLimits.max_depth`` levels.

Why limits everywhere: archives are the cheapest denial-of-service against a triage tool. A zip
bomb expands kilobytes into terabytes; a "quine" zip contains itself forever; overlapping zip
entries reuse one compressed kernel thousands of times; a central directory can declare millions
of entries. So:

* declared sizes are checked first (cheap rejection) but never trusted: every member is
  stream-decompressed in 64 KiB steps and reading stops as soon as it passes its declared size,
  ``max_member_bytes``, ``max_ratio`` (uncompressed / compressed, enforced once a member is past
  ``ratio_grace_bytes`` so small, very compressible files stay fine) or the run's total budget;
* ``max_total_bytes`` counts every byte any decompressor produces (also bytes that were then
  discarded), so the work of a whole tree is bounded; when it runs out the walk stops;
* ``max_members`` counts every entry of every nested archive;
* zip entries whose data overlaps an earlier entry's are reported, not read.

A limit broken by one member gives an :class:`ArchiveError` for that member and the walk goes on
with the next; only the total budget and the member count stop the whole walk. A compressed tar is
one solid stream, so a bomb there ends that tar (members before it have already come out).

Member paths: ``Member.path`` is the container's path, then ``!/`` (``SEPARATOR``, as in Java's
``jar:`` URLs), then the member's normalised name; nesting repeats it:
``phone.tar.gz!/sdcard/chats.zip!/img/1.jpg``. A ``.tar.gz`` is one container (its tar layer is not
shown); a plain ``.gz`` holds one member named from its header (FNAME) or the container's name.
Normalisation only makes a safe display name: backslashes count as separators, leading ``/`` and
drive letters are dropped, ``.`` and ``..`` are resolved without ever climbing above the archive,
and control characters are escaped. Anything that had to change is listed in ``Member.flags``
("absolute path", "parent-directory traversal (..)", ...), and ``Member.name`` keeps the name as
stored. Symlinks, hard links, devices and FIFOs are reported as members with a ``kind`` and no
data; they are never followed.

Damage: a zip whose central directory is missing (the usual truncation) is re-read from its local
headers, so the members before the cut still come out; a bad CRC, bad local header or corrupt
deflate data spoils one member only. Tar is read with ``ignore_zeros`` so a damaged header is
skipped and the next good one is found; the skipped span is reported with its offset, and so are
non-zero bytes after the last member of a plain tar (a damaged last header, or data appended to
hide it), which tarfile would otherwise pass over in silence. Encrypted zip members are reported
("encrypted, not opened"), never guessed at.

Not opened: 7z and RAR. py7zr 1.1.4 (the maintained pure-Python 7z reader) needs nine packages,
seven of them compiled (pycryptodomex, brotli, psutil, backports.zstd, pyppmd, pybcj, inflate64),
and extracts through writer objects that would need limits of their own; it can be added behind
the same interface later. Such archives give one ArchiveError that says so.

Times: tar and gzip store UTC epoch seconds (aware datetimes); a zip's DOS time is local time of an
unknown zone (naive datetime) unless an extended-timestamp field (0x5455) gives UTC.
"""

from __future__ import annotations

import bz2
import contextlib
import io
import lzma
import mmap
import re
import stat
import struct
import tarfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import BinaryIO, Protocol, cast

__all__ = ["SEPARATOR", "ArchiveError", "ArchiveLimits", "Member", "archive_format", "iter_members"]

SEPARATOR = "!/"
"""Between a container's path and a member's name in ``Member.path``."""

_KIB = 1024
_MIB = 1024 * _KIB
_GIB = 1024 * _MIB
_CHUNK = 64 * _KIB
_MAX_LINK_TARGET = 4096
_XZ_MEMLIMIT = 256 * _MIB  # xz -9 needs 64 MiB of dictionary; refuse streams that ask for absurd amounts
_HARD_MAX_DEPTH = 32


@dataclass(frozen=True, slots=True)
class ArchiveLimits:
    """How much an archive tree may cost; the defaults suit a phone or laptop extraction."""

    max_members: int = 100_000
    """Entries listed across the whole tree (nested archives included)."""
    max_total_bytes: int = 4 * _GIB
    """Bytes decompressed across the whole tree, discarded ones included."""
    max_member_bytes: int = 512 * _MIB
    """Largest member read into memory; larger ones give an ArchiveError."""
    max_ratio: float = 100.0
    """Largest uncompressed/compressed ratio of a zip member or of a compressed stream."""
    max_depth: int = 3
    """Nested archive levels opened below the outermost one (0: do not open archives in archives)."""
    ratio_grace_bytes: int = 1 * _MIB
    """The ratio is only enforced past this many output bytes: small sparse files compress very well."""

    def __post_init__(self) -> None:
        for name in ("max_members", "max_total_bytes", "max_member_bytes"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")
        if self.max_ratio < 1:
            raise ValueError("max_ratio must be at least 1")
        if not 0 <= self.max_depth <= _HARD_MAX_DEPTH:
            raise ValueError(f"max_depth must be between 0 and {_HARD_MAX_DEPTH}")
        if self.ratio_grace_bytes < 0:
            raise ValueError("ratio_grace_bytes cannot be negative")


@dataclass(frozen=True, slots=True)
class Member:
    """One entry of an archive: a file with its bytes, or a link/device reported without data."""

    path: str
    """Display path: container path, ``!/``, normalised member name."""
    name: str
    """The name as stored in the archive (printable, not normalised)."""
    size: int
    mtime: datetime | None
    data: bytes | None = field(default=None, repr=False)
    kind: str = "file"
    """file, symlink, hardlink, device, fifo or other (only files carry data)."""
    link_target: str | None = None
    depth: int = 0
    """0 for members of the outermost archive, 1 for members of an archive inside it, ..."""
    flags: tuple[str, ...] = ()
    """What was unsafe about the stored name (absolute path, '..', control characters)."""
    compressed_size: int | None = None


@dataclass(frozen=True, slots=True)
class ArchiveError:
    """Something in an archive that could not be read, or was refused, and why."""

    path: str
    """The archive or member concerned."""
    message: str
    offset: int | None = None
    """Byte position in the (uncompressed) container, where known."""

    def __str__(self) -> str:
        where = f" (at byte {self.offset:,})" if self.offset is not None else ""
        return f"{self.path}: {self.message}{where}"


# ---------------------------------------------------------------------------------------------
# Formats

_MIME_FORMATS = {
    "application/zip": "zip",
    "application/x-zip-compressed": "zip",
    "application/java-archive": "zip",
    "application/vnd.android.package-archive": "zip",
    "application/epub+zip": "zip",
    "application/x-tar": "tar",
    "application/x-gtar": "tar",
    "application/gzip": "gzip",
    "application/x-gzip": "gzip",
    "application/x-bzip2": "bzip2",
    "application/x-xz": "xz",
    "application/x-7z-compressed": "7z",
    "application/x-rar": "rar",
    "application/vnd.rar": "rar",
}
_ZIP_MIME_PREFIXES = ("application/vnd.openxmlformats-officedocument.", "application/vnd.oasis.opendocument.")
_FORMATS = {"zip", "tar", "gzip", "bzip2", "xz", "7z", "rar"}
_ALIASES = {
    "gz": "gzip",
    "tgz": "gzip",
    "bz2": "bzip2",
    "tbz2": "bzip2",
    "txz": "xz",
    "jar": "zip",
    "apk": "zip",
}


def archive_format(head: bytes) -> str | None:
    """The archive format the first bytes announce (zip, tar, gzip, bzip2, xz, 7z, rar), or None."""
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return "zip"
    if head[:3] == b"\x1f\x8b\x08":
        return "gzip"
    if re.match(rb"BZh[1-9]1AY&SY", head[:10]):
        return "bzip2"
    if head[:6] == b"\xfd7zXZ\x00":
        return "xz"
    if head[:6] == b"7z\xbc\xaf\x27\x1c":
        return "7z"
    if head[:6] == b"Rar!\x1a\x07":
        return "rar"
    if _is_tar(head):
        return "tar"
    return None


def _is_tar(head: bytes) -> bool:
    if len(head) < 512:
        return False
    if head[257:262] == b"ustar":
        return True
    try:
        tarfile.TarInfo.frombuf(head[:512], "utf-8", "surrogateescape")
    except tarfile.HeaderError:
        return False
    return True


def _format_of(kind: str | None) -> str | None:
    if not kind:
        return None
    text = kind.split(";", 1)[0].strip().lower()
    text = _ALIASES.get(text, text)
    if text in _FORMATS:
        return text
    if text.startswith(_ZIP_MIME_PREFIXES):
        return "zip"
    return _MIME_FORMATS.get(text)


# ---------------------------------------------------------------------------------------------
# Shared state of one walk


class _Exhausted(Exception):
    """The whole walk must stop (total budget or member count)."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(message)
        self.path = path


class _Stop(Exception):
    """This container cannot go on (solid stream broken or bomb suspected)."""

    def __init__(self, message: str, offset: int | None = None) -> None:
        super().__init__(message)
        self.offset = offset


class _Budget:
    def __init__(self, limits: ArchiveLimits) -> None:
        self.limits = limits
        self.bytes = 0
        self.members = 0

    def take(self, count: int, path: str) -> None:
        self.bytes += count
        if self.bytes > self.limits.max_total_bytes:
            raise _Exhausted(
                path,
                f"total decompression budget of {self.limits.max_total_bytes:,} bytes spent; "
                "the remaining members were not read",
            )

    def count(self, path: str) -> None:
        self.members += 1
        if self.members > self.limits.max_members:
            raise _Exhausted(
                path,
                f"member limit of {self.limits.max_members:,} reached; the remaining members were not listed",
            )

    def over_ratio(self, produced: int, compressed: int) -> bool:
        limits = self.limits
        return produced > limits.ratio_grace_bytes and produced > limits.max_ratio * max(compressed, 1)


def _length(stream: BinaryIO) -> int:
    size = stream.seek(0, io.SEEK_END)
    stream.seek(0)
    return size


# ---------------------------------------------------------------------------------------------
# Names


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _printable(name: str) -> str:
    try:
        text = name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:
        text = name.encode("utf-8", "backslashreplace").decode("ascii")
    return text


def _display(name: str) -> tuple[str, tuple[str, ...]]:
    """A safe relative display name and the reasons it differs from the stored one."""
    flags: list[str] = []
    text = name
    if re.match(r"[A-Za-z]:", text):
        flags.append(f"absolute path (drive {text[:2]})")
        text = text[2:]
    elif text.startswith(("/", "\\")):
        flags.append("absolute path")
    parts: list[str] = []
    climbed = controls = False
    for part in re.split(r"[/\\]", text):  # split before escaping, which adds backslashes of its own
        if part in ("", "."):
            continue
        if part == "..":
            climbed = True
            if parts:
                parts.pop()
            continue
        shown = _printable(part)
        if _CONTROL.search(shown):
            controls = True
            shown = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", shown)
        parts.append(shown)
    if climbed:
        flags.append("parent-directory traversal (..)")
    if controls:
        flags.append("control characters in name")
    if not parts:
        flags.append("empty name")
        parts = ["_"]
    return "/".join(parts), tuple(flags)


def _unique(display: str, flags: tuple[str, ...], seen: dict[str, int]) -> tuple[str, tuple[str, ...]]:
    """Keep display paths unique within one container (zips may hold one name twice; '..' folds names)."""
    count = seen[display] = seen.get(display, 0) + 1
    if count == 1:
        return display, flags
    return f"{display} [duplicate {count}]", (*flags, "duplicate name")


def _join(container: str, display: str) -> str:
    return f"{container}{SEPARATOR}{display}"


def _from_epoch(value: float | int) -> datetime | None:
    try:
        return datetime.fromtimestamp(value, UTC) if value else None
    except (OverflowError, OSError, ValueError):
        return None


# ---------------------------------------------------------------------------------------------
# Decompressors with one interface (bz2/lzma style: needs_input, eof, unused_data)


class _Decompressor(Protocol):
    @property
    def eof(self) -> bool: ...

    @property
    def needs_input(self) -> bool: ...

    @property
    def unused_data(self) -> bytes: ...

    def decompress(self, data: bytes, max_length: int = -1) -> bytes: ...


class _Inflater:
    """zlib's decompressobj behind the bz2/lzma decompressor interface."""

    def __init__(self, wbits: int) -> None:
        self._z = zlib.decompressobj(wbits)
        self._needs_input = True

    @property
    def eof(self) -> bool:
        return self._z.eof

    @property
    def needs_input(self) -> bool:
        return self._needs_input

    @property
    def unused_data(self) -> bytes:
        return self._z.unused_data

    def decompress(self, data: bytes, max_length: int = -1) -> bytes:
        out = self._z.decompress(self._z.unconsumed_tail + data, max(max_length, 0))
        self._needs_input = not self._z.unconsumed_tail and (max_length <= 0 or len(out) < max_length)
        return out


_STREAM_MAGIC = {"gzip": b"\x1f\x8b", "bzip2": b"BZh", "xz": b"\xfd7zXZ\x00"}


def _decompressor(method: str) -> _Decompressor:
    if method == "gzip":
        return _Inflater(31)
    if method == "deflate":
        return _Inflater(-15)
    if method in ("bzip2", "bzip2-zip"):
        return bz2.BZ2Decompressor()
    return lzma.LZMADecompressor(lzma.FORMAT_AUTO, memlimit=_XZ_MEMLIMIT)


_DECOMPRESS_ERRORS = (zlib.error, OSError, EOFError, lzma.LZMAError, ValueError)


def _check_progress(feed: bytes, out: bytes, decoder: _Decompressor) -> None:
    """A decoder fed nothing that gives nothing, yet neither wants input nor is done, would spin forever."""
    if not feed and not out and not decoder.eof and not decoder.needs_input:
        raise _Stop("decompressor made no progress (corrupt stream)")


class _Expander(io.RawIOBase):
    """A gzip/bzip2/xz stream decompressed on demand, within the ratio and the walk's budget."""

    def __init__(self, source: BinaryIO, fmt: str, path: str, budget: _Budget) -> None:
        super().__init__()
        self._source = source
        self._fmt = fmt
        self._path = path
        self._budget = budget
        self._compressed = _length(source)
        self._decoder = _decompressor(fmt)
        self._pending = b""
        self._buffer = bytearray()
        self._done = False
        self.produced = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        while not self._buffer and not self._done:
            self._fill()
        count = min(len(buffer), len(self._buffer))
        buffer[:count] = self._buffer[:count]
        del self._buffer[:count]
        return count

    def _fill(self) -> None:
        decoder = self._decoder
        if decoder.eof:
            rest = decoder.unused_data + self._pending + self._source.read(_CHUNK)
            if rest.startswith(_STREAM_MAGIC[self._fmt]):
                self._decoder, self._pending = _decompressor(self._fmt), rest  # concatenated streams
                return
            self._done = True  # trailing padding or garbage after the last stream is ignored
            return
        feed = b""
        if decoder.needs_input:
            feed, self._pending = self._pending or self._source.read(_CHUNK), b""
            if not feed:
                raise _Stop(
                    f"{self._fmt} stream ends early (truncated) after {self.produced:,} bytes", self.produced
                )
        try:
            out = decoder.decompress(feed, _CHUNK)
        except _DECOMPRESS_ERRORS as exc:
            raise _Stop(
                f"{self._fmt} data corrupt after {self.produced:,} bytes: {exc}", self.produced
            ) from None
        _check_progress(feed, out, decoder)
        self.produced += len(out)
        self._budget.take(len(out), self._path)
        if self._budget.over_ratio(self.produced, self._compressed):
            raise _Stop(
                f"decompression bomb suspected: {self._path} expands beyond ratio "
                f"{self._budget.limits.max_ratio:g} ({self.produced:,} bytes from {self._compressed:,})",
                self.produced,
            )
        self._buffer += out


# ---------------------------------------------------------------------------------------------
# The walk


def iter_members(
    source: bytes | BinaryIO,
    kind: str | None = None,
    container_path: str = "",
    limits: ArchiveLimits | None = None,
    depth: int = 0,
) -> Iterator[Member | ArchiveError]:
    """Every member of an archive (and of archives inside it), or an ArchiveError for each problem.

    ``source`` is the archive's bytes or a seekable binary file; ``kind`` is its MIME type or a format
    name, used when the bytes alone do not tell (the bytes win otherwise). Never raises for bad input.
    """
    limits = limits or ArchiveLimits()
    stream: BinaryIO = io.BytesIO(source) if isinstance(source, bytes | bytearray | memoryview) else source
    try:
        stream.seek(0)
        head = stream.read(512)
        stream.seek(0)
    except (OSError, ValueError) as exc:
        yield ArchiveError(container_path, f"cannot read the archive: {exc}")
        return
    fmt = archive_format(head) or _format_of(kind)
    if fmt is None:
        yield ArchiveError(container_path, f"not an archive format opened here ({kind or 'unknown type'})")
        return
    budget = _Budget(limits)
    try:
        yield from _walk(stream, fmt, container_path, depth, budget)
    except _Exhausted as exc:
        yield ArchiveError(exc.path, str(exc))


def _walk(
    stream: BinaryIO, fmt: str, path: str, depth: int, budget: _Budget
) -> Iterator[Member | ArchiveError]:
    if fmt == "zip":
        yield from _zip(stream, path, depth, budget)
    elif fmt == "tar":
        yield from _tar(stream, path, depth, budget, seekable=True)
    elif fmt in ("gzip", "bzip2", "xz"):
        yield from _compressed(stream, fmt, path, depth, budget)
    else:
        yield ArchiveError(path, f"{fmt} archive not opened: no reader for this format is installed")


def _nested(member: Member, budget: _Budget) -> Iterator[Member | ArchiveError]:
    if member.data is None:
        return
    fmt = archive_format(member.data[:512])
    if fmt is None:
        return
    if member.depth + 1 > budget.limits.max_depth:
        yield ArchiveError(
            member.path, f"nested {fmt} archive not opened: depth limit {budget.limits.max_depth} reached"
        )
        return
    yield from _walk(io.BytesIO(member.data), fmt, member.path, member.depth + 1, budget)


# ---------------------------------------------------------------------------------------------
# zip


def _zip_mtime(info: zipfile.ZipInfo) -> datetime | None:
    extra, pos = info.extra, 0
    while pos + 4 <= len(extra):
        tag, size = struct.unpack("<HH", extra[pos : pos + 4])
        body = extra[pos + 4 : pos + 4 + size]
        if tag == 0x5455 and len(body) >= 5 and body[0] & 1:
            return _from_epoch(struct.unpack("<I", body[1:5])[0])
        pos += 4 + size
    try:
        return datetime(*info.date_time)
    except ValueError:
        return None


def _zip_declared_entries(stream: BinaryIO, size: int) -> int | None:
    """Entry count from the end-of-central-directory record (ZIP64 aware), before zipfile lists them."""
    tail_size = min(size, 22 + 65535)
    stream.seek(size - tail_size)
    tail = stream.read(tail_size)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or at + 22 > len(tail):
        return None
    (total,) = struct.unpack("<H", tail[at + 10 : at + 12])
    if total == 0xFFFF and at >= 20 and tail[at - 20 : at - 16] == b"PK\x06\x07":
        (record,) = struct.unpack("<Q", tail[at - 12 : at - 4])
        if record + 40 <= size:
            stream.seek(record)
            body = stream.read(40)
            if body[:4] == b"PK\x06\x06":
                return int(struct.unpack("<Q", body[32:40])[0])
    return int(total)


def _overlapping(infos: list[zipfile.ZipInfo]) -> set[int]:
    """Entries whose data starts inside an earlier entry's data (the overlapping-kernel zip bomb)."""
    found: set[int] = set()
    end = -1
    for info in sorted(infos, key=lambda i: i.header_offset):
        if info.header_offset < end:
            found.add(id(info))
        end = max(end, info.header_offset + 30 + info.compress_size)
    return found


def _zip(stream: BinaryIO, path: str, depth: int, budget: _Budget) -> Iterator[Member | ArchiveError]:
    try:
        size = _length(stream)
        declared = _zip_declared_entries(stream, size)
        stream.seek(0)
    except (OSError, ValueError) as exc:
        yield ArchiveError(path, f"cannot read the zip: {exc}")
        return
    allowed = budget.limits.max_members - budget.members
    if declared is not None and declared > allowed:
        yield ArchiveError(
            path,
            f"zip declares {declared:,} entries, more than the member limit allows; listing local headers",
        )
        yield from _zip_scan(stream, path, depth, budget)
        return
    try:
        archive = zipfile.ZipFile(stream)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, struct.error, NotImplementedError) as exc:
        yield ArchiveError(
            path, f"zip central directory unreadable ({exc}); members recovered from local headers", None
        )
        yield from _zip_scan(stream, path, depth, budget)
        return
    with archive:
        infos = archive.infolist()
        seen: dict[str, int] = {}
        overlaps = _overlapping(infos)
        for info in infos:
            if info.is_dir():
                continue
            display, flags = _unique(*_display(info.orig_filename), seen)
            member_path = _join(path, display)
            budget.count(member_path)
            offset = info.header_offset
            if info.flag_bits & 0x1:
                yield ArchiveError(member_path, "encrypted, not opened", offset)
                continue
            if id(info) in overlaps:
                yield ArchiveError(
                    member_path, "zip bomb suspected: member data overlaps another member's; not read", offset
                )
                continue
            mode = info.external_attr >> 16
            kind = _zip_kind(info, mode)
            result = _read_zip_member(archive, info, member_path, budget)
            if isinstance(result, str):
                yield ArchiveError(member_path, result, offset)
                continue
            member = Member(
                path=member_path,
                name=_printable(info.orig_filename),
                size=len(result) if kind == "file" else 0,
                mtime=_zip_mtime(info),
                data=result if kind == "file" else None,
                kind=kind,
                link_target=_printable(result[:_MAX_LINK_TARGET].decode("utf-8", "surrogateescape"))
                if kind == "symlink"
                else None,
                depth=depth,
                flags=flags,
                compressed_size=info.compress_size,
            )
            yield member
            yield from _nested(member, budget)


def _zip_kind(info: zipfile.ZipInfo, mode: int) -> str:
    if info.create_system != 3 or not mode:  # only Unix-made zips carry a file type
        return "file"
    if stat.S_ISLNK(mode):
        return "symlink"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    if stat.S_ISFIFO(mode):
        return "fifo"
    return "file"


def _too_big(declared: int, limits: ArchiveLimits) -> str:
    return f"member declares {declared:,} bytes, over the {limits.max_member_bytes:,}-byte limit; not read"


def _bomb(member_path: str, budget: _Budget, produced: int, compressed: int, declared: bool) -> str:
    how = "declares" if declared else "reached"
    name = member_path.rsplit(SEPARATOR, 1)[-1]
    return (
        f"zip bomb suspected: member {name} expands beyond ratio {budget.limits.max_ratio:g} "
        f"({how} {produced:,} bytes from {compressed:,} compressed)"
    )


def _read_zip_member(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, member_path: str, budget: _Budget
) -> bytes | str:
    """The member's bytes, or why they were not read."""
    limits = budget.limits
    if info.file_size > limits.max_member_bytes:
        return _too_big(info.file_size, limits)
    if budget.over_ratio(info.file_size, info.compress_size):
        return _bomb(member_path, budget, info.file_size, info.compress_size, declared=True)
    chunks: list[bytes] = []
    got = 0
    try:
        with archive.open(info) as handle:
            while chunk := handle.read(_CHUNK):
                got += len(chunk)
                budget.take(len(chunk), member_path)
                if got > info.file_size:
                    return f"member expands beyond its declared size of {info.file_size:,} bytes; not read"
                if got > limits.max_member_bytes:
                    return f"member exceeds the {limits.max_member_bytes:,}-byte limit; not read"
                if budget.over_ratio(got, info.compress_size):
                    return _bomb(member_path, budget, got, info.compress_size, declared=False)
                chunks.append(chunk)
    except NotImplementedError:
        return f"compression method {info.compress_type} not supported; not read"
    except RuntimeError as exc:  # zipfile's "encrypted, password required" and similar
        return f"not opened: {exc}"
    except (zipfile.BadZipFile, *_DECOMPRESS_ERRORS, struct.error) as exc:
        return f"damaged: {exc}"
    return b"".join(chunks)


_LOCAL = b"PK\x03\x04"
_LOCAL_HEADER = struct.Struct("<4sHHHHHIIIHH")
_SCAN_METHODS = {0: "stored", 8: "deflate", 12: "bzip2-zip"}


@contextlib.contextmanager
def _whole(stream: BinaryIO) -> Iterator[bytes | mmap.mmap]:
    """The stream's bytes: its buffer for BytesIO, a read-only map for a real file, else a read."""
    if isinstance(stream, io.BytesIO):
        yield stream.getvalue()
        return
    try:
        mapped = mmap.mmap(stream.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError, io.UnsupportedOperation):
        stream.seek(0)
        yield stream.read()
        return
    with mapped:
        yield mapped


def _zip_scan(stream: BinaryIO, path: str, depth: int, budget: _Budget) -> Iterator[Member | ArchiveError]:
    """Members found by walking local file headers, for zips whose central directory is gone."""
    seen: dict[str, int] = {}
    with _whole(stream) as data:
        pos = data.find(_LOCAL)
        if pos < 0:
            yield ArchiveError(path, "no zip local file header found; nothing recovered")
        while pos >= 0:
            if pos + _LOCAL_HEADER.size > len(data):
                yield ArchiveError(path, "local file header cut off (truncated)", pos)
                return
            _, _, flags, method, dos_time, dos_date, crc, csize, usize, name_len, extra_len = (
                _LOCAL_HEADER.unpack(data[pos : pos + _LOCAL_HEADER.size])
            )
            name = data[pos + 30 : pos + 30 + name_len].decode(
                "utf-8" if flags & 0x800 else "cp437", "replace"
            )
            start = pos + 30 + name_len + extra_len
            display, name_flags = _unique(*_display(name), seen)
            member_path = _join(path, display)
            if start > len(data):
                yield ArchiveError(member_path, "local file header cut off (truncated)", pos)
                return
            sized = not flags & 0x8 and csize != 0xFFFFFFFF
            resume = start + csize if sized else start
            if name.endswith("/") and (not sized or csize == 0):
                pos = data.find(_LOCAL, max(resume, pos + 4))
                continue
            budget.count(member_path)
            if flags & 0x1:
                yield ArchiveError(member_path, "encrypted, not opened", pos)
            elif method not in _SCAN_METHODS:
                yield ArchiveError(
                    member_path, f"compression method {method} not supported when recovering", pos
                )
            elif method == 0 and not sized:
                yield ArchiveError(
                    member_path, "stored member without sizes (data descriptor); not recovered", pos
                )
            else:
                result, end = _scan_member(
                    data, start, (csize, usize) if sized else None, method, member_path, budget
                )
                if isinstance(result, str):
                    # Without sizes, where a failed member ends is unknown: resume after its header.
                    yield ArchiveError(member_path, result, pos)
                    pos = data.find(_LOCAL, max(resume, pos + 4))
                    continue
                resume = max(resume, end)
                expected_crc = crc if sized else _descriptor_crc(data, end)
                if expected_crc is not None and zlib.crc32(result) != expected_crc:
                    yield ArchiveError(member_path, "damaged: bad CRC-32", pos)
                else:
                    member = Member(
                        path=member_path,
                        name=_printable(name),
                        size=len(result),
                        mtime=_dos_time(dos_date, dos_time),
                        data=result,
                        depth=depth,
                        flags=name_flags,
                        compressed_size=end - start,
                    )
                    yield member
                    yield from _nested(member, budget)
            pos = data.find(_LOCAL, max(resume, pos + 4))


def _dos_time(date: int, time: int) -> datetime | None:
    try:
        return datetime(
            1980 + (date >> 9),
            (date >> 5) & 0xF,
            date & 0x1F,
            time >> 11,
            (time >> 5) & 0x3F,
            (time & 0x1F) * 2,
        )
    except ValueError:
        return None


def _descriptor_crc(data: bytes | mmap.mmap, end: int) -> int | None:
    at = end + 4 if data[end : end + 4] == b"PK\x07\x08" else end
    if at + 4 > len(data):
        return None
    return int(struct.unpack("<I", data[at : at + 4])[0])


def _scan_member(
    data: bytes | mmap.mmap,
    start: int,
    sizes: tuple[int, int] | None,
    method: int,
    member_path: str,
    budget: _Budget,
) -> tuple[bytes | str, int]:
    """One member's bytes (or why not) and where its compressed data ends; sizes are (compressed,
    uncompressed) from the local header, or None when a data descriptor follows instead."""
    limits = budget.limits
    if method == 0:
        assert sizes is not None
        end = start + sizes[0]
        if end > len(data):
            return f"member data cut off after {len(data) - start:,} of {sizes[0]:,} bytes (truncated)", len(
                data
            )
        if sizes[0] > limits.max_member_bytes:
            return (
                f"member is {sizes[0]:,} bytes, over the {limits.max_member_bytes:,}-byte limit; not read",
                end,
            )
        budget.take(sizes[0], member_path)
        return bytes(data[start:end]), end
    if sizes is not None and sizes[1] > limits.max_member_bytes:
        return (
            f"member declares {sizes[1]:,} bytes, over the {limits.max_member_bytes:,}-byte limit; not read",
            start,
        )
    if sizes is not None and budget.over_ratio(sizes[1], sizes[0]):
        return _bomb(member_path, budget, sizes[1], sizes[0], declared=True), start + sizes[0]
    decoder = _decompressor(_SCAN_METHODS[method])
    stop = min(len(data), start + sizes[0]) if sizes is not None else len(data)
    pos, got = start, 0
    chunks: list[bytes] = []
    while not decoder.eof:
        feed = b""
        if decoder.needs_input:
            feed = bytes(data[pos : min(pos + _CHUNK, stop)])
            if not feed:
                return f"member data cut off after {got:,} bytes (truncated)", pos
            pos += len(feed)
        try:
            out = decoder.decompress(feed, _CHUNK)
        except _DECOMPRESS_ERRORS as exc:
            return f"damaged: {exc}", pos
        try:
            _check_progress(feed, out, decoder)
        except _Stop as exc:
            return f"damaged: {exc}", pos
        got += len(out)
        budget.take(len(out), member_path)
        if sizes is not None and got > sizes[1]:
            return f"member expands beyond its declared size of {sizes[1]:,} bytes; not read", pos
        if got > limits.max_member_bytes:
            return f"member exceeds the {limits.max_member_bytes:,}-byte limit; not read", pos
        compressed = sizes[0] if sizes is not None else pos - start
        if budget.over_ratio(got, compressed):
            return _bomb(member_path, budget, got, compressed, declared=False), pos
        chunks.append(out)
    return b"".join(chunks), pos - len(decoder.unused_data)


# ---------------------------------------------------------------------------------------------
# tar


def _tar_kind(info: tarfile.TarInfo) -> str:
    if info.isreg():
        return "file"
    if info.issym():
        return "symlink"
    if info.islnk():
        return "hardlink"
    if info.ischr() or info.isblk():
        return "device"
    if info.isfifo():
        return "fifo"
    return "other"


def _tar(
    stream: BinaryIO, path: str, depth: int, budget: _Budget, seekable: bool
) -> Iterator[Member | ArchiveError]:
    """A plain tar (seekable, members counted against the budget as read) or the output of an
    _Expander (a one-way stream whose decompressed bytes are already counted)."""
    try:
        with tarfile.open(
            fileobj=stream,
            mode="r:" if seekable else "r|",
            ignore_zeros=True,
            encoding="utf-8",
            errors="surrogateescape",
        ) as archive:
            yield from _tar_members(archive, stream if seekable else None, path, depth, budget)
    except _Stop as exc:  # _tar_members handles its own errors: these come from opening
        yield ArchiveError(path, str(exc), exc.offset)
    except (tarfile.TarError, *_DECOMPRESS_ERRORS) as exc:
        yield ArchiveError(path, f"not a readable tar: {exc}", 0)


def _tar_members(
    archive: tarfile.TarFile, plain: BinaryIO | None, path: str, depth: int, budget: _Budget
) -> Iterator[Member | ArchiveError]:
    """Members in order; ``plain`` is the seekable uncompressed tar, None for an _Expander's output."""
    limits = budget.limits
    expected = 0
    seen: dict[str, int] = {}
    while True:
        try:
            info = archive.next()
        except _Stop as exc:
            yield ArchiveError(path, str(exc), exc.offset)
            return
        except (tarfile.TarError, *_DECOMPRESS_ERRORS) as exc:
            yield ArchiveError(path, f"tar damaged ({exc}); the rest was not read", archive.offset)
            return
        if info is None:
            if plain is not None:
                yield from _trailing(plain, expected, path)
            return
        archive.members.clear()  # type: ignore[attr-defined]  # never looked up again; keeps memory flat
        if info.offset > expected:
            yield ArchiveError(
                path,
                f"{info.offset - expected:,} bytes skipped (damaged header or padding) before this member",
                expected,
            )
        expected = archive.offset
        if info.isdir():
            continue
        display, flags = _unique(*_display(info.name), seen)
        member_path = _join(path, display)
        budget.count(member_path)
        kind = _tar_kind(info)
        if kind != "file":
            linked = kind in ("symlink", "hardlink")
            yield Member(
                path=member_path,
                name=_printable(info.name),
                size=0,
                mtime=_from_epoch(info.mtime),
                kind=kind,
                link_target=_printable(info.linkname) if linked else None,
                depth=depth,
                flags=flags,
            )
            continue
        if info.size > limits.max_member_bytes:
            yield ArchiveError(member_path, _too_big(info.size, limits), info.offset)
            continue
        try:
            data = _read_tar_member(archive, info, member_path, budget, count=plain is not None)
        except _Stop as exc:
            yield ArchiveError(path, str(exc), exc.offset)
            return
        except (tarfile.TarError, *_DECOMPRESS_ERRORS) as exc:
            yield ArchiveError(member_path, f"member data damaged or cut off ({exc})", info.offset_data)
            return
        member = Member(
            path=member_path,
            name=_printable(info.name),
            size=len(data),
            mtime=_from_epoch(info.mtime),
            data=data,
            depth=depth,
            flags=flags,
        )
        yield member
        yield from _nested(member, budget)


def _trailing(plain: BinaryIO, start: int, path: str) -> Iterator[ArchiveError]:
    """Report non-zero bytes after the last readable member: a damaged header or data appended to the tar.

    With ``ignore_zeros`` tarfile walks past them silently, so this is the only trace they leave."""
    plain.seek(start)
    position = start
    while chunk := plain.read(_CHUNK):
        rest = chunk.lstrip(b"\x00")
        if rest:
            yield ArchiveError(
                path,
                "bytes after the last readable member are not tar headers (damaged header or appended data)",
                position + len(chunk) - len(rest),
            )
            return
        position += len(chunk)


def _read_tar_member(
    archive: tarfile.TarFile, info: tarfile.TarInfo, member_path: str, budget: _Budget, count: bool
) -> bytes:
    handle = archive.extractfile(info)
    if handle is None:
        return b""
    chunks: list[bytes] = []
    while chunk := handle.read(_CHUNK):
        if count:
            budget.take(len(chunk), member_path)
        chunks.append(chunk)
    return b"".join(chunks)


# ---------------------------------------------------------------------------------------------
# gzip, bzip2, xz: a compressed tar, or one compressed file

_SUFFIXES = {"gzip": (".gz", ".gzip", ".z"), "bzip2": (".bz2", ".bz"), "xz": (".xz", ".lzma")}


def _single_name(raw_head: bytes, fmt: str, path: str) -> tuple[str, datetime | None]:
    """The inner file's name (gzip FNAME, else the container's name less its suffix) and gzip MTIME."""
    mtime = None
    if fmt == "gzip" and len(raw_head) >= 10:
        header_flags = raw_head[3]
        mtime = _from_epoch(struct.unpack("<I", raw_head[4:8])[0])
        pos = 10
        if header_flags & 0x4 and len(raw_head) >= 12:
            pos += 2 + struct.unpack("<H", raw_head[10:12])[0]
        if header_flags & 0x8:
            end = raw_head.find(b"\x00", pos)
            if end > pos:
                return raw_head[pos:end].decode("latin-1"), mtime
    base = re.split(r"[/\\]", path.rsplit(SEPARATOR, 1)[-1])[-1]
    for suffix in _SUFFIXES[fmt]:
        if base.lower().endswith(suffix) and len(base) > len(suffix):
            return base[: -len(suffix)], mtime
    return (f"{base}.out" if base else "data"), mtime


def _compressed(
    stream: BinaryIO, fmt: str, path: str, depth: int, budget: _Budget
) -> Iterator[Member | ArchiveError]:
    limits = budget.limits
    stream.seek(0)
    raw_head = stream.read(_CHUNK)
    stream.seek(0)
    probe = _Expander(stream, fmt, path, _Budget(limits))  # a scratch budget: at most one chunk to look
    try:
        head = b""
        while len(head) < 512 and (piece := probe.read(512 - len(head))):
            head += piece
    except _Stop as exc:
        yield ArchiveError(path, str(exc), exc.offset)
        return
    stream.seek(0)
    expander = _Expander(stream, fmt, path, budget)
    if _is_tar(head):
        yield from _tar(cast(BinaryIO, expander), path, depth, budget, seekable=False)
        return
    name, mtime = _single_name(raw_head, fmt, path)
    display, flags = _display(name)
    member_path = _join(path, display)
    budget.count(member_path)
    chunks: list[bytes] = []
    got = 0
    try:
        while piece := expander.read(_CHUNK):
            got += len(piece)
            if got > limits.max_member_bytes:
                yield ArchiveError(
                    member_path, f"member exceeds the {limits.max_member_bytes:,}-byte limit; not read"
                )
                return
            chunks.append(piece)
    except _Stop as exc:
        yield ArchiveError(member_path, str(exc), exc.offset)
        return
    member = Member(
        path=member_path,
        name=_printable(name),
        size=got,
        mtime=mtime,
        data=b"".join(chunks),
        depth=depth,
        flags=flags,
        compressed_size=_length(stream),
    )
    yield member
    yield from _nested(member, budget)
