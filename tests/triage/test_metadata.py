"""Image metadata, extension mismatch and owner-app folders, mostly on images generated here."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import struct
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import ExifTags, Image, ImageFile
from PIL.TiffImagePlugin import IFDRational

from heroes.hashing.reader import detect_mime
from heroes.triage.metadata import ImageMetadata, extension_mismatch, image_metadata, owner_app

# ---------------------------------------------------------------------------------------------
# Builders


def _image(
    fmt: str = "JPEG", exif: Image.Exif | bytes | None = None, size: tuple[int, int] = (32, 16)
) -> bytes:
    out = io.BytesIO()
    params: dict[str, Any] = {"exif": exif} if exif is not None else {}
    Image.new("RGB", size, (200, 120, 40)).save(out, fmt, **params)
    return out.getvalue()


def _exif(
    ifd0: dict[int, Any], exif_ifd: dict[int, Any] | None = None, gps: dict[int, Any] | None = None
) -> Image.Exif:
    exif = Image.Exif()
    for tag, value in ifd0.items():
        exif[tag] = value
    if exif_ifd:
        exif.get_ifd(ExifTags.IFD.Exif).update(exif_ifd)
    if gps:
        exif.get_ifd(ExifTags.IFD.GPSInfo).update(gps)
    return exif


Entry = tuple[int, int, int, bytes]  # tag, TIFF type, count, big-endian payload


def _ascii(tag: int, text: bytes) -> Entry:
    return (tag, 2, len(text) + 1, text + b"\x00")


def _short(tag: int, value: int) -> Entry:
    return (tag, 3, 1, struct.pack(">H", value))


def _rationals(tag: int, *pairs: tuple[int, int]) -> Entry:
    return (tag, 5, len(pairs), b"".join(struct.pack(">II", n, d) for n, d in pairs))


def _raw_exif(ifd0: Sequence[Entry], exif_ifd: Sequence[Entry] = (), gps: Sequence[Entry] = ()) -> bytes:
    """A big-endian EXIF blob built by hand, so tags can carry any type (Pillow's writer coerces)."""
    subs = [(0x8769, list(exif_ifd)), (0x8825, list(gps))]
    subs = [(tag, entries) for tag, entries in subs if entries]
    main = list(ifd0) + [(tag, 4, 1, b"\x00\x00\x00\x00") for tag, _ in subs]
    tables = [main] + [entries for _, entries in subs]
    starts, at = [], 8
    for table in tables:
        starts.append(at)
        at += 2 + 12 * len(table) + 4
    data = bytearray()
    blobs = []
    for index, table in enumerate(tables):
        encoded = bytearray(struct.pack(">H", len(table)))
        for tag, kind, count, payload in sorted(table):
            if index == 0 and tag in dict(subs):
                payload = struct.pack(">I", starts[1 + [t for t, _ in subs].index(tag)])
            if len(payload) <= 4:
                field = payload.ljust(4, b"\x00")
            else:
                field = struct.pack(">I", at + len(data))
                data += payload
            encoded += struct.pack(">HHI", tag, kind, count) + field
        encoded += b"\x00\x00\x00\x00"
        blobs.append(bytes(encoded))
    return b"Exif\x00\x00MM\x00\x2a\x00\x00\x00\x08" + b"".join(blobs) + bytes(data)


def _full_exif() -> Image.Exif:
    return _exif(
        {
            ExifTags.Base.Make: "Canon",
            ExifTags.Base.Model: "Canon EOS 5D Mark IV",
            ExifTags.Base.Software: "Firmware 1.0.2",
            ExifTags.Base.Orientation: 6,
        },
        {
            ExifTags.Base.DateTimeOriginal: "2021:05:06 07:08:09",
            ExifTags.Base.OffsetTimeOriginal: "+02:00",
            ExifTags.Base.SubsecTimeOriginal: "25",
            ExifTags.Base.BodySerialNumber: "012345678901",
            ExifTags.Base.LensModel: "EF24-105mm f/4L IS USM",
            ExifTags.Base.LensSerialNumber: "0000c1234",
            ExifTags.Base.CameraOwnerName: "Jane Example",
            ExifTags.Base.ImageUniqueID: "5f1e0c2a9b7d4e3f8a6b5c4d3e2f1a0b",
        },
        {
            ExifTags.GPS.GPSLatitudeRef: "N",
            ExifTags.GPS.GPSLatitude: (40.0, 25.0, 1.5),
            ExifTags.GPS.GPSLongitudeRef: "W",
            ExifTags.GPS.GPSLongitude: (3.0, 42.0, 3.0),
            ExifTags.GPS.GPSAltitudeRef: b"\x00",
            ExifTags.GPS.GPSAltitude: 650.5,
            ExifTags.GPS.GPSDateStamp: "2021:05:06",
            ExifTags.GPS.GPSTimeStamp: (5.0, 8.0, 9.0),
        },
    )


# ---------------------------------------------------------------------------------------------
# image_metadata: good input


def test_every_field_of_a_camera_jpeg() -> None:
    meta = image_metadata(_image(exif=_full_exif()))
    assert meta == ImageMetadata(
        format="JPEG",
        width=32,
        height=16,
        orientation=6,
        make="Canon",
        model="Canon EOS 5D Mark IV",
        serial="012345678901",
        serial_source="BodySerialNumber",
        lens="EF24-105mm f/4L IS USM",
        lens_serial="0000c1234",
        owner="Jane Example",
        software="Firmware 1.0.2",
        unique_id="5f1e0c2a9b7d4e3f8a6b5c4d3e2f1a0b",
        captured_at=datetime(2021, 5, 6, 7, 8, 9, 250000, tzinfo=timezone(timedelta(hours=2))),
        gps_latitude=40.4170833,
        gps_longitude=-3.7008333,
        gps_altitude=650.5,
        gps_time=datetime(2021, 5, 6, 5, 8, 9, tzinfo=UTC),
        warnings=(),
    )
    assert meta.capture_zone_known and meta.has_gps
    # The camera's offset agrees with the GPS clock: a consistency check the timeline can make.
    assert meta.captured_at is not None and meta.gps_time is not None
    assert abs(meta.captured_at - meta.gps_time) < timedelta(seconds=1)


@pytest.mark.parametrize("fmt", ["PNG", "WEBP", "TIFF"])
def test_other_formats_carry_the_same_exif(fmt: str) -> None:
    # Pillow's TIFF writer takes the sub-IFDs only from EXIF bytes, not from an Exif object.
    meta = image_metadata(_image(fmt, exif=_full_exif().tobytes()))
    expected = image_metadata(_image(exif=_full_exif()))
    assert meta.format == fmt
    assert meta == dataclasses.replace(expected, format=fmt)


def test_png_exif_after_the_pixels_is_found_without_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    png = _image("PNG", exif=_full_exif())
    # Move the eXIf chunk behind IDAT, where Pillow's own getexif() would decode the image to reach it.
    chunks, pos = [], 8
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        chunks.append(png[pos : pos + 12 + length])
        pos += 12 + length
    exif_chunk = next(c for c in chunks if c[4:8] == b"eXIf")
    chunks.remove(exif_chunk)
    chunks.insert(len(chunks) - 1, exif_chunk)
    moved = png[:8] + b"".join(chunks)

    def refuse(self: ImageFile.ImageFile) -> None:
        raise AssertionError("pixels must not be decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", refuse)
    meta = image_metadata(moved)
    assert meta.serial == "012345678901" and meta.gps_longitude == -3.7008333
    for fmt in ("JPEG", "PNG", "WEBP", "TIFF"):
        assert image_metadata(_image(fmt, exif=_full_exif())).make == "Canon"


def test_south_west_below_sea_level_and_rational_tuples() -> None:
    gps: dict[int, Any] = {
        ExifTags.GPS.GPSLatitudeRef: "S",
        ExifTags.GPS.GPSLatitude: (IFDRational(33, 1), IFDRational(5193, 100), IFDRational(0, 1)),
        ExifTags.GPS.GPSLongitudeRef: "E",
        ExifTags.GPS.GPSLongitude: (IFDRational(151, 1), IFDRational(12, 1), IFDRational(3600, 100)),
        ExifTags.GPS.GPSAltitudeRef: b"\x01",
        ExifTags.GPS.GPSAltitude: IFDRational(4255, 10),
    }
    meta = image_metadata(_image(exif=_exif({ExifTags.Base.Make: "Apple"}, None, gps)))
    assert meta.gps_latitude == pytest.approx(-(33 + 51.93 / 60))
    assert meta.gps_longitude == pytest.approx(151 + 12 / 60 + 36 / 3600)
    assert meta.gps_altitude == -425.5
    assert meta.warnings == ()


def test_capture_time_without_offset_is_naive_local_time() -> None:
    meta = image_metadata(_image(exif=_exif({}, {ExifTags.Base.DateTimeOriginal: "2019:12:31 23:59:58"})))
    assert meta.captured_at == datetime(2019, 12, 31, 23, 59, 58)
    assert meta.captured_at.tzinfo is None and not meta.capture_zone_known
    assert meta.warnings == ()


def test_utf8_text_and_nul_padding() -> None:
    exif = _raw_exif(
        [_ascii(ExifTags.Base.Make, "Caméra Ñ".encode()), _ascii(ExifTags.Base.Model, b"X100\x00\x00\x00")]
    )
    meta = image_metadata(_image(exif=exif))
    assert (meta.make, meta.model) == ("Caméra Ñ", "X100")


@pytest.mark.parametrize(
    ("model", "expected"), [("Canon EOS 80D", "0123456789"), ("Canon EOS-1D X Mark II", "123456789")]
)
def test_canon_maker_note_serial(model: str, expected: str) -> None:
    maker_note = struct.pack(">HHHII", 1, 0x000C, 4, 1, 123456789) + b"\x00" * 4
    exif = _exif(
        {ExifTags.Base.Make: "Canon", ExifTags.Base.Model: model}, {ExifTags.Base.MakerNote: maker_note}
    )
    meta = image_metadata(_image(exif=exif))
    assert (meta.serial, meta.serial_source) == (expected, "Canon MakerNote SerialNumber")


def test_nikon_maker_note_serial() -> None:
    serial = b"3012345\x00"
    ifd = struct.pack(">HHHII", 1, 0x001D, 2, len(serial), 8 + 2 + 12 + 4) + b"\x00" * 4
    maker_note = b"Nikon\x00\x02\x10\x00\x00" + b"MM\x00\x2a\x00\x00\x00\x08" + ifd + serial
    exif = _exif({ExifTags.Base.Make: "NIKON CORPORATION"}, {ExifTags.Base.MakerNote: maker_note})
    meta = image_metadata(_image(exif=exif))
    assert (meta.serial, meta.serial_source) == ("3012345", "Nikon MakerNote SerialNumber")


def test_dng_camera_serial_in_ifd0() -> None:
    exif = _raw_exif([_ascii(0xC62F, b"DNG-42")])
    assert image_metadata(_image(exif=exif)).serial_source == "CameraSerialNumber"


def test_declared_bomb_size_still_gives_metadata() -> None:
    jpeg = bytearray(_image(exif=_full_exif()))
    sof = jpeg.index(b"\xff\xc0")
    jpeg[sof + 5 : sof + 9] = struct.pack(">HH", 65000, 65000)
    meta = image_metadata(bytes(jpeg))
    assert (meta.width, meta.height, meta.make) == (65000, 65000, "Canon")
    assert any("decompression bomb" in w for w in meta.warnings)


def test_shared_camera_photos(shared_data: Path) -> None:
    """Real phone EXIF (Meta's PDQ orientation set) and the synthetic camera JPEG of the FAT test image."""
    for orientation in (1, 3, 6, 8):
        photo = shared_data / f"threatexchange/pdq/data/reg-test-input/exif-rotn/exif-rotn-{orientation}.jpg"
        meta = image_metadata(photo.read_bytes())
        assert (meta.orientation, meta.make, meta.width, meta.height) == (orientation, "samsung", 4032, 3024)
        assert meta.warnings == ()
    raw = (shared_data / "disk_images/synthetic/mbr_fat.raw").read_bytes()
    start = raw.index(b"\xff\xd8\xff")
    jpeg = raw[start : start + 4780]  # /DCIM/100TEST/IMG_0001.JPG, contiguous on this fresh FAT volume
    assert (
        hashlib.sha256(jpeg).hexdigest() == "c1004d764faee5d611d39a3ff82f94196a7d357f396be260b86932cdf3113472"
    )
    meta = image_metadata(jpeg)
    assert (meta.make, meta.model, meta.serial) == ("HeroesTestCam", "Model-1", "SN-TEST-0001")
    assert meta.captured_at == datetime(2021, 3, 4, 5, 6, 7) and not meta.capture_zone_known
    assert (meta.gps_latitude, meta.gps_longitude) == (40.4170833, -3.7008333)  # N40°25'1.5" W3°42'3"
    assert extension_mismatch("/Documents/report.txt", detect_mime(jpeg)) is not None
    assert extension_mismatch("/DCIM/100TEST/IMG_0001.JPG", detect_mime(jpeg)) is None
    assert owner_app("/DCIM/100TEST/IMG_0001.JPG") == "Camera"
    assert owner_app("/Downloads/lorem.txt") == "Downloads"


# ---------------------------------------------------------------------------------------------
# image_metadata: bad input gives warnings, never exceptions


def _warned(meta: ImageMetadata, *fragments: str) -> None:
    text = " | ".join(meta.warnings)
    for fragment in fragments:
        assert fragment in text, f"{fragment!r} not in {text!r}"


def test_absurd_gps_and_zero_denominators() -> None:
    gps = [
        _ascii(1, b"N"),
        _rationals(2, (500, 1), (0, 1), (0, 1)),
        _ascii(3, b"E"),
        _rationals(4, (3, 0), (1, 1), (0, 1)),
        _rationals(6, (10, 0)),
    ]
    meta = image_metadata(_image(exif=_raw_exif([_ascii(ExifTags.Base.Make, b"Acme")], gps=gps)))
    assert meta.make == "Acme"
    assert (meta.gps_latitude, meta.gps_longitude, meta.gps_altitude) == (None, None, None)
    _warned(meta, "GPSLatitude 500 is outside ±90", "GPSLongitude", "zero denominator", "GPSAltitude")


def test_bad_refs_minutes_and_single_coordinate() -> None:
    gps = [_ascii(1, b"X"), _rationals(2, (10, 1), (75, 1), (0, 1)), _rationals(4, (10, 1), (0, 1), (0, 1))]
    meta = image_metadata(_image(exif=_raw_exif([], gps=gps)))
    assert (meta.gps_latitude, meta.gps_longitude) == (None, None)
    _warned(meta, "minutes or seconds outside", "GPSLongitudeRef missing; assumed E", "only one of latitude")


def test_missing_refs_are_assumed_north_east() -> None:
    gps = [_rationals(2, (10, 1), (30, 1), (0, 1)), _rationals(4, (20, 1), (15, 1), (0, 1))]
    meta = image_metadata(_image(exif=_raw_exif([], gps=gps)))
    assert (meta.gps_latitude, meta.gps_longitude) == (10.5, 20.25)
    _warned(meta, "GPSLatitudeRef missing; assumed N", "GPSLongitudeRef missing; assumed E")


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        (b"0000:00:00 00:00:00", "is not a valid date"),
        (b"    :  :     :  :  ", "is not a valid date"),
        (b"2021:02:30 10:00:00", "is not a valid date"),
        (b"yesterday", "is not a valid date"),
    ],
)
def test_invalid_capture_dates(value: bytes, fragment: str) -> None:
    meta = image_metadata(_image(exif=_raw_exif([], [_ascii(ExifTags.Base.DateTimeOriginal, value)])))
    assert meta.captured_at is None
    _warned(meta, "DateTimeOriginal", fragment)


