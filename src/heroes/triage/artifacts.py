"""App databases on a seized device, read into messages and page visits for the timeline and search.

Why: on a phone or a laptop, what people said and where they browsed lives in a handful of SQLite
databases: Android's SMS/MMS store (``mmssms.db``), WhatsApp's ``msgstore.db``, the ``History`` file
of Chrome and every other Chromium browser, and Firefox's ``places.sqlite``. Reading them turns a
seized device into a conversation timeline that sits next to the files, and makes every message
body and page title searchable. Each ``Artifact`` says in ``record`` exactly which table row it
came from, so an examiner can go back to the database and check.

Plug-ins: an ``ArtifactParser`` is one of the three plug-in protocols (with ``Hasher`` and
``TextClassifier``): a unique ``name`` and ``version``, the ``app`` it reads, a ``description``,
``recognises`` and ``parse``. Parsers recognise a database by its *content* (the SQLite header plus
the app's tables and columns), never by its file name: suspects rename files, and backups and
extraction tools rename them too. They say what they need, in the way plaso's parsers declare
their required structure, so a database from another app is never half-read.

How a database is opened: evidence must never be written to disk, and SQLite cannot open bytes
directly, so ``ArtifactSource`` deserialises the bytes into an in-memory database
(``sqlite3.connect(":memory:")`` + ``Connection.deserialize``), once per file for all parsers. The
connection is made read-only (``query_only``), does not trust the file's schema
(``trusted_schema=OFF``: functions in views, triggers and generated columns must be harmless), keeps
temporary b-trees (sorting, automatic indexes) in memory (``temp_store=MEMORY``), checks cell sizes
while reading (``cell_size_check``), cannot attach other files (``SQLITE_LIMIT_ATTACHED`` 0) and
cannot build a string or blob longer than the file itself (``SQLITE_LIMIT_LENGTH``), which caps
what a hostile generated column can allocate. Only real tables count (views and virtual tables are
ignored), so a file cannot pass a view that computes forever off as the ``sms`` table, and only
stored columns count (``pragma_table_info`` leaves generated columns out), so no parser ever asks
SQLite to compute a value the file defines.

WAL: apps write SQLite in write-ahead-log mode, and a database copied off a device in that mode
has 2 in header bytes 18 and 19. A deserialised database cannot use a WAL (there is no ``-wal``
file next to an in-memory database), and SQLite then refuses every query ("unable to open database
file"). The bytes are therefore copied and those two header bytes set to 1 (rollback journal) in
memory, which reads the main file exactly as it stands; the evidence bytes are not changed. The
cost is real and is said in the problems: changes still held in the ``-wal`` file (often the most
recent messages) are not included. The note is only given when some parser recognised the file,
because almost every app database on Android is in WAL mode.

Bounds: each parser reads at most ``limit`` records per file (200,000 by default; the problems say
when more were there), and a parser that keeps SQLite busy for longer than ``seconds`` is stopped
through SQLite's progress handler; what it read until then is kept. Text and URLs longer than
``MAX_TEXT`` characters are cut, addresses and ids longer than ``MAX_FIELD``; NUL characters (which
full-text indexes and PostgreSQL refuse) become U+FFFD. Text that is not valid UTF-8 is decoded
with U+FFFD in place of the bad bytes; a BLOB or a number in a text column is read as text.

Hostile input never raises out of ``parse_artifacts``: a database that is corrupt, truncated or
not SQLite at all becomes a line in the returned problems ("whatsapp: malformed database: database
disk image is malformed (after 120 records)"), and the records read before the damage are kept.
Odd rows are counted, not reported one by one: a time that is not a number or lies outside
``EARLIEST``..``LATEST`` is left empty and named (with a few example rows) in one line per parser.

Times are converted exactly (integer arithmetic on microseconds) to aware UTC datetimes. Zero or
NULL means "no time" and gives ``None`` without a note. The range check catches unit mistakes and
junk: a value in the wrong unit lands centuries away. 1980 is kept in range on purpose, because a
phone that lost its clock can start there, and that is evidence too.

The formats (column names, units and codes checked against public sources):

* Android SMS, ``mmssms.db`` of the telephony provider. ``sms(_id, thread_id, address, date, type,
  body)``; ``date`` is when the message was received, in milliseconds since 1970 (plaso's
  ``android_sms`` plugin reads it as Java time). ``type`` is ``Telephony.TextBasedSmsColumns``'
  MESSAGE_TYPE: 1 inbox (received), 2 sent, 3 draft, 4 outbox, 5 failed, 6 queued. Types 3 to 6 were
  written by the owner but not (known to be) delivered: sender ``me``, recipient the address,
  direction ``None``. ``address`` is the other party. MMS: ``pdu(_id, thread_id, date, msg_box,
  sub)`` with ``date`` in *seconds* (AOSP's Mms app multiplies it by 1000), ``msg_box`` 1 inbox,
  2 sent, 3 drafts, 4 outbox, 5 failed; the text is in ``part(mid, seq, ct, text)`` rows of type
  ``text/plain``; ``addr(msg_id, address, type)`` holds the parties, type 137 (0x89, PduHeaders.FROM)
  the sender and 151 (0x97, TO) and 130 (0x82, CC) the recipients. Records are ``sms:_id`` and
  ``pdu:_id``; the thread is ``thread_id``.
* WhatsApp for Android, ``msgstore.db``. Legacy schema: ``messages(_id, key_remote_jid,
  key_from_me, data, timestamp, remote_resource, media_caption)``, where ``key_remote_jid`` is the
  chat (a person's or a group's JID), ``remote_resource`` the member who wrote a group message,
  ``timestamp`` milliseconds since 1970; row ``key_remote_jid = '-1'`` is WhatsApp's own
  placeholder and is skipped. Newer schema: ``message(_id, chat_row_id, from_me,
  sender_jid_row_id, timestamp, text_data)`` with ``chat(_id, jid_row_id)`` and ``jid(_id, user,
  server, raw_string)``; ``sender_jid_row_id`` names the group member (0 or NULL in a one-to-one
  chat, where the sender is the chat itself). When a file holds both, the newer table is read if
  it has rows (it replaced the old one) and the legacy table otherwise. Received messages in a
  one-to-one chat have recipient ``me``; in a group the recipient is the group.
* Chrome / Chromium ``History``: ``visits(id, url, visit_time)`` joined to ``urls(id, url, title)``
  on ``visits.url = urls.id``; ``visit_time`` is WebKit time, microseconds since 1601-01-01 UTC
  (plaso's ``chrome_history`` plugin). One artifact per visit, record ``visits:id``.
* Firefox ``places.sqlite``: ``moz_historyvisits(id, place_id, visit_date)`` joined to
  ``moz_places(id, url, title)``; ``visit_date`` is PRTime, microseconds since 1970 (plaso's
  ``firefox_history`` plugin). One artifact per visit, record ``moz_historyvisits:id``.
"""

