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
import io
import json
import shutil
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont, ImageOps

from heroes.config import Settings
from heroes.hashing import hash_image

__all__ = [
    "PHONE_SEARCHES",
    "Planted",
    "Scenario",
    "build_phone",
    "build_scenario",
    "write_chat_exports",
    "write_labelled_names",
]

_KNOWN = 6
_UNRELATED = 10
_VICS_KNOWN = 2
_LISTED_VIDEO = "chair-orig-22-sd-bar.mp4"
# (sample video, what it is, expectation): Meta's TMK sample set holds re-edits of one clip.
_DEVICE_VIDEOS = (
    ("chair-22-with-small-logo-bar.mp4", "re-edit with a logo overlay", "match"),
    ("chair-22-sd-sepia-bar.mp4", "re-edit in sepia", "match"),
    ("pattern-sd-grey-bar.mp4", "unrelated video", "no match"),
)
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
    vics_list: Path
    nsrl_database: Path
    video_list: Path
    planted: list[Planted]
    photo_source: str
    video_source: str


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


def _synthetic_video(seed: int, seconds: int = 4, size: tuple[int, int] = (192, 144)) -> bytes:
    """Moving discs over a textured background, H.264 in MP4, made in memory."""
    import av

    base = _generated(1, seed)[0].resize(size)
    rng = np.random.default_rng(seed)
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=25)
        assert isinstance(stream, av.VideoStream)
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
        velocity = rng.uniform(-3, 3, size=(5, 2))
        start = rng.uniform(0, min(size), size=(5, 2))
        for n in range(seconds * 25):
            frame = base.copy()
            draw = ImageDraw.Draw(frame)
            for (x, y), (vx, vy) in zip(start, velocity, strict=True):
                cx, cy = (x + vx * n) % size[0], (y + vy * n) % size[1]
                draw.ellipse((cx - 14, cy - 14, cx + 14, cy + 14), fill=(250, 250, 250))
            for packet in stream.encode(av.VideoFrame.from_ndarray(np.asarray(frame), format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return buffer.getvalue()


def _nsrl_database(path: Path, known_good: list[bytes], seed: int) -> None:
    """A tiny database shaped like NIST's RDSv3 (METADATA table, DISTINCT_HASH view)."""
    import sqlite3

    rng = np.random.default_rng(seed)
    path.unlink(missing_ok=True)
    with sqlite3.connect(path) as conn:
        conn.execute(
            "CREATE TABLE METADATA (sha256 TEXT, sha1 TEXT, md5 TEXT, file_name TEXT, file_size INTEGER)"
        )
        rows = [
            (hashlib.sha256(d).hexdigest().upper(), hashlib.sha1(d).hexdigest().upper(),
             hashlib.md5(d).hexdigest().upper(), "license.rtf", len(d))
            for d in known_good
        ]  # fmt: skip
        for _ in range(5000):  # filler standing in for published software
            d = rng.bytes(32)
            rows.append(
                (
                    hashlib.sha256(d).hexdigest(),
                    hashlib.sha1(d).hexdigest(),
                    hashlib.md5(d).hexdigest(),
                    "x.dll",
                    32,
                )
            )
        conn.executemany("INSERT INTO METADATA VALUES (?, ?, ?, ?, ?)", rows)
        conn.execute("CREATE VIEW DISTINCT_HASH AS SELECT DISTINCT sha256, sha1, md5 FROM METADATA")
    conn.close()


def _videos(
    workdir: Path, device: Path, videos: Path | None, settings: Settings
) -> tuple[Path, list[Planted], str]:
    from heroes.hashing.video import dumps_vpdq, hash_video

    folder = device / "Movies"
    folder.mkdir(parents=True, exist_ok=True)
    planted: list[Planted] = []
    if videos is not None and (videos / _LISTED_VIDEO).is_file():
        listed = (videos / _LISTED_VIDEO).read_bytes()
        for number, (name, what, expect) in enumerate(_DEVICE_VIDEOS, start=1):
            target = folder / f"VID_{number:04d}.mp4"
            shutil.copyfile(videos / name, target)
            planted.append(Planted(target, what, name, expect))
        source = str(videos)
    else:
        listed = _synthetic_video(11)
        copy = folder / "VID_0001.mp4"
        copy.write_bytes(listed)  # the same clip under another name
        planted.append(Planted(copy, "copy of the listed clip", "generated", "match"))
        other = folder / "VID_0002.mp4"
        other.write_bytes(_synthetic_video(12))
        planted.append(Planted(other, "unrelated video", "generated", "no match"))
        source = "generated videos (sample videos not found)"
    broken = folder / "VID_9999.mp4"
    broken.write_bytes(listed[: len(listed) // 4])
    planted.append(Planted(broken, "truncated video", "-", "error"))
    video_list = workdir / "demo-known-video.vpdq.txt"
    video_list.write_text(
        dumps_vpdq(hash_video(listed, settings)).replace(";", "\n") + "\n", encoding="utf-8"
    )
    return video_list, planted, source


def _vics_list(path: Path, photos: list[Path], region: str = "US") -> None:
    """A Project VIC 2.0 #Media file as agencies exchange them, warts included."""
    context = f"http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/{region}/$metadata#Media"
    media: list[dict[str, object]] = []
    for number, photo in enumerate(photos, start=1):
        data = photo.read_bytes()
        media.append(
            {
                "MediaID": 100 + number,
                "Category": 1,
                "MD5": hashlib.md5(data).hexdigest().upper(),
                "SHA1": hashlib.sha1(data).hexdigest().upper(),
                "MediaSize": len(data),
                "Series": "demo-vics-series",
                "IsPrecategorized": False,
                "VictimIdentified": False,
                "MediaFiles": [{"FileName": f"vics-{number}.png", "Created": "/Date(1700000000000)/"}],
            }
        )
    media.append({"MediaID": 999, "Category": "not a number", "MD5": "ZZZ"})  # reported, skipped
    document = {"@odata.context": context, "value": media}
    path.write_text("\ufeff" + json.dumps(document, indent=1), encoding="utf-8")


def build_scenario(
    workdir: Path, photos: Path | None, settings: Settings, videos: Path | None = None
) -> Scenario:
    """Create the device folder and the hash lists under workdir (replacing an earlier run)."""
    device = workdir / "device"
    if device.exists():
        shutil.rmtree(device)
    (device / "DCIM" / "Camera").mkdir(parents=True)
    (device / "Downloads" / "sent").mkdir(parents=True)
    (device / "Pictures").mkdir(parents=True)
    (device / "Windows" / "System32").mkdir(parents=True)

    found = _photos(photos)
    wanted = _KNOWN + _UNRELATED + _VICS_KNOWN
    if len(found) >= wanted:
        step = max(1, len(found) // wanted)
        chosen = found[::step][:wanted]
        images = [(p.name, Image.open(p).convert("RGB")) for p in chosen]
        source = str(photos)
    else:
        images = [(f"generated-{i:02d}", im) for i, im in enumerate(_generated(wanted, seed=7))]
        source = "generated images (shared photo folder not found)"
    known, unrelated = images[:_KNOWN], images[_KNOWN : _KNOWN + _UNRELATED]
    vics_known = images[_KNOWN + _UNRELATED :]

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
    vics_files = []
    for number, (name, img) in enumerate(vics_known, start=1):
        target = device / "Downloads" / f"forwarded_{number}.png"
        img.save(target, "PNG")
        vics_files.append(target)
        planted.append(Planted(target, "exact copy of a VICS-listed file", name, "match"))
    vics = workdir / "demo-projectvic.json"
    _vics_list(vics, vics_files)
    nsrl = workdir / "demo-nsrl-rds.db"
    _nsrl_database(nsrl, [system_file.read_bytes()], seed=3)
    video_list, video_planted, video_source = _videos(workdir, device, videos, settings)
    planted += video_planted
    return Scenario(device, known_bad, vics, nsrl, video_list, planted, source, video_source)


# The phone scenario: words a reviewer searches for, and the files that must come back (documents,
# an SMS store and a browser history of a benign demo phone).
PHONE_SEARCHES: tuple[tuple[str, frozenset[str]], ...] = (
    ("harbour", frozenset({"ferry-timetable.html", "mmssms.db"})),
    ("invoice 4471", frozenset({"letter.docx"})),
    ("warehouse keys", frozenset({"notes.txt", "mmssms.db"})),
    ("bakery", frozenset({"History"})),
)

_MESSAGES = (  # (minutes after the start, address, type 1 received / 2 sent, body)
    (0, "+34600000001", 1, "Are the warehouse keys still with the landlord?"),
    (4, "+34600000001", 2, "Yes, I pick them up on Friday"),
    (95, "+34600000002", 1, "The ferry leaves the harbour at nine"),
    (97, "+34600000002", 2, "See you at the harbour then"),
)
_VISITS = (  # (minutes after the start, url, title)
    (30, "https://bakery.example/opening-hours", "Bakery opening hours"),
    (60, "https://ferry.example/timetable", "Ferry timetable"),
)
_PHONE_START = datetime(2025, 3, 14, 8, 0, tzinfo=UTC)


def _database(path: Path, schema: str, rows: dict[str, list[tuple[object, ...]]]) -> None:
    """Write a small SQLite file with an app's own table layout (the columns its parser reads)."""
    db = sqlite3.connect(":memory:")
    db.executescript(schema)
    for table, values in rows.items():
        marks = ",".join("?" * len(values[0]))
        db.executemany(f"INSERT INTO {table} VALUES ({marks})", values)
    db.commit()
    path.write_bytes(db.serialize())
    db.close()


def build_phone(workdir: Path) -> Path:
    """A benign demo phone: a note, a letter, a saved web page, an SMS store and a Chrome history."""
    import docx  # python-docx: only the demo writes Word files

    phone = workdir / "phone"
    if phone.exists():
        shutil.rmtree(phone)
    documents = phone / "Documents"
    sms = phone / "data" / "com.android.providers.telephony" / "databases"
    chrome = phone / "data" / "com.android.chrome" / "app_chrome" / "Default"
    for folder in (documents, sms, chrome):
        folder.mkdir(parents=True)
    (documents / "notes.txt").write_text("Ask about the warehouse keys before Friday.\n", encoding="utf-8")
    (documents / "ferry-timetable.html").write_text(
        "<html><head><title>Ferry timetable</title><script>track()</script></head><body>"
        "<h1>Departures</h1><p>Boats leave the harbour every hour from 7:00.</p></body></html>",
        encoding="utf-8",
    )
    letter = docx.Document()
    letter.add_heading("Invoice 4471", level=1)
    letter.add_paragraph("Rent of the storage unit for March. Payable within 30 days.")
    letter.save(str(documents / "letter.docx"))

    def ms(minutes: int) -> int:
        return int(_PHONE_START.timestamp() * 1000) + minutes * 60_000

    _database(
        sms / "mmssms.db",
        "CREATE TABLE sms (_id INTEGER PRIMARY KEY, thread_id INTEGER, address TEXT, date INTEGER, "
        "date_sent INTEGER, type INTEGER, body TEXT, read INTEGER);",
        {"sms": [(n + 1, 1 + n // 2, a, ms(m), ms(m), kind, body, 1) for n, (m, a, kind, body) in
                 enumerate(_MESSAGES)]},
    )  # fmt: skip
    webkit = datetime(1601, 1, 1, tzinfo=UTC)

    def micros(minutes: int) -> int:
        return int((_PHONE_START - webkit).total_seconds() * 1_000_000) + minutes * 60_000_000

    _database(
        chrome / "History",
        "CREATE TABLE urls (id INTEGER PRIMARY KEY, url TEXT, title TEXT, visit_count INTEGER, "
        "last_visit_time INTEGER);"
        "CREATE TABLE visits (id INTEGER PRIMARY KEY, url INTEGER, visit_time INTEGER, from_visit INTEGER, "
        "transition INTEGER);",
        {
            "urls": [(n + 1, url, title, 1, micros(m)) for n, (m, url, title) in enumerate(_VISITS)],
            "visits": [(n + 1, n + 1, micros(m), 0, 0) for n, (m, _, _) in enumerate(_VISITS)],
        },
    )
    return phone


# Benign stand-in for an agency's labelled file names: "relevant" names follow one made-up naming
# habit (a collector's series codes glued to place words and counters), the rest are what devices
# and people ordinarily produce. Real models are trained on an agency's own data, never shipped.
_HABIT_CODES = ("kx", "qv", "zr", "jw")
_HABIT_WORDS = ("lake", "forest", "garden", "harbour", "meadow", "castle", "bridge", "valley")
_ORDINARY = (
    "IMG_{n:04d}.JPG", "DSC{n:05d}.jpg", "Screenshot_2024-0{m}-1{d}-10-2{d}-33.png", "invoice_{n}.pdf",
    "document ({d}).docx", "WhatsApp Image 2024-0{m}-0{d} at 12.3{d}.jpeg", "scan_{n:03d}.tif",
    "holiday {m}.jpg", "lake trip {d}.jpg", "garden_plan_v{d}.xlsx", "VID_2024{m:02d}{d:02d}_1{n:05d}.mp4",
)  # fmt: skip


def write_labelled_names(path: Path, count: int = 2000, seed: int = 7) -> Path:
    """Write a CSV of benign synthetic ``path,label`` rows for ``heroes names train`` (about a third 1s)."""
    rng = np.random.default_rng(seed)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["path", "label"])
        for _ in range(count):
            n, m, d = int(rng.integers(1, 9999)), int(rng.integers(1, 10)), int(rng.integers(1, 10))
            folder = str(rng.choice(["DCIM/Camera", "Downloads", "Pictures/old", "Documents", "backup/2023"]))
            relevant = rng.random() < 0.35
            if relevant:
                code = str(rng.choice(_HABIT_CODES)) if rng.random() < 0.8 else ""  # the habit slips
                word = str(rng.choice(_HABIT_WORDS))
                glue = str(rng.choice(["", "", "_", " "]))
                name = (
                    f"{code}{n % 97:02d}{glue}{word}{d}" + str(rng.choice(["", "_b", "-new", "v2"])) + ".jpg"
                )
            else:
                name = str(rng.choice(_ORDINARY)).format(n=n, m=m, d=d)
            label = relevant if rng.random() >= 0.03 else not relevant  # labelling mistakes happen
            writer.writerow([f"{folder}/{name}", int(label)])
    return path


# Two short WhatsApp exports for the anti-grooming demo: everyday peers, and an adult who escalates
# through non-sexual grooming signs (flattery, probing, secrecy, another app, gifts, meeting).
_PEERS = (
    ("Ana", "did you finish the maths homework?"), ("Ben", "almost, question 4 is really hard"),
    ("Ana", "football practice is at 5 tomorrow"), ("Ben", "mum says I can come, see you there"),
    ("Ana", "don't tell Leo about the surprise party on friday!"), ("Ben", "haha I won't"),
    ("Ana", "we should meet at the library before practice"), ("Ben", "ok 4pm"),
)  # fmt: skip
_ESCALATING = (
    ("Sam", "hey, saw your drawings on the art site, they're really good"), ("Kid", "thanks :)"),
    ("Sam", "you're so mature for your age, not like the others in your class"), ("Kid", "haha ok"),
    ("Sam", "how old are you btw? which school do you go to?"), ("Kid", "13, the one near the park"),
    ("Sam", "are your parents at home in the evenings?"), ("Kid", "not usually"),
    ("Sam", "don't tell anyone about our chats ok? they wouldn't understand us"), ("Kid", "ok"),
    ("Sam", "let's talk on another app, it's more private there"),
    ("Sam", "I can send you game credits if you want"),
    ("Sam", "we should meet at the mall on saturday, just us"),
)  # fmt: skip


def write_chat_exports(folder: Path) -> list[Path]:
    """Two WhatsApp 'Export chat' files (Android style) for ``heroes grooming scan``."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, lines in (("Ana", _PEERS), ("Sam", _ESCALATING)):
        path = folder / f"WhatsApp Chat with {name}.txt"
        path.write_text(
            "".join(f"14/03/2025, 18:{n:02d} - {who}: {text}\n" for n, (who, text) in enumerate(lines)),
            encoding="utf-8",
        )
        written.append(path)
    return written
