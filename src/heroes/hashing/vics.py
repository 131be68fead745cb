"""Project VIC (VICS) JSON hash lists: a streaming reader and a streaming writer.

VICS is an OData-style JSON document: ``{"@odata.context": ".../2.0.xml/<REGION>/$metadata#Media",
"value": [Media, ...]}`` for a hash set, or ``...#Cases`` with ``"value": [{case fields...,
"Media": [Media, ...]}]`` for a case export. Version 1.x files carry ``"odata.metadata"`` instead.
Real files are tens of MB and come from many tools, so the reader:

* streams with ijson's event parser (``basic_parse``: no per-event prefix strings) and builds one
  Media record at a time; memory is one record, not the file;
* caps nesting at :data:`MAX_DEPTH` (VICS needs about 7 levels), so a hostile file of millions
  of ``[`` stops at once with :class:`HashListFormatError` instead of exhausting memory;
* does not depend on key order: the header may follow ``value``, case fields may follow their
  ``Media`` array. Entries never depend on the header, so one pass yields them; the header is
  available cheaply (:attr:`VicsList.header`, which stops at the header key) and the full
  :class:`VicsMetadata` (cases, counts) after a complete iteration (or by one extra pass);
* reports a broken record as :class:`Malformed` whose ``line`` is the record's *position*
  (1-based, counting Media records in document order across all cases), and goes on;
* on JSON that breaks off (truncated download, trailing garbage), yields what was read and a
  final Malformed at the position of the record being read; when not one record was complete,
  the file is not a usable list and :class:`HashListFormatError` is raised.

Identity. All entries of one Media record share ``record = str(MediaID)``. A Media record whose
MediaID is missing, not an integer, or already used by an earlier record in the file gets
``record = "pos:N"`` (its position) instead, so two different files never merge because an
exporter reused an ID. Several records with the same MD5 stay separate records.

Regions. ``US`` → :attr:`CategoryScheme.US` (0-4), ``UK`` → ``UK`` (CAID), ``CUSTOM`` and any
other named region → ``CUSTOM``; ``Default``, 1.x files (no region) and files without a header →
``NONE``: the codes are kept verbatim but we do not claim a meaning we cannot verify (reading a
non-US list's 0 as "non-pertinent" could hide material).

Writing produces VICS 2.0, one Media record per group of consecutive entries sharing ``record``,
upper-case hex as real files have, streamed record by record.
"""

from __future__ import annotations

import io
import json
import re
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import IO, Any, Literal, TextIO

import ijson

from heroes import __version__
from heroes.errors import HashListFormatError, InvalidInput, NotFound
from heroes.evidence import Algorithm, CategoryScheme, HashEntry, Malformed
from heroes.hashing.lists import normalise_hash

__all__ = [
    "MAX_DEPTH",
    "VicsCase",
    "VicsHeader",
    "VicsList",
    "VicsMetadata",
    "parse_vics_date",
    "read_vics",
    "write_vics",
]

MAX_DEPTH = 64
"""Deepest JSON nesting accepted; real VICS files need about 7."""
MAX_SIGNAL_CHARS = 8192
"""Longest PhotoDNA text accepted (a PhotoDNA hash is 144 bytes: 192 base64 or 288 hex characters)."""

