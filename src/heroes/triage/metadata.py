"""Per-file metadata for triage: camera EXIF, extension/content mismatch, and the owning app's folder.

Why these three: they are the cheap context signals that tie files together on a seized device.
The same camera body serial links photos across folders and devices; capture time and GPS put a
photo on the timeline and the map; a JPEG renamed ``.txt`` is a classic hiding trick; and a file
under ``WhatsApp/Media/WhatsApp Images`` was received through WhatsApp, not taken on the phone.

Everything here is a pure function (bytes or names in, values out) and never raises for hostile
input. EXIF is written by cameras, phones, editors and sometimes by people who want to mislead, so
each field is checked on its own: a bad value becomes ``None`` plus a line in
``ImageMetadata.warnings`` and the other fields still come out.

How EXIF is read: Pillow opens the image lazily (header and segments only, pixels are never
decoded) and its ``Image.Exif`` parses IFD0, the Exif IFD and the GPS IFD. PNG is the exception:
Pillow's ``PngImageFile.getexif`` decodes the whole image when the ``eXIf`` chunk comes after the
pixel data, so the chunk is found here by walking the chunk list instead. Warnings that Pillow
emits while parsing (corrupt offsets, short tags) are captured and returned as our warnings;
``warnings.catch_warnings`` is process-global, which is fine because triage runs one file at a
time per worker process. Images that declare more pixels than Pillow's decompression-bomb limit are
opened through the format plugin directly (their metadata is still wanted) and flagged.

Time zones: EXIF ``DateTimeOriginal`` is wall-clock time on the camera, with no zone. When
``OffsetTimeOriginal`` (EXIF 2.31) is present the result is an aware ``datetime``; otherwise it is a
*naive* ``datetime`` that means "camera-local time, zone unknown" (``capture_zone_known`` is False)
and must never be read as UTC. ``gps_time`` (GPSDateStamp + GPSTimeStamp) is UTC by definition and is
returned aware; the difference between the two is often the best evidence of the camera's zone.

Camera serials, in order of preference: EXIF ``BodySerialNumber`` (0xA431), DNG
``CameraSerialNumber`` (0xC62F in IFD0), Canon maker note tag 0x000C (an inline number, printed as
exiftool does: 6 digits for EOS-1D bodies, otherwise 10) and Nikon type-3 maker note tag 0x001D
(its maker note carries its own TIFF header, so it can be read in isolation). Other maker notes
need per-vendor offset rules and are not read; ``serial_source`` says which tag gave the value.

Extension mismatch uses a small explicit table (``EXTENSION_TYPES``) from extension to the MIME
types libmagic may report for genuine files of that kind. Unknown extensions never raise an alarm,
nor does content libmagic could not place (``application/octet-stream``, empty files) or placed by
a weak guess (TGA and dBase have no magic bytes, so damaged data often "is" one). Text-like
extensions (``.txt``, ``.csv``, ``.log`` ...) accept any content *except* a recognisable binary
family (image, video, audio, archive, executable, office or PDF), because libmagic names plain text
in dozens of ways (``text/x-c``, ``application/json``, ``application/javascript`` ...).

Owner apps come from ``OWNER_APPS``, an ordered table of path-component patterns matched
case-insensitively on ``/`` or ``\\`` separated components (the last one too, so a folder path
works as well as a file path). The first row that matches wins, so app folders outrank the generic
DCIM, Screenshots and Download rows (Telegram saves under ``Download/Telegram`` on recent Android).
"""

from __future__ import annotations

import io
import math
import re
import struct
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from PIL import ExifTags, Image, ImageFile, UnidentifiedImageError

from heroes.config import Settings
from heroes.hashing.base import Content

__all__ = [
    "EXIF",
    "EXTENSION_TYPES",
    "OWNER_APPS",
    "ExifReader",
    "ImageMetadata",
    "extension_mismatch",
    "image_metadata",
    "owner_app",
]


