"""App-database parsers on databases built here with the apps' real table and column names."""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from heroes.evidence import Artifact
from heroes.triage.artifacts import (
    BUILTIN_PARSERS,
    MAX_TEXT,
    WAL_NOTE,
    AndroidSMS,
    ArtifactParser,
    ArtifactSource,
    ChromeHistory,
    FirefoxHistory,
    WhatsApp,
    is_sqlite,
    parse_artifacts,
)

# ---------------------------------------------------------------------------------------------
# Builders: schemas as the apps create them (trimmed of tables the parsers never read)

SMS_SCHEMA = """
CREATE TABLE android_metadata (locale TEXT);
CREATE TABLE canonical_addresses (_id INTEGER PRIMARY KEY AUTOINCREMENT, address TEXT);
CREATE TABLE threads (_id INTEGER PRIMARY KEY AUTOINCREMENT, date INTEGER DEFAULT 0,
    message_count INTEGER DEFAULT 0, recipient_ids TEXT, snippet TEXT, snippet_cs INTEGER DEFAULT 0,
    read INTEGER DEFAULT 1, type INTEGER DEFAULT 0, error INTEGER DEFAULT 0,
    has_attachment INTEGER DEFAULT 0);
CREATE TABLE sms (_id INTEGER PRIMARY KEY, thread_id INTEGER, address TEXT, person INTEGER, date INTEGER,
    date_sent INTEGER DEFAULT 0, protocol INTEGER, read INTEGER DEFAULT 0, status INTEGER DEFAULT -1,
    type INTEGER, reply_path_present INTEGER, subject TEXT, body TEXT, service_center TEXT,
    locked INTEGER DEFAULT 0, error_code INTEGER DEFAULT 0, seen INTEGER DEFAULT 0);
CREATE TABLE pdu (_id INTEGER PRIMARY KEY AUTOINCREMENT, thread_id INTEGER, date INTEGER,
    date_sent INTEGER DEFAULT 0, msg_box INTEGER, read INTEGER DEFAULT 0, m_id TEXT, sub TEXT, sub_cs INTEGER,
    ct_t TEXT, ct_l TEXT, exp INTEGER, m_cls TEXT, m_type INTEGER, v INTEGER, m_size INTEGER, pri INTEGER,
    rr INTEGER, rpt_a INTEGER, resp_st INTEGER, st INTEGER, tr_id TEXT, retr_st INTEGER, retr_txt TEXT,
    retr_txt_cs INTEGER, read_status INTEGER, ct_cls INTEGER, resp_txt TEXT, d_tm INTEGER, d_rpt INTEGER,
    locked INTEGER DEFAULT 0, seen INTEGER DEFAULT 0, text_only INTEGER DEFAULT 0);
CREATE TABLE part (_id INTEGER PRIMARY KEY AUTOINCREMENT, mid INTEGER, seq INTEGER DEFAULT 0, ct TEXT,
    name TEXT, chset INTEGER, cd TEXT, fn TEXT, cid TEXT, cl TEXT, ctt_s INTEGER, ctt_t TEXT, _data TEXT,
    text TEXT);
CREATE TABLE addr (_id INTEGER PRIMARY KEY, msg_id INTEGER, contact_id INTEGER, address TEXT, type INTEGER,
    charset INTEGER);
"""

WA_LEGACY_SCHEMA = """
CREATE TABLE props (_id INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT UNIQUE, value TEXT);
CREATE TABLE chat_list (_id INTEGER PRIMARY KEY AUTOINCREMENT, key_remote_jid TEXT UNIQUE,
    message_table_id INTEGER, subject TEXT, creation INTEGER);
CREATE TABLE messages (_id INTEGER PRIMARY KEY AUTOINCREMENT, key_remote_jid TEXT NOT NULL,
    key_from_me INTEGER, key_id TEXT NOT NULL, status INTEGER, needs_push INTEGER, data TEXT,
    timestamp INTEGER, media_url TEXT, media_mime_type TEXT, media_wa_type TEXT, media_size INTEGER,
    media_name TEXT, media_caption TEXT, media_hash TEXT, media_duration INTEGER, origin INTEGER,
    latitude REAL, longitude REAL, thumb_image TEXT, remote_resource TEXT, received_timestamp INTEGER,
    send_timestamp INTEGER, receipt_server_timestamp INTEGER, receipt_device_timestamp INTEGER,
    read_device_timestamp INTEGER, played_device_timestamp INTEGER, raw_data BLOB, recipient_count INTEGER,
    participant_hash TEXT, starred INTEGER, quoted_row_id INTEGER, mentioned_jids TEXT, multicast_id TEXT);
"""

