"""vPDQ: Meta's video similarity signal, a bag of per-frame PDQ hashes, decoded with PyAV.

Sampling follows the reference C++ (facebook/ThreatExchange ``vpdq/cpp/vpdq/cpp/hashing/``
``filehasher.cpp``, ``ffmpegwrapper.cpp``, ``hasher.h``), so our signals compare with hashes in
agency lists made by that code:

* Frames are numbered 0, 1, 2, ... in the order the decoder returns them (the codec's frame
  counter minus one), from the first video stream in the file.
* The frame rate is the stream's average rate, else its real base rate (``r_frame_rate``).
* With ``seconds_per_hash`` s, frame *n* is hashed when ``n % max(1, int(s * fps)) == 0``
  (truncation, as in C++), so at 29.97 fps and 1 s every 29th frame is hashed; 0 hashes every
  frame. Its timestamp is ``n / fps`` in single precision, written with 3 decimals.
* Each hashed frame is converted at full size to RGB24 the way the reference's ``sws_scale``
  does it (area filter; BT.601 matrix and limited range unless the pixel format is a ``yuvj``
  one, whatever the stream's colour tags say; PyAV would otherwise honour the tags), and then
  hashed by pdqhash, the same C++ PDQ code (RGB to luma, Jarosz filter, DCT).

Tolerance was measured against the reference sample hashes: every frame of the 14 videos in
``tmk/sample-videos``, compared with ``vpdq/sample-hashes``. Frame numbers and timestamps are
identical, and quality is within 1. The 5,778 frames of quality >= 80 are within 6 bits
(mean 1.07). Lower-quality frames are fragile in PDQ, as in any implementation. On
``doorknob-hd-no-bar``'s blurred passage, frames of quality 50-79 differ by up to 22 bits (still
inside the match distance of 31), and frames of quality 0 differ by up to 76 bits (dropped
before matching anyway).

Matching is Meta's bag-of-frames rule (pytx ``vpdq_brute_matcher``), with timestamps unused:

1. Deduplicate each side's hashes.
2. Drop frames of quality < 50.
3. Count the frames on each side that have a frame on the other side within 31 bits (<= as in
   pytx; the C++ brute matcher uses <).
4. Report both percentages. pytx calls it a match when 80% of the query is found.

Text form (:func:`dumps_vpdq`) is the reference's own line, ``frame,quality,pdq,timestamp``
(timestamp with 3 decimals), with records joined by ';'. It fits in one CSV cell or database
field, and the reference's newline-separated hash files load unchanged.

What is refused, with a ValueError that says why and where (frame number and time):

* Anything that is not in one of the container formats listed in :data:`DEMUXERS`. FFmpeg's
  playlist-style demuxers (HLS, DASH, concat, image sequences) open further files or URLs named
  inside the input. That input is evidence or crawled media, so it must never steer what is read.
  The input is also always handed to FFmpeg as an open file object, never by name, and nested
  opens are refused (``protocol_whitelist``).
* Frames over ``settings.max_image_pixels`` (the same decompression-bomb limit as for photos),
  checked on the header before decoding and on every frame, and frames smaller than the 5x5 PDQ
  can hash.
* Videos longer than :data:`MAX_VIDEO_SECONDS` or :data:`MAX_VIDEO_FRAMES`.
* Decoder errors, truncated files and files with no decodable frame. The reference also gives
  up on decoder errors. Hashes of the part before the damage are not returned, because a
  partial bag would quietly stand in for the whole video. Most cuts land inside a packet, and
  the decoder rejects that packet. A cut exactly at a packet boundary shows as fewer packets
  than the header's frame count, with the reader at the end of the data. Two limits follow.
  Formats that declare no frame count (Matroska, MPEG-TS) hash their intact part silently, as
  the reference does. An MP4 trimmed by an edit list whose cut frames are the last bytes of the
  file would be refused.

Bytes are decoded from memory (crawled media is never written to disk), and nothing here
creates temporary files.
"""

from __future__ import annotations

import io
import math
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.metadata import version as _package_version
from pathlib import Path
from typing import Any, BinaryIO

