"""Benchmark exact PDQ range search and exact-hash lookups against named baselines, in the same run.

Why: the issue asks for 10,000,000 PDQ hashes searched at distance 31 with exact results at
1,000 queries/s or more on this 2-core machine, using at most 128 bytes of memory per indexed
hash (the hash itself is 32). A rate means little alone, so the same run times two faiss
baselines on the same data and prints ratios:

* faiss ``IndexBinaryFlat``: brute force, ``range_search`` with radius + 1 (faiss counts
  distances strictly below the radius).
* faiss ``IndexBinaryMultiHash(256, 16, 16)`` with ``nflip = radius // 16``: what HMA uses.
  It is exact for radius < 32 (16 slots, pigeonhole).

Both baselines are slow at this size (well under 200 queries/s), so they search the first
``--baseline-queries`` queries only (500 by default) and their rate is measured on those. On
those queries the three result sets (query, entry, distance) must be identical, or the script
exits 1. Our index also runs with 16 slots of 16 bits (the layout the issue names as the known
route) to show what the wider slots chosen by size gain, and once more memory-mapped from
disk after ``save``/``load``.

How: hashes are uniformly random 256-bit values (seeded). Half the queries are planted: an
indexed hash with a uniformly random number of bits 0..radius flipped; the other half are
random and so match nothing. Real PDQ hashes are correlated and see more candidates per query
than random ones (results stay exact; see ``heroes.hashing.mih``). Our rates are the best of
``--repeat`` runs (3) after an untimed warm-up on a few queries (numba kernels load from their
cache or compile there; the first-call time is printed); so are faiss' rates, on their subset.
Memory per hash is ``nbytes / N`` (hashes plus tables); the resident-set growth during the
build is printed beside it.

The second section times exact-hash lookups for 10,000,000 MD5 values: a sorted uint64 prefix
array with ``np.searchsorted`` plus the sorted 16-byte keys to confirm the whole hash (24 bytes
per entry), ``np.searchsorted`` on the sorted 16-byte keys alone (16 bytes per entry), both in
one batch with the queries sorted first, and a Python ``set`` of ``bytes`` (one ``in`` per
value). Half the lookups are present, half absent.

Usage::

    .venv/bin/python bench/matching.py [--n 10000000] [--queries 10000] [--radius 31]
        [--threads N] [--baseline-queries 500] [--md5 10000000] [--lookups 1000000]
        [--seed 1] [--repeat 3] [--skip-faiss] [--skip-disk] [--skip-exact]

The default run takes about two and a half minutes on a 2-core machine, most of it in faiss.
Exit status: 0, or 1 when the result sets disagree.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from importlib.metadata import version as dist_version
from pathlib import Path
from typing import Any

import numpy as np

from heroes.hashing.mih import PdqMultiIndex

TARGET_QPS = 1000.0
TARGET_BYTES = 128.0
Pairs = set[tuple[int, int, int]]


def _rss() -> int:
    """Resident set size of this process now, in bytes."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _peak() -> int:
    """Peak resident set size so far, in bytes."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _timed(function: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    result = function()
    return result, time.perf_counter() - start


def _best(function: Callable[[], Any], repeat: int) -> tuple[Any, float]:
    """Result and best time of ``repeat`` runs (a shared machine only ever slows a run down)."""
    result, best = _timed(function)
    for _ in range(repeat - 1):
        best = min(best, _timed(function)[1])
    return result, best


def machine_info(threads: int) -> list[str]:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text(errors="replace").splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    usable = len(os.sched_getaffinity(0))
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    versions = f"numpy {np.__version__}, numba {dist_version('numba')}"
    try:
        versions += f", faiss-cpu {dist_version('faiss-cpu')}"
    except Exception:
        versions += ", faiss-cpu absent"
    return [
        f"machine : {platform.platform()}; CPU {cpu}",
        f"cores   : os.cpu_count()={os.cpu_count()}, usable={usable}; threads used={threads}; load {load}",
        f"python  : {platform.python_version()}; {versions}",
    ]


# -- data ---------------------------------------------------------------------------------------


def make_data(n: int, count: int, radius: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Random hashes; queries in random order, half of them planted (with their planted distance)."""
    rng = np.random.default_rng(seed)
    hashes = rng.integers(0, 2**64, size=(n, 4), dtype=np.uint64)
    planted = count // 2
    queries = rng.integers(0, 2**64, size=(count, 4), dtype=np.uint64)
    queries[:planted] = hashes[rng.integers(0, n, size=planted)]
    flips = rng.integers(0, radius + 1, size=planted)
    bits = np.unpackbits(queries[:planted].view(np.uint8), axis=1)  # any fixed bit order will do
    for row, k in enumerate(flips):
        where = rng.choice(256, size=int(k), replace=False)
        bits[row, where] ^= 1
    queries[:planted] = np.packbits(bits, axis=1).view(np.uint64)
    order = rng.permutation(count)
    distance = np.full(count, -1, dtype=np.int64)
    distance[:planted] = flips
    return hashes, queries[order], distance[order]