WA_MODERN_SCHEMA = """
CREATE TABLE props (_id INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT UNIQUE, value TEXT);
CREATE TABLE jid (_id INTEGER PRIMARY KEY AUTOINCREMENT, user TEXT NOT NULL, server TEXT NOT NULL,
    agent INTEGER, device INTEGER, type INTEGER, raw_string TEXT);
CREATE TABLE chat (_id INTEGER PRIMARY KEY AUTOINCREMENT, jid_row_id INTEGER UNIQUE, hidden INTEGER,
    subject TEXT, created_timestamp INTEGER, display_message_row_id INTEGER, last_message_row_id INTEGER,
    archived INTEGER, sort_timestamp INTEGER, group_type INTEGER NOT NULL DEFAULT 0);
CREATE TABLE message (_id INTEGER PRIMARY KEY AUTOINCREMENT, chat_row_id INTEGER NOT NULL,
    from_me INTEGER NOT NULL, key_id TEXT NOT NULL, sender_jid_row_id INTEGER, status INTEGER,
    broadcast INTEGER, recipient_count INTEGER, participant_hash TEXT, origination_flags INTEGER,
    origin INTEGER, timestamp INTEGER, received_timestamp INTEGER, receipt_server_timestamp INTEGER,
    message_type INTEGER, text_data TEXT, starred INTEGER, lookup_tables INTEGER,
    sort_id INTEGER NOT NULL DEFAULT 0, message_add_on_flags INTEGER, view_mode INTEGER,
    translated_text TEXT, view_replies_thread_id INTEGER);
"""

CHROME_SCHEMA = """
CREATE TABLE meta(key LONGVARCHAR NOT NULL UNIQUE PRIMARY KEY, value LONGVARCHAR);
CREATE TABLE urls(id INTEGER PRIMARY KEY AUTOINCREMENT, url LONGVARCHAR, title LONGVARCHAR,
    visit_count INTEGER DEFAULT 0 NOT NULL, typed_count INTEGER DEFAULT 0 NOT NULL,
    last_visit_time INTEGER NOT NULL, hidden INTEGER DEFAULT 0 NOT NULL);
CREATE TABLE visits(id INTEGER PRIMARY KEY, url INTEGER NOT NULL, visit_time INTEGER NOT NULL,
    from_visit INTEGER, transition INTEGER DEFAULT 0 NOT NULL, segment_id INTEGER,
    visit_duration INTEGER DEFAULT 0 NOT NULL);
"""

FIREFOX_SCHEMA = """
CREATE TABLE moz_places ( id INTEGER PRIMARY KEY, url LONGVARCHAR, title LONGVARCHAR, rev_host LONGVARCHAR,
    visit_count INTEGER DEFAULT 0, hidden INTEGER DEFAULT 0 NOT NULL, typed INTEGER DEFAULT 0 NOT NULL,
    frecency INTEGER DEFAULT -1 NOT NULL, last_visit_date INTEGER , guid TEXT);
CREATE TABLE moz_historyvisits ( id INTEGER PRIMARY KEY, from_visit INTEGER, place_id INTEGER,
    visit_date INTEGER, visit_type INTEGER, session INTEGER);
"""

NOV_14 = datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)  # 1_700_000_000 s after 1970
MS = 1_700_000_000_000
CHROME_US = 13_000_000_000_000_000  # µs since 1601: 2012-12-14 23:06:40 UTC
CHROME_AT = datetime(2012, 12, 14, 23, 6, 40, tzinfo=UTC)
PLACES = ["see you at the library at {}", "lunch tomorrow?", "bus leaves at {} from the station"]


def _build(schema: str, fill: Callable[[sqlite3.Connection], None]) -> bytes:
    db = sqlite3.connect(":memory:")
    db.executescript(schema)
    fill(db)
    db.commit()
    data = db.serialize()
    db.close()
    return data


def _line(i: int) -> str:
    return PLACES[i % len(PLACES)].format(i % 12 + 1)


def sms_db(count: int = 3, stamp: object = MS) -> bytes:
    def fill(db: sqlite3.Connection) -> None:
        db.executemany(
            "INSERT INTO sms (_id, thread_id, address, date, type, body) VALUES (?, ?, ?, ?, ?, ?)",
            [(i + 1, i % 4 + 1, f"+4470000000{i % 10}", stamp, 1 + i % 2, _line(i)) for i in range(count)],
        )

    return _build(SMS_SCHEMA, fill)


def wa_legacy_db(count: int = 3, stamp: object = MS) -> bytes:
    def fill(db: sqlite3.Connection) -> None:
        db.executemany(
            "INSERT INTO messages (_id, key_remote_jid, key_from_me, key_id, data, timestamp) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [
                (i + 1, f"4470000000{i % 5}@s.whatsapp.net", i % 2, f"K{i}", _line(i), stamp)
                for i in range(count)
            ],
        )

    return _build(WA_LEGACY_SCHEMA, fill)


