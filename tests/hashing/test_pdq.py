"""PDQ correctness against Meta's C++ reference, dihedral variants, and draft decoding."""

from __future__ import annotations

import csv
import dataclasses
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image

from heroes.config import Settings
from heroes.hashing import PDQ, hamming, hash_file, hash_image
from heroes.hashing.pdq import DIHEDRAL_NAMES, transform_of


def _reference(shared: Path) -> list[tuple[Path, str]]:
    base = shared / "threatexchange" / "pdq"
    with (base / "expected_hashes_sql_readme.csv").open() as handle:
        return [
            (base / "data" / "reg-test-input" / row[1].removeprefix("./"), row[0])
            for row in csv.reader(handle)
        ]


def test_within_10_bits_of_cpp_reference(shared_data: Path, settings: Settings) -> None:
    checked = 0
    for path, expected in _reference(shared_data):
        result = hash_image(path.read_bytes(), settings)
        if result["pdq_quality"] >= 80:
            assert hamming(result["pdq"], expected) <= 10, path.name
            checked += 1
    assert checked >= 15  # the reference set has 18 photos of quality >= 80


def test_draft_decoding_stays_within_tolerance_of_full_decode(shared_data: Path, settings: Settings) -> None:
    full = dataclasses.replace(settings, pdq_draft_size=0)
    for path, _ in _reference(shared_data):
        data = path.read_bytes()
        a, b = hash_image(data, settings), hash_image(data, full)
        if b["pdq_quality"] >= 80:
            assert hamming(a["pdq"], b["pdq"]) <= 10, path.name


@pytest.mark.parametrize(
    ("transpose", "name"),
    [
        (Image.Transpose.ROTATE_90, "rotate-90-ccw"),
        (Image.Transpose.ROTATE_180, "rotate-180"),
        (Image.Transpose.ROTATE_270, "rotate-270-ccw"),
        (Image.Transpose.FLIP_TOP_BOTTOM, "flip-top-bottom"),
        (Image.Transpose.FLIP_LEFT_RIGHT, "flip-left-right"),
        (Image.Transpose.TRANSPOSE, "transpose"),
        (Image.Transpose.TRANSVERSE, "transverse"),
    ],
)
def test_dihedral_variant_meets_the_transformed_copy(
    make_image: Callable[..., Path], settings: Settings, transpose: Image.Transpose, name: str
) -> None:
    """As in a scan: the *copy's* variants are compared with the listed image's hash."""
    listed = hash_image(make_image("o.png", 3, "PNG").read_bytes(), settings)["pdq"]
    copy = hash_image(
        make_image("c.png", 3, "PNG", lambda im: im.transpose(transpose)).read_bytes(), settings
    )
    assert hamming(copy["pdq"], listed) > 31, "a plain comparison must not already match"
    distances = [hamming(variant, listed) for variant in copy["pdq_dihedral"]]
    best = distances.index(min(distances))
    assert distances[best] <= 31
    assert transform_of(best) == name
    assert DIHEDRAL_NAMES[best] == {"rotate-90-ccw": "rotate-270-ccw", "rotate-270-ccw": "rotate-90-ccw"}.get(
        name, name
    )


def test_flat_image_has_low_quality(tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / "flat.png"
    Image.new("RGB", (200, 200), (120, 120, 120)).save(path)
    assert hash_image(path.read_bytes(), settings)["pdq_quality"] < 50


def test_pdq_only_applies_to_raster_images() -> None:
    assert PDQ.accepts("image/jpeg") and PDQ.accepts("image/png")
    assert not PDQ.accepts("image/svg+xml")
    assert not PDQ.accepts("text/plain") and not PDQ.accepts(None)


@pytest.mark.parametrize("mode", ["L", "P", "RGBA", "CMYK", "I;16"])
def test_every_pillow_mode_hashes(tmp_path: Path, settings: Settings, mode: str) -> None:
    from tests.conftest import textured_image

    path = tmp_path / f"img-{mode.replace(';', '')}.tif"
    textured_image(5).convert("L" if mode == "I;16" else mode).save(path, "TIFF")
    result = hash_file(bytes(path), settings, [PDQ])
    assert result.error is None and result.get("pdq_quality") is not None


def test_postscript_is_never_handed_to_ghostscript(tmp_path: Path, settings: Settings) -> None:
    from PIL import UnidentifiedImageError

    from heroes.hashing.pdq import open_image

    eps = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n"
    with pytest.raises(UnidentifiedImageError):
        open_image(eps)
    dos_eps = (
        b"\xc5\xd0\xd3\xc6" + (32).to_bytes(4, "little") + len(eps).to_bytes(4, "little") + b"\x00" * 20 + eps
    )
    assert not PDQ.accepts("image/x-eps")
    result = hash_file(_write(tmp_path / "x.eps", dos_eps), settings, [PDQ])
    assert result.get("pdq") is None


def _write(path: Path, data: bytes) -> bytes:
    path.write_bytes(data)
    return bytes(path)


def test_heic_copy_of_a_listed_photo_is_near_it(
    make_image: Callable[..., Path], tmp_path: Path, settings: Settings
) -> None:
    from heroes.hashing.pdq import open_image
    from tests.conftest import textured_image

    open_image(make_image("warm.png", 1, "PNG").read_bytes()).close()  # registers the HEIF decoder
    listed = hash_image(make_image("orig.png", 7, "PNG").read_bytes(), settings)["pdq"]
    heic = tmp_path / "IMG_0001.HEIC"
    textured_image(7).save(heic, "HEIF", quality=60)
    result = hash_file(bytes(heic), settings, [PDQ])
    assert result.mime in ("image/heic", "image/heif") and result.error is None
    assert hamming(result.get("pdq"), listed) <= 31
