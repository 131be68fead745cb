"""Case reports (HTML and CSV) of matches and errors, for a human reviewer.

Wellbeing first: thumbnails are made greyscale and heavily blurred *in the pixels* before
they are embedded, so the report file itself never holds a clear copy of the media.
A clear thumbnail needs an explicit choice, which the audit trail records. Thumbnails are
small JPEGs inside the HTML (data URIs), so the report is one file and writes nothing else.

Every report is a view of evidence: it is written to the audit trail with the items it
shows, the thumbnail mode, where it was written and the SHA-256 of the file.
"""

from __future__ import annotations

import base64
import csv
import hashlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from heroes import __version__
from heroes.config import Settings
from heroes.errors import InvalidInput
from heroes.evidence import Algorithm, Case, CategoryScheme, HashEntry, Item, ListRole, Match
from heroes.store import CaseStore
from heroes.triage.media import read_item, thumbnail

__all__ = ["DISCLAIMER", "ReportFormat", "Thumbnails", "default_report_path", "write_report"]

DISCLAIMER = (
    "These results are leads for a trained human reviewer, not verdicts. A hash match says that a file "
    "equals or resembles an entry of a list; it does not say what the file shows or who is responsible. "
    "A missing match does not mean a file is harmless."
)


class ReportFormat(StrEnum):
    """Output formats of ``heroes report``."""

    HTML = "html"
    CSV = "csv"
    VICS = "vics"


class Thumbnails(StrEnum):
    """How images appear in an HTML report."""

    BLURRED = "blurred"
    CLEAR = "clear"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class _Row:
    """One item with all its matches: one thumbnail per item, however many lists it is on."""

    item: Item
    matches: list[Match]
    thumbnail: str | None


def default_report_path(settings: Settings, case: Case, fmt: ReportFormat) -> Path:
    """Where a report goes when no --output is given: under the data directory, per case."""
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in case.name).strip(".") or "case"
    suffix = "vics.json" if fmt is ReportFormat.VICS else fmt.value
    return settings.home / "reports" / safe / f"report.{suffix}"


def _thumbnail(item: Item, mode: Thumbnails, settings: Settings) -> str | None:
    if mode is Thumbnails.NONE or not (item.mime or "").startswith("image/") or not item.raw_path:
        return None
    if item.size > settings.max_image_bytes:
        return None
    try:
        data = read_item(item.raw_path, settings.max_image_bytes)
        jpeg = thumbnail(data, settings, blurred=mode is Thumbnails.BLURRED)
    except Exception:  # a thumbnail that cannot be made must never stop the report
        return None
    return "data:image/jpeg;base64," + base64.b64encode(jpeg).decode("ascii")


@dataclass(frozen=True, slots=True)
class _Overview:
    """The case at a glance: what is in it, where the hits are, where and when photos were taken."""

    types: list[tuple[str, int]]
    hits: list[tuple[str, str, int]]
    queue: list[tuple[float, str, str]]
    gps_svg: str
    gps_count: int
    days: list[tuple[str, int, int]]
    """(day, items modified that day, bar width in pixels)."""


def _gps_svg(points: list[tuple[float, float]]) -> str:
    """A plain scatter plot of GPS points (longitude right, latitude up): no map tiles, no network."""
    if not points:
        return ""
    width, height, pad = 420, 260, 12
    lats, lons = [p[0] for p in points], [p[1] for p in points]
    south, north, west, east = min(lats), max(lats), min(lons), max(lons)
    span_lat, span_lon = max(north - south, 1e-6), max(east - west, 1e-6)
    dots = "".join(
        f'<circle cx="{pad + (lon - west) / span_lon * (width - 2 * pad):.1f}" '
        f'cy="{height - pad - (lat - south) / span_lat * (height - 2 * pad):.1f}" r="4"/>'
        for lat, lon in points
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
        f'aria-label="GPS positions"><rect width="100%" height="100%" fill="#f2f4f8"/>'
        f'<g fill="#c0392b" fill-opacity="0.7">{dots}</g></svg>'
    )


def _overview(store: CaseStore, case: Case, actor: str, bad: list[Match]) -> _Overview:
    items = store.items(case, actor, purpose="report-overview")
    types = Counter((i.mime or "unknown").split(";")[0] for i in items).most_common(12)
    hits = Counter((m.list_name, m.category or "–") for m in bad)
    queue = [
        (priority, item.path, "; ".join(reasons))
        for item, priority, reasons in store.review_queue(case, actor, limit=50)
    ]
    points = [
        (i.gps_latitude, i.gps_longitude)
        for i in items
        if i.gps_latitude is not None and i.gps_longitude is not None
    ]
    per_day = Counter(i.mtime.date().isoformat() for i in items if i.mtime is not None)
    top = max(per_day.values(), default=1)
    days = [(day, n, max(1, round(n / top * 300))) for day, n in sorted(per_day.items())[-60:]]
    return _Overview(
        types,
        [(name, category, n) for (name, category), n in hits.most_common()],
        queue,
        _gps_svg(points),
        len(points),
        days,
    )