def wa_modern_db(count: int = 3, stamp: object = MS) -> bytes:
    def fill(db: sqlite3.Connection) -> None:
        db.executemany(
            "INSERT INTO jid (_id, user, server, raw_string) VALUES (?, ?, 's.whatsapp.net', ?)",
            [(n + 1, f"4470000000{n}", f"4470000000{n}@s.whatsapp.net") for n in range(5)],
        )
        db.executemany("INSERT INTO chat (_id, jid_row_id) VALUES (?, ?)", [(n + 1, n + 1) for n in range(5)])
        db.executemany(
            "INSERT INTO message (_id, chat_row_id, from_me, key_id, sender_jid_row_id, timestamp, "
            "text_data) VALUES (?, ?, ?, ?, 0, ?, ?)",
            [(i + 1, i % 5 + 1, i % 2, f"K{i}", stamp, _line(i)) for i in range(count)],
        )

    return _build(WA_MODERN_SCHEMA, fill)


def chrome_db(count: int = 3, stamp: object = CHROME_US) -> bytes:
    def fill(db: sqlite3.Connection) -> None:
        db.executemany(
            "INSERT INTO urls (id, url, title, last_visit_time) VALUES (?, ?, ?, ?)",
            [(i + 1, f"https://example.org/timetable/{i}", _line(i), CHROME_US) for i in range(count)],
        )
        db.executemany(
            "INSERT INTO visits (id, url, visit_time) VALUES (?, ?, ?)",
            [(i + 1, i + 1, stamp) for i in range(count)],
        )

    return _build(CHROME_SCHEMA, fill)


def firefox_db(count: int = 3, stamp: object = MS * 1000) -> bytes:
    def fill(db: sqlite3.Connection) -> None:
        db.executemany(
            "INSERT INTO moz_places (id, url, title, rev_host) VALUES (?, ?, ?, 'gro.elpmaxe.')",
            [(i + 1, f"https://example.org/menu/{i}", _line(i)) for i in range(count)],
        )
        db.executemany(
            "INSERT INTO moz_historyvisits (id, place_id, visit_date, visit_type) VALUES (?, ?, ?, 1)",
            [(i + 1, i + 1, stamp) for i in range(count)],
        )

    return _build(FIREFOX_SCHEMA, fill)


@dataclass(frozen=True)
class Case:
    parser: ArtifactParser
    make: Callable[..., bytes]
    table: str
    """The table that holds each record, as it appears in ``Artifact.record``."""


CASES = [
    Case(BUILTIN_PARSERS[0], sms_db, "sms"),
    Case(BUILTIN_PARSERS[1], wa_legacy_db, "messages"),
    Case(BUILTIN_PARSERS[1], wa_modern_db, "message"),
    Case(BUILTIN_PARSERS[2], chrome_db, "visits"),
    Case(BUILTIN_PARSERS[3], firefox_db, "moz_historyvisits"),
]
CASE_IDS = [case.make.__name__ for case in CASES]


def _empty_db() -> bytes:
    return _build("PRAGMA user_version = 1;", lambda db: None)  # an empty database still has page 1


def _one(data: bytes, parser: ArtifactParser, name: str = "evidence.db") -> list[Artifact]:
    artifacts, problems = parse_artifacts(data, name, [parser])
    assert problems == []
    return artifacts


def _with_header(data: bytes, at: int, value: bytes) -> bytes:
    patched = bytearray(data)
    patched[at : at + len(value)] = value
    return bytes(patched)


# ---------------------------------------------------------------------------------------------
# The contract, over every built-in parser


def test_every_builtin_parser_has_a_case() -> None:
    assert {case.parser.name for case in CASES} == {p.name for p in BUILTIN_PARSERS}


def test_parser_names_are_unique() -> None:
    names = [p.name for p in BUILTIN_PARSERS]
    assert len(names) == len(set(names)) == 4


@pytest.mark.parametrize("parser", BUILTIN_PARSERS, ids=lambda p: p.name)
def test_parser_metadata(parser: ArtifactParser) -> None:
    assert isinstance(parser, ArtifactParser)
    for field in ("name", "version", "app", "description"):
        value = getattr(parser, field)
        assert isinstance(value, str) and value.strip() == value and value, field