def _pairs(q: np.ndarray, e: np.ndarray, d: np.ndarray, below: int) -> Pairs:
    keep = q < below
    return set(zip(q[keep].tolist(), e[keep].tolist(), d[keep].tolist(), strict=True))


def _faiss_pairs(lims: np.ndarray, distances: np.ndarray, labels: np.ndarray) -> Pairs:
    q = np.repeat(np.arange(len(lims) - 1), (lims[1:] - lims[:-1]).astype(np.int64))
    return set(zip(q.tolist(), labels.tolist(), distances.tolist(), strict=True))


# -- PDQ ----------------------------------------------------------------------------------------


def _layout(
    hashes: np.ndarray, queries: np.ndarray, radius: int, threads: int, slots: int, repeat: int
) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray], float, float, int]:
    """Results, build time, search time and bytes of an index with a fixed slot count."""
    index, build = _timed(lambda: PdqMultiIndex.build(hashes, slots=slots, threads=threads))
    index.search(queries[:50], radius, threads=threads)
    got, took = _best(lambda: index.search(queries, radius, threads=threads), repeat)
    return got, build, took, index.nbytes


def _disk(
    index: PdqMultiIndex, queries: np.ndarray, radius: int, threads: int, repeat: int
) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray], float, float, float, float]:
    """Save, memory-map and search: results, save, load, first-1000-queries and search times."""
    with tempfile.TemporaryDirectory(prefix="heroes-mih-") as folder:
        path = Path(folder) / "mih"
        save = _timed(lambda: index.save(path))[1]
        loaded, load = _timed(lambda: PdqMultiIndex.load(path, mmap=True))
        first_took = _timed(lambda: loaded.search(queries[:1000], radius, threads=threads))[1]
        got, took = _best(lambda: loaded.search(queries, radius, threads=threads), repeat)
        return got, save, load, first_took, took


def _faiss(
    index: Any, codes: np.ndarray, qcodes: np.ndarray, radius: int, repeat: int
) -> tuple[Pairs, float, float, int]:
    """Result pairs, add time, range-search time and resident-set growth of a faiss binary index."""
    before = _rss()
    build = _timed(lambda: index.add(codes))[1]
    grown = _rss() - before
    index.search(qcodes[:2], 1)
    (lims, distances, labels), took = _best(lambda: index.range_search(qcodes, radius + 1), repeat)
    return _faiss_pairs(lims, distances, labels), build, took, grown


