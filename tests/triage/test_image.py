"""Disk images: every file found with its bytes, deleted names flagged, damage reported, source untouched."""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import uuid
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from heroes.triage.image import (
    ImageError,
    ImageFile,
    ImageRecord,
    ImageSkipped,
    ImageSource,
    acquisition_hashes,
    is_disk_image,
)

SECTOR = 512
SHARED_IMAGES = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "disk_images"


# helpers --------------------------------------------------------------------------------------------


def _need(*tools: str) -> None:
    """Skip without the tools (fail in CI, where .ci/run installs them)."""
    missing = [tool for tool in tools if shutil.which(tool) is None]
    if missing:
        message = f"needs {', '.join(missing)} (apt-get install -y dosfstools mtools e2fsprogs)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def _run(*command: str) -> None:
    env = {**os.environ, "MTOOLS_SKIP_CHECK": "1", "TZ": "UTC"}
    subprocess.run(command, check=True, capture_output=True, env=env)


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _read(record: ImageFile) -> bytes:
    with record.open() as stream:
        return b"".join(iter(lambda: stream.read(64 * 1024), b""))


def _walk(path: Path) -> list[ImageRecord]:
    with ImageSource(path) as source:
        return list(source.walk())


def _files(records: list[ImageRecord]) -> dict[str, ImageFile]:
    return {r.path: r for r in records if isinstance(r, ImageFile)}


def _expected(shared: Path) -> dict[str, dict[str, object]]:
    found: dict[str, dict[str, object]] = json.loads(
        (shared / "disk_images" / "expected_files.json").read_text()
    )
    return found


def _image(shared: Path, name: str) -> Path:
    matches = sorted((shared / "disk_images").glob(f"*/{name}"))
    assert matches, f"{name} missing from {shared / 'disk_images'}"
    return matches[0]


def _segments(path: Path) -> list[Path]:
    """The image file and its sibling segments (E02..., .001...)."""
    stem = path.name.rsplit(".", 1)[0]
    return sorted(p for p in path.parent.iterdir() if p.name.rsplit(".", 1)[0] == stem)


def _fat_volume(path: Path, files: dict[str, bytes], delete: tuple[str, ...] = (), offset: int = 0) -> None:
    """A 2 MiB FAT volume (``offset`` bytes into ``path``) filled with mtools; mdel leaves deleted names."""
    if offset:
        _run("mkfs.vfat", f"--offset={offset // SECTOR}", str(path), "2048")
    else:
        _run("mkfs.vfat", "-C", str(path), "2048")
    target = f"{path}@@{offset}"
    source = path.parent / "fat-src"
    for name, data in files.items():
        source.mkdir(exist_ok=True)
        local = source / name.replace("/", "_")
        local.write_bytes(data)
        os.utime(local, (1614834367, 1614834367))  # 2021-03-04 05:06:07 UTC
        for parent in list(Path(name).parents)[::-1][1:]:
            env = {**os.environ, "MTOOLS_SKIP_CHECK": "1"}
            subprocess.run(["mmd", "-i", target, f"::/{parent}"], capture_output=True, env=env)  # may exist
        _run("mcopy", "-m", "-i", target, str(local), f"::/{name}")
    for name in delete:
        _run("mdel", "-i", target, f"::/{name}")


def _ext4_volume(path: Path, tree: dict[str, bytes], delete: tuple[str, ...] = (), offset: int = 0) -> None:
    """A 4 MiB ext4 volume made with ``mkfs.ext4 -d`` (no mount); debugfs unlinks the deleted ones."""
    source = path.parent / "ext-src"
    for name, data in tree.items():
        target = source / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    source.mkdir(exist_ok=True)
    options = ["-E", f"offset={offset}"] if offset else []
    _run("mkfs.ext4", "-q", "-F", "-b", "1024", *options, "-d", str(source), str(path), "4096")
    for name in delete:
        _run("debugfs", "-w", "-R", f"rm /{name}", str(path))


