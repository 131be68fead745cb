"""End-to-end folder scans: matching, known-good hiding, errors, idempotence, and resume after kill -9."""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image, ImageOps

from heroes.config import Settings
from heroes.evidence import ListRole
from heroes.hashing import hash_image, read_hash_list
from heroes.store import CaseStore, case_chain
from heroes.triage import scan


def _device(tmp_path: Path, make_image: Callable[..., Path]) -> tuple[Path, Path]:
    known = make_image("known/k.png", 11, "PNG")
    other_known = make_image("known/k2.png", 12, "PNG")
    device = tmp_path / "device"
    make_image("exact.png", 11, "PNG", folder=device)
    make_image("flipped.png", 11, "PNG", ImageOps.mirror, folder=device)
    make_image("rotated.jpg", 12, "JPEG", lambda im: im.transpose(Image.Transpose.ROTATE_270), folder=device)
    make_image("smaller.jpg", 12, "JPEG", lambda im: im.resize((160, 120)), folder=device)
    for n in range(5):
        make_image(f"unrelated/{n}.jpg", 100 + n, folder=device)
    (device / "system.dll").write_bytes(b"MZ known good")
    (device / "broken.jpg").write_bytes(make_image("tmp.jpg", 5).read_bytes()[:500])
    (device / "empty").write_bytes(b"")
    os.mkfifo(device / "pipe")
    hash_list = tmp_path / "list.csv"
    with hash_list.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["md5", "pdq", "category", "label"])
        for path, label in ((known, "series-1"), (other_known, "series-2")):
            pdq = hash_image(path.read_bytes(), Settings(), dihedral=False)["pdq"]
            writer.writerow([hashlib.md5(path.read_bytes()).hexdigest(), pdq, "1", label])
    return device, hash_list


def _import(store: CaseStore, hash_list: Path) -> None:
    store.import_hash_list("bad", read_hash_list(hash_list), role=ListRole.KNOWN_BAD, source="t", actor="t")
    good = hash_list.with_name("good.txt")
    good.write_text(hashlib.md5(b"MZ known good").hexdigest() + "\n")
    store.import_hash_list("good", read_hash_list(good), role=ListRole.KNOWN_GOOD, source="t", actor="t")


@pytest.mark.parametrize("workers", [1, 2])
def test_scan_matches_altered_copies_only(
    tmp_path: Path, make_image: Callable[..., Path], sqlite_store: CaseStore, settings: Settings, workers: int
) -> None:
    device, hash_list = _device(tmp_path, make_image)
    _import(sqlite_store, hash_list)
    summary = scan(
        sqlite_store,
        dataclasses.replace(settings, workers=workers, batch_size=3),
        "case",
        device,
        actor="tester",
    )
    assert summary.files_seen == 12 and summary.skipped == 1 and summary.errors == 1
    case = sqlite_store.case("case")
    found = {(Path(m.path).name, m.algorithm.value) for m in sqlite_store.matches(case, "tester")}
    assert ("exact.png", "md5") in found and ("exact.png", "pdq") in found
    names = {name for name, _ in found}
    assert names == {"exact.png", "flipped.png", "rotated.jpg", "smaller.jpg"}
    hidden = sqlite_store.matches(case, "tester", include_known_good=True)
    assert any(Path(m.path).name == "system.dll" for m in hidden)
    errors = sqlite_store.findings(case, "tester", kind="error")
    assert [Path(f.path or "").name for f in errors] == ["broken.jpg"]
    assert "pdq" in errors[0].explanation
    sqlite_store.verify_audit(case_chain("case"))


