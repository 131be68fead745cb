"""Compact exact-hash sets: membership equals a Python set, with fixed bytes per entry."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from heroes.evidence import Algorithm, HashEntry, Malformed
from heroes.hashing.exactset import build_exact_sets, open_exact_sets


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.binary(min_size=20, max_size=20), max_size=60), st.lists(st.binary(min_size=20, max_size=20))
)
def test_membership_equals_a_set(stored: list[bytes], probes: list[bytes]) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        counts, bad = build_exact_sets([HashEntry(Algorithm.SHA1, b.hex()) for b in stored], Path(tmp))
        assert not bad
        sets = open_exact_sets(Path(tmp))
        if not stored:
            assert sets == {}
            return
        assert counts == {Algorithm.SHA1: len(set(stored))}
        queries = [b.hex() for b in probes + stored[:5]]
        assert sets[Algorithm.SHA1].contains(queries) == [bytes.fromhex(q) in set(stored) for q in queries]


def test_bytes_per_entry_and_mixed_algorithms(tmp_path: Path) -> None:
    md5 = [os.urandom(16).hex() for _ in range(1000)]
    sha256 = [os.urandom(32).hex() for _ in range(10)]
    records = [HashEntry(Algorithm.MD5, v) for v in md5 + md5[:100]]
    records += [HashEntry(Algorithm.SHA256, v) for v in sha256]
    records += [HashEntry(Algorithm.PDQ, "0" * 64), Malformed(7, "bad")]
    counts, bad = build_exact_sets(records, tmp_path)
    assert counts == {Algorithm.MD5: 1000, Algorithm.SHA256: 10}
    assert [b.line for b in bad] == [0, 7] and "compact" in bad[0].reason
    sets = open_exact_sets(tmp_path)
    assert sets[Algorithm.MD5].nbytes == 16 * 1000
    assert isinstance(sets[Algorithm.MD5].keys, np.memmap)
    assert sets[Algorithm.SHA256].contains([sha256[3], "0" * 64]) == [True, False]


def test_corrupt_key_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "md5.npy").write_bytes(b"not numpy")
    try:
        open_exact_sets(tmp_path)
    except ValueError as exc:
        assert "md5.npy" in str(exc)
    else:
        raise AssertionError("a corrupt key file must raise")
