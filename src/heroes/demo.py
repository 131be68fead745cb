"""The built-in end-to-end scenario behind ``make demo``, on benign photos only.

It plays an investigator's first hour: a hash list of "known" media arrives (here: benign
photos from the shared test data, or generated images when that folder is absent), a
seized device holds altered copies of some of them among unrelated photos and broken
files, and the examiner scans the device into a case, reads the matches, writes the
report and verifies the audit trail. Each planted file knows whether it *should* match,
so the demo prints expected against found instead of asking the reader to trust it.
"""

from __future__ import annotations

import csv
import hashlib
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont, ImageOps

from heroes.config import Settings
from heroes.hashing import hash_image

__all__ = ["Planted", "Scenario", "build_scenario"]

_KNOWN = 6
_UNRELATED = 10
_SUFFIXES = {".png", ".jpg", ".jpeg"}


@dataclass(frozen=True, slots=True)
class Planted:
    """A file put on the demo device, and what a correct scan should say about it."""

    path: Path
    transform: str
    origin: str
    expect: str  # "match", "no match", "may miss", "hidden", "error"


@dataclass(frozen=True, slots=True)
class Scenario:
    """The demo's inputs: the device folder, the two lists and what was planted."""

    device: Path
    known_bad_list: Path
    known_good_list: Path
    planted: list[Planted]
    photo_source: str


def _photos(source: Path | None) -> list[Path]:
    if source is None or not source.is_dir():
        return []
    return sorted(p for p in source.rglob("*") if p.suffix.lower() in _SUFFIXES and p.is_file())


def _generated(count: int, seed: int) -> list[Image.Image]:
    """Smooth random scenes (gradients, discs, bars): textured enough for PDQ quality 100."""
    rng = np.random.default_rng(seed)
    images = []
    for _ in range(count):
        h, w = 384, 512
        y, x = np.mgrid[0:h, 0:w].astype(np.float32)
        base = np.stack(
            [
                np.sin(x / rng.uniform(20, 90) + rng.uniform(0, 6)) * np.cos(y / rng.uniform(20, 90))
                for _ in range(3)
            ],
            axis=2,
        )
        img = Image.fromarray(((base + 1) * 127).clip(0, 255).astype(np.uint8), "RGB")
        draw = ImageDraw.Draw(img)
        for _ in range(12):
            cx, cy, r = int(rng.integers(0, w)), int(rng.integers(0, h)), int(rng.integers(10, 80))
            draw.ellipse(
                (cx - r, cy - r, cx + r, cy + r), fill=tuple(int(v) for v in rng.integers(0, 255, 3))
            )
        images.append(img)
    return images


def _watermark(img: Image.Image) -> Image.Image:
    out = img.convert("RGB")
    draw = ImageDraw.Draw(out, "RGBA")
    w, h = out.size
    draw.rectangle((0, int(h * 0.86), w, h), fill=(0, 0, 0, 110))
    draw.text(
        (10, int(h * 0.88)),
        "www.example.invalid  @reposter",
        fill=(255, 255, 255, 230),
        font=ImageFont.load_default(),
    )
    return out


def _crop(img: Image.Image) -> Image.Image:
    w, h = img.size
    dx, dy = int(w * 0.04), int(h * 0.04)
    return img.crop((dx, dy, w - dx, h - dy))