def test_rescan_is_idempotent(
    tmp_path: Path, make_image: Callable[..., Path], sqlite_store: CaseStore, settings: Settings
) -> None:
    device, hash_list = _device(tmp_path, make_image)
    _import(sqlite_store, hash_list)
    first = scan(sqlite_store, settings, "case", device, actor="tester")
    counts = sqlite_store.case_counts(sqlite_store.case("case"))
    second = scan(sqlite_store, settings, "case", device, actor="tester")
    assert second.files_hashed == 0 and second.files_resumed == first.files_seen
    assert sqlite_store.case_counts(sqlite_store.case("case")) == counts
    assert second.matches == first.matches


def test_scan_only_named_lists(
    tmp_path: Path, make_image: Callable[..., Path], sqlite_store: CaseStore, settings: Settings
) -> None:
    device, hash_list = _device(tmp_path, make_image)
    _import(sqlite_store, hash_list)
    summary = scan(sqlite_store, settings, "case", device, actor="tester", list_names=["good"])
    assert (summary.matches, summary.hidden) == (0, 1)


@pytest.mark.parametrize("source", ["folder", "ext4 image"])
def test_resume_after_kill_9(tmp_path: Path, make_image: Callable[..., Path], source: str) -> None:
    device = tmp_path / "device"
    for n in range(40):
        make_image(f"f{n:03d}.jpg", n, folder=device, size=(160, 120))
    for n in range(1200):
        (device / "docs").mkdir(exist_ok=True)
        (device / "docs" / f"{n:05d}.txt").write_text(f"document {n}\n" * 50)
    target = device
    if source == "ext4 image":
        if shutil.which("mke2fs") is None:
            if os.environ.get("CI"):
                pytest.fail("needs mke2fs (apt-get install -y e2fsprogs)")
            pytest.skip("needs mke2fs (apt-get install -y e2fsprogs)")
        target = tmp_path / "device.img"
        subprocess.run(
            ["mke2fs", "-q", "-t", "ext4", "-d", str(device), "-F", str(target), "32M"],
            check=True, capture_output=True,
        )  # fmt: skip
    home = tmp_path / "home"
    env = {**os.environ, "HEROES_HOME": str(home), "HEROES_BATCH_SIZE": "8", "HEROES_WORKERS": "2"}
    command = [sys.executable, "-m", "heroes.cli", "scan", str(target), "--case", "k"]
    db = home / "heroes.db"

    def items() -> int:
        if not db.exists():
            return 0
        try:
            with sqlite3.connect(db, timeout=5) as conn:
                return int(conn.execute("select count(*) from items").fetchone()[0])
        except sqlite3.OperationalError:
            return 0

    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    deadline = time.monotonic() + 60
    while items() < 100 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.02)
    assert process.poll() is None, "the scan finished before it could be interrupted; make the fixture bigger"
    os.killpg(process.pid, signal.SIGKILL)  # the coordinator and its hashing workers, all at once
    process.wait()
    interrupted_at = items()
    assert 0 < interrupted_at < 1240

    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    with sqlite3.connect(db) as conn:
        paths = [r[0] for r in conn.execute("select path from items")]
        scans = [r[0] for r in conn.execute("select status from scans order by id")]
    names = [p.rsplit("/", 1)[1] for p in paths]
    assert len(paths) == len(set(paths))
    assert sorted(n for n in names if n.endswith((".jpg", ".txt"))) == sorted(
        [f"f{n:03d}.jpg" for n in range(40)] + [f"{n:05d}.txt" for n in range(1200)]
    )
    assert scans == ["interrupted", "finished"]
    store = CaseStore.from_url(f"sqlite:///{db}")
    try:
        store.verify_audit(case_chain("k"))
    finally:
        store.close()


