"""Does a scan against a 10-million-hash PDQ list cost little more than hashing the folder?

Why: agencies hold tens of millions of hashes; a tool that reads them out of a database for
every scan, or compares each photo with each hash, turns a ten-minute triage into hours.
The scan opens each list's saved multi-index by memory-mapping it and searches all 8
dihedral variants of every photo in it.

Method (same run, same machine, same folder of BSDS500 JPEGs copied to a temp folder):
1. baseline: ``heroes.triage.scan`` into a store with no hash list (hashing, typing, storing);
2. the same scan into a store holding one list of N random PDQ hashes plus the PDQ hashes of
   5 of the photos (so matches must come out), after the list's index was built once.
Both scans are warmed up once (page cache, numba kernels) and the best of ``--repeat`` counts.
The import and first index build are timed and reported too, but not part of the ratio.

    .venv/bin/python bench/scan_index.py [--n 10000000] [--repeat 2] [--photos DIR]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from heroes.config import Settings, load_settings
from heroes.evidence import Algorithm, HashEntry, ListRole
from heroes.hashing import hash_image
from heroes.hashing.listindex import open_list_index
from heroes.store import CaseStore
from heroes.triage import scan

DEFAULT_PHOTOS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "photos" / "bsds500"


def _entries(n: int, planted: list[str], seed: int) -> Iterator[HashEntry]:
    rng = np.random.default_rng(seed)
    done = 0
    while done < n:
        count = min(200_000, n - done)
        words = rng.integers(0, 2**63, size=(count, 4), dtype=np.int64).astype(">u8")
        words[:, 0] |= rng.integers(0, 2, size=count, dtype=np.int64).astype(">u8") << np.uint64(63)
        for row in words:
            yield HashEntry(Algorithm.PDQ, row.tobytes().hex())
        done += count
    for value in planted:
        yield HashEntry(Algorithm.PDQ, value, "1", "planted")


def _timed_scan(store: CaseStore, settings: Settings, folder: Path, case: str) -> tuple[float, int]:
    started = time.perf_counter()
    summary = scan(store, settings, case, folder, actor="bench")
    return time.perf_counter() - started, summary.matches


def main(argv: list[str] | None = None) -> int:
    """Run the comparison and print the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--n", type=int, default=10_000_000, help="random PDQ hashes in the list")
    parser.add_argument("--repeat", type=int, default=2, help="timed scans per store; the best counts")
    parser.add_argument("--photos", type=Path, default=DEFAULT_PHOTOS, help="folder of JPEG photos")
    args = parser.parse_args(argv)
    photos = sorted(args.photos.rglob("*.jpg"))
    if not photos:
        print(f"no JPEG photos under {args.photos}; pass --photos")
        return 1
    work = Path(tempfile.mkdtemp(prefix="heroes-scan-index-"))
    try:
        folder = work / "device"
        folder.mkdir()
        for n, photo in enumerate(photos):
            shutil.copyfile(photo, folder / f"{n:04d}-{photo.name}")
        print(f"heroes scan against a large PDQ list: {len(photos)} photos, list of {args.n:,} hashes")
        print(f"cores: {os.cpu_count()}; photos from {args.photos}")

        plain_settings = load_settings({"HEROES_HOME": str(work / "plain")})
        plain = CaseStore.open(plain_settings)
        _timed_scan(plain, plain_settings, folder, "warm-up")
        base = min(_timed_scan(plain, plain_settings, folder, f"run-{i}")[0] for i in range(args.repeat))
        plain.close()

        settings = load_settings({"HEROES_HOME": str(work / "listed")})
        store = CaseStore.open(settings)
        planted = [hash_image(p.read_bytes(), settings, dihedral=False)["pdq"] for p in photos[:5]]
        started = time.perf_counter()
        result = store.import_hash_list(
            "big", _entries(args.n, planted, 1), role=ListRole.KNOWN_BAD, source="bench", actor="bench"
        )
        imported = time.perf_counter() - started
        started = time.perf_counter()
        index = open_list_index(store, result.hash_list, settings.home)
        built = time.perf_counter() - started
        print(
            f"list import into SQLite: {imported:,.1f} s ({args.n / imported:,.0f} hashes/s); "
            f"first index build from the store: {built:,.1f} s; "
            f"index {index.index.nbytes / len(index):,.1f} B/hash"
        )
        del index
        _timed_scan(store, settings, folder, "warm-up")
        runs = [_timed_scan(store, settings, folder, f"run-{i}") for i in range(args.repeat)]
        listed = min(t for t, _ in runs)
        matches = runs[0][1]
        store.close()

        ratio = listed / base
        print()
        print(f"{'scan':<46}{'seconds':>10}{'files/s':>10}")
        print(f"{'no hash list (hashing + storing only)':<46}{base:>10.2f}{len(photos) / base:>10.1f}")
        label = f"against {args.n:,} PDQ hashes (memory-mapped)"
        print(f"{label:<46}{listed:>10.2f}{len(photos) / listed:>10.1f}")
        per_photo = (listed - base) * 1000 / len(photos)
        print(f"cost of matching: {ratio:.2f}x the plain scan ({per_photo:.2f} ms per photo)")
        print(f"matches found: {matches} (planted: {len(planted)} photos; exact copies of themselves)")
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak resident set of this process: {peak:,.0f} MiB")
        ok = matches >= len(planted)
        verdict = "PASS" if ratio <= 1.25 else "FAIL"
        print(f"target 'little more than hashing' (<= 1.25x): {verdict} ({ratio:.2f}x)")
        return 0 if ok else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
