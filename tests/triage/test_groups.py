"""Duplicate groups and near-duplicate series."""

from __future__ import annotations

from heroes.evidence import Item
from heroes.triage.groups import group_items


def _item(n: int, sha: str, pdq: str | None, quality: int = 100) -> Item:
    return Item(n, 1, f"/e/{n}", 5, None, None, None, sha, pdq, quality, None, "/")


def test_duplicates_and_series() -> None:
    base = "f" * 64
    near = "f" * 60 + "0000"  # 16 bits from base
    chained = "f" * 52 + "0" * 12  # 32 bits from `near`, 48 from `base`: just outside the series
    items = [
        _item(1, "a" * 64, base),
        _item(2, "a" * 64, base),  # exact copy of 1
        _item(3, "b" * 64, near),  # resized copy
        _item(4, "c" * 64, "0" * 64),  # unrelated
        _item(5, "d" * 64, chained),
        _item(6, "e" * 64, near, quality=10),  # too flat to trust
    ]
    groups = group_items(items)
    assert [(g.kind, g.item_ids) for g in groups] == [("series", (1, 2, 3)), ("duplicates", (1, 2))]


def test_nothing_to_group() -> None:
    assert group_items([_item(1, "a" * 64, None)]) == []