def test_compact_lists_and_saved_pdq_indexes(
    tmp_path: Path, make_image: Callable[..., Path], sqlite_store: CaseStore, settings: Settings
) -> None:
    from heroes.evidence import Algorithm, HashEntry
    from heroes.hashing.exactset import build_exact_sets

    device, hash_list = _device(tmp_path, make_image)
    sqlite_store.import_hash_list(
        "bad", read_hash_list(hash_list), role=ListRole.KNOWN_BAD, source="t", actor="t"
    )
    folder = tmp_path / "compact"
    sha1 = hashlib.sha1(b"MZ known good").hexdigest()
    counts, _ = build_exact_sets(
        [HashEntry(Algorithm.SHA1, sha1), HashEntry(Algorithm.SHA1, "0" * 40)], folder
    )
    sqlite_store.register_compact_list(
        "nsrl",
        counts=counts,
        malformed=0,
        storage=str(folder),
        role=ListRole.KNOWN_GOOD,
        source="t",
        actor="t",
        list_format="nsrl",
    )
    first = scan(sqlite_store, settings, "case", device, actor="tester")
    case = sqlite_store.case("case")
    hidden = [m for m in sqlite_store.matches(case, "t", include_known_good=True) if m.list_name == "nsrl"]
    assert [(Path(m.path).name, m.algorithm.value) for m in hidden] == [("system.dll", "sha1")]
    saved = list((settings.home / "indexes").glob("list-*/entry_ids.npy"))
    assert len(saved) == 1
    stamp = saved[0].stat().st_mtime_ns
    second = scan(sqlite_store, settings, "case2", device, actor="tester")
    assert saved[0].stat().st_mtime_ns == stamp, "the saved index is reused, not rebuilt"
    assert second.matches == first.matches


