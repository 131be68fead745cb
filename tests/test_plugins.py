"""One contract test over every registered hasher, one over every artifact parser, and plugin-name
uniqueness."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from heroes.config import Settings
from heroes.errors import ConfigError
from heroes.hashing import MD5, Content, Hasher
from heroes.plugins import _unique, hashers, parsers
from heroes.triage.artifacts import ArtifactParser, ArtifactSource
from tests.triage.test_artifacts import chrome_db


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
    elif hasher.accepts("text/plain"):
        data, mime = b"A contract: the words of a plain note.\n", "text/plain"
    elif hasher.accepts("application/vnd.sqlite3"):
        data, mime = chrome_db(), "application/vnd.sqlite3"
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


@pytest.mark.parametrize("parser", parsers(), ids=lambda p: p.name)
def test_parser_contract(parser: ArtifactParser) -> None:
    assert isinstance(parser, ArtifactParser)
    assert parser.name and parser.version and parser.app and parser.description
    for junk in (b"", b"SQLite format 3\x00" + bytes(200), bytes(range(256)) * 8):
        with ArtifactSource(junk, "junk.db") as source:
            assert parser.recognises(source) is False


def test_parser_names_are_unique_across_builtins_and_entry_points() -> None:
    names = [p.name for p in parsers()]
    assert len(names) == len(set(names)) >= 4
