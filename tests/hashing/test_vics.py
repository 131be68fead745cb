"""Project VIC (VICS) JSON: reading real-shaped files, hostile input, writing, round trips, sniffing."""

from __future__ import annotations

import io
import json
import tempfile
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, cast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from heroes.errors import HashListFormatError, InvalidInput, NotFound
from heroes.evidence import Algorithm, CategoryScheme, HashEntry, Malformed
from heroes.hashing.sniff import ListFormat, detect_format
from heroes.hashing.vics import MAX_DEPTH, Kind, parse_vics_date, read_vics, write_vics

MD5 = "d41d8cd98f00b204e9800998ecf8427e"
MD5_B = "9e107d9d372bb6826bd81d3542a419d6"
SHA1 = "da39a3ee5e6b4b0d3255bfef95601890afd80709"
SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
PHOTODNA = "AAMANwABAD0AAQA9HgEBQ5oAFlFMAA0dAwYXcQMHDYcZBg2GUgotfcYA"
CONTEXT = "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/{}/$metadata#{}"


def _file(tmp_path: Path, document: Any, *, prefix: bytes = b"", encoding: str = "utf-8") -> Path:
    path = tmp_path / "list.json"
    text = document if isinstance(document, str) else json.dumps(document)
    path.write_bytes(prefix + text.encode(encoding))
    return path


def _media_set(records: list[Any], region: str = "US") -> dict[str, Any]:
    return {"@odata.context": CONTEXT.format(region, "Media"), "value": records}


def _entries(got: list[HashEntry | Malformed]) -> list[HashEntry]:
    return [g for g in got if isinstance(g, HashEntry)]


def _bad(got: list[HashEntry | Malformed]) -> list[Malformed]:
    return [g for g in got if isinstance(g, Malformed)]


# -- reading ------------------------------------------------------------------------------------


def test_a_media_set_with_every_kept_field(tmp_path: Path) -> None:
    record = {
        "MediaID": 17,
        "Category": 1,
        "MD5": MD5.upper(),
        "SHA1": SHA1.upper(),
        "SHA256": SHA256,
        "PhotoDNA": f"  {PHOTODNA}\n",
        "MediaSize": 2835,
        "Series": "series-x",
        "Tags": ["outdoor", "  ", "b"],
        "VictimIdentified": True,
        "DateUpdated": "2023-06-07T02:31:49.8300Z",
        "IsPrecategorized": "true",
        "Unknown": {"nested": [1, 2, {"x": None}]},
        "MediaFiles": [{"FileName": "img001.jpg", "FilePath": "/DCIM/img001.jpg"}],
    }
    vics = read_vics(_file(tmp_path, _media_set([record])))
    got = list(vics)
    common: dict[str, Any] = {
        "category": "1",
        "label": "img001.jpg",
        "record": "17",
        "media_size": 2835,
        "series": "series-x",
        "tags": ("outdoor", "b"),
        "victim_identified": True,
    }
    assert got == [
        HashEntry(Algorithm.MD5, MD5, **common),
        HashEntry(Algorithm.SHA1, SHA1, **common),
        HashEntry(Algorithm.SHA256, SHA256, **common),
        HashEntry(Algorithm.PHOTODNA, PHOTODNA, **common),
    ]
    meta = vics.metadata
    assert (meta.version, meta.region, meta.scheme, meta.kind) == ("2.0", "US", CategoryScheme.US, "Media")
    assert meta.media_count == 1 and meta.cases == ()


