"""Importing a hash list of any supported format into the store: the one workflow behind
``heroes hashlist import`` (and the demo), so every format gets the same checks and audit.

Formats: ``text``/``csv`` (heroes.hashing.lists), ``vics`` (Project VIC JSON), ``nsrl``
(NIST RDSv3 SQLite, imported into compact memory-mapped key files because it holds tens of
millions of hashes), ``vpdq`` (a reference vPDQ hash file of one video: ``frame,quality,pdq,
timestamp`` lines). ``auto`` sniffs the content.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from pathlib import Path

from heroes.config import Settings
from heroes.errors import AlreadyExists, InvalidInput
from heroes.evidence import Algorithm, CategoryScheme, HashEntry, ListRole, Malformed
from heroes.hashing.exactset import build_exact_sets
from heroes.hashing.lists import read_hash_list
from heroes.store import CaseStore, ImportResult

__all__ = ["FORMATS", "import_list"]

FORMATS = ("auto", "text", "csv", "vics", "nsrl", "vpdq")


def _vpdq_file(path: Path) -> Iterable[HashEntry | Malformed]:
    from heroes.hashing.video import dumps_vpdq, read_vpdq_file

    try:
        frames = read_vpdq_file(path)
    except ValueError as exc:
        yield Malformed(0, str(exc))
        return
    yield HashEntry(Algorithm.VPDQ, dumps_vpdq(frames), label=path.name)


def import_list(
    store: CaseStore,
    settings: Settings,
    path: Path,
    name: str,
    *,
    actor: str,
    fmt: str = "auto",
    role: ListRole | None = None,
    algorithm: Algorithm | None = None,
    pdq_threshold: int | None = None,
    replace: bool = False,
) -> ImportResult:
    """Read the list at path and store it under name; malformed records are counted, not fatal."""
    if fmt not in FORMATS:
        raise InvalidInput(f"unknown list format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if fmt == "auto":
        from heroes.hashing.sniff import detect_format

        fmt = str(detect_format(path))
    source = str(path.resolve())
    threshold = settings.pdq_threshold if pdq_threshold is None else pdq_threshold
    if fmt == "nsrl":
        from heroes.hashing.nsrl import read_nsrl

        if not replace and any(h.name == name for h in store.hash_lists()):
            raise AlreadyExists(f"hash list {name!r} already exists; pass --replace to re-import it")
        folder = (
            settings.home
            / "lists"
            / f"{''.join(c if c.isalnum() else '_' for c in name)}-{uuid.uuid4().hex[:8]}"
        )
        counts, malformed = build_exact_sets(read_nsrl(path), folder)
        hash_list = store.register_compact_list(
            name,
            counts=counts,
            malformed=len(malformed),
            storage=str(folder),
            role=role or ListRole.KNOWN_GOOD,
            source=source,
            actor=actor,
            list_format="nsrl",
            replace=replace,
        )
        return ImportResult(hash_list, malformed)
    records: Iterable[HashEntry | Malformed]
    scheme = CategoryScheme.NONE
    if fmt == "vics":
        from heroes.hashing.vics import read_vics

        vics = read_vics(path)
        records = vics
        scheme = vics.header.scheme
    elif fmt == "vpdq":
        records = _vpdq_file(path)
    else:
        records = read_hash_list(path, algorithm)
    return store.import_hash_list(
        name,
        records,
        role=role or ListRole.KNOWN_BAD,
        source=source,
        actor=actor,
        pdq_threshold=threshold,
        replace=replace,
        list_format=fmt,
        scheme=scheme,
    )