@dataclass(frozen=True, slots=True)
class ImageMetadata:
    """What an image's header and EXIF say about where, when and with what it was taken."""

    format: str | None = None
    width: int | None = None
    """Stored pixel columns, before ``orientation`` is applied (as are ``height``'s rows)."""
    height: int | None = None
    orientation: int | None = None
    make: str | None = None
    model: str | None = None
    serial: str | None = None
    serial_source: str | None = None
    lens: str | None = None
    lens_serial: str | None = None
    owner: str | None = None
    software: str | None = None
    unique_id: str | None = None
    captured_at: datetime | None = None
    """Aware when OffsetTimeOriginal was present; naive means camera-local time in an unknown zone."""
    gps_latitude: float | None = None
    gps_longitude: float | None = None
    gps_altitude: float | None = None
    """Metres; negative below the reference level."""
    gps_time: datetime | None = None
    """UTC, from GPSDateStamp and GPSTimeStamp."""
    warnings: tuple[str, ...] = ()

    @property
    def capture_zone_known(self) -> bool:
        """True when ``captured_at`` carries its UTC offset."""
        return self.captured_at is not None and self.captured_at.tzinfo is not None

    @property
    def has_gps(self) -> bool:
        """True when both latitude and longitude are known."""
        return self.gps_latitude is not None and self.gps_longitude is not None


# EXIF tag numbers used here (names as in the EXIF 2.32 / 3.0 specifications).
_ORIENTATION = 0x0112
_MAKE = 0x010F
_MODEL = 0x0110
_SOFTWARE = 0x0131
_CAMERA_SERIAL_DNG = 0xC62F
_DATETIME_ORIGINAL = 0x9003
_OFFSET_TIME_ORIGINAL = 0x9011
_SUBSEC_TIME_ORIGINAL = 0x9291
_MAKER_NOTE = 0x927C
_IMAGE_UNIQUE_ID = 0xA420
_OWNER_NAME = 0xA430
_BODY_SERIAL = 0xA431
_LENS_MODEL = 0xA434
_LENS_SERIAL = 0xA435
_GPS_LAT_REF, _GPS_LAT, _GPS_LON_REF, _GPS_LON = 1, 2, 3, 4
_GPS_ALT_REF, _GPS_ALT, _GPS_TIME, _GPS_DATE = 5, 6, 7, 29

_MAX_TEXT = 256
_MAX_ALTITUDE_M = 100_000.0  # beyond the stratosphere or deeper than any trench: not a photo location
_MAX_OFFSET = timedelta(hours=14)
_DATETIME_RE = re.compile(r"(\d{4})[:\-/](\d{2})[:\-/](\d{2})[ T](\d{2}):(\d{2}):(\d{2})", re.ASCII)
_DATE_RE = re.compile(r"(\d{4})[:\-/](\d{2})[:\-/](\d{2})", re.ASCII)
_OFFSET_RE = re.compile(r"([+-])(\d{2}):(\d{2})", re.ASCII)
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_BOMB_FORMATS = ("JPEG", "TIFF", "PNG", "WEBP")


_TAG_NUMBER = re.compile(r"\btag (\d+)")


def _tag_name(found: re.Match[str]) -> str:
    """'tag 42033' → 'tag 42033 (BodySerialNumber)' in Pillow's warnings; GPS tags are the small numbers."""
    number = int(found.group(1))
    name = ExifTags.GPSTAGS.get(number) if number < 32 else ExifTags.TAGS.get(number)
    return f"{found.group(0)} ({name})" if name else found.group(0)


class _Notes:
    """Collects warnings without duplicates, in order."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def add(self, line: str) -> None:
        if line not in self.lines:
            self.lines.append(line)


def image_metadata(data: bytes) -> ImageMetadata:
    """Camera, time, GPS and size from an image's header and EXIF, never decoding pixels."""
    notes = _Notes()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = _read(data, notes)
        except Exception as exc:  # hostile input must never stop a scan; say what happened instead
            notes.add(f"metadata could not be read: {type(exc).__name__}: {exc}")
            result = {}
    for warning in caught:
        if issubclass(warning.category, Image.DecompressionBombWarning):
            notes.add(f"{warning.message} (pixels were not decoded)")
        else:
            notes.add("EXIF: " + _TAG_NUMBER.sub(_tag_name, str(warning.message).strip()))
    return ImageMetadata(**result, warnings=tuple(notes.lines))


def _open(data: bytes, notes: _Notes) -> ImageFile.ImageFile | None:
    try:
        return Image.open(io.BytesIO(data))
    except UnidentifiedImageError:
        notes.add("not an image format Pillow can read; no metadata")
        return None
    except Image.DecompressionBombError:
        pass
    # The declared size is over Pillow's bomb limit. Pixels are never decoded here, so open the
    # header through the format plugin itself to still read the metadata.
    Image.init()
    head = data[:16]
    for name in _BOMB_FORMATS:
        factory, accept = Image.OPEN[name]
        if accept is None or accept(head) is True:
            image = factory(io.BytesIO(data), "")
            w, h = image.size
            notes.add(f"image declares {w}x{h} pixels (possible decompression bomb); pixels not decoded")
            return image
    notes.add("image declares too many pixels to open; no metadata")
    return None


