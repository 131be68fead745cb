"""NIST NSRL RDSv3 (an SQLite file) read as a known-good hash list.

The NSRL Reference Data Set lists hashes of files from published software: it says a file is
*known*, which investigators use to hide operating-system and application files from review.
Since 2022 the RDS ships as SQLite: a ``METADATA`` table (``sha256, sha1, md5, file_name,
file_size, …``), views ``FILE``/``MFG``/``OS``/``PKG`` that rebuild the old text files, and a
``DISTINCT_HASH`` view. The ``*_minimal`` releases carry ``FILE`` as a plain table instead.

What we read, in order of preference (the first with an ``md5``, ``sha1`` or ``sha256`` column):

1. ``DISTINCT_HASH``: one row per distinct (sha256, sha1, md5) — what the list needs;
2. ``METADATA``, the base table, as ``SELECT DISTINCT`` over its hash columns;
3. ``FILE``, the same way (a table in minimal releases; a join view in full ones, hence last).

Full releases hold hundreds of millions of rows, so rows are fetched in chunks and streamed;
the DISTINCT itself is SQLite's work (it needs temporary disk space of the order of the hash
columns' size). File names are not read: there is no name in ``DISTINCT_HASH``, and picking one
per hash from ``METADATA`` would mean a grouping sort over every row for a label that a hidden
known-good file never shows. Entries therefore carry no label, category or record. DISTINCT
compares hashes as stored (NIST writes upper-case hex throughout, and a case-folding DISTINCT
could not use the minimal release's primary-key index), so a hash spelled two ways would come
out twice; consumers de-duplicate (heroes.hashing.exactset does).

The file is opened read-only and immutable (``mode=ro&immutable=1``): evidence and reference
data are never written, and no journal or lock file is created next to them. A row with a bad
hash becomes a :class:`Malformed` whose ``line`` is the row's position in the query result.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

from heroes.errors import HashListFormatError, NotFound
from heroes.evidence import Algorithm, HashEntry, Malformed
from heroes.hashing.lists import normalise_hash

__all__ = ["FETCH_ROWS", "SQLITE_MAGIC", "read_nsrl"]

SQLITE_MAGIC = b"SQLite format 3\x00"
FETCH_ROWS = 10_000
"""Rows fetched from SQLite per step."""

_HASH_COLUMNS = (("md5", Algorithm.MD5), ("sha1", Algorithm.SHA1), ("sha256", Algorithm.SHA256))
_SOURCES = ("distinct_hash", "metadata", "file")


def read_nsrl(path: Path) -> Iterator[HashEntry | Malformed]:
    """Stream the distinct hashes of an RDSv3 database as known-good entries (md5, sha1, sha256)."""
    _check_magic(path)
    connection = _connect(path)
    try:
        source, columns = _source(connection, path)
        query = _query(source, columns)
        try:
            cursor = connection.execute(query)
        except sqlite3.Error as exc:
            raise HashListFormatError(f"{path}: cannot read {source} from the NSRL database: {exc}") from None
        position = 0
        while True:
            try:
                rows = cursor.fetchmany(FETCH_ROWS)
            except sqlite3.Error as exc:
                if position == 0:
                    raise HashListFormatError(f"{path}: cannot read {source}: {exc}") from None
                yield Malformed(position + 1, f"database error after row {position} of {source}: {exc}")
                return
            if not rows:
                return
            for row in rows:
                position += 1
                yield from _entries(row, columns, position, source)
    finally:
        connection.close()


def _check_magic(path: Path) -> None:
    try:
        with path.open("rb") as handle:
            head = handle.read(len(SQLITE_MAGIC))
    except FileNotFoundError:
        raise NotFound(f"hash list {path} does not exist") from None
    except OSError as exc:
        raise HashListFormatError(f"hash list {path} cannot be read: {exc.strerror or exc}") from None
    if head != SQLITE_MAGIC:
        raise HashListFormatError(
            f"{path} is not an SQLite database, so not an NSRL RDSv3 release "
            "(the older RDSv2 NSRLFile.txt is a CSV list: import it with --format csv)"
        )


def _connect(path: Path) -> sqlite3.Connection:
    uri = path.resolve().as_uri() + "?mode=ro&immutable=1"
    try:
        connection = sqlite3.connect(uri, uri=True)
        connection.execute("PRAGMA query_only = ON")
        # Views in a file from outside may not call application functions.
        connection.execute("PRAGMA trusted_schema = OFF")
    except sqlite3.Error as exc:
        raise HashListFormatError(f"{path}: cannot open as SQLite: {exc}") from None
    return connection


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _source(connection: sqlite3.Connection, path: Path) -> tuple[str, list[tuple[str, Algorithm]]]:
    """The table or view to read and its hash columns (actual names)."""
    try:
        names = {
            str(name).lower(): str(name)
            for (name,) in connection.execute(
                "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') ORDER BY name"
            )
        }
        for wanted in _SOURCES:
            if wanted not in names:
                continue
            actual = names[wanted]
            info = connection.execute(f"PRAGMA table_info({_quoted(actual)})").fetchall()
            present = {str(row[1]).lower(): str(row[1]) for row in info}
            columns = [(present[c], algorithm) for c, algorithm in _HASH_COLUMNS if c in present]
            if columns:
                return actual, columns
    except sqlite3.Error as exc:
        raise HashListFormatError(f"{path}: not a readable SQLite database: {exc}") from None
    found = ", ".join(sorted(names.values())[:12]) or "none"
    raise HashListFormatError(
        f"{path}: an SQLite file without NSRL RDSv3 hashes (a DISTINCT_HASH, METADATA or FILE table "
        f"or view with md5/sha1/sha256 columns); tables and views found: {found}"
    )


def _query(source: str, columns: list[tuple[str, Algorithm]]) -> str:
    listed = ", ".join(_quoted(name) for name, _ in columns)
    distinct = "" if source.lower() == "distinct_hash" else "DISTINCT "
    return f"SELECT {distinct}{listed} FROM {_quoted(source)}"


def _entries(
    row: tuple[object, ...], columns: list[tuple[str, Algorithm]], position: int, source: str
) -> list[HashEntry | Malformed]:
    good: list[HashEntry | Malformed] = []
    problems: list[str] = []
    for value, (_, algorithm) in zip(row, columns, strict=True):
        if value is None or value == "":
            continue
        if not isinstance(value, str):
            problems.append(f"{algorithm.value} is not text ({type(value).__name__})")
            continue
        try:
            good.append(HashEntry(algorithm, normalise_hash(value, algorithm)))
        except ValueError as exc:
            problems.append(str(exc))
    if problems:
        return [Malformed(position, f"row {position} of {source}: {'; '.join(problems)}")]
    if not good:
        return [Malformed(position, f"row {position} of {source}: no hash value")]
    return good
