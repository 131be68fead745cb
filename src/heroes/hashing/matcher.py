"""Matching items against hash lists: exact through the store's indexes, PDQ through PdqIndex.

The matcher is built once per scan from the selected lists, then called per batch; both
freshly hashed and resumed items go through the same call, so a resumed scan records
exactly the matches an uninterrupted one would.
"""

from __future__ import annotations

from collections.abc import Sequence

from heroes.evidence import Algorithm, HashList
from heroes.hashing.index import PdqIndex
from heroes.hashing.pdq import DIHEDRAL_NAMES
from heroes.store import CaseStore, MatchableItem, NewMatch

__all__ = ["Matcher"]

_EXACT = (Algorithm.MD5, Algorithm.SHA1, Algorithm.SHA256)


class Matcher:
    """Finds list entries equal or near to items' hashes."""

    def __init__(self, store: CaseStore, lists: Sequence[HashList], min_quality: int) -> None:
        self._store = store
        self._lists = list(lists)
        self._min_quality = min_quality
        entry_ids, list_ids, hashes, thresholds = store.pdq_entries(self._lists)
        self._pdq_entries = entry_ids
        self._pdq_lists = list_ids
        self._index = PdqIndex(hashes, thresholds)

    @property
    def pdq_size(self) -> int:
        """PDQ hashes held in memory."""
        return len(self._index)

    def match(self, items: Sequence[MatchableItem]) -> list[NewMatch]:
        """All matches of these items against the matcher's lists."""
        found: list[NewMatch] = []
        for algorithm in _EXACT:
            by_value: dict[str, list[int]] = {}
            for item in items:
                value = getattr(item, algorithm.value)
                if value:
                    by_value.setdefault(value, []).append(item.item_id)
            for entry_id, list_id, value in self._store.exact_entries(self._lists, algorithm, by_value):
                found += [NewMatch(i, entry_id, list_id, algorithm, 0) for i in by_value[value]]
        if len(self._index):
            for item in items:
                if not item.pdq_variants or (item.pdq_quality or 0) < self._min_quality:
                    continue
                for hit in self._index.query(item.pdq_variants):
                    found.append(
                        NewMatch(
                            item.item_id,
                            self._pdq_entries[hit.position],
                            self._pdq_lists[hit.position],
                            Algorithm.PDQ,
                            hit.distance,
                            DIHEDRAL_NAMES[hit.variant],
                        )
                    )
        return found
