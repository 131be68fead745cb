"""Items are read back from the evidence wherever they live (file, disk image, archive, nesting),
and thumbnails are blurred in their pixels unless a clear one is asked for."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from heroes.config import Settings
from heroes.triage.media import read_item, thumbnail


def test_plain_files_and_archive_members(tmp_path: Path, make_image: Callable[..., Path]) -> None:
    photo = make_image("a.jpg", 3)
    data = photo.read_bytes()
    assert read_item(bytes(photo), 10**8) == data
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as archive:
        archive.writestr("holiday/a.jpg", data)
    outer = tmp_path / "bundle.tar.gz"
    with tarfile.open(outer, "w:gz") as tar:
        info = tarfile.TarInfo("photos.zip")
        info.size = len(inner.getvalue())
        tar.addfile(info, io.BytesIO(inner.getvalue()))
    nested = bytes(outer) + b"!/photos.zip!/holiday/a.jpg"
    assert read_item(nested, 10**8) == data
    with pytest.raises(ValueError, match="no longer found"):
        read_item(bytes(outer) + b"!/photos.zip!/holiday/b.jpg", 10**8)
    with pytest.raises(ValueError, match="larger than"):
        read_item(nested, 100)
    with pytest.raises(FileNotFoundError):
        read_item(bytes(tmp_path / "gone.jpg"), 10**8)


def test_files_inside_a_disk_image(shared_data: Path) -> None:
    image = shared_data / "disk_images" / "synthetic" / "mbr_fat.E01"
    truth = json.loads((shared_data / "disk_images" / "expected_files.json").read_text())["mbr_fat.E01"]
    for expected in truth["allocated_files"][:3]:
        data = read_item(bytes(image) + b"!/" + expected["path"].lstrip("/").encode(), 10**8)
        assert hashlib.sha256(data).hexdigest() == expected["sha256"], expected["path"]


def test_thumbnails_are_blurred_in_their_pixels(make_image: Callable[..., Path]) -> None:
    data = make_image("t.png", 5, "PNG", size=(640, 480)).read_bytes()
    blurred = Image.open(io.BytesIO(thumbnail(data, Settings())))
    clear = Image.open(io.BytesIO(thumbnail(data, Settings(), blurred=False)))
    assert blurred.mode == "L" and clear.mode == "RGB" and max(blurred.size) == 160
    detail = [
        float(np.abs(np.diff(np.asarray(im.convert("L"), dtype=float), axis=1)).mean())
        for im in (blurred, clear)
    ]
    assert detail[0] < detail[1] / 2  # the blur removes most edge detail
    with pytest.raises(ValueError, match="decoding limit"):
        thumbnail(data, Settings(max_image_pixels=1000))