def test_bad_offset_leaves_time_naive() -> None:
    exif_ifd = [_ascii(ExifTags.Base.DateTimeOriginal, b"2020:01:01 10:00:00"), _ascii(0x9011, b"+25:00")]
    meta = image_metadata(_image(exif=_raw_exif([], exif_ifd)))
    assert meta.captured_at == datetime(2020, 1, 1, 10, 0, 0) and not meta.capture_zone_known
    _warned(meta, "OffsetTimeOriginal '+25:00'")


def test_wrong_types() -> None:
    ifd0 = [
        _short(ExifTags.Base.Make, 5),
        _short(ExifTags.Base.Orientation, 9),
        _ascii(ExifTags.Base.Model, b"M"),
    ]
    exif_ifd = [_short(ExifTags.Base.DateTimeOriginal, 7), _short(ExifTags.Base.BodySerialNumber, 3)]
    gps = [_ascii(1, b"N"), _ascii(2, b"forty"), _ascii(3, b"E"), _ascii(4, b"3"), _ascii(6, b"high")]
    meta = image_metadata(_image(exif=_raw_exif(ifd0, exif_ifd, gps)))
    assert meta.model == "M"
    assert (meta.make, meta.orientation, meta.captured_at, meta.serial, meta.gps_latitude) == (None,) * 5
    assert meta.gps_altitude is None
    _warned(meta, "Make is int", "Orientation 9", "DateTimeOriginal is int", "BodySerialNumber is int")
    _warned(meta, "GPSLatitude 'forty'", "GPSAltitude 'high'")


