"""Archive members in memory, with limits: every archive here is generated (or hand-crafted) in the test."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import random
import stat
import struct
import tarfile
import zipfile
import zlib
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from heroes.triage.archives import ArchiveError, ArchiveLimits, Member, archive_format, iter_members

TIGHT = ArchiveLimits(max_ratio=100, ratio_grace_bytes=0, max_member_bytes=4 * 1024 * 1024)


# ---------------------------------------------------------------------------------------------
# Builders


def _zip(files: Iterable[tuple[str, bytes]], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as archive:
        for name, data in files:
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 2, 3, 4, 6))
            info.compress_type = method
            archive.writestr(info, data)
    return out.getvalue()


def _tar(files: Iterable[tarfile.TarInfo | tuple[str, bytes]], mode: str = "w") -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode=mode) as archive:  # type: ignore[call-overload]
        for entry in files:
            if isinstance(entry, tarfile.TarInfo):
                archive.addfile(entry)
                continue
            name, data = entry
            info = tarfile.TarInfo(name)
            info.size, info.mtime = len(data), 1_600_000_000
            archive.addfile(info, io.BytesIO(data))
    return out.getvalue()


def _special(name: str, kind: bytes, target: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname, info.mtime = kind, target, 1_600_000_000
    return info


def _walk(
    source: bytes, path: str = "case.bin", limits: ArchiveLimits = TIGHT, kind: str | None = None
) -> list[Member | ArchiveError]:
    return list(iter_members(source, kind, path, limits))


def _members(results: list[Member | ArchiveError]) -> dict[str, Member]:
    return {r.path: r for r in results if isinstance(r, Member)}


def _errors(results: list[Member | ArchiveError]) -> list[ArchiveError]:
    return [r for r in results if isinstance(r, ArchiveError)]


def _text(size: int, seed: int = 1) -> bytes:
    """Incompressible enough that the ratio limit never fires on it."""
    return random.Random(seed).randbytes(size)


# ---------------------------------------------------------------------------------------------
# Normal archives


def test_zip_inside_tar_gz() -> None:
    inner = _zip([("img/1.jpg", b"jpeg-bytes"), ("notes.txt", b"hello")])
    outer = _tar([("sdcard/chats.zip", inner), ("sdcard/readme.txt", b"top")], mode="w:gz")
    results = _walk(outer, "phone.tar.gz")
    assert _errors(results) == []
    members = _members(results)
    assert list(members) == [
        "phone.tar.gz!/sdcard/chats.zip",
        "phone.tar.gz!/sdcard/chats.zip!/img/1.jpg",
        "phone.tar.gz!/sdcard/chats.zip!/notes.txt",
        "phone.tar.gz!/sdcard/readme.txt",
    ]
    jpeg = members["phone.tar.gz!/sdcard/chats.zip!/img/1.jpg"]
    assert (jpeg.data, jpeg.size, jpeg.depth, jpeg.name, jpeg.kind) == (
        b"jpeg-bytes",
        10,
        1,
        "img/1.jpg",
        "file",
    )
    assert jpeg.mtime == datetime(2020, 1, 2, 3, 4, 6)  # zip DOS time: local, zone unknown
    assert jpeg.compressed_size is not None
    zipped = members["phone.tar.gz!/sdcard/chats.zip"]
    assert zipped.data == inner and zipped.depth == 0
    assert zipped.mtime == datetime.fromtimestamp(1_600_000_000, UTC)


@pytest.mark.parametrize("mode", ["w", "w:gz", "w:bz2", "w:xz"])
def test_tar_in_every_compression(mode: str) -> None:
    data = _tar([("a.txt", b"alpha"), ("b/c.txt", b"gamma" * 1000)], mode=mode)
    members = _members(_walk(data, "x.tar"))
    assert {p: m.data for p, m in members.items()} == {
        "x.tar!/a.txt": b"alpha",
        "x.tar!/b/c.txt": b"gamma" * 1000,
    }


@pytest.mark.parametrize(
    ("compress", "container", "inner"),
    [
        (lambda d: gzip.compress(d, mtime=1_600_000_000), "notes.txt.gz", "notes.txt"),
        (bz2.compress, "notes.txt.bz2", "notes.txt"),
        (lzma.compress, "notes.txt.xz", "notes.txt"),
        (bz2.compress, "blob", "blob.out"),
    ],
)
def test_single_compressed_file(compress: object, container: str, inner: str) -> None:
    results = _walk(compress(b"some text " * 50), container)  # type: ignore[operator]
    (member,) = results
    assert isinstance(member, Member)
    assert (member.path, member.data) == (f"{container}!/{inner}", b"some text " * 50)


def test_gzip_header_name_and_time() -> None:
    out = io.BytesIO()
    with gzip.GzipFile("original name.jpg", "wb", fileobj=out, mtime=1_500_000_000) as handle:
        handle.write(b"payload")
    (member,) = _walk(out.getvalue(), "download.bin")
    assert isinstance(member, Member)
    assert member.path == "download.bin!/original name.jpg"
    assert member.mtime == datetime.fromtimestamp(1_500_000_000, UTC)


def test_concatenated_gzip_members() -> None:
    data = gzip.compress(b"part one, ") + gzip.compress(b"part two")
    (member,) = _walk(data, "log.gz")
    assert isinstance(member, Member) and member.data == b"part one, part two"


def test_kind_opens_a_zip_with_a_prefix() -> None:
    sfx = b"MZ" + b"\x00" * 510 + _zip([("setup.ini", b"[x]")])
    assert archive_format(sfx) is None
    assert _errors(_walk(sfx)) != []  # nothing says it's a zip
    members = _members(_walk(sfx, kind="application/zip"))
    assert [m.data for m in members.values()] == [b"[x]"]
    docx = _zip([("word/document.xml", b"<w/>")])
    assert _members(
        _walk(docx, kind="application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    )


def test_real_file_stream_and_mmap_recovery(tmp_path: Path) -> None:
    data = _zip([("a.txt", b"alpha"), ("b.txt", b"beta")])
    whole, cut = tmp_path / "whole.zip", tmp_path / "cut.zip"
    whole.write_bytes(data)
    cut.write_bytes(data[: data.index(b"PK\x01\x02")])
    with whole.open("rb") as handle:
        assert [m.data for m in _members(list(iter_members(handle, None, "whole.zip"))).values()] == [
            b"alpha",
            b"beta",
        ]
    with cut.open("rb") as handle:
        results = list(iter_members(handle, None, "cut.zip"))
    assert [m.data for m in _members(results).values()] == [b"alpha", b"beta"]


# ---------------------------------------------------------------------------------------------
# Hostile names and special members


def test_traversal_and_absolute_names_in_zip_and_tar() -> None:
    names = [
        "../../etc/passwd",
        "/abs/file.txt",
        "C:\\Windows\\evil.dll",
        "ok/../../up.txt",
        "bad\x07name",
        "..",
        "./",
    ]
    for data, container in [
        (_zip([(n, b"x") for n in names], zipfile.ZIP_STORED), "a.zip"),
        (_tar([(n, b"x") for n in names]), "a.tar"),
    ]:
        members = {m.name: m for m in _members(_walk(data, container)).values()}
        passwd = members["../../etc/passwd"]
        assert passwd.path == f"{container}!/etc/passwd" and passwd.flags == (
            "parent-directory traversal (..)",
        )
        absolute = members["/abs/file.txt"]
        assert absolute.path == f"{container}!/abs/file.txt" and absolute.flags == ("absolute path",)
        drive = members["C:\\Windows\\evil.dll"]
        assert drive.path == f"{container}!/Windows/evil.dll" and drive.flags == ("absolute path (drive C:)",)
        assert members["ok/../../up.txt"].path == f"{container}!/up.txt"
        assert members["bad\x07name"].path == f"{container}!/bad\\x07name"
        assert "control characters in name" in members["bad\x07name"].flags
        assert members[".."].path == f"{container}!/_" and "empty name" in members[".."].flags
        if (
            container == "a.tar"
        ):  # zipfile calls "./" a folder; tar keeps it as a file that folds into "_" again
            assert members["./"].path == "a.tar!/_ [duplicate 2]" and "duplicate name" in members["./"].flags
        for member in members.values():
            assert ".." not in member.path.split("/") and "!//" not in member.path


def test_links_and_devices_in_tar_are_reported_not_followed() -> None:
    data = _tar(
        [
            ("real.txt", b"content"),
            _special("link", tarfile.SYMTYPE, "/etc/shadow"),
            _special("hard", tarfile.LNKTYPE, "real.txt"),
            _special("dev/sda", tarfile.BLKTYPE),
            _special("dev/tty", tarfile.CHRTYPE),
            _special("pipe", tarfile.FIFOTYPE),
            ("after.txt", b"still here"),
        ]
    )
    members = _members(_walk(data, "t.tar"))
    assert {p.removeprefix("t.tar!/"): (m.kind, m.link_target, m.data) for p, m in members.items()} == {
        "real.txt": ("file", None, b"content"),
        "link": ("symlink", "/etc/shadow", None),
        "hard": ("hardlink", "real.txt", None),
        "dev/sda": ("device", None, None),
        "dev/tty": ("device", None, None),
        "pipe": ("fifo", None, None),
        "after.txt": ("file", None, b"still here"),
    }


def test_symlink_in_zip() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        link = zipfile.ZipInfo("link")
        link.create_system, link.external_attr = 3, (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "../../../../etc/passwd")
        archive.writestr("plain.txt", "x")
    members = _members(_walk(out.getvalue(), "l.zip"))
    assert members["l.zip!/link"].kind == "symlink"
    assert members["l.zip!/link"].link_target == "../../../../etc/passwd"
    assert members["l.zip!/link"].data is None and members["l.zip!/plain.txt"].data == b"x"


# ---------------------------------------------------------------------------------------------
# Bombs and limits


def test_classic_zip_bomb_is_refused_and_the_rest_comes_out() -> None:
    data = _zip([("before.txt", b"a"), ("bomb.bin", b"\x00" * 3_000_000), ("after.txt", b"b")])
    assert len(data) < 10_000
    results = _walk(data, "b.zip")
    assert [m.data for m in _members(results).values()] == [b"a", b"b"]
    (error,) = _errors(results)
    assert error.path == "b.zip!/bomb.bin"
    assert error.message.startswith("zip bomb suspected: member bomb.bin expands beyond ratio 100")


def _patch_declared_size(data: bytes, name: bytes, size: int) -> bytes:
    """Make both headers of a member lie about its uncompressed size."""
    patched = bytearray(data)
    local = patched.index(b"PK\x03\x04" + patched[4:6])  # first local header
    while local >= 0:
        name_len = struct.unpack("<H", patched[local + 26 : local + 28])[0]
        if patched[local + 30 : local + 30 + name_len] == name:
            patched[local + 22 : local + 26] = struct.pack("<I", size)
        local = patched.find(b"PK\x03\x04", local + 4)
    central = patched.find(b"PK\x01\x02")
    while central >= 0:
        name_len = struct.unpack("<H", patched[central + 28 : central + 30])[0]
        if patched[central + 46 : central + 46 + name_len] == name:
            patched[central + 24 : central + 28] = struct.pack("<I", size)
        central = patched.find(b"PK\x01\x02", central + 4)
    return bytes(patched)


def test_declared_size_is_not_trusted() -> None:
    honest = _zip([("bomb.bin", b"\x00" * 3_000_000), ("after.txt", b"b")])
    lying = _patch_declared_size(honest, b"bomb.bin", 100_000)  # passes the declared-ratio check
    results = _walk(lying, "l.zip")
    (error,) = _errors(results)
    assert error.path == "l.zip!/bomb.bin" and "damaged" in error.message
    assert [m.data for m in _members(results).values()] == [b"b"]
    # The same lie without a central directory: our own streaming inflater stops at the declared size.
    results = _walk(lying[: lying.index(b"PK\x01\x02")], "l.zip")
    assert any("expands beyond its declared size of 100,000 bytes" in e.message for e in _errors(results))
    assert [m.data for m in _members(results).values()] == [b"b"]


class _Pipe(io.RawIOBase):
    """A write-only, unseekable sink: zipfile then writes data descriptors instead of sizes."""

    def __init__(self) -> None:
        super().__init__()
        self.data = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, chunk: bytes) -> int:  # type: ignore[override]
        self.data += chunk
        return len(chunk)

    def seekable(self) -> bool:
        return False

    def tell(self) -> int:
        raise OSError("unseekable")


def test_bomb_without_declared_sizes_is_stopped_by_the_ratio() -> None:
    pipe = _Pipe()
    with zipfile.ZipFile(pipe, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("before.txt", b"x" * 10)
        archive.writestr("bomb.bin", b"\x00" * 3_000_000)
        archive.writestr("after.txt", b"y" * 10)
    data = bytes(pipe.data)
    assert struct.unpack("<H", data[6:8])[0] & 0x8  # sizes are in data descriptors, not in the header
    results = _walk(data[: data.index(b"PK\x01\x02")], "s.zip")  # central directory gone
    assert [m.data for m in _members(results).values()] == [b"x" * 10, b"y" * 10]
    errors = _errors(results)
    assert "central directory unreadable" in errors[0].message
    assert errors[1].path == "s.zip!/bomb.bin" and "zip bomb suspected: member bomb.bin" in errors[1].message
    assert "reached" in errors[1].message


def test_gzip_bomb_and_tar_gz_bomb() -> None:
    (error,) = _walk(gzip.compress(b"\x00" * 3_000_000), "z.gz")
    assert isinstance(error, ArchiveError)
    assert error.message.startswith("decompression bomb suspected: z.gz expands beyond ratio 100")
    bomb = _tar([("first.txt", b"ok"), ("zeros.bin", b"\x00" * 3_000_000), ("last.txt", b"never")], "w:gz")
    results = _walk(bomb, "t.tar.gz")
    assert [m.path for m in _members(results).values()] == ["t.tar.gz!/first.txt"]
    assert "decompression bomb suspected" in _errors(results)[0].message


def test_ratio_grace_lets_small_sparse_files_through() -> None:
    data = _zip([("sparse.txt", b" " * 200_000)])
    assert _errors(_walk(data, limits=ArchiveLimits())) == []
    assert _errors(_walk(data, limits=TIGHT))


def test_member_size_limit_skips_one_member() -> None:
    limits = ArchiveLimits(max_member_bytes=1000)
    data = _tar([("small.txt", b"a" * 10), ("big.bin", _text(5000)), ("small2.txt", b"b" * 10)])
    results = _walk(data, "m.tar", limits)
    assert [m.data for m in _members(results).values()] == [b"a" * 10, b"b" * 10]
    assert "over the 1,000-byte limit" in _errors(results)[0].message
    zipped = _zip([("big.bin", _text(5000)), ("small.txt", b"c")])
    assert [m.data for m in _members(_walk(zipped, limits=limits)).values()] == [b"c"]
    assert len(_errors(_walk(gzip.compress(_text(5000)), limits=limits))) == 1


def test_total_budget_stops_the_walk() -> None:
    limits = ArchiveLimits(max_total_bytes=1_000_000)
    data = _tar([("a.bin", _text(600_000, 1)), ("b.bin", _text(600_000, 2)), ("c.bin", b"c")])
    results = _walk(data, "t.tar", limits)
    assert [m.path for m in _members(results).values()] == ["t.tar!/a.bin"]
    (error,) = _errors(results)
    assert (
        error.path == "t.tar!/b.bin"
        and "total decompression budget of 1,000,000 bytes spent" in error.message
    )


def test_member_count_limit() -> None:
    data = _zip([(f"f{i}.txt", b"x") for i in range(10)])
    results = _walk(data, "many.zip", ArchiveLimits(max_members=5))
    assert len(_members(results)) == 5
    errors = _errors(results)
    assert "declares 10 entries" in errors[0].message and "member limit of 5 reached" in errors[-1].message
    results = _walk(_tar([(f"f{i}", b"x") for i in range(10)]), "many.tar", ArchiveLimits(max_members=5))
    assert len(_members(results)) == 5 and "member limit" in _errors(results)[0].message


def test_deep_nesting_stops_at_max_depth() -> None:
    data = _zip([("leaf.txt", b"leaf")])
    for level in range(1, 7):
        data = _zip([(f"n{level}.zip", data)])
    results = _walk(data, "q.zip", ArchiveLimits(max_depth=3))
    members = _members(results)
    assert [(m.path.rsplit("!/", 1)[-1], m.depth) for m in members.values()] == [
        ("n6.zip", 0),
        ("n5.zip", 1),
        ("n4.zip", 2),
        ("n3.zip", 3),
    ]
    (error,) = _errors(results)
    assert error.path == "q.zip!/n6.zip!/n5.zip!/n4.zip!/n3.zip"
    assert error.message == "nested zip archive not opened: depth limit 3 reached"
    assert len(_members(_walk(data, "q.zip", ArchiveLimits(max_depth=0)))) == 1


def test_duplicate_names_stay_apart() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("same.txt", "first")
        with pytest.warns(UserWarning):
            archive.writestr("same.txt", "second")
    members = _members(_walk(out.getvalue(), "d.zip"))
    assert {p: m.data for p, m in members.items()} == {
        "d.zip!/same.txt": b"first",
        "d.zip!/same.txt [duplicate 2]": b"second",
    }


def test_overlapping_zip_entries() -> None:
    data = bytearray(_zip([("a.bin", b"a" * 100), ("b.bin", b"b" * 100)], zipfile.ZIP_STORED))
    second = data.index(b"PK\x01\x02", data.index(b"PK\x01\x02") + 4)
    data[second + 42 : second + 46] = struct.pack("<I", 0)  # b.bin's data "is" a.bin's
    results = _walk(bytes(data), "o.zip")
    (error,) = _errors(results)
    assert error.path == "o.zip!/b.bin" and "overlaps" in error.message
    assert [m.data for m in _members(results).values()] == [b"a" * 100]


# ---------------------------------------------------------------------------------------------
# Encryption and damage


_CRC_TABLE = [0] * 256
for _i in range(256):
    _c = _i
    for _ in range(8):
        _c = (_c >> 1) ^ 0xEDB88320 if _c & 1 else _c >> 1
    _CRC_TABLE[_i] = _c


def _zipcrypto(plain: bytes, password: bytes, check: int) -> bytes:
    """Traditional PKWARE encryption (APPNOTE 6.1), which zipfile can decrypt but not write."""
    keys = [0x12345678, 0x23456789, 0x34567890]

    def update(byte: int) -> None:
        keys[0] = (keys[0] >> 8) ^ _CRC_TABLE[(keys[0] ^ byte) & 0xFF]
        keys[1] = ((keys[1] + (keys[0] & 0xFF)) * 134775813 + 1) & 0xFFFFFFFF
        keys[2] = (keys[2] >> 8) ^ _CRC_TABLE[(keys[2] ^ (keys[1] >> 24)) & 0xFF]

    for byte in password:
        update(byte)
    out = bytearray()
    for byte in bytes(11) + bytes([check]) + plain:
        temp = (keys[2] | 2) & 0xFFFF
        out.append(byte ^ (((temp * (temp ^ 1)) >> 8) & 0xFF))
        update(byte)
    return bytes(out)


def _raw_zip(entries: list[tuple[str, bytes, int, int, int]]) -> bytes:
    """A stored zip from (name, stored bytes, flag bits, crc, uncompressed size) entries."""
    body, central = bytearray(), bytearray()
    for name, stored, flags, crc, size in entries:
        encoded = name.encode()
        fields = struct.pack("<HHHHHIII", 20, flags, 0, 0, 0x5021, crc, len(stored), size)
        central += b"PK\x01\x02" + struct.pack("<H", 20) + fields
        central += struct.pack("<HHHHHII", len(encoded), 0, 0, 0, 0, 0, len(body)) + encoded
        body += b"PK\x03\x04" + fields + struct.pack("<HH", len(encoded), 0) + encoded + stored
    end = struct.pack(
        "<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(entries), len(entries), len(central), len(body), 0
    )
    return bytes(body + central + end)


def _encrypted_zip() -> bytes:
    secret, plain = b"the secret", b"plain member"
    crc = zlib.crc32(secret)
    return _raw_zip(
        [
            ("secret.txt", _zipcrypto(secret, b"pw", crc >> 24), 0x1, crc, len(secret)),
            ("plain.txt", plain, 0, zlib.crc32(plain), len(plain)),
        ]
    )


def test_encrypted_member_is_reported_not_opened() -> None:
    data = _encrypted_zip()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:  # the crafted member is genuinely encrypted
        assert archive.read("secret.txt", pwd=b"pw") == b"the secret"
    for payload in (data, data[: data.index(b"PK\x01\x02")]):  # with and without a central directory
        results = _walk(payload, "e.zip")
        assert [e.message for e in _errors(results) if e.path == "e.zip!/secret.txt"] == [
            "encrypted, not opened"
        ]
        assert [m.data for m in _members(results).values()] == [b"plain member"]


def test_truncated_zip_gives_the_members_before_the_cut() -> None:
    data = _zip([("a.txt", b"alpha" * 20), ("b.txt", b"beta"), ("c.bin", _text(50_000))])
    cut = data[: data.index(b"c.bin") + 1000]
    results = _walk(cut, "t.zip")
    assert [m.data for m in _members(results).values()] == [b"alpha" * 20, b"beta"]
    errors = _errors(results)
    assert errors[0].path == "t.zip" and "central directory unreadable" in errors[0].message
    assert errors[1].path == "t.zip!/c.bin" and "truncated" in errors[1].message
    assert errors[1].offset == data.index(b"PK\x03\x04", data.index(b"b.txt"))


def test_wrong_crc_spoils_one_member() -> None:
    data = _zip(
        [("good.txt", b"fine"), ("bad.txt", b"hello world"), ("last.txt", b"end")], zipfile.ZIP_STORED
    )
    broken = data.replace(b"hello world", b"hellO world")
    for payload in (broken, broken[: broken.index(b"PK\x01\x02")]):
        results = _walk(payload, "c.zip")
        (error,) = [e for e in _errors(results) if e.path == "c.zip!/bad.txt"]
        assert "CRC" in error.message and error.offset is not None
        assert [m.data for m in _members(results).values()] == [b"fine", b"end"]


def test_unsupported_compression_method() -> None:
    data = bytearray(_zip([("odd.bin", b"o" * 100), ("fine.txt", b"fine")], zipfile.ZIP_STORED))
    data[8:10] = struct.pack("<H", 9)  # Deflate64, which zipfile cannot read
    central = data.index(b"PK\x01\x02")
    data[central + 10 : central + 12] = struct.pack("<H", 9)
    for payload in (bytes(data), bytes(data[:central])):
        results = _walk(payload, "m.zip")
        (error,) = _errors(results)[-1:]
        assert error.path == "m.zip!/odd.bin" and "compression method 9 not supported" in error.message
        assert [m.data for m in _members(results).values()] == [b"fine"]


def test_damaged_tar_header_is_skipped_and_reported() -> None:
    data = bytearray(_tar([("one", b"1" * 1000), ("two", b"2" * 1000), ("three", b"3" * 1000)]))
    second = 512 + 1024
    assert data[second : second + 3] == b"two"
    data[second + 148 : second + 156] = b"9999999\x00"  # checksum no longer matches
    results = _walk(bytes(data), "d.tar")
    assert [m.path for m in _members(results).values()] == ["d.tar!/one", "d.tar!/three"]
    (error,) = _errors(results)
    assert error.offset == second and "1,536 bytes skipped" in error.message


def test_data_appended_to_a_tar_is_reported() -> None:
    clean = _tar([("one", b"1" * 100)])
    assert _errors(_walk(clean, "a.tar")) == []
    results = _walk(clean + b"hidden payload", "a.tar")
    assert [m.path for m in _members(results).values()] == ["a.tar!/one"]
    (error,) = _errors(results)
    assert error.offset == len(clean) and "not tar headers" in error.message
    (garbage,) = _walk(_text(4096), "x.tar", kind="application/x-tar")
    assert isinstance(garbage, ArchiveError) and garbage.offset == 0


def test_truncated_tar_and_tar_gz() -> None:
    plain = _tar([("one", b"1" * 1000), ("two", _text(20_000))])
    results = _walk(plain[:5000], "t.tar")
    assert [m.path for m in _members(results).values()] == ["t.tar!/one"]
    assert "cut off" in _errors(results)[0].message
    packed = _tar([("one", b"1" * 1000), ("two", _text(20_000))], "w:gz")
    results = _walk(packed[: len(packed) // 2], "t.tar.gz")
    assert [m.path for m in _members(results).values()] == ["t.tar.gz!/one"]
    assert "truncated" in _errors(results)[0].message


def test_corrupt_gzip_data() -> None:
    data = bytearray(gzip.compress(_text(10_000)))
    data[100:120] = bytes(20)
    (error,) = _walk(bytes(data), "c.gz")
    assert isinstance(error, ArchiveError) and "corrupt" in error.message


def test_formats_not_opened() -> None:
    (seven,) = _walk(b"7z\xbc\xaf\x27\x1c" + bytes(100), "a.7z")
    assert isinstance(seven, ArchiveError) and seven.message.startswith("7z archive not opened")
    (rar,) = _walk(b"Rar!\x1a\x07\x01\x00" + bytes(100), "a.rar")
    assert isinstance(rar, ArchiveError)
    (other,) = _walk(b"just text", "a.txt", kind="text/plain")
    assert isinstance(other, ArchiveError) and "not an archive format" in other.message


def test_limits_are_validated() -> None:
    for bad in ({"max_members": 0}, {"max_ratio": 0.5}, {"max_depth": 99}, {"ratio_grace_bytes": -1}):
        with pytest.raises(ValueError):
            ArchiveLimits(**bad)


def test_error_text() -> None:
    assert str(ArchiveError("a.zip!/x", "encrypted, not opened", 1234)) == (
        "a.zip!/x: encrypted, not opened (at byte 1,234)"
    )


# ---------------------------------------------------------------------------------------------
# Fuzz: hostile bytes never raise


_SEEDS = [
    _zip([("a.txt", b"alpha" * 50), ("n.zip", _zip([("b.txt", b"beta")]))]),
    _tar([("a.txt", b"alpha" * 50), ("l", b"x")], "w:gz"),
    _tar([("a.txt", b"alpha" * 50)]),
    _encrypted_zip(),
]


@settings(max_examples=120, deadline=None)
@given(st.binary(max_size=1024), st.sampled_from([None, "zip", "tar", "gzip", "bzip2", "xz"]))
def test_fuzz_random_bytes(data: bytes, kind: str | None) -> None:
    for result in iter_members(data, kind, "f", TIGHT):
        assert isinstance(result, Member | ArchiveError)


@settings(max_examples=250, deadline=None)
@given(
    st.sampled_from(range(len(_SEEDS))),
    st.lists(st.tuples(st.integers(0, 4000), st.integers(0, 255)), min_size=1, max_size=8),
    st.integers(0, 4000),
)
def test_fuzz_mutated_archives(seed: int, flips: list[tuple[int, int]], cut: int) -> None:
    data = bytearray(_SEEDS[seed])
    for offset, value in flips:
        data[offset % len(data)] = value
    payload = bytes(data[: len(data) - cut % len(data)])
    for result in iter_members(payload, None, "f", TIGHT):
        assert isinstance(result, Member | ArchiveError)
        if isinstance(result, Member) and result.data is not None:
            assert len(result.data) <= TIGHT.max_member_bytes


def test_nothing_touches_the_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    _walk(_tar([("../escape.txt", b"x"), ("/tmp/abs.txt", b"y")], "w:gz"), "t.tar.gz")
    _walk(_zip([("../escape.txt", b"x")]), "t.zip")
    assert os.listdir(tmp_path) == []