def _read(data: bytes, notes: _Notes) -> dict[str, Any]:
    image = _open(data, notes)
    if image is None:
        return {}
    with image:
        out: dict[str, Any] = {"format": image.format}
        width, height = image.size
        out["width"], out["height"] = (width, height) if width > 0 and height > 0 else (None, None)
        exif = _exif(image, data, notes)
        # Resolved while the image is open: for TIFF, Pillow reads the sub-IFDs from the image's file.
        ifd0: Mapping[int, Any] = exif
        ifd = _sub_ifd(exif, ExifTags.IFD.Exif, "Exif", notes)
        gps = _sub_ifd(exif, ExifTags.IFD.GPSInfo, "GPS", notes)

    orientation = ifd0.get(_ORIENTATION)
    if orientation is not None:
        if isinstance(orientation, int) and not isinstance(orientation, bool) and 1 <= orientation <= 8:
            out["orientation"] = orientation
        else:
            notes.add(f"Orientation {orientation!r} is not 1 to 8; ignored")
    if out["format"] == "TIFF" and out.get("orientation") in (5, 6, 7, 8) and out["width"]:
        # Pillow reports a TIFF's size already turned by its orientation; report stored pixels as for JPEG.
        out["width"], out["height"] = out["height"], out["width"]

    # Each step is guarded on its own: a parser bug on one field must not cost the others.
    steps: list[tuple[str, Callable[[], dict[str, Any]]]] = [
        (
            "camera text",
            lambda: {
                "make": _text(ifd0, _MAKE, "Make", notes),
                "model": _text(ifd0, _MODEL, "Model", notes),
                "software": _text(ifd0, _SOFTWARE, "Software", notes),
                "lens": _text(ifd, _LENS_MODEL, "LensModel", notes),
                "lens_serial": _text(ifd, _LENS_SERIAL, "LensSerialNumber", notes),
                "owner": _text(ifd, _OWNER_NAME, "CameraOwnerName", notes),
                "unique_id": _text(ifd, _IMAGE_UNIQUE_ID, "ImageUniqueID", notes),
            },
        ),
        (
            "camera serial",
            lambda: dict(
                zip(
                    ("serial", "serial_source"),
                    _serial(ifd0, ifd, exif.endian, out.get("make"), out.get("model"), notes),
                    strict=True,
                )
            ),
        ),
        ("capture time", lambda: {"captured_at": _capture_time(ifd, notes)}),
        ("GPS", lambda: _gps(gps, notes)),
    ]
    for what, step in steps:
        try:
            out.update(step())
        except Exception as exc:  # reported as a warning; the other steps go on
            notes.add(f"{what} unreadable ({type(exc).__name__}: {exc}); left empty")
    return out


def _exif(image: ImageFile.ImageFile, data: bytes, notes: _Notes) -> Image.Exif:
    raw = image.info.get("exif")
    if image.format == "PNG" and raw is None:
        raw = _png_exif_chunk(data)
        exif = Image.Exif()
        if raw:
            exif.load(raw)
    else:
        exif = image.getexif()
    if isinstance(raw, bytes) and len(raw) > 6 and not len(exif):
        notes.add(f"EXIF block of {len(raw)} bytes holds no readable tags (cut short or not TIFF-structured)")
    return exif


def _png_exif_chunk(data: bytes) -> bytes | None:
    """The eXIf chunk's payload, found by walking the chunk list (no pixel data is inflated)."""
    pos = 8
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        if kind == b"eXIf":
            return data[pos + 8 : pos + 8 + length]
        if kind == b"IEND":
            return None
        pos += 12 + length
    return None


def _sub_ifd(exif: Image.Exif, tag: int, name: str, notes: _Notes) -> Mapping[int, Any]:
    if tag not in exif:
        return {}
    try:
        found = exif.get_ifd(tag)
    except Exception as exc:  # Pillow follows raw offsets; a bad one can fail in many ways
        notes.add(f"{name} IFD unreadable ({type(exc).__name__}: {exc}); its fields are missing")
        return {}
    if not found:
        notes.add(f"{name} IFD pointer {exif.get(tag)!r} leads nowhere; its fields are missing")
    return found


