"""The shared vocabulary: plain frozen records that every module passes around.

Nothing here touches a database, a file or the network, so every other module may import it.
The audit chain rule lives here too, because both the store (which writes events) and any
external verifier must compute exactly the same digest.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

__all__ = [
    "GENESIS_HASH",
    "Algorithm",
    "Artifact",
    "AuditEvent",
    "Case",
    "CategoryScheme",
    "Decision",
    "FileHashes",
    "Finding",
    "HashEntry",
    "HashList",
    "Item",
    "ListRole",
    "Malformed",
    "Match",
    "Role",
    "ScanSummary",
    "User",
    "audit_digest",
]

GENESIS_HASH = "0" * 64


class Algorithm(StrEnum):
    """Hash algorithms a list entry or an item can carry."""

    MD5 = "md5"
    SHA1 = "sha1"
    SHA256 = "sha256"
    PDQ = "pdq"
    VPDQ = "vpdq"
    """Video: a bag of per-frame PDQ hashes (see heroes.hashing.video for the text form)."""
    PHOTODNA = "photodna"
    """Kept as an opaque signal from VICS/ICSE lists for a future licensed matcher; never matched here."""

    @property
    def hex_length(self) -> int | None:
        """Number of hex digits in a well-formed value, or None for structured/opaque signals."""
        return {"md5": 32, "sha1": 40, "sha256": 64, "pdq": 64}.get(self.value)

    @property
    def perceptual(self) -> bool:
        """True where matching is by distance rather than equality."""
        return self in (Algorithm.PDQ, Algorithm.VPDQ)


class CategoryScheme(StrEnum):
    """How a list's category codes are to be read (Project VIC regions)."""

    US = "us"
    """0 non-pertinent, 1 child abuse material, 2 exploitive/age-difficult, 3 CGI/animation, 4 comparison."""
    UK = "uk"
    """CAID grading A, B, C."""
    CUSTOM = "custom"
    NONE = "none"


class ListRole(StrEnum):
    """What a hash list means: known abuse media to find, or known-good files to hide."""

    KNOWN_BAD = "known-bad"
    KNOWN_GOOD = "known-good"


class Role(StrEnum):
    """What a user of the review app may do; what they may see is limited by case membership too."""

    ADMIN = "admin"
    """Manages users and memberships; sees every case."""
    INVESTIGATOR = "investigator"
    """Reviews, searches and categorises the cases they are a member of."""
    REVIEWER = "reviewer"
    """Reviews, searches and categorises the cases they are a member of (kept apart from investigators
    so deployments can give them different memberships and, later, different rights)."""
    AUDITOR = "auditor"
    """Reads the audit trail of the cases they are a member of; sees no media and no item details."""


@dataclass(frozen=True, slots=True)
class User:
    """An account of the review app."""

    id: int
    name: str
    role: Role
    disabled: bool = False
    must_change_password: bool = False
    blur_thumbnails: bool = True
    """Per-user wellbeing setting: thumbnails blurred and greyscale unless revealed one at a time."""


@dataclass(frozen=True, slots=True)
class Decision:
    """A reviewer's categorisation of an item, with tags and a note."""

    item_id: int
    category: str | None
    tags: tuple[str, ...]
    note: str
    decided_by: str
    decided_at: datetime


@dataclass(frozen=True, slots=True)
class Case:
    """An investigation: the container of items, findings and its own audit chain."""

    id: int
    name: str
    created_at: datetime
    description: str = ""


@dataclass(frozen=True, slots=True)
class Item:
    """A file seen in an evidence source, with its hashes."""

    id: int
    case_id: int
    path: str
    size: int
    mtime: datetime | None
    md5: str | None
    sha1: str | None
    sha256: str | None
    pdq: str | None
    pdq_quality: int | None
    mime: str | None
    source: str
    raw_path: bytes = b""
    deleted: bool = False
    extension_mismatch: str | None = None
    owner_app: str | None = None
    camera_make: str | None = None
    camera_model: str | None = None
    camera_serial: str | None = None
    captured_at: str | None = None
    """EXIF capture time as ISO 8601; without a zone it is the camera's local clock."""
    gps_latitude: float | None = None
    gps_longitude: float | None = None
    atime: float | None = None
    ctime: float | None = None
    """Inode change time on POSIX file systems, entry modification time on NTFS."""
    btime: float | None = None
    """Creation (birth) time where the file system records it."""


@dataclass(frozen=True, slots=True)
class HashList:
    """An imported list of hashes with its provenance."""

    id: int
    name: str
    role: ListRole
    source: str
    imported_at: datetime
    entry_count: int
    malformed_count: int
    pdq_threshold: int
    format: str = "text"
    category_scheme: CategoryScheme = CategoryScheme.NONE
    storage: str | None = None
    """Folder of the sorted key files of a compact list (exact hashes only); None when entries are rows."""


@dataclass(frozen=True, slots=True)
class HashEntry:
    """One hash of a list, with what the list says about the file it identifies.

    A source record that carries several hashes of one file (a VICS Media record with MD5,
    SHA1 and PhotoDNA) becomes one entry per hash sharing ``record``, so export can put the
    record back together.
    """

    algorithm: Algorithm
    value: str
    category: str | None = None
    label: str | None = None
    record: str | None = None
    media_size: int | None = None
    series: str | None = None
    tags: tuple[str, ...] = ()
    victim_identified: bool | None = None


