"""PDQ hashes as machine words: the packed form every index and comparison works on.

A PDQ hash is 256 bits written as 64 hex digits. Packed as four big-endian uint64 words per
hash, a Hamming distance is four XORs and popcounts, which is what
:class:`heroes.hashing.mih.PdqMultiIndex` and the vPDQ matcher compute in bulk.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["hamming", "pack_hex"]


def pack_hex(values: Sequence[str]) -> np.ndarray:
    """(N, 4) uint64 words from 64-hex-digit PDQ strings."""
    if not values:
        return np.zeros((0, 4), dtype=np.uint64)
    raw = bytes.fromhex("".join(values))
    return np.frombuffer(raw, dtype=">u8").astype(np.uint64).reshape(len(values), 4)


def hamming(a: str, b: str) -> int:
    """Bit distance between two PDQ hex strings."""
    return int(bin(int(a, 16) ^ int(b, 16)).count("1"))
