"""Per-list PDQ indexes, built once from the store and kept on disk beside it.

Why on disk: a list of ten million PDQ hashes takes minutes to read out of a database, but a
saved :class:`PdqMultiIndex` memory-maps in milliseconds, so a scan against it costs little
more than hashing the folder. An index folder is named after the list's id, import time and
size, so a re-imported list never meets a stale index. The multi-index picks its own layout
from the list size (a compiled linear scan for small lists), so every list uses it.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from heroes.evidence import Algorithm, HashList
from heroes.hashing.index import pack_hex
from heroes.hashing.mih import PdqMultiIndex
from heroes.store import CaseStore

__all__ = ["ListHit", "ListIndex", "open_list_index"]


@dataclass(frozen=True, slots=True)
class ListHit:
    """Query ``query`` (position in the call) is within the list's threshold of ``entry_id``."""

    query: int
    entry_id: int
    distance: int
    variant: int


class ListIndex:
    """The PDQ hashes of one list and the store entry ids they belong to."""

    def __init__(self, hash_list: HashList, entry_ids: np.ndarray, index: PdqMultiIndex) -> None:
        self.hash_list = hash_list
        self.entry_ids = entry_ids
        self.index = index

    def __len__(self) -> int:
        return len(self.index)

    def search(self, queries: Sequence[Sequence[str]]) -> list[ListHit]:
        """Per query (an image's 8 dihedral variants): entries within threshold, with the best variant."""
        if not len(self) or not queries:
            return []
        flat = [v for variants in queries for v in variants]
        owner = np.asarray([n for n, variants in enumerate(queries) for _ in variants], dtype=np.int64)
        position = np.asarray([i for variants in queries for i in range(len(variants))], dtype=np.int64)
        q_idx, e_idx, dist = self.index.search(pack_hex(flat), self.hash_list.pdq_threshold)
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
    ids_file, index_dir = folder / "entry_ids.npy", folder / "pdq-index"
    if ids_file.is_file() and index_dir.is_dir():
        try:
            return ListIndex(
                hash_list, np.load(ids_file, mmap_mode="r"), PdqMultiIndex.load(index_dir, mmap=True)
            )
        except ValueError:
            pass  # damaged or from an older version: rebuild it from the store below
    id_parts: list[np.ndarray] = []
    hash_parts: list[np.ndarray] = []
    for chunk in store.signals(hash_list, Algorithm.PDQ):
        id_parts.append(np.fromiter((i for i, _ in chunk), dtype=np.int64, count=len(chunk)))
        hash_parts.append(pack_hex([v for _, v in chunk]))
    entry_ids = np.concatenate(id_parts) if id_parts else np.zeros(0, dtype=np.int64)
    hashes = np.concatenate(hash_parts) if hash_parts else np.zeros((0, 4), dtype=np.uint64)
    index = PdqMultiIndex.build(hashes)
    if folder.parent.is_dir():
        for stale in folder.parent.glob(f"list-{hash_list.id}-*"):
            shutil.rmtree(stale, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    index.save(index_dir)
    temporary = folder / "entry_ids.tmp.npy"
    np.save(temporary, entry_ids)
    temporary.replace(ids_file)
    return ListIndex(hash_list, entry_ids, index)
