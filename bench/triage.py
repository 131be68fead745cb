"""Benchmark a full triage of a generated device, as a folder and as an E01, against hashdeep.

Why: the issue asks whether ``heroes scan`` can triage a seized device as fast as the tools an
examiner already runs, while doing much more per file. So this script times, in one run, on the
same files and the same machine:

* ``hashdeep -r -c md5,sha256 -j N`` over the folder (Debian's hashdeep 4.4; it computes both
  digests in its own code, without the CPU's SHA instructions);
* the floor: MD5 + SHA-256 of every file with hashlib (OpenSSL), one read per file feeding both
  digests, in a ``multiprocessing`` pool of N processes, largest files first. No real tool can
  read and hash the same bytes much faster than this;
* ``heroes.triage.scan`` of the folder into a fresh store, the full triage as shipped: MD5, SHA-1,
  SHA-256, libmagic, PDQ with its 8 dihedral variants, EXIF, archive members, store writes,
  matching against a small hash list, the audit trail and the context ranking;
* the same scan of an E01 of the same files (an ext4 file system made with ``mke2fs -d`` and
  acquired with ``ewfacquire -c fast``), reported on its own: reading EWF and walking the file
  system inside it cost extra, and each worker process opens its own EWF handle.

Targets (folder): the scan is faster than hashdeep, and reaches at least 50 % of the floor's MB/s.

The device: a generated, seeded tree of at least 20,000 files shaped like a phone dump
(``--files``): 12 MP camera JPEGs with EXIF (some with GPS) in ``DCIM/Camera``, thousands of
thumbnails, WhatsApp/Telegram photos, web-sized photos, PNG screenshots, text documents (txt, csv,
html, json, xml), docx/xlsx, hand-built PDFs (some with a photo), zip and tar.gz archives with a
few members, SQLite app databases, and junk (random bytes, a few KB to tens of MB, so that bytes
are dominated by big files as on real devices; ``--scale`` multiplies junk sizes). Photos are
crops of ``../shared/data/photos`` (Kodak and BSDS500) when present, else synthetic patterns. The
tree, its manifest and the images are cached in ``bench-output/`` (generation takes a few
minutes on 2 cores; the E01 about one more).

How it is timed: every file (and the E01 segments) is read once first, so the page cache is warm
and the timings measure CPU, not the disk. Each method then runs once untimed (imports, fork
server, numba) unless ``--no-warmup``; then the scans run ``--repeat`` times and the two baselines
(a few seconds each) at least 3 times, interleaved, and the best time counts. Only the ``scan()``
call is timed (opening and migrating the store and importing the hash list are not). files/s and
MB/s always use the device's regular files and their bytes, for every method, so the rows
compare; the archive members the scan hashes on top are reported, not counted.

``--profile`` adds where the time goes. Per kind of file: the single-core cost of the worker
function ``heroes.triage.run.hash_paths`` against hashlib MD5+SHA-256 of the same files, split
into stages by wrapping every registered hasher plug-in (so a plug-in added to the scan, such as
text extraction or app-database parsing, shows up as a column of its own), libmagic, PDQ's decode
and the path context (owner app, extension mismatch). Then the coordinator process during a folder
scan (store writes, matching, ranking: work that shares the cores with the workers), and for the
E01 the costs only an image has: counting, acquisition hashes (against ``ewfverify``), and the
file-system walk each worker repeats.

Usage::

    .venv/bin/python bench/triage.py [--files 20000] [--scale 1.0] [--quick] [--repeat N]
        [--workers N] [--no-e01] [--raw] [--profile] [--profile-files N] [--no-warmup]
        [--data DIR] [--regenerate] [--keep]

Needs ``hashdeep`` (Debian package hashdeep) for the baseline and ``mke2fs`` (e2fsprogs) plus
``ewfacquire``/``ewfverify`` (ewf-tools) for the E01; rows whose tool is missing are skipped with a
note. The default device takes about 6.2 GB under ``bench-output/`` (tree 2.2 GB, sparse raw ext4
image of 2.8 GB, E01 2.1 GB); 24 GB of RAM keeps all of it in the page cache. On a 2-core machine
a default run takes about 15 minutes once the cache exists (the E01 scans are most of it),
``--repeat 2 --raw --profile`` about 35, ``--quick`` about 2.

This is a benchmark, not a test: it prints a report and exits 0 whether the targets are met or
not; it exits 1 only when a sanity check fails (a scan error, a digest that differs between
methods, a file the scan did not record, or a planted hash that was not matched).
"""

from __future__ import annotations

import argparse
import cProfile
import gzip
import hashlib
import io
import json
import math
import multiprocessing
import os
import platform
import pstats
import random
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
import zlib
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version as dist_version
from pathlib import Path
from typing import Any

import numpy as np
import PIL
from PIL import Image, ImageDraw, features

from heroes.config import Settings, load_settings
from heroes.evidence import Algorithm, HashEntry, ListRole
from heroes.hashing import Content, Hasher, HashSession, hash_image, reader
from heroes.hashing import pdq as pdq_module
from heroes.plugins import hashers
from heroes.store import CaseStore
from heroes.triage import run as scan_run
from heroes.triage import scan
from heroes.triage.image import ImageSource, acquisition_hashes
from heroes.triage.run import count_files, hash_paths

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data" / "photos"
CACHE_ROOT = REPO / "bench-output"

GENERATOR_VERSION = 1  # bump when the tree recipe changes, so caches are rebuilt
SEED = 20240917
DEFAULT_FILES = 20_000
QUICK_FILES = 2_000
QUICK_SCALE = 0.1
EPOCH_START = datetime(2022, 1, 1, tzinfo=UTC).timestamp()
EPOCH_SPAN = 2 * 365 * 86400
ZIP_TIME = (2023, 6, 1, 12, 0, 0)
FS_UUID = "5eed7a11-0000-4000-8000-000000020000"
ACTOR = "bench"
CASE = "bench"
FLOOR_TARGET = 0.5
BASELINE_RUNS = 3


# -- the device tree --------------------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    """One kind of file on the generated device."""

    name: str
    group: str
    share: float
    """Fraction of --files; text documents take what the others leave."""
    what: str


KINDS: tuple[Kind, ...] = (
    Kind("camera", "photo", 0.008, "12 MP camera JPEG q88-95, EXIF (30 % with GPS)"),
    Kind("chat-photo", "photo", 0.12, "WhatsApp/Telegram JPEG 1024-1600 px q70-82"),
    Kind("web-photo", "photo", 0.05, "web/social JPEG 481-1080 px q75-85"),
    Kind("thumbnail", "photo", 0.20, "thumbnail JPEG 96-320 px q60-75"),
    Kind("screenshot", "photo", 0.015, "PNG screenshot 720x1560"),
    Kind("text", "document", 0.0, "txt, csv, html, json, xml, 0.5-64 KB"),
    Kind("office", "document", 0.01, "docx (30 % with a photo) and xlsx"),
    Kind("pdf", "document", 0.008, "hand-built PDF, 1-12 pages, 40 % with a photo"),
    Kind("archive", "archive", 0.02, "zip (3/4) and tar.gz with 3-12 members"),
    Kind("app-db", "app data", 0.002, "SQLite app database, 40 KB-6 MB"),
    Kind("junk-small", "junk", 0.195, "random bytes, 2-512 KB (x scale)"),
    Kind("junk-big", "junk", 0.0015, "random bytes, 4-64 MB (x scale)"),
)
KIND_NAMES = tuple(k.name for k in KINDS)

_WORD_TEXT = (
    "account address after again agenda answer apple april area autumn basket beach bicycle "
    "birthday blue board bread bridge budget cable calendar camera candle carpet castle chair "
    "chapter cheese city class cloud coffee colour concert corner cotton country course dinner "
    "doctor document door dream driver engine evening example family farmer festival field "
    "finance flower football forest garden glass green guitar harbour holiday hotel idea invoice "
    "island jacket journey kitchen ladder lake lemon letter library light lunch market meeting "
    "message minute monday morning mountain museum music notes number office orange paper parcel "
    "party pencil picture planet plate pocket project quarter railway receipt report river "
    "rocket salad school season shelf shoulder silver sister spring station summer sunday table "
    "teacher ticket timber tomato train travel tuesday umbrella valley village violin wallet "
    "weather window winter yellow"
)
WORDS = tuple(_WORD_TEXT.split())
PACKAGES = (
    "com.example.browser",
    "com.example.maps",
    "com.example.game",
    "com.example.music",
    "com.example.news",
    "com.whatsapp",
    "org.telegram.messenger",
)
DATABASES = (
    ("com.whatsapp", "msgstore.db"),
    ("com.whatsapp", "wa.db"),
    ("com.android.providers.contacts", "contacts2.db"),
    ("com.android.providers.telephony", "mmssms.db"),
    ("com.example.browser", "History"),
    ("org.telegram.messenger", "cache4.db"),
    ("com.example.maps", "gmm_storage.db"),
    ("com.example.music", "library.db"),
)
TOPICS = ("school", "work", "travel", "receipts", "recipes", "club", "taxes", "notes", "house", "car")