def test_a_case_file_with_case_fields_after_the_media_and_a_wrong_total(tmp_path: Path) -> None:
    media = [{"MediaID": i, "Category": None, "MD5": f"{i:032x}"} for i in range(1, 4)]
    document = {
        "value": [
            {
                "Media": media,
                "CaseID": "3f2c",
                "CaseNumber": "OP-1",
                "ContactEmail": "a@b.example",
                "SourceApplicationName": "Tool",
                "SourceApplicationVersion": "1.2",
                "TotalMediaFiles": "99",
                "Agency": "Unit",
            }
        ],
        "@odata.context": CONTEXT.format("UK", "Cases"),
    }
    vics = read_vics(_file(tmp_path, document))
    assert vics.header.scheme is CategoryScheme.UK
    got = list(vics)
    assert [e.record for e in _entries(got)] == ["1", "2", "3"]
    assert all(e.category is None for e in _entries(got))
    meta = vics.metadata
    assert meta.kind == "Cases" and meta.media_count == 3
    (case,) = meta.cases
    assert (case.case_id, case.case_number, case.contact_email) == ("3f2c", "OP-1", "a@b.example")
    assert (case.source_application, case.source_version) == ("Tool", "1.2")
    assert case.claimed_media == 99 and case.media_count == 3
    assert case.fields["Agency"] == "Unit"


def test_version_1_header_and_1x_field_shapes(tmp_path: Path) -> None:
    document = {
        "odata.metadata": "http://github.com/ICMEC/ProjectVic/DataModels/1.3.xml#Cases",
        "value": [
            {
                "Media": [
                    {
                        "MediaID": 0,
                        "MD5": MD5,
                        "MediaSize": "12",
                        "FileName": "x.png",
                        "AlternativeHashes": [
                            {"MD5": MD5, "HashName": "SHA1", "HashValue": SHA1},
                            {"HashName": "PhotoDNA", "HashValue": PHOTODNA},
                        ],
                        "odata.id": f'Media("{MD5}")',
                    }
                ],
                "TotalMediaFiles": "1",
            }
        ],
    }
    vics = read_vics(_file(tmp_path, document))
    got = list(vics)
    assert [(e.algorithm, e.media_size, e.label, e.record) for e in _entries(got)] == [
        (Algorithm.MD5, 12, "x.png", "0"),
        (Algorithm.SHA1, 12, "x.png", "0"),
        (Algorithm.PHOTODNA, 12, "x.png", "0"),
    ]
    header = vics.header
    assert (header.version, header.region, header.scheme, header.declared_kind) == (
        "1.3",
        None,
        CategoryScheme.NONE,
        "Cases",
    )


@pytest.mark.parametrize(
    ("region", "scheme"),
    [
        ("US", CategoryScheme.US),
        ("UK", CategoryScheme.UK),
        ("CUSTOM", CategoryScheme.CUSTOM),
        ("Default", CategoryScheme.NONE),
        ("Canada", CategoryScheme.CUSTOM),
    ],
)
def test_regions_map_to_category_schemes(tmp_path: Path, region: str, scheme: CategoryScheme) -> None:
    vics = read_vics(_file(tmp_path, _media_set([{"MD5": MD5}], region)))
    assert vics.header.scheme is scheme and vics.header.region == region


def test_header_after_value_and_no_header(tmp_path: Path) -> None:
    later = {"value": [{"MediaID": 1, "MD5": MD5}], "@odata.context": CONTEXT.format("US", "Media")}
    assert read_vics(_file(tmp_path, later)).header.scheme is CategoryScheme.US
    bare = read_vics(_file(tmp_path, {"value": [{"MediaID": 1, "MD5": MD5}]}))
    assert bare.header.version is None and bare.header.scheme is CategoryScheme.NONE
    assert len(list(bare)) == 1 and bare.metadata.kind == "Media"


def test_byte_order_marks_and_utf16(tmp_path: Path) -> None:
    document = _media_set([{"MediaID": 1, "MD5": MD5, "MediaFiles": [{"FileName": "Bild_ü.jpg"}]}])
    with_bom = read_vics(_file(tmp_path, document, prefix=b"\xef\xbb\xbf"))
    assert [e.label for e in _entries(list(with_bom))] == ["Bild_ü.jpg"]
    utf16 = read_vics(_file(tmp_path, document, encoding="utf-16"))
    assert [e.label for e in _entries(list(utf16))] == [
        "Bild_ü.jpg"
    ] and utf16.header.scheme is CategoryScheme.US