def _gpt(path: Path, partitions: list[tuple[int, int, str]], total_sectors: int) -> None:
    """Write a protective MBR and primary + backup GPT for ``(first_lba, last_lba, type_guid)`` entries."""
    entries = bytearray(128 * 128)
    for i, (first, last, type_guid) in enumerate(partitions):
        entry = uuid.UUID(type_guid).bytes_le + uuid.uuid4().bytes_le + struct.pack("<QQQ", first, last, 0)
        entries[i * 128 : (i + 1) * 128] = entry + "part".encode("utf-16-le").ljust(72, b"\0")
    last_lba = total_sectors - 1
    disk_guid = uuid.uuid4().bytes_le

    def header(current: int, backup: int, entries_lba: int) -> bytes:
        fields = (b"EFI PART", 0x10000, 92, 0, 0, current, backup, 34, last_lba - 33, disk_guid)
        raw = struct.pack("<8sIIIIQQQQ16sQIII", *fields, entries_lba, 128, 128, zlib.crc32(entries))
        return (raw[:16] + struct.pack("<I", zlib.crc32(raw)) + raw[20:]).ljust(SECTOR, b"\0")

    mbr = bytearray(SECTOR)
    mbr[446:462] = struct.pack("<B3sB3sII", 0, b"\0\x02\0", 0xEE, b"\xff\xff\xff", 1, last_lba)
    mbr[510:512] = b"\x55\xaa"
    with path.open("r+b") as f:
        f.write(bytes(mbr) + header(1, last_lba, 2) + bytes(entries))
        f.seek((last_lba - 32) * SECTOR)
        f.write(bytes(entries) + header(last_lba, 1, last_lba - 32))


def _mbr(path: Path, partitions: list[tuple[int, int, int]]) -> None:
    """Write an MBR for ``(first_lba, sectors, type)`` entries."""
    table = b"".join(
        struct.pack("<B3sB3sII", 0, b"\0\0\0", kind, b"\0\0\0", first, n) for first, n, kind in partitions
    )
    with path.open("r+b") as f:
        f.seek(446)
        f.write(table.ljust(64, b"\0") + b"\x55\xaa")


# the shared images ----------------------------------------------------------------------------------


def _expected_names() -> Iterator[str]:
    listing = SHARED_IMAGES / "expected_files.json"
    if listing.is_file():
        yield from json.loads(listing.read_text())
    else:
        yield "expected_files.json missing"


@pytest.mark.parametrize("name", list(_expected_names()))
def test_every_allocated_file_matches_the_ground_truth(shared_data: Path, name: str) -> None:
    expected = _expected(shared_data)
    if name not in expected:
        pytest.skip(f"no disk images in {shared_data}")
    image = _image(shared_data, name)
    before = {p.name: _sha256_file(p) for p in _segments(image)}
    with ImageSource(image) as source:
        assert [v.layers for v in source.volumes] == [expected[name]["layers"]]
        records = list(source.walk())
        found = {
            r.path: (r.size, hashlib.sha256(_read(r)).hexdigest())
            for r in records
            if isinstance(r, ImageFile) and not r.deleted and not r.stream
        }
    files = expected[name]["allocated_files"]
    assert isinstance(files, list)
    want = {str(f["path"]).lstrip("/"): (f["size"], f["sha256"]) for f in files}
    assert found == want
    assert not [r for r in records if isinstance(r, ImageError)]
    # the source is never modified: same bytes after a full walk and read
    assert {p.name: _sha256_file(p) for p in _segments(image)} == before


def test_times_and_named_streams(shared_data: Path) -> None:
    files = _files(_walk(_image(shared_data, "ntfs_volume.E01")))
    syslog = files["Windows/System32/config/syslog"]
    assert syslog.modified == datetime(2016, 8, 6, 12, 32, 12, 663060, tzinfo=UTC)
    assert syslog.born is not None and syslog.born.tzinfo is UTC and not syslog.local_times
    assert files["$UpCase:$Info"].stream == "$Info" and files["$UpCase:$Info"].size == 32
    hfs = _files(_walk(_image(shared_data, "hfsplus.raw")))
    fork = hfs["a_directory/a_resourcefork:rsrc"]
    assert fork.stream == "rsrc" and len(_read(fork)) == fork.size > 0


def test_links_are_skipped_not_followed(shared_data: Path) -> None:
    records = _walk(_image(shared_data, "ext2.E01"))
    assert ImageSkipped("a_link", "symbolic link; not followed") in records