import av
import av.error
import numpy as np
import pdqhash
from av.container import InputContainer
from av.video.frame import VideoFrame
from av.video.reformatter import ColorRange, Colorspace, Interpolation
from av.video.stream import VideoStream

from heroes.config import Settings
from heroes.hashing.base import Content
from heroes.hashing.index import pack_hex
from heroes.hashing.pdq import hex_from_bits
from heroes.hashing.reader import open_readonly

__all__ = [
    "DEMUXERS",
    "MAX_VIDEO_FRAMES",
    "MAX_VIDEO_SECONDS",
    "VPDQ",
    "VideoFrameHash",
    "VpdqHasher",
    "dumps_vpdq",
    "hash_video",
    "is_vpdq_match",
    "loads_vpdq",
    "read_vpdq_file",
    "vpdq_match",
]

MAX_VIDEO_SECONDS = 4 * 3600
"""Longest video hashed, in seconds. Four hours covers feature films and long recordings.
Decoding is the cost, not hashing: HD video decodes at a few hundred frames a second on one
core, so this bounds one file to minutes of a worker. A longer video, or one whose header says
so, is refused rather than letting one file hold a worker for an hour."""

MAX_VIDEO_FRAMES = MAX_VIDEO_SECONDS * 60
"""Most frames decoded: four hours at 60 fps. This bounds the work even when a hostile header
states a tiny frame rate or lies about the duration."""

DEMUXERS = (
    "mov",  # MP4, MOV, M4V, 3GP
    "matroska",  # MKV, WebM
    "avi",
    "asf",  # WMV
    "flv",
    "mpeg",  # MPEG program stream, VOB
    "mpegts",
    "mpegvideo",
    "h264",
    "hevc",
    "m4v",
    "obu",
    "vc1",
    "ogg",
    "rm",
    "ivf",
    "mxf",
    "nut",
    "dv",
    "wtv",
    "yuv4mpegpipe",
)
"""FFmpeg demuxers allowed to read a video. All of them read only the input they are given."""

_CONTAINER_OPTIONS = {"format_whitelist": ",".join(DEMUXERS), "protocol_whitelist": "none"}
_MIN_SIDE = 5  # PDQ's MIN_HASHABLE_DIM; the reference refuses smaller frames too
_NO_FRAMES = "no decodable video frames"
_PAIR_BUDGET = 1 << 20  # frame pairs compared per NumPy step in vpdq_match (bounds its memory)
_VIDEO_MIMES = ("video/", "application/mxf", "application/vnd.rn-realmedia")
_FRAME = re.compile(r"[0-9]{1,9}")
_QUALITY = re.compile(r"[0-9]{1,3}")
_PDQ = re.compile(r"[0-9a-fA-F]{64}")
_SEPARATORS = re.compile(r"[;\n]")


@dataclass(frozen=True, slots=True)
class VideoFrameHash:
    """The PDQ hash of one sampled frame: its number, hash, quality (0-100) and time in seconds."""

    frame: int
    pdq: str
    quality: int
    timestamp: float


def hash_video(
    source: bytes | BinaryIO | str | os.PathLike[str], settings: Settings, seconds_per_hash: float = 1.0
) -> list[VideoFrameHash]:
    """vPDQ frame hashes of a video held in memory, an open binary file, or a file path."""
    if not (math.isfinite(seconds_per_hash) and seconds_per_hash >= 0):
        raise ValueError(f"seconds_per_hash must be a finite number >= 0, not {seconds_per_hash!r}")
    if isinstance(source, bytes | bytearray | memoryview):
        return _hash_handle(io.BytesIO(source), settings, seconds_per_hash)
    if isinstance(source, str | os.PathLike):
        with os.fdopen(open_readonly(os.fsencode(source)), "rb") as handle:
            return _hash_handle(handle, settings, seconds_per_hash)
    return _hash_handle(source, settings, seconds_per_hash)


def _size_left(handle: BinaryIO) -> int | None:
    try:
        if not handle.seekable():
            return None
        here = handle.tell()
        end = handle.seek(0, io.SEEK_END)
        handle.seek(here)
        return end - here
    except (OSError, ValueError):
        return None


