"""Disk images as evidence sources: read-only, layer by layer, file by file, never extracted to disk.

Why dfVFS: one path-specification API covers every container we must read (raw and split raw, EWF
E01/Ex01 single or multi-segment, VMDK, QCOW, VHD/VHDX), every volume system (MBR, GPT, APM, APFS
container, LVM) and every file system in the brief, and its source scanner finds the layers by
signature, so we never guess a format from a file name. It is Apache-2.0, maintained by the plaso
team, and every libyal back-end ships as a wheel. ``SourceScanner`` builds the layer tree; we walk that
tree ourselves so that one unreadable partition or locked volume becomes a record, not an abort.

Back-ends, per file system (the dfVFS type indicator in ``Volume.file_system``):

* EXT (ext2/3/4) -> libfsext, NTFS -> libfsntfs, HFS (HFS+/HFSX) -> libfshfs, APFS -> libfsapfs,
  XFS -> libfsxfs: dfVFS walks the allocated entries. libyal gives up on a whole directory when one
  name in it cannot be decoded (a non-UTF-8 name on ext4 hides all its siblings); for EXT, NTFS and
  HFS such a directory and everything below it is listed with pytsk3 instead, names kept as bytes.
* FAT (FAT12/16/32, exFAT) -> The Sleuth Kit (pytsk3) for the whole walk: libfsfat 20260826 reports
  every FAT time one month late (2021-03-28 comes back as 2021-04-28; checked against the raw
  directory entry), and TSK lists deleted names anyway. FAT times are the device's wall clock with no
  zone; they come back as if UTC with ``local_times=True``. If TSK cannot open the volume we fall back
  to libfsfat, without times.
* TSK (what dfVFS itself hands to TSK: ISO-9660 and other TSK-only formats) -> pytsk3 walk, because
  dfVFS's TSK back-end drops names that are not UTF-8 and gives ISO-9660 no times.

Deleted entries: dfVFS lists allocated entries only (its TSK back-end skips names flagged
unallocated). After the dfVFS walk of an EXT or NTFS volume we walk the same volume with pytsk3 and
yield only the names TSK flags unallocated (and what lies under a deleted directory), with
``deleted=True``; FAT gets them from its TSK walk. Content is offered when TSK still has the entry's
metadata and no other file has reused it; it is read back from unallocated space and may be partly
overwritten (``note`` says so). A deleted FAT 8.3 name has lost its first byte ("_" in its place)
unless a long name survived. TSK lists no deleted names on HFS+; APFS and XFS are not read through
pytsk3; the ext3/ext4 kernel driver usually clears the block map on delete, so there a deleted name
often comes back empty. TSK's virtual entries ($MBR, $FAT1, $OrphanFiles ...) and FAT volume-label
entries are not files and are not listed; orphan files (no name left in any directory) are out of
scope: the file system no longer lists them.

Read-only: dfVFS opens the image file itself (``open(path, "rb")``; libewf and libsmraw in mode "r"),
every other layer reads through those file objects, and the pytsk3 image class TSK gets
(``dfvfs.lib.tsk_image``) only reads. There is no write call on any path here, nothing is extracted,
and the tests hash every image before and after a full walk and read. Acquisition hashes open the
segment files with O_RDONLY|O_NOATIME (``heroes.hashing.reader.open_readonly``). Caveat: libewf
returns a chunk whose checksum fails as zeros, without an error; a changed EWF shows up as a mismatch
between :func:`acquisition_hashes` and the hashes stored at acquisition, so verify before trusting.

Paths are printable and stable: names joined with "/", no leading slash. When the image holds more
than one volume (readable or not), each path starts with the volume's place in the layer tree, e.g.
``p1/DCIM/IMG_0001.JPG`` (partition 1 of MBR or GPT), ``apfs2/Users/x`` (APFS volume 2) or
``p2/apfs1/...``; with a single volume there is no prefix. A named data stream (NTFS alternate data
stream, HFS+ resource fork) is a record of its own, ``path:stream``. Control characters and "/"
inside a name are written as ``\\xNN``, and so are the bytes of a name TSK returns that is not UTF-8.
A record whose path is "" is about the image itself.

Errors inside the image (an unreadable entry or directory, a partition that cannot be opened, a scan
that stops in a truncated container) become :class:`ImageError` records and the walk goes on.
Reading a content stream raises ``OSError`` naming the path (data that ends early, as in a truncated
image, is an error, never silently short). Only a file dfVFS cannot read as a disk image at all
raises ``ValueError``. An :class:`ImageSource` and its streams belong to one thread or process.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
import stat
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, BinaryIO, Final, TypedDict

import pyewf
import pytsk3
from dfvfs.helpers import source_scanner
from dfvfs.lib import definitions, raw_helper, tsk_image
from dfvfs.lib import errors as dfvfs_errors
from dfvfs.path import factory as path_spec_factory
from dfvfs.resolver import context as dfvfs_context
from dfvfs.resolver import resolver

from heroes.hashing.reader import open_readonly

__all__ = [
    "AcquisitionHashes",
    "ImageError",
    "ImageFile",
    "ImageRecord",
    "ImageSkipped",
    "ImageSource",
    "Volume",
    "acquisition_hashes",
    "is_disk_image",
]

_CHUNK: Final = 4 * 1024 * 1024
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
# What the C back-ends raise on hostile or damaged data. MemoryError is here because libyal refuses
# absurd allocation sizes read from corrupt metadata with it; that is bad input, not a full machine.
_BACKEND_ERRORS: Final = (dfvfs_errors.Error, OSError, ValueError, RuntimeError, KeyError, MemoryError)
_UNPRINTABLE: Final = re.compile(r"[\x00-\x1f\x7f-\x9f/]")
_VOLUME_SYSTEMS: Final = frozenset(definitions.VOLUME_SYSTEM_TYPE_INDICATORS)
_STORAGE_MEDIA: Final = frozenset(definitions.STORAGE_MEDIA_IMAGE_TYPE_INDICATORS) | {
    definitions.TYPE_INDICATOR_MODI,
    definitions.TYPE_INDICATOR_PHDI,
}
_ENCRYPTED: Final = frozenset(definitions.TYPE_INDICATORS_WITH_ENCRYPTION_SUPPORT)
_TSK_WALKS: Final = frozenset({definitions.TYPE_INDICATOR_FAT, definitions.TYPE_INDICATOR_TSK})
_TSK_DELETED_PASS: Final = frozenset({definitions.TYPE_INDICATOR_EXT, definitions.TYPE_INDICATOR_NTFS})
_TSK_FALLBACK: Final = _TSK_DELETED_PASS | {definitions.TYPE_INDICATOR_HFS}
_TSK_FAT_TYPES: Final = int(pytsk3.TSK_FS_TYPE_FAT_DETECT) | int(pytsk3.TSK_FS_TYPE_EXFAT)
_TSK_VIRTUAL: Final = frozenset(
    {
        int(pytsk3.TSK_FS_META_TYPE_VIRT),
        int(pytsk3.TSK_FS_META_TYPE_VIRT_DIR),
    }
)
_TSK_NAME_VIRTUAL: Final = frozenset(
    {int(pytsk3.TSK_FS_NAME_TYPE_VIRT), int(pytsk3.TSK_FS_NAME_TYPE_VIRT_DIR)}
)
_TSK_KINDS: Final = {
    int(pytsk3.TSK_FS_META_TYPE_LNK): "symbolic link; not followed",
    int(pytsk3.TSK_FS_META_TYPE_FIFO): "FIFO (named pipe); not read",
    int(pytsk3.TSK_FS_META_TYPE_SOCK): "socket; not read",
    int(pytsk3.TSK_FS_META_TYPE_CHR): "device node; not read",
    int(pytsk3.TSK_FS_META_TYPE_BLK): "device node; not read",
    int(pytsk3.TSK_FS_META_TYPE_SHAD): "shadow inode; not read",
    int(pytsk3.TSK_FS_META_TYPE_WHT): "whiteout entry; not read",
}
_TSK_NAME_KINDS: Final = {
    int(pytsk3.TSK_FS_NAME_TYPE_LNK): "symbolic link; not followed",
    int(pytsk3.TSK_FS_NAME_TYPE_FIFO): "FIFO (named pipe); not read",
    int(pytsk3.TSK_FS_NAME_TYPE_SOCK): "socket; not read",
    int(pytsk3.TSK_FS_NAME_TYPE_CHR): "device node; not read",
    int(pytsk3.TSK_FS_NAME_TYPE_BLK): "device node; not read",
}
_RECOVERED: Final = "deleted; content read back from unallocated space, may be partly overwritten"
_NAME_ONLY: Final = "deleted; only the name is left (no metadata), content not recoverable"
_REUSED: Final = "deleted; its metadata entry now belongs to another file, content not recoverable"


@dataclass(frozen=True, slots=True)
class ImageFile:
    """A regular file (or one named data stream of it) inside an image; read it with :meth:`open`."""

    path: str
    size: int
    modified: datetime | None = None
    accessed: datetime | None = None
    changed: datetime | None = None
    born: datetime | None = None
    deleted: bool = False
    stream: str = ""
    local_times: bool = False
    address: int | None = None
    note: str | None = None
    opener: Callable[[], BinaryIO] | None = field(default=None, repr=False, compare=False)

    @property
    def recoverable(self) -> bool:
        """Whether there is content to read."""
        return self.opener is not None

    def open(self) -> BinaryIO:
        """The content as a read-only binary stream; OSError when it cannot be read."""
        if self.opener is None:
            raise OSError(f"{self.path}: {self.note or 'content not recoverable'}")
        return self.opener()


@dataclass(frozen=True, slots=True)
class ImageSkipped:
    """An entry, volume or layer that was deliberately not read, and why."""

    path: str
    reason: str


@dataclass(frozen=True, slots=True)
class ImageError:
    """Something inside the image that could not be read, and why; the walk went on."""

    path: str
    reason: str


ImageRecord = ImageFile | ImageSkipped | ImageError


@dataclass(frozen=True, slots=True)
class Volume:
    """One file system found in the image."""

    prefix: str
    layers: str
    file_system: str
    walker: str


class AcquisitionHashes(TypedDict):
    """MD5/SHA-1 of the media data of an image, and what EWF stored at acquisition."""

    format: str
    segments: list[str]
    media_size: int
    md5: str
    sha1: str
    stored_md5: str | None
    stored_sha1: str | None
    matches_stored: bool | None


class _Stream(io.RawIOBase):
    """A back-end data source as a standard binary stream that refuses to return short data silently."""

    def __init__(self, read_at: Callable[[int, int], bytes], size: int, label: str) -> None:
        super().__init__()
        self._read_at = read_at
        self._size = size
        self._label = label
        self._position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._position, os.SEEK_END: self._size}[whence]
        if base + offset < 0:
            raise OSError(f"{self._label}: negative seek position")
        self._position = base + offset
        return self._position

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        wanted = min(len(view), self._size - self._position)
        if wanted <= 0:
            return 0
        try:
            data = self._read_at(self._position, wanted)
        except _BACKEND_ERRORS as exc:
            raise OSError(f"{self._label}: read failed at offset {self._position}: {exc}") from exc
        if not data:
            raise OSError(
                f"{self._label}: data ends at offset {self._position} of {self._size} "
                "(truncated or damaged image)"
            )
        data = data[:wanted]
        view[: len(data)] = data
        self._position += len(data)
        return len(data)

    def close(self) -> None:
        self._read_at = _closed
        super().close()


def _closed(offset: int, size: int) -> bytes:
    raise OSError("stream is closed")


def _buffered(read_at: Callable[[int, int], bytes], size: int, label: str) -> BinaryIO:
    return io.BufferedReader(_Stream(read_at, size, label), buffer_size=1024 * 1024)


def _empty() -> BinaryIO:
    return io.BytesIO(b"")


def _printable(name: str) -> str:
    if not name:
        return "\\x00"
    return _UNPRINTABLE.sub(lambda m: f"\\x{ord(m.group()):02x}", name)


def _join(parent: str, name: str) -> str:
    return f"{parent}/{name}" if parent else name


def _dfvfs_time(value: Any) -> datetime | None:
    if value is None:
        return None
    try:
        micros = value.GetPlasoTimestamp()
        return None if micros is None else _EPOCH + timedelta(microseconds=micros)
    except (ValueError, OverflowError, TypeError, ArithmeticError):
        return None


def _tsk_time(seconds: int, nanos: int, local: bool) -> datetime | None:
    """TSK time to datetime; FAT times were made by mktime() in this process's zone, so undo that."""
    if not seconds and not nanos:
        return None
    try:
        if local:
            wall = time.localtime(seconds)
            return datetime(*wall[:6], microsecond=nanos // 1000, tzinfo=UTC)
        return _EPOCH + timedelta(seconds=seconds, microseconds=nanos // 1000)
    except (ValueError, OverflowError, OSError):
        return None


def _address(path_spec: Any) -> int | None:
    for attribute in ("inode", "mft_entry", "identifier"):
        value = getattr(path_spec, attribute, None)
        if isinstance(value, int):
            return value
    return None


def _layers(path_spec: Any) -> str:
    chain: list[str] = []
    while path_spec is not None:
        chain.append(path_spec.type_indicator)
        path_spec = path_spec.parent
    return "/".join(reversed(chain))


def _os_spec(path: str) -> Any:
    return path_spec_factory.Factory.NewPathSpec(definitions.TYPE_INDICATOR_OS, location=path)


def _segments(path: str, media_type: str, resolver_context: Any) -> list[str]:
    """The files that make up the image, in order (first segment given)."""
    try:
        if media_type == definitions.TYPE_INDICATOR_EWF:
            return [os.path.abspath(p) for p in pyewf.glob(path)] or [path]
        if media_type == definitions.TYPE_INDICATOR_RAW:
            os_spec = _os_spec(path)
            file_system = resolver.Resolver.OpenFileSystem(os_spec, resolver_context=resolver_context)
            raw_spec = path_spec_factory.Factory.NewPathSpec(definitions.TYPE_INDICATOR_RAW, parent=os_spec)
            found = raw_helper.RawGlobPathSpec(file_system, raw_spec)
            return [spec.location for spec in found] or [path]
    except _BACKEND_ERRORS:
        pass
    return [path]


# Signatures for the cheap first look of is_disk_image: (offset from start, or from end when negative).
_SIGNATURES: Final = (
    (0, b"EVF\x09\x0d\x0a\xff\x00"),  # EWF (E01)
    (0, b"EVF2\x0d\x0a\x81\x00"),  # EWF2 (Ex01)
    (0, b"QFI\xfb"),  # QCOW
    (0, b"KDMV"),  # VMDK sparse extent
    (0, b"COWD"),  # VMDK (ESX) sparse extent
    (0, b"# Disk DescriptorFile"),  # VMDK descriptor
    (0, b"vhdxfile"),  # VHDX
    (0, b"conectix"),  # VHD (dynamic: footer copy at the start)
    (-512, b"conectix"),  # VHD footer
    (-512, b"koly"),  # UDIF (.dmg)
    (510, b"\x55\xaa"),  # MBR or FAT/NTFS/exFAT boot sector
    (512, b"EFI PART"),  # GPT
    (512, b"LABELONE"),  # LVM
    (0, b"LUKS\xba\xbe"),  # LUKS
    (32, b"NXSB"),  # APFS container
    (1024, b"H+"),  # HFS+
    (1024, b"HX"),  # HFSX
    (1080, b"\x53\xef"),  # ext2/3/4
    (0, b"XFSB"),  # XFS
    (32769, b"CD001"),  # ISO-9660
)


def _has_signature(path: str) -> bool:
    try:
        fd = open_readonly(os.fsencode(path))
    except OSError:
        return False
    try:
        size = os.fstat(fd).st_size
        if size < 1024:
            return False
        head = os.pread(fd, 4096, 0)
        tail = os.pread(fd, 512, size - 512)
        iso = os.pread(fd, 8, 32769) if size > 32776 else b""
    except OSError:
        return False
    finally:
        os.close(fd)
    if head.startswith(b"EVF\x09\x0d\x0a\xff\x00") and int.from_bytes(head[9:11], "little") != 1:
        return False  # a later segment (.E02 ...): the image is opened from its first segment
    for offset, magic in _SIGNATURES:
        if offset == 32769:
            if iso.startswith(magic):
                return True
        elif offset < 0:
            if tail.startswith(magic):
                return True
        elif head[offset : offset + len(magic)] == magic:
            return True
    return False


def is_disk_image(path: str | bytes | os.PathLike[str] | os.PathLike[bytes]) -> bool:
    """Whether dfVFS reads this file as a disk image (cheap signature look first, then dfVFS's scan)."""
    name = os.fsdecode(os.fspath(path))
    if not os.path.isfile(name) and not _is_device(name):
        return False
    if not _is_device(name) and not _has_signature(name):
        return False
    scan_context = source_scanner.SourceScannerContext()
    scan_context.OpenSourcePath(name)
    with contextlib.suppress(*_BACKEND_ERRORS):  # a damaged image is still an image; ImageSource says why
        source_scanner.SourceScanner(resolver_context=dfvfs_context.Context()).Scan(scan_context)
    return bool(
        scan_context.source_type
        in (definitions.SOURCE_TYPE_STORAGE_MEDIA_IMAGE, definitions.SOURCE_TYPE_STORAGE_MEDIA_DEVICE)
    )


def _is_device(name: str) -> bool:
    try:
        return stat.S_ISBLK(os.stat(name).st_mode)
    except OSError:
        return False


@dataclass(slots=True)
class _Found:
    prefix: list[str]
    path_spec: Any


class _LazyTSK:
    """TSK opened on one volume the first time it is needed; a failure is remembered, not retried."""

    def __init__(self, source: ImageSource, parent_spec: Any) -> None:
        self._source = source
        self._parent_spec = parent_spec
        self._fs_info: Any = None
        self.problem: str | None = None

    def get(self) -> Any:
        """The pytsk3 FS_Info, or None (and ``problem`` says why)."""
        if self._fs_info is None and self.problem is None:
            try:
                self._fs_info = self._source._open_tsk(self._parent_spec)
            except _BACKEND_ERRORS as exc:
                self.problem = str(exc) or type(exc).__name__
        return self._fs_info


class ImageSource:
    """A disk image opened read-only through dfVFS; :meth:`walk` yields every file in it."""

    def __init__(self, path: str | bytes | os.PathLike[str] | os.PathLike[bytes]) -> None:
        self.path = os.path.abspath(os.fsdecode(os.fspath(path)))
        if os.path.isdir(self.path):
            raise ValueError(f"{self.path}: is a folder, not a disk image (walk it as a folder)")
        if not os.path.exists(self.path):
            raise ValueError(f"{self.path}: no such file")
        self._context = dfvfs_context.Context()
        self._keep: list[Any] = []  # open dfVFS file systems and TSK handles, so the caches stay warm
        scan_context = source_scanner.SourceScannerContext()
        scan_context.OpenSourcePath(self.path)
        problem: str | None = None
        try:
            source_scanner.SourceScanner(resolver_context=self._context).Scan(scan_context)
        except _BACKEND_ERRORS as exc:
            problem = str(exc) or type(exc).__name__
        if scan_context.source_type not in (
            definitions.SOURCE_TYPE_STORAGE_MEDIA_IMAGE,
            definitions.SOURCE_TYPE_STORAGE_MEDIA_DEVICE,
        ):
            reason = problem or (
                "no image container, partition table or file system found "
                "(not a disk image, or one truncated before its first file system)"
            )
            raise ValueError(f"{self.path}: dfVFS cannot open this as a disk image: {reason}")
        root = scan_context.GetRootScanNode()
        media = root.sub_nodes[0].type_indicator if root.sub_nodes else definitions.TYPE_INDICATOR_RAW
        self.media_type: str = media if media in _STORAGE_MEDIA else definitions.TYPE_INDICATOR_RAW
        self.segments: tuple[str, ...] = tuple(_segments(self.path, self.media_type, self._context))
        self._problems: list[ImageRecord] = []
        self._unread_volumes = 0
        if problem:
            self._problems.append(ImageError("", f"the image could not be fully scanned: {problem}"))
        found = self._find_file_systems(scan_context)
        # Prefixes appear when the image holds more than one volume, readable or not, so that a path
        # does not change when a later version learns to read a neighbouring volume.
        several = len(found) + self._unread_volumes > 1
        self._found = [(("/".join(f.prefix) if several else ""), f.path_spec) for f in found]
        self._tsk = [_LazyTSK(self, spec.parent) for _, spec in self._found]
        self.volumes: tuple[Volume, ...] = tuple(
            Volume(prefix, _layers(spec), spec.type_indicator, self._walker_name(spec.type_indicator))
            for prefix, spec in self._found
        )

    def __enter__(self) -> ImageSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Drop the cached handles on the image (streams already opened keep what they need)."""
        self._keep.clear()
        self._tsk = [_LazyTSK(self, spec.parent) for _, spec in self._found]
        self._context.Empty()

    @staticmethod
    def _walker_name(type_indicator: str) -> str:
        if type_indicator in _TSK_WALKS:
            return "pytsk3"
        if type_indicator in _TSK_DELETED_PASS:
            return "dfVFS + pytsk3 (deleted entries)"
        return "dfVFS"

    def _find_file_systems(self, scan_context: Any) -> list[_Found]:
        """File-system scan nodes in layer order; locked or empty volumes become records."""
        found: list[_Found] = []
        self._unread_volumes = 0
        stack: list[tuple[Any, list[str]]] = [(scan_context.GetRootScanNode(), [])]
        while stack:
            node, prefix = stack.pop()
            spec = node.path_spec
            location = getattr(spec, "location", None)
            here = prefix
            if node.type_indicator in _VOLUME_SYSTEMS:
                if location in (None, ""):
                    continue  # unpartitioned space between partitions: no file system to list
                if location != "/":
                    here = [*prefix, location.strip("/")]
            label = "/".join(here)
            if node.IsFileSystem():
                found.append(_Found(here, spec))
                continue
            if scan_context.IsLockedScanNode(spec):
                self._unread_volumes += 1
                self._problems.append(
                    ImageSkipped(label, f"encrypted volume ({node.type_indicator}); not unlocked, not read")
                )
            elif node.type_indicator == definitions.TYPE_INDICATOR_VSHADOW:
                if location == "/":
                    self._problems.append(
                        ImageSkipped(label, "Volume Shadow Copy snapshots; not read (current volume only)")
                    )
                continue
            elif not node.sub_nodes and node.type_indicator != definitions.TYPE_INDICATOR_OS:
                is_volume = node.type_indicator in _VOLUME_SYSTEMS or node.type_indicator in _ENCRYPTED
                self._unread_volumes += is_volume
                if is_volume or not self._problems:  # a failed scan already says why the image is empty
                    what = "volume" if is_volume else "image"
                    self._problems.append(
                        ImageSkipped(label, f"no supported file system found in this {what}; not read")
                    )
            stack.extend((child, here) for child in reversed(node.sub_nodes))
        return found

    def walk(self) -> Iterator[ImageRecord]:
        """Every file of every file system, depth first in name order; skips and errors as records."""
        yield from self._problems
        for (prefix, spec), tsk in zip(self._found, self._tsk, strict=True):
            kind = spec.type_indicator
            if kind in _TSK_WALKS:
                fs_info = tsk.get()
                if fs_info is not None:
                    yield from self._walk_tsk(prefix, fs_info, None, allocated=True, deleted=True)
                elif kind == definitions.TYPE_INDICATOR_FAT:
                    yield ImageSkipped(
                        prefix,
                        f"TSK cannot open this FAT volume ({tsk.problem}); listed with libfsfat: "
                        "no deleted entries, no times (libfsfat reports them a month late)",
                    )
                    yield from self._walk_dfvfs(prefix, spec, None, keep_times=False)
                else:
                    yield ImageError(prefix, f"cannot open the {kind} file system: {tsk.problem}")
                continue
            fallback = tsk if kind in _TSK_FALLBACK else None
            yield from self._walk_dfvfs(prefix, spec, fallback, keep_times=True)
            if kind in _TSK_DELETED_PASS:
                fs_info = tsk.get()
                if fs_info is None:
                    yield ImageSkipped(
                        prefix, f"deleted entries not listed: TSK cannot open this volume: {tsk.problem}"
                    )
                else:
                    yield from self._walk_tsk(prefix, fs_info, None, allocated=False, deleted=True)

    # dfVFS walk (allocated entries) ---------------------------------------------------------------

    def _walk_dfvfs(
        self, prefix: str, spec: Any, fallback: _LazyTSK | None, keep_times: bool
    ) -> Iterator[ImageRecord]:
        try:
            file_system = resolver.Resolver.OpenFileSystem(spec, resolver_context=self._context)
            if not any(kept is file_system for kept in self._keep):
                self._keep.append(file_system)
            root = file_system.GetRootFileEntry()
        except _BACKEND_ERRORS as exc:
            yield ImageError(prefix, f"cannot open the {spec.type_indicator} file system: {exc}")
            return
        if root is None:
            yield ImageSkipped(
                prefix, f"{spec.type_indicator} volume without a root directory; nothing to list"
            )
            return
        visited: set[int] = set()
        stack: list[tuple[Any, str]] = [(root, prefix)]
        while stack:
            directory, path = stack.pop()
            address = _address(directory.path_spec)
            if address is not None:
                if address in visited:
                    yield ImageSkipped(
                        path, "directory already walked (a loop or a hard link); not walked again"
                    )
                    continue
                visited.add(address)
            children: list[Any] = []
            try:
                for child in directory.sub_file_entries:
                    children.append(child)
            except _BACKEND_ERRORS as exc:
                # One bad name (e.g. not UTF-8 on ext4) makes libyal give up on the whole directory;
                # TSK reads names as bytes, so it lists that subtree instead.
                fs_info = fallback.get() if fallback is not None and address is not None else None
                if fs_info is None:
                    yield ImageError(path, f"cannot list directory: {exc}")
                else:
                    yield from self._walk_tsk(path, fs_info, address, allocated=True, deleted=False)
                    continue
            subdirectories: list[tuple[Any, str]] = []
            for child in sorted(children, key=lambda entry: entry.name or ""):
                child_path = _join(path, _printable(child.name or ""))
                try:
                    records = list(self._dfvfs_records(child, child_path, keep_times))
                    is_directory = bool(child.IsDirectory())
                except _BACKEND_ERRORS as exc:
                    yield ImageError(child_path, f"cannot read entry: {exc}")
                    continue
                yield from records
                if is_directory:
                    subdirectories.append((child, child_path))
            stack.extend(reversed(subdirectories))

    def _dfvfs_records(self, entry: Any, path: str, keep_times: bool) -> Iterator[ImageRecord]:
        is_file = entry.IsFile()
        if not is_file and not entry.IsDirectory():
            if entry.IsLink():
                yield ImageSkipped(path, "symbolic link; not followed")
            elif entry.IsDevice():
                yield ImageSkipped(path, "device node; not read")
            elif entry.IsPipe():
                yield ImageSkipped(path, "FIFO (named pipe); not read")
            elif entry.IsSocket():
                yield ImageSkipped(path, "socket; not read")
            else:
                yield ImageSkipped(path, "not a regular file (virtual or unknown entry); not read")
            return
        times: dict[str, Any] = {}
        if keep_times:
            stamps = (entry.modification_time, entry.access_time, entry.change_time, entry.creation_time)
            times = dict(
                zip(("modified", "accessed", "changed", "born"), map(_dfvfs_time, stamps), strict=True)
            )
            times["local_times"] = any(getattr(s, "is_local_time", False) for s in stamps if s is not None)
        deleted = not entry.IsAllocated()
        address = _address(entry.path_spec)
        spec = entry.path_spec
        streams = {stream.name: stream for stream in entry.data_streams}
        if is_file:
            opener = self._dfvfs_opener(spec, "", path) if "" in streams else _empty
            yield ImageFile(
                path, int(entry.size or 0), deleted=deleted, address=address, opener=opener, **times
            )
        for name in sorted(n for n in streams if n):
            stream_path = f"{path}:{_printable(name)}"
            if spec.type_indicator == definitions.TYPE_INDICATOR_NTFS and address == 8 and name == "$Bad":
                yield ImageSkipped(
                    stream_path, "NTFS bad-cluster map (sparse, the size of the volume); not read"
                )
                continue
            yield ImageFile(
                stream_path,
                int(streams[name].size or 0),
                deleted=deleted,
                stream=name,
                address=address,
                opener=self._dfvfs_opener(spec, name, stream_path),
                **times,
            )

    def _dfvfs_opener(self, spec: Any, stream: str, label: str) -> Callable[[], BinaryIO]:
        def open_stream() -> BinaryIO:
            try:
                entry = resolver.Resolver.OpenFileEntry(spec, resolver_context=self._context)
                file_object = entry.GetFileObject(data_stream_name=stream) if entry is not None else None
                if file_object is None:
                    if not stream:
                        return _empty()
                    raise OSError("data stream not found")
                size = int(file_object.get_size())
            except _BACKEND_ERRORS as exc:
                raise OSError(f"{label}: cannot open: {exc}") from exc

            def read_at(offset: int, length: int) -> bytes:
                file_object.seek(offset, os.SEEK_SET)
                return bytes(file_object.read(length))

            return _buffered(read_at, size, label)

        return open_stream

    # pytsk3 walk (FAT/ISO: everything; EXT/NTFS: deleted entries only) ------------------------------

    def _open_tsk(self, parent_spec: Any) -> Any:
        file_object = resolver.Resolver.OpenFileObject(parent_spec, resolver_context=self._context)
        image = tsk_image.TSKFileSystemImage(file_object)
        fs_info = pytsk3.FS_Info(image)
        self._keep.extend((file_object, image, fs_info))
        return fs_info

    def _walk_tsk(
        self, prefix: str, fs_info: Any, start: int | None, allocated: bool, deleted: bool
    ) -> Iterator[ImageRecord]:
        """Walk with TSK from ``start`` (the root when None), yielding allocated and/or deleted entries."""
        is_fat = bool(int(fs_info.info.ftype) & _TSK_FAT_TYPES)
        first = int(fs_info.info.root_inum) if start is None else start
        visited = {first}
        stack: list[tuple[int, str, bool]] = [(first, prefix, False)]
        while stack:
            inode, path, under_deleted = stack.pop()
            children: list[Any] = []
            try:
                for child in fs_info.open_dir(inode=inode):
                    children.append(child)
            except _BACKEND_ERRORS as exc:
                if under_deleted:
                    yield ImageSkipped(path, f"deleted directory; its listing is gone or overwritten ({exc})")
                elif allocated:
                    yield ImageError(path, f"cannot list directory: {exc}")
                else:
                    yield ImageError(
                        path, f"deleted entries not listed: TSK cannot list this directory: {exc}"
                    )
            subdirectories: list[tuple[int, str, bool]] = []
            named = [(c.info.name.name, c) for c in children if getattr(c.info, "name", None) is not None]
            for raw_name, child in sorted(named, key=lambda pair: bytes(pair[0])):
                record = self._tsk_record(fs_info, child, bytes(raw_name), path, under_deleted, is_fat)
                if record is None:
                    continue
                kind, child_path, is_deleted, value = record
                if kind == "dir":
                    if is_deleted and not deleted:
                        continue  # nothing wanted below a deleted directory
                    if value is None:
                        if is_deleted:
                            yield ImageSkipped(
                                child_path, "deleted directory; no metadata left, cannot be listed"
                            )
                    elif value in visited:
                        if is_deleted or allocated:
                            yield ImageSkipped(child_path, "directory already walked (a loop or a hard link)")
                    else:
                        visited.add(value)
                        subdirectories.append((value, child_path, is_deleted))
                elif (deleted and is_deleted) or (allocated and not is_deleted):
                    yield value
            stack.extend(reversed(subdirectories))

    def _tsk_record(
        self, fs_info: Any, child: Any, raw_name: bytes, path: str, under_deleted: bool, is_fat: bool
    ) -> tuple[str, str, bool, Any] | None:
        if raw_name in (b".", b".."):
            return None
        name_info = child.info.name
        meta = getattr(child.info, "meta", None)
        name_type = int(name_info.type)
        meta_type = int(meta.type) if meta is not None else None
        if name_type in _TSK_NAME_VIRTUAL or meta_type in _TSK_VIRTUAL:
            return None  # $MBR, $FAT1, $OrphanFiles ...: TSK's own views, not entries of the file system
        if is_fat and raw_name.endswith(b" (Volume Label Entry)"):
            return None
        name_deleted = bool(int(name_info.flags) & int(pytsk3.TSK_FS_NAME_FLAG_UNALLOC))
        deleted = under_deleted or name_deleted
        child_path = _join(path, _printable(raw_name.decode("utf-8", "backslashreplace")))
        reused = (
            meta is not None and name_deleted and bool(int(meta.flags) & int(pytsk3.TSK_FS_META_FLAG_ALLOC))
        )
        if meta_type == int(pytsk3.TSK_FS_META_TYPE_DIR) or (
            meta is None and name_type == int(pytsk3.TSK_FS_NAME_TYPE_DIR)
        ):
            if reused:
                return ("skip", child_path, deleted, ImageSkipped(child_path, f"{_REUSED}; not listed"))
            return ("dir", child_path, deleted, int(meta.addr) if meta is not None else None)
        if meta_type is not None and meta_type != int(pytsk3.TSK_FS_META_TYPE_REG):
            reason = _TSK_KINDS.get(meta_type, "not a regular file; not read")
            return ("skip", child_path, deleted, ImageSkipped(child_path, reason))
        if meta is None and name_type in _TSK_NAME_KINDS:
            return ("skip", child_path, deleted, ImageSkipped(child_path, _TSK_NAME_KINDS[name_type]))
        if meta is None:
            return ("file", child_path, deleted, ImageFile(child_path, 0, deleted=deleted, note=_NAME_ONLY))
        address = int(meta.addr)
        note = (_REUSED if reused else _RECOVERED) if deleted else None
        opener = None if reused else self._tsk_opener(fs_info, address, child_path)
        record = ImageFile(
            child_path,
            0 if reused else int(meta.size),
            modified=None if reused else _tsk_time(meta.mtime, meta.mtime_nano, is_fat),
            accessed=None if reused else _tsk_time(meta.atime, meta.atime_nano, is_fat),
            changed=None if reused else _tsk_time(meta.ctime, meta.ctime_nano, is_fat),
            born=None if reused else _tsk_time(meta.crtime, meta.crtime_nano, is_fat),
            deleted=deleted,
            local_times=is_fat,
            address=address,
            note=note,
            opener=opener,
        )
        return ("file", child_path, deleted, record)

    def _tsk_opener(self, fs_info: Any, address: int, label: str) -> Callable[[], BinaryIO]:
        def open_stream() -> BinaryIO:
            try:
                tsk_file = fs_info.open_meta(inode=address)
                size = int(tsk_file.info.meta.size)
            except _BACKEND_ERRORS as exc:
                raise OSError(f"{label}: cannot open: {exc}") from exc

            def read_at(offset: int, length: int) -> bytes:
                return bytes(tsk_file.read_random(offset, length))

            return _buffered(read_at, size, label)

        return open_stream


# Acquisition hashes ---------------------------------------------------------------------------------


def acquisition_hashes(path: str | bytes | os.PathLike[str] | os.PathLike[bytes]) -> AcquisitionHashes:
    """MD5 and SHA-1 of the image's media data, streamed; for EWF also the hashes stored in it.

    What is hashed: the media data, i.e. the disk or volume as acquired, not the container. For raw
    and split raw that is the bytes of the segment files concatenated in order (given the first
    segment); for EWF the decompressed media data of all segments (what ``ewfverify`` hashes, so it
    matches the acquisition log), next to the MD5/SHA-1 the acquiring tool stored in the image; for
    VMDK, QCOW and VHD the virtual disk as the VM sees it. The same disk therefore gives the same
    hashes in any container. Container metadata (EWF case notes, VMDK descriptors) is not covered.
    """
    name = os.path.abspath(os.fsdecode(os.fspath(path)))
    if not os.path.isfile(name):
        raise ValueError(f"{name}: not a file")
    resolver_context = dfvfs_context.Context()
    try:
        media_spec = source_scanner.SourceScanner(resolver_context=resolver_context).ScanForStorageMediaImage(
            _os_spec(name)
        )
    except _BACKEND_ERRORS as exc:
        raise ValueError(f"{name}: cannot identify the image format: {exc}") from exc
    media_type = media_spec.type_indicator if media_spec is not None else definitions.TYPE_INDICATOR_RAW
    segments = _segments(name, media_type, resolver_context)
    md5, sha1 = hashlib.md5(), hashlib.sha1()
    stored: dict[str, str] = {}
    if media_type == definitions.TYPE_INDICATOR_EWF:
        size = _hash_ewf(segments, md5, sha1, stored)
    elif media_type == definitions.TYPE_INDICATOR_RAW:
        size = _hash_files(segments, md5, sha1)
    else:
        size = _hash_dfvfs(media_spec, resolver_context, md5, sha1, name)
    stored_md5 = stored.get("MD5", "").lower() or None
    stored_sha1 = stored.get("SHA1", "").lower() or None
    checks = [a == b for a, b in ((stored_md5, md5.hexdigest()), (stored_sha1, sha1.hexdigest())) if a]
    return AcquisitionHashes(
        format=media_type,
        segments=segments,
        media_size=size,
        md5=md5.hexdigest(),
        sha1=sha1.hexdigest(),
        stored_md5=stored_md5,
        stored_sha1=stored_sha1,
        matches_stored=all(checks) if checks else None,
    )


def _hash_files(segments: list[str], md5: Any, sha1: Any) -> int:
    total = 0
    for segment in segments:
        try:
            fd = open_readonly(os.fsencode(segment))
        except OSError as exc:
            raise ValueError(f"{segment}: cannot open: {exc.strerror or exc}") from exc
        try:
            while chunk := os.read(fd, _CHUNK):
                md5.update(chunk)
                sha1.update(chunk)
                total += len(chunk)
        except OSError as exc:
            raise ValueError(f"{segment}: read failed: {exc.strerror or exc}") from exc
        finally:
            os.close(fd)
    return total


def _hash_ewf(segments: list[str], md5: Any, sha1: Any, stored: dict[str, str]) -> int:
    files: list[BinaryIO] = []
    handle = pyewf.handle()
    try:
        for segment in segments:
            files.append(os.fdopen(open_readonly(os.fsencode(segment)), "rb"))
        handle.open_file_objects(files, "r")
        stored.update({str(k).upper(): str(v) for k, v in (handle.get_hash_values() or {}).items()})
        size = int(handle.get_media_size())
        offset = 0
        while offset < size:
            chunk = handle.read(min(_CHUNK, size - offset))
            if not chunk:
                raise ValueError(f"{segments[0]}: EWF media data ends at {offset} of {size} bytes")
            md5.update(chunk)
            sha1.update(chunk)
            offset += len(chunk)
        return size
    except _BACKEND_ERRORS as exc:
        if isinstance(exc, ValueError) and str(exc).startswith(segments[0]):
            raise
        raise ValueError(f"{segments[0]}: cannot read the EWF image: {exc}") from exc
    finally:
        with contextlib.suppress(*_BACKEND_ERRORS):  # raises when it was never opened
            handle.close()
        for file in files:
            file.close()


def _hash_dfvfs(media_spec: Any, resolver_context: Any, md5: Any, sha1: Any, name: str) -> int:
    try:
        file_object = resolver.Resolver.OpenFileObject(media_spec, resolver_context=resolver_context)
        size = int(file_object.get_size())
        offset = 0
        file_object.seek(0, os.SEEK_SET)
        while offset < size:
            chunk = file_object.read(min(_CHUNK, size - offset))
            if not chunk:
                raise ValueError(f"{name}: media data ends at {offset} of {size} bytes")
            md5.update(chunk)
            sha1.update(chunk)
            offset += len(chunk)
        return size
    except ValueError:
        raise
    except _BACKEND_ERRORS as exc:
        raise ValueError(f"{name}: cannot read the {media_spec.type_indicator} image: {exc}") from exc