@pytest.mark.parametrize("name", ["mbr_fat.raw", "mbr_fat.E01"])
def test_deleted_file_in_mbr_fat_is_listed_as_deleted(shared_data: Path, name: str) -> None:
    files = _files(_walk(_image(shared_data, name)))
    gone = files["Downloads/deleted_me.txt"]
    assert gone.deleted and gone.note and "deleted" in gone.note
    assert b"HEROESKEY" in _read(gone)
    assert not any(f.deleted for path, f in files.items() if path != "Downloads/deleted_me.txt")
    # FAT times come from TSK: libfsfat 20260826 reports them a month late (2026-12-24)
    assert files["Downloads/lorem.txt"].modified == datetime(2026, 11, 24, 7, 29, 22, tzinfo=UTC)
    assert files["Downloads/lorem.txt"].local_times


# generated images: FAT and ext4 with deleted names, GPT and MBR with two partitions ----------------


def test_generated_fat_volume_lists_deleted_file(tmp_path: Path) -> None:
    _need("mkfs.vfat", "mcopy", "mdel", "mmd")
    image = tmp_path / "fat.img"
    _fat_volume(
        image,
        {
            "keep.txt": b"kept\n",
            "DCIM/photo.jpg": b"\xff\xd8 not really a jpeg",
            "DCIM/a long deleted name.jpg": b"secret\n",
            "gone.txt": b"short\n",
        },
        delete=("DCIM/a long deleted name.jpg", "gone.txt"),
    )
    with ImageSource(image) as source:
        assert [(v.layers, v.walker) for v in source.volumes] == [("OS/RAW/FAT", "pytsk3")]
        files = _files(list(source.walk()))
    # FAT overwrites the first byte of a deleted 8.3 name; TSK shows it as "_" (a long name survives)
    assert set(files) == {"keep.txt", "DCIM/photo.jpg", "DCIM/a long deleted name.jpg", "_one.txt"}
    gone = files["DCIM/a long deleted name.jpg"]
    assert gone.deleted and _read(gone) == b"secret\n"
    assert files["_one.txt"].deleted and _read(files["_one.txt"]) == b"short\n"
    assert not files["keep.txt"].deleted and _read(files["keep.txt"]) == b"kept\n"
    # mcopy -m kept the source mtime as the device's wall clock; it must come back unshifted
    assert files["keep.txt"].modified == datetime(2021, 3, 4, 5, 6, 6, tzinfo=UTC)  # FAT: 2-second steps


def test_generated_ext4_lists_deleted_file_and_odd_names(tmp_path: Path) -> None:
    _need("mkfs.ext4", "debugfs")
    image = tmp_path / "ext4.img"
    (tmp_path / "ext-src").mkdir()
    (tmp_path / "ext-src" / "link").symlink_to("/etc/passwd")
    os.mkfifo(tmp_path / "ext-src" / "pipe")
    (tmp_path / "ext-src").joinpath(os.fsdecode(b"\xff-not-utf8.txt")).write_bytes(b"odd name")
    _ext4_volume(image, {"keep.txt": b"keep me\n", "sub/gone.txt": b"delete me\n"}, delete=("sub/gone.txt",))
    records = _walk(image)
    files = _files(records)
    # libfsext refuses the whole directory over one non-UTF-8 name; TSK lists it instead, bytes kept
    assert set(files) == {"keep.txt", "sub/gone.txt", "\\xff-not-utf8.txt"}
    assert _read(files["\\xff-not-utf8.txt"]) == b"odd name"
    assert files["sub/gone.txt"].deleted and _read(files["sub/gone.txt"]) == b"delete me\n"
    assert not files["keep.txt"].deleted and files["keep.txt"].modified is not None
    assert ImageSkipped("link", "symbolic link; not followed") in records
    assert ImageSkipped("pipe", "FIFO (named pipe); not read") in records
    assert not [r for r in records if isinstance(r, ImageError)]


