"""Matching items against hash lists: exact through the store's indexes, PDQ through per-list
indexes (memory-mapped from disk for big lists), vPDQ by Meta's frame-bag rule.

The matcher is built once per scan from the selected lists, then called per batch; both
freshly hashed and resumed items go through the same call, so a resumed scan records
exactly the matches an uninterrupted one would.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from heroes.errors import InvalidInput
from heroes.evidence import Algorithm, HashList
from heroes.hashing.exactset import EXACT_ALGORITHMS, open_exact_sets
from heroes.hashing.listindex import ListIndex, open_list_index
from heroes.hashing.pdq import transform_of
from heroes.hashing.video import VideoFrameHash, loads_vpdq, vpdq_match
from heroes.store import CaseStore, MatchableItem, NewMatch

__all__ = ["Matcher"]

VPDQ_QUERY_MATCH_PERCENT = 80.0


class Matcher:
    """Finds list entries equal or near to items' hashes."""

    def __init__(self, store: CaseStore, lists: Sequence[HashList], min_quality: int, home: Path) -> None:
        self._store = store
        self._lists = list(lists)
        self._min_quality = min_quality
        self._compact = [
            (h, open_exact_sets(Path(h.storage)), store.stand_in_entries(h)) for h in self._lists if h.storage
        ]
        for hash_list, sets, stand_ins in self._compact:
            missing = sorted(a.value for a in set(stand_ins) - set(sets))
            if missing:  # a list that silently matches nothing is worse than a scan that stops
                raise InvalidInput(
                    f"hash list {hash_list.name!r} keeps its {', '.join(missing)} hashes in "
                    f"{hash_list.storage}, which is missing on this machine; import the list again here "
                    "(--replace) or copy that folder"
                )
        self._pdq: list[ListIndex] = [open_list_index(store, h, home) for h in self._lists if not h.storage]
        self._pdq = [index for index in self._pdq if len(index)]
        self._videos: list[tuple[int, int, list[VideoFrameHash]]] = [
            (entry_id, h.id, loads_vpdq(value))
            for h in self._lists
            for chunk in store.signals(h, Algorithm.VPDQ)
            for entry_id, value in chunk
        ]

    def match(self, items: Sequence[MatchableItem]) -> list[NewMatch]:
        """All matches of these items against the matcher's lists."""
        found: list[NewMatch] = []
        for algorithm in EXACT_ALGORITHMS:
            by_value: dict[str, list[int]] = {}
            for item in items:
                value = getattr(item, algorithm.value)
                if value:
                    by_value.setdefault(value, []).append(item.item_id)
            for entry_id, list_id, value in self._store.exact_entries(self._lists, algorithm, by_value):
                found += [NewMatch(i, entry_id, list_id, algorithm, 0) for i in by_value[value]]
            values = list(by_value)
            for hash_list, sets, stand_ins in self._compact:
                if algorithm not in sets:
                    continue
                for value, present in zip(values, sets[algorithm].contains(values), strict=True):
                    if present:
                        found += [
                            NewMatch(i, stand_ins[algorithm], hash_list.id, algorithm, 0)
                            for i in by_value[value]
                        ]
        images = [i for i in items if i.pdq_variants and (i.pdq_quality or 0) >= self._min_quality]
        for index in self._pdq:
            for hit in index.search([i.pdq_variants for i in images]):
                found.append(
                    NewMatch(
                        images[hit.query].item_id,
                        hit.entry_id,
                        index.hash_list.id,
                        Algorithm.PDQ,
                        hit.distance,
                        transform_of(hit.variant),
                    )
                )
        videos = [i for i in items if i.vpdq]
        if videos and self._videos:
            found += self._match_videos(videos)
        return found

    def _match_videos(self, videos: Sequence[MatchableItem]) -> list[NewMatch]:
        """Meta's rule: a video matches a listed one when at least 80 % of its (good) frames are
        within 31 bits of some frame of the listed video. Every pair is compared: fine for the
        hundreds of videos agency lists hold; a frame index would prefilter at larger scale."""
        found: list[NewMatch] = []
        for item in videos:
            query = loads_vpdq(item.vpdq or "")
            for entry_id, list_id, target in self._videos:
                query_pct, _ = vpdq_match(query, target)
                if query_pct > 0 and query_pct >= VPDQ_QUERY_MATCH_PERCENT:
                    found.append(
                        NewMatch(
                            item.item_id,
                            entry_id,
                            list_id,
                            Algorithm.VPDQ,
                            round(100 - query_pct),
                            f"{query_pct:.0f}% of frames",
                        )
                    )
        return found
