"""Benchmark the full folder scan against named baselines, measured in the same run.

Why: a throughput figure means little on its own, because it depends on the disk, the CPU and
the number of cores. So this script times ``heroes.triage.scan`` next to two baselines on the
same files and the same machine, and reports ratios:

* naive: what a quick script would do. It runs in one process and, for each file, does
  ``np.asarray(Image.open(p).convert("RGB"))`` and then ``pdqhash.compute``. It computes no
  cryptographic hashes, no dihedral variants and no store writes. The issue sets the target
  at 3x this speed or better on JPEG photos.
* floor: ``sha256sum`` and ``md5sum`` over the same files, each as one process. This is
  what reading and hashing the bytes costs.

The scan runs twice, once with the default ``pdq_draft_size`` (512) and once with
``pdq_draft_size=0`` (full decode). That shows what JPEG draft decoding gains and how many
bits it moves PDQ. PDQ's cross-implementation tolerance is 10 bits for images of
quality >= 80. A third run uses 1 worker to show how much of the speed-up comes from the
extra cores.

How: the script uses two photo sets. (a) The BSDS500 train+val JPEGs (481x321,
web-sized). (b) Camera-sized JPEGs: the 24 Kodak PNGs upscaled to 4032x3024 (12 MP)
with LANCZOS and saved at quality 90. They are generated once and cached in
``bench-output/``. When ``../shared/data`` is missing, it uses synthetic smooth-pattern
JPEGs of the same sizes and says so. Each set is copied into a fresh folder under /tmp,
and every method reads exactly those files. The page cache is warmed first (every file is
read once), so the timings measure CPU, not disk. One untimed default scan (and a short
naive pass) then absorbs one-off costs such as lazy imports and starting the fork server
of the worker processes.

Each scan writes into a fresh SQLite store whose hash list holds 3,000 random entries plus
the MD5 of one file, so matching is exercised and exactly one match is expected. The timer
covers only the ``scan()`` call: opening and migrating the store and importing the list
are left out. Everything inside ``scan()`` is timed: the walk, the process pool,
md5/sha1/sha256, libmagic, PDQ with its 8 dihedral variants, store writes, matching and
the audit trail. With ``--repeat N``, each time is the best of N. The methods run
interleaved, so slow drift on a shared machine hits all of them alike. On a 2-core machine
the default run takes about a minute; most of it is the naive pass and the draft-off scan
on the 12 MP set, at about 0.6 s per image each.

Usage::

    .venv/bin/python bench/hashing.py [--set bsds|camera|all] [--repeat N] [--limit N]
        [--workers N] [--batch-size N] [--data DIR] [--no-cache] [--keep]

This is a benchmark, not a test: it prints a report and exits 0 whether the target is met or
not; it exits 1 only when a sanity check fails (a scan error, a missing or extra match, sha256
differing from sha256sum, or naive and draft-off PDQ hashes differing).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from importlib.metadata import version as dist_version
from pathlib import Path

import numpy as np
import pdqhash
import PIL
from PIL import Image, features

from heroes.config import Settings, load_settings
from heroes.evidence import Algorithm, HashEntry, Item, ListRole
from heroes.hashing import hamming
from heroes.hashing.pdq import hex_from_bits
from heroes.store import CaseStore
from heroes.triage import scan

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data" / "photos"
CACHE_ROOT = REPO / "bench-output"

CAMERA_SIZE = (4032, 3024)
CAMERA_QUALITY = 90
CAMERA_RESAMPLE = Image.Resampling.LANCZOS
BSDS_SIZE = (481, 321)
BSDS_SYNTHETIC_COUNT = 300
KODAK_COUNT = 24
TARGET = 3.0
PDQ_TOLERANCE = 10
DEFAULT_DRAFT = 512
ACTOR = "bench"
CASE = "bench"
WARMUP_FILES = 8
ARG_BUDGET = 96 * 1024  # bytes of file names per sha256sum/md5sum call (well under ARG_MAX)

NAIVE = "naive: Pillow full decode + pdqhash, 1 proc"
SHA256SUM = "sha256sum, 1 proc (floor)"
MD5SUM = "md5sum, 1 proc (floor)"


@dataclass
class PhotoSet:
    """The files of one photo set, copied into the folder that every method reads."""

    name: str
    title: str
    folder: Path
    files: list[Path]
    synthetic: bool
    note: str

    @property
    def size(self) -> int:
        """Total bytes."""
        return sum(p.stat().st_size for p in self.files)


@dataclass
class Method:
    """One timed method: the best time over the repeats, plus what its last run produced."""

    label: str
    times: list[float] = field(default_factory=list)
    pdq: dict[str, str | None] = field(default_factory=dict)
    quality: dict[str, int | None] = field(default_factory=dict)
    digests: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def best(self) -> float:
        """Best (smallest) wall-clock time in seconds."""
        return min(self.times)


# -- machine ----------------------------------------------------------------------------------


def _first_line(command: Sequence[str]) -> str:
    try:
        out = subprocess.run(command, capture_output=True, text=True, check=False).stdout
    except OSError as exc:
        return f"unavailable ({exc})"
    return out.splitlines()[0] if out else "unknown"


def machine_info(workers: int) -> list[str]:
    """Lines that describe the machine and the libraries being timed."""
    cpu = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text(errors="replace").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    turbo = features.check_feature("libjpeg_turbo")
    return [
        f"machine      : {platform.platform()}; CPU {cpu}",
        f"nproc        : os.cpu_count()={os.cpu_count()}, usable={affinity}; scan workers={workers}",
        f"python       : {platform.python_version()} ({sys.executable})",
        f"Pillow       : {PIL.__version__}; JPEG library {features.version('jpg')}; "
        f"libjpeg-turbo: {'yes' if turbo else 'NO (draft/decoding will be slower)'}",
        f"numpy        : {np.__version__}; pdqhash {dist_version('pdqhash')}",
        f"floor tools  : {_first_line(['sha256sum', '--version'])}",
    ]


# -- photo sets ---------------------------------------------------------------------------------


def _synthetic(seed: int, width: int, height: int) -> Image.Image:
    """A smooth random pattern with a little grain, so JPEG sizes are roughly photo-like."""
    rng = np.random.default_rng(seed)
    coarse = rng.integers(0, 256, size=(max(2, height // 40), max(2, width // 40), 3), dtype=np.uint8)
    smooth = np.asarray(Image.fromarray(coarse).resize((width, height), Image.Resampling.BICUBIC), np.int16)
    yy, xx = np.mgrid[0:height, 0:width]
    freq = rng.uniform(0.005, 0.05, size=2)
    waves = (30 * np.sin(xx * freq[0] + yy * freq[1]))[..., None]
    grain = rng.normal(0.0, 6.0, size=smooth.shape)
    return Image.fromarray(np.clip(smooth + waves + grain, 0, 255).astype(np.uint8))


def _make_camera_jpeg(job: tuple[Path | None, int, Path]) -> None:
    """Upscale one Kodak PNG (or draw a synthetic image) to 12 MP and save it as JPEG q90."""
    source, seed, dest = job
    if source is None:
        image = _synthetic(seed, *CAMERA_SIZE)
    else:
        with Image.open(source) as im:
            rgb = im.convert("RGB")
        size = CAMERA_SIZE if rgb.width >= rgb.height else (CAMERA_SIZE[1], CAMERA_SIZE[0])
        image = rgb.resize(size, CAMERA_RESAMPLE)
    image.save(dest, "JPEG", quality=CAMERA_QUALITY)


def _make_bsds_jpeg(job: tuple[int, Path]) -> None:
    seed, dest = job
    size = BSDS_SIZE if seed % 3 else (BSDS_SIZE[1], BSDS_SIZE[0])
    _synthetic(seed, *size).save(dest, "JPEG", quality=75)


def _file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _copy_into(files: Sequence[Path], folder: Path, copies: int = 1) -> list[Path]:
    folder.mkdir(parents=True)
    made = []
    for round_no in range(copies):
        for index, src in enumerate(files):
            dest = folder / f"{round_no}-{index:04d}-{src.name}"  # train/ and val/ names stay distinct
            shutil.copyfile(src, dest)
            made.append(dest)
    return made


def prepare_bsds(data: Path, work: Path, limit: int | None, jobs: int, copies: int) -> PhotoSet:
    """BSDS500 train+val JPEGs (481x321), or synthetic JPEGs of that size."""
    root = data / "bsds500"
    sources = sorted((root / "train").glob("*.jpg")) + sorted((root / "val").glob("*.jpg"))
    synthetic = not sources
    if synthetic:
        count = min(limit or BSDS_SYNTHETIC_COUNT, BSDS_SYNTHETIC_COUNT)
        gen = work / "bsds-synthetic-src"
        gen.mkdir(parents=True)
        targets = [gen / f"synthetic-{i:04d}.jpg" for i in range(count)]
        with ProcessPoolExecutor(jobs) as pool:
            list(pool.map(_make_bsds_jpeg, enumerate(targets)))
        sources = targets
        note = f"SYNTHETIC: {root} not found; {count} smooth random-pattern JPEGs 481x321, quality 75"
    else:
        note = f"{root}/{{train,val}}/*.jpg"
    sources = sources[:limit] if limit else sources
    # Copies under other names make a device-sized folder, so per-scan start-up (worker processes,
    # libmagic and decoder initialisation) does not dominate; every copy is still hashed in full.
    files = _copy_into(sources, work / "bsds" / "photos", copies)
    return PhotoSet("bsds", "BSDS500 JPEG, web-sized 481x321", files[0].parent, files, synthetic, note)


def prepare_camera(data: Path, work: Path, limit: int | None, jobs: int, use_cache: bool) -> PhotoSet:
    """Kodak PNGs upscaled to 4032x3024 JPEG q90 (cached in bench-output/), or synthetic ones."""
    pngs = sorted((data / "kodak24").glob("*.png"))[:KODAK_COUNT]
    synthetic = not pngs
    count = min(limit or KODAK_COUNT, len(pngs) or KODAK_COUNT)
    kind = "synthetic" if synthetic else "kodak"
    # The cache always holds the whole set; without it only the files needed are made.
    made = (len(pngs) or KODAK_COUNT) if use_cache else count
    sources: list[Path | None] = list(pngs[:made]) if pngs else [None] * made
    recipe = json.dumps(
        {
            "kind": kind,
            "size": CAMERA_SIZE,
            "quality": CAMERA_QUALITY,
            "resample": CAMERA_RESAMPLE.name,
            "pillow": PIL.__version__,
            "sources": {p.name: _file_sha256(p) for p in pngs[:made]} if pngs else made,
        },
        indent=2,
        sort_keys=True,
    )
    name = f"camera-{kind}-{CAMERA_SIZE[0]}x{CAMERA_SIZE[1]}-q{CAMERA_QUALITY}"
    target = CACHE_ROOT / name if use_cache else work / name
    outputs = [target / (f"{p.stem}.jpg" if p else f"synthetic-{i:02d}.jpg") for i, p in enumerate(sources)]
    stamp = target / "recipe.json"
    cached = (
        use_cache and stamp.is_file() and stamp.read_text() == recipe and all(p.is_file() for p in outputs)
    )
    started = time.perf_counter()
    if not cached:
        target.mkdir(parents=True, exist_ok=True)
        stamp.unlink(missing_ok=True)
        jobs_list = [(s, i, o) for i, (s, o) in enumerate(zip(sources, outputs, strict=True))]
        with ProcessPoolExecutor(jobs) as pool:
            list(pool.map(_make_camera_jpeg, jobs_list))
        stamp.write_text(recipe)
    how = (
        f"reused cache {target}"
        if cached
        else f"generated in {time.perf_counter() - started:.1f} s into {target}"
    )
    if synthetic:
        note = (
            f"SYNTHETIC: {data / 'kodak24'} not found; {count} smooth random-pattern JPEGs "
            f"{CAMERA_SIZE[0]}x{CAMERA_SIZE[1]} q{CAMERA_QUALITY} ({how})"
        )
    else:
        note = (
            f"{count} Kodak PNGs upscaled to {CAMERA_SIZE[0]}x{CAMERA_SIZE[1]} "
            f"({CAMERA_RESAMPLE.name}), JPEG q{CAMERA_QUALITY}; {how}"
        )
    files = _copy_into(outputs[:count], work / "camera" / "photos")
    title = f"camera-sized JPEG {CAMERA_SIZE[0]}x{CAMERA_SIZE[1]} (12 MP) q{CAMERA_QUALITY}"
    return PhotoSet("camera", title, files[0].parent, files, synthetic, note)


# -- methods ------------------------------------------------------------------------------------


def warm_page_cache(files: Sequence[Path]) -> int:
    """Read every file once so no method pays for the first disk read."""
    total = 0
    for path in files:
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                total += len(chunk)
    return total


def run_naive(files: Sequence[Path], method: Method) -> None:
    """The issue's naive baseline: full decode and one PDQ hash per file, in this process."""
    pdq: dict[str, str | None] = {}
    quality: dict[str, int | None] = {}
    started = time.perf_counter()
    for path in files:
        with Image.open(path) as im:
            arr = np.asarray(im.convert("RGB"))
        bits, q = pdqhash.compute(arr)
        pdq[str(path)] = hex_from_bits(bits)
        quality[str(path)] = int(q)
    method.times.append(time.perf_counter() - started)
    method.pdq, method.quality = pdq, quality


