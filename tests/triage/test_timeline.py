"""The timeline: sorted, filtered, and every event says which clock it comes from."""

from __future__ import annotations

from datetime import UTC, datetime

from heroes.evidence import Artifact, Item
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


def test_messages_and_visits_join_the_timeline_with_who_and_what() -> None:
    sent = Artifact(
        "android-sms", "message", "Android SMS", "sms:1", datetime(2024, 5, 6, 6, 30, tzinfo=UTC),
        "see you at the\nlibrary", "me", "+34600111222", "3", "sent",
    )  # fmt: skip
    received = Artifact(
        "whatsapp", "message", "WhatsApp", "messages:2", datetime(2024, 5, 6, 6, 40, tzinfo=UTC),
        "ok", "+44700900123", None, "t", "received",
    )  # fmt: skip
    visit = Artifact(
        "chrome", "visit", "Chrome", "visits:5", datetime(2024, 5, 6, 5, 0, tzinfo=UTC),
        "Timetable", url="https://example.org/bus",
    )  # fmt: skip
    undated = Artifact("whatsapp", "message", "WhatsApp", "messages:3", None, "no time")
    items = [_item(1, datetime(2024, 5, 6, 6, 35, tzinfo=UTC), None)]
    db = "/e/mmssms.db"
    events = build_timeline(items, artifacts=[(sent, 9, db), (received, 9, db), (visit, 8, "/e/History"),
                                              (undated, 9, db)])  # fmt: skip
    assert [(e.event, e.detail, e.clock) for e in events] == [
        ("Chrome page visited", "https://example.org/bus (Timetable)", "UTC"),
        ("Android SMS message sent", "to +34600111222: see you at the library", "UTC"),
        ("file modified", "", "UTC"),
        ("WhatsApp message received", "from +44700900123: ok", "UTC"),
    ]
    assert events[1].path == db and events[1].item_id == 9
    late = build_timeline([], since=datetime(2024, 5, 6, 6, 31), artifacts=[(sent, 9, db), (received, 9, db)])
    assert [e.event for e in late] == ["WhatsApp message received"]