@dataclass(frozen=True, slots=True)
class Match:
    """An item that equals, or is perceptually near, an entry of a hash list."""

    item_id: int
    path: str
    list_name: str
    list_role: ListRole
    entry_id: int
    algorithm: Algorithm
    distance: int
    value: str
    label: str | None
    category: str | None
    variant: str = "original"
    """For PDQ: what was done to the listed image to give this item (flip, rotation), if anything."""

    @property
    def how(self) -> str:
        """Algorithm and distance in words, e.g. 'pdq 6 (flip-left-right)' or 'md5'."""
        if not self.algorithm.perceptual:
            return self.algorithm.value
        if self.algorithm is Algorithm.VPDQ:
            return f"vpdq ({self.variant})"
        suffix = "" if self.variant == "original" else f" ({self.variant})"
        return f"{self.algorithm.value} {self.distance}{suffix}"


@dataclass(frozen=True, slots=True)
class Artifact:
    """One record an app left in its database: a text message, a chat message, a visited page.

    Artifacts put what people said and where they browsed on the timeline and into full-text search,
    next to the files; ``record`` says exactly where in the source database the row came from.
    """

    parser: str
    """Name of the ArtifactParser that read it (e.g. ``android-sms``)."""
    kind: str
    """``message`` or ``visit``."""
    app: str
    """The app in words (``Android SMS``, ``WhatsApp``, ``Chrome``, ``Firefox``)."""
    record: str
    """Provenance inside the database, ``table:rowid`` (e.g. ``sms:42``)."""
    time: datetime | None = None
    """UTC (aware); None when the row has no usable time."""
    text: str = ""
    """Message body, or page title for visits."""
    sender: str | None = None
    """Phone number, account id or ``me`` for messages the device's owner sent."""
    recipient: str | None = None
    thread: str | None = None
    """Conversation id (thread, chat JID) so messages of one conversation can be grouped."""
    direction: str | None = None
    """``sent`` or ``received`` for messages; None for visits."""
    url: str | None = None


@dataclass(frozen=True, slots=True)
class Finding:
    """Something a plugin concluded about an item (or failed to), and why."""

    kind: str
    plugin: str
    plugin_version: str
    explanation: str
    path: str | None = None
    item_id: int | None = None
    score: float | None = None


@dataclass(frozen=True, slots=True)
class ScanSummary:
    """What one scan run did, for the CLI and the audit trail."""

    case: str
    root: str
    files_seen: int
    files_hashed: int
    files_resumed: int
    bytes_hashed: int
    errors: int
    skipped: int
    matches: int
    """Matches against known-bad lists (what needs review)."""
    seconds: float
    hidden: int = 0
    """Matches against known-good lists (those items are hidden from review unless also known-bad)."""


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """One entry of a hash-chained audit trail."""

    chain: str
    seq: int
    at: datetime
    actor: str
    action: str
    target: str
    details: dict[str, Any] = field(default_factory=dict)
    prev_hash: str = GENESIS_HASH
    hash: str = ""

    def expected_hash(self) -> str:
        """The digest this event must carry given its content and predecessor."""
        return audit_digest(
            self.prev_hash, self.chain, self.seq, self.at, self.actor, self.action, self.target, self.details
        )


def audit_digest(
    prev_hash: str,
    chain: str,
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    target: str,
    details: dict[str, Any],
) -> str:
    """SHA-256 over the previous digest and a canonical JSON form of the event."""
    body = json.dumps(
        {
            "chain": chain,
            "seq": seq,
            "at": at.isoformat(timespec="microseconds"),
            "actor": actor,
            "action": action,
            "target": target,
            "details": details,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=True,
        default=str,
    )
    return hashlib.sha256((prev_hash + body).encode("ascii")).hexdigest()


@dataclass(frozen=True, slots=True)
class Malformed:
    """A line that could not be imported, and why."""

    line: int
    reason: str


@dataclass(frozen=True, slots=True)
class FileHashes:
    """Everything known about one file after hashing, or why it could not be hashed."""

    raw_path: bytes
    size: int = 0
    mtime: float | None = None
    mime: str | None = None
    values: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    error_plugin: str = "reader"
    warnings: tuple[str, ...] = ()

    @property
    def path(self) -> str:
        """Printable path; bytes that are not UTF-8 are shown as \\xNN escapes."""
        return self.raw_path.decode("utf-8", "backslashreplace")

    def get(self, key: str) -> Any:
        """A hash value or None."""
        return self.values.get(key)

    def as_json(self) -> dict[str, Any]:
        """The documented per-file JSON record of ``heroes hash --json``."""
        record: dict[str, Any] = {
            "path": self.path,
            "size": self.size,
            "md5": self.values.get("md5"),
            "sha1": self.values.get("sha1"),
            "sha256": self.values.get("sha256"),
            "pdq": self.values.get("pdq"),
            "pdq_quality": self.values.get("pdq_quality"),
            "mime": self.mime,
        }
        if self.values.get("vpdq"):
            record["vpdq"] = self.values["vpdq"]
            record["vpdq_frames"] = self.values.get("vpdq_frames")
        if self.error:
            record["error"] = self.error
        if self.warnings:
            record["warnings"] = list(self.warnings)
        return record
