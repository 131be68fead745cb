"""PDQ perceptual hashing of images, with the 8 rotations/flips used for matching.

Why draft decoding: PDQ blurs and decimates any input to 64x64, so decoding a large JPEG at
full size mostly feeds pixels that are thrown away. libjpeg-turbo can decode at 1/2, 1/4 or
1/8 scale in the DCT domain. We ask for the smallest scale that keeps both sides at least
``pdq_draft_size`` (default 512) pixels: on Meta's reference photos that stays within the
same 8 bits of the C++ reference as a full decode, while 256 already drifts to 12 bits.

EXIF orientation is deliberately *not* applied, as in Meta's reference hashes; rotated
copies are caught by the dihedral variants instead.

Pillow is pinned in pyproject.toml because decoders change PDQ bits.
"""

from __future__ import annotations

import io
from functools import cache
from typing import Any, BinaryIO

import numpy as np
import pdqhash
import PIL
from PIL import Image, UnidentifiedImageError

from heroes.config import Settings
from heroes.hashing.base import Content

__all__ = [
    "DIHEDRAL_NAMES",
    "EVIDENCE_IMAGE_FORMATS",
    "PDQ",
    "PdqHasher",
    "hash_image",
    "hex_from_bits",
    "open_image",
    "transform_of",
]

# The 8 dihedral transforms in pdqhash's variant order (checked against Pillow's transposes in
# tests/hashing/test_pdq.py).
DIHEDRAL_NAMES = (
    "original",
    "rotate-90-ccw",
    "rotate-180",
    "rotate-270-ccw",
    "flip-top-bottom",
    "flip-left-right",
    "transpose",
    "transverse",
)

# pdqhash's variant k of an image is that image transformed by DIHEDRAL_NAMES[k]. When variant k
# of a *scanned* copy meets the listed hash, the copy is the listed image transformed by the
# inverse of k: the two rotations by 90 degrees swap, every other transform is its own inverse.
_INVERSE = (0, 3, 2, 1, 4, 5, 6, 7)


def transform_of(variant: int) -> str:
    """What was done to the listed image to give the copy whose dihedral variant ``variant`` matched."""
    return DIHEDRAL_NAMES[_INVERSE[variant]]


_UNDECODABLE = ("image/svg", "image/x-xcf", "image/vnd.djvu", "image/x-eps", "image/eps")


# Raster formats decoded from evidence. Pillow can also open EPS (which runs Ghostscript on
# attacker-controlled PostScript), WMF, FITS, PSD and more; none of those is decoded here.
EVIDENCE_IMAGE_FORMATS = (
    "JPEG", "PNG", "GIF", "WEBP", "TIFF", "BMP", "ICO", "AVIF", "HEIF", "PPM", "TGA", "JPEG2000",
)  # fmt: skip


@cache
def _register_heif() -> None:
    """HEIC/HEIF (libheif through pillow-heif) joins Pillow's decoders on first use, not at import."""
    from pillow_heif import register_heif_opener

    register_heif_opener()


def open_image(source: bytes | BinaryIO) -> Image.Image:
    """Open an image from evidence, allowing only plain raster decoders (never Ghostscript)."""
    _register_heif()
    return Image.open(
        io.BytesIO(source) if isinstance(source, bytes) else source, formats=EVIDENCE_IMAGE_FORMATS
    )


def hex_from_bits(bits: np.ndarray) -> str:
    """The conventional 64-hex-digit form of a 256-element 0/1 vector."""
    return np.packbits(bits.astype(np.uint8)).tobytes().hex()


def _decode(source: bytes | BinaryIO, settings: Settings) -> np.ndarray:
    with open_image(source) as im:
        width, height = im.size
        if width * height > settings.max_image_pixels:
            raise ValueError(
                f"image of {width}x{height} pixels is over the limit of {settings.max_image_pixels} "
                "(possible decompression bomb); not decoded"
            )
        if im.format == "JPEG" and settings.pdq_draft_size > 0:
            im.draft("RGB", (settings.pdq_draft_size, settings.pdq_draft_size))
        im.load()
        return np.asarray(im if im.mode == "RGB" else im.convert("RGB"))


def hash_image(source: bytes | BinaryIO, settings: Settings, dihedral: bool = True) -> dict[str, Any]:
    """PDQ hash, quality and (optionally) the 8 dihedral variants of an encoded image."""
    pixels = _decode(source, settings)
    if dihedral:
        variants, quality = pdqhash.compute_dihedral(pixels)
        hexes = [hex_from_bits(v) for v in variants]
        return {"pdq": hexes[0], "pdq_quality": int(quality), "pdq_dihedral": hexes}
    bits, quality = pdqhash.compute(pixels)
    return {"pdq": hex_from_bits(bits), "pdq_quality": int(quality)}


class _PdqSession:
    def update(self, chunk: bytes) -> None:
        """PDQ needs the whole image; the reader keeps it for ``finish``."""

    def finish(self, content: Content, settings: Settings) -> dict[str, Any]:
        if content.size > settings.max_image_bytes:
            raise ValueError(
                f"image of {content.size} bytes is over max_image_bytes={settings.max_image_bytes}; "
                "no perceptual hash"
            )
        try:
            if content.data is not None:
                return hash_image(content.data, settings)
            with content.open() as handle:  # too big to keep: a second, read-only pass
                return hash_image(handle, settings)
        except Image.DecompressionBombError as exc:
            raise ValueError(f"decompression bomb refused: {exc}") from None
        except (OSError, SyntaxError, UnidentifiedImageError) as exc:
            raise ValueError(f"image could not be decoded: {exc}") from None


class PdqHasher:
    """Meta's PDQ (256 bits, Hamming distance) through the pdqhash binding."""

    name = "pdq"
    version = f"pdqhash-0.2.8+pillow-{PIL.__version__}"
    fields: tuple[str, ...] = ("pdq", "pdq_quality", "pdq_dihedral")

    def accepts(self, mime: str | None) -> bool:
        """Raster images only."""
        return mime is not None and mime.startswith("image/") and not mime.startswith(_UNDECODABLE)

    def begin(self) -> _PdqSession:
        """Nothing to set up: the work happens on the retained bytes."""
        return _PdqSession()


PDQ = PdqHasher()