@dataclass(frozen=True)
class Spec:
    """One file to generate: where, what kind, its own seed and its modification time."""

    rel: str
    kind: str
    seed: int
    mtime: float


@dataclass
class Tree:
    """The generated device folder, with the kind of each file."""

    root: Path
    kinds: dict[str, str]
    """Relative path -> kind."""
    sizes: dict[str, int]
    note: str
    home: Path
    """The cache folder of this tree (images go under it)."""

    @property
    def size(self) -> int:
        """Total bytes."""
        return sum(self.sizes.values())

    def paths(self) -> list[Path]:
        """Every file, in a stable order."""
        return [self.root / rel for rel in sorted(self.kinds)]


def _counts(files: int) -> dict[str, int]:
    counts = {k.name: max(1, round(files * k.share)) if k.share else 0 for k in KINDS}
    counts["text"] = max(1, files - sum(counts.values()))
    return counts


def _stamp(rng: random.Random) -> float:
    return EPOCH_START + rng.uniform(0, EPOCH_SPAN)


def _day(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y%m%d")


def _rel_path(kind: str, i: int, rng: random.Random, t: float) -> str:
    """A phone-like path for the i-th file of a kind (names unique by construction)."""
    moment = datetime.fromtimestamp(t, UTC)
    if kind == "camera":
        return f"DCIM/Camera/IMG_{moment:%Y%m%d_%H%M%S}_{i:04d}.jpg"
    if kind == "chat-photo":
        roll = rng.random()
        if roll < 0.65:
            return f"WhatsApp/Media/WhatsApp Images/IMG-{_day(t)}-WA{i:04d}.jpg"
        if roll < 0.85:
            return f"WhatsApp/Media/WhatsApp Images/Sent/IMG-{_day(t)}-WA{i:04d}.jpg"
        return f"Telegram/Telegram Images/{i}_{rng.getrandbits(40):x}.jpg"
    if kind == "web-photo":
        folder = rng.choice(("Pictures/Instagram", "Download", "Pictures/Saved", "Bluetooth"))
        return f"{folder}/image_{i:05d}.jpg"
    if kind == "thumbnail":
        return f"DCIM/.thumbnails/{1_640_000_000_000 + i * 7919}.jpg"
    if kind == "screenshot":
        return f"Pictures/Screenshots/Screenshot_{moment:%Y%m%d-%H%M%S}_{i:03d}.png"
    if kind == "text":
        ext = rng.choices(("txt", "csv", "html", "json", "xml"), (35, 15, 25, 15, 10))[0]
        if ext == "html":
            return f"Android/data/com.example.browser/cache/http/{i // 200:03d}/page_{i:05d}.html"
        if ext in ("json", "xml"):
            return f"Android/data/{rng.choice(PACKAGES)}/files/state_{i:05d}.{ext}"
        return f"Documents/{TOPICS[i % len(TOPICS)]}/{moment:%Y}/{rng.choice(WORDS)}_{i:05d}.{ext}"
    if kind == "office":
        ext = "docx" if rng.random() < 0.7 else "xlsx"
        folder = rng.choice(("Documents/work", "Download", "WhatsApp/Media/WhatsApp Documents"))
        return f"{folder}/{rng.choice(WORDS)}_{rng.choice(WORDS)}_{i:04d}.{ext}"
    if kind == "pdf":
        folder = rng.choice(("Download", "Documents/receipts", "WhatsApp/Media/WhatsApp Documents"))
        return f"{folder}/{rng.choice(WORDS)}-{i:04d}.pdf"
    if kind == "archive":
        ext = "zip" if rng.random() < 0.75 else "tar.gz"
        folder = rng.choice(("Download", "Documents/backup", "WhatsApp/Media/WhatsApp Documents"))
        return f"{folder}/{rng.choice(WORDS)}_{i:04d}.{ext}"
    if kind == "app-db":
        package, name = DATABASES[i % len(DATABASES)]
        copy = "" if i < len(DATABASES) else f"-{i // len(DATABASES)}"
        return f"data/data/{package}/databases/{name}{copy}"
    if kind == "junk-small":
        ext = rng.choice(("", ".0", ".tmp", ".bin", ".dat", ".cache"))
        return f"Android/data/{rng.choice(PACKAGES)}/cache/{i % 97:02x}/{rng.getrandbits(64):016x}{ext}"
    if kind == "junk-big":
        roll = rng.random()
        if roll < 0.4:
            return f"Android/obb/com.example.game/main.{i}.com.example.game.obb"
        if roll < 0.7:
            return f"Movies/.cache/blob-{i:03d}.bin"
        return f"backup/{rng.choice(WORDS)}-{i:03d}.img"
    raise ValueError(kind)


def plan(files: int, seed: int) -> list[Spec]:
    """Every file of the tree, decided in one seeded pass (the same arguments give the same tree)."""
    rng = random.Random(seed)
    specs: list[Spec] = []
    for kind, count in _counts(files).items():
        for i in range(count):
            t = _stamp(rng)
            specs.append(Spec(_rel_path(kind, i, rng, t), kind, rng.getrandbits(63), t))
    return specs


# -- content makers (run in worker processes) ---------------------------------------------------

_sources: list[Image.Image] = []
_data_dir: Path = DEFAULT_DATA
_scale = 1.0


def _init_maker(data_dir: Path, scale: float) -> None:
    global _data_dir, _scale
    _data_dir, _scale = data_dir, scale


def _source_files(data_dir: Path) -> list[Path]:
    kodak = sorted((data_dir / "kodak24").glob("*.png"))
    bsds = sorted((data_dir / "bsds500").rglob("*.jpg"))
    return kodak + bsds


def _synthetic(seed: int, width: int, height: int) -> Image.Image:
    """A smooth random pattern with a little grain (when the shared photos are absent)."""
    rng = np.random.default_rng(seed)
    coarse = rng.integers(0, 256, size=(max(2, height // 40), max(2, width // 40), 3), dtype=np.uint8)
    smooth = np.asarray(Image.fromarray(coarse).resize((width, height), Image.Resampling.BICUBIC), np.int16)
    grain = rng.integers(-6, 7, size=smooth.shape[:2], dtype=np.int16)[..., None]
    return Image.fromarray(np.clip(smooth + grain, 0, 255).astype(np.uint8))


def _source_images() -> list[Image.Image]:
    if not _sources:
        files = _source_files(_data_dir)
        if files:
            for path in files:
                with Image.open(path) as im:
                    _sources.append(im.convert("RGB"))
        else:
            _sources.extend(_synthetic(n, 768, 512) for n in range(24))
    return _sources


def _photo(rng: random.Random, width: int, height: int, noise: int = 0) -> Image.Image:
    """A random crop of a source photo, maybe mirrored, resized to width x height."""
    sources = _source_images()
    src = sources[rng.randrange(len(sources))]
    aspect = width / height
    sw, sh = src.size
    cw = min(sw, int(sh * aspect))
    ch = int(cw / aspect)
    scale = rng.uniform(0.55, 1.0)
    cw, ch = max(8, int(cw * scale)), max(8, int(ch * scale))
    x, y = rng.randrange(sw - cw + 1), rng.randrange(sh - ch + 1)
    image = src.crop((x, y, x + cw, y + ch))
    if rng.random() < 0.5:
        image = image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    image = image.resize((width, height), Image.Resampling.BICUBIC)
    if noise:  # sensor grain: upscaled crops are too smooth to give camera-sized JPEGs
        arr = np.asarray(image, np.int16)
        grain = np.random.default_rng(rng.getrandbits(63)).integers(
            -noise, noise + 1, size=arr.shape[:2], dtype=np.int16
        )
        image = Image.fromarray(np.clip(arr + grain[..., None], 0, 255).astype(np.uint8))
    return image


def _jpeg(image: Image.Image, quality: int, exif: Image.Exif | None = None) -> bytes:
    out = io.BytesIO()
    if exif is None:
        image.save(out, "JPEG", quality=quality)
    else:
        image.save(out, "JPEG", quality=quality, exif=exif)
    return out.getvalue()


def _size(rng: random.Random, low: float, high: float) -> int:
    """Log-uniform between low and high bytes."""
    return int(math.exp(rng.uniform(math.log(low), math.log(high))))


def _words(rng: random.Random, count: int) -> str:
    return " ".join(rng.choices(WORDS, k=count))


def _sentences(rng: random.Random, size: int) -> str:
    """About size bytes of sentences."""
    parts, total = [], 0
    while total < size:
        sentence = _words(rng, rng.randint(5, 18)).capitalize() + "."
        parts.append(sentence)
        total += len(sentence) + 1
    return " ".join(parts)


def make_camera(rng: random.Random, spec: Spec) -> bytes:
    """A 12 MP phone photo with EXIF: make, model, capture time, sometimes GPS."""
    size = (4032, 3024) if rng.random() < 0.7 else (3024, 4032)
    image = _photo(rng, *size, noise=rng.randint(4, 8))
    exif = Image.Exif()
    exif[0x010F] = "BenchPhone"
    exif[0x0110] = rng.choice(("BP-12", "BP-12 Pro", "BP-13"))
    stamp = datetime.fromtimestamp(spec.mtime, UTC).strftime("%Y:%m:%d %H:%M:%S")
    exif[0x0132] = stamp
    exif.get_ifd(0x8769)[0x9003] = stamp
    if rng.random() < 0.3:
        lat, lon = rng.uniform(35, 60), rng.uniform(-10, 30)
        exif.get_ifd(0x8825).update(
            {
                1: "N",
                2: (float(int(lat)), float(int(lat * 60 % 60)), round(lat * 3600 % 60, 2)),
                3: "E" if lon >= 0 else "W",
                4: (float(int(abs(lon))), float(int(abs(lon) * 60 % 60)), round(abs(lon) * 3600 % 60, 2)),
            }
        )
    return _jpeg(image, rng.choice((88, 90, 92, 95)), exif)


def make_chat_photo(rng: random.Random, spec: Spec) -> bytes:
    """A messenger photo: recompressed, no EXIF."""
    w, h = rng.choice(((1600, 1200), (1280, 960), (1600, 900), (1024, 768), (1200, 1600), (960, 1280)))
    return _jpeg(_photo(rng, w, h), rng.randint(70, 82))


def make_web_photo(rng: random.Random, spec: Spec) -> bytes:
    """A web or social-media image."""
    w, h = rng.choice(((481, 321), (321, 481), (1080, 1080), (640, 640), (750, 1000), (1080, 720)))
    return _jpeg(_photo(rng, w, h), rng.randint(75, 85))


def make_thumbnail(rng: random.Random, spec: Spec) -> bytes:
    """A gallery thumbnail."""
    w = rng.randint(96, 320)
    return _jpeg(_photo(rng, w, max(64, int(w * rng.choice((0.75, 1.0, 1.33))))), rng.randint(60, 75))


def make_screenshot(rng: random.Random, spec: Spec) -> bytes:
    """A phone screenshot: flat UI bars, a photo, a few lines of text."""
    image = Image.new("RGB", (720, 1560), tuple(rng.randrange(200, 256) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 720, 64), fill=tuple(rng.randrange(0, 120) for _ in range(3)))
    draw.rectangle((0, 1460, 720, 1560), fill=(30, 30, 30))
    image.paste(_photo(rng, 720, 540), (0, 200 + rng.randrange(200)))
    for line in range(rng.randint(5, 25)):
        draw.text((24, 820 + line * 24), _words(rng, rng.randint(3, 9)), fill=(20, 20, 20))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def make_text(rng: random.Random, spec: Spec) -> bytes:
    """A text file whose format follows the extension."""
    size = _size(rng, 500, 64_000)
    ext = spec.rel.rsplit(".", 1)[-1]
    if ext == "csv":
        rows = ["date,item,amount,place,note"]
        while sum(len(r) for r in rows) < size:
            day = datetime.fromtimestamp(_stamp(rng), UTC).date().isoformat()
            rows.append(
                f"{day},{rng.choice(WORDS)},{rng.uniform(1, 500):.2f},{rng.choice(WORDS)},{_words(rng, 3)}"
            )
        return ("\n".join(rows) + "\n").encode()
    if ext == "html":
        title = _words(rng, 4).title()
        paragraphs, total = [], 0
        while total < size:
            text = _sentences(rng, rng.randint(200, 1200))
            link = f'<a href="https://example.org/{rng.choice(WORDS)}/{rng.randrange(10**6)}">{rng.choice(WORDS)}</a>'
            paragraphs.append(f"<p>{text} {link}</p>")
            total += len(paragraphs[-1])
        body = "\n".join(paragraphs)
        return (
            f"<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>{title}</title></head>\n"
            f"<body><h1>{title}</h1>\n{body}\n</body></html>\n"
        ).encode()
    if ext == "json":
        records: list[str] = []
        while sum(len(r) for r in records) < size:
            records.append(
                json.dumps(
                    {
                        "id": rng.randrange(10**9),
                        "name": _words(rng, 2),
                        "value": rng.random(),
                        "tags": rng.sample(WORDS, 3),
                        "updated": int(_stamp(rng)),
                    }
                )
            )
        return ("[\n" + ",\n".join(records) + "\n]\n").encode()
    if ext == "xml":
        entries: list[str] = []
        while sum(len(e) for e in entries) < size:
            entries.append(
                f'  <entry key="{rng.choice(WORDS)}_{rng.randrange(10**4)}">{_words(rng, 6)}</entry>'
            )
        return (
            '<?xml version="1.0" encoding="utf-8"?>\n<map>\n' + "\n".join(entries) + "\n</map>\n"
        ).encode()
    lines, total = [], 0
    while total < size:
        lines.append(_sentences(rng, rng.randint(60, 600)))
        total += len(lines[-1]) + 1
    return ("\n\n".join(lines) + "\n").encode()


def _fixed_zip(data: bytes) -> bytes:
    """The same zip with fixed member times, so office files are byte-for-byte reproducible."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(zipfile.ZipInfo(info.filename, ZIP_TIME), src.read(info), zipfile.ZIP_DEFLATED)
    return out.getvalue()


def make_office(rng: random.Random, spec: Spec) -> bytes:
    """A Word document (maybe with a photo) or an Excel workbook."""
    fixed = datetime(2023, 6, 1, 12, 0, 0)
    out = io.BytesIO()
    if spec.rel.endswith(".docx"):
        import docx

        document = docx.Document()
        document.core_properties.created = document.core_properties.modified = fixed
        document.core_properties.author = "bench"
        document.add_heading(_words(rng, 4).title(), 1)
        for _ in range(rng.randint(3, 40)):
            document.add_paragraph(_sentences(rng, rng.randint(100, 900)))
        if rng.random() < 0.3:
            document.add_picture(io.BytesIO(_jpeg(_photo(rng, 1024, 768), 80)), width=docx.shared.Inches(5))
        document.save(out)
    else:
        import openpyxl

        book = openpyxl.Workbook()
        book.properties.created = book.properties.modified = fixed
        book.properties.creator = "bench"
        sheet = book.active
        sheet.append(["date", "item", "amount", "place", "note", "count"])
        for _ in range(rng.randint(20, 2000)):
            day = datetime.fromtimestamp(_stamp(rng), UTC).date().isoformat()
            sheet.append([day, rng.choice(WORDS), round(rng.uniform(1, 500), 2), rng.choice(WORDS),
                          _words(rng, 3), rng.randrange(100)])  # fmt: skip
        book.save(out)
    return _fixed_zip(out.getvalue())


def make_pdf(rng: random.Random, spec: Spec) -> bytes:
    """A small valid PDF: Helvetica text pages with Flate streams, sometimes a JPEG photo on page 1."""
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    def stream(extra: bytes, data: bytes) -> bytes:
        return b"<< " + extra + b" /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"

    catalog = add(b"")  # filled in once the page tree exists
    pages = add(b"")
    font = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    photo = None
    if rng.random() < 0.4:
        w, h = rng.choice(((800, 600), (1200, 900), (600, 800)))
        jpeg = _jpeg(_photo(rng, w, h), 80)
        photo = add(
            stream(
                b"/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceRGB "
                b"/BitsPerComponent 8 /Filter /DCTDecode" % (w, h),
                jpeg,
            )
        )
    kids = []
    for page_no in range(rng.randint(1, 12)):
        lines = [_words(rng, rng.randint(6, 12)) for _ in range(rng.randint(10, 45))]
        text = b"BT /F1 11 Tf 14 TL 56 780 Td " + b" ".join(b"(%s) '" % s.encode() for s in lines) + b" ET"
        if photo is not None and page_no == 0:
            text = b"q 400 0 0 300 100 80 cm /Im1 Do Q " + text
        content = add(stream(b"/Filter /FlateDecode", zlib.compress(text)))
        resources = b"/Font << /F1 %d 0 R >>" % font
        if photo is not None:
            resources += b" /XObject << /Im1 %d 0 R >>" % photo
        kids.append(
            add(
                b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] "
                b"/Resources << %s >> /Contents %d 0 R >>" % (pages, resources, content)
            )
        )
    objects[catalog - 1] = b"<< /Type /Catalog /Pages %d 0 R >>" % pages
    objects[pages - 1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % k for k in kids),
        len(kids),
    )
    info = add(b"<< /Producer (heroes bench) /Title (%s) >>" % _words(rng, 3).encode())
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        catalog,
        info,
        xref,
    )
    return bytes(out)


def _members(rng: random.Random) -> list[tuple[str, bytes]]:
    members = []
    for n in range(rng.randint(3, 12)):
        roll = rng.random()
        if roll < 0.4:
            name, data = f"photos/IMG_{n:03d}.jpg", make_web_photo(rng, Spec("x.jpg", "web-photo", 0, 0))
        elif roll < 0.55:
            name, data = f"thumbs/{n:03d}.jpg", make_thumbnail(rng, Spec("x.jpg", "thumbnail", 0, 0))
        else:
            ext = rng.choice(("txt", "csv", "html", "json"))
            name, data = f"{rng.choice(WORDS)}_{n:03d}.{ext}", make_text(rng, Spec(f"x.{ext}", "text", 0, 0))
        members.append((name, data))
    return members


def make_archive(rng: random.Random, spec: Spec) -> bytes:
    """A zip or tar.gz of a few photos and text files."""
    members = _members(rng)
    out = io.BytesIO()
    if spec.rel.endswith(".zip"):
        with zipfile.ZipFile(out, "w") as archive:
            for name, data in members:
                method = zipfile.ZIP_STORED if name.endswith(".jpg") else zipfile.ZIP_DEFLATED
                archive.writestr(zipfile.ZipInfo(name, ZIP_TIME), data, method)
    else:
        with (
            gzip.GzipFile(fileobj=out, mode="wb", mtime=0) as packed,
            tarfile.open(fileobj=packed, mode="w", format=tarfile.PAX_FORMAT) as archive,
        ):
            for name, data in members:
                info = tarfile.TarInfo(name)
                info.size, info.mtime, info.mode = len(data), int(spec.mtime), 0o644
                archive.addfile(info, io.BytesIO(data))
    return out.getvalue()


def make_app_db(rng: random.Random, spec: Spec, dest: Path) -> None:
    """A SQLite database with messages and contacts tables (written in place: SQLite needs a file)."""
    target = _size(rng, 40_000, 6_000_000)
    connection = sqlite3.connect(dest)
    try:
        connection.execute("PRAGMA journal_mode = OFF")
        connection.execute(
            "CREATE TABLE messages (_id INTEGER PRIMARY KEY, chat_id INTEGER, from_me INTEGER, "
            "timestamp INTEGER, text TEXT)"
        )
        connection.execute("CREATE TABLE contacts (_id INTEGER PRIMARY KEY, name TEXT, number TEXT)")
        connection.executemany(
            "INSERT INTO contacts (name, number) VALUES (?, ?)",
            [(_words(rng, 2).title(), f"+00 {rng.randrange(10**9):09d}") for _ in range(rng.randint(5, 300))],
        )
        rows = max(10, target // 90)
        connection.executemany(
            "INSERT INTO messages (chat_id, from_me, timestamp, text) VALUES (?, ?, ?, ?)",
            [
                (
                    rng.randrange(50),
                    rng.randrange(2),
                    int(_stamp(rng) * 1000),
                    _words(rng, rng.randint(2, 20)),
                )
                for _ in range(rows)
            ],
        )
        connection.commit()
    finally:
        connection.close()


def make_junk(rng: random.Random, spec: Spec) -> bytes:
    """Random bytes (caches, blobs): libmagic says application/octet-stream, nothing decodes them."""
    low, high = (2_000, 512_000) if spec.kind == "junk-small" else (4_000_000, 64_000_000)
    size = max(1, int(_size(rng, low, high) * _scale))
    return np.random.default_rng(rng.getrandbits(63)).bytes(size)


MAKERS: dict[str, Callable[[random.Random, Spec], bytes]] = {
    "camera": make_camera,
    "chat-photo": make_chat_photo,
    "web-photo": make_web_photo,
    "thumbnail": make_thumbnail,
    "screenshot": make_screenshot,
    "text": make_text,
    "office": make_office,
    "pdf": make_pdf,
    "archive": make_archive,
    "junk-small": make_junk,
    "junk-big": make_junk,
}


def _make(job: tuple[Path, Spec]) -> int:
    root, spec = job
    dest = root / spec.rel
    dest.parent.mkdir(parents=True, exist_ok=True)
    rng = random.Random(spec.seed)
    if spec.kind == "app-db":
        make_app_db(rng, spec, dest)
    else:
        dest.write_bytes(MAKERS[spec.kind](rng, spec))
    os.utime(dest, (spec.mtime, spec.mtime))
    return dest.stat().st_size


def _sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def prepare_tree(files: int, scale: float, data: Path, jobs: int, regenerate: bool) -> Tree:
    """The device folder for these arguments: reused from bench-output/ or generated there."""
    sources = _source_files(data)
    recipe = json.dumps(
        {
            "generator": GENERATOR_VERSION,
            "seed": SEED,
            "files": files,
            "scale": scale,
            "pillow": PIL.__version__,
            "python-docx": dist_version("python-docx"),
            "openpyxl": dist_version("openpyxl"),
            "sqlite": sqlite3.sqlite_version,
            "sources": hashlib.sha256(
                "".join(f"{p.name}:{_sha256_file(p)}\n" for p in sources).encode()
            ).hexdigest()
            if sources
            else "synthetic",
        },
        indent=2,
        sort_keys=True,
    )
    key = hashlib.sha256(recipe.encode()).hexdigest()[:10]
    home = CACHE_ROOT / f"triage-{files}-x{scale:g}-{key}"
    root, stamp, manifest = home / "device", home / "recipe.json", home / "manifest.json"
    origin = "Kodak24 + BSDS500 crops" if sources else f"SYNTHETIC patterns ({data} not found)"
    if not regenerate and stamp.is_file() and stamp.read_text() == recipe and manifest.is_file():
        listed = json.loads(manifest.read_text())
        return Tree(root, listed["kinds"], listed["sizes"], f"reused cache {home}; photos: {origin}", home)
    shutil.rmtree(home, ignore_errors=True)
    root.mkdir(parents=True)
    specs = plan(files, SEED)
    # Big files first, so the pool is not left waiting on one camera photo or blob at the end.
    cost = {"junk-big": 0, "camera": 1, "app-db": 2, "screenshot": 3, "office": 4, "pdf": 5, "archive": 6}
    order = sorted(range(len(specs)), key=lambda n: cost.get(specs[n].kind, 9))
    started = time.perf_counter()
    sizes: dict[str, int] = {}
    with ProcessPoolExecutor(jobs, initializer=_init_maker, initargs=(data, scale)) as pool:
        made = pool.map(_make, [(root, specs[n]) for n in order], chunksize=8)
        for n, size in zip(order, made, strict=True):
            sizes[specs[n].rel] = size
    kinds = {s.rel: s.kind for s in specs}
    manifest.write_text(json.dumps({"kinds": kinds, "sizes": sizes}, sort_keys=True))
    stamp.write_text(recipe)
    took = time.perf_counter() - started
    return Tree(root, kinds, sizes, f"generated in {took:.0f} s into {home}; photos: {origin}", home)


def print_mix(tree: Tree) -> None:
    """Counts and bytes per kind."""
    count: Counter[str] = Counter(tree.kinds.values())
    size: Counter[str] = Counter()
    for rel, name in tree.kinds.items():
        size[name] += tree.sizes[rel]
    total_files, total_size = len(tree.kinds), tree.size
    print(
        f"   {'kind':<12} {'group':<9} {'files':>7} {'%files':>7} {'MB':>9} {'%bytes':>7} "
        f"{'mean KB':>9}  what"
    )
    for kind in KINDS:
        n, b = count[kind.name], size[kind.name]
        if n:
            print(
                f"   {kind.name:<12} {kind.group:<9} {n:>7} {100 * n / total_files:>6.1f}% {b / 1e6:>9.1f} "
                f"{100 * b / total_size:>6.1f}% {b / n / 1e3:>9.1f}  {kind.what}"
            )
    folders = len({str(Path(rel).parent) for rel in tree.kinds})
    print(
        f"   {'total':<12} {'':<9} {total_files:>7} {'':>7} {total_size / 1e6:>9.1f}   in {folders} folders, "
        f"largest file {max(tree.sizes.values()) / 1e6:.1f} MB"
    )


# -- the disk image ---------------------------------------------------------------------------


@dataclass
class Images:
    """The tree as an ext4 file system (raw) and as its EWF acquisition."""

    raw: Path
    e01: Path
    segments: list[Path]
    note: str

    @property
    def e01_size(self) -> int:
        """Bytes of all EWF segment files."""
        return sum(p.stat().st_size for p in self.segments)


def _tool_version(command: Sequence[str]) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False)
    except OSError:
        return "missing"
    lines = (done.stdout + done.stderr).strip().splitlines()
    return lines[0].strip() if lines else "unknown"


def _fs_bytes(tree: Tree) -> int:
    """ext4 size with room: 4 KiB blocks per file and folder, metadata, journal, 15 % slack."""
    block = 4096
    data = sum(-(-size // block) * block for size in tree.sizes.values())
    folders = len({str(Path(rel).parent) for rel in tree.kinds}) + len(tree.kinds) // 50
    need = int((data + folders * block) * 1.15) + 256 * 2**20
    return -(-need // 2**20) * 2**20


def prepare_images(tree: Tree, regenerate: bool) -> Images | None:
    """ext4 raw image of the tree (mke2fs -d) and its E01 (ewfacquire -c fast), cached beside it."""
    mke2fs, ewfacquire = shutil.which("mke2fs"), shutil.which("ewfacquire")
    if not mke2fs or not ewfacquire:
        print("   E01: SKIPPED: needs mke2fs (e2fsprogs) and ewfacquire (apt-get install ewf-tools)")
        return None
    folder = tree.home / "image"
    raw, base = folder / "device.raw", folder / "device"
    recipe = json.dumps(
        {
            "tree": (tree.home / "recipe.json").read_text(),
            "mke2fs": _tool_version([mke2fs, "-V"]),
            "ewfacquire": _tool_version([ewfacquire, "-V"]),
        },
        sort_keys=True,
    )
    stamp = folder / "recipe.json"
    segments = sorted(folder.glob("device.E??"))
    if not regenerate and stamp.is_file() and stamp.read_text() == recipe and raw.is_file() and segments:
        return Images(raw, segments[0], segments, f"reused cache {folder}")
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    size = _fs_bytes(tree)
    started = time.perf_counter()
    with raw.open("wb") as handle:
        handle.truncate(size)
    subprocess.run(
        [mke2fs, "-q", "-t", "ext4", "-b", "4096", "-L", "BENCHPHONE", "-U", FS_UUID,
         "-E", f"root_owner=0:0,hash_seed={FS_UUID}", "-d", str(tree.root), "-F", str(raw)],
        check=True,
        env={**os.environ, "E2FSPROGS_FAKE_TIME": str(int(EPOCH_START + EPOCH_SPAN))},
    )  # fmt: skip
    made_fs = time.perf_counter() - started
    subprocess.run(
        [ewfacquire, "-u", "-q", "-t", str(base), "-f", "encase6", "-c", "fast", "-d", "sha1",
         "-m", "fixed", "-M", "physical", "-C", "bench-case", "-D", "heroes bench generated phone",
         "-e", "bench", "-E", "1", "-N", "benign generated content", str(raw)],
        check=True,
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    segments = sorted(folder.glob("device.E??"))
    stamp.write_text(recipe)
    took = time.perf_counter() - started
    note = f"made in {took:.0f} s (mke2fs {made_fs:.0f} s, ewfacquire {took - made_fs:.0f} s) in {folder}"
    return Images(raw, segments[0], segments, note)


# -- methods ------------------------------------------------------------------------------------


@dataclass
class Method:
    """One timed method: its times, and the digests its last run produced."""

    label: str
    times: list[float] = field(default_factory=list)
    digests: dict[str, str] = field(default_factory=dict)
    """Relative path (archive members as ``archive!/member``) -> SHA-256."""
    notes: list[str] = field(default_factory=list)
    extra: str = ""
    skipped: str = ""

    @property
    def best(self) -> float:
        """Best (smallest) wall-clock time in seconds."""
        return min(self.times)


def warm_page_cache(paths: Sequence[Path]) -> int:
    """Read every file once so no method pays for the first disk read."""
    total = 0
    buffer = bytearray(1 << 20)
    for path in paths:
        with path.open("rb", buffering=0) as handle:
            while count := handle.readinto(buffer):
                total += count
    return total


def _floor_task(paths: list[str]) -> list[tuple[str, str, str]]:
    """MD5 and SHA-256 of each file, one read feeding both."""
    out = []
    buffer = bytearray(1 << 20)
    view = memoryview(buffer)
    for path in paths:
        md5, sha256 = hashlib.md5(), hashlib.sha256()
        with open(path, "rb", buffering=0) as handle:
            while count := handle.readinto(buffer):
                md5.update(view[:count])
                sha256.update(view[:count])
        out.append((path, md5.hexdigest(), sha256.hexdigest()))
    return out


def _floor_tasks(paths: Sequence[Path]) -> list[list[str]]:
    """Largest files first, in tasks of at most 64 files or 64 MB, so no core waits at the end."""
    ordered = sorted(paths, key=lambda p: -p.stat().st_size)
    tasks: list[list[str]] = []
    used = 0
    for path in ordered:
        size = path.stat().st_size
        if not tasks or len(tasks[-1]) >= 64 or used + size > 64 * 2**20:
            tasks.append([])
            used = 0
        tasks[-1].append(str(path))
        used += size
    return tasks


def run_floor(tree: Tree, workers: int, method: Method) -> None:
    """hashlib MD5 + SHA-256 of every file on ``workers`` processes (the pool start-up is timed)."""
    tasks = _floor_tasks(tree.paths())
    started = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        results = [row for chunk in pool.imap_unordered(_floor_task, tasks) for row in chunk]
    method.times.append(time.perf_counter() - started)
    prefix = len(str(tree.root)) + 1
    method.digests = {path[prefix:]: sha256 for path, _, sha256 in results}


def run_hashdeep(tree: Tree, workers: int, method: Method, work: Path) -> None:
    """``hashdeep -r -c md5,sha256 -j N -l .`` in the tree, its output written to a file."""
    out = work / "hashdeep.txt"
    started = time.perf_counter()
    with out.open("wb") as handle:
        subprocess.run(
            ["hashdeep", "-r", "-l", "-c", "md5,sha256", "-j", str(workers), "."],
            cwd=tree.root,
            stdout=handle,
            check=True,
        )
    method.times.append(time.perf_counter() - started)
    digests = {}
    for line in out.read_text(encoding="utf-8", errors="surrogateescape").splitlines():
        if line.startswith(("%%%%", "##")) or not line:
            continue
        _size, _md5, sha256, name = line.split(",", 3)
        digests[name.removeprefix("./")] = sha256
    method.digests = digests


def _hash_list(tree: Tree) -> tuple[list[HashEntry], int]:
    """1,000 random entries per algorithm, plus the MD5 of one document and the PDQ of one photo.

    Returns the entries and how many matches the scan must find (copies count).
    """
    rng = random.Random(SEED)
    entries: list[HashEntry] = []
    for algorithm, digits in ((Algorithm.MD5, 32), (Algorithm.SHA256, 64), (Algorithm.PDQ, 64)):
        entries += [HashEntry(algorithm, f"{rng.getrandbits(digits * 4):0{digits}x}") for _ in range(1000)]
    document = next(rel for rel in sorted(tree.kinds) if tree.kinds[rel] == "pdf")
    photo = next(rel for rel in sorted(tree.kinds) if tree.kinds[rel] == "chat-photo")
    md5 = hashlib.md5((tree.root / document).read_bytes()).hexdigest()
    pdq = hash_image((tree.root / photo).read_bytes(), Settings(), dihedral=False)["pdq"]
    entries.append(HashEntry(Algorithm.MD5, md5, "bench", "planted document"))
    entries.append(HashEntry(Algorithm.PDQ, pdq, "bench", "planted photo"))
    return entries, 2


@dataclass
class ScanRun:
    """What one timed scan reported, beyond its time."""

    items: int = 0
    member_items: int = 0
    errors: list[str] = field(default_factory=list)
    matches: int = 0
    coordinator_cpu: float = 0.0


def run_scan(
    source: Path,
    strip: bytes,
    work: Path,
    method: Method,
    run_no: str,
    overrides: dict[str, int | None],
    entries: list[HashEntry],
    profiler: cProfile.Profile | None = None,
) -> ScanRun:
    """One full heroes scan into a fresh SQLite store; only the scan() call is timed.

    ``strip`` is the prefix of raw item paths before the device-relative path.
    """
    home = work / f"home-{run_no}"
    settings = load_settings({"HEROES_HOME": str(home)}, None, overrides)
    store = CaseStore.open(settings)  # connect + Alembic migrations: not timed
    run = ScanRun()
    try:
        store.import_hash_list("bench-list", entries, role=ListRole.KNOWN_BAD, source="bench/triage.py",
                               actor=ACTOR, pdq_threshold=settings.pdq_threshold)  # fmt: skip
        cpu = time.process_time()
        started = time.perf_counter()
        if profiler is not None:
            profiler.enable()
        try:
            summary = scan(store, settings, CASE, str(source), actor=ACTOR)
        finally:
            if profiler is not None:
                profiler.disable()
        method.times.append(time.perf_counter() - started)
        run.coordinator_cpu = time.process_time() - cpu
        case = store.case(CASE)
        items = store.items(case, ACTOR)
        run.errors = [f"{f.path}: {f.explanation}" for f in store.findings(case, ACTOR, kind="error")]
    finally:
        store.close()
    shutil.rmtree(home, ignore_errors=True)
    digests = {}
    for item in items:
        raw = item.raw_path
        if raw.startswith(strip):
            raw = raw[len(strip) :]
        key = raw.decode("utf-8", "surrogateescape")
        digests[key] = item.sha256 or ""
    method.digests = digests
    run.items = len(items)
    run.member_items = sum(1 for key in digests if "!/" in key)
    run.matches = summary.matches
    return run


# -- report -----------------------------------------------------------------------------------


def _rate(files: int, size: int, seconds: float) -> str:
    return f"{seconds:>8.2f} {files / seconds:>9.1f} {size / 1e6 / seconds:>8.1f}"


def check_digests(label: str, reference: dict[str, str], other: Method, files: int) -> list[str]:
    """Differences between a method's SHA-256 of each device file and the reference."""
    mine = {k: v for k, v in other.digests.items() if "!/" not in k}
    missing = [k for k in reference if k not in mine]
    wrong = [k for k in reference if k in mine and mine[k] != reference[k]]
    extra = [k for k in mine if k not in reference]
    print(
        f"   sanity: {label}: SHA-256 equals the floor's for {files - len(missing) - len(wrong)}/{files} "
        f"files ({len(missing)} missing, {len(wrong)} different, {len(extra)} unexpected)"
    )
    problems = []
    for name, keys in (("missing", missing), ("different", wrong), ("unexpected", extra)):
        if keys:
            problems.append(f"{label}: {len(keys)} {name}, e.g. {keys[:3]}")
    return problems


def machine_info(workers: int) -> list[str]:
    """Lines that describe the machine and the tools being timed."""
    cpu = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    flags = ""
    if cpuinfo.is_file():
        for line in cpuinfo.read_text(errors="replace").splitlines():
            if line.startswith("model name") and cpu == "unknown":
                cpu = line.split(":", 1)[1].strip()
            if line.startswith("flags") and not flags:
                flags = line
    sha = "yes" if " sha_ni" in flags else "no"
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return [
        f"machine      : {platform.platform()}; CPU {cpu}; SHA instructions: {sha}",
        f"nproc        : os.cpu_count()={os.cpu_count()}, usable={affinity}; processes per method={workers}",
        f"python       : {platform.python_version()}; OpenSSL {__import__('ssl').OPENSSL_VERSION}",
        f"Pillow       : {PIL.__version__}; JPEG {features.version('jpg')}; "
        f"libjpeg-turbo: {'yes' if features.check_feature('libjpeg_turbo') else 'NO'}",
        f"tools        : {_tool_version(['hashdeep', '-V'])} (hashdeep); "
        f"{_tool_version(['ewfacquire', '-V'])}; {_tool_version(['mke2fs', '-V'])}",
    ]


def report(
    tree: Tree,
    images: Images | None,
    methods: dict[str, Method],
    runs: dict[str, ScanRun],
    workers: int,
    repeat: int,
) -> None:
    """The table, the ratios and the PASS/FAIL lines."""
    files, size = len(tree.kinds), tree.size
    hashdeep, floor, folder = methods["hashdeep"], methods["floor"], methods["folder"]
    print()
    best = f"best of {repeat}" if repeat > 1 else "1 run"
    runs_note = f"scans {best}, baselines best of {max(repeat, BASELINE_RUNS)}"
    print(f"== results: {files} files, {size / 1e6:,.1f} MB; wall clock, {runs_note}; MB = 10^6 bytes ==")
    print("   files/s and MB/s count the device's regular files and their bytes for every row")
    print()
    header = f"   {'method':<58} {'seconds':>8} {'files/s':>9} {'MB/s':>8} {'x hashdeep':>10} {'x floor':>8}"
    print(header)
    print("   " + "-" * (len(header) - 3))
    for method in methods.values():
        if method.skipped or not method.times:
            print(f"   {method.label:<58} {'skipped: ' + (method.skipped or 'not run')}")
            continue
        t = method.best
        vs_hd = f"{hashdeep.best / t:>9.2f}x" if hashdeep.times else f"{'n/a':>10}"
        print(f"   {method.label:<58} {_rate(files, size, t)} {vs_hd} {floor.best / t:>7.2f}x")
    print()
    for key, run in runs.items():
        m = methods[key]
        print(
            f"   {m.label}: {run.items} items recorded ({run.member_items} archive members on top of "
            f"{run.items - run.member_items} files), {len(run.errors)} errors, "
            f"{run.matches} known-bad matches; "
            f"coordinator process CPU {run.coordinator_cpu:.1f} s"
        )
    if images is not None:
        print(
            f"   E01: {len(images.segments)} segment(s), {images.e01_size / 1e6:,.1f} MB on disk "
            f"(deflate 'fast'); raw ext4 {images.raw.stat().st_size / 1e6:,.1f} MB"
        )
    print()
    if hashdeep.times:
        ratio = hashdeep.best / folder.best
        verdict = "PASS" if ratio > 1.0 else "FAIL"
        print(
            f"   target folder scan faster than hashdeep: {verdict} ({ratio:.2f}x; "
            f"{size / 1e6 / folder.best:.1f} vs {size / 1e6 / hashdeep.best:.1f} MB/s)"
        )
    else:
        print(f"   target folder scan faster than hashdeep: SKIPPED ({hashdeep.skipped})")
    share = floor.best / folder.best
    verdict = "PASS" if share >= FLOOR_TARGET else "FAIL"
    print(
        f"   target folder scan >= {FLOOR_TARGET:.0%} of the floor's MB/s: {verdict} ({share:.0%}; "
        f"{size / 1e6 / folder.best:.1f} vs {size / 1e6 / floor.best:.1f} MB/s)"
    )
    e01 = methods.get("e01")
    if e01 is not None and e01.times:
        print(
            f"   E01 (no target): {size / 1e6 / e01.best:.1f} MB/s, {files / e01.best:.1f} files/s; "
            f"{folder.best / e01.best:.2f}x the folder scan's speed ({e01.best / folder.best:.2f}x its time)"
        )
    raw = methods.get("raw")
    if raw is not None and raw.times and e01 is not None and e01.times:
        print(
            f"   raw ext4 image (no EWF): {folder.best / raw.best:.2f}x the folder scan's speed; "
            f"EWF itself costs {e01.best - raw.best:+.1f} s over the raw image"
        )
    print(f"   scan settings: {workers} workers, batch_size {Settings().batch_size}, PDQ draft size "
          f"{Settings().pdq_draft_size}; floor: {workers} processes; hashdeep -j {workers}")  # fmt: skip


# -- profile ----------------------------------------------------------------------------------


def _sample(tree: Tree, kind: str, limit: int) -> list[str]:
    rels = sorted(rel for rel, k in tree.kinds.items() if k == kind)
    if len(rels) <= limit:
        return rels
    step = len(rels) / limit
    return [rels[int(n * step)] for n in range(limit)]


class _TimedSession:
    """A hasher session whose update/finish time is added to a per-stage clock."""

    def __init__(self, inner: HashSession, name: str, clock: dict[str, float]) -> None:
        self._inner, self._name, self._clock = inner, name, clock

    def update(self, chunk: bytes) -> None:
        started = time.perf_counter()
        self._inner.update(chunk)
        self._clock[self._name] += time.perf_counter() - started

    def finish(self, content: Content, settings: Settings) -> dict[str, Any]:
        started = time.perf_counter()
        try:
            return self._inner.finish(content, settings)
        finally:
            self._clock[self._name] += time.perf_counter() - started


class _TimedHasher:
    """A registered hasher, timed: any plug-in added to the scan shows up as a stage of its own."""

    def __init__(self, inner: Hasher, clock: dict[str, float]) -> None:
        self._inner, self._clock = inner, clock
        self.name, self.version, self.fields = inner.name, inner.version, inner.fields

    def accepts(self, mime: str | None) -> bool:
        return self._inner.accepts(mime)

    def begin(self) -> HashSession:
        return _TimedSession(self._inner.begin(), self.name, self._clock)


def _patch(module: Any, attribute: str, stage: str, clock: dict[str, float]) -> Callable[[], None] | None:
    """Time a module-level function the worker calls by name (None when it no longer exists)."""
    original = getattr(module, attribute, None)
    if original is None:
        return None

    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            clock[stage] += time.perf_counter() - started

    setattr(module, attribute, timed)
    return lambda: setattr(module, attribute, original)


def profile_kinds(tree: Tree, limit: int) -> None:
    """Single-core cost of the scan's worker function per kind of file, split into stages."""
    settings = Settings()
    clock: dict[str, float] = defaultdict(float)
    plugins = hashers()
    names = [h.name for h in plugins]
    # As each pool worker does once at start (_init_worker), with every hasher wrapped in a clock.
    scan_run._init_worker(settings)
    scan_run._worker_hashers = tuple(_TimedHasher(h, clock) for h in plugins)
    restore = [
        _patch(reader, "detect_mime", "libmagic", clock),
        _patch(pdq_module, "_decode", "pdq-decode", clock),
        _patch(scan_run, "owner_app", "path-context", clock),
        _patch(scan_run, "extension_mismatch", "path-context", clock),
    ]
    print()
    print(f"== profile: heroes.triage.run.hash_paths per kind, 1 process, up to {limit} files per kind ==")
    print("   the scan's worker function (every hasher, libmagic, archive members; no store), 4 files per")
    print("   call as in the pool tasks; floor = hashlib MD5+SHA-256 of the same files, 1 process;")
    print("   'est. s' = ms/file x files of that kind in the tree (single-core seconds)")
    try:
        hash_paths([str(tree.root / _sample(tree, "text", 1)[0]).encode()], settings)  # imports, libmagic
        clock.clear()
        rows = []
        for kind in KIND_NAMES:
            rels = _sample(tree, kind, limit)
            if not rels:
                continue
            raw = [str(tree.root / rel).encode() for rel in rels]
            sample_bytes = sum(tree.sizes[rel] for rel in rels)
            started = time.perf_counter()
            _floor_task([path.decode() for path in raw])
            floor = time.perf_counter() - started
            clock.clear()
            started = time.perf_counter()
            for n in range(0, len(raw), 4):
                hash_paths(raw[n : n + 4], settings)
            took = time.perf_counter() - started
            stages = dict(clock)
            stages["pdq"] = stages.get("pdq", 0.0) - stages.get("pdq-decode", 0.0)
            stages["other"] = took - sum(stages.values())
            count = sum(1 for k in tree.kinds.values() if k == kind)
            rows.append((kind, len(rels), sample_bytes, took, floor, count, stages))
    finally:
        for undo in restore:
            if undo is not None:
                undo()
        scan_run._worker_hashers = None
    total_est = sum(took / n * count for _k, n, _b, took, _f, count, _s in rows)
    print()
    header = (
        f"   {'kind':<12} {'files':>6} {'MB':>8} {'ms/file':>8} {'MB/s':>8} {'floor MB/s':>10} "
        f"{'x floor':>8} {'est. s':>7} {'share':>6}"
    )
    print(header)
    print("   " + "-" * (len(header) - 3))
    for kind, n, sample_bytes, took, floor, count, _stages in rows:
        est = took / n * count
        print(
            f"   {kind:<12} {n:>6} {sample_bytes / 1e6:>8.1f} {took / n * 1000:>8.2f} "
            f"{sample_bytes / 1e6 / took:>8.1f} {sample_bytes / 1e6 / floor:>10.1f} {floor / took:>7.2f}x "
            f"{est:>7.1f} {100 * est / total_est:>5.1f}%"
        )
    cores = os.cpu_count() or 1
    print(
        f"   {'total':<12} {'':>6} {'':>8} {'':>8} {'':>8} {'':>10} {'':>8} {total_est:>7.1f}   "
        f"single-core seconds (/{cores} cores = {total_est / cores:.1f} s ideal)"
    )
    crypto = [n for n in names if n in ("md5", "sha1", "sha256")]
    plugged = [n for n in names if n not in crypto and n != "pdq"]
    columns = [*crypto, "libmagic", "pdq-decode", *(["pdq"] if "pdq" in names else []), *plugged]
    columns += ["path-context", "other"]
    print()
    print(
        "   where the worker time goes: ms per file by stage ('pdq' excludes its decode; 'other' = reading,"
    )
    print("   archive parsing, glue); last row: single-core seconds per stage for the whole tree")
    print("   " + f"{'kind':<12}" + "".join(f"{c[:12]:>13}" for c in columns))
    whole: dict[str, float] = defaultdict(float)
    for kind, n, _b, _t, _f, count, found in rows:
        cells = "".join(f"{1000 * found.get(c, 0.0) / n:>13.2f}" for c in columns)
        print(f"   {kind:<12}{cells}")
        for column in columns:
            whole[column] += found.get(column, 0.0) / n * count
    print("   " + f"{'tree, s':<12}" + "".join(f"{whole[c]:>13.1f}" for c in columns))
    print("   " + f"{'tree, %':<12}" + "".join(f"{100 * whole[c] / total_est:>12.1f}%" for c in columns))


def profile_coordinator(profiler: cProfile.Profile, wall: float, cpu: float) -> None:
    """What the coordinator process did during one folder scan (workers are other processes)."""
    print()
    print(f"== profile: coordinator process during a folder scan ({wall:.1f} s wall, {cpu:.1f} s CPU) ==")
    stats = pstats.Stats(profiler)
    entries = stats.stats  # type: ignore[attr-defined]
    wanted = (
        "record_files", "record_matches", "record_findings", "matchable_items", "matches", "resume_state",
        "match", "rank_case", "count_files", "acquisition_hashes", "_results", "finish_scan", "start_scan",
        "walk", "image_entries", "submit",
    )  # fmt: skip
    rows = []
    for (filename, _line, name), (_cc, calls, _tt, cumtime, _callers) in entries.items():
        if (name in wanted and "heroes" in filename) or (name == "submit" and "concurrent" in filename):
            rows.append((cumtime, f"{Path(filename).parent.name}/{Path(filename).name}:{name}", calls))
    for cumtime, label, calls in sorted(rows, reverse=True):
        if cumtime >= 0.05:
            print(
                f"   {label:<52} {cumtime:>7.2f} s cumulative, {calls} calls "
                f"({100 * cumtime / wall:.0f}% of wall)"
            )
    print(
        "   (_results includes waiting for the workers; the rest is coordinator work that shares the cores)"
    )
    busy = [
        (tottime, filename, name)
        for (filename, _line, name), (_cc, _nc, tottime, _ct, _callers) in entries.items()
        if not name.startswith(
            ("<method 'acquire'", "<method 'wait'", "<built-in method select", "<method 'poll'")
        )
    ]
    print("   top own time in the coordinator (waits left out):")
    for tottime, filename, name in sorted(busy, reverse=True)[:8]:
        where = f"{Path(filename).parent.name}/{Path(filename).name}:" if filename != "~" else ""
        print(f"     {tottime:>6.2f} s  {where}{name}")


def profile_image(images: Images) -> None:
    """The E01-only costs: counting, acquisition hashes, one file-system walk (each worker does one)."""
    print()
    print("== profile: E01-only costs (each in this process, page cache warm) ==")
    raw = str(images.e01).encode()
    started = time.perf_counter()
    files, _size = count_files(raw, image=True)
    counted = time.perf_counter() - started
    started = time.perf_counter()
    hashes = acquisition_hashes(raw)
    acquired = time.perf_counter() - started
    started = time.perf_counter()
    with ImageSource(raw) as source:
        records = sum(1 for _ in source.walk())
    walked = time.perf_counter() - started
    media = hashes["media_size"]
    verified = None
    if shutil.which("ewfverify"):
        started = time.perf_counter()
        subprocess.run(["ewfverify", "-q", "-d", "sha1", str(images.e01)], capture_output=True, check=False)
        verified = time.perf_counter() - started
    print(f"   count_files (coordinator, progress totals)  : {counted:>7.2f} s for {files} files")
    print(
        f"   acquisition_hashes MD5+SHA-1 of the media   : {acquired:>7.2f} s for {media / 1e6:,.0f} MB "
        f"({media / 1e6 / acquired:.0f} MB/s, one process, before any file is hashed)"
    )
    if verified is not None:
        print(
            f"   ewfverify -d sha1 (C libewf with zlib), same : {verified:>7.2f} s "
            f"({media / 1e6 / verified:.0f} MB/s): the baseline for reading this EWF"
        )
    print(f"   ImageSource.walk (once per worker + entries): {walked:>7.2f} s for {records} records")
    print(
        "   the scan walks the image in count_files, in the entry walk, and once per worker "
        "(_image_index), and hashes the media once"
    )


# -- main ---------------------------------------------------------------------------------------


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--files", type=int, default=None, help=f"files in the tree (default {DEFAULT_FILES:,})"
    )
    parser.add_argument("--scale", type=float, default=None, help="multiplier of junk file sizes (default 1)")
    parser.add_argument(
        "--quick", action="store_true", help=f"{QUICK_FILES:,} files, --scale {QUICK_SCALE} (a smoke test)"
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="timed scans per source; the best counts (baselines: at least 3)",
    )
    parser.add_argument(
        "--workers", type=int, default=None, help="processes per method (default: one per core)"
    )
    parser.add_argument("--no-e01", action="store_true", help="skip building and scanning the E01")
    parser.add_argument(
        "--raw", action="store_true", help="also scan the raw ext4 image (isolates EWF's cost)"
    )
    parser.add_argument("--profile", action="store_true", help="add the per-kind and coordinator profiles")
    parser.add_argument("--profile-files", type=int, default=150, help="files per kind in the profile")
    parser.add_argument("--no-warmup", action="store_true", help="skip the untimed first run of each method")
    parser.add_argument(
        "--data", type=Path, default=DEFAULT_DATA, help=f"photo data folder (default {DEFAULT_DATA})"
    )
    parser.add_argument("--regenerate", action="store_true", help="rebuild the cached tree and images")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder under /tmp")
    args = parser.parse_args(argv)
    args.files = args.files or (QUICK_FILES if args.quick else DEFAULT_FILES)
    args.scale = args.scale if args.scale is not None else (QUICK_SCALE if args.quick else 1.0)
    if args.files < 100 or args.scale <= 0 or args.repeat < 1 or (args.workers or 1) < 1:
        parser.error("--files must be at least 100, --scale positive, --repeat and --workers at least 1")
    return args


def _timed_rounds(
    tree: Tree, images: Images | None, args: argparse.Namespace, workers: int, work: Path
) -> tuple[dict[str, Method], dict[str, ScanRun], tuple[cProfile.Profile, float, float] | None]:
    entries, _expected = _hash_list(tree)
    overrides: dict[str, int | None] = {"workers": args.workers}
    root = str(tree.root).encode() + b"/"
    methods = {
        "hashdeep": Method(f"hashdeep -r -c md5,sha256 -j {workers} (folder)"),
        "floor": Method(f"floor: hashlib MD5+SHA-256, {workers} processes (folder)"),
        "folder": Method(f"heroes scan, folder, {workers} workers"),
    }
    if shutil.which("hashdeep") is None:
        methods["hashdeep"].skipped = "hashdeep not installed (apt-get install hashdeep)"
    if images is not None:
        methods["e01"] = Method(f"heroes scan, E01 ({len(images.segments)} segments), {workers} workers")
        if args.raw:
            methods["raw"] = Method(f"heroes scan, raw ext4 image, {workers} workers")
    sources: dict[str, tuple[Path, bytes]] = {"folder": (tree.root, root)}
    if images is not None:
        sources["e01"] = (images.e01, str(images.e01.resolve()).encode() + b"!/")
        sources["raw"] = (images.raw, str(images.raw.resolve()).encode() + b"!/")
    runs: dict[str, ScanRun] = {}

    def one(key: str, run_no: str, timed: bool, profiler: cProfile.Profile | None = None) -> None:
        method = methods[key] if timed else Method("warm-up")
        if key == "hashdeep":
            run_hashdeep(tree, workers, method, work)
        elif key == "floor":
            run_floor(tree, workers, method)
        else:
            source, strip = sources[key]
            run = run_scan(source, strip, work, method, f"{key}-{run_no}", overrides, entries, profiler)
            if timed:
                runs[key] = run
        what = "" if timed else " (warm-up, untimed)"
        print(f"   {key:<8} run {run_no}: {method.times[-1]:7.2f} s{what}", flush=True)

    active = [k for k, m in methods.items() if not m.skipped]
    if not args.no_warmup:
        for key in active:
            one(key, "warm", timed=False)
    # Baselines take seconds, so they run at least BASELINE_RUNS times; the scans --repeat times.
    for round_no in range(max(args.repeat, BASELINE_RUNS)):
        for key in active:
            if round_no < args.repeat or key in ("hashdeep", "floor"):
                one(key, str(round_no), timed=True)
    profiled = None
    if args.profile:
        profiler = cProfile.Profile()
        probe = Method("profiled")
        run = run_scan(tree.root, root, work, probe, "profiled", overrides, entries, profiler)
        profiled = (profiler, probe.best, run.coordinator_cpu)
    return methods, runs, profiled


def main(argv: Sequence[str] | None = None) -> int:
    """Build (or reuse) the device, time every method and print the report."""
    args = _parse(argv)
    workers = args.workers or os.cpu_count() or 1
    jobs = os.cpu_count() or 1
    print("heroes triage benchmark: full scan of a generated phone, folder and E01, vs hashdeep and hashlib")
    for line in machine_info(workers):
        print(line)
    print()
    tree = prepare_tree(args.files, args.scale, args.data, jobs, args.regenerate)
    print(f"== device: {len(tree.kinds):,} files, {tree.size / 1e6:,.1f} MB (--files {args.files}, "
          f"--scale {args.scale:g}, seed {SEED}) ==")  # fmt: skip
    print(f"   {tree.note}")
    print_mix(tree)
    images = None if args.no_e01 else prepare_images(tree, args.regenerate)
    if images is not None:
        print(f"   E01: {images.e01} ({images.note})")

    work = Path(tempfile.mkdtemp(prefix="heroes-bench-triage-", dir="/tmp")).resolve()
    problems: list[str] = []
    try:
        paths = tree.paths()
        warmed = warm_page_cache(paths)
        if images is not None:
            warmed += warm_page_cache(images.segments)
            if args.raw:
                warmed += warm_page_cache([images.raw])
        print(f"   page cache warmed: {warmed / 1e6:,.1f} MB read once before any timing")
        print()
        methods, runs, profiled = _timed_rounds(tree, images, args, workers, work)
        report(tree, images, methods, runs, workers, args.repeat)

        print()
        reference = methods["floor"].digests
        for key in ("hashdeep", "folder", "e01", "raw"):
            if key in methods and methods[key].times:
                problems += check_digests(methods[key].label, reference, methods[key], len(tree.kinds))
        folder = methods["folder"].digests
        for key in ("e01", "raw"):
            if key in methods and methods[key].times:
                members = {k: v for k, v in folder.items() if "!/" in k}
                theirs = {k: v for k, v in methods[key].digests.items() if "!/" in k}
                same = members == theirs
                print(f"   sanity: archive members of {key} equal the folder scan's: {same} ({len(theirs)})")
                if not same:
                    problems.append(f"{key}: archive members differ from the folder scan's")
        _entries, expected = _hash_list(tree)
        for key, run in runs.items():
            if run.errors:
                problems.append(f"{key}: {len(run.errors)} scan errors, e.g. {run.errors[:3]}")
            if run.matches < expected:
                problems.append(f"{key}: {run.matches} known-bad matches, expected at least {expected}")
        if args.profile:
            profile_kinds(tree, args.profile_files)
            if profiled is not None:
                profile_coordinator(*profiled)
            if images is not None:
                profile_image(images)
    finally:
        if args.keep:
            print(f"\nkept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    for problem in problems:
        print(f"   SANITY FAILURE: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