def _reason(exc: av.error.FFmpegError) -> str:
    return f"FFmpeg: {exc.strerror or exc}"


def _hash_handle(handle: BinaryIO, settings: Settings, seconds_per_hash: float) -> list[VideoFrameHash]:
    size = _size_left(handle)
    if size == 0:
        raise ValueError(_NO_FRAMES)
    try:
        container = av.open(handle, "r", container_options=_CONTAINER_OPTIONS, metadata_errors="replace")
    except av.error.FFmpegError as exc:
        raise ValueError(f"not a video container that can be read ({_reason(exc)})") from None
    with container:
        run = _hash_container(container, settings, seconds_per_hash)
        # A file cut at a packet boundary decodes cleanly; it shows as fewer packets than the
        # header declares, with the reader standing at the end of the data.
        if run.packets < run.declared and size is not None and _size_left(handle) == 0:
            raise ValueError(
                f"video is truncated: the header declares {run.declared} frames but the data ends "
                f"after {run.packets} ({_at(run.decoded, run.fps)})"
            )
    return run.frames


@dataclass(slots=True)
class _Run:
    fps: float
    declared: int
    frames: list[VideoFrameHash]
    decoded: int = 0
    packets: int = 0


def _at(index: int, fps: float) -> str:
    return f"at frame {index}, {index / fps:.3f} s"


def _frame_rate(stream: VideoStream) -> float:
    rate = stream.average_rate or stream.base_rate
    fps = float(rate) if rate else 0.0
    if not (math.isfinite(fps) and fps > 0):
        raise ValueError("video frame rate is unknown or zero; cannot place frames in time")
    return fps


def _check_header(container: InputContainer, stream: VideoStream, settings: Settings) -> None:
    width, height = stream.codec_context.width, stream.codec_context.height
    if width * height > settings.max_image_pixels:
        raise ValueError(
            f"video frames of {width}x{height} pixels are over the limit of {settings.max_image_pixels} "
            "(max_image_pixels; possible decompression bomb); not decoded"
        )
    if stream.duration is not None and stream.time_base is not None:
        seconds = float(stream.duration * stream.time_base)
    else:
        seconds = (container.duration or 0) / 1_000_000
    if seconds > MAX_VIDEO_SECONDS:
        raise ValueError(
            f"video lasts {seconds:.0f} s by its header, over the limit of {MAX_VIDEO_SECONDS} s; not decoded"
        )
    if stream.frames > MAX_VIDEO_FRAMES:
        raise ValueError(
            f"video has {stream.frames} frames by its header, over the limit of {MAX_VIDEO_FRAMES}; "
            "not decoded"
        )


def _check_frame(frame: VideoFrame, index: int, fps: float, settings: Settings) -> None:
    if frame.width * frame.height > settings.max_image_pixels:
        raise ValueError(
            f"video frame of {frame.width}x{frame.height} pixels {_at(index, fps)} is over the limit of "
            f"{settings.max_image_pixels} (max_image_pixels; possible decompression bomb)"
        )
    if frame.width < _MIN_SIDE or frame.height < _MIN_SIDE:
        raise ValueError(
            f"video frame of {frame.width}x{frame.height} pixels {_at(index, fps)} is too small for PDQ "
            f"(at least {_MIN_SIDE}x{_MIN_SIDE})"
        )
    if index >= MAX_VIDEO_FRAMES or index / fps > MAX_VIDEO_SECONDS:
        raise ValueError(
            f"video runs past the limit of {MAX_VIDEO_FRAMES} frames or {MAX_VIDEO_SECONDS} s "
            f"({_at(index, fps)}); refused"
        )


def _hash_frame(frame: VideoFrame, index: int, fps: float) -> VideoFrameHash:
    # Legacy sws_scale as the reference calls it: BT.601, range from the pixel format alone.
    rgb = frame.to_ndarray(
        format="rgb24",
        interpolation=Interpolation.AREA,
        src_colorspace=Colorspace.ITU601,
        src_color_range=ColorRange.MPEG,  # yuvj* formats stay full range inside swscale
    )
    bits, quality = pdqhash.compute(np.ascontiguousarray(rgb))
    timestamp = round(float(np.float32(index) / np.float32(fps)), 3)
    return VideoFrameHash(index, hex_from_bits(bits), int(quality), timestamp)


