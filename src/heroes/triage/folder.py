"""Walking a folder copy of a device, read-only, without ever leaving it.

Why a hand-written walk instead of ``os.walk``: Python 3.11's ``os.walk`` recurses, so a
hostile tree a thousand levels deep raises RecursionError; we keep an explicit stack.
Paths stay ``bytes`` end to end, so names that are not valid UTF-8 are read and recorded
exactly. Symbolic links are never followed (a link could point anywhere on the examiner's
machine); FIFOs, devices and sockets are never opened. Each of those, and each directory
that cannot be listed, is reported as a :class:`Skipped` entry with its reason.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass

from heroes.hashing.reader import open_readonly

__all__ = ["Entry", "Skipped", "walk"]


@dataclass(frozen=True, slots=True)
class Entry:
    """A regular file found in the source."""

    raw_path: bytes
    size: int
    mtime: float


@dataclass(frozen=True, slots=True)
class Skipped:
    """Something in the source that was not read, and why."""

    raw_path: bytes
    reason: str

    @property
    def path(self) -> str:
        """Printable path."""
        return self.raw_path.decode("utf-8", "backslashreplace")


def _kind(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "symbolic link; not followed"
    if stat.S_ISFIFO(mode):
        return "FIFO (named pipe); not read"
    if stat.S_ISSOCK(mode):
        return "socket; not read"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device node; not read"
    return "not a regular file; not read"


def _open_directory(path: bytes) -> int:
    """A directory descriptor that does not update the directory's access time where permitted."""
    return open_readonly(path, directory=True)


def _stat(entry: os.DirEntry[str]) -> os.stat_result | OSError:
    try:
        return entry.stat(follow_symlinks=False)
    except OSError as exc:
        return exc


def walk(root: bytes) -> Iterator[Entry | Skipped]:
    """Regular files under root in a stable (sorted) order, depth first, plus what was skipped."""
    stack = [root]
    while stack:
        directory = stack.pop()
        try:
            fd = _open_directory(directory)
            try:
                with os.scandir(fd) as listing:
                    children = sorted(listing, key=lambda e: e.name)
                    # stat through the open directory while it is still open (fstatat on fd)
                    infos = [(c.name, _stat(c)) for c in children]
            finally:
                os.close(fd)
        except OSError as exc:
            yield Skipped(directory, f"cannot list directory: {exc.strerror or exc}")
            continue
        subdirs: list[bytes] = []
        for name, info in infos:
            path = directory.rstrip(b"/") + b"/" + os.fsencode(name)
            if isinstance(info, OSError):
                yield Skipped(path, f"cannot stat: {info.strerror or info}")
                continue
            if stat.S_ISDIR(info.st_mode):
                subdirs.append(path)
            elif stat.S_ISREG(info.st_mode):
                yield Entry(path, info.st_size, info.st_mtime)
            else:
                yield Skipped(path, _kind(info.st_mode))
        stack.extend(reversed(subdirs))
