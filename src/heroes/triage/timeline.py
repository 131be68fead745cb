"""The case timeline: one event per timestamp found in the evidence, sorted.

Why one list: investigators complain that timelines miss EXIF times or mix clocks silently.
Every event here says which clock it comes from — the file system (UTC) or the camera's own
clock (zone unknown unless the photo recorded an offset) — so a reader never takes a camera's
local time for UTC. Sources so far: file-system times (modified, accessed, entry changed, created where
recorded) and EXIF capture times; chat
messages and browser visits join when their parsers land.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from heroes.evidence import Item

__all__ = ["Event", "build_timeline"]


@dataclass(frozen=True, slots=True)
class Event:
    """Something that happened at a time, to an item."""

    time: datetime
    clock: str
    """"UTC" (file system), "camera, UTC+hh:mm" or "camera, zone unknown"."""
    event: str
    path: str
    item_id: int

    @property
    def sort_key(self) -> datetime:
        """Events without a zone are placed as if their clock were UTC (and say so in ``clock``)."""
        return self.time if self.time.tzinfo else self.time.replace(tzinfo=UTC)


def build_timeline(
    items: Sequence[Item], since: datetime | None = None, until: datetime | None = None
) -> list[Event]:
    """Every file-system and EXIF time of the items, sorted, optionally within [since, until]."""
    events: list[Event] = []
    for item in items:
        if item.mtime is not None:
            events.append(Event(item.mtime, "UTC", "file modified", item.path, item.id))
        for seconds, what in (
            (item.atime, "file accessed"),
            (item.ctime, "entry changed"),
            (item.btime, "file created"),
        ):
            if seconds is not None:
                events.append(Event(datetime.fromtimestamp(seconds, UTC), "UTC", what, item.path, item.id))
        if item.captured_at:
            try:
                taken = datetime.fromisoformat(item.captured_at)
            except ValueError:
                continue
            clock = (
                f"camera, UTC{taken.strftime('%z')[:3]}:{taken.strftime('%z')[3:]}"
                if taken.tzinfo
                else "camera, zone unknown"
            )
            events.append(Event(taken, clock, "photo taken", item.path, item.id))
    low = since.replace(tzinfo=since.tzinfo or UTC) if since else None
    high = until.replace(tzinfo=until.tzinfo or UTC) if until else None
    kept = [e for e in events if (low is None or e.sort_key >= low) and (high is None or e.sort_key <= high)]
    return sorted(kept, key=lambda e: (e.sort_key, e.path, e.event))