def _arg_chunks(files: Sequence[Path]) -> list[list[str]]:
    chunks: list[list[str]] = [[]]
    used = 0
    for path in files:
        name = str(path)
        if chunks[-1] and used + len(name) + 1 > ARG_BUDGET:
            chunks.append([])
            used = 0
        chunks[-1].append(name)
        used += len(name) + 1
    return chunks


def run_tool(tool: str, files: Sequence[Path], method: Method) -> None:
    """sha256sum/md5sum over the files, xargs-style in batches of arguments, one process at a time."""
    chunks = _arg_chunks(files)
    outputs = []
    started = time.perf_counter()
    for chunk in chunks:
        outputs.append(subprocess.run([tool, "--", *chunk], capture_output=True, check=True).stdout)
    method.times.append(time.perf_counter() - started)
    digests = {}
    for line in b"".join(outputs).decode("utf-8", "backslashreplace").splitlines():
        digest, _, name = line.partition("  ")
        digests[name] = digest
    method.digests = digests


def _small_hash_list(first_file: Path) -> list[HashEntry]:
    """1,000 random entries per algorithm (md5, sha256, PDQ) plus the MD5 of one real file."""
    rng = random.Random(20240601)
    entries = [
        HashEntry(Algorithm.MD5, hashlib.md5(first_file.read_bytes()).hexdigest(), "bench", "one real")
    ]
    for algorithm, digits in ((Algorithm.MD5, 32), (Algorithm.SHA256, 64), (Algorithm.PDQ, 64)):
        entries += [HashEntry(algorithm, f"{rng.getrandbits(digits * 4):0{digits}x}") for _ in range(1000)]
    return entries