from __future__ import annotations

import math
import sqlite3
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from functools import cache
from types import TracebackType
from typing import Any, Protocol, runtime_checkable

from heroes.config import Settings
from heroes.evidence import Artifact
from heroes.hashing.base import Content

__all__ = [
    "APP_DATABASES",
    "BUILTIN_PARSERS",
    "EARLIEST",
    "LATEST",
    "MAX_DATABASE_BYTES",
    "MAX_FIELD",
    "MAX_TEXT",
    "SQLITE_TYPES",
    "WAL_NOTE",
    "AndroidSMS",
    "AppDatabaseReader",
    "ArtifactParser",
    "ArtifactSource",
    "ChromeHistory",
    "FirefoxHistory",
    "WhatsApp",
    "is_sqlite",
    "parse_artifacts",
    "problem_kind",
]

MAX_TEXT = 100_000
"""Longest message body, page title or URL kept, in characters; longer ones are cut (and counted)."""
MAX_FIELD = 1_000
"""Longest address, account id or thread id kept, in characters."""
EARLIEST = datetime(1980, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)
"""Times outside [EARLIEST, LATEST) are junk or a unit mistake: left empty, and counted in the problems."""

WAL_NOTE = (
    "database is in WAL mode: changes still held in its -wal file (often the most recent records) "
    "are not included"
)

