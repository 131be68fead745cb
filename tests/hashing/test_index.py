"""Packing PDQ hex into words, and the reference Hamming distance."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from heroes.hashing import hamming, pack_hex


@given(st.lists(st.integers(0, 2**256 - 1), min_size=1, max_size=20))
def test_pack_hex_keeps_every_bit_in_order(values: list[int]) -> None:
    words = pack_hex([f"{v:064x}" for v in values])
    assert words.dtype == np.uint64 and words.shape == (len(values), 4)
    for value, row in zip(values, words, strict=True):
        assert sum(int(w) << (64 * (3 - k)) for k, w in enumerate(row)) == value


@given(st.integers(0, 2**256 - 1), st.integers(0, 2**256 - 1))
def test_hamming_counts_differing_bits(a: int, b: int) -> None:
    words = pack_hex([f"{a:064x}", f"{b:064x}"])
    assert hamming(f"{a:064x}", f"{b:064x}") == bin(a ^ b).count("1")
    assert hamming(f"{a:064x}", f"{b:064x}") == int(np.bitwise_count(words[0] ^ words[1]).sum())


def test_empty() -> None:
    assert pack_hex([]).shape == (0, 4)
