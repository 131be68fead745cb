"""The PDQ index against a brute-force reference."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from heroes.hashing import PdqIndex, hamming


def _flip(value: str, bits: list[int]) -> str:
    number = int(value, 16)
    for bit in bits:
        number ^= 1 << bit
    return f"{number:064x}"


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 2**32), st.integers(1, 40), st.integers(0, 64))
def test_index_equals_brute_force(seed: int, size: int, threshold: int) -> None:
    rng = random.Random(seed)
    hashes = [f"{rng.getrandbits(256):064x}" for _ in range(size)]
    queries = [_flip(hashes[0], rng.sample(range(256), rng.randint(0, 40))), f"{rng.getrandbits(256):064x}"]
    hits = {h.position: h for h in PdqIndex(hashes, [threshold] * size).query(queries)}
    for position, value in enumerate(hashes):
        distances = [hamming(q, value) for q in queries]
        best = min(distances)
        if best <= threshold:
            assert hits[position].distance == best
            assert distances[hits[position].variant] == best
        else:
            assert position not in hits


def test_thresholds_are_per_entry() -> None:
    base = "0" * 64
    near = _flip(base, list(range(20)))
    index = PdqIndex([near, near], [10, 31])
    assert [h.position for h in index.query([base])] == [1]


def test_empty_index_and_single_entry() -> None:
    assert PdqIndex([], []).query(["0" * 64]) == []
    assert [h.distance for h in PdqIndex(["f" * 64], [31]).query(["f" * 64])] == [0]