def test_same_md5_in_several_records_stays_separate_and_ids_never_merge(tmp_path: Path) -> None:
    records = [
        {"MediaID": 5, "MD5": MD5, "Category": 1},
        {"MediaID": 6, "MD5": MD5, "Category": 2},
        {"MediaID": 5, "MD5": MD5_B, "Category": 1},  # reused ID: a different file
        {"MD5": MD5_B},  # no ID
        {"MediaID": "7", "MD5": MD5_B},
        {"MediaID": {"odd": 1}, "MD5": MD5_B},
    ]
    got = list(read_vics(_file(tmp_path, _media_set(records))))
    assert [(e.record, e.value, e.category) for e in _entries(got)] == [
        ("5", MD5, "1"),
        ("6", MD5, "2"),
        ("pos:3", MD5_B, "1"),
        ("pos:4", MD5_B, None),
        ("7", MD5_B, None),
        ("pos:6", MD5_B, None),
    ]


def test_tolerated_shapes(tmp_path: Path) -> None:
    records = [
        {"mediaid": 1, "md5": MD5, "Tags": "a, b ,,c", "VictimIdentified": "false", "Category": "3"},
        {"MediaID": 2, "MD5": MD5, "VictimIdentified": 1, "Category": 2.0, "RelativeFilePath": "VIC\\x.jpg"},
        {"MediaID": 3, "MD5": MD5, "Series": 12, "Tags": None, "MediaSize": None, "SHA1": ""},
    ]
    got = _entries(list(read_vics(_file(tmp_path, _media_set(records)))))
    assert got[0].tags == ("a", "b", "c") and got[0].victim_identified is False and got[0].category == "3"
    assert got[1].victim_identified is True and got[1].category == "2" and got[1].label == "VIC\\x.jpg"
    assert got[2].series == "12" and got[2].tags == () and got[2].media_size is None
    assert len(got) == 3


def test_bad_records_are_malformed_with_their_position_and_the_rest_imports(tmp_path: Path) -> None:
    records = [
        {"MediaID": 1, "MD5": MD5},
        {"MediaID": 2, "MD5": "zz" + MD5[2:], "SHA1": SHA1},
        {"MediaID": 3, "MD5": 123},
        {"MediaID": 4, "MD5": MD5, "Category": "abc"},
        {"MediaID": 5, "Category": 1},
        "not an object",
        [1, 2],
        {"MediaID": 8, "MD5": MD5, "VictimIdentified": "maybe", "MediaSize": -1, "Tags": {"a": 1}},
        {"MediaID": 9, "PhotoDNA": "A" * 9000},
        {"MediaID": 10, "SHA1": SHA1},
    ]
    got = list(read_vics(_file(tmp_path, _media_set(records))))
    assert [e.record for e in _entries(got)] == ["1", "10"]
    bad = _bad(got)
    assert [b.line for b in bad] == [2, 3, 4, 5, 6, 7, 8, 9]
    assert "Media record 2 (MediaID 2)" in bad[0].reason and "not hexadecimal" in bad[0].reason
    assert "MD5 must be text" in bad[1].reason
    assert "Category must be an integer, got 'abc'" in bad[2].reason
    assert "no MD5, SHA1, SHA256 or PhotoDNA" in bad[3].reason
    assert "not a JSON object" in bad[4].reason and "not a JSON object" in bad[5].reason
    assert all(word in bad[6].reason for word in ("VictimIdentified", "MediaSize", "Tags"))
    assert "PhotoDNA longer than" in bad[7].reason


def test_truncated_json_keeps_what_was_read_and_ends_with_a_malformed(tmp_path: Path) -> None:
    text = json.dumps(_media_set([{"MediaID": i, "MD5": MD5} for i in range(1, 4)]))
    cut = text[: text.index('{"MediaID": 3') + 20]
    got = list(read_vics(_file(tmp_path, cut)))
    assert [e.record for e in _entries(got)] == ["1", "2"]
    (last,) = _bad(got)
    assert got[-1] is last and last.line == 3 and "breaks off after Media record 2" in last.reason
    garbage = list(read_vics(_file(tmp_path, text + " trailing")))
    assert len(_entries(garbage)) == 3 and "trailing garbage" in _bad(garbage)[0].reason


