"""The timeline: sorted, filtered, and every event says which clock it comes from."""

from __future__ import annotations

from datetime import UTC, datetime

from heroes.evidence import Item
from heroes.triage.timeline import build_timeline


def _item(n: int, mtime: datetime | None, captured: str | None) -> Item:
    return Item(n, 1, f"/e/{n}.jpg", 1, mtime, None, None, None, None, None, None, "/", captured_at=captured)


def test_sorted_with_clocks_and_filters() -> None:
    items = [
        _item(1, datetime(2024, 5, 6, 12, 0, tzinfo=UTC), "2024-05-06T07:08:09"),
        _item(2, datetime(2024, 5, 6, 6, 0, tzinfo=UTC), "2024-05-06T09:00:00+02:00"),
        _item(3, None, "not a date"),
    ]
    events = build_timeline(items)
    assert [(e.path, e.event, e.clock) for e in events] == [
        ("/e/2.jpg", "file modified", "UTC"),
        ("/e/2.jpg", "photo taken", "camera, UTC+02:00"),
        ("/e/1.jpg", "photo taken", "camera, zone unknown"),
        ("/e/1.jpg", "file modified", "UTC"),
    ]
    window = build_timeline(items, since=datetime(2024, 5, 6, 7, 0), until=datetime(2024, 5, 6, 8, 0))
    assert [(e.path, e.event) for e in window] == [("/e/2.jpg", "photo taken"), ("/e/1.jpg", "photo taken")]