_TRANSFORMS: list[tuple[str, Callable[[Image.Image], Image.Image], str, str]] = [
    (
        "resized to 50%",
        lambda im: im.resize((im.width // 2, im.height // 2), Image.Resampling.LANCZOS),
        "png",
        "match",
    ),
    ("recompressed as JPEG quality 30", lambda im: im, "jpg30", "match"),
    ("flipped left-right", ImageOps.mirror, "png", "match"),
    ("rotated 90 degrees", lambda im: im.transpose(Image.Transpose.ROTATE_90), "png", "match"),
    ("watermarked (caption bar)", _watermark, "jpg90", "match"),
    ("cropped 4% each side", _crop, "jpg90", "may miss"),
]


def _save(img: Image.Image, path: Path, kind: str) -> Path:
    if kind.startswith("jpg"):
        path = path.with_suffix(".jpg")
        img.convert("RGB").save(path, "JPEG", quality=int(kind[3:]))
    else:
        path = path.with_suffix(".png")
        img.save(path, "PNG")
    return path


def build_scenario(workdir: Path, photos: Path | None, settings: Settings) -> Scenario:
    """Create the device folder and the hash lists under workdir (replacing an earlier run)."""
    device = workdir / "device"
    if device.exists():
        shutil.rmtree(device)
    (device / "DCIM" / "Camera").mkdir(parents=True)
    (device / "Downloads" / "sent").mkdir(parents=True)
    (device / "Pictures").mkdir(parents=True)
    (device / "Windows" / "System32").mkdir(parents=True)

    found = _photos(photos)
    if len(found) >= _KNOWN + _UNRELATED:
        step = max(1, len(found) // (_KNOWN + _UNRELATED))
        chosen = found[::step][: _KNOWN + _UNRELATED]
        images = [(p.name, Image.open(p).convert("RGB")) for p in chosen]
        source = str(photos)
    else:
        images = [(f"generated-{i:02d}", im) for i, im in enumerate(_generated(_KNOWN + _UNRELATED, seed=7))]
        source = "generated images (shared photo folder not found)"
    known, unrelated = images[:_KNOWN], images[_KNOWN:]

    planted: list[Planted] = []
    rows: list[dict[str, str]] = []
    for number, (name, img) in enumerate(known, start=1):
        original = workdir / "known" / f"known-{number:02d}.png"
        original.parent.mkdir(parents=True, exist_ok=True)
        img.save(original, "PNG")
        data = original.read_bytes()
        pdq = hash_image(data, settings, dihedral=False)["pdq"]
        label = f"demo-series-{number:02d} ({name})"
        rows.append(
            {
                "md5": hashlib.md5(data).hexdigest(),
                "sha256": hashlib.sha256(data).hexdigest(),
                "pdq": pdq,
                "category": "1",
                "label": label,
            }
        )
        if number == 1:
            exact = device / "Downloads" / "IMG_0001.png"
            shutil.copyfile(original, exact)
            planted.append(Planted(exact, "exact copy (renamed)", name, "match"))
        for index, (transform, apply, kind, expect) in enumerate(_TRANSFORMS):
            folder = device / ("Downloads/sent" if index % 2 else "DCIM/Camera")
            target = _save(apply(img), folder / f"IMG_{number:02d}{index:02d}", kind)
            planted.append(Planted(target, transform, name, expect))
    for number, (name, img) in enumerate(unrelated, start=1):
        target = _save(img, device / "Pictures" / f"holiday_{number:02d}", "jpg90")
        planted.append(Planted(target, "unrelated photo", name, "no match"))

    system_file = device / "Windows" / "System32" / "license.rtf"
    system_file.write_bytes(b"{\\rtf1 Demo operating system licence text, a known-good file.}\n")
    planted.append(Planted(system_file, "operating-system file", "known-good list", "hidden"))
    empty = device / "Downloads" / "empty.dat"
    empty.write_bytes(b"")
    planted.append(Planted(empty, "zero-byte file", "-", "no match"))
    a_jpeg = next(p.path for p in planted if p.path.suffix == ".jpg")
    truncated = device / "Downloads" / "truncated.jpg"
    truncated.write_bytes(a_jpeg.read_bytes()[: a_jpeg.stat().st_size // 3])
    planted.append(Planted(truncated, "truncated JPEG", "-", "error"))
    liar = device / "Pictures" / "notes.jpg"
    liar.write_text("Shopping list: bread, milk. (A text file whose extension lies.)\n", encoding="utf-8")
    planted.append(Planted(liar, "text file named .jpg", "-", "no match"))

    known_bad = workdir / "demo-known-media.csv"
    with known_bad.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["md5", "sha256", "pdq", "category", "label"])
        writer.writeheader()
        writer.writerows(rows)
        handle.write("not-a-hash,zz,also-bad,1,a malformed line the importer must report\n")
    known_good = workdir / "demo-known-good.txt"
    known_good.write_text(
        "# known-good operating-system files (NSRL-style)\n"
        f"{hashlib.sha1(system_file.read_bytes()).hexdigest()}  "
        "Windows/System32/license.rtf\n",
        encoding="utf-8",
    )
    return Scenario(device, known_bad, known_good, planted, source)