def bench_pdq(args: argparse.Namespace) -> bool:
    n, count, radius, threads = args.n, args.queries, args.radius, args.threads
    print()
    print(f"== PDQ range search: {n:,} random hashes, {count:,} queries, distance <= {radius} ==")
    (hashes, queries, planted), took = _timed(lambda: make_data(n, count, radius, args.seed))
    print(f"   data: {took:.1f} s to make; {count // 2:,} queries planted at 0..{radius} bits, others random")
    rows: list[tuple[str, float, str, str]] = []

    ready = _timed(lambda: PdqMultiIndex.build(hashes[:1000], slots=16).search(queries[:4], radius))[1]
    print(f"   numba kernels ready in {ready:.2f} s (first call: compiled, or loaded from the on-disk cache)")

    before = _rss()
    index, build = _timed(lambda: PdqMultiIndex.build(hashes, threads=threads))
    grown = _rss() - before
    per_hash = index.nbytes / n
    index.search(queries[:50], radius, threads=threads)
    (q, e, d), took = _best(lambda: index.search(queries, radius, threads=threads), args.repeat)
    ours_qps = count / took
    ours = (q, e, d)
    widths = f"{index.slots[0]} slots" if index.slots else "empty"
    rows.append(
        (f"ours: PdqMultiIndex ({widths}), {threads} threads", ours_qps, f"{build:.1f} s", f"{per_hash:.1f}")
    )
    found = len(set(q.tolist()))
    planted_found = len(set(q[planted[q] >= 0].tolist()))
    print(
        f"   ours: built in {build:.1f} s; {index.nbytes / 1e6:,.0f} MB = {per_hash:.1f} B/hash "
        f"(resident set grew {grown / n:.1f} B/hash during the build); {len(q):,} matches for {found:,} "
        f"queries ({planted_found:,} of {count // 2:,} planted)"
    )
    if threads > 1:
        took1 = _best(lambda: index.search(queries, radius, threads=1), args.repeat)[1]
        rows.append(("ours, 1 thread", count / took1, "", ""))

    got16, build16, took16, bytes16 = _layout(hashes, queries, radius, threads, 16, args.repeat)
    same16 = all(np.array_equal(a, b) for a, b in zip(got16, ours, strict=True))
    rows.append(("ours with 16 slots of 16 bits", count / took16, f"{build16:.1f} s", f"{bytes16 / n:.1f}"))
    ok = same16
    if not same16:
        print("   MISMATCH: 16x16-bit layout and the default layout return different results")

    if not args.skip_disk:
        got_disk, save, load, first_took, took_disk = _disk(index, queries, radius, threads, args.repeat)
        same_disk = all(np.array_equal(a, b) for a, b in zip(got_disk, ours, strict=True))
        ok = ok and same_disk
        print(
            f"   disk: save {save:.1f} s; load (memory-mapped) {load * 1000:.1f} ms; first 1,000 queries "
            f"{first_took:.2f} s while pages load (from the page cache); identical results: {same_disk}"
        )
        rows.append(("ours, memory-mapped after load", count / took_disk, f"{load * 1000:.0f} ms load", ""))

    flat_qps = multi_qps = float("nan")
    if not args.skip_faiss:
        import faiss

        faiss.omp_set_num_threads(threads)
        sub = min(args.baseline_queries, count)
        codes = hashes.view(np.uint8)
        qcodes = np.ascontiguousarray(queries[:sub]).view(np.uint8)
        ours_sub = _pairs(q, e, d, sub)

        flat_pairs, flat_build, took, _ = _faiss(
            faiss.IndexBinaryFlat(256), codes, qcodes, radius, args.repeat
        )
        flat_qps = sub / took
        rows.append((f"faiss IndexBinaryFlat ({sub} queries)", flat_qps, f"{flat_build:.1f} s", "32.0"))

        multi = faiss.IndexBinaryMultiHash(256, 16, 16)
        multi.nflip = radius // 16
        multi_pairs, multi_build, took, multi_bytes = _faiss(multi, codes, qcodes, radius, args.repeat)
        multi_qps = sub / took
        label = f"faiss IndexBinaryMultiHash(256,16,16) nflip={radius // 16} ({sub} queries)"
        rows.append((label, multi_qps, f"{multi_build:.1f} s", f"~{multi_bytes / n:.0f} (RSS)"))
        exact = radius < 32
        agree = ours_sub == flat_pairs and (ours_sub == multi_pairs or not exact)
        ok = ok and agree
        print(
            f"   agreement on the first {sub} queries ({len(ours_sub):,} pairs): ours == flat: "
            f"{ours_sub == flat_pairs}; ours == multi-hash: {ours_sub == multi_pairs}"
            + ("" if exact else " (multi-hash with 16 slots is exact only below 32)")
        )

    print()
    header = f"   {'method':<62} {'queries/s':>10} {'build':>12} {'B/hash':>14}"
    print(header)
    print("   " + "-" * (len(header) - 3))
    for label, qps, build_text, bytes_text in rows:
        print(f"   {label:<62} {qps:>10,.0f} {build_text:>12} {bytes_text:>14}")
    print()
    if not args.skip_faiss:
        print(f"   ratio ours / faiss flat       : {ours_qps / flat_qps:.1f}x")
        print(f"   ratio ours / faiss multi-hash : {ours_qps / multi_qps:.1f}x")
    print(f"   ratio ours / 16x16-bit slots  : {ours_qps / (count / took16):.1f}x")
    speed = "PASS" if ours_qps >= TARGET_QPS else "FAIL"
    memory = "PASS" if per_hash <= TARGET_BYTES else "FAIL"
    print(f"   target >= {TARGET_QPS:,.0f} queries/s: {speed} ({ours_qps:,.0f} with {threads} threads)")
    print(f"   target <= {TARGET_BYTES:.0f} bytes/hash: {memory} ({per_hash:.1f})")
    print(f"   peak resident set so far: {_peak() / 1e9:.2f} GB")
    return ok


# -- exact hashes -------------------------------------------------------------------------------


def _keys(values: np.ndarray) -> np.ndarray:
    """(N, 16) bytes as N 16-byte keys (``S16``; compared and sorted like ``memcmp``)."""
    return np.ascontiguousarray(values).view("S16").ravel()


def _heads(keys: np.ndarray) -> np.ndarray:
    """The first 8 bytes of each key as a native uint64 that sorts like the key."""
    return keys.view(">u8").reshape(len(keys), 2)[:, 0].astype(np.uint64)


