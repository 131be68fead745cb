"""Read one file once, read-only, and run every applicable hasher over it.

Evidence must never change: files are opened with O_RDONLY and O_NOATIME (so not even the
access time moves, where the kernel allows it), with O_NOFOLLOW so a symlink swapped in
after the walk is not followed, and O_NONBLOCK so a FIFO cannot hang the run. Anything
that goes wrong becomes ``FileHashes.error`` with a plain message; nothing here raises for
bad input, because one hostile file must not stop a scan of a million.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Sequence
from functools import cache
from typing import Any, BinaryIO

import magic

from heroes.config import Settings
from heroes.hashing.base import Content, FileHashes, Hasher

__all__ = ["detect_mime", "hash_file", "hash_stream", "open_readonly"]

_MAGIC_BYTES = 64 * 1024
_BASE_FLAGS = (
    os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
)
_NOATIME = getattr(os, "O_NOATIME", 0)


def open_readonly(raw_path: bytes, directory: bool = False) -> int:
    """A read-only descriptor (of a file, or of a directory to list) that leaves access times alone
    where permitted."""
    flags = _BASE_FLAGS | (os.O_DIRECTORY if directory else 0)
    if _NOATIME:
        try:
            return os.open(raw_path, flags | _NOATIME)
        except PermissionError:
            pass  # O_NOATIME needs ownership or CAP_FOWNER; fall back to a plain read-only open
    return os.open(raw_path, flags)


@cache
def _magic() -> magic.Magic:
    return magic.Magic(mime=True)


def detect_mime(head: bytes) -> str | None:
    """MIME type from content (libmagic), never from the file name."""
    if not head:
        return "application/x-empty"
    try:
        return str(_magic().from_buffer(head))
    except magic.MagicException:
        return None


def hash_file(raw_path: bytes, settings: Settings, hashers: Sequence[Hasher]) -> FileHashes:
    """Hash one regular file with every hasher that accepts its type."""
    try:
        fd = open_readonly(raw_path)
    except OSError as exc:
        return FileHashes(raw_path, error=f"cannot open: {exc.strerror or exc}")
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return FileHashes(
                raw_path, error="not a regular file (FIFO, device, socket or directory); skipped"
            )
        result = hash_stream(
            raw_path, lambda n: os.read(fd, n), settings, hashers, size=info.st_size, mtime=info.st_mtime
        )
        result.values["atime"], result.values["ctime"] = info.st_atime, info.st_ctime
        return result
    except OSError as exc:
        return FileHashes(raw_path, error=f"read failed: {exc.strerror or exc}")
    finally:
        os.close(fd)


def hash_stream(
    raw_path: bytes,
    read: Callable[[int], bytes],
    settings: Settings,
    hashers: Sequence[Hasher],
    *,
    size: int | None = None,
    mtime: float | None = None,
    reopen: Callable[[], BinaryIO] | None = None,
    warnings: tuple[str, ...] = (),
) -> FileHashes:
    """Hash content read once through ``read`` (a file, or a file inside a disk image or archive).

    ``reopen`` gives hashers a second read-only pass over content too big to keep in memory;
    ``size`` is what the source says, used only to decide whether to keep the bytes.
    """
    keep = size is None or size <= settings.whole_file_bytes
    chunks: list[bytes] = []
    try:
        first = read(max(settings.read_chunk_bytes, _MAGIC_BYTES))
        mime = detect_mime(first[:_MAGIC_BYTES])
        sessions = [(h, h.begin()) for h in hashers if h.accepts(mime)]
        chunk, total = first, 0
        while chunk:
            total += len(chunk)
            for _, session in sessions:
                session.update(chunk)
            if keep:
                chunks.append(chunk)
                if total > settings.whole_file_bytes:  # the source understated the size
                    keep, chunks = False, []
            chunk = read(settings.read_chunk_bytes)
    except OSError as exc:
        return FileHashes(raw_path, error=f"read failed: {exc.strerror or exc}", warnings=warnings)

    data = (chunks[0] if len(chunks) == 1 else b"".join(chunks)) if keep else None
    content = Content(raw_path, total, mime, data, reopen)
    values: dict[str, Any] = {}
    errors: list[tuple[str, str]] = []
    for hasher, session in sessions:
        try:
            values.update(session.finish(content, settings))
        except Exception as exc:  # one hostile file or plug-in bug must not stop a scan
            errors.append((hasher.name, f"{hasher.name}: {exc}"))
    if total == 0:
        warnings += ("zero-byte file: exact hashes are those of empty content",)
    return FileHashes(
        raw_path,
        size=total,
        mtime=mtime,
        mime=mime,
        values=values,
        error="; ".join(message for _, message in errors) or None,
        error_plugin=errors[0][0] if errors else "reader",
        warnings=warnings,
    )
