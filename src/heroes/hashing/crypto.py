"""MD5, SHA-1 and SHA-256 as streaming hashers (OpenSSL through hashlib).

hashlib releases the GIL on large updates, but with all cores busy on whole files the
simplest fast layout is one process per file, each feeding its three digests from one read.
"""

from __future__ import annotations

import hashlib
from typing import Any

from heroes.config import Settings
from heroes.hashing.base import Content

__all__ = ["MD5", "SHA1", "SHA256", "CryptoHasher"]


class _DigestSession:
    def __init__(self, name: str) -> None:
        self._name = name
        self._digest = hashlib.new(name)

    def update(self, chunk: bytes) -> None:
        self._digest.update(chunk)

    def finish(self, content: Content, settings: Settings) -> dict[str, Any]:
        return {self._name: self._digest.hexdigest()}


class CryptoHasher:
    """A cryptographic digest of the exact bytes; applies to every file."""

    version = "1"

    def __init__(self, name: str) -> None:
        self.name = name
        self.fields: tuple[str, ...] = (name,)

    def accepts(self, mime: str | None) -> bool:
        """Every file gets exact hashes, whatever its type."""
        return True

    def begin(self) -> _DigestSession:
        """A fresh digest."""
        return _DigestSession(self.name)


MD5 = CryptoHasher("md5")
SHA1 = CryptoHasher("sha1")
SHA256 = CryptoHasher("sha256")
