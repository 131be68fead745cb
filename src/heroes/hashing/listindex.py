"""Per-list PDQ indexes, built once from the store and kept on disk beside it.

Why on disk: a list of ten million PDQ hashes takes minutes to read out of a database, but
a saved index memory-maps in milliseconds, so a scan against it costs little more than
hashing the folder. An index file is named after the list's id, import time and size, so a
re-imported list never meets a stale index. Small lists are searched by a linear scan
(:class:`PdqIndex`); lists of at least ``MULTI_INDEX_MIN`` hashes use the multi-index.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from heroes.evidence import Algorithm, HashList
from heroes.hashing.index import PdqIndex, pack_hex
from heroes.store import CaseStore

__all__ = ["MULTI_INDEX_MIN", "ListHit", "ListIndex", "open_list_index"]

MULTI_INDEX_MIN = 50_000


@dataclass(frozen=True, slots=True)
class ListHit:
    """Query ``query`` (position in the call) is within the list's threshold of ``entry_id``."""

    query: int
    entry_id: int
    distance: int
    variant: int


class ListIndex:
    """The PDQ hashes of one list and the entry ids they belong to."""

    def __init__(
        self, hash_list: HashList, entry_ids: np.ndarray, hashes: np.ndarray, engine: object
    ) -> None:
        self.hash_list = hash_list
        self.entry_ids = entry_ids
        self._hashes = hashes
        self._engine = engine

    def __len__(self) -> int:
        return int(self.entry_ids.shape[0])

    def search(self, queries: Sequence[Sequence[str]]) -> list[ListHit]:
        """Per query (an image's 8 dihedral variants): entries within threshold, with the best variant."""
        hits: list[ListHit] = []
        if not len(self):
            return hits
        radius = self.hash_list.pdq_threshold
        engine = self._engine
        if isinstance(engine, PdqIndex):
            for number, variants in enumerate(queries):
                hits += [
                    ListHit(number, int(self.entry_ids[h.position]), h.distance, h.variant)
                    for h in engine.query(variants)
                ]
            return hits
        from heroes.hashing.mih import PdqMultiIndex

        assert isinstance(engine, PdqMultiIndex)
        flat = [v for variants in queries for v in variants]
        owner = np.asarray([n for n, variants in enumerate(queries) for _ in variants], dtype=np.int64)
        position = np.asarray([i for variants in queries for i in range(len(variants))], dtype=np.int64)
        q_idx, e_idx, dist = engine.search(pack_hex(flat), radius)
        best: dict[tuple[int, int], tuple[int, int]] = {}
        for q, e, d in zip(q_idx.tolist(), e_idx.tolist(), dist.tolist(), strict=True):
            key = (int(owner[q]), int(e))
            if key not in best or d < best[key][0]:
                best[key] = (int(d), int(position[q]))
        return [
            ListHit(query, int(self.entry_ids[entry]), d, variant)
            for (query, entry), (d, variant) in sorted(best.items())
        ]


def _folder(home: Path, hash_list: HashList) -> Path:
    tag = hashlib.sha256(
        f"{hash_list.id}|{hash_list.imported_at.isoformat()}|{hash_list.entry_count}".encode()
    ).hexdigest()[:16]
    return home / "indexes" / f"list-{hash_list.id}-{tag}"


def open_list_index(store: CaseStore, hash_list: HashList, home: Path) -> ListIndex:
    """The list's PDQ index: memory-mapped when saved earlier, else built from the store and saved."""
    folder = _folder(home, hash_list)
    ids_file, hashes_file = folder / "entry_ids.npy", folder / "hashes.npy"
    if ids_file.is_file() and hashes_file.is_file():
        entry_ids = np.load(ids_file, mmap_mode="r")
        hashes = np.load(hashes_file, mmap_mode="r")
    else:
        id_parts: list[np.ndarray] = []
        hash_parts: list[np.ndarray] = []
        for chunk in store.signals(hash_list, Algorithm.PDQ):
            id_parts.append(np.fromiter((i for i, _ in chunk), dtype=np.int64, count=len(chunk)))
            hash_parts.append(pack_hex([v for _, v in chunk]))
        entry_ids = np.concatenate(id_parts) if id_parts else np.zeros(0, dtype=np.int64)
        hashes = np.concatenate(hash_parts) if hash_parts else np.zeros((0, 4), dtype=np.uint64)
        if folder.parent.is_dir():
            for stale in folder.parent.glob(f"list-{hash_list.id}-*"):
                shutil.rmtree(stale, ignore_errors=True)
        folder.mkdir(parents=True, exist_ok=True)
        np.save(folder / "entry_ids.tmp.npy", entry_ids)
        np.save(folder / "hashes.tmp.npy", hashes)
        (folder / "entry_ids.tmp.npy").replace(ids_file)
        (folder / "hashes.tmp.npy").replace(hashes_file)
    engine: object
    if len(entry_ids) >= MULTI_INDEX_MIN:
        from heroes.hashing.mih import PdqMultiIndex

        mih_dir = folder / "mih"
        if mih_dir.exists():
            engine = PdqMultiIndex.load(mih_dir, mmap=True)
        else:
            built = PdqMultiIndex.build(np.ascontiguousarray(hashes))
            built.save(mih_dir)
            engine = built
    else:
        engine = PdqIndex.from_words(np.asarray(hashes), [hash_list.pdq_threshold] * len(entry_ids))
    return ListIndex(hash_list, entry_ids, hashes, engine)