def _clean(text: str) -> str:
    text = text.split("\x00", 1)[0].strip()
    return _CONTROL_RE.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def _text(ifd: Mapping[int, Any], tag: int, name: str, notes: _Notes) -> str | None:
    value = ifd.get(tag)
    if value is None:
        return None
    if isinstance(value, bytes):
        try:
            text = value.decode("utf-8")
        except UnicodeDecodeError:
            text = value.decode("latin-1")
    elif isinstance(value, str):
        # Pillow decodes EXIF ASCII as Latin-1; phones write UTF-8 there, so undo that when it fits.
        try:
            text = value.encode("latin-1").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            text = value
    else:
        notes.add(f"{name} is {type(value).__name__} {value!r:.40}, not text; ignored")
        return None
    text = _clean(text)
    if len(text) > _MAX_TEXT:
        notes.add(f"{name} is {len(text)} characters long; cut to {_MAX_TEXT}")
        text = text[:_MAX_TEXT]
    return text or None


def _number(value: Any) -> float | None:
    """A finite real from an EXIF rational, integer, float or (numerator, denominator) pair."""
    if isinstance(value, bool):
        return None
    if isinstance(value, tuple) and len(value) == 2 and all(isinstance(v, int) for v in value):
        numerator, denominator = value
    elif hasattr(value, "numerator") and hasattr(value, "denominator"):  # IFDRational, int, Fraction
        numerator, denominator = value.numerator, value.denominator
    elif isinstance(value, float):
        return value if math.isfinite(value) else None
    else:
        return None
    if not isinstance(numerator, int) or not isinstance(denominator, int) or denominator == 0:
        return None
    return numerator / denominator


def _serial(
    ifd0: Mapping[int, Any],
    ifd: Mapping[int, Any],
    endian: str | None,
    make: str | None,
    model: str | None,
    notes: _Notes,
) -> tuple[str | None, str | None]:
    for tags, tag, name in (
        (ifd, _BODY_SERIAL, "BodySerialNumber"),
        (ifd0, _CAMERA_SERIAL_DNG, "CameraSerialNumber"),
    ):
        value = _text(tags, tag, name, notes)
        if value:
            return value, name
    maker_note = ifd.get(_MAKER_NOTE)
    if not isinstance(maker_note, bytes) or not maker_note:
        return None, None
    vendor = (make or "").lower()
    if maker_note.startswith(b"Nikon\x00\x02"):
        serial = _nikon_serial(maker_note)
        return (serial, "Nikon MakerNote SerialNumber") if serial else (None, None)
    if vendor.startswith("canon"):
        number = _canon_serial(maker_note, endian or ">")
        if number is not None:
            digits = 6 if "1d" in (model or "").lower().replace("-", "").replace(" ", "") else 10
            return f"{number:0{digits}d}", "Canon MakerNote SerialNumber"
    return None, None


_TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8}


def _ifd_values(buf: bytes, start: int, endian: str, base: int | None) -> dict[int, tuple[int, bytes]]:
    """Tag → (type, value bytes) of one IFD in buf; out-of-line values are resolved against base
    (None: unresolvable) and anything that points outside buf is left out."""
    values: dict[int, tuple[int, bytes]] = {}
    if start < 0 or start + 2 > len(buf):
        return values
    (count,) = struct.unpack(endian + "H", buf[start : start + 2])
    for index in range(min(count, 512)):
        at = start + 2 + 12 * index
        if at + 12 > len(buf):
            break
        tag, kind, items, raw = struct.unpack(endian + "HHI4s", buf[at : at + 12])
        size = _TYPE_SIZES.get(kind, 0) * items
        if size == 0 or size > 65536:
            continue
        if size <= 4:
            values[tag] = (kind, raw[:size])
        elif base is not None:
            (offset,) = struct.unpack(endian + "I", raw)
            if base + offset + size <= len(buf):
                values[tag] = (kind, buf[base + offset : base + offset + size])
    return values


def _canon_serial(maker_note: bytes, endian: str) -> int | None:
    kind, raw = _ifd_values(maker_note, 0, endian, None).get(0x000C, (0, b""))
    if kind == 4 and len(raw) == 4:
        value: int = struct.unpack(endian + "I", raw)[0]
        return value or None
    return None


