"""The multi-index PDQ search against a NumPy brute force: exact results at every radius."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from heroes.hashing.index import pack_hex
from heroes.hashing.mih import PdqMultiIndex

Triples = tuple[np.ndarray, np.ndarray, np.ndarray]


def _random(rng: np.random.Generator, count: int) -> np.ndarray:
    return rng.integers(0, 2**64, size=(count, 4), dtype=np.uint64)


def _flip(rng: np.random.Generator, value: np.ndarray, bits: int) -> np.ndarray:
    out = value.copy()
    for bit in rng.choice(256, size=bits, replace=False):
        out[bit // 64] ^= np.uint64(1) << np.uint64(63 - bit % 64)
    return out


def _brute(queries: np.ndarray, hashes: np.ndarray, radius: int) -> Triples:
    distances = np.zeros((len(queries), len(hashes)), dtype=np.int64)
    for k in range(4):
        distances += np.bitwise_count(queries[:, k, None] ^ hashes[None, :, k])
    q, e = np.nonzero(distances <= radius)  # row-major: sorted by query, then entry
    return q, e, distances[q, e]


def _same(got: Triples, expected: Triples) -> None:
    assert [a.tolist() for a in got] == [b.tolist() for b in expected]


def _data(seed: int = 7, count: int = 3000) -> tuple[np.ndarray, np.ndarray]:
    """Random hashes; queries planted at each distance 0..40 from an entry (twice each), and random ones."""
    rng = np.random.default_rng(seed)
    hashes = _random(rng, count)
    planted = [_flip(rng, hashes[rng.integers(count)], d) for d in range(41) for _ in range(2)]
    return hashes, np.vstack([np.asarray(planted), _random(rng, 40)])


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray]:
    return _data()


@pytest.mark.parametrize("slots", [16, 21, 32])
@pytest.mark.parametrize("radius", [0, 1, 15, 31, 32, 40, 64, 256])
def test_equals_brute_force(data: tuple[np.ndarray, np.ndarray], slots: int, radius: int) -> None:
    hashes, queries = data
    index = PdqMultiIndex.build(hashes, slots=slots)
    expected = _brute(queries, hashes, radius)
    for strategy in ("index", "scan", "auto"):
        _same(index.search(queries, radius, strategy=strategy), expected)
    if radius == 31:  # every planted neighbour within 31 is found (and more, by chance, at most)
        assert set(range(64)) <= set(expected[0].tolist())


def test_result_types_and_threads(data: tuple[np.ndarray, np.ndarray]) -> None:
    hashes, queries = data
    index = PdqMultiIndex.build(hashes, slots=16)
    one = index.search(queries, 31, strategy="index", threads=1)
    two = index.search(np.repeat(queries, 4, axis=0), 31, strategy="index", threads=2)  # several chunks
    assert [a.dtype for a in one] == [np.int64, np.int64, np.int32]
    _same((two[0] // 4, two[1], two[2]), tuple(np.repeat(a, 4) for a in one))  # type: ignore[arg-type]
    _same(index.search(queries.astype(">u8"), np.int64(31)), one)  # any byte order, numpy radius


def test_default_layout_follows_size() -> None:
    rng = np.random.default_rng(1)
    assert PdqMultiIndex.build(_random(rng, 1000)).slots == (0,)  # small: a linear scan is cheaper
    big = PdqMultiIndex.build(_random(rng, 200_000))
    assert big.slots == (16,)
    assert big.nbytes <= 128 * len(big) + (4 << 20)


def test_duplicates_all_returned() -> None:
    rng = np.random.default_rng(3)
    value = _random(rng, 1)
    hashes = np.vstack([_random(rng, 100), value, value, _random(rng, 50), value])
    for slots in (0, 16):
        q, e, d = PdqMultiIndex.build(hashes, slots=slots).search(value, 0, strategy="index")
        assert e.tolist() == [100, 101, 152] and d.tolist() == [0, 0, 0] and q.tolist() == [0, 0, 0]


def test_pack_hex_words() -> None:
    near = "f" * 60 + "0000"
    index = PdqMultiIndex.build(pack_hex(["0" * 64, near]), slots=16)
    q, e, d = index.search(pack_hex(["f" * 64]), 20, strategy="index")
    assert (q.tolist(), e.tolist(), d.tolist()) == ([0], [1], [16])


def test_empty() -> None:
    index = PdqMultiIndex.build(np.zeros((0, 4), dtype=np.uint64))
    assert len(index) == 0 and index.nbytes == 0
    q, e, d = index.search(_random(np.random.default_rng(0), 3), 31)
    assert len(q) == len(e) == len(d) == 0
    assert [a.dtype for a in (q, e, d)] == [np.int64, np.int64, np.int32]
    full = PdqMultiIndex.build(_random(np.random.default_rng(0), 10), slots=16)
    assert [len(a) for a in full.search(np.zeros((0, 4), dtype=np.uint64), 31)] == [0, 0, 0]


def test_add_gives_next_ids_and_merges(data: tuple[np.ndarray, np.ndarray]) -> None:
    hashes, queries = data
    index = PdqMultiIndex.build(hashes[:2000], slots=16)
    index.add(hashes[2000:2600])
    assert list(index.slots) == [16, 16] and len(index) == 2600
    index.add(hashes[2600:2601])
    assert list(index.slots) == [16, 16, 16]
    index.add(hashes[2601:])  # 399 more: 1 + 399, then 600 + 400, then 2000 + 1000 are merged
    assert len(index) == 3000 and list(index.slots) == [16]
    index.add(np.zeros((0, 4), dtype=np.uint64))
    for radius in (0, 31, 40):
        _same(index.search(queries, radius, strategy="index"), _brute(queries, hashes, radius))
    grown = PdqMultiIndex.build(hashes[:10])
    grown.add(hashes[10:])  # more than twice as many: merged into one part
    assert grown.slots == (0,)
    _same(grown.search(queries, 31), _brute(queries, hashes, 31))


@pytest.mark.parametrize("mmap", [True, False])
def test_save_load_round_trip(tmp_path: Path, data: tuple[np.ndarray, np.ndarray], mmap: bool) -> None:
    hashes, queries = data
    index = PdqMultiIndex.build(hashes[:2500], slots=16)
    index.add(hashes[2500:])
    before = index.search(queries, 31, strategy="index")
    index.save(tmp_path / "mih")
    assert index.slots == (16,)  # save compacts
    loaded = PdqMultiIndex.load(tmp_path / "mih", mmap=mmap)
    assert len(loaded) == 3000 and loaded.nbytes == index.nbytes and loaded.slots == (16,)
    _same(loaded.search(queries, 31, strategy="index"), before)
    loaded.add(hashes[:5])  # a mapped index grows in memory
    assert loaded.search(hashes[:1], 0)[1].tolist() == [0, 3000]
    loaded.save(tmp_path / "mih")  # over the index it was loaded from
    assert len(PdqMultiIndex.load(tmp_path / "mih")) == 3005
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mih"]


def test_save_load_empty_and_scan_only(tmp_path: Path) -> None:
    PdqMultiIndex.build(np.zeros((0, 4), dtype=np.uint64)).save(tmp_path / "empty")
    assert len(PdqMultiIndex.load(tmp_path / "empty")) == 0
    hashes = _random(np.random.default_rng(5), 50)
    PdqMultiIndex.build(hashes, slots=0).save(tmp_path / "scan")
    loaded = PdqMultiIndex.load(tmp_path / "scan")
    _same(loaded.search(hashes, 100), _brute(hashes, hashes, 100))


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (np.zeros((3, 4), dtype=np.int64), "dtype uint64"),
        (np.zeros((3, 4), dtype=np.float64), "dtype uint64"),
        (np.zeros((3, 3), dtype=np.uint64), "shape"),
        (np.zeros(4, dtype=np.uint64), "shape"),
        ([[0, 0, 0, 0]], "numpy array"),
    ],
)
def test_bad_input(bad: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        PdqMultiIndex.build(bad)  # type: ignore[arg-type]
    index = PdqMultiIndex.build(np.zeros((2, 4), dtype=np.uint64))
    with pytest.raises(ValueError, match=message):
        index.search(bad, 31)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=message):
        index.add(bad)  # type: ignore[arg-type]


def test_bad_arguments() -> None:
    index = PdqMultiIndex.build(np.zeros((2, 4), dtype=np.uint64))
    queries = np.zeros((1, 4), dtype=np.uint64)
    for radius in (-1, 3.0, True, "31"):
        with pytest.raises(ValueError, match="radius"):
            index.search(queries, radius)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="strategy"):
        index.search(queries, 31, strategy="fast")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="slots"):
        PdqMultiIndex.build(queries, slots=5)


def _saved(tmp_path: Path) -> Path:
    path = tmp_path / "mih"
    PdqMultiIndex.build(_random(np.random.default_rng(2), 300), slots=16).save(path)
    return path


@pytest.mark.parametrize("name", ["hashes.npy", "offsets.npy", "ids.npy"])
def test_truncated_file_names_it(tmp_path: Path, name: str) -> None:
    path = _saved(tmp_path)
    raw = (path / name).read_bytes()
    (path / name).write_bytes(raw[: len(raw) // 2])
    for mmap in (True, False):
        with pytest.raises(ValueError, match=re.escape(name)):
            PdqMultiIndex.load(path, mmap=mmap)


def test_corrupt_files_name_them(tmp_path: Path) -> None:
    path = _saved(tmp_path)
    meta = json.loads((path / "meta.json").read_text())
    (path / "meta.json").write_text("{not json")
    with pytest.raises(ValueError, match=r"meta\.json"):
        PdqMultiIndex.load(path)
    (path / "meta.json").write_text(json.dumps({**meta, "widths": [16] * 15}))
    with pytest.raises(ValueError, match=r"meta\.json"):
        PdqMultiIndex.load(path)
    (path / "meta.json").write_text(json.dumps({**meta, "count": 299}))
    with pytest.raises(ValueError, match=r"hashes\.npy"):
        PdqMultiIndex.load(path)
    (path / "meta.json").write_text(json.dumps(meta))
    (path / "ids.npy").unlink()
    with pytest.raises(ValueError, match=r"ids\.npy"):
        PdqMultiIndex.load(path)
    with pytest.raises(FileNotFoundError):
        PdqMultiIndex.load(tmp_path / "missing")


def test_corrupt_tables_raise_not_crash(tmp_path: Path) -> None:
    path = _saved(tmp_path)
    offsets = np.load(path / "offsets.npy")
    offsets[-1] = 7
    np.save(path / "offsets.npy", offsets)
    with pytest.raises(ValueError, match=r"offsets\.npy"):
        PdqMultiIndex.load(path)
    offsets[-1] = 300
    offsets[5] = 10**6  # a bucket past the end: caught by the kernel's bounds checks
    np.save(path / "offsets.npy", offsets)
    everything = PdqMultiIndex.load(path)
    with pytest.raises(ValueError, match="corrupt PDQ index"):
        everything.search(np.zeros((1, 4), dtype=np.uint64), 31, strategy="index")
    offsets[5] = offsets[4]
    np.save(path / "offsets.npy", offsets)
    ids = np.load(path / "ids.npy")
    ids[:] = 10**6
    np.save(path / "ids.npy", ids)
    with pytest.raises(ValueError, match="corrupt PDQ index"):
        PdqMultiIndex.load(path).search(np.zeros((1, 4), dtype=np.uint64), 31, strategy="index")


@settings(max_examples=40, deadline=None)
@given(
    st.integers(0, 2**32 - 1),
    st.integers(0, 60),
    st.sampled_from([0, 16, 20, 32]),
    st.integers(0, 70),
    st.lists(st.integers(0, 60), max_size=4),
)
def test_property_equals_brute_force(seed: int, size: int, slots: int, radius: int, adds: list[int]) -> None:
    rng = np.random.default_rng(seed)
    hashes = _random(rng, size)
    if size:  # some exact duplicates and near neighbours
        hashes[rng.integers(size, size=size // 4)] = hashes[0]
        hashes[-1] = _flip(rng, hashes[0], int(rng.integers(0, 40)))
    queries = np.vstack([hashes[: min(size, 5)], _random(rng, 2)])
    index = PdqMultiIndex.build(hashes, slots=slots)
    everything = hashes
    for count in adds:
        extra = _random(rng, count)
        index.add(extra)
        everything = np.vstack([everything, extra])
    _same(index.search(queries, radius, strategy="index"), _brute(queries, everything, radius))


def test_writable_input_is_copied() -> None:
    hashes = _random(np.random.default_rng(4), 100)
    query = hashes[:1].copy()
    index = PdqMultiIndex.build(hashes, slots=16)
    hashes[:] = 0
    assert index.search(query, 0)[1].tolist() == [0]