Kind = Literal["Media", "Cases"]
_STARTS = frozenset({"start_map", "start_array"})
_ENDS = frozenset({"end_map", "end_array"})
_HEADER_KEYS = {"@odata.context": "2.0", "odata.context": "2.0", "odata.metadata": "1"}
_CONTEXT = re.compile(r"DataModels/(?P<version>\d+(?:\.\d+)*)\.xml(?:/(?P<region>[^/$#?]+))?", re.IGNORECASE)
_FRAGMENT = re.compile(r"#(?P<kind>[A-Za-z]+)\s*$")
_REGIONS = {"us": CategoryScheme.US, "uk": CategoryScheme.UK, "custom": CategoryScheme.CUSTOM}
_REGION_NAMES = {
    CategoryScheme.US: "US",
    CategoryScheme.UK: "UK",
    CategoryScheme.CUSTOM: "CUSTOM",
    CategoryScheme.NONE: "Default",
}
_HASH_FIELDS = (
    ("md5", Algorithm.MD5),
    ("sha1", Algorithm.SHA1),
    ("sha256", Algorithm.SHA256),
    ("photodna", Algorithm.PHOTODNA),
)
_ALT_NAMES = {
    "md5": "md5",
    "sha1": "sha1",
    "sha-1": "sha1",
    "sha256": "sha256",
    "sha-256": "sha256",
    "photodna": "photodna",
}
_WRITE_FIELDS = {
    Algorithm.MD5: "MD5",
    Algorithm.SHA1: "SHA1",
    Algorithm.SHA256: "SHA256",
    Algorithm.PHOTODNA: "PhotoDNA",
}
_INTEGER = re.compile(r"-?(?:0|[1-9][0-9]*)")
_NET_DATE = re.compile(r"/?Date\((?P<ms>-?\d+)(?P<offset>[+-]\d{4})?\)/?")
_TRUE = {"true", "yes", "1"}
_FALSE = {"false", "no", "0"}


@dataclass(frozen=True, slots=True)
class VicsHeader:
    """What the document's OData header says (nothing here is counted from the records)."""

    version: str | None
    """``"2.0"``, ``"1.3"``…; ``"1"`` for an unparsable 1.x header; None without a header."""
    context: str | None
    """The ``@odata.context`` / ``odata.metadata`` URL as written."""
    region: str | None
    """The region segment as written (``US``, ``UK``, ``Default``, ``CUSTOM``…); None in 1.x."""
    scheme: CategoryScheme
    declared_kind: Kind | None
    """``Media`` or ``Cases`` from the URL's ``#`` fragment, if any."""


@dataclass(frozen=True, slots=True)
class VicsCase:
    """One case object of a ``#Cases`` file."""

    case_id: str | None
    case_number: str | None
    contact_email: str | None
    source_application: str | None
    source_version: str | None
    claimed_media: int | None
    """``TotalMediaFiles`` as written; often wrong, so never used for anything."""
    media_count: int
    """Media records actually found in this case's ``Media`` array (malformed ones included)."""
    fields: dict[str, str] = field(default_factory=dict)
    """Every scalar field of the case object, as text (agency, examiner, …)."""


@dataclass(frozen=True, slots=True)
class VicsMetadata:
    """The header plus what a complete pass over the records found."""

    header: VicsHeader
    kind: Kind
    """``Cases`` when case objects were found, else the declared kind, else ``Media``."""
    cases: tuple[VicsCase, ...]
    media_count: int
    """Media records found (malformed ones included)."""

    @property
    def version(self) -> str | None:
        """The header's data-model version."""
        return self.header.version

    @property
    def region(self) -> str | None:
        """The header's region segment as written."""
        return self.header.region

    @property
    def scheme(self) -> CategoryScheme:
        """How the list's category codes are to be read."""
        return self.header.scheme


def read_vics(path: Path) -> VicsList:
    """A VICS file to iterate (HashEntry | Malformed, lazily) with its header and metadata."""
    return VicsList(path)