def test_protocol_rejects_an_object_without_parse() -> None:
    class Half:
        name = version = app = description = "x"

        def recognises(self, source: ArtifactSource) -> bool:
            return True

    assert not isinstance(Half(), ArtifactParser)


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_does_not_recognise_other_content(case: Case) -> None:
    noise = random.Random(7).randbytes(4096)
    others = [b"", noise, b"SQLite format 3\x00" + noise, _empty_db()]
    others += [other.make() for other in CASES if other.parser.name != case.parser.name]
    for data in others:
        with ArtifactSource(data, "mmssms.db") as source:  # a tempting name changes nothing
            assert not case.parser.recognises(source)


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_recognises_its_own_database_under_any_name(case: Case) -> None:
    data = case.make(count=3)
    for name in ("holiday.jpg", "", "x/y/z.bin"):
        with ArtifactSource(data, name) as source:
            assert case.parser.recognises(source)
    artifacts = _one(data, case.parser, "IMG_0001.jpg")
    assert [a.record for a in artifacts] == [f"{case.table}:{i}" for i in (1, 2, 3)]
    assert {a.parser for a in artifacts} == {case.parser.name}
    assert {a.app for a in artifacts} == {case.parser.app}


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_truncated_copies_report_problems_and_never_raise(case: Case) -> None:
    data = case.make(count=400)
    page = int.from_bytes(data[16:18], "big")
    full = len(_one(data, case.parser))
    assert full == 400
    for cut in (0, 15, 16, 50, 99, 100, 512, page, len(data) // 2, len(data) - page, len(data) - 1):
        artifacts, problems = parse_artifacts(data[:cut], "evidence.db", [case.parser])
        if cut <= len(data) - page:
            assert len(artifacts) < full, cut
        if is_sqlite(data[:cut]):
            assert problems, cut
        if cut >= 100:
            assert problems[0].startswith("file is truncated: its header declares "), (cut, problems)
    # Missing pages read as empty, so what lies before the damage is kept, and the damage is named.
    artifacts, problems = parse_artifacts(data[: len(data) - page], "evidence.db", [case.parser])
    assert 0 < len(artifacts) < full
    assert all(a.record.startswith(case.table + ":") for a in artifacts)
    damage = f"malformed database: database disk image is malformed (after {len(artifacts)} records)"
    assert problems[1] == f"{case.parser.name}: {damage}"


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_wal_header_database_is_read_with_a_note(case: Case) -> None:
    data = case.make(count=5)
    wal = _with_header(data, 18, b"\x02\x02")
    artifacts, problems = parse_artifacts(wal, "evidence.db", [case.parser])
    assert artifacts == _one(data, case.parser)
    assert problems == [WAL_NOTE]


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_corrupted_pages_report_problems(case: Case) -> None:
    data = bytearray(case.make(count=400))
    size = int.from_bytes(data[16:18], "big")
    for start in range(size, len(data), size):  # every page but the first (the schema) gets a bad type
        data[start : start + 16] = b"\xff" * 16
    artifacts, problems = parse_artifacts(bytes(data), "evidence.db", [case.parser])
    assert artifacts == []
    assert any(p.startswith(f"{case.parser.name}: malformed database: ") for p in problems), problems


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
@pytest.mark.parametrize("stamp", [-5, 2**62, "tomorrow", 1e300, b"\x00\x01"])
def test_absurd_timestamps_leave_time_empty_with_a_note(case: Case, stamp: object) -> None:
    artifacts, problems = parse_artifacts(case.make(count=4, stamp=stamp), "evidence.db", [case.parser])
    assert len(artifacts) == 4
    assert all(a.time is None for a in artifacts)
    assert len(problems) == 1
    assert problems[0].startswith(f"{case.parser.name}: 4 records had a time that is not a number")
    assert f"{case.table}:1 " in problems[0]


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_zero_and_null_times_are_quietly_empty(case: Case) -> None:
    for stamp in (0, None):
        try:
            data = case.make(count=2, stamp=stamp)
        except sqlite3.IntegrityError:  # Chrome declares visit_time NOT NULL
            continue
        artifacts, problems = parse_artifacts(data, "evidence.db", [case.parser])
        assert [a.time for a in artifacts] == [None, None]
        assert problems == []


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_row_cap(case: Case) -> None:
    data = case.make(count=30)
    artifacts, problems = parse_artifacts(data, "evidence.db", [case.parser], limit=10)
    assert [a.record for a in artifacts] == [f"{case.table}:{i}" for i in range(1, 11)]
    assert problems == [f"{case.parser.name}: more than 10 records; only the first 10 were read"]
    artifacts, problems = parse_artifacts(data, "evidence.db", [case.parser], limit=30)
    assert len(artifacts) == 30 and problems == []


# ---------------------------------------------------------------------------------------------
# Android SMS


def test_android_sms_fields() -> None:
    def fill(db: sqlite3.Connection) -> None:
        db.executemany(
            "INSERT INTO sms (_id, thread_id, address, date, date_sent, type, body, read) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, 1)",
            [
                (1, 3, "+447700900123", 1_700_000_000_123, 1_699_999_999_000, 1, "lunch tomorrow?"),
                (2, 3, "+447700900123", 1_700_000_060_000, 0, 2, "yes, see you at the library at 5"),
                (3, 3, "+447700900123", 1_700_000_120_000, 0, 3, "bring the notes"),
                (4, 7, None, 1_700_000_180_000, 0, 5, "running late"),
            ],
        )

    artifacts = _one(_build(SMS_SCHEMA, fill), AndroidSMS())
    base = {"parser": "android-sms", "kind": "message", "app": "Android SMS", "thread": "3"}
    assert artifacts == [
        Artifact(
            **base,
            record="sms:1",
            time=datetime(2023, 11, 14, 22, 13, 20, 123_000, tzinfo=UTC),
            text="lunch tomorrow?",
            sender="+447700900123",
            recipient="me",
            direction="received",
        ),
        Artifact(
            **base,
            record="sms:2",
            time=datetime(2023, 11, 14, 22, 14, 20, tzinfo=UTC),
            text="yes, see you at the library at 5",
            sender="me",
            recipient="+447700900123",
            direction="sent",
        ),
        Artifact(
            **base,
            record="sms:3",
            time=datetime(2023, 11, 14, 22, 15, 20, tzinfo=UTC),
            text="bring the notes",
            sender="me",
            recipient="+447700900123",
            direction=None,
        ),
        Artifact(
            **{**base, "thread": "7"},
            record="sms:4",
            time=datetime(2023, 11, 14, 22, 16, 20, tzinfo=UTC),
            text="running late",
            sender="me",
            recipient=None,
            direction=None,
        ),
    ]


def test_android_mms_text_and_parties() -> None:
    def fill(db: sqlite3.Connection) -> None:
        db.execute(
            "INSERT INTO sms (_id, thread_id, address, date, type, body) "
            "VALUES (1, 2, '+15550100', ?, 1, 'hi')",
            (MS,),
        )
        db.executemany(
            "INSERT INTO pdu (_id, thread_id, date, msg_box, sub, m_type) VALUES (?, ?, ?, ?, ?, ?)",
            [(10, 2, 1_700_000_000, 1, None, 132), (11, 2, 1_700_000_300, 2, "Picnic", 128)],
        )
        db.executemany(
            "INSERT INTO part (mid, seq, ct, text) VALUES (?, ?, ?, ?)",
            [
                (10, 0, "application/smil", "<smil/>"),
                (10, 2, "text/plain", "and bring a blanket"),
                (10, 1, "text/plain", "park at noon"),
                (10, 3, "image/jpeg", None),
                (11, 0, "text/plain", "sounds good"),
            ],
        )
        db.executemany(
            "INSERT INTO addr (msg_id, address, type, charset) VALUES (?, ?, ?, 106)",
            [
                (10, "+15550100", 137),
                (10, "insert-address-token", 151),
                (11, "insert-address-token", 137),
                (11, "+15550100", 151),
                (11, "+15550111", 130),
            ],
        )

    artifacts = _one(_build(SMS_SCHEMA, fill), AndroidSMS())
    assert [a.record for a in artifacts] == ["sms:1", "pdu:10", "pdu:11"]
    received, sent = artifacts[1], artifacts[2]
    assert received == Artifact(
        parser="android-sms",
        kind="message",
        app="Android SMS",
        record="pdu:10",
        time=NOV_14,  # pdu.date is in seconds
        text="park at noon\nand bring a blanket",  # text parts in seq order, SMIL and images left out
        sender="+15550100",
        recipient="me",
        thread="2",
        direction="received",
    )
    assert sent.time == datetime(2023, 11, 14, 22, 18, 20, tzinfo=UTC)
    assert (sent.sender, sent.recipient, sent.direction) == ("me", "+15550100, +15550111", "sent")
    assert sent.text == "Picnic\nsounds good"


def test_android_sms_hostile_values() -> None:
    long_body = "a" * (MAX_TEXT + 1)

    def fill(db: sqlite3.Connection) -> None:
        rows: list[tuple[Any, ...]] = [
            (1, 1, "+100", MS, 1, "see you\x00at 5"),
            (2, "one", b"+200", str(MS), "2", b"lunch tomorrow?"),
            (3, 1, 3000, float(MS), 2.0, 42),
            (4, 1, "+100", MS, 9, "unknown type"),
            (5, 1, "+100", MS, 1, long_body),
            (7, 1, "+100", MS, 1, "b" * MAX_TEXT),
        ]
        db.executemany(
            "INSERT INTO sms (_id, thread_id, address, date, type, body) VALUES (?,?,?,?,?,?)", rows
        )
        db.execute(
            "INSERT INTO sms (_id, thread_id, address, date, type, body) "
            "VALUES (6, 1, '+100', ?, 1, CAST(x'6869ff21' AS TEXT))",
            (MS,),
        )

    artifacts, problems = parse_artifacts(_build(SMS_SCHEMA, fill), "evidence.db", [AndroidSMS()])
    by = {a.record: a for a in artifacts}
    assert by["sms:1"].text == "see you\ufffdat 5"
    assert (by["sms:2"].thread, by["sms:2"].recipient, by["sms:2"].text) == ("one", "+200", "lunch tomorrow?")
    assert by["sms:2"].time == NOV_14 and by["sms:2"].direction == "sent"
    assert (by["sms:3"].recipient, by["sms:3"].text, by["sms:3"].time) == ("3000", "42", NOV_14)
    assert (by["sms:4"].sender, by["sms:4"].recipient, by["sms:4"].direction) == (None, None, None)
    assert by["sms:5"].text == "a" * MAX_TEXT
    assert by["sms:7"].text == "b" * MAX_TEXT  # exactly at the limit: kept whole, not counted
    assert by["sms:6"].text == "hi\ufffd!"  # not UTF-8: decoded with a replacement, not an error
    assert sorted(problems) == sorted(
        [
            "android-sms: 1 record had an SMS type that is not 1-6; sender and recipient left empty",
            "android-sms: 1 value longer than the limit were cut",
            "android-sms: 1 value held NUL characters, shown as U+FFFD",
        ]
    )


def test_views_and_virtual_tables_are_not_tables() -> None:
    view = _build(
        "CREATE TABLE t(x); CREATE VIEW sms AS SELECT 1 AS _id, 1 AS thread_id, '' AS address, "
        "0 AS date, 1 AS type, '' AS body FROM t",
        lambda db: None,
    )
    virtual = _build(
        "CREATE VIRTUAL TABLE sms USING fts5(_id, thread_id, address, date, type, body)", lambda db: None
    )
    for data in (view, virtual):
        with ArtifactSource(data, "mmssms.db") as source:
            assert "sms" not in source.tables
            assert not AndroidSMS().recognises(source)


# ---------------------------------------------------------------------------------------------
# WhatsApp


def test_whatsapp_legacy_fields() -> None:
    def fill(db: sqlite3.Connection) -> None:
        rows = [
            (1, "-1", 0, "-1", None, 0, None, None),
            (2, "447700900001@s.whatsapp.net", 0, "A1", "lunch tomorrow?", MS, None, None),
            (3, "447700900001@s.whatsapp.net", 1, "A2", "yes, 1pm", MS + 1_000, None, None),
            (
                4,
                "120363000000000001@g.us",
                0,
                "A3",
                "bus at 8",
                MS + 2_000,
                "447700900002@s.whatsapp.net",
                None,
            ),
            (5, "120363000000000001@g.us", 1, "A4", None, MS + 3_000, "", "the timetable"),
            (6, "447700900001@s.whatsapp.net", 0, "A5", None, MS + 4_000, "", None),
        ]
        db.executemany(
            "INSERT INTO messages (_id, key_remote_jid, key_from_me, key_id, data, timestamp, "
            "remote_resource, media_caption) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )

    artifacts = _one(_build(WA_LEGACY_SCHEMA, fill), WhatsApp())
    got = [(a.record, a.time, a.text, a.sender, a.recipient, a.thread, a.direction) for a in artifacts]
    one, group = "447700900001@s.whatsapp.net", "120363000000000001@g.us"
    second = datetime(2023, 11, 14, 22, 13, 21, tzinfo=UTC)
    assert got == [
        ("messages:2", NOV_14, "lunch tomorrow?", one, "me", one, "received"),
        ("messages:3", second, "yes, 1pm", "me", one, one, "sent"),
        (
            "messages:4",
            datetime(2023, 11, 14, 22, 13, 22, tzinfo=UTC),
            "bus at 8",
            "447700900002@s.whatsapp.net",
            group,
            group,
            "received",
        ),
        (
            "messages:5",
            datetime(2023, 11, 14, 22, 13, 23, tzinfo=UTC),
            "the timetable",
            "me",
            group,
            group,
            "sent",
        ),
        ("messages:6", datetime(2023, 11, 14, 22, 13, 24, tzinfo=UTC), "", one, "me", one, "received"),
    ]
    assert {(a.kind, a.app, a.parser) for a in artifacts} == {("message", "WhatsApp", "whatsapp")}


def test_whatsapp_modern_fields() -> None:
    def fill(db: sqlite3.Connection) -> None:
        db.executemany(
            "INSERT INTO jid (_id, user, server, raw_string) VALUES (?, ?, ?, ?)",
            [
                (1, "447700900001", "s.whatsapp.net", "447700900001@s.whatsapp.net"),
                (2, "120363000000000001", "g.us", "120363000000000001@g.us"),
                (3, "447700900002", "s.whatsapp.net", "447700900002@s.whatsapp.net"),
                (4, "447700900003", "s.whatsapp.net", None),
            ],
        )
        db.executemany(
            "INSERT INTO chat (_id, jid_row_id, subject) VALUES (?, ?, ?)",
            [(10, 1, None), (11, 2, "Book club")],
        )
        db.executemany(
            "INSERT INTO message (_id, chat_row_id, from_me, key_id, sender_jid_row_id, timestamp, "
            "message_type, text_data) VALUES (?, ?, ?, ?, ?, ?, 0, ?)",
            [
                (100, 10, 0, "B1", 0, MS, "lunch tomorrow?"),
                (101, 10, 1, "B2", 0, MS + 1_000, "yes, 1pm"),
                (102, 11, 0, "B3", 3, MS + 2_000, "chapter 4 for thursday"),
                (103, 11, 0, "B4", 4, MS + 3_000, "agreed"),
                (104, 11, 1, "B5", None, MS + 4_000, None),
            ],
        )

    artifacts = _one(_build(WA_MODERN_SCHEMA, fill), WhatsApp())
    one, group = "447700900001@s.whatsapp.net", "120363000000000001@g.us"
    got = [(a.record, a.text, a.sender, a.recipient, a.thread, a.direction) for a in artifacts]
    assert got == [
        ("message:100", "lunch tomorrow?", one, "me", one, "received"),
        ("message:101", "yes, 1pm", "me", one, one, "sent"),
        ("message:102", "chapter 4 for thursday", "447700900002@s.whatsapp.net", group, group, "received"),
        (
            "message:103",
            "agreed",
            "447700900003@s.whatsapp.net",
            group,
            group,
            "received",
        ),  # from user@server
        ("message:104", "", "me", group, group, "sent"),
    ]
    assert artifacts[0].time == NOV_14
    assert artifacts[4].time == datetime(2023, 11, 14, 22, 13, 24, tzinfo=UTC)


def test_whatsapp_prefers_the_newer_table_only_when_it_has_rows() -> None:
    both = WA_MODERN_SCHEMA + WA_LEGACY_SCHEMA.replace("CREATE TABLE props", "CREATE TABLE old_props")

    def legacy_row(db: sqlite3.Connection) -> None:
        db.execute(
            "INSERT INTO messages (_id, key_remote_jid, key_from_me, key_id, data, timestamp) "
            "VALUES (7, '447700900001@s.whatsapp.net', 0, 'L', 'old', ?)",
            (MS,),
        )

    def both_rows(db: sqlite3.Connection) -> None:
        legacy_row(db)
        db.execute("INSERT INTO jid (_id, user, server, raw_string) VALUES (1, 'a', 'b', 'a@b')")
        db.execute("INSERT INTO chat (_id, jid_row_id) VALUES (1, 1)")
        db.execute(
            "INSERT INTO message (_id, chat_row_id, from_me, key_id, timestamp, text_data) "
            "VALUES (9, 1, 1, 'N', ?, 'new')",
            (MS,),
        )

    assert [a.record for a in _one(_build(both, legacy_row), WhatsApp())] == ["messages:7"]
    assert [a.record for a in _one(_build(both, both_rows), WhatsApp())] == ["message:9"]


# ---------------------------------------------------------------------------------------------
# Browsers


def test_chrome_visits_convert_webkit_time_exactly() -> None:
    def fill(db: sqlite3.Connection) -> None:
        db.executemany(
            "INSERT INTO urls (id, url, title, visit_count, last_visit_time) VALUES (?, ?, ?, ?, ?)",
            [(5, "https://example.org/library/hours", "Opening hours", 2, CHROME_US + 123)],
        )
        db.executemany(
            "INSERT INTO visits (id, url, visit_time, transition) VALUES (?, ?, ?, ?)",
            [(40, 5, CHROME_US, 805306368), (41, 5, CHROME_US + 123, 0), (42, 99, CHROME_US, 0)],
        )

    artifacts = _one(_build(CHROME_SCHEMA, fill), ChromeHistory())
    assert artifacts[0] == Artifact(
        parser="chrome-history",
        kind="visit",
        app="Chrome",
        record="visits:40",
        time=CHROME_AT,
        text="Opening hours",
        url="https://example.org/library/hours",
    )
    assert artifacts[1].time == datetime(2012, 12, 14, 23, 6, 40, 123, tzinfo=UTC)
    assert (artifacts[2].record, artifacts[2].url, artifacts[2].text) == (
        "visits:42",
        None,
        "",
    )  # url row gone


def test_firefox_visits_convert_prtime_exactly() -> None:
    def fill(db: sqlite3.Connection) -> None:
        db.execute(
            "INSERT INTO moz_places (id, url, title, rev_host, visit_count) "
            "VALUES (3, 'https://example.org/menu', 'Lunch menu', 'gro.elpmaxe.', 1)"
        )
        db.execute(
            "INSERT INTO moz_historyvisits (id, from_visit, place_id, visit_date, visit_type) "
            "VALUES (8, 0, 3, ?, 1)",
            (1_700_000_000_000_001,),
        )

    assert _one(_build(FIREFOX_SCHEMA, fill), FirefoxHistory()) == [
        Artifact(
            parser="firefox-history",
            kind="visit",
            app="Firefox",
            record="moz_historyvisits:8",
            time=datetime(2023, 11, 14, 22, 13, 20, 1, tzinfo=UTC),
            text="Lunch menu",
            url="https://example.org/menu",
        )
    ]


# ---------------------------------------------------------------------------------------------
# The source and the runner


def test_is_sqlite() -> None:
    assert is_sqlite(sms_db()[:16])
    assert is_sqlite(b"SQLite format 3\x00rest")
    assert not is_sqlite(b"SQLite format 3")
    assert not is_sqlite(b"")
    assert not is_sqlite(b"\x89PNG\r\n\x1a\n" + b"\x00" * 8)


def test_source_is_read_only_and_in_memory() -> None:
    with ArtifactSource(chrome_db(), "History") as source:
        db = source.sqlite
        assert db is not None
        assert source.tables == {"meta", "urls", "visits", "sqlite_sequence"}
        assert source.columns("URLS") >= {"id", "url", "title"}
        assert source.columns("missing") == frozenset()
        assert source.has("Visits", "ID", "visit_time") and not source.has("visits", "nope")
        assert db.execute("PRAGMA query_only").fetchone() == (1,)
        assert db.execute("PRAGMA trusted_schema").fetchone() == (0,)
        assert db.execute("PRAGMA temp_store").fetchone() == (2,)  # sorting never spills evidence to disk
        with pytest.raises(sqlite3.OperationalError):
            db.execute("DELETE FROM urls")
        with pytest.raises(sqlite3.OperationalError):
            db.execute("ATTACH DATABASE ':memory:' AS other")
        assert db is source.sqlite  # opened once for all parsers


def test_source_of_other_content() -> None:
    for data in (b"", b"plain text", random.Random(8).randbytes(100)):
        with ArtifactSource(data, "x") as source:
            assert source.sqlite is None and source.tables == frozenset() and source.notes == []
    with ArtifactSource(b"SQLite format 3\x00" + b"\x00" * 200, "x") as source:
        assert source.tables == frozenset()
        assert source.notes and source.notes[0].startswith("not readable as SQLite: ")


def test_wal_header_alone_makes_sqlite_refuse_the_database() -> None:
    """Why the header is patched: without it every query fails on a deserialised WAL database."""
    db = sqlite3.connect(":memory:")
    db.deserialize(_with_header(sms_db(), 18, b"\x02\x02"))
    with pytest.raises(sqlite3.OperationalError):
        db.execute("SELECT count(*) FROM sms").fetchone()


def test_wal_note_only_for_recognised_databases() -> None:
    other = _with_header(_build("CREATE TABLE settings (k TEXT, v TEXT)", lambda db: None), 18, b"\x02\x02")
    assert parse_artifacts(other, "settings.db", BUILTIN_PARSERS) == ([], [])


def test_unreadable_sqlite_is_reported_once_for_the_file() -> None:
    data = b"SQLite format 3\x00" + b"\x00" * 200
    artifacts, problems = parse_artifacts(data, "msgstore.db", BUILTIN_PARSERS)
    assert artifacts == []
    assert len(problems) == 1 and problems[0].startswith("not readable as SQLite: ")


def test_all_builtins_on_one_file_find_only_their_own() -> None:
    artifacts, problems = parse_artifacts(firefox_db(count=2), "places.sqlite", BUILTIN_PARSERS)
    assert problems == []
    assert [(a.parser, a.record) for a in artifacts] == [
        ("firefox-history", "moz_historyvisits:1"),
        ("firefox-history", "moz_historyvisits:2"),
    ]


def test_time_limit_stops_a_parser_and_keeps_what_was_read() -> None:
    data = sms_db(count=20_000)
    artifacts, problems = parse_artifacts(data, "mmssms.db", [AndroidSMS()], seconds=0)
    assert len(artifacts) < 20_000
    assert len(problems) == 1
    assert problems[0].startswith("android-sms: stopped after 0 s of database work")


def test_generated_columns_are_not_columns() -> None:
    """A hostile file cannot make the parsers compute a column: generated columns do not count."""
    schema = SMS_SCHEMA.replace("body TEXT,", "body TEXT GENERATED ALWAYS AS (zeroblob(50000000)),")
    data = _build(schema, lambda db: None)
    with ArtifactSource(data, "mmssms.db") as source:
        assert "body" not in source.columns("sms")
        assert not AndroidSMS().recognises(source)


def test_no_value_longer_than_the_file() -> None:
    data = sms_db()
    with ArtifactSource(data, "mmssms.db") as source:
        assert source.sqlite is not None
        with pytest.raises(sqlite3.DataError, match="too big"):
            source.sqlite.execute("SELECT zeroblob(?)", (2 << 20,)).fetchone()
        assert source.sqlite.execute("SELECT length(zeroblob(?))", (len(data),)).fetchone() == (len(data),)


class _Broken:
    name = "broken"
    version = "0"
    app = "Nothing"
    description = "a plug-in with bugs"

    def __init__(self, where: str) -> None:
        self.where = where

    def recognises(self, source: ArtifactSource) -> bool:
        if self.where == "recognises":
            raise KeyError("boom")
        return True

    def parse(self, source: ArtifactSource) -> Iterator[Artifact]:
        if self.where == "yield":
            yield "not an artifact"  # type: ignore[misc]
        yield Artifact(parser=self.name, kind="visit", app=self.app, record="t:1")
        if self.where == "parse":
            raise TypeError("bad row")


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("recognises", (0, "broken: recognises() failed: KeyError: 'boom'")),
        ("parse", (1, "broken: failed: TypeError: bad row (after 1 record)")),
        ("yield", (1, "broken: yielded a str, not an Artifact; ignored")),
    ],
)
def test_plugin_bugs_become_problems(where: str, expected: tuple[int, str]) -> None:
    parsers: Sequence[ArtifactParser] = [_Broken(where), *BUILTIN_PARSERS]
    artifacts, problems = parse_artifacts(chrome_db(count=2), "History", parsers)
    assert problems == [expected[1]]
    assert len([a for a in artifacts if a.parser == "broken"]) == expected[0]
    assert len([a for a in artifacts if a.parser == "chrome-history"]) == 2  # the others still ran