def run_scan(
    photos: PhotoSet, work: Path, method: Method, overrides: dict[str, int | None], run_no: str
) -> None:
    """One full heroes scan into a fresh SQLite store; only the scan() call is timed."""
    home = work / f"home-{photos.name}-{run_no}"
    settings = load_settings({"HEROES_HOME": str(home)}, None, overrides)
    store = CaseStore.open(settings)  # connect + Alembic migrations: not timed
    try:
        store.import_hash_list(
            "bench-list",
            _small_hash_list(photos.files[0]),
            role=ListRole.KNOWN_BAD,
            source="bench/hashing.py",
            actor=ACTOR,
            pdq_threshold=settings.pdq_threshold,
        )
        started = time.perf_counter()
        summary = scan(store, settings, CASE, str(photos.folder), actor=ACTOR)
        method.times.append(time.perf_counter() - started)
        items: list[Item] = store.items(store.case(CASE), ACTOR)
    finally:
        store.close()
    shutil.rmtree(home, ignore_errors=True)
    method.pdq = {os.fsdecode(i.raw_path): i.pdq for i in items}
    method.quality = {os.fsdecode(i.raw_path): i.pdq_quality for i in items}
    method.digests = {os.fsdecode(i.raw_path): i.sha256 or "" for i in items}
    method.notes = []
    if summary.files_hashed != len(photos.files) or summary.errors or summary.skipped:
        method.notes.append(
            f"{method.label}: hashed {summary.files_hashed}/{len(photos.files)} files, "
            f"{summary.errors} errors, {summary.skipped} skipped"
        )
    planted = photos.files[0].read_bytes()
    expected = sum(1 for f in photos.files if f.stat().st_size == len(planted) and f.read_bytes() == planted)
    if summary.matches != expected:
        method.notes.append(
            f"{method.label}: {summary.matches} matches, expected {expected} (the planted MD5 and its copies)"
        )


