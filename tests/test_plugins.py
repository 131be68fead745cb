"""One contract test over every registered hasher, and plugin-name uniqueness."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from heroes.config import Settings
from heroes.errors import ConfigError
from heroes.hashing import MD5, Content, Hasher
from heroes.plugins import _unique, hashers


def test_builtins_are_registered() -> None:
    assert [h.name for h in hashers()][:4] == ["md5", "sha1", "sha256", "pdq"]


def test_duplicate_names_are_rejected() -> None:
    with pytest.raises(ConfigError, match="unique"):
        _unique([MD5, MD5])


@pytest.mark.parametrize("hasher", hashers(), ids=lambda h: h.name)
def test_hasher_contract(hasher: Hasher, make_image: Callable[..., Path], settings: Settings) -> None:
    assert isinstance(hasher, Hasher)
    assert hasher.name and hasher.version and hasher.fields
    if hasher.accepts("image/jpeg"):
        from PIL import Image

        photo = make_image("contract.jpg", 9)
        with Image.open(
            photo
        ) as im:  # a camera photo: EXIF make and model, so every image plug-in has output
            exif = im.getexif()
            exif[0x010F], exif[0x0110] = "ContractCam", "Model 1"
            im.save(photo, "JPEG", exif=exif, quality=92)
        data, mime = photo.read_bytes(), "image/jpeg"
    elif hasher.accepts("video/mp4"):
        from tests.hashing.test_video import _encode, _frames

        data, mime = _encode(_frames(3, 45, (96, 64))), "video/mp4"
    else:
        pytest.skip(f"{hasher.name} applies to neither JPEG nor MP4; give it a sample here")
    assert isinstance(hasher.accepts(mime), bool)
    session = hasher.begin()
    for start in range(0, len(data), 1000):
        session.update(data[start : start + 1000])
    values = session.finish(Content(b"contract.jpg", len(data), mime, data), settings)
    assert set(values) <= set(hasher.fields) and values
    for key, value in values.items():
        assert value is not None, key
    again = hasher.begin()
    again.update(data)
    assert again.finish(Content(b"contract.jpg", len(data), mime, data), settings) == values, (
        "hashers are deterministic"
    )