def _hash_container(container: InputContainer, settings: Settings, seconds_per_hash: float) -> _Run:
    if not container.streams.video:
        raise ValueError("no video stream in the file")
    stream = container.streams.video[0]
    if getattr(stream, "codec_context", None) is None:
        raise ValueError("no decoder for the codec of the video stream")
    run = _Run(_frame_rate(stream), stream.frames, [])
    _check_header(container, stream, settings)
    every = max(1, int(seconds_per_hash * run.fps))
    last_corrupt = False
    try:
        for packet in container.demux(stream):
            if packet.size or packet.dts is not None:  # not the empty packet that flushes the decoder
                run.packets += 1
                last_corrupt = packet.is_corrupt
            for frame in packet.decode():
                _check_frame(frame, run.decoded, run.fps, settings)
                if run.decoded % every == 0:
                    run.frames.append(_hash_frame(frame, run.decoded, run.fps))
                run.decoded += 1
    except av.error.FFmpegError as exc:
        raise ValueError(f"video could not be decoded {_at(run.decoded, run.fps)} ({_reason(exc)})") from None
    if run.decoded == 0:
        raise ValueError(_NO_FRAMES)
    if last_corrupt:
        raise ValueError(f"video is truncated: its last packet is incomplete ({_at(run.decoded, run.fps)})")
    return run


# --- text form ---------------------------------------------------------------------------------


def dumps_vpdq(frames: Sequence[VideoFrameHash]) -> str:
    """The stored text form: the reference's ``frame,quality,pdq,timestamp`` lines joined by ';'."""
    if not frames:
        raise ValueError("a vPDQ signal needs at least one frame")
    return ";".join(f"{f.frame},{f.quality},{f.pdq},{f.timestamp:.3f}" for f in frames)


def _record(text: str) -> VideoFrameHash:
    fields = [part.strip() for part in text.split(",")]
    if len(fields) != 4:
        raise ValueError(
            f"expected 4 comma-separated fields (frame,quality,pdq,timestamp), found {len(fields)}"
        )
    frame, quality, pdq, timestamp = fields
    if not _FRAME.fullmatch(frame):
        raise ValueError(f"frame number {frame!r} is not a non-negative integer")
    if not _QUALITY.fullmatch(quality) or int(quality) > 100:
        raise ValueError(f"quality {quality!r} is not an integer from 0 to 100")
    if not _PDQ.fullmatch(pdq):
        raise ValueError(f"PDQ hash {pdq!r} is not 64 hex digits")
    try:
        seconds = float(timestamp)
    except ValueError:
        raise ValueError(f"timestamp {timestamp!r} is not a number") from None
    if not (math.isfinite(seconds) and seconds >= 0):
        raise ValueError(f"timestamp {timestamp!r} is not a time >= 0")
    return VideoFrameHash(int(frame), pdq.lower(), int(quality), seconds)


def _parse(records: list[tuple[str, str]]) -> list[VideoFrameHash]:
    frames: list[VideoFrameHash] = []
    for where, text in records:
        if len(frames) >= MAX_VIDEO_FRAMES:
            raise ValueError(f"{where}: more than {MAX_VIDEO_FRAMES} frames")
        try:
            frame = _record(text)
        except ValueError as exc:
            raise ValueError(f"{where}: {exc}") from None
        if frames and frame.frame <= frames[-1].frame:
            raise ValueError(f"{where}: frame numbers must increase ({frame.frame} after {frames[-1].frame})")
        frames.append(frame)
    if not frames:
        raise ValueError("vPDQ signal has no frames")
    return frames


def loads_vpdq(text: str) -> list[VideoFrameHash]:
    """Frames from :func:`dumps_vpdq` text (';' or newlines between records); errors name the record."""
    parts = [part.strip() for part in _SEPARATORS.split(text)]
    return _parse([(f"vPDQ record {n}", part) for n, part in enumerate(parts, 1) if part])