def _with_app1(jpeg: bytes, payload: bytes) -> bytes:
    start = jpeg.index(b"\xff\xe1")
    (length,) = struct.unpack(">H", jpeg[start + 2 : start + 4])
    return (
        jpeg[:start]
        + b"\xff\xe1"
        + struct.pack(">H", len(payload) + 2)
        + payload
        + jpeg[start + 2 + length :]
    )


def test_truncated_app1_segment() -> None:
    jpeg = _image(exif=_full_exif())
    start = jpeg.index(b"\xff\xe1")
    payload = jpeg[
        start + 4 : start + 4 + 60
    ]  # header and part of IFD0; every offset now points past the end
    meta = image_metadata(_with_app1(jpeg, payload))
    assert (meta.format, meta.width, meta.height) == ("JPEG", 32, 16)
    assert meta.serial is None and meta.gps_latitude is None
    assert meta.warnings, "a cut EXIF block must be reported"


def test_sub_ifd_pointer_out_of_range() -> None:
    blob = bytearray(
        _raw_exif([_ascii(ExifTags.Base.Make, b"Acme")], [_ascii(0xA431, b"S1")], [_ascii(1, b"N")])
    )
    pointer = blob.index(struct.pack(">HHI", 0x8769, 4, 1)) + 8
    blob[pointer : pointer + 4] = struct.pack(">I", 0x7FFFFFF0)
    pointer = blob.index(struct.pack(">HHI", 0x8825, 4, 1)) + 8
    blob[pointer : pointer + 4] = struct.pack(">I", 0xFFFFFFFF)
    meta = image_metadata(_image(exif=bytes(blob)))
    assert meta.make == "Acme" and meta.serial is None
    _warned(meta, "Exif IFD", "GPS IFD")