def test_videos_match_by_vpdq(tmp_path: Path, sqlite_store: CaseStore, settings: Settings) -> None:
    from heroes.evidence import Algorithm, HashEntry
    from heroes.hashing import dumps_vpdq, hash_video
    from tests.hashing.test_video import _encode, _frames

    scene = _frames(5, 90, (160, 120))
    original = _encode(scene)
    device = tmp_path / "device"
    device.mkdir()
    (device / "copy-small.mkv").write_bytes(_encode(scene, fmt="matroska", size=(128, 96)))
    (device / "other.mp4").write_bytes(_encode(_frames(6, 90, (160, 120))))
    (device / "broken.mp4").write_bytes(original[: len(original) // 3])
    signal = dumps_vpdq(hash_video(original, settings))
    sqlite_store.import_hash_list(
        "videos",
        [HashEntry(Algorithm.VPDQ, signal, "1", "clip-1")],
        role=ListRole.KNOWN_BAD,
        source="t",
        actor="t",
    )
    summary = scan(sqlite_store, settings, "v", device, actor="tester")
    case = sqlite_store.case("v")
    found = sqlite_store.matches(case, "t")
    assert [(Path(m.path).name, m.algorithm.value) for m in found] == [("copy-small.mkv", "vpdq")]
    assert found[0].how.startswith("vpdq (") and found[0].distance <= 20
    assert summary.errors == 1
    errors = sqlite_store.findings(case, "t", kind="error")
    assert errors[0].plugin == "vpdq" and Path(errors[0].path or "").name == "broken.mp4"


CRASHY_PLUGIN = """
import os


class _Session:
    def update(self, chunk):
        self.first = getattr(self, "first", chunk)

    def finish(self, content, settings):
        if (content.data or b"").startswith(b"CRASH"):
            os._exit(1)  # what a segfaulting decoder or the out-of-memory killer looks like
        return {}


class Crashy:
    name = "crashy"
    version = "1"
    fields = ("crashy",)

    def accepts(self, mime):
        return True

    def begin(self):
        return _Session()


CRASHY = Crashy()
"""


def test_a_file_that_kills_its_worker_is_named_and_the_scan_goes_on(tmp_path: Path) -> None:
    plugins = tmp_path / "plugins"
    (plugins / "crashy-1.0.dist-info").mkdir(parents=True)
    (plugins / "crashy.py").write_text(CRASHY_PLUGIN)
    (plugins / "crashy-1.0.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: crashy\nVersion: 1.0\n"
    )
    (plugins / "crashy-1.0.dist-info" / "entry_points.txt").write_text(
        "[heroes.hashers]\ncrashy = crashy:CRASHY\n"
    )
    device = tmp_path / "device"
    device.mkdir()
    for n in range(30):
        (device / f"doc{n:02d}.txt").write_text(f"ordinary file {n}\n")
    (device / "killer.bin").write_bytes(b"CRASH" + b"\0" * 100)
    env = {
        **os.environ,
        "HEROES_HOME": str(tmp_path / "home"),
        "HEROES_WORKERS": "2",
        "PYTHONPATH": f"{plugins}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
    }
    done = subprocess.run(
        [sys.executable, "-m", "heroes.cli", "scan", str(device), "--case", "k"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    with sqlite3.connect(tmp_path / "home" / "heroes.db") as conn:
        items = dict(conn.execute("select path, status from items").fetchall())
        errors = [r[0] for r in conn.execute("select path from findings where kind = 'error'")]
    assert len(items) == 31 and list(items.values()).count("hashed") == 30
    assert [Path(p).name for p in errors] == ["killer.bin"]


@pytest.mark.parametrize("image", ["synthetic/mbr_fat.E01", "synthetic/mbr_fat.raw", "dfvfs/ext2.split.E01"])
@pytest.mark.parametrize("workers", [1, 2])
def test_scanning_a_disk_image(
    shared_data: Path, tmp_path: Path, settings: Settings, image: str, workers: int
) -> None:
    import json

    from heroes.evidence import Algorithm, HashEntry

    expected = json.loads((shared_data / "disk_images" / "expected_files.json").read_text())[Path(image).name]
    files = {f["path"]: f for f in expected["allocated_files"]}
    path = shared_data / "disk_images" / image
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    listed = next(iter(files.values()))
    store = CaseStore.open(settings)
    try:
        store.import_hash_list(
            "l",
            [HashEntry(Algorithm.SHA256, listed["sha256"], "1", "x")],
            role=ListRole.KNOWN_BAD,
            source="t",
            actor="t",
        )
        run_settings = dataclasses.replace(settings, workers=workers)
        first = scan(store, run_settings, "img", path, actor="tester")
        case = store.case("img")
        items = {i.path.split("!/", 1)[1]: i for i in store.items(case, "t")}
        for inner, wanted in files.items():
            item = items[inner.lstrip("/")]
            assert (item.size, item.sha256) == (wanted["size"], wanted["sha256"]), inner
        hits = {m.path.split("!/", 1)[1] for m in store.matches(case, "t")}
        assert hits == {p.lstrip("/") for p, f in files.items() if f["sha256"] == listed["sha256"]}
        deleted = [f for f in store.findings(case, "t", kind="warning") if "deleted" in f.explanation]
        assert len(deleted) == len(items) - len(files)  # every extra item is a deleted entry, flagged
        assert sum(i.deleted for i in items.values()) == len(items) - len(files)
        if "mbr_fat" in image:  # FAT records creation and access dates: they reach the items (MACB)
            assert all(i.btime and i.atime for i in items.values() if not i.deleted)
        start = next(e for e in store.audit_events(case_chain("img")) if e.action == "scan.start")
        assert start.details["acquisition"]["md5"]
        again = scan(store, run_settings, "img", path, actor="tester")
        assert again.files_hashed == 0 and again.files_resumed == first.files_seen
    finally:
        store.close()
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before, "the image must never change"


def test_a_file_that_is_not_an_image_or_folder_is_refused(
    tmp_path: Path, sqlite_store: CaseStore, settings: Settings
) -> None:
    from heroes.errors import InvalidInput

    text = tmp_path / "notes.txt"
    text.write_text("not a disk image")
    with pytest.raises(InvalidInput, match="neither a folder nor a disk image"):
        scan(sqlite_store, settings, "x", text, actor="tester")


def test_items_carry_camera_gps_and_path_context(
    tmp_path: Path, sqlite_store: CaseStore, settings: Settings
) -> None:
    from tests.conftest import textured_image

    device = tmp_path / "device"
    folder = device / "WhatsApp" / "Media" / "WhatsApp Images"
    folder.mkdir(parents=True)
    photo = textured_image(3)
    exif = photo.getexif()
    exif[0x010F], exif[0x0110] = "DemoCam", "DC-1"
    exif.get_ifd(0x8769)[0xA431] = "SN-12345"  # BodySerialNumber
    exif.get_ifd(0x8769)[0x9003] = "2024:05:06 07:08:09"  # DateTimeOriginal
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "N", (52.0, 30.0, 0.0), "E", (13.0, 24.0, 36.0)
    photo.save(folder / "IMG-20240506-WA0001.jpg", "JPEG", exif=exif)
    (device / "invoice.txt").write_bytes((folder / "IMG-20240506-WA0001.jpg").read_bytes())
    scan(sqlite_store, settings, "ctx", device, actor="tester")
    items = {Path(i.path).name: i for i in sqlite_store.items(sqlite_store.case("ctx"), "t")}
    shot = items["IMG-20240506-WA0001.jpg"]
    assert (shot.camera_make, shot.camera_model, shot.camera_serial) == ("DemoCam", "DC-1", "SN-12345")
    assert shot.captured_at == "2024-05-06T07:08:09"
    assert shot.gps_latitude == pytest.approx(52.5) and shot.gps_longitude == pytest.approx(13.41)
    assert shot.owner_app == "WhatsApp" and shot.extension_mismatch is None and not shot.deleted
    assert items["invoice.txt"].extension_mismatch and "image/jpeg" in items["invoice.txt"].extension_mismatch


@pytest.mark.parametrize("workers", [1, 2])
def test_archive_members_are_items_and_bombs_are_findings(
    tmp_path: Path, make_image: Callable[..., Path], sqlite_store: CaseStore, settings: Settings, workers: int
) -> None:
    import io
    import tarfile
    import zipfile

    photo = make_image("listed.png", 31, "PNG").read_bytes()
    device = tmp_path / "device"
    device.mkdir()
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("holiday/pic.png", photo)
        z.writestr("../../escape.txt", "name tries to leave the archive")
    with tarfile.open(device / "backup.tar.gz", "w:gz") as tar:
        info = tarfile.TarInfo("chats/export.zip")
        info.size = len(inner.getvalue())
        tar.addfile(info, io.BytesIO(inner.getvalue()))
    with zipfile.ZipFile(device / "bomb.zip", "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("zeros.bin", b"\0" * (600 * 1024 * 1024 // 100))  # 6 MB of zeros: ratio far over 100
        z.writestr("ok.txt", "still read")
    lst = tmp_path / "l.txt"
    lst.write_text(hashlib.md5(photo).hexdigest() + "\n")
    sqlite_store.import_hash_list("l", read_hash_list(lst), role=ListRole.KNOWN_BAD, source="t", actor="t")
    scan(sqlite_store, dataclasses.replace(settings, workers=workers), "arc", device, actor="tester")
    case = sqlite_store.case("arc")
    names = {i.path.split(str(device) + "/", 1)[1] for i in sqlite_store.items(case, "t")}
    assert "backup.tar.gz!/chats/export.zip!/holiday/pic.png" in names
    assert "bomb.zip!/ok.txt" in names
    hits = [m.path.split(str(device) + "/", 1)[1] for m in sqlite_store.matches(case, "t")]
    assert hits == ["backup.tar.gz!/chats/export.zip!/holiday/pic.png"]
    errors = [f.explanation for f in sqlite_store.findings(case, "t", kind="error")]
    assert any("bomb" in e or "ratio" in e for e in errors), errors
    warnings = [f.explanation for f in sqlite_store.findings(case, "t", kind="warning")]
    assert any("archive member name" in w for w in warnings), warnings