def read_vpdq_file(path: str | os.PathLike[str]) -> list[VideoFrameHash]:
    """Frames from a reference hash file (``vpdq-hash-video`` output); errors name the line."""
    name = Path(path)
    try:
        lines = name.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise ValueError(f"{name}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    try:
        return _parse(
            [(f"{name}, line {n}", line.strip()) for n, line in enumerate(lines, 1) if line.strip()]
        )
    except ValueError as exc:
        if str(exc) == "vPDQ signal has no frames":
            raise ValueError(f"{name}: no vPDQ frame lines") from None
        raise


# --- matching ----------------------------------------------------------------------------------


def _bag(frames: Sequence[VideoFrameHash], quality: int) -> np.ndarray:
    """Distinct hashes (first occurrence kept, as in pytx), then those of quality >= ``quality``."""
    first: dict[str, int] = {}
    for frame in frames:
        first.setdefault(frame.pdq, frame.quality)
    return pack_hex([pdq for pdq, q in first.items() if q >= quality])


def _found(needles: np.ndarray, haystack: np.ndarray, distance: int) -> int:
    """How many rows of ``needles`` have some row of ``haystack`` within ``distance`` bits."""
    columns = [np.ascontiguousarray(haystack[:, k]) for k in range(4)]
    step = max(1, _PAIR_BUDGET // max(len(haystack), 1))
    found = 0
    for start in range(0, len(needles), step):
        block = needles[start : start + step]
        bits = np.zeros((len(block), len(haystack)), dtype=np.uint16)
        for k, column in enumerate(columns):
            bits += np.bitwise_count(block[:, k, None] ^ column[None, :])
        found += int(np.count_nonzero((bits <= distance).any(axis=1)))
    return found


def vpdq_match(
    query: Sequence[VideoFrameHash], target: Sequence[VideoFrameHash], distance: int = 31, quality: int = 50
) -> tuple[float, float]:
    """(% of query frames near some target frame, % of target frames near some query frame)."""
    q, t = _bag(query, quality), _bag(target, quality)
    if not len(q) or not len(t):
        return 0.0, 0.0
    return _found(q, t, distance) * 100.0 / len(q), _found(t, q, distance) * 100.0 / len(t)


def is_vpdq_match(
    query: Sequence[VideoFrameHash],
    target: Sequence[VideoFrameHash],
    query_pct: float = 80.0,
    target_pct: float = 0.0,
    *,
    distance: int = 31,
    quality: int = 50,
) -> bool:
    """True when both percentages reach their thresholds (pytx: 80% of the query, 0% of the target)."""
    q, t = vpdq_match(query, target, distance, quality)
    return q > 0 and q >= query_pct and t >= target_pct  # 0% is never a match, whatever the thresholds


# --- plugin ------------------------------------------------------------------------------------


class _VpdqSession:
    def update(self, chunk: bytes) -> None:
        """vPDQ decodes the whole video; the reader keeps it (or its path) for ``finish``."""

    def finish(self, content: Content, settings: Settings) -> dict[str, Any]:
        if content.size == 0:
            raise ValueError(_NO_FRAMES)
        if content.data is not None:
            frames = hash_video(content.data, settings)
        else:
            with content.open() as handle:  # too big to keep: a second, read-only pass
                frames = hash_video(handle, settings)
        return {"vpdq": dumps_vpdq(frames), "vpdq_frames": len(frames)}


class VpdqHasher:
    """Meta's vPDQ (a PDQ hash per second of video) through PyAV and pdqhash."""

    name = "vpdq"
    version = f"1s+pdqhash-{_package_version('pdqhash')}+av-{av.__version__}"
    fields: tuple[str, ...] = ("vpdq", "vpdq_frames")

    def accepts(self, mime: str | None) -> bool:
        """Video types as libmagic names them (video/mp4, video/quicktime, video/x-matroska, ...)."""
        return mime is not None and mime.startswith(_VIDEO_MIMES)

    def begin(self) -> _VpdqSession:
        """Nothing to set up: the work happens on the retained bytes or a second read."""
        return _VpdqSession()


VPDQ = VpdqHasher()
