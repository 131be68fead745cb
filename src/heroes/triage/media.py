"""Reading an item's bytes back from the evidence, and making its review thumbnail.

Why one place: reports and the review app both show thumbnails, and an item may be a plain file, a
file inside a disk image (``image.E01!/p1/DCIM/1.jpg``), a member of an archive
(``photos.zip!/a.jpg``) or any nesting of these. Everything is read again from the evidence itself,
read-only and in memory (never through a temporary copy), so what a reviewer sees is what the
evidence holds now.

Thumbnails are greyscale and blurred *in their pixels* unless a clear one is asked for, so a blurred
thumbnail can be cached or written into a report without ever holding a clear copy. Images are
opened through the same raster-only decoder list as PDQ hashing (never Ghostscript or other external
programs), with the decompression-bomb limits of the settings.
"""

from __future__ import annotations

import io
import os
import stat
from typing import BinaryIO

from PIL import ImageFilter, ImageOps

from heroes.config import Settings
from heroes.hashing.pdq import open_image
from heroes.hashing.reader import open_readonly
from heroes.triage.archives import Member, iter_members
from heroes.triage.image import ImageFile, ImageSource, is_disk_image

__all__ = ["BLUR_RADIUS", "THUMB_SIZE", "read_item", "thumbnail"]

THUMB_SIZE = 160
BLUR_RADIUS = 6
_SEPARATOR = b"!/"


def _regular(raw_path: bytes) -> bool:
    try:
        return stat.S_ISREG(os.lstat(raw_path).st_mode)
    except OSError:
        return False


def _read(handle: BinaryIO, limit: int) -> bytes:
    data = handle.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"larger than {limit:,} bytes; not read for display")
    return data


def _member(handle: BinaryIO, container: bytes, wanted: bytes, limit: int) -> bytes:
    """The bytes of the archive member whose item path is ``wanted`` (nested archives included)."""
    display = wanted.decode("utf-8", "backslashreplace")
    for member in iter_members(handle, None, container_path=container.decode("utf-8", "backslashreplace")):
        if isinstance(member, Member) and member.path == display:
            data = member.data
            if data is None:
                raise ValueError(f"{display}: a {member.kind} member without content")
            if len(data) > limit:
                raise ValueError(f"larger than {limit:,} bytes; not read for display")
            return bytes(data)
    raise ValueError(f"{display}: no longer found in its archive")


def read_item(raw_path: bytes, limit: int) -> bytes:
    """The content of an item as recorded by a scan, read again from the evidence (at most ``limit``
    bytes); ValueError or OSError with a plain message when it cannot be read."""
    if _regular(raw_path):
        with os.fdopen(open_readonly(raw_path), "rb") as handle:
            return _read(handle, limit)
    start = 0
    while (cut := raw_path.find(_SEPARATOR, start)) != -1:
        container, rest = raw_path[:cut], raw_path[cut + len(_SEPARATOR) :]
        start = cut + len(_SEPARATOR)
        if not _regular(container):
            continue
        if is_disk_image(container):
            inner, _, _deeper = rest.partition(_SEPARATOR)
            name = inner.decode("utf-8", "surrogateescape")
            with ImageSource(container) as source:
                record = next((r for r in source.walk() if isinstance(r, ImageFile) and r.path == name), None)
                if record is None:
                    raise ValueError(f"{name}: no longer found in the disk image")
                with record.open() as handle:
                    if not _deeper:
                        return _read(handle, limit)
                    data = io.BytesIO(handle.read())
                return _member(data, container + _SEPARATOR + inner, raw_path, limit)
        with os.fdopen(open_readonly(container), "rb") as handle:
            return _member(handle, container, raw_path, limit)
    raise FileNotFoundError(f"{raw_path.decode('utf-8', 'backslashreplace')}: no longer in the evidence")


def thumbnail(data: bytes, settings: Settings, blurred: bool = True, size: int = THUMB_SIZE) -> bytes:
    """A JPEG thumbnail of image bytes: greyscale and blurred in its pixels unless ``blurred`` is False."""
    with open_image(io.BytesIO(data)) as im:
        if im.size[0] * im.size[1] > settings.max_image_pixels:
            raise ValueError(f"declares {im.size[0]}x{im.size[1]} pixels, over the decoding limit")
        im.draft("L" if blurred else "RGB", (size * 2, size * 2))
        small = ImageOps.exif_transpose(im.convert("L") if blurred else im.convert("RGB"))
        small.thumbnail((size, size))
        if blurred:
            small = small.filter(ImageFilter.GaussianBlur(BLUR_RADIUS))
        out = io.BytesIO()
        small.save(out, "JPEG", quality=70)
    return out.getvalue()