def _write_vics(
    output: Path, case: Case, bad: list[Match], items: dict[int, Item], schemes: dict[str, CategoryScheme]
) -> None:
    """The case's categorised items as one VICS 2.0 #Cases document (Griffeye, Autopsy, Magnet read it)."""
    from heroes.hashing.vics import write_vics

    best: dict[int, Match] = {}
    for m in bad:
        if m.category is not None and (m.item_id not in best or m.distance < best[m.item_id].distance):
            best[m.item_id] = m
    used = {schemes.get(m.list_name, CategoryScheme.NONE) for m in best.values()}
    region = used.pop() if len(used) == 1 else CategoryScheme.CUSTOM if used else CategoryScheme.US

    def entries() -> Iterator[HashEntry]:
        for item_id, m in sorted(best.items()):
            item = items[item_id]
            for algorithm, value in ((Algorithm.MD5, item.md5), (Algorithm.SHA1, item.sha1)):
                if value:
                    yield HashEntry(
                        algorithm, value, m.category, item.path, str(item_id), item.size, m.label or None
                    )

    with output.open("w", encoding="utf-8") as handle:
        write_vics(entries(), handle, kind="Cases", region=region, case={"CaseNumber": case.name})


def write_report(
    store: CaseStore,
    settings: Settings,
    case: Case,
    *,
    actor: str,
    fmt: ReportFormat = ReportFormat.HTML,
    output: Path | None = None,
    thumbnails: Thumbnails = Thumbnails.BLURRED,
) -> Path:
    """Write the report of a case and audit it; returns the path written."""
    output = output or default_report_path(settings, case, fmt)
    if output.exists() and output.is_dir():
        raise InvalidInput(f"{output} is a folder; give a file name for the report")
    output.parent.mkdir(parents=True, exist_ok=True)
    final, output = output, output.with_name(output.name + ".partial")
    try:
        return _write(store, settings, case, actor, fmt, final, output, thumbnails)
    finally:
        output.unlink(missing_ok=True)


def _write(
    store: CaseStore,
    settings: Settings,
    case: Case,
    actor: str,
    fmt: ReportFormat,
    final: Path,
    output: Path,
    thumbnails: Thumbnails,
) -> Path:
    """Write to ``output`` (a partial file), audit, then move it to ``final``: no report file ever
    exists without its audit event, and a failure leaves no half-written report."""
    found = store.matches(case, actor, purpose="report")
    bad = [m for m in found if m.list_role is ListRole.KNOWN_BAD]
    items = {
        i.id: i for i in store.items(case, actor, item_ids=sorted({m.item_id for m in bad}), purpose="report")
    }
    counts = store.case_counts(case)
    problems = [f for f in store.findings(case, actor) if f.kind in ("error", "skipped")]
    generated = datetime.now(UTC)

    shown_thumbnails = 0
    if fmt is ReportFormat.VICS:
        _write_vics(output, case, bad, items, {h.name: h.category_scheme for h in store.hash_lists()})
    elif fmt is ReportFormat.CSV:
        with output.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(
                [
                    "path",
                    "list",
                    "role",
                    "label",
                    "category",
                    "algorithm",
                    "distance",
                    "variant",
                    "entry",
                    "md5",
                    "sha256",
                ]
            )
            for m in bad:
                item = items[m.item_id]
                writer.writerow(
                    [
                        m.path,
                        m.list_name,
                        m.list_role.value,
                        m.label or "",
                        m.category or "",
                        m.algorithm.value,
                        m.distance,
                        m.variant,
                        m.value,
                        item.md5 or "",
                        item.sha256 or "",
                    ]
                )
    else:
        thumbs = {i: _thumbnail(items[i], thumbnails, settings) for i in items}
        grouped: dict[int, list[Match]] = {}
        for m in bad:
            grouped.setdefault(m.item_id, []).append(m)
        rows = [_Row(items[i], ms, thumbs[i]) for i, ms in grouped.items()]
        shown_thumbnails = sum(1 for v in thumbs.values() if v)
        env = Environment(loader=PackageLoader("heroes", "templates"), autoescape=select_autoescape(["html"]))
        overview = _overview(store, case, actor, bad)
        html = env.get_template("report.html").render(
            case=case,
            rows=rows,
            counts=counts,
            overview=overview,
            problems=problems,
            disclaimer=DISCLAIMER,
            generated=generated.isoformat(timespec="seconds"),
            actor=actor,
            version=__version__,
            thumbnails=thumbnails.value,
            store=store.location,
        )
        output.write_text(html, encoding="utf-8")

    digest = hashlib.sha256(output.read_bytes()).hexdigest()
    store.log_event(
        case,
        actor,
        "report.write",
        str(final),
        {
            "format": fmt.value,
            "matches": len(bad),
            "items": sorted(items),
            "thumbnails": thumbnails.value if fmt is ReportFormat.HTML else "none",
            "thumbnails_shown": shown_thumbnails,
            "sha256": digest,
        },
    )
    output.replace(final)
    return final