class VicsList:
    """A VICS JSON file: iterate for entries; ``header`` is cheap, ``metadata`` needs a full pass.

    Each iteration re-reads the file. ``Malformed.line`` is a Media record position, not a line.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._metadata: VicsMetadata | None = None

    def __iter__(self) -> Iterator[HashEntry | Malformed]:
        return self._read()

    @property
    def header(self) -> VicsHeader:
        """The OData header, read up to the header key only (the whole file if it comes last)."""
        if self._metadata is not None:
            return self._metadata.header
        with _open(self.path) as raw:
            parser = _Parser(self.path, _events(_decoded(raw)))
            try:
                parser.header_only()
            except _PARSE_ERRORS as exc:
                if parser.header_key is None:
                    raise HashListFormatError(
                        f"{self.path}: not readable as Project VIC JSON: {_reason(exc)}"
                    ) from None
            return parser.vics_header()

    @property
    def metadata(self) -> VicsMetadata:
        """Header, cases and counts; costs one extra streaming pass unless already iterated to the end."""
        if self._metadata is None:
            for _ in self._read():
                pass
        assert self._metadata is not None
        return self._metadata

    def _read(self) -> Iterator[HashEntry | Malformed]:
        with _open(self.path) as raw:
            parser = _Parser(self.path, _events(_decoded(raw)))
            try:
                yield from parser.document()
            except _PARSE_ERRORS as exc:
                if parser.position == 0:
                    raise HashListFormatError(
                        f"{self.path}: not readable as Project VIC JSON: {_reason(exc)}"
                    ) from None
                yield Malformed(
                    parser.position + 1,
                    f"the JSON breaks off after Media record {parser.position}: {_reason(exc)}; "
                    "nothing after that point was read",
                )
            self._metadata = parser.metadata()


class _Truncated(Exception):
    """The event stream ended inside the document."""


_PARSE_ERRORS = (ijson.JSONError, _Truncated, UnicodeDecodeError, ValueError)


def _reason(exc: BaseException) -> str:
    message = exc.args[0] if exc.args else exc.__class__.__name__
    if isinstance(message, bytes):
        message = message.decode("utf-8", "replace")
    text = str(message).strip().splitlines()
    return text[0] if text else exc.__class__.__name__


def _open(path: Path) -> IO[bytes]:
    try:
        return path.open("rb")
    except FileNotFoundError:
        raise NotFound(f"hash list {path} does not exist") from None
    except OSError as exc:
        raise HashListFormatError(f"hash list {path} cannot be read: {exc.strerror or exc}") from None


class _Recoded:
    """A UTF-16 file presented to ijson as UTF-8 bytes."""

    def __init__(self, raw: IO[bytes]) -> None:
        self._text = io.TextIOWrapper(raw, encoding="utf-16", errors="strict")

    def read(self, size: int = -1) -> bytes:
        return self._text.read(size).encode("utf-8") if size else b""


def _decoded(raw: IO[bytes]) -> IO[bytes] | _Recoded:
    """Skip a UTF-8 byte-order mark; re-encode UTF-16 (older Windows exporters) as UTF-8."""
    start = raw.read(3)
    if start.startswith((b"\xff\xfe", b"\xfe\xff")):
        raw.seek(0)
        return _Recoded(raw)
    raw.seek(3 if start == b"\xef\xbb\xbf" else 0)
    return raw


def _events(stream: IO[bytes] | _Recoded) -> Iterator[tuple[str, Any]]:
    return iter(ijson.basic_parse(stream, use_float=True))


class _Parser:
    """Walks the VICS structure over parser events; builds one Media record at a time.

    Each step knows the nesting depth of the container it reads (the root is 1), so the depth
    limit costs one comparison per opened container and no per-event bookkeeping.
    """

    def __init__(self, path: Path, events: Iterator[tuple[str, Any]]) -> None:
        self.path = path
        self._events = events
        self.header_key: str | None = None
        self.header_url: str | None = None
        self.position = 0
        self.cases: list[VicsCase] = []
        self._saw_value = False
        self._seen_ids: set[int] = set()

    def _next(self) -> tuple[str, Any]:
        try:
            return next(self._events)
        except StopIteration:
            raise _Truncated("the document ends early") from None

    def _deeper(self, depth: int) -> None:
        if depth > MAX_DEPTH:
            raise HashListFormatError(
                f"{self.path}: JSON nesting deeper than {MAX_DEPTH} levels; not a Project VIC file"
            )

    # -- structure ---------------------------------------------------------------------------

    def document(self) -> Iterator[HashEntry | Malformed]:
        event, _ = self._next()
        if event == "start_map":
            yield from self._root_map()
        elif event == "start_array":
            self._saw_value = True
            yield from self._value_array(1)
        else:
            raise HashListFormatError(f"{self.path}: JSON whose top level is not an object; not Project VIC")
        for _ in self._events:  # the parser reports trailing garbage here
            pass
        if not self._saw_value:
            raise HashListFormatError(f"{self.path}: JSON without a 'value' array; not a Project VIC file")

    def header_only(self) -> None:
        event, _ = self._next()
        if event != "start_map":
            return
        key = ""
        for event, value in self._events:
            if event == "map_key":
                key = value
            elif event == "end_map":
                return
            elif event in _STARTS:
                self._skip(2)
            elif self._header(key, event, value):
                return
        raise _Truncated("the document ends early")

    def _header(self, key: str, event: str, value: Any) -> bool:
        if key in _HEADER_KEYS and event == "string" and self.header_key is None:
            self.header_key, self.header_url = key, value
            return True
        return False

    def _root_map(self) -> Iterator[HashEntry | Malformed]:
        key = ""
        for event, value in self._events:
            if event == "map_key":
                key = value
            elif event == "end_map":
                return
            elif key == "value" and event == "start_array":
                self._saw_value = True
                yield from self._value_array(2)
            elif event in _STARTS:
                self._skip(2)
            else:
                self._header(key, event, value)
        raise _Truncated("the document ends early")

    def _value_array(self, depth: int) -> Iterator[HashEntry | Malformed]:
        for event, _ in self._events:
            if event == "end_array":
                return
            if event == "start_map":
                self._deeper(depth + 1)
                yield from self._item(depth + 1)
            else:
                yield self._not_an_object(event, depth + 1)
        raise _Truncated("the document ends early")

    def _item(self, depth: int) -> Iterator[HashEntry | Malformed]:
        """A member of ``value``: a case object (it has a ``Media`` key) or a Media record."""
        fields: dict[str, Any] = {}
        media_count: int | None = None
        key = ""
        for event, value in self._events:
            if event == "map_key":
                key = value
            elif event == "end_map":
                break
            elif key == "Media" and event == "start_array":
                self._deeper(depth + 1)
                before = self.position
                yield from self._case_media(depth + 1)
                media_count = (media_count or 0) + self.position - before
            else:
                fields[key] = self._build(event, value, depth + 1)
        else:
            raise _Truncated("the document ends early")
        if media_count is None and "Media" not in fields:
            self.position += 1
            yield from self._record(fields)
        else:
            self.cases.append(_case(fields, media_count or 0))

    def _case_media(self, depth: int) -> Iterator[HashEntry | Malformed]:
        for event, value in self._events:
            if event == "end_array":
                return
            if event != "start_map":
                yield self._not_an_object(event, depth + 1)
                continue
            fields = self._build(event, value, depth + 1)
            self.position += 1
            yield from self._record(fields)
        raise _Truncated("the document ends early")

    def _not_an_object(self, event: str, depth: int) -> Malformed:
        if event in _STARTS:
            self._skip(depth)
        self.position += 1
        kind = {"start_array": "an array", "string": "a string", "null": "null"}.get(event, "a scalar")
        return Malformed(self.position, f"Media record {self.position}: is {kind}, not a JSON object")

    def _skip(self, depth: int) -> None:
        """Pass over a container whose start (at nesting depth) was just read."""
        self._deeper(depth)
        level = 1
        for event, _ in self._events:
            if event == "start_map" or event == "start_array":
                level += 1
                self._deeper(depth + level - 1)
            elif event == "end_map" or event == "end_array":
                level -= 1
                if not level:
                    return
        raise _Truncated("the document ends early")

    def _build(self, event: str, value: Any, depth: int) -> Any:
        """One JSON value from its first event on (a container's at nesting depth), without recursion."""
        if event != "start_map" and event != "start_array":
            return value
        self._deeper(depth)
        root: Any = {} if event == "start_map" else []
        stack: list[Any] = [root]
        keys: list[str] = [""]
        for event, value in self._events:
            if event == "map_key":
                keys[-1] = value
            elif event == "end_map" or event == "end_array":
                stack.pop()
                keys.pop()
                if not stack:
                    return root
            elif event == "start_map" or event == "start_array":
                self._deeper(depth + len(stack))
                child: Any = {} if event == "start_map" else []
                top = stack[-1]
                if type(top) is dict:
                    top[keys[-1]] = child
                else:
                    top.append(child)
                stack.append(child)
                keys.append("")
            elif type(stack[-1]) is dict:
                stack[-1][keys[-1]] = value
            else:
                stack[-1].append(value)
        raise _Truncated("the document ends early")

    # -- records -----------------------------------------------------------------------------

    def _record(self, raw: dict[str, Any]) -> Iterator[HashEntry | Malformed]:
        position = self.position
        fields = _lowered(raw)
        media_id = _media_id(fields.get("mediaid"))
        shown = f" (MediaID {str(fields['mediaid'])[:40]})" if "mediaid" in fields else ""
        try:
            parts = _media_parts(fields)
        except ValueError as exc:
            yield Malformed(position, f"Media record {position}{shown}: {exc}")
            return
        if media_id is None or media_id in self._seen_ids:
            record = f"pos:{position}"
        else:
            self._seen_ids.add(media_id)
            record = str(media_id)
        category, label, size, series, tags, victim, hashes = parts
        for algorithm, value in hashes:
            yield HashEntry(algorithm, value, category, label, record, size, series, tags, victim)

    # -- results -----------------------------------------------------------------------------

    def vics_header(self) -> VicsHeader:
        url = self.header_url
        if url is None or self.header_key is None:
            return VicsHeader(None, None, None, CategoryScheme.NONE, None)
        found = _CONTEXT.search(url)
        version = found.group("version") if found else _HEADER_KEYS[self.header_key]
        region = found.group("region") if found else None
        scheme = CategoryScheme.NONE
        if region is not None and region.lower() != "default":
            scheme = _REGIONS.get(region.lower(), CategoryScheme.CUSTOM)
        fragment = _FRAGMENT.search(url)
        declared: Kind | None = None
        if fragment and fragment.group("kind").lower() in ("media", "cases"):
            declared = "Media" if fragment.group("kind").lower() == "media" else "Cases"
        return VicsHeader(version, url, region, scheme, declared)

    def metadata(self) -> VicsMetadata:
        header = self.vics_header()
        kind: Kind = "Cases" if self.cases else header.declared_kind or "Media"
        return VicsMetadata(header, kind, tuple(self.cases), self.position)


def _case(fields: Mapping[str, Any], media_count: int) -> VicsCase:
    text = {k: _text(v) for k, v in fields.items() if not isinstance(v, dict | list) and v is not None}
    claimed: int | None
    try:
        claimed = _integer(fields.get("TotalMediaFiles"), "TotalMediaFiles")
    except ValueError:
        claimed = None
    return VicsCase(
        case_id=text.get("CaseID"),
        case_number=text.get("CaseNumber"),
        contact_email=text.get("ContactEmail"),
        source_application=text.get("SourceApplicationName"),
        source_version=text.get("SourceApplicationVersion"),
        claimed_media=claimed,
        media_count=media_count,
        fields=text,
    )


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _media_id(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
        return int(value.strip())
    return None


def _integer(value: Any, name: str) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
        return int(value.strip())
    raise ValueError(f"{name} must be an integer, got {str(value)[:80]!r}")


def _optional_text(value: Any, name: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _text(value)
    raise ValueError(f"{name} must be text, got {type(value).__name__}")


def _tags(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    items: list[Any]
    if isinstance(value, str):
        items = value.split(",")
    elif isinstance(value, list):
        items = value
    else:
        raise ValueError(f"Tags must be a list or comma-separated text, got {type(value).__name__}")
    tags: list[str] = []
    for item in items:
        text = _optional_text(item, "each tag")
        if text:
            tags.append(text)
    return tuple(tags)


def _flag(value: Any, name: str) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if not word:
            return None
        if word in _TRUE or word in _FALSE:
            return word in _TRUE
    raise ValueError(f"{name} must be true or false, got {str(value)[:80]!r}")


def _label(fields: Mapping[str, Any]) -> str | None:
    files = fields.get("mediafiles")
    candidates: list[Any] = []
    if isinstance(files, list) and files and isinstance(files[0], dict):
        candidates.append(_lowered(files[0]).get("filename"))
    candidates += [fields.get("filename"), fields.get("name"), fields.get("relativefilepath")]
    for candidate in candidates:
        if isinstance(candidate, str) and candidate.strip():
            return candidate.strip()
    return None


def _signal_texts(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Hash fields by lower-case name, filled in from ``AlternativeHashes`` where absent."""
    found = {name: fields.get(name) for name, _ in _HASH_FIELDS}
    alternatives = fields.get("alternativehashes")
    if isinstance(alternatives, list):
        for alternative in alternatives:
            if not isinstance(alternative, dict):
                continue
            alternative = _lowered(alternative)
            name = _ALT_NAMES.get(str(alternative.get("hashname", "")).strip().lower())
            if name and found.get(name) in (None, ""):
                found[name] = alternative.get("hashvalue")
    return found


_Parts = tuple[
    str | None, str | None, int | None, str | None, tuple[str, ...], bool | None, list[tuple[Algorithm, str]]
]


def _lowered(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Keys folded to lower case: exporters disagree on 'MD5' vs 'Md5'."""
    return {str(k).lower(): v for k, v in fields.items()}


def _media_parts(fields: Mapping[str, Any]) -> _Parts:
    """The fields we keep from one Media record (keys lower-cased), or ValueError saying what is wrong."""
    problems: list[str] = []
    hashes: list[tuple[Algorithm, str]] = []
    texts = _signal_texts(fields)
    for name, algorithm in _HASH_FIELDS:
        value = texts.get(name)
        if value is None or value == "":
            continue
        if not isinstance(value, str):
            problems.append(f"{_WRITE_FIELDS[algorithm]} must be text, got {type(value).__name__}")
            continue
        if algorithm is Algorithm.PHOTODNA:
            signal = value.strip()
            if len(signal) > MAX_SIGNAL_CHARS:
                problems.append(f"PhotoDNA longer than {MAX_SIGNAL_CHARS} characters")
            elif signal:
                hashes.append((algorithm, signal))
            continue
        try:
            hashes.append((algorithm, normalise_hash(value, algorithm)))
        except ValueError as exc:
            problems.append(str(exc))
    category = size = series = victim = None
    tags: tuple[str, ...] = ()
    try:
        number = _integer(fields.get("category"), "Category")
        category = None if number is None else str(number)
    except ValueError as exc:
        problems.append(str(exc))
    try:
        size = _integer(fields.get("mediasize"), "MediaSize")
        if size is not None and size < 0:
            raise ValueError(f"MediaSize must not be negative, got {size}")
    except ValueError as exc:
        problems.append(str(exc))
    try:
        series = _optional_text(fields.get("series"), "Series")
    except ValueError as exc:
        problems.append(str(exc))
    try:
        tags = _tags(fields.get("tags"))
    except ValueError as exc:
        problems.append(str(exc))
    try:
        victim = _flag(fields.get("victimidentified"), "VictimIdentified")
    except ValueError as exc:
        problems.append(str(exc))
    if not problems and not hashes:
        problems.append("no MD5, SHA1, SHA256 or PhotoDNA value")
    if problems:
        raise ValueError("; ".join(problems))
    return category, _label(fields), size, series, tags, victim, hashes


def parse_vics_date(text: str) -> datetime:
    """A VICS timestamp as an aware datetime: ISO 8601 or .NET ``/Date(ms[+hhmm])/``; naive means UTC.

    Raises ValueError for anything else.
    """
    value = text.strip()
    net = _NET_DATE.fullmatch(value)
    if net:
        instant = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=int(net.group("ms")))
        offset = net.group("offset")
        if offset:
            sign = -1 if offset[0] == "-" else 1
            zone = timezone(sign * timedelta(hours=int(offset[1:3]), minutes=int(offset[3:5])))
            return instant.astimezone(zone)
        return instant
    if re.search(r"[+-]\d{2}:?\d{2}Z$", value):  # "…+01:00Z" seen from one exporter
        value = value[:-1]
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


# -- writing ---------------------------------------------------------------------------------


def write_vics(
    entries: Iterable[HashEntry],
    out: TextIO,
    *,
    kind: Kind = "Media",
    region: CategoryScheme = CategoryScheme.US,
    case: Mapping[str, Any] | None = None,
) -> int:
    """Write entries as VICS 2.0 JSON, streamed; returns how many entries VICS cannot carry (PDQ, vPDQ).

    Consecutive entries with the same ``record`` form one Media record (so pass entries grouped
    by record). A record that is a canonical integer becomes its MediaID unless that ID was
    already written; other records get the next free ID. A category that is not an integer
    raises InvalidInput (VICS categories are integers); ``out`` then holds a partial document,
    so write to a temporary file and rename on success.
    """
    if kind not in ("Media", "Cases"):
        raise ValueError(f"kind must be 'Media' or 'Cases', not {kind!r}")
    if case is not None and kind != "Cases":
        raise ValueError("case details are only written with kind='Cases'")
    context = (
        "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/"
        f"{_REGION_NAMES[region]}/$metadata#{kind}"
    )
    out.write("{" + _dumps("@odata.context") + ":" + _dumps(context) + ',"value":[')
    if kind == "Cases":
        details: dict[str, Any] = {
            "CaseID": str(uuid.uuid4()),
            "SourceApplicationName": "heroes",
            "SourceApplicationVersion": __version__,
        }
        details.update({k: v for k, v in (case or {}).items() if k not in ("Media", "TotalMediaFiles")})
        out.write(_dumps(details)[:-1] + ',"Media":[')
    writer = _MediaWriter(out)
    skipped = 0
    group: list[HashEntry] = []
    for entry in entries:
        if entry.algorithm not in _WRITE_FIELDS:
            skipped += 1
            continue
        if (
            group
            and entry.record is not None
            and entry.record == group[0].record
            and all(e.algorithm is not entry.algorithm for e in group)
        ):
            group.append(entry)
            continue
        writer.write(group)
        group = [entry]
    writer.write(group)
    out.write("\n]")
    if kind == "Cases":
        out.write(',"TotalMediaFiles":' + str(writer.count) + "}]")
    out.write("}\n")
    return skipped


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class _MediaWriter:
    """Writes Media records one per line and hands out unique MediaIDs."""

    def __init__(self, out: TextIO) -> None:
        self._out = out
        self._used: set[int] = set()
        self._highest = 0
        self.count = 0

    def _media_id(self, record: str | None) -> int:
        if record is not None and _INTEGER.fullmatch(record) and int(record) not in self._used:
            media_id = int(record)
        else:
            media_id = self._highest + 1
        self._used.add(media_id)
        self._highest = max(self._highest, media_id)
        return media_id

    def write(self, group: list[HashEntry]) -> None:
        if not group:
            return
        first = group[0]
        category: int | None = None
        if first.category is not None:
            if not _INTEGER.fullmatch(first.category.strip()):
                raise InvalidInput(
                    f"category {first.category!r} of record {first.record or first.value} cannot be "
                    "written to VICS: VICS categories are integers"
                )
            category = int(first.category.strip())
        media: dict[str, Any] = {"MediaID": self._media_id(first.record), "Category": category}
        for entry in group:
            value = entry.value if entry.algorithm is Algorithm.PHOTODNA else entry.value.upper()
            media[_WRITE_FIELDS[entry.algorithm]] = value
        if first.media_size is not None:
            media["MediaSize"] = first.media_size
        if first.series is not None:
            media["Series"] = first.series
        if first.tags:
            media["Tags"] = list(first.tags)
        if first.victim_identified is not None:
            media["VictimIdentified"] = first.victim_identified
        if first.label is not None:
            media["MediaFiles"] = [{"FileName": first.label}]
        self._out.write(("\n" if self.count == 0 else ",\n") + _dumps(media))
        self.count += 1
