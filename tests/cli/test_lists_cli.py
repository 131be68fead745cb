"""Agency list formats through the CLI: VICS import/export, CSV export, NSRL, VICS case reports."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from heroes.cli import cli
from heroes.evidence import Algorithm, HashEntry
from heroes.hashing.vics import read_vics


@pytest.fixture
def run(tmp_path: Path) -> Callable[..., Result]:
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(
            cli, ["--home", str(tmp_path / "home"), "--workers", "1", "--actor", "tester", *args]
        )

    return invoke


def _vics(path: Path, media: list[dict[str, object]]) -> Path:
    context = "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/US/$metadata#Media"
    path.write_text("\ufeff" + json.dumps({"@odata.context": context, "value": media}), encoding="utf-8")
    return path


def test_vics_round_trip_and_case_report(
    run: Callable[..., Result], tmp_path: Path, make_image: Callable[..., Path]
) -> None:
    device = tmp_path / "device"
    photo = make_image("photo.jpg", 4, folder=device)
    data = photo.read_bytes()
    source = _vics(
        tmp_path / "agency.json",
        [
            {
                "MediaID": 7,
                "Category": 1,
                "MD5": hashlib.md5(data).hexdigest().upper(),
                "SHA1": hashlib.sha1(data).hexdigest().upper(),
                "MediaSize": len(data),
                "Series": "series-a",
                "Tags": ["t1"],
                "VictimIdentified": False,
                "IsPrecategorized": True,
                "MediaFiles": [{"FileName": "a.jpg", "Created": "/Date(1700000000000)/"}],
            },
            {"MediaID": 8, "Category": None, "MD5": "ZZ", "SHA1": None},
            {"MediaID": 9, "Category": 2, "MD5": "0" * 32, "PhotoDNA": "AAEC" * 36},
        ],
    )
    imported = run("hashlist", "import", str(source), "--name", "vic")
    assert imported.exit_code == 0, imported.output
    assert "format vics" in imported.stdout and "record 2:" in imported.output

    exported = tmp_path / "out.json"
    assert run("hashlist", "export", "vic", "--format", "vics", "-o", str(exported)).exit_code == 0
    original = [e for e in read_vics(source) if isinstance(e, HashEntry)]
    assert [e for e in read_vics(exported) if isinstance(e, HashEntry)] == original
    assert any(e.algorithm is Algorithm.PHOTODNA for e in original)

    as_csv = tmp_path / "out.csv"
    result = run("hashlist", "export", "vic", "--format", "csv", "-o", str(as_csv))
    assert result.exit_code == 0 and "left out" in result.stdout  # PhotoDNA has no CSV column
    assert run("hashlist", "import", str(as_csv), "--name", "again").exit_code == 0

    assert run("scan", str(device), "--case", "op").exit_code == 0
    report = tmp_path / "case.json"
    assert run("report", "op", "--format", "vics", "-o", str(report)).exit_code == 0
    document = read_vics(report)
    entries = [e for e in document if isinstance(e, HashEntry)]
    assert {(e.algorithm, e.category, e.media_size) for e in entries} == {
        (Algorithm.MD5, "1", len(data)),
        (Algorithm.SHA1, "1", len(data)),
    }
    assert document.metadata.kind == "Cases" and document.metadata.cases[0].case_number == "op"


def test_nsrl_import_is_known_good_and_compact(run: Callable[..., Result], tmp_path: Path) -> None:
    device = tmp_path / "device"
    device.mkdir()
    (device / "kernel32.dll").write_bytes(b"MZ system library")
    (device / "other.bin").write_bytes(b"something else")
    rds = tmp_path / "rds.db"
    with sqlite3.connect(rds) as conn:
        conn.execute(
            "CREATE TABLE METADATA (sha256 TEXT, sha1 TEXT, md5 TEXT, file_name TEXT, file_size INTEGER)"
        )
        conn.execute(
            "INSERT INTO METADATA VALUES (?, ?, ?, ?, ?)",
            (
                hashlib.sha256(b"MZ system library").hexdigest().upper(),
                hashlib.sha1(b"MZ system library").hexdigest().upper(),
                hashlib.md5(b"MZ system library").hexdigest().upper(),
                "kernel32.dll",
                17,
            ),
        )
        conn.execute("CREATE VIEW DISTINCT_HASH AS SELECT DISTINCT sha256, sha1, md5 FROM METADATA")
    imported = run("hashlist", "import", str(rds), "--name", "nsrl")
    assert imported.exit_code == 0, imported.output
    listed = run("hashlist", "list").stdout
    assert "known-good" in listed and "nsrl (compact)" in listed
    assert run("scan", str(device), "--case", "c").exit_code == 0
    from heroes.store import CaseStore

    store = CaseStore.from_url(f"sqlite:///{tmp_path / 'home' / 'heroes.db'}")
    try:
        counts = store.case_counts(store.case("c"))
    finally:
        store.close()
    assert counts == {"items": 2, "errors": 0, "matched_items": 0, "known_good_items": 1}
    broken = tmp_path / "not-rds.db"
    broken.write_bytes(b"SQLite format 3\x00" + b"\x00" * 200)
    failed = run("hashlist", "import", str(broken), "--name", "bad", "--format", "nsrl")
    assert failed.exit_code == 2 and "Traceback" not in failed.output


def test_compact_list_whose_key_files_are_gone_stops_the_scan(
    run: Callable[..., Result], tmp_path: Path
) -> None:
    import shutil

    rds = tmp_path / "rds.db"
    with sqlite3.connect(rds) as conn:
        conn.execute("CREATE TABLE METADATA (sha256 TEXT, sha1 TEXT, md5 TEXT)")
        conn.execute("INSERT INTO METADATA VALUES (?, ?, ?)", ("a" * 64, "b" * 40, "c" * 32))
    assert run("hashlist", "import", str(rds), "--name", "nsrl").exit_code == 0
    again = run("hashlist", "import", str(rds), "--name", "nsrl")
    assert again.exit_code == 2 and "already exists" in again.output
    shutil.rmtree(tmp_path / "home" / "lists")
    device = tmp_path / "device"
    device.mkdir()
    (device / "f").write_text("x")
    result = run("scan", str(device), "--case", "c")
    assert result.exit_code == 2 and "missing on this machine" in result.output