def test_truncated_before_any_record_is_a_format_error(tmp_path: Path) -> None:
    text = json.dumps(_media_set([{"MediaID": 1, "MD5": MD5}]))
    with pytest.raises(HashListFormatError, match="not readable as Project VIC JSON"):
        list(read_vics(_file(tmp_path, text[:-30])))


@pytest.mark.parametrize(
    "content",
    ["", "not json at all", "42", '{"a": 1}', '"value"', b"\xff\xfe\x00garbage"],
)
def test_not_vics_is_a_format_error(tmp_path: Path, content: str | bytes) -> None:
    path = tmp_path / "x.json"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(HashListFormatError):
        list(read_vics(path))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        list(read_vics(tmp_path / "absent.json"))
    with pytest.raises(NotFound):
        _ = read_vics(tmp_path / "absent.json").header


def test_deep_nesting_stops_at_once(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_bytes(b"[" * (4 * 1024 * 1024))
    started = time.perf_counter()
    with pytest.raises(HashListFormatError, match=f"nesting deeper than {MAX_DEPTH}"):
        list(read_vics(path))
    assert read_vics(path).header.version is None  # the header pass stops at the first event
    keyed = tmp_path / "keyed.json"
    keyed.write_bytes(b'{"value": ' + b"[" * (4 * 1024 * 1024))
    with pytest.raises(HashListFormatError, match="nesting deeper"):
        _ = read_vics(keyed).header
    assert time.perf_counter() - started < 2


def test_deep_nesting_inside_a_record_after_good_records(tmp_path: Path) -> None:
    deep = "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5)
    text = '{"value": [{"MediaID": 1, "MD5": "' + MD5 + '"}, {"MediaID": 2, "Exifs": ' + deep + "}]}"
    got: list[HashEntry | Malformed] = []
    with pytest.raises(HashListFormatError, match="nesting deeper"):
        for entry in read_vics(_file(tmp_path, text)):
            got.append(entry)
    assert [e.record for e in _entries(got)] == ["1"]
    shallow = "[" * 20 + "]" * 20
    ok = '{"value": [{"MediaID": 1, "MD5": "' + MD5 + '", "Exifs": ' + shallow + "}]}"
    assert len(list(read_vics(_file(tmp_path, ok)))) == 1


def test_metadata_before_iteration_costs_a_pass_but_is_right(tmp_path: Path) -> None:
    document = {
        "@odata.context": CONTEXT.format("US", "Cases"),
        "value": [
            {"CaseID": "a", "Media": [{"MediaID": 1, "MD5": MD5}]},
            {"CaseID": "b", "Media": [{"MediaID": 2, "MD5": MD5}, {"MediaID": 3}]},
        ],
    }
    vics = read_vics(_file(tmp_path, document))
    assert [(c.case_id, c.media_count) for c in vics.metadata.cases] == [("a", 1), ("b", 2)]
    assert vics.metadata.media_count == 3
    got = list(vics)
    assert [g.line for g in _bad(got)] == [3]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/Date(1234567890000)/", datetime(2009, 2, 13, 23, 31, 30, tzinfo=UTC)),
        ("/Date(1234567890000+0100)/", datetime(2009, 2, 14, 0, 31, 30, tzinfo=timezone(timedelta(hours=1)))),
        ("/Date(-1000-0230)/", datetime(1969, 12, 31, 23, 59, 59, tzinfo=UTC)),
        ("2023-06-07T02:31:49.8300Z", datetime(2023, 6, 7, 2, 31, 49, 830000, tzinfo=UTC)),
        ("2024-01-02T03:04:05+00:00", datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)),
        ("2023-01-02T03:04:05.000+01:00Z", datetime(2023, 1, 2, 2, 4, 5, tzinfo=UTC)),
        ("2023-01-02T03:04:05", datetime(2023, 1, 2, 3, 4, 5, tzinfo=UTC)),
    ],
)
def test_parse_vics_date(text: str, expected: datetime) -> None:
    parsed = parse_vics_date(text)
    assert parsed == expected and parsed.tzinfo is not None


def test_parse_vics_date_rejects_junk() -> None:
    with pytest.raises(ValueError):
        parse_vics_date("yesterday")


