"""Perceptual near-duplicate lookup: a linear Hamming scan over packed 256-bit PDQ hashes.

A vectorised XOR + popcount over uint64 words checks roughly 10^8 hashes per second per
core, which is plenty for lists of up to a few hundred thousand PDQ hashes; the
multi-index for tens of millions is a later step and will keep this interface.

Each query is the 8 dihedral variants of one image, so a flipped or rotated copy meets
the list entry under the variant that undoes the transform. Thresholds are per entry
because each list carries its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["PdqHit", "PdqIndex", "hamming", "pack_hex"]


def pack_hex(values: Sequence[str]) -> np.ndarray:
    """(N, 4) uint64 words from 64-hex-digit PDQ strings."""
    if not values:
        return np.zeros((0, 4), dtype=np.uint64)
    raw = bytes.fromhex("".join(values))
    return np.frombuffer(raw, dtype=">u8").astype(np.uint64).reshape(len(values), 4)


def hamming(a: str, b: str) -> int:
    """Bit distance between two PDQ hex strings."""
    return int(bin(int(a, 16) ^ int(b, 16)).count("1"))


@dataclass(frozen=True, slots=True)
class PdqHit:
    """An index entry within its threshold of a query."""

    position: int
    distance: int
    variant: int


class PdqIndex:
    """Brute-force Hamming search with per-entry thresholds."""

    def __init__(self, hashes: Sequence[str], thresholds: Sequence[int]) -> None:
        if len(hashes) != len(thresholds):
            raise ValueError("one threshold per hash")
        self._init(pack_hex(hashes), thresholds)

    @classmethod
    def from_words(cls, words: np.ndarray, thresholds: Sequence[int]) -> PdqIndex:
        """An index over already packed (N, 4) uint64 hashes."""
        index = cls.__new__(cls)
        index._init(np.asarray(words, dtype=np.uint64).reshape(-1, 4), thresholds)
        return index

    def _init(self, words: np.ndarray, thresholds: Sequence[int]) -> None:
        if len(words) != len(thresholds):
            raise ValueError("one threshold per hash")
        # One contiguous array per 64-bit word: each step below is then a plain vector operation
        # over all entries (a reduction over a 4-wide axis is several times slower in NumPy).
        self._columns = [np.ascontiguousarray(words[:, k]) for k in range(4)]
        self._size = int(words.shape[0])
        self._thresholds = np.asarray(thresholds, dtype=np.uint16)

    def __len__(self) -> int:
        return self._size

    def query(self, variants: Sequence[str]) -> list[PdqHit]:
        """Entries within threshold of any variant, each with its smallest distance."""
        if not self._size or not variants:
            return []
        queries = pack_hex(variants)  # (V, 4)
        distances = np.zeros((len(variants), self._size), dtype=np.uint16)
        for k, column in enumerate(self._columns):
            distances += np.bitwise_count(column[None, :] ^ queries[:, k, None])
        best = distances.min(axis=0)
        hits = np.nonzero(best <= self._thresholds)[0]
        return [PdqHit(int(i), int(best[i]), int(distances[:, i].argmin())) for i in hits]
