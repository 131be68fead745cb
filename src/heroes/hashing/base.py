"""The Hasher plugin contract and the record one hashed file produces.

A file is read exactly once: the reader feeds every chunk to each hasher's session
(``update``), then asks each session for its values (``finish``). Cryptographic hashers
do all their work in ``update``; perceptual hashers decode the retained bytes in
``finish``. That keeps "one read of the file feeds every hash" true for any mix of plugins.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, BinaryIO, Protocol, runtime_checkable

from heroes.config import Settings
from heroes.evidence import FileHashes

__all__ = ["Content", "FileHashes", "HashSession", "Hasher"]


@dataclass(frozen=True, slots=True)
class Content:
    """What a hasher may look at once the single read is done."""

    raw_path: bytes
    size: int
    mime: str | None
    data: bytes | None
    """The whole file when it was small enough to keep in memory; else None."""
    reopen: Callable[[], BinaryIO] | None = None
    """A fresh stream of content that is not a plain file (inside a disk image or an archive)."""

    def open(self) -> BinaryIO:
        """A second, read-only pass over content too big to keep in memory."""
        if self.reopen is not None:
            return self.reopen()
        from heroes.hashing.reader import open_readonly  # reader imports this module

        return os.fdopen(open_readonly(self.raw_path), "rb")


class HashSession(Protocol):
    """The per-file state of one hasher."""

    def update(self, chunk: bytes) -> None:
        """Take the next chunk of the file."""

    def finish(self, content: Content, settings: Settings) -> dict[str, Any]:
        """Return this hasher's fields; raise ValueError/OSError with a clear message on bad input."""


@runtime_checkable
class Hasher(Protocol):
    """A named, versioned way of hashing files."""

    name: str
    version: str
    fields: tuple[str, ...]

    def accepts(self, mime: str | None) -> bool:
        """True when this hasher applies to content of that MIME type."""

    def begin(self) -> HashSession:
        """Start hashing one file."""
