"""NSRL RDSv3 SQLite: distinct hashes as known-good entries, read-only, with clear refusals."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Sequence
from pathlib import Path

import pytest

from heroes.errors import HashListFormatError, NotFound
from heroes.evidence import Algorithm, HashEntry, Malformed
from heroes.hashing import nsrl
from heroes.hashing.nsrl import read_nsrl
from heroes.hashing.sniff import ListFormat, detect_format

MD5 = "d41d8cd98f00b204e9800998ecf8427e"
SHA1 = "da39a3ee5e6b4b0d3255bfef95601890afd80709"
SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

# (sha256, sha1, md5, file_name, file_size, package_id): one file in two packages, upper-case hex,
# a second file, and a row with a broken SHA-1.
ROWS = [
    (SHA256.upper(), SHA1.upper(), MD5.upper(), "empty.txt", 0, 1),
    (SHA256, SHA1, MD5, "EMPTY.TXT", 0, 2),
    ("ab" * 32, "cd" * 20, "ef" * 16, "kernel32.dll", 1024, 1),
    ("12" * 32, "not-a-sha1", "34" * 16, "broken.bin", 7, 3),
]


def _rds(path: Path, rows: Sequence[tuple[object, ...]] = ROWS, *, views: bool = True) -> Path:
    """A tiny database shaped like a full RDSv3 release (METADATA + FILE and DISTINCT_HASH views)."""
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE METADATA (sha256 VARCHAR, sha1 VARCHAR, md5 VARCHAR, "
            "file_name VARCHAR, file_size INTEGER, extension VARCHAR, package_id INTEGER)"
        )
        db.executemany(
            "INSERT INTO METADATA (sha256, sha1, md5, file_name, file_size, package_id) VALUES (?,?,?,?,?,?)",
            rows,
        )
        if views:
            db.execute(
                "CREATE VIEW FILE AS SELECT sha256, sha1, md5, file_name, file_size, package_id FROM METADATA"
            )
            db.execute(
                "CREATE VIEW DISTINCT_HASH AS SELECT DISTINCT lower(sha256) AS sha256, lower(sha1) AS sha1, "
                "lower(md5) AS md5 FROM METADATA"
            )
    db.close()
    return path


def _split(got: list[HashEntry | Malformed]) -> tuple[list[HashEntry], list[Malformed]]:
    return [g for g in got if isinstance(g, HashEntry)], [g for g in got if isinstance(g, Malformed)]


def test_distinct_hashes_from_the_distinct_hash_view(tmp_path: Path) -> None:
    entries, bad = _split(list(read_nsrl(_rds(tmp_path / "rds.db"))))
    assert set(entries) == {
        HashEntry(Algorithm.MD5, MD5),
        HashEntry(Algorithm.SHA1, SHA1),
        HashEntry(Algorithm.SHA256, SHA256),
        HashEntry(Algorithm.MD5, "ef" * 16),
        HashEntry(Algorithm.SHA1, "cd" * 20),
        HashEntry(Algorithm.SHA256, "ab" * 32),
    }
    assert len(entries) == 6  # the file in two packages is listed once
    assert len(bad) == 1 and "row" in bad[0].reason and "sha1 must be 40 hex digits" in bad[0].reason
    assert bad[0].line >= 1


def test_metadata_table_alone_is_read_distinct_and_lower_cased(tmp_path: Path) -> None:
    entries, bad = _split(list(read_nsrl(_rds(tmp_path / "rds.db", views=False))))
    # DISTINCT compares the text as stored, so two spellings of one hash come out twice (the
    # list's consumer de-duplicates); the two package rows of the same spelling come out once.
    assert len(entries) == 9 and len(set(entries)) == 6 and len(bad) == 1
    assert all(e.value == e.value.lower() and e.label is None and e.record is None for e in entries)


def test_minimal_release_with_a_file_table(tmp_path: Path) -> None:
    path = tmp_path / "minimal.db"
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE FILE (sha256 VARCHAR NOT NULL, sha1 VARCHAR NOT NULL, md5 VARCHAR NOT NULL, "
            "file_name VARCHAR NOT NULL, file_size INTEGER NOT NULL, package_id INTEGER NOT NULL, "
            "PRIMARY KEY (sha256, sha1, md5, file_name, file_size, package_id))"
        )
        db.executemany("INSERT INTO FILE VALUES (?,?,?,?,?,?)", [*ROWS[1:3], (SHA256, SHA1, MD5, "b", 0, 9)])
        db.execute("CREATE TABLE PKG (package_id INTEGER, name VARCHAR)")
    db.close()
    entries, bad = _split(list(read_nsrl(path)))
    assert len(entries) == 6 and not bad


def test_many_rows_stream_in_chunks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(nsrl, "FETCH_ROWS", 7)
    rows: list[tuple[object, ...]] = [
        (f"{i:064x}", f"{i:040x}", f"{i:032x}", f"f{i}", i, 1) for i in range(1, 101)
    ]
    rows.append((None, "", f"{999:032x}", "md5 only", 1, 1))  # empty columns are skipped
    rows.append((None, None, "", "nothing", 1, 1))
    path = _rds(tmp_path / "rds.db", rows)
    got = list(read_nsrl(path))
    entries, bad = _split(got)
    assert len(entries) == 301
    assert len(bad) == 1 and "no hash value" in bad[0].reason


def test_the_database_is_not_modified(tmp_path: Path) -> None:
    path = _rds(tmp_path / "rds.db")
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    names = sorted(p.name for p in tmp_path.iterdir())
    for _ in read_nsrl(path):
        pass
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == names  # no journal or lock files


def test_a_path_with_uri_characters(tmp_path: Path) -> None:
    folder = tmp_path / "odd ?#% name"
    folder.mkdir()
    assert len(list(read_nsrl(_rds(folder / "rds.db")))) == 7


def test_refusals(tmp_path: Path) -> None:
    text = tmp_path / "NSRLFile.txt"
    text.write_text('"SHA-1","MD5"\n')
    with pytest.raises(HashListFormatError, match="not an SQLite database"):
        list(read_nsrl(text))
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE notes (body TEXT)")
        db.execute("CREATE TABLE metadata (key TEXT, value TEXT)")
    db.close()
    with pytest.raises(HashListFormatError, match=r"without NSRL RDSv3 hashes.*metadata, notes"):
        list(read_nsrl(other))
    corrupt = tmp_path / "corrupt.db"
    corrupt.write_bytes(b"SQLite format 3\x00" + b"\x00" * 200)
    with pytest.raises(HashListFormatError):
        list(read_nsrl(corrupt))
    with pytest.raises(NotFound):
        list(read_nsrl(tmp_path / "absent.db"))


def test_sniffed_as_nsrl(tmp_path: Path) -> None:
    assert detect_format(_rds(tmp_path / "rds.db")) is ListFormat.NSRL


def test_sniffs_reference_vpdq_files(tmp_path: Path) -> None:
    from heroes.hashing.sniff import ListFormat, detect_format

    path = tmp_path / "clip.txt"
    path.write_text("0,100," + "ab" * 32 + ",0.000\n29,98," + "cd" * 32 + ",0.967\n")
    assert detect_format(path) is ListFormat.VPDQ