def test_not_an_image() -> None:
    meta = image_metadata(b"%PDF-1.4 not an image")
    assert meta.format is None and meta.warnings == ("not an image format Pillow can read; no metadata",)
    assert image_metadata(b"").warnings


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2048))
def test_fuzz_random_bytes_never_raise(data: bytes) -> None:
    assert isinstance(image_metadata(data), ImageMetadata)
    assert isinstance(image_metadata(b"\xff\xd8\xff\xe1" + data), ImageMetadata)


_SEED_JPEG = _image(exif=_full_exif())
_APP1 = _SEED_JPEG.index(b"\xff\xe1")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 400), st.integers(0, 255)), min_size=1, max_size=12))
def test_fuzz_flipped_exif_bytes_never_raise(flips: list[tuple[int, int]]) -> None:
    data = bytearray(_SEED_JPEG)
    for offset, value in flips:
        data[_APP1 + 10 + offset] = value
    meta = image_metadata(bytes(data))
    assert isinstance(meta, ImageMetadata)
    if meta.gps_latitude is not None:
        assert -90 <= meta.gps_latitude <= 90
    if meta.gps_longitude is not None:
        assert -180 <= meta.gps_longitude <= 180


# ---------------------------------------------------------------------------------------------
# extension_mismatch


def _zip() -> bytes:
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "fragment"),
    [
        ("holiday.txt", _image(), "extension .txt suggests text but the content is image/jpeg"),
        (b"report.jpg", _zip(), "extension .jpg suggests image/jpeg but the content is application/zip"),
        ("DCIM/IMG_0001.JPG", b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF\n", "content is application/pdf"),
        ("cat.png", _image("GIF"), "suggests image/png but the content is image/gif"),
        ("notes.docx", _image("PNG"), "content is image/png"),
    ],
)
def test_mismatch_found_with_libmagic(name: str | bytes, content: bytes, fragment: str) -> None:
    reason = extension_mismatch(name, detect_mime(content))
    assert reason is not None and fragment in reason


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("photo.jpg", _image()),
        ("PHOTO.JPEG", _image()),
        ("scan.tif", _image("TIFF")),
        ("letter.docx", _zip()),
        ("readme.txt", b"hello world\n"),
        ("data.json", b'{"a": 1}'),
        ("main.txt", b"#include <stdio.h>\nint main(void) { return 0; }\n"),
        ("empty.jpg", b""),
        ("photo.xyz", _zip()),
        ("Makefile", _image()),
        (".bashrc", _image()),
        ("blob.jpg", bytes(range(256)) * 4),
    ],
)
def test_no_false_alarms(name: str, content: bytes) -> None:
    assert extension_mismatch(name, detect_mime(content)) is None