# -- report -------------------------------------------------------------------------------------


def _distances(a: Method, b: Method, files: Sequence[Path]) -> list[int] | None:
    """PDQ Hamming distance per file between two methods' hashes (None when any is missing)."""
    out = []
    for path in files:
        x, y = a.pdq.get(str(path)), b.pdq.get(str(path))
        if x is None or y is None:
            return None
        out.append(hamming(x, y))
    return out


def _draft_sizes(files: Sequence[Path], draft: int) -> str:
    """What JPEG draft mode actually decodes, e.g. '24 x 4032x3024 -> 1008x756 (1/4)'."""
    seen: Counter[str] = Counter()
    for path in files:
        with Image.open(path) as im:
            before = im.size
            if draft > 0 and im.format == "JPEG":
                im.draft("RGB", (draft, draft))
            after = im.size
        scale = f"1/{before[0] // after[0]}" if after != before else "no reduction"
        seen[f"{before[0]}x{before[1]} -> {after[0]}x{after[1]} ({scale})"] += 1
    return "; ".join(f"{n} x {text}" for text, n in seen.most_common())


def report(
    photos: PhotoSet, methods: list[Method], workers: int, repeat: int, warmed: int, setup: str
) -> bool:
    """Print the table and checks of one set; returns True when the 3x target is met."""
    naive, sha = methods[0], methods[1]
    ours, full, single = methods[3], methods[4], methods[5]
    count, size = len(photos.files), photos.size
    print()
    print(f"== {photos.title}: {count} files, {size / 1e6:.1f} MB ({size / count / 1e6:.2f} MB/file) ==")
    print(f"   source: {photos.note}")
    print(f"   folder: {photos.folder}")
    print(f"   page cache warmed: every file read once ({warmed / 1e6:.1f} MB) before any timing")
    best = "best of " + str(repeat) if repeat > 1 else "1 run"
    print(f"   warm-up: one untimed default scan of the whole set and a naive pass over {WARMUP_FILES} files")
    print(f"   {setup}")
    print(f"   times: wall clock, {best}; MB = 10^6 bytes; 'x naive' and 'x sha256sum' are speed-ups")
    print()
    header = f"   {'method':<48} {'seconds':>8} {'files/s':>9} {'MB/s':>8} {'x naive':>8} {'x sha256sum':>12}"
    print(header)
    print("   " + "-" * (len(header) - 3))
    for m in methods:
        t = m.best
        print(
            f"   {m.label:<48} {t:>8.3f} {count / t:>9.1f} {size / 1e6 / t:>8.1f} "
            f"{naive.best / t:>7.2f}x {sha.best / t:>11.2f}x"
        )
    print()

    speedup = naive.best / ours.best
    verdict = "PASS" if speedup >= TARGET else "FAIL"
    setup = f"{workers} workers, draft {DEFAULT_DRAFT}"
    print(f"   target >= {TARGET:.1f}x naive: {verdict} ({speedup:.2f}x; scan with {setup})")
    print(f"   parallel gain: {single.best / ours.best:.2f}x ({workers} workers vs 1 worker, same draft)")
    print(f"   draft gain: {full.best / ours.best:.2f}x (scan with pdq_draft_size={DEFAULT_DRAFT} vs =0)")
    print(f"   draft decode: {_draft_sizes(photos.files, DEFAULT_DRAFT)}")

    ok = True
    drift = _distances(ours, full, photos.files)
    if drift is None:
        print("   draft vs full-decode PDQ: some files have no PDQ hash; cannot compare")
        ok = False
    else:
        over = sum(1 for d in drift if d > PDQ_TOLERANCE)
        state = "within tolerance" if not over else f"OVER TOLERANCE in {over} files"
        print(
            f"   draft vs full-decode PDQ distance over {len(drift)} files: max {max(drift)}, "
            f"mean {statistics.fmean(drift):.2f}, median {statistics.median(drift):g} bits; "
            f"tolerance {PDQ_TOLERANCE} bits: {state}"
        )
    qualities = [q for q in ours.quality.values() if q is not None]
    full_q = [q for q in full.quality.values() if q is not None]
    if qualities and full_q:
        print(
            f"   PDQ quality (draft / full): min {min(qualities)} / {min(full_q)}, "
            f"mean {statistics.fmean(qualities):.1f} / {statistics.fmean(full_q):.1f} "
            f"(tolerance applies to quality >= 80)"
        )
    sanity = _distances(naive, full, photos.files)
    if sanity is not None:
        print(
            f"   sanity: naive vs scan (draft off) PDQ distance max {max(sanity)} bits "
            "(same decoder and pdqhash, expected 0)"
        )
    mismatched = sum(1 for p in photos.files if sha.digests.get(str(p)) != ours.digests.get(str(p)))
    print(f"   sanity: scan sha256 equals sha256sum for {count - mismatched}/{count} files")
    for m in methods:
        for note in m.notes:
            print(f"   WARNING: {note}")
            ok = False
    if mismatched or (sanity is not None and max(sanity) != 0):
        ok = False
    return ok