def _nikon_serial(maker_note: bytes) -> str | None:
    tiff = 10  # "Nikon\0" + version (2) + 2 reserved, then a complete TIFF header
    order = maker_note[tiff : tiff + 2]
    if order not in (b"II", b"MM") or len(maker_note) < tiff + 8:
        return None
    endian = "<" if order == b"II" else ">"
    (first,) = struct.unpack(endian + "I", maker_note[tiff + 4 : tiff + 8])
    kind, raw = _ifd_values(maker_note, tiff + first, endian, tiff).get(0x001D, (0, b""))
    if kind != 2:
        return None
    return _clean(raw.decode("latin-1")) or None


def _capture_time(ifd: Mapping[int, Any], notes: _Notes) -> datetime | None:
    text = _text(ifd, _DATETIME_ORIGINAL, "DateTimeOriginal", notes)
    if text is None:
        return None
    match = _DATETIME_RE.fullmatch(text)
    try:
        if match is None:
            raise ValueError("not in 'YYYY:MM:DD HH:MM:SS' form")
        year, month, day, hour, minute, second = (int(part) for part in match.groups())
        moment = datetime(year, month, day, hour, minute, second)
    except ValueError:
        notes.add(f"DateTimeOriginal {text!r} is not a valid date and time; ignored")
        return None
    subsec = _text(ifd, _SUBSEC_TIME_ORIGINAL, "SubSecTimeOriginal", notes)
    if subsec:
        if re.fullmatch(r"[0-9]+", subsec):
            moment = moment.replace(microsecond=int(subsec[:6].ljust(6, "0")))
        else:
            notes.add(f"SubSecTimeOriginal {subsec!r} is not digits; ignored")
    offset = _text(ifd, _OFFSET_TIME_ORIGINAL, "OffsetTimeOriginal", notes)
    if offset is None:
        return moment
    found = _OFFSET_RE.fullmatch(offset)
    delta = None
    if found:
        sign = -1 if found.group(1) == "-" else 1
        delta = sign * timedelta(hours=int(found.group(2)), minutes=int(found.group(3)))
    if delta is None or abs(delta) > _MAX_OFFSET or (found and int(found.group(3)) >= 60):
        notes.add(f"OffsetTimeOriginal {offset!r} is not a UTC offset like '+02:00'; time zone unknown")
        return moment
    return moment.replace(tzinfo=timezone(delta))


def _ref(gps: Mapping[int, Any], tag: int, name: str, signs: Mapping[str, int], notes: _Notes) -> int | None:
    raw = gps.get(tag)
    if raw is None:
        default = next(iter(signs))
        notes.add(f"{name} missing; assumed {default}")
        return 1
    text = _clean(raw.decode("latin-1") if isinstance(raw, bytes) else str(raw)).upper()
    if text[:1] in signs:
        return signs[text[:1]]
    notes.add(f"{name} {raw!r} is not one of {'/'.join(signs)}; position ignored")
    return None


def _coordinate(
    gps: Mapping[int, Any],
    tag: int,
    ref_tag: int,
    name: str,
    signs: Mapping[str, int],
    limit: float,
    notes: _Notes,
) -> float | None:
    value = gps.get(tag)
    if value is None:
        return None
    parts = value if isinstance(value, tuple) else (value,)
    numbers = [_number(part) for part in parts]
    if not 1 <= len(numbers) <= 3 or any(n is None for n in numbers):
        notes.add(
            f"{name} {value!r:.60} is not degrees/minutes/seconds (zero denominator or wrong type); ignored"
        )
        return None
    degrees, minutes, seconds = ([n for n in numbers if n is not None] + [0.0, 0.0])[:3]
    if not (0 <= minutes < 60 and 0 <= seconds < 60):
        notes.add(f"{name} {value!r:.60} has minutes or seconds outside 0 to 60; ignored")
        return None
    sign = _ref(gps, ref_tag, name + "Ref", signs, notes)
    if sign is None:
        return None
    decimal = (abs(degrees) + minutes / 60 + seconds / 3600) * sign * (-1 if degrees < 0 else 1)
    if not -limit <= decimal <= limit:
        notes.add(f"{name} {decimal:g} is outside ±{limit:g} degrees; ignored")
        return None
    return round(decimal, 7)