_HEADER = b"SQLite format 3\x00"
_UNIX = datetime(1970, 1, 1, tzinfo=UTC)
_WEBKIT = datetime(1601, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_PROGRESS_STEPS = 10_000  # SQLite virtual-machine steps between two looks at the clock
_EXAMPLES = 3


def is_sqlite(head: bytes) -> bool:
    """True when the bytes start with the SQLite 3 file header (the first 16 bytes are enough)."""
    return head[:16] == _HEADER


def _decode(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")


class ArtifactSource:
    """One file offered to the parsers: its name, its bytes and, when it is SQLite, a read-only view."""

    def __init__(self, data: bytes, name: str) -> None:
        self.name = name
        """The file's path, for messages only: parsers must not decide by it."""
        self.data = data
        self.notes: list[str] = []
        """Problems met so far; parse_artifacts prefixes each with the parser it arose in."""
        self.wal = False
        """True when the header said WAL mode and the in-memory copy was switched to a rollback journal."""
        self.deadline: float | None = None
        """``time.monotonic()`` value after which SQLite work is interrupted; None for no limit."""
        self.timed_out = False
        self._db: sqlite3.Connection | None = None
        self._opened = False
        self._tables: frozenset[str] | None = None
        self._columns: dict[str, frozenset[str]] = {}

    def __enter__(self) -> ArtifactSource:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Free the in-memory database."""
        if self._db is not None:
            self._db.close()
            self._db = None

    def note(self, message: str) -> None:
        """Record a problem once (repeats are dropped)."""
        if message not in self.notes:
            self.notes.append(message)

    @property
    def sqlite(self) -> sqlite3.Connection | None:
        """A read-only in-memory copy of the database; None when the file is not readable SQLite."""
        if not self._opened:
            self._opened = True
            self._db = self._open()
        return self._db

    def _open(self) -> sqlite3.Connection | None:
        if not is_sqlite(self.data):
            return None
        image = self._readable_copy()
        db = sqlite3.connect(":memory:")
        try:
            db.setlimit(sqlite3.SQLITE_LIMIT_ATTACHED, 0)
            db.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, max(len(image), 1 << 20))
            db.deserialize(image)
            for pragma in ("query_only=ON", "trusted_schema=OFF", "temp_store=MEMORY", "cell_size_check=ON"):
                db.execute("PRAGMA " + pragma)
            db.text_factory = _decode
            db.set_progress_handler(self._over_time, _PROGRESS_STEPS)
            db.execute("SELECT count(*) FROM sqlite_master").fetchone()  # reads the schema now
        except Exception as exc:  # a hostile file must not stop triage; MemoryError comes from odd sizes
            db.close()
            self.note(f"not readable as SQLite: {_reason(exc)}")
            return None
        return db

    def _readable_copy(self) -> bytes:
        """The bytes as SQLite can read them in memory: WAL header switched off, missing pages as zeros."""
        data = self.data
        fixes: list[tuple[int, bytes]] = []
        if len(data) >= 20 and 2 in data[18:20]:
            fixes.append((18, b"\x01\x01"))
            self.wal = True
        size = len(data)
        page = _page_size(data)
        if page is not None:
            declared = int.from_bytes(data[28:32], "big") if data[24:28] == data[92:96] else 0
            whole = -(-size // page) * page
            target = whole
            if declared * page > size:
                padded = declared * page - size <= max(size, 1 << 20)  # never more than doubles memory
                self.note(
                    f"file is truncated: its header declares {declared:,} pages of {page:,} bytes, "
                    f"the file holds {size:,} bytes; "
                    + (
                        "missing pages read as empty"
                        if padded
                        else "too much is missing to read past the end"
                    )
                )
                if padded:
                    target = declared * page
            elif size % page:
                self.note(f"file size {size:,} is not whole {page:,}-byte pages; the cut page reads as zeros")
            if target > size:
                fixes.append((size, bytes(target - size)))
        if not fixes:
            return data
        copy = bytearray(data)
        for at, value in fixes:
            copy[at : at + len(value)] = value
        return bytes(copy)

    def _over_time(self) -> int:
        if self.deadline is not None and time.monotonic() > self.deadline:
            self.timed_out = True
            return 1
        return 0

    @property
    def tables(self) -> frozenset[str]:
        """Names of the real tables (not views or virtual tables), lower-cased; empty when not SQLite."""
        if self._tables is None:
            self._tables = frozenset()
            db = self.sqlite
            if db is not None:
                try:
                    rows = db.execute(
                        "SELECT name FROM sqlite_master WHERE type = 'table' "
                        "AND coalesce(sql, '') NOT LIKE 'CREATE VIRTUAL%'"
                    ).fetchall()
                except sqlite3.Error as exc:
                    self.note(f"schema not readable: {_reason(exc)}")
                else:
                    self._tables = frozenset(name.lower() for (name,) in rows if isinstance(name, str))
        return self._tables

    def columns(self, table: str) -> frozenset[str]:
        """Lower-cased column names of a table; empty when the table is missing or unreadable."""
        key = table.lower()
        if key not in self._columns:
            found: frozenset[str] = frozenset()
            db = self.sqlite
            if db is not None and key in self.tables:
                try:
                    rows = db.execute("SELECT name FROM pragma_table_info(?)", (key,)).fetchall()
                except sqlite3.Error as exc:
                    self.note(f"columns of {key} not readable: {_reason(exc)}")
                else:
                    found = frozenset(name.lower() for (name,) in rows if isinstance(name, str))
            self._columns[key] = found
        return self._columns[key]

    def has(self, table: str, *columns: str) -> bool:
        """True when the database has this real table with at least these columns."""
        return table.lower() in self.tables and {c.lower() for c in columns} <= self.columns(table)

    def rows(self, sql: str, parameters: Sequence[Any] = ()) -> Iterator[tuple[Any, ...]]:
        """Rows of a read-only query, fetched lazily; sqlite3 errors pass through to the caller."""
        db = self.sqlite
        if db is None:
            raise ValueError("not a readable SQLite database")
        yield from db.execute(sql, tuple(parameters))


def _page_size(header: bytes) -> int | None:
    """Page size from a SQLite header (bytes 16-17, 1 meaning 65536); None when absent or invalid."""
    if len(header) < 100:
        return None
    value = int.from_bytes(header[16:18], "big")
    size = 65536 if value == 1 else value
    return size if 512 <= size <= 65536 and size & (size - 1) == 0 else None


def _reason(exc: BaseException) -> str:
    text = str(exc).strip()
    return text or type(exc).__name__


@runtime_checkable
class ArtifactParser(Protocol):
    """A named, versioned reader of one app's database."""

    name: str
    version: str
    app: str
    """The app in words, as it goes into ``Artifact.app``."""
    description: str

    def recognises(self, source: ArtifactSource) -> bool:
        """True when the content (SQLite tables and columns, never the file name) is this app's database."""

    def parse(self, source: ArtifactSource) -> Iterator[Artifact]:
        """The records; raise ValueError (or let sqlite3.Error through) for a malformed database."""


# ---------------------------------------------------------------------------------------------
# Values from hostile rows


def _number(value: object) -> int | float | None:
    """An integer or finite float from whatever a column held; None when it is not a number."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, bytes | str):
        text = value.decode("ascii", "replace") if isinstance(value, bytes) else value
        text = text.strip()
        if len(text) > 40:  # no honest number is this long
            return None
        try:
            return int(text)
        except ValueError:
            pass
        try:
            number = float(text)
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


def _integer(value: object) -> int | None:
    number = _number(value)
    if isinstance(number, float):
        return int(number) if number.is_integer() else None
    return number


def _string(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


class _Tally:
    """Oddities of one parse, counted per row and reported once at the end."""

    def __init__(self, source: ArtifactSource) -> None:
        self.source = source
        self.bad_times = 0
        self.time_examples: list[str] = []
        self.cut = 0
        self.nuls = 0
        self.unknown: dict[str, int] = {}

    def time(self, value: object, epoch: datetime, per_second: int, where: str) -> datetime | None:
        """Aware UTC time of a count of 1/per_second seconds since epoch; None when absent or unusable."""
        if value is None:
            return None
        number = _number(value)
        if number == 0:
            return None
        if number is not None:
            scale = 1_000_000 // per_second
            micros: int | None
            if isinstance(number, int):
                micros = number * scale
            else:
                product = number * scale
                micros = round(product) if math.isfinite(product) else None
            if micros is not None:
                low = (EARLIEST - epoch) // _MICROSECOND
                high = (LATEST - epoch) // _MICROSECOND
                if low <= micros < high:
                    return epoch + timedelta(microseconds=micros)
        self.bad_times += 1
        if len(self.time_examples) < _EXAMPLES:
            shown = _string(value) or ""
            self.time_examples.append(f"{where}={shown[:40]}")
        return None

    def text(self, value: object, limit: int = MAX_TEXT) -> str | None:
        """Text of a column with NULs made visible and cut to ``limit`` characters."""
        text = _string(value)
        if text is None:
            return None
        if len(text) > limit:
            text = text[:limit]
            self.cut += 1
        if "\x00" in text:
            text = text.replace("\x00", "\ufffd")
            self.nuls += 1
        return text

    def field(self, value: object) -> str | None:
        """A short identifier (address, JID, thread id); empty strings count as absent."""
        return self.text(value, MAX_FIELD) or None

    def odd(self, what: str) -> None:
        self.unknown[what] = self.unknown.get(what, 0) + 1

    def report(self) -> None:
        if self.bad_times:
            self.source.note(
                f"{_count(self.bad_times, 'record')} had a time that is not a number or lies outside "
                f"{EARLIEST.year}-{LATEST.year - 1}; left empty (e.g. {', '.join(self.time_examples)})"
            )
        if self.cut:
            self.source.note(f"{_count(self.cut, 'value')} longer than the limit were cut")
        if self.nuls:
            self.source.note(f"{_count(self.nuls, 'value')} held NUL characters, shown as U+FFFD")
        for what, number in self.unknown.items():
            self.source.note(f"{_count(number, 'record')} {what}")


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def _record(table: str, rowid: object) -> str:
    value = _integer(rowid)
    return f"{table}:{value if value is not None else '?'}"


def _optional(source: ArtifactSource, table: str, column: str, alias: str) -> str:
    """``alias.column`` when the table has it, else NULL, so one query fits several schema versions."""
    return f"{alias}.{column}" if column in source.columns(table) else "NULL"


# ---------------------------------------------------------------------------------------------
# Built-in parsers


class AndroidSMS:
    """Text messages and the text of multimedia messages in Android's telephony database."""

    name = "android-sms"
    version = "1"
    app = "Android SMS"
    description = "Android telephony provider (mmssms.db): sms table, and MMS text from pdu, part and addr"

    def recognises(self, source: ArtifactSource) -> bool:
        return source.has("sms", "_id", "thread_id", "address", "date", "type", "body")

    def parse(self, source: ArtifactSource) -> Iterator[Artifact]:
        tally = _Tally(source)
        try:
            yield from self._sms(source, tally)
            if (
                source.has("pdu", "_id", "thread_id", "date", "msg_box")
                and source.has("part", "mid", "ct", "text")
                and source.has("addr", "msg_id", "address", "type")
            ):
                yield from self._mms(source, tally)
        finally:
            tally.report()

    def _sms(self, source: ArtifactSource, tally: _Tally) -> Iterator[Artifact]:
        for rowid, thread, address, date, kind, body in source.rows(
            "SELECT _id, thread_id, address, date, type, body FROM sms"
        ):
            record = _record("sms", rowid)
            other = tally.field(address)
            sender, recipient, direction = _sms_parties(_integer(kind), other, tally)
            yield Artifact(
                parser=self.name,
                kind="message",
                app=self.app,
                record=record,
                time=tally.time(date, _UNIX, 1000, f"{record} date"),
                text=tally.text(body) or "",
                sender=sender,
                recipient=recipient,
                thread=tally.field(thread),
                direction=direction,
            )

    def _mms(self, source: ArtifactSource, tally: _Tally) -> Iterator[Artifact]:
        order = "mid, seq, _id" if "seq" in source.columns("part") else "mid, _id"
        subject = _optional(source, "pdu", "sub", "pdu")
        sql = f"""
            SELECT pdu._id, pdu.thread_id, pdu.date, pdu.msg_box, {subject}, body.text, sender.address,
                   recipients.address
            FROM pdu
            LEFT JOIN (SELECT mid, group_concat(text, char(10)) AS text
                       FROM (SELECT mid, text FROM part WHERE ct = 'text/plain' AND text IS NOT NULL
                             ORDER BY {order})
                       GROUP BY mid) AS body ON body.mid = pdu._id
            LEFT JOIN (SELECT msg_id, min(address) AS address FROM addr WHERE type = 137 GROUP BY msg_id)
                AS sender ON sender.msg_id = pdu._id
            LEFT JOIN (SELECT msg_id, group_concat(address, ', ') AS address FROM addr
                       WHERE type IN (151, 130) GROUP BY msg_id) AS recipients ON recipients.msg_id = pdu._id
        """
        for rowid, thread, date, box, sub, body, sender, recipients in source.rows(sql):
            record = _record("pdu", rowid)
            parts = [t for t in (tally.text(sub), tally.text(body)) if t]
            kind = _integer(box)
            who: str | None
            to: str | None
            direction: str | None
            if kind == 1:
                who, to, direction = tally.field(sender), "me", "received"
            elif kind == 2:
                who, to, direction = "me", tally.field(recipients), "sent"
            elif kind in (3, 4, 5):
                who, to, direction = "me", tally.field(recipients), None
            else:
                tally.odd("had an MMS msg_box that is not 1-5; sender and recipient left empty")
                who, to, direction = None, None, None
            yield Artifact(
                parser=self.name,
                kind="message",
                app=self.app,
                record=record,
                time=tally.time(date, _UNIX, 1, f"{record} date"),
                text=tally.text("\n".join(parts)) or "",
                sender=who,
                recipient=to,
                thread=tally.field(thread),
                direction=direction,
            )


def _sms_parties(
    kind: int | None, other: str | None, tally: _Tally
) -> tuple[str | None, str | None, str | None]:
    """Sender, recipient and direction from an SMS ``type`` (Telephony.TextBasedSmsColumns)."""
    if kind == 1:
        return other, "me", "received"
    if kind == 2:
        return "me", other, "sent"
    if kind in (3, 4, 5, 6):  # draft, outbox, failed, queued: written here, not known to be delivered
        return "me", other, None
    tally.odd("had an SMS type that is not 1-6; sender and recipient left empty")
    return None, None, None


class WhatsApp:
    """Chat messages in WhatsApp for Android's message store, legacy and newer schema."""

    name = "whatsapp"
    version = "1"
    app = "WhatsApp"
    description = (
        "WhatsApp for Android message store (msgstore.db): the legacy messages table or the newer "
        "message, chat and jid tables"
    )

    def recognises(self, source: ArtifactSource) -> bool:
        return self._modern(source) or self._legacy(source)

    @staticmethod
    def _modern(source: ArtifactSource) -> bool:
        return (
            source.has("message", "_id", "chat_row_id", "from_me", "timestamp", "text_data")
            and source.has("chat", "_id", "jid_row_id")
            and (source.has("jid", "_id", "raw_string") or source.has("jid", "_id", "user", "server"))
        )

    @staticmethod
    def _legacy(source: ArtifactSource) -> bool:
        return source.has("messages", "_id", "key_remote_jid", "key_from_me", "data", "timestamp")

    def parse(self, source: ArtifactSource) -> Iterator[Artifact]:
        tally = _Tally(source)
        try:
            modern = self._modern(source)
            if modern and self._legacy(source):
                modern = next(source.rows("SELECT EXISTS (SELECT 1 FROM message)"))[0] == 1
            yield from (self._read_modern(source, tally) if modern else self._read_legacy(source, tally))
        finally:
            tally.report()

    def _read_modern(self, source: ArtifactSource, tally: _Tally) -> Iterator[Artifact]:
        names = source.columns("jid")
        forms = ["j.raw_string"] if "raw_string" in names else []
        if {"user", "server"} <= names:
            forms.append("j.user || '@' || j.server")
        jid = forms[0] if len(forms) == 1 else f"coalesce({', '.join(forms)})"
        if "sender_jid_row_id" in source.columns("message"):
            sender = f"(SELECT {jid} FROM jid AS j WHERE j._id = m.sender_jid_row_id LIMIT 1)"
        else:
            sender = "NULL"
        sql = f"""
            SELECT m._id, m.from_me, m.timestamp, m.text_data,
                   (SELECT {jid} FROM chat AS c JOIN jid AS j ON j._id = c.jid_row_id
                    WHERE c._id = m.chat_row_id LIMIT 1),
                   {sender}
            FROM message AS m
        """
        for rowid, from_me, stamp, text, chat, member in source.rows(sql):
            record = _record("message", rowid)
            yield self._artifact(record, from_me, stamp, text, tally.field(chat), tally.field(member), tally)

    def _read_legacy(self, source: ArtifactSource, tally: _Tally) -> Iterator[Artifact]:
        member = _optional(source, "messages", "remote_resource", "m")
        caption = _optional(source, "messages", "media_caption", "m")
        sql = f"""
            SELECT m._id, m.key_from_me, m.timestamp, coalesce(m.data, {caption}), m.key_remote_jid, {member}
            FROM messages AS m
        """
        for rowid, from_me, stamp, text, chat, sender in source.rows(sql):
            if chat == "-1":  # WhatsApp's own placeholder row, not a message
                continue
            record = _record("messages", rowid)
            yield self._artifact(record, from_me, stamp, text, tally.field(chat), tally.field(sender), tally)

    def _artifact(
        self,
        record: str,
        from_me: object,
        stamp: object,
        text: object,
        chat: str | None,
        member: str | None,
        tally: _Tally,
    ) -> Artifact:
        mine = _integer(from_me)
        sender: str | None
        recipient: str | None
        direction: str | None
        if mine == 1:
            sender, recipient, direction = "me", chat, "sent"
        elif mine == 0:
            sender = member or chat
            recipient = chat if sender != chat else "me"
            direction = "received"
        else:
            tally.odd("had a from_me flag that is not 0 or 1; sender and recipient left empty")
            sender, recipient, direction = None, None, None
        return Artifact(
            parser=self.name,
            kind="message",
            app=self.app,
            record=record,
            time=tally.time(stamp, _UNIX, 1000, f"{record} timestamp"),
            text=tally.text(text) or "",
            sender=sender,
            recipient=recipient,
            thread=chat,
            direction=direction,
        )


class ChromeHistory:
    """Page visits in the History database of Chrome and other Chromium browsers."""

    name = "chrome-history"
    version = "1"
    app = "Chrome"
    description = "Chrome/Chromium History database: visits joined to urls, WebKit times (µs since 1601)"

    def recognises(self, source: ArtifactSource) -> bool:
        return source.has("urls", "id", "url", "title") and source.has("visits", "id", "url", "visit_time")

    def parse(self, source: ArtifactSource) -> Iterator[Artifact]:
        sql = "SELECT v.id, v.visit_time, u.url, u.title FROM visits AS v LEFT JOIN urls AS u ON u.id = v.url"
        return _visits(self, source, sql, "visits", "visit_time", _WEBKIT)


def _visits(
    parser: ChromeHistory | FirefoxHistory,
    source: ArtifactSource,
    sql: str,
    table: str,
    column: str,
    epoch: datetime,
) -> Iterator[Artifact]:
    """Browser visits from ``sql`` (rows of id, time in µs since ``epoch``, url, title)."""
    tally = _Tally(source)
    try:
        for rowid, stamp, url, title in source.rows(sql):
            record = _record(table, rowid)
            when = tally.time(stamp, epoch, 1_000_000, f"{record} {column}")
            yield _visit(parser, record, when, url, title, tally)
    finally:
        tally.report()


class FirefoxHistory:
    """Page visits in Firefox's places database."""

    name = "firefox-history"
    version = "1"
    app = "Firefox"
    description = "Firefox places.sqlite: moz_historyvisits joined to moz_places, PRTime (µs since 1970)"

    def recognises(self, source: ArtifactSource) -> bool:
        return source.has("moz_places", "id", "url", "title") and source.has(
            "moz_historyvisits", "id", "place_id", "visit_date"
        )

    def parse(self, source: ArtifactSource) -> Iterator[Artifact]:
        sql = (
            "SELECT v.id, v.visit_date, p.url, p.title FROM moz_historyvisits AS v "
            "LEFT JOIN moz_places AS p ON p.id = v.place_id"
        )
        return _visits(self, source, sql, "moz_historyvisits", "visit_date", _UNIX)


def _visit(
    parser: ChromeHistory | FirefoxHistory,
    record: str,
    when: datetime | None,
    url: object,
    title: object,
    tally: _Tally,
) -> Artifact:
    return Artifact(
        parser=parser.name,
        kind="visit",
        app=parser.app,
        record=record,
        time=when,
        text=tally.text(title) or "",
        url=tally.text(url) or None,
    )


BUILTIN_PARSERS: tuple[ArtifactParser, ...] = (AndroidSMS(), WhatsApp(), ChromeHistory(), FirefoxHistory())


# ---------------------------------------------------------------------------------------------
# The one entry point


def parse_artifacts(
    data: bytes,
    name: str,
    parsers: Sequence[ArtifactParser],
    *,
    limit: int = 200_000,
    seconds: float = 300.0,
) -> tuple[list[Artifact], list[str]]:
    """Records of every parser that recognises the file, and the problems met; never raises for bad input.

    ``limit`` caps the records of each parser, ``seconds`` the SQLite time of each parser.
    """
    artifacts: list[Artifact] = []
    problems: list[str] = []
    with ArtifactSource(data, name) as source:
        source.tables  # noqa: B018 - open and read the schema now, so its problems belong to the file
        problems.extend(source.notes)
        del source.notes[:]
        recognised = False
        for parser in parsers:
            label = getattr(parser, "name", type(parser).__name__)
            found: list[str] = []
            try:
                ours = parser.recognises(source)
            except Exception as exc:  # a plug-in's bug must not stop the other parsers
                found.append(f"recognises() failed: {type(exc).__name__}: {_reason(exc)}")
                ours = False
            if ours:
                recognised = True
                found += _run(parser, source, limit, seconds, artifacts)
            problems.extend(f"{label}: {line}" for line in found + source.notes)
            del source.notes[:]
        if recognised and source.wal:
            problems.append(WAL_NOTE)
    return artifacts, problems


def _run(
    parser: ArtifactParser, source: ArtifactSource, limit: int, seconds: float, out: list[Artifact]
) -> list[str]:
    """Read one parser's records into ``out``; return what went wrong, if anything."""
    problems: list[str] = []
    count = 0
    source.deadline = time.monotonic() + seconds
    source.timed_out = False
    records: Iterator[Artifact] | None = None
    try:
        records = iter(parser.parse(source))
        for artifact in records:
            if count >= limit:
                problems.append(f"more than {limit:,} records; only the first {limit:,} were read")
                break
            if not isinstance(artifact, Artifact):
                problems.append(f"yielded a {type(artifact).__name__}, not an Artifact; ignored")
                continue
            out.append(artifact)
            count += 1
    except Exception as exc:  # hostile input (or a plug-in bug) ends this parser only
        problems.append(_failure(exc, source, seconds, count))
    finally:
        close = getattr(records, "close", None)
        if callable(close):
            try:
                close()
            except Exception as exc:
                problems.append(f"failed while finishing: {type(exc).__name__}: {_reason(exc)}")
        source.deadline = None
    return problems


def _failure(exc: Exception, source: ArtifactSource, seconds: float, count: int) -> str:
    after = f" (after {_count(count, 'record')})"
    if source.timed_out:
        return f"stopped after {seconds:g} s of database work; the records read until then are kept{after}"
    if isinstance(exc, sqlite3.DatabaseError):
        return f"malformed database: {_reason(exc)}{after}"
    if isinstance(exc, ValueError):
        return f"{_reason(exc)}{after}"
    return f"failed: {type(exc).__name__}: {_reason(exc)}{after}"


SQLITE_TYPES = frozenset({"application/vnd.sqlite3", "application/x-sqlite3"})
"""What libmagic calls a SQLite 3 database (the name changed between releases)."""

MAX_DATABASE_BYTES = 512 * 1024 * 1024
"""App databases larger than this are hashed but not parsed (the copy is held in memory)."""

_ERROR_WORDS = ("malformed", "not readable", "failed", "truncated", "stopped after", "cut page")


def problem_kind(problem: str) -> str:
    """'error' when the database could not be read (fully), 'warning' for what was read with a caveat."""
    return "error" if any(word in problem for word in _ERROR_WORDS) else "warning"


@cache
def _registered() -> tuple[ArtifactParser, ...]:
    """The registered parsers, looked up once per process (entry points are slow to list)."""
    from heroes.plugins import parsers  # plugins imports the triage package

    return parsers()


class _AppDatabaseSession:
    def update(self, chunk: bytes) -> None:
        pass  # the reader keeps the file's bytes; the parsers need all of them at once

    def finish(self, content: Content, settings: Settings) -> dict[str, Any]:
        data = content.data
        if data is None:
            if content.size > MAX_DATABASE_BYTES:
                raise ValueError(
                    f"database of {content.size / 2**20:,.0f} MiB is over the "
                    f"{MAX_DATABASE_BYTES // 2**20} MiB parsing limit; hashed, not parsed"
                )
            with content.open() as handle:
                data = handle.read(MAX_DATABASE_BYTES + 1)
        name = content.raw_path.decode("utf-8", "backslashreplace")
        found, problems = parse_artifacts(data, name, _registered())
        notes = [(problem_kind(p), APP_DATABASES.name, p) for p in problems]
        return {"artifacts": found, "notes": notes} if found or notes else {}


class AppDatabaseReader:
    """The scan's way into app databases: a per-file plug-in that runs every registered ArtifactParser
    over a SQLite file, so messages and visits come out of the same single read as the hashes."""

    name = "artifacts"
    version = "1"
    fields: tuple[str, ...] = ("artifacts", "notes")

    def accepts(self, mime: str | None) -> bool:
        """SQLite databases only: every parser so far reads one."""
        return mime in SQLITE_TYPES

    def begin(self) -> _AppDatabaseSession:
        """A session that waits for the whole file."""
        return _AppDatabaseSession()


APP_DATABASES = AppDatabaseReader()