def _lookup_prefix(prefix: np.ndarray, full: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Binary search of sorted queries on the uint64 prefixes; whole keys compared over equal prefixes."""
    heads = _heads(wanted)
    order = np.argsort(heads)  # sorted needles: each search starts near the last one, 5x faster
    left = np.searchsorted(prefix, heads[order], side="left")
    span = np.searchsorted(prefix, heads[order], side="right") - left  # almost always 0 or 1
    hit = np.zeros(len(wanted), dtype=bool)
    for step in range(int(span.max()) if len(span) else 0):
        at = np.minimum(left + step, len(full) - 1)
        hit[order] |= (span > step) & (full[at] == wanted[order])
    return hit


def _lookup_keys(full: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Binary search of sorted queries on the 16-byte keys."""
    order = np.argsort(wanted)
    at = np.minimum(np.searchsorted(full, wanted[order]), len(full) - 1)
    hit = np.zeros(len(wanted), dtype=bool)
    hit[order] = full[at] == wanted[order]
    return hit


def _python_set(keys: np.ndarray, wanted: np.ndarray) -> tuple[np.ndarray, float, float, int]:
    """Hits, build time, lookup time and resident-set growth of a Python set of bytes."""
    before = _rss()
    table, build = _timed(lambda: set(keys.tolist()))  # the bytes objects and the set's table
    grown = _rss() - before
    probes = wanted.tolist()
    hits, took = _timed(lambda: np.fromiter((v in table for v in probes), dtype=bool, count=len(probes)))
    return hits, build, took, grown


def bench_exact(args: argparse.Namespace) -> bool:
    n, lookups = args.md5, args.lookups
    print()
    print(f"== Exact-hash lookups: {n:,} random MD5 values, {lookups:,} lookups (half present) ==")
    rng = np.random.default_rng(args.seed + 1)
    raw = rng.integers(0, 256, size=(n, 16), dtype=np.uint8)
    present = raw[rng.integers(0, n, size=lookups // 2)]
    absent = rng.integers(0, 256, size=(lookups - lookups // 2, 16), dtype=np.uint8)
    wanted = _keys(np.vstack([present, absent])[rng.permutation(lookups)])
    rows: list[tuple[str, float, float, float]] = []

    full, sort = _timed(lambda: np.sort(_keys(raw)))
    prefix, took = _timed(lambda: _heads(full))
    hit_a, took = _timed(lambda: _lookup_prefix(prefix, full, wanted))
    rows.append(("sorted uint64 prefixes + 16-byte keys, np.searchsorted*", lookups / took, sort, 24.0))
    hit_b, took = _timed(lambda: _lookup_keys(full, wanted))
    rows.append(("sorted 16-byte keys (S16) alone, np.searchsorted*", lookups / took, sort, 16.0))
    # Python bytes objects hold the values; the set's slots point to them (objects counted via RSS)
    hit_c, build, took, grown = _python_set(_keys(raw), wanted)
    rows.append(("Python set of bytes, 'in' per value", lookups / took, build, grown / n))

    ok = (
        bool(np.array_equal(hit_a, hit_b) and np.array_equal(hit_a, hit_c))
        and int(hit_a.sum()) >= lookups // 2
    )
    header = f"   {'method':<56} {'lookups/s':>12} {'build':>8} {'B/entry':>8}"
    print(header)
    print("   " + "-" * (len(header) - 3))
    for label, rate, build_time, per_entry in rows:
        print(f"   {label:<56} {rate:>12,.0f} {build_time:>7.1f}s {per_entry:>8.1f}")
    print(f"   all three agree: {ok} ({int(hit_a.sum()):,} of {lookups:,} found; {lookups // 2:,} present)")
    print("   * one vectorised batch with the queries sorted first (unsorted: about 5x fewer lookups/s)")
    print("   SHA-1 (20 bytes) costs the same way: 28 B/entry with the prefix array, 20 with the keys alone")
    return ok


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--n", type=int, default=10_000_000, help="indexed PDQ hashes")
    parser.add_argument("--queries", type=int, default=10_000)
    parser.add_argument("--radius", type=int, default=31)
    parser.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--baseline-queries", type=int, default=500, help="queries for the faiss baselines")
    parser.add_argument("--md5", type=int, default=10_000_000, help="MD5 values in the exact-hash section")
    parser.add_argument("--lookups", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each search of ours; the best is kept")
    parser.add_argument("--skip-faiss", action="store_true")
    parser.add_argument("--skip-disk", action="store_true", help="no save/load of the index")
    parser.add_argument("--skip-exact", action="store_true")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse(argv)
    print("heroes matching benchmark: PdqMultiIndex vs faiss IndexBinaryFlat / IndexBinaryMultiHash")
    for line in machine_info(args.threads):
        print(line)
    started = time.perf_counter()
    ok = bench_pdq(args)
    if not args.skip_exact:
        ok = bench_exact(args) and ok
    print()
    print(f"total {time.perf_counter() - started:.0f} s; sanity checks {'passed' if ok else 'FAILED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