def _gps(gps: Mapping[int, Any], notes: _Notes) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if not gps:
        return out
    lat = _coordinate(gps, _GPS_LAT, _GPS_LAT_REF, "GPSLatitude", {"N": 1, "S": -1}, 90.0, notes)
    lon = _coordinate(gps, _GPS_LON, _GPS_LON_REF, "GPSLongitude", {"E": 1, "W": -1}, 180.0, notes)
    if (lat is None) != (lon is None):
        notes.add("GPS has only one of latitude and longitude; position ignored")
    elif lat is not None and lat == 0 and lon == 0:
        notes.add("GPS position is 0,0 (often written when there was no fix)")
    if lat is not None and lon is not None:
        out["gps_latitude"], out["gps_longitude"] = lat, lon

    if _GPS_ALT in gps:
        altitude = _number(gps[_GPS_ALT])
        ref = gps.get(_GPS_ALT_REF, 0)
        ref_value = ref[0] if isinstance(ref, bytes) and ref else ref
        if altitude is None:
            notes.add(f"GPSAltitude {gps[_GPS_ALT]!r:.40} is not a number (zero denominator?); ignored")
        elif abs(altitude) > _MAX_ALTITUDE_M:
            notes.add(f"GPSAltitude {altitude:g} m is not plausible; ignored")
        else:
            if ref_value in (1, 3):  # EXIF 3.0: 1 and 3 are below the ellipsoid / sea level
                altitude = -abs(altitude)
            elif ref_value not in (0, 2):
                notes.add(f"GPSAltitudeRef {ref!r:.20} is not 0 to 3; taken as above sea level")
            out["gps_altitude"] = round(altitude, 3)

    out["gps_time"] = _gps_time(gps, notes)
    return out


def _gps_time(gps: Mapping[int, Any], notes: _Notes) -> datetime | None:
    date, clock = gps.get(_GPS_DATE), gps.get(_GPS_TIME)
    if date is None or clock is None:
        return None
    text = _clean(date.decode("latin-1") if isinstance(date, bytes) else str(date))
    found = _DATE_RE.fullmatch(text)
    numbers = [_number(part) for part in clock] if isinstance(clock, tuple) and len(clock) == 3 else []
    try:
        if found is None or len(numbers) != 3 or any(n is None for n in numbers):
            raise ValueError
        hours, minutes, seconds = (n for n in numbers if n is not None)
        if not (0 <= hours < 24 and 0 <= minutes < 60 and 0 <= seconds < 61):
            raise ValueError
        day = datetime(int(found.group(1)), int(found.group(2)), int(found.group(3)), tzinfo=UTC)
    except ValueError:
        notes.add(f"GPS date/time {text!r} {clock!r:.60} is not valid; ignored")
        return None
    return day + timedelta(hours=hours, minutes=minutes, seconds=seconds)


# ---------------------------------------------------------------------------------------------
# Extension versus content

_TEXT = "text"
_OLE = ("application/x-ole-storage", "application/cdfv2", "application/msword", "application/vnd.ms-")
_ZIP = ("application/zip", "application/x-zip")
_OOXML = ("application/vnd.openxmlformats-officedocument.", *_ZIP, "application/octet-stream")
_ODF = ("application/vnd.oasis.opendocument.", *_ZIP)
_MP4 = ("video/mp4", "video/quicktime", "video/x-m4v", "video/3gpp", "audio/mp4", "audio/x-m4a")