_SAMPLE = json.dumps(
    {
        "@odata.context": CONTEXT.format("US", "Cases"),
        "value": [
            {
                "CaseID": "x",
                "Media": [
                    {"MediaID": 1, "MD5": MD5, "Tags": ["a"], "MediaFiles": [{"FileName": "f"}]},
                    {"MediaID": 2, "SHA1": SHA1, "Category": 2, "Exifs": [{"PropertyName": "p"}]},
                ],
                "TotalMediaFiles": 2,
            }
        ],
    }
).encode()


@settings(max_examples=150, deadline=None)
@given(st.integers(0, len(_SAMPLE)), st.integers(0, len(_SAMPLE) - 1), st.binary(max_size=3))
def test_cut_or_damaged_documents_never_crash(cut: int, at: int, junk: bytes) -> None:
    for data in (_SAMPLE[:cut], _SAMPLE[:at] + junk + _SAMPLE[at + 1 :]):
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "v.json"
            path.write_bytes(data)
            try:
                got = list(read_vics(path))
                _ = read_vics(path).header
            except HashListFormatError:
                continue
            assert all(isinstance(g, HashEntry | Malformed) for g in got)


# -- writing ------------------------------------------------------------------------------------


def _generated() -> list[HashEntry]:
    entries: list[HashEntry] = []
    for i in range(1, 7):
        common: dict[str, Any] = {
            "category": None if i % 3 == 0 else str(i % 5),
            "label": None if i % 2 else f"file {i}.jpg",
            "record": str(100 + i),
            "media_size": None if i == 4 else i * 1000,
            "series": "s" if i % 2 else None,
            "tags": ("t1", "with, comma") if i % 2 else (),
            "victim_identified": (None, True, False)[i % 3],
        }
        entries.append(HashEntry(Algorithm.MD5, f"{i:032x}", **common))
        if i % 2:
            entries.append(HashEntry(Algorithm.SHA1, f"{i:040x}", **common))
        if i == 5:
            entries.append(HashEntry(Algorithm.SHA256, f"{i:064x}", **common))
            entries.append(HashEntry(Algorithm.PHOTODNA, PHOTODNA, **common))
    return entries


@pytest.mark.parametrize("kind", ["Media", "Cases"])
def test_round_trip_keeps_every_field(tmp_path: Path, kind: str) -> None:
    entries = _generated()
    out = io.StringIO()
    case = {"CaseID": "c-1", "CaseNumber": "N-1", "TotalMediaFiles": 1} if kind == "Cases" else None
    assert write_vics(entries, out, kind=cast(Kind, kind), region=CategoryScheme.UK, case=case) == 0
    document = json.loads(out.getvalue())
    context = CONTEXT.format("UK", kind)
    assert document["@odata.context"] == context
    media = document["value"] if kind == "Media" else document["value"][0]["Media"]
    assert media[0]["MD5"] == f"{1:032x}".upper() and len(media) == 6
    if kind == "Cases":
        assert document["value"][0]["TotalMediaFiles"] == 6 and document["value"][0]["CaseID"] == "c-1"
    vics = read_vics(_file(tmp_path, out.getvalue()))
    assert list(vics) == entries
    assert vics.metadata.kind == kind and vics.metadata.scheme is CategoryScheme.UK


def test_writer_numbers_records_without_integer_ids_and_keeps_ids_unique() -> None:
    entries = [
        HashEntry(Algorithm.MD5, MD5, record="7"),
        HashEntry(Algorithm.MD5, MD5_B, record=None),
        HashEntry(Algorithm.SHA1, SHA1, record=None),  # no record: never merged with the one before
        HashEntry(Algorithm.MD5, MD5, record="pos:4"),
        HashEntry(Algorithm.MD5, MD5_B, record="7"),  # 7 again, not consecutive: a new ID
        HashEntry(Algorithm.MD5, MD5, record="007"),
        HashEntry(Algorithm.PDQ, "0" * 64, record="7"),
    ]
    out = io.StringIO()
    assert write_vics(entries, out) == 1
    ids = [m["MediaID"] for m in json.loads(out.getvalue())["value"]]
    assert ids == [7, 8, 9, 10, 11, 12]