# -- main ---------------------------------------------------------------------------------------


def bench_set(photos: PhotoSet, work: Path, args: argparse.Namespace, workers: int) -> bool:
    """Time every method on one set, interleaved per repeat, then print its report."""
    common: dict[str, int | None] = {"workers": args.workers, "batch_size": args.batch_size}
    batch = args.batch_size or Settings().batch_size
    batches = -(-len(photos.files) // batch)
    warmed = warm_page_cache(photos.files)
    naive, sha, md5 = Method(NAIVE), Method(SHA256SUM), Method(MD5SUM)
    ours = Method(f"heroes scan, draft {DEFAULT_DRAFT}, {workers} workers")
    full = Method(f"heroes scan, draft off, {workers} workers")
    single = Method(f"heroes scan, draft {DEFAULT_DRAFT}, 1 worker")
    # Untimed warm-up: the first scan in a process pays one-off costs (lazy imports, SQLAlchemy
    # statement compilation, first fork) that a long scan would amortise.
    run_naive(photos.files[:WARMUP_FILES], Method("warm-up"))
    run_scan(photos, work, Method("warm-up"), {**common, "pdq_draft_size": DEFAULT_DRAFT}, "warm-up")
    for round_no in range(args.repeat):
        run_naive(photos.files, naive)
        run_tool("sha256sum", photos.files, sha)
        run_tool("md5sum", photos.files, md5)
        run_scan(photos, work, ours, {**common, "pdq_draft_size": DEFAULT_DRAFT}, f"{round_no}-default")
        run_scan(photos, work, full, {**common, "pdq_draft_size": 0}, f"{round_no}-full")
        run_scan(
            photos, work, single, {**common, "pdq_draft_size": DEFAULT_DRAFT, "workers": 1}, f"{round_no}-1"
        )
    setup = (
        f"scan: batch_size={batch} files per commit ({batches} batch(es) for {len(photos.files)} files), "
        "pool tasks of 4 files"
    )
    methods = [naive, sha, md5, ours, full, single]
    return report(photos, methods, workers, args.repeat, warmed, setup)


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--set", choices=("bsds", "camera", "all"), default="all", help="photo set (default all)"
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs per method; the best time counts (default 1)"
    )
    parser.add_argument("--limit", type=int, default=None, help="at most this many files per set")
    parser.add_argument("--workers", type=int, default=None, help="scan workers (default: one per core)")
    parser.add_argument(
        "--batch-size", type=int, default=None, help="scan batch_size (default: the library default)"
    )
    parser.add_argument(
        "--data", type=Path, default=DEFAULT_DATA, help=f"photo data folder (default {DEFAULT_DATA})"
    )
    parser.add_argument(
        "--no-cache", action="store_true", help="regenerate the camera set instead of bench-output/"
    )
    parser.add_argument(
        "--copies", type=int, default=4, help="copies of each BSDS photo in the scanned folder (default 4)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder under /tmp")
    args = parser.parse_args(argv)
    if (
        args.repeat < 1
        or (args.limit is not None and args.limit < 1)
        or (args.workers is not None and args.workers < 1)
        or (args.batch_size is not None and args.batch_size < 1)
    ):
        parser.error("--repeat, --limit, --workers and --batch-size must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print the report."""
    args = _parse(argv)
    workers = args.workers or os.cpu_count() or 1
    jobs = os.cpu_count() or 1
    print("heroes hashing benchmark: full folder scan vs naive Pillow+pdqhash vs sha256sum/md5sum")
    for line in machine_info(workers):
        print(line)
    data: Path = args.data
    if not data.is_dir():
        print(f"NOTE: {data} is absent: SYNTHETIC JPEGs are generated instead of real photos")

    work = Path(tempfile.mkdtemp(prefix="heroes-bench-", dir="/tmp")).resolve()
    all_ok = True
    try:
        wanted = ("bsds", "camera") if args.set == "all" else (args.set,)
        for name in wanted:
            if name == "bsds":
                photos = prepare_bsds(data, work, args.limit, jobs, args.copies)
            else:
                photos = prepare_camera(data, work, args.limit, jobs, not args.no_cache)
            all_ok = bench_set(photos, work, args, workers) and all_ok
    finally:
        if args.keep:
            print(f"\nkept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