EXTENSION_TYPES: dict[str, tuple[str, ...] | str] = {
    # images
    "jpg": ("image/jpeg",),
    "jpeg": ("image/jpeg",),
    "jpe": ("image/jpeg",),
    "jfif": ("image/jpeg",),
    "png": ("image/png", "image/apng"),
    "gif": ("image/gif",),
    "bmp": ("image/bmp", "image/x-ms-bmp"),
    "tif": ("image/tiff",),
    "tiff": ("image/tiff",),
    "webp": ("image/webp",),
    "heic": ("image/heic", "image/heif", "image/avif"),
    "heif": ("image/heic", "image/heif", "image/avif"),
    "avif": ("image/avif", "image/heif", "image/heic"),
    # video and audio
    "mp4": _MP4,
    "m4v": _MP4,
    "mov": _MP4,
    "3gp": _MP4,
    "m4a": _MP4,
    "avi": ("video/x-msvideo", "video/avi"),
    "mkv": ("video/x-matroska",),
    "webm": ("video/webm", "video/x-matroska"),
    "wmv": ("video/x-ms-asf", "video/x-ms-wmv"),
    "flv": ("video/x-flv",),
    "mpg": ("video/mpeg", "video/mp2p", "video/mp2t"),
    "mpeg": ("video/mpeg", "video/mp2p", "video/mp2t"),
    "mp3": ("audio/mpeg",),
    "wav": ("audio/x-wav", "audio/wav", "audio/vnd.wave"),
    "ogg": ("audio/ogg", "video/ogg", "application/ogg"),
    "opus": ("audio/ogg", "application/ogg"),
    "amr": ("audio/amr",),
    # documents
    "pdf": ("application/pdf",),
    "docx": _OOXML,
    "xlsx": _OOXML,
    "pptx": _OOXML,
    "odt": _ODF,
    "ods": _ODF,
    "odp": _ODF,
    "doc": _OLE,
    "xls": _OLE,
    "ppt": _OLE,
    "rtf": ("text/rtf", "application/rtf"),
    # archives and programs
    "zip": _ZIP,
    "apk": ("application/vnd.android.package-archive", "application/java-archive", *_ZIP),
    "jar": ("application/java-archive", *_ZIP),
    "rar": ("application/x-rar", "application/vnd.rar"),
    "7z": ("application/x-7z-compressed",),
    "gz": ("application/gzip", "application/x-gzip"),
    "tgz": ("application/gzip", "application/x-gzip"),
    "bz2": ("application/x-bzip2",),
    "xz": ("application/x-xz",),
    "tar": ("application/x-tar", "application/x-gtar"),
    "exe": (
        "application/x-dosexec",
        "application/vnd.microsoft.portable-executable",
        "application/x-msdownload",
    ),
    "dll": (
        "application/x-dosexec",
        "application/vnd.microsoft.portable-executable",
        "application/x-msdownload",
    ),
    "sqlite": ("application/vnd.sqlite3", "application/x-sqlite3"),
    "db": ("application/vnd.sqlite3", "application/x-sqlite3", "application/octet-stream"),
    # text: anything but a recognisable binary family
    "txt": _TEXT,
    "text": _TEXT,
    "csv": _TEXT,
    "log": _TEXT,
    "md": _TEXT,
    "json": _TEXT,
    "xml": _TEXT,
    "html": _TEXT,
    "htm": _TEXT,
    "ini": _TEXT,
    "cfg": _TEXT,
    "conf": _TEXT,
}
"""Extension (lower case, no dot) → MIME prefixes libmagic may report for genuine files of that kind,
or ``"text"`` for text-like extensions that accept anything except a binary family."""

# Content libmagic could not place, or placed by a weak guess for a format without magic bytes
# (TGA and dBase headers are matched by a few plausible numbers; random or damaged data hits them).
_UNKNOWN_CONTENT = (
    "application/octet-stream",
    "application/x-empty",
    "inode/",
    "image/x-tga",
    "application/x-dbf",
)
_BINARY_FAMILIES = (
    "image/",
    "video/",
    "audio/",
    "application/pdf",
    "application/zip",
    "application/x-dosexec",
    "application/vnd.microsoft.portable-executable",
    "application/x-executable",
    "application/x-sharedlib",
    "application/x-pie-executable",
    "application/x-rar",
    "application/vnd.rar",
    "application/x-7z-compressed",
    "application/gzip",
    "application/x-bzip2",
    "application/x-xz",
    "application/vnd.openxmlformats-officedocument.",
    "application/vnd.oasis.opendocument.",
    "application/x-ole-storage",
    "application/cdfv2",
    "application/msword",
    "application/vnd.ms-",
    "application/vnd.sqlite3",
    "application/x-sqlite3",
)


def _extension(name: bytes | str) -> str | None:
    text = name.decode("utf-8", "replace") if isinstance(name, bytes) else name
    base = re.split(r"[/\\]", text)[-1].rstrip(". ")
    stem, dot, extension = base.rpartition(".")
    if not dot or not stem.strip("."):
        return None  # no extension, or a dot-file such as ".bashrc"
    return extension.lower()


def extension_mismatch(name: bytes | str, mime: str | None) -> str | None:
    """Why the file's extension and its content type disagree, or None when they agree or it can't be told."""
    extension = _extension(name)
    accepted = EXTENSION_TYPES.get(extension or "")
    if accepted is None or not mime:
        return None
    content = mime.split(";", 1)[0].strip().lower()
    if not content or content.startswith(_UNKNOWN_CONTENT):
        return None
    if accepted == _TEXT:
        if content.startswith(_BINARY_FAMILIES):
            return f"extension .{extension} suggests text but the content is {content}"
        return None
    if content.startswith(tuple(accepted)):
        return None
    return f"extension .{extension} suggests {accepted[0]} but the content is {content}"


# ---------------------------------------------------------------------------------------------
# Which app a folder belongs to