def test_writer_refuses_a_category_vics_cannot_hold() -> None:
    with pytest.raises(InvalidInput, match="VICS categories are integers"):
        write_vics([HashEntry(Algorithm.MD5, MD5, category="cat A")], io.StringIO())
    with pytest.raises(ValueError):
        write_vics([], io.StringIO(), kind="Media", case={"CaseID": "x"})


def test_writer_streams_and_writes_an_empty_list() -> None:
    out = io.StringIO()
    write_vics(iter(()), out, region=CategoryScheme.NONE)
    assert json.loads(out.getvalue()) == {"@odata.context": CONTEXT.format("Default", "Media"), "value": []}
    out = io.StringIO()
    write_vics([], out, kind="Cases")
    case = json.loads(out.getvalue())["value"][0]
    assert case["Media"] == [] and case["TotalMediaFiles"] == 0 and case["SourceApplicationName"] == "heroes"


_hex = st.integers(min_value=0, max_value=2**128 - 1).map(lambda n: f"{n:032x}")
_text = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zs", "Zl", "Zp")), min_size=1, max_size=12)


@st.composite
def _records(draw: st.DrawFn) -> list[HashEntry]:
    count = draw(st.integers(min_value=0, max_value=8))
    entries: list[HashEntry] = []
    for index in range(count):
        common: dict[str, Any] = {
            "category": draw(st.none() | st.integers(-5, 9).map(str)),
            "label": draw(st.none() | _text),
            "record": str(index + 1),
            "media_size": draw(st.none() | st.integers(0, 2**40)),
            "series": draw(st.none() | _text),
            "tags": tuple(draw(st.lists(_text.filter(lambda t: "," not in t), max_size=3))),
            "victim_identified": draw(st.none() | st.booleans()),
        }
        entries.append(HashEntry(Algorithm.MD5, draw(_hex), **common))
        if draw(st.booleans()):
            entries.append(HashEntry(Algorithm.PHOTODNA, PHOTODNA, **common))
    return entries


@settings(max_examples=40, deadline=None)
@given(_records())
def test_round_trip_property(entries: list[HashEntry]) -> None:
    out = io.StringIO()
    write_vics(entries, out)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "v.json"
        path.write_text(out.getvalue(), encoding="utf-8")
        assert list(read_vics(path)) == entries


# -- sniffing -----------------------------------------------------------------------------------


def test_sniff_vics_csv_and_text(tmp_path: Path) -> None:
    vics = _file(tmp_path, _media_set([{"MD5": MD5}]), prefix=b"\xef\xbb\xbf  \n")
    assert detect_format(vics) is ListFormat.VICS
    bare = tmp_path / "bare.json"
    bare.write_text(json.dumps([{"MediaID": 1, "MD5": MD5}]))
    assert detect_format(bare) is ListFormat.VICS
    csv_list = tmp_path / "l.csv"
    csv_list.write_text(f'# exported\n\n"MD5";"Category"\n{MD5};1\n')
    assert detect_format(csv_list) is ListFormat.CSV
    nsrl_v2 = tmp_path / "NSRLFile.txt"
    nsrl_v2.write_text('"SHA-1","MD5","CRC32","FileName"\n')
    assert detect_format(nsrl_v2) is ListFormat.CSV
    text = tmp_path / "l.txt"
    text.write_text(f"{MD5}  some file\n")
    assert detect_format(text) is ListFormat.TEXT
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    assert detect_format(empty) is ListFormat.TEXT
    assert str(ListFormat.VICS) == "vics"


def test_sniff_refuses_other_json_archives_and_missing_files(tmp_path: Path) -> None:
    other = tmp_path / "o.json"
    other.write_text('{"name": "something else"}')
    with pytest.raises(HashListFormatError, match="not Project VIC"):
        detect_format(other)
    archive = tmp_path / "RDS.zip"
    archive.write_bytes(b"PK\x03\x04rest")
    with pytest.raises(HashListFormatError, match="ZIP"):
        detect_format(archive)
    with pytest.raises(NotFound):
        detect_format(tmp_path / "absent")
    with pytest.raises(HashListFormatError):
        detect_format(tmp_path)