def test_deep_tree_is_walked_without_recursion(tmp_path: Path) -> None:
    _need("mkfs.ext4")
    source = folder = tmp_path / "ext-src"
    source.mkdir()
    for _ in range(400):
        folder = folder / "d"
        folder.mkdir()
    (folder / "leaf.txt").write_bytes(b"deep")
    image = tmp_path / "deep.img"
    _run("mkfs.ext4", "-q", "-F", "-b", "1024", "-N", "1024", "-d", str(source), str(image), "4096")
    limit = sys.getrecursionlimit()
    with ImageSource(image) as opened:
        sys.setrecursionlimit(len(inspect.stack(0)) + 150)  # far fewer frames than the tree has levels
        try:
            records = list(opened.walk())
        finally:
            sys.setrecursionlimit(limit)
    assert [r.path for r in records] == ["d/" * 400 + "leaf.txt"]


@pytest.mark.parametrize("table", ["gpt", "mbr"])
def test_two_partitions_get_prefixed_paths(tmp_path: Path, table: str) -> None:
    _need("mkfs.vfat", "mcopy", "mkfs.ext4")
    image = tmp_path / "disk.img"
    total = 16384  # 8 MiB: p1 FAT at 1 MiB (2 MiB), p2 ext4 at 3 MiB (4 MiB)
    with image.open("wb") as f:
        f.truncate(total * SECTOR)
    if table == "gpt":
        fat, linux = "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7", "0FC63DAF-8483-4772-8E79-3D69D8477DE4"
        _gpt(image, [(2048, 6143, fat), (6144, 14335, linux)], total)
    else:
        _mbr(image, [(2048, 4096, 0x01), (6144, 8192, 0x83)])
    _fat_volume(image, {"one.txt": b"one"}, offset=2048 * SECTOR)
    _ext4_volume(image, {"two.txt": b"two"}, offset=6144 * SECTOR)
    with ImageSource(image) as source:
        kind = "GPT" if table == "gpt" else "TSK_PARTITION"
        assert [(v.prefix, v.layers) for v in source.volumes] == [
            ("p1", f"OS/RAW/{kind}/FAT"),
            ("p2", f"OS/RAW/{kind}/EXT"),
        ]
        files = _files(list(source.walk()))
    assert {path: _read(f) for path, f in files.items()} == {"p1/one.txt": b"one", "p2/two.txt": b"two"}


# damage ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["mbr_fat.raw", "mbr_fat.E01", "ext2.vmdk", "ext2.qcow2", "ntfs_volume.E01"])
def test_truncated_image_gives_records_or_value_error(shared_data: Path, tmp_path: Path, name: str) -> None:
    original = _image(shared_data, name).read_bytes()
    for fraction in (0.05, 0.5, 0.9):
        copy = tmp_path / f"{fraction}-{name}"
        copy.write_bytes(original[: int(len(original) * fraction)])
        try:
            source = ImageSource(copy)
        except ValueError as exc:
            assert str(copy) in str(exc) and "cannot open" in str(exc)
            continue
        with source:
            records = list(source.walk())
            for record in records:
                if isinstance(record, ImageFile):
                    try:
                        _read(record)
                    except OSError as exc:
                        assert record.path in str(exc)
        for record in records:
            if isinstance(record, ImageError):
                assert record.reason


def test_truncated_data_is_a_read_error_not_short_content(tmp_path: Path) -> None:
    _need("mkfs.vfat", "mcopy")
    image = tmp_path / "fat.img"
    big = os.urandom(600 * 1024)
    _fat_volume(image, {"big.bin": big})
    data = image.read_bytes()
    cut = data.index(big[:4096]) + 300 * 1024  # keep the file's first half only
    image.write_bytes(data[:cut])
    files = _files(_walk(image))
    assert files["big.bin"].size == len(big)
    with pytest.raises(OSError, match=r"big\.bin"):
        _read(files["big.bin"])


def test_damaged_partition_table_entry_does_not_stop_the_walk(shared_data: Path, tmp_path: Path) -> None:
    image = tmp_path / "mbr.raw"
    shutil.copy(_image(shared_data, "mbr_fat.raw"), image)
    with image.open("r+b") as f:  # a second partition that starts near the end and runs far past it
        f.seek(446 + 16)
        f.write(struct.pack("<B3sB3sII", 0, b"\0\0\0", 0x83, b"\0\0\0", 5000, 100000))
    records = _walk(image)
    files = _files(records)
    assert "p1/Downloads/lorem.txt" in files and _read(files["p1/Downloads/lorem.txt"]).startswith(b"Lorem")
    assert ImageSkipped("p2", "no supported file system found in this volume; not read") in records


