"""Duplicate groups and near-duplicate series among a case's items.

Why: the same picture is often stored many times (sent, received, backed up, thumbnailed); a
reviewer should decide once per picture, not once per copy. Exact duplicates share a SHA-256;
near-duplicates (resized, recompressed, lightly edited) are within PDQ's match distance of one
another and are chained into series (single linkage), so a series may drift further than 31 bits
end to end: it is a lead for review, not a claim that all members are the same image.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from heroes.evidence import Item
from heroes.hashing.index import pack_hex
from heroes.hashing.mih import PdqMultiIndex

__all__ = ["Group", "group_items"]

SERIES_BITS = 31


@dataclass(frozen=True, slots=True)
class Group:
    """Items that are copies ("duplicates") or near-copies ("series") of one another."""

    kind: str
    item_ids: tuple[int, ...]
    key: str
    """The shared SHA-256, or the PDQ hash of the series' first member."""


def _find(parent: list[int], i: int) -> int:
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def group_items(items: Sequence[Item], min_quality: int = 50) -> list[Group]:
    """Duplicate groups (same SHA-256, 2+ items) and PDQ series (2+ distinct contents), largest first."""
    by_hash: dict[str, list[int]] = defaultdict(list)
    for item in items:
        if item.sha256 and item.size > 0:
            by_hash[item.sha256].append(item.id)
    groups = [Group("duplicates", tuple(sorted(ids)), h) for h, ids in by_hash.items() if len(ids) > 1]

    # one representative per distinct content, then chain near-duplicates
    seen: dict[str, Item] = {}
    for item in items:
        if item.pdq and (item.pdq_quality or 0) >= min_quality and item.sha256 not in seen:
            seen[item.sha256 or f"id:{item.id}"] = item
    reps = list(seen.values())
    if len(reps) > 1:
        parent = list(range(len(reps)))
        index = PdqMultiIndex.build(pack_hex([r.pdq or "" for r in reps]))
        q_idx, e_idx, _ = index.search(pack_hex([r.pdq or "" for r in reps]), SERIES_BITS)
        for q, e in zip(q_idx.tolist(), e_idx.tolist(), strict=True):
            a, b = _find(parent, q), _find(parent, e)
            if a != b:
                parent[max(a, b)] = min(a, b)
        clusters: dict[int, list[int]] = defaultdict(list)
        for n in range(len(reps)):
            clusters[_find(parent, n)].append(n)
        for root, members in clusters.items():
            if len(members) > 1:
                ids = sorted(i for m in members for i in by_hash.get(reps[m].sha256 or "", [reps[m].id]))
                groups.append(Group("series", tuple(ids), reps[root].pdq or ""))
    return sorted(groups, key=lambda g: (-len(g.item_ids), g.kind, g.item_ids))