def test_mismatch_by_mime_string() -> None:
    assert extension_mismatch("invoice.jpg", "application/x-dosexec") is not None
    assert extension_mismatch("invoice.jpg", "application/vnd.microsoft.portable-executable") is not None
    assert extension_mismatch("setup.exe", "application/x-dosexec") is None
    assert extension_mismatch("a.jpg", None) is None
    assert extension_mismatch("a.jpg", "image/jpeg; charset=binary") is None
    assert extension_mismatch("a.txt", "text/x-shellscript") is None
    assert extension_mismatch("a.csv", "application/csv") is None
    assert extension_mismatch(b"dir.jpg/clip.mp4", "video/quicktime") is None
    assert extension_mismatch("C:\\Users\\x\\clip.mp4", "image/jpeg") is not None
    assert extension_mismatch(b"\xff\xfe.jpg", "image/jpeg") is None


# ---------------------------------------------------------------------------------------------
# owner_app


@pytest.mark.parametrize(
    ("path", "app"),
    [
        ("/sdcard/WhatsApp/Media/WhatsApp Images/IMG-20210101-WA0001.jpg", "WhatsApp"),
        ("Android/media/com.whatsapp/WhatsApp/Media/WhatsApp Video/Sent/VID-1.mp4", "WhatsApp"),
        ("/sdcard/Android/media/com.whatsapp.w4b/WhatsApp Business/Media/x.jpg", "WhatsApp Business"),
        (
            "private/var/mobile/Containers/Shared/AppGroup/group.net.whatsapp.WhatsApp.shared/Message/Media/a.jpg",
            "WhatsApp",
        ),
        ("/storage/emulated/0/Telegram/Telegram Images/123.jpg", "Telegram"),
        ("/storage/emulated/0/Download/Telegram/file.zip", "Telegram"),
        ("/storage/emulated/0/DCIM/Camera/IMG_20210101_101010.jpg", "Camera"),
        ("/storage/emulated/0/DCIM/100APPLE/IMG_0001.HEIC", "Camera"),
        ("/storage/emulated/0/DCIM/Screenshots/Screenshot_2021.png", "Screenshots"),
        ("/storage/emulated/0/Pictures/Screenshots/s.png", "Screenshots"),
        ("/data/data/com.snapchat.android/files/file_manager/chat_snap/x", "Snapchat"),
        ("/storage/emulated/0/Pictures/Signal/signal-2021.jpg", "Signal"),
        ("/storage/emulated/0/Pictures/Instagram/IMG_1.jpg", "Instagram"),
        ("/storage/emulated/0/Pictures/Messenger/received_1.jpeg", "Facebook Messenger"),
        ("/data/data/com.facebook.orca/cache/image/x", "Facebook Messenger"),
        ("C:\\Users\\bob\\Downloads\\pic.jpg", "Downloads"),
        ("/storage/emulated/0/download/pic.jpg", "Downloads"),
        ("/STORAGE/EMULATED/0/WHATSAPP/MEDIA/WHATSAPP IMAGES/A.JPG", "WhatsApp"),
    ],
)
def test_owner_app(path: str, app: str) -> None:
    assert owner_app(path) == app


@pytest.mark.parametrize(
    "path",
    [
        "/home/bob/Pictures/holiday/img.jpg",
        "",
        "/",
        "/srv/whatsappish/x.jpg",
        "/tmp/telegram.jpg",
        "DCIMX/a.jpg",
    ],
)
def test_no_owner_app(path: str) -> None:
    assert owner_app(path) is None