def test_not_a_disk_image_raises_value_error(tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("just text\n" * 100)
    noise = tmp_path / "noise.bin"
    noise.write_bytes(os.urandom(100_000))
    for path in (text, noise, tmp_path, tmp_path / "missing.E01"):
        with pytest.raises(ValueError, match=re.escape(str(path))):
            ImageSource(path)
        assert not is_disk_image(path)


def test_is_disk_image_recognises_first_segments_only(shared_data: Path) -> None:
    for name in _expected(shared_data):
        assert is_disk_image(_image(shared_data, name)), name
    assert not is_disk_image(_image(shared_data, "ext2.split.E02"))
    assert not is_disk_image(_image(shared_data, "ext2.splitraw.001"))
    assert not is_disk_image(shared_data / "disk_images" / "SOURCE.txt")


# acquisition hashes ---------------------------------------------------------------------------------


def test_acquisition_hashes_of_raw_are_hashlib_over_the_bytes(shared_data: Path, tmp_path: Path) -> None:
    for image in (_image(shared_data, "mbr_fat.raw"), tmp_path / "fat.img"):
        if not image.exists():
            _need("mkfs.vfat")
            _fat_volume(image, {})
        data = image.read_bytes()
        hashes = acquisition_hashes(image)
        assert hashes["format"] == "RAW" and hashes["segments"] == [str(image)]
        assert hashes["md5"] == hashlib.md5(data).hexdigest()
        assert hashes["sha1"] == hashlib.sha1(data).hexdigest()
        assert hashes["media_size"] == len(data) and hashes["matches_stored"] is None


def test_acquisition_hashes_agree_across_containers(shared_data: Path) -> None:
    single = acquisition_hashes(_image(shared_data, "ext2.E01"))
    split = acquisition_hashes(_image(shared_data, "ext2.split.E01"))
    raw = acquisition_hashes(_image(shared_data, "ext2.splitraw.000"))
    assert len(single["segments"]) == 1 and len(split["segments"]) == 2 and len(raw["segments"]) == 2
    assert single["format"] == split["format"] == "EWF"
    assert single["md5"] == split["md5"] == raw["md5"] == single["stored_md5"] == split["stored_md5"]
    assert single["sha1"] == split["sha1"] == raw["sha1"]
    assert single["matches_stored"] is split["matches_stored"] is True
    concatenated = b"".join(p.read_bytes() for p in _segments(_image(shared_data, "ext2.splitraw.000")))
    assert raw["md5"] == hashlib.md5(concatenated).hexdigest()
    fat_raw = acquisition_hashes(_image(shared_data, "mbr_fat.raw"))
    fat_ewf = acquisition_hashes(_image(shared_data, "mbr_fat.E01"))
    assert (fat_raw["md5"], fat_raw["sha1"]) == (fat_ewf["md5"], fat_ewf["sha1"])


def test_acquisition_hashes_notice_a_changed_image(shared_data: Path, tmp_path: Path) -> None:
    raw = tmp_path / "disk.raw"
    shutil.copy(_image(shared_data, "mbr_fat.raw"), raw)
    before = acquisition_hashes(raw)
    with raw.open("r+b") as f:
        f.seek(2 * 1024 * 1024)
        old = f.read(1)
        f.seek(-1, os.SEEK_CUR)
        f.write(bytes([old[0] ^ 0xFF]))
    after = acquisition_hashes(raw)
    assert before["md5"] != after["md5"] and before["sha1"] != after["sha1"]
    ewf = tmp_path / "disk.E01"
    data = bytearray(_image(shared_data, "mbr_fat.E01").read_bytes())
    data[len(data) // 2] ^= 0xFF
    ewf.write_bytes(bytes(data))
    try:
        changed = acquisition_hashes(ewf)
    except ValueError as exc:
        assert str(ewf) in str(exc)
    else:
        assert changed["matches_stored"] is not True
