"""Reading plain hash lists: formats, malformed lines with numbers, and ambiguity."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from heroes.errors import HashListFormatError, NotFound
from heroes.evidence import Algorithm, HashEntry, Malformed
from heroes.hashing import normalise_hash, read_hash_list

MD5 = "d41d8cd98f00b204e9800998ecf8427e"
SHA1 = "da39a3ee5e6b4b0d3255bfef95601890afd80709"
SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def _read(
    tmp_path: Path, text: str | bytes, algorithm: Algorithm | None = None
) -> list[HashEntry | Malformed]:
    path = tmp_path / "list.txt"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return list(read_hash_list(path, algorithm))


def test_csv_with_columns_category_and_label(tmp_path: Path) -> None:
    got = _read(tmp_path, f"MD5,SHA1,category,label\n{MD5.upper()},{SHA1},1,series A\n")
    assert got == [
        HashEntry(Algorithm.MD5, MD5, "1", "series A", "line:2"),
        HashEntry(Algorithm.SHA1, SHA1, "1", "series A", "line:2"),
    ]


def test_tsv_and_semicolon(tmp_path: Path) -> None:
    assert _read(tmp_path, f"sha256\tlabel\n{SHA256}\tx\n") == [
        HashEntry(Algorithm.SHA256, SHA256, None, "x", "line:2")
    ]
    assert _read(tmp_path, f"md5;category\n{MD5};2\n") == [HashEntry(Algorithm.MD5, MD5, "2", None, "line:2")]


def test_bad_hex_lines_are_reported_with_line_numbers_and_the_rest_imports(tmp_path: Path) -> None:
    text = f"md5,label\n{MD5},good\nzz{MD5[2:]},bad hex\n{MD5[:10]},short\n\n# comment\n{MD5},good again\n"
    got = _read(tmp_path, text)
    entries = [g for g in got if isinstance(g, HashEntry)]
    bad = [g for g in got if isinstance(g, Malformed)]
    assert len(entries) == 2
    assert [b.line for b in bad] == [3, 4]
    assert "not hexadecimal" in bad[0].reason and "32 hex digits" in bad[1].reason


def test_plain_list_by_length_and_md5sum_lines(tmp_path: Path) -> None:
    got = _read(tmp_path, f"\ufeff{MD5}\n{SHA1}  some/file.exe\nnothex\n")
    assert got[0] == HashEntry(Algorithm.MD5, MD5)
    assert got[1] == HashEntry(Algorithm.SHA1, SHA1, None, "some/file.exe")
    assert isinstance(got[2], Malformed) and got[2].line == 3


def test_64_hex_digits_need_an_algorithm(tmp_path: Path) -> None:
    with pytest.raises(HashListFormatError, match="--algorithm"):
        _read(tmp_path, f"{SHA256}\n")
    assert _read(tmp_path, f"{SHA256}\n", Algorithm.PDQ) == [HashEntry(Algorithm.PDQ, SHA256)]


def test_invalid_utf8_line_is_malformed_not_fatal(tmp_path: Path) -> None:
    got = _read(tmp_path, b"md5,label\n" + MD5.encode() + b",caf\xe9\n" + MD5.encode() + b",ok\n")
    assert isinstance(got[0], Malformed) and got[0].line == 2 and "UTF-8" in got[0].reason
    assert isinstance(got[1], HashEntry)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        list(read_hash_list(tmp_path / "nope.csv"))


@given(st.binary(min_size=16, max_size=16), st.booleans())
def test_normalise_accepts_any_case_and_rejects_wrong_lengths(raw: bytes, upper: bool) -> None:
    text = raw.hex().upper() if upper else raw.hex()
    assert normalise_hash(f"  {text} ", Algorithm.MD5) == raw.hex()
    with pytest.raises(ValueError):
        normalise_hash(text + "0", Algorithm.MD5)


def test_utf16_lists_from_windows_are_read(tmp_path: Path) -> None:
    text = f"md5,label\r\n{MD5},café\r\n"
    got = _read(tmp_path, text.encode("utf-16"))
    assert got == [HashEntry(Algorithm.MD5, MD5, None, "café", "line:2")]