OWNER_APPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("WhatsApp Business", (r"com\.whatsapp\.w4b",)),
    ("WhatsApp Business", (r"whatsapp business",)),
    ("WhatsApp", (r"com\.whatsapp",)),
    ("WhatsApp", (r"group\.net\.whatsapp\..*",)),
    ("WhatsApp", (r"whatsapp", r"media")),
    (
        "WhatsApp",
        (r"whatsapp (images|video|animated gifs|audio|documents|voice notes|stickers|profile photos)",),
    ),
    ("Telegram", (r"org\.telegram\.messenger.*",)),
    ("Telegram", (r"ph\.telegra\.telegraph",)),
    ("Telegram", (r"telegram( (images|video|audio|documents|stickers|files))?",)),
    ("Signal", (r"org\.thoughtcrime\.securesms",)),
    ("Signal", (r"group\.org\.whispersystems\.signal.*",)),
    ("Signal", (r"signal",)),
    ("Snapchat", (r"com\.snapchat\.android",)),
    ("Snapchat", (r"snapchat",)),
    ("Instagram", (r"com\.instagram\.android",)),
    ("Instagram", (r"instagram",)),
    ("Facebook Messenger", (r"com\.facebook\.orca",)),
    ("Facebook Messenger", (r"messenger",)),
    ("Facebook", (r"com\.facebook\.katana",)),
    ("Facebook", (r"facebook",)),
    ("Viber", (r"com\.viber\.voip",)),
    ("Viber", (r"viber( images| videos)?",)),
    ("Kik", (r"kik\.android",)),
    ("Discord", (r"com\.discord",)),
    ("Discord", (r"discord",)),
    ("TikTok", (r"com\.zhiliaoapp\.musically",)),
    ("TikTok", (r"tiktok",)),
    ("WeChat", (r"com\.tencent\.mm",)),
    ("WeChat", (r"wechat",)),
    ("Screenshots", (r"screenshots?",)),
    ("Camera", (r"dcim",)),
    ("Bluetooth", (r"bluetooth",)),
    ("Downloads", (r"downloads?",)),
)
"""Ordered (app, path-component patterns): the patterns are regular expressions that must each match a
whole path component, in sequence, case-insensitively. The first matching row names the app."""

_COMPILED: tuple[tuple[str, tuple[Callable[[str], re.Match[str] | None], ...]], ...] = tuple(
    (app, tuple(re.compile(pattern, re.IGNORECASE).fullmatch for pattern in patterns))
    for app, patterns in OWNER_APPS
)


def owner_app(path: str) -> str | None:
    """The app whose media folder holds this path (WhatsApp, Telegram, Camera ...), when the path says so."""
    parts = [part for part in re.split(r"[/\\]", path) if part]
    for app, matchers in _COMPILED:
        width = len(matchers)
        for start in range(len(parts) - width + 1):
            if all(match(parts[start + i]) for i, match in enumerate(matchers)):
                return app
    return None


class _ExifSession:
    def update(self, chunk: bytes) -> None:
        """EXIF is read from the kept bytes in ``finish``."""

    def finish(self, content: Content, settings: Settings) -> dict[str, Any]:
        if content.data is None:
            with content.open() as handle:  # too big to keep: EXIF sits near the start
                data = handle.read(_EXIF_HEAD_BYTES)
        else:
            data = content.data
        found = image_metadata(data)
        values: dict[str, Any] = {
            "camera_make": found.make,
            "camera_model": found.model,
            "camera_serial": found.serial,
            "captured_at": found.captured_at.isoformat() if found.captured_at else None,
            "gps_latitude": found.gps_latitude,
            "gps_longitude": found.gps_longitude,
        }
        return {k: v for k, v in values.items() if v is not None}


class ExifReader:
    """Camera, capture time and GPS of photos, for triage (a per-file plug-in like the hashers)."""

    name = "exif"
    version = "1"
    fields: tuple[str, ...] = (
        "camera_make",
        "camera_model",
        "camera_serial",
        "captured_at",
        "gps_latitude",
        "gps_longitude",
    )

    def accepts(self, mime: str | None) -> bool:
        """Photos (JPEG, TIFF, PNG, WebP, HEIF) carry EXIF."""
        return mime is not None and mime.startswith("image/")

    def begin(self) -> _ExifSession:
        """Nothing to set up: EXIF is read from the retained bytes."""
        return _ExifSession()


EXIF = ExifReader()
_EXIF_HEAD_BYTES = 4 * 1024 * 1024
