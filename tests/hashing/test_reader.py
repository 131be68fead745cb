"""Reading files once, read-only, and turning every kind of bad input into a clear error."""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image

from heroes.config import Settings
from heroes.hashing import reader
from heroes.hashing.reader import hash_file
from heroes.plugins import hashers


def _hash(path: Path | bytes, settings: Settings):  # type: ignore[no-untyped-def]
    return hash_file(path if isinstance(path, bytes) else bytes(path), settings, hashers())


def test_crypto_hashes_equal_hashlib_and_the_file_is_read_once(
    tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = os.urandom(3 * 1024 * 1024 + 17)
    path = tmp_path / "blob.bin"
    path.write_bytes(data)
    read_bytes = 0
    real_read = os.read

    def counting_read(fd: int, n: int) -> bytes:
        nonlocal read_bytes
        chunk = real_read(fd, n)
        read_bytes += len(chunk)
        return chunk

    monkeypatch.setattr(reader.os, "read", counting_read)
    result = _hash(path, settings)
    assert result.get("md5") == hashlib.md5(data).hexdigest()
    assert result.get("sha1") == hashlib.sha1(data).hexdigest()
    assert result.get("sha256") == hashlib.sha256(data).hexdigest()
    assert read_bytes == len(data), "one read of the file must feed all three digests"
    assert result.size == len(data) and result.error is None


def test_large_files_stream_in_chunks(tmp_path: Path, settings: Settings) -> None:
    import dataclasses

    small = dataclasses.replace(settings, whole_file_bytes=1024, read_chunk_bytes=4096)
    data = os.urandom(200_000)
    path = tmp_path / "big.bin"
    path.write_bytes(data)
    assert _hash(path, small).get("sha256") == hashlib.sha256(data).hexdigest()


def test_reading_does_not_change_the_evidence(make_image: Callable[..., Path], settings: Settings) -> None:
    path = make_image("photo.jpg", 1)
    os.utime(path, (1_000_000_000, 1_000_000_000))
    before = path.stat()
    content = path.read_bytes()
    os.utime(path, (1_000_000_000, 1_000_000_000))
    _hash(path, settings)
    after = path.stat()
    assert path.read_bytes() == content
    assert (after.st_mtime, after.st_atime) == (before.st_mtime, before.st_atime)


def test_truncated_jpeg_gives_a_decode_error_but_keeps_exact_hashes(
    make_image: Callable[..., Path], settings: Settings
) -> None:
    path = make_image("whole.jpg", 2)
    truncated = path.with_name("truncated.jpg")
    truncated.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    result = _hash(truncated, settings)
    assert result.error and "pdq" in result.error and "decod" in result.error
    assert result.error_plugin == "pdq"
    assert result.get("sha256") == hashlib.sha256(truncated.read_bytes()).hexdigest()


def test_corrupt_image_bytes(make_image: Callable[..., Path], settings: Settings) -> None:
    path = make_image("corrupt.png", 3, "PNG")
    data = bytearray(path.read_bytes())
    data[100:4000] = os.urandom(3900)  # keep the signature and header, scramble the compressed data
    path.write_bytes(bytes(data))
    result = _hash(path, settings)
    assert result.mime == "image/png"
    assert result.error and result.error.startswith("pdq:")


def test_zero_byte_file(tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / "empty.jpg"
    path.write_bytes(b"")
    result = _hash(path, settings)
    assert result.get("md5") == hashlib.md5(b"").hexdigest()
    assert result.get("pdq") is None and result.error is None
    assert result.warnings and "zero-byte" in result.warnings[0]


def test_decompression_bomb_is_refused_without_decoding(tmp_path: Path, settings: Settings) -> None:
    import dataclasses

    path = tmp_path / "bomb.png"
    Image.new("L", (6000, 6000)).save(path, optimize=True)  # 36 Mpx that compress to a few KB
    assert path.stat().st_size < 200_000
    strict = dataclasses.replace(settings, max_image_pixels=10_000_000)
    result = _hash(path, strict)
    assert result.error and "decompression bomb" in result.error
    assert result.get("sha256")  # still recorded exactly


def test_extension_that_lies_is_typed_by_content(
    make_image: Callable[..., Path], tmp_path: Path, settings: Settings
) -> None:
    disguised = tmp_path / "invoice.pdf"
    disguised.write_bytes(make_image("x.jpg", 4).read_bytes())
    text_as_jpeg = tmp_path / "holiday.jpg"
    text_as_jpeg.write_text("just some text\n")
    a, b = _hash(disguised, settings), _hash(text_as_jpeg, settings)
    assert a.mime == "image/jpeg" and a.get("pdq")
    assert b.mime == "text/plain" and b.get("pdq") is None and b.error is None


def test_unreadable_file(tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "secret.jpg"
    path.write_bytes(b"x")
    if os.geteuid() == 0:  # root reads anything: simulate the refusal the kernel gives other users
        real_open = reader.os.open

        def refuse(p: bytes, flags: int) -> int:
            if p == bytes(path):
                raise PermissionError(13, "Permission denied")
            return real_open(p, flags)

        monkeypatch.setattr(reader.os, "open", refuse)
    else:
        path.chmod(0)
    result = _hash(path, settings)
    assert result.error == "cannot open: Permission denied"


def test_fifo_is_not_opened_for_reading(tmp_path: Path, settings: Settings) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    result = _hash(fifo, settings)  # must return at once, not block waiting for a writer
    assert result.error and "not a regular file" in result.error


def test_symlink_is_not_followed(tmp_path: Path, settings: Settings) -> None:
    target = tmp_path / "outside.txt"
    target.write_text("outside")
    link = tmp_path / "link"
    link.symlink_to(target)
    assert _hash(link, settings).error is not None
    assert stat.S_ISLNK(os.lstat(link).st_mode)


def test_invalid_utf8_path(tmp_path: Path, settings: Settings) -> None:
    raw = os.fsencode(tmp_path) + b"/caf\xe9-\xff.jpg"
    with open(raw, "wb") as handle:
        handle.write(b"content")
    result = _hash(raw, settings)
    assert result.error is None
    assert result.path.endswith("caf\\xe9-\\xff.jpg")
    assert result.as_json()["path"] == result.path


def test_image_too_big_to_keep_is_read_again_read_only(
    make_image: Callable[..., Path], settings: Settings
) -> None:
    import dataclasses

    path = make_image("big.jpg", 8)
    kept = _hash(path, settings)
    streamed = _hash(path, dataclasses.replace(settings, whole_file_bytes=100, read_chunk_bytes=4096))
    assert streamed.get("pdq") == kept.get("pdq") and streamed.get("sha256") == kept.get("sha256")
