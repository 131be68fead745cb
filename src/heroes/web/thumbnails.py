"""Review thumbnails made on demand from the evidence, blurred unless a clear one is asked for.

Why this way: a reviewer's wellbeing and the integrity of the evidence both argue against keeping
pictures around. Every thumbnail is read again from the evidence itself (``read_item``: read-only,
in memory, never through a copy in a shared temporary folder). Blurred thumbnails are greyscale and
blurred *in their pixels*, so they may be cached — inside the case's own data directory, keyed by
item id and content hash so a changed file never shows a stale picture. Clear thumbnails are never
written anywhere: they are made in memory for each request. Something that is not an image, or
that cannot be read or decoded, gets a neutral placeholder instead of an error, so one bad file
never breaks the review grid.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from heroes.config import Settings
from heroes.evidence import Case, Item
from heroes.triage.media import read_item, thumbnail

__all__ = ["PLACEHOLDER_SVG", "Thumbnail", "cache_path", "make_thumbnail"]

PLACEHOLDER_SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="160" height="160" viewBox="0 0 160 160" '
    b'role="img" aria-label="no preview"><rect width="160" height="160" fill="#d5d9e0"/>'
    b'<text x="80" y="86" font-family="sans-serif" font-size="14" text-anchor="middle" '
    b'fill="#4a5260">no preview</text></svg>'
)


@dataclass(frozen=True, slots=True)
class Thumbnail:
    """Bytes to send, their media type, and whether they show the item or only a placeholder."""

    content: bytes
    media_type: str
    preview: bool


def _safe(name: str) -> str:
    """A case name as one folder name (item ids are unique across cases, so names may collide)."""
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name).strip(".") or "case"


def cache_path(settings: Settings, case: Case, item: Item) -> Path | None:
    """Where the blurred thumbnail of an item is kept (None when the item has no content hash)."""
    if not item.sha256:
        return None
    folder = settings.home / "cases" / _safe(case.name) / "thumbnails"
    return folder / f"{item.id}-{item.sha256[:16]}.jpg"


def _placeholder() -> Thumbnail:
    return Thumbnail(PLACEHOLDER_SVG, "image/svg+xml", False)


def _store(path: Path, content: bytes) -> None:
    """Write a cache file atomically, so a concurrent reader never sees half a picture."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".thumb-", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content)
        os.replace(temporary, path)
    except OSError:
        Path(temporary).unlink(missing_ok=True)


def make_thumbnail(settings: Settings, case: Case, item: Item, clear: bool) -> Thumbnail:
    """The thumbnail of an item: from the cache when blurred and cached, else from the evidence."""
    if (
        not (item.mime or "").startswith("image/")
        or not item.raw_path
        or item.size > settings.max_image_bytes
    ):
        return _placeholder()
    cached = None if clear else cache_path(settings, case, item)
    if cached is not None and cached.is_file():
        try:
            return Thumbnail(cached.read_bytes(), "image/jpeg", True)
        except OSError:
            pass
    try:
        data = read_item(item.raw_path, settings.max_image_bytes)
        jpeg = thumbnail(data, settings, blurred=not clear)
    except Exception:  # a picture that cannot be shown must never break the page
        return _placeholder()
    if cached is not None:
        _store(cached, jpeg)
    return Thumbnail(jpeg, "image/jpeg", True)
