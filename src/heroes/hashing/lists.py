"""Reading plain hash lists: one hash per line, ``md5sum``-style lines, or CSV/TSV with columns.

Agencies' lists arrive in many shapes and some lines are always broken. A broken line is
reported with its number and reason and the rest imports; only a file whose *structure* is
unusable (no hash column, an ambiguous plain list) stops the import, with a message that
says what to pass instead.

Recognised column names (case-insensitive): md5, sha1/sha-1, sha256/sha-256, pdq; optional
category and label (also name/filename/description for label).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TextIO

from heroes.errors import HashListFormatError, NotFound
from heroes.evidence import Algorithm, HashEntry, Malformed

__all__ = ["CSV_COLUMNS", "normalise_hash", "read_hash_list", "write_csv"]

_HEX = re.compile(r"^[0-9a-fA-F]+$")
_ALGO_COLUMNS = {
    "md5": Algorithm.MD5,
    "sha1": Algorithm.SHA1,
    "sha-1": Algorithm.SHA1,
    "sha256": Algorithm.SHA256,
    "sha-256": Algorithm.SHA256,
    "pdq": Algorithm.PDQ,
}
_LABEL_COLUMNS = ("label", "name", "filename", "file_name", "description")
_BY_LENGTH = {32: Algorithm.MD5, 40: Algorithm.SHA1}


def normalise_hash(value: str, algorithm: Algorithm) -> str:
    """Lower-case hex of the right length for the algorithm, or ValueError saying what is wrong."""
    text = value.strip().lower()
    if len(text) != algorithm.hex_length:
        raise ValueError(f"{algorithm.value} must be {algorithm.hex_length} hex digits, got {len(text)}")
    if not _HEX.match(text):
        raise ValueError(f"{algorithm.value} value is not hexadecimal: {value.strip()[:80]!r}")
    return text


def _lines(path: Path) -> Iterator[tuple[int, str | Malformed]]:
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        raise NotFound(f"hash list {path} does not exist") from None
    except OSError as exc:
        raise HashListFormatError(f"hash list {path} cannot be read: {exc.strerror or exc}") from None
    with handle:
        if handle.read(2) in (b"\xff\xfe", b"\xfe\xff"):  # UTF-16 with BOM (Windows PowerShell 5 default)
            handle.seek(0)
            with io.TextIOWrapper(handle, encoding="utf-16", errors="replace", newline="") as text_handle:
                for number, line in enumerate(text_handle, start=1):
                    text = line.lstrip("\ufeff").rstrip("\r\n")
                    if "\ufffd" in text:
                        yield number, Malformed(number, "not valid UTF-16")
                    elif text.strip() and not text.lstrip().startswith("#"):
                        yield number, text
            return
        handle.seek(0)
        for number, raw in enumerate(handle, start=1):
            if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            try:
                text = raw.decode("utf-8").rstrip("\r\n")
            except UnicodeDecodeError:
                yield number, Malformed(number, "not valid UTF-8")
                continue
            if text.strip() and not text.lstrip().startswith("#"):
                yield number, text


def _delimiter(line: str) -> str | None:
    for delimiter in ("\t", ",", ";", "|"):
        if delimiter in line:
            return delimiter
    return None


def read_hash_list(path: Path, algorithm: Algorithm | None = None) -> Iterator[HashEntry | Malformed]:
    """Stream the entries of a list, with a Malformed record for each bad line."""
    lines = _lines(path)
    first: tuple[int, str | Malformed] | None = None
    for numbered in lines:
        if isinstance(numbered[1], Malformed):
            yield numbered[1]
            continue
        first = numbered
        break
    if first is None:
        return
    first_text = first[1]
    assert isinstance(first_text, str)
    delimiter = _delimiter(first_text)
    cells = [
        c.strip().strip('"').lower() for c in (first_text.split(delimiter) if delimiter else [first_text])
    ]
    if any(c in _ALGO_COLUMNS for c in cells):
        yield from _read_table(first_text, delimiter, lines)
    elif any(c in ("hash", "value") for c in cells):
        if algorithm is None:
            raise HashListFormatError(f"{path}: a 'hash' column needs --algorithm (md5, sha1, sha256 or pdq)")
        yield from _read_table(first_text, delimiter, lines, default=algorithm)
    else:
        yield from _read_plain(path, first, lines, algorithm)


def _read_table(
    header: str,
    delimiter: str | None,
    lines: Iterator[tuple[int, str | Malformed]],
    default: Algorithm | None = None,
) -> Iterator[HashEntry | Malformed]:
    names = [c.strip().lower() for c in next(csv.reader([header], delimiter=delimiter or ","))]
    algo_cols = [(i, _ALGO_COLUMNS[n]) for i, n in enumerate(names) if n in _ALGO_COLUMNS]
    if default is not None:
        algo_cols += [(i, default) for i, n in enumerate(names) if n in ("hash", "value")]
    category_col = names.index("category") if "category" in names else None
    label_col = next((names.index(n) for n in _LABEL_COLUMNS if n in names), None)
    for number, text in lines:
        if isinstance(text, Malformed):
            yield text
            continue
        try:
            row = next(csv.reader([text], delimiter=delimiter or ","))
        except csv.Error as exc:
            yield Malformed(number, f"unreadable CSV row: {exc}")
            continue
        if len(row) < len(names):
            row += [""] * (len(names) - len(row))
        category = row[category_col].strip() or None if category_col is not None else None
        label = row[label_col].strip() or None if label_col is not None else None
        good: list[HashEntry] = []
        problems: list[str] = []
        for index, algo in algo_cols:
            cell = row[index].strip()
            if not cell:
                continue
            try:
                good.append(HashEntry(algo, normalise_hash(cell, algo), category, label, f"line:{number}"))
            except ValueError as exc:
                problems.append(str(exc))
        if problems:
            yield Malformed(number, "; ".join(problems))
        elif not good:
            yield Malformed(number, "no hash value on this row")
        else:
            yield from good


def _read_plain(
    path: Path,
    first: tuple[int, str | Malformed],
    lines: Iterator[tuple[int, str | Malformed]],
    algorithm: Algorithm | None,
) -> Iterator[HashEntry | Malformed]:
    def rows() -> Iterator[tuple[int, str | Malformed]]:
        yield first
        yield from lines

    for number, text in rows():
        if isinstance(text, Malformed):
            yield text
            continue
        # "HASH", "HASH  file name" (md5sum/sha256sum) or "HASH,label"
        parts = re.split(r"[\s,;|]+", text.strip(), maxsplit=1)
        value = parts[0].lstrip("\\")
        label = parts[1].lstrip("*").strip() or None if len(parts) > 1 else None
        algo = algorithm or _BY_LENGTH.get(len(value))
        if algo is None:
            if len(value) == 64 and _HEX.match(value):
                raise HashListFormatError(
                    f"{path}: line {number} holds 64 hex digits, which may be SHA-256 or PDQ; "
                    "pass --algorithm sha256 or --algorithm pdq"
                )
            yield Malformed(
                number, f"not a hash of a known length (32 md5, 40 sha1, 64 sha256/pdq): {value[:80]!r}"
            )
            continue
        try:
            yield HashEntry(algo, normalise_hash(value, algo), None, label)
        except ValueError as exc:
            yield Malformed(number, str(exc))


CSV_COLUMNS = ("md5", "sha1", "sha256", "pdq", "category", "label")


def write_csv(entries: Iterable[HashEntry], out: TextIO) -> int:
    """Write entries in the CSV form read_hash_list reads back; one row per source record.

    Returns how many entries could not be written because CSV has no column for them
    (vPDQ and PhotoDNA signals: export those as VICS or keep the original file).
    """
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    skipped = 0
    row: dict[str, str] = {}
    current: tuple[str | None, str | None, str | None] | None = None

    def flush() -> None:
        if row:
            writer.writerow([row.get(c, "") for c in CSV_COLUMNS])
            row.clear()

    for entry in entries:
        if entry.algorithm.value not in CSV_COLUMNS:
            skipped += 1
            continue
        key = (entry.record, entry.category, entry.label)
        if key != current or entry.record is None or entry.algorithm.value in row:
            flush()
            current = key
        row[entry.algorithm.value] = entry.value
        row["category"] = entry.category or ""
        row["label"] = entry.label or ""
    flush()
    return skipped
