"""The case timeline: one event per timestamp found in the evidence, sorted.

Why one list: investigators complain that timelines miss EXIF times or mix clocks silently.
Every event here says which clock it comes from — the file system (UTC) or the camera's own
clock (zone unknown unless the photo recorded an offset) — so a reader never takes a camera's
local time for UTC. Sources: file-system times (modified, accessed, entry changed, created where
recorded), EXIF capture times, and the messages and page visits parsed from app databases (SMS,
WhatsApp, Chrome, Firefox), which those apps store as UTC instants; their text goes in ``detail`` so a
reader sees what was said next to what was saved when.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from heroes.evidence import Artifact, Item

__all__ = ["Event", "build_timeline", "describe"]


@dataclass(frozen=True, slots=True)
class Event:
    """Something that happened at a time, to an item."""

    time: datetime
    clock: str
    """"UTC" (file system), "camera, UTC+hh:mm" or "camera, zone unknown"."""
    event: str
    path: str
    item_id: int
    detail: str = ""
    """For messages and visits: who, to whom, what was said or which page."""

    @property
    def sort_key(self) -> datetime:
        """Events without a zone are placed as if their clock were UTC (and say so in ``clock``)."""
        return self.time if self.time.tzinfo else self.time.replace(tzinfo=UTC)


def describe(artifact: Artifact) -> tuple[str, str]:
    """A timeline event name and detail, e.g. ('WhatsApp message received', 'from +34...: see you')."""
    if artifact.kind == "visit":
        title = f" ({artifact.text})" if artifact.text else ""
        return f"{artifact.app} page visited", f"{artifact.url or ''}{title}"
    parties = " ".join(
        f"{word} {who}"
        for word, who in (("from", artifact.sender), ("to", artifact.recipient))
        if who and who != "me"
    )
    event = f"{artifact.app} {artifact.kind}" + (f" {artifact.direction}" if artifact.direction else "")
    return event, f"{parties}: {artifact.text}" if parties else artifact.text


def build_timeline(
    items: Sequence[Item],
    since: datetime | None = None,
    until: datetime | None = None,
    artifacts: Sequence[tuple[Artifact, int, str]] = (),
) -> list[Event]:
    """Every file-system and EXIF time of the items and every dated artifact (with its item's id and
    path), sorted, optionally within [since, until]."""
    events: list[Event] = []
    for artifact, item_id, path in artifacts:
        if artifact.time is not None:
            event, detail = describe(artifact)
            events.append(Event(artifact.time, "UTC", event, path, item_id, " ".join(detail.split())))
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
