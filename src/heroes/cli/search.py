"""``heroes search``: find items by words and structured filters, ranked by review priority."""

from __future__ import annotations

import json
from datetime import datetime

import click
from rich.table import Table

from heroes.cli.context import AppContext, literal, out_console
from heroes.store import SearchQuery, parse_bbox


@click.command("search")
@click.argument("case")
@click.argument("words", nargs=-1)
@click.option("--type", "mime", help="MIME type or prefix, e.g. image/ or video/mp4.")
@click.option("--min-size", type=int)
@click.option("--max-size", type=int)
@click.option("--since", type=click.DateTime(), help="Modified at or after (UTC if no zone).")
@click.option("--until", type=click.DateTime(), help="Modified at or before (UTC if no zone).")
@click.option("--camera", help="Camera make, model or serial contains this.")
@click.option("--has-gps", is_flag=True, help="Only photos with a GPS position.")
@click.option("--bbox", help="GPS box south,west,north,east in decimal degrees.")
@click.option("--deleted/--not-deleted", default=None, help="Only deleted (or only allocated) files.")
@click.option("--list", "list_name", help="Only items matching this hash list.")
@click.option("--category", help="Only items matching a list entry of this category.")
@click.option("--min-priority", type=float, help="Only items with at least this review priority.")
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
@click.option("--offset", type=click.IntRange(0), default=0, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per item.")
@click.pass_obj
def command(
    app: AppContext,
    case: str,
    words: tuple[str, ...],
    mime: str | None,
    min_size: int | None,
    max_size: int | None,
    since: datetime | None,
    until: datetime | None,
    camera: str | None,
    has_gps: bool,
    bbox: str | None,
    deleted: bool | None,
    list_name: str | None,
    category: str | None,
    min_priority: float | None,
    limit: int,
    offset: int,
    as_json: bool,
) -> None:
    """Items of CASE matching WORDS (in path, type, camera, app, document text, messages and visits)
    and every filter given."""
    query = SearchQuery(
        text=" ".join(words),
        mime_prefix=mime,
        min_size=min_size,
        max_size=max_size,
        since=since,
        until=until,
        camera=camera,
        has_gps=has_gps,
        bbox=parse_bbox(bbox),
        deleted=deleted,
        list_name=list_name,
        category=category,
        min_priority=min_priority,
    )
    store = app.store
    results = store.search(store.case(case), app.actor, query, limit, offset)
    if as_json:
        for item, priority, context in results:
            record = {
                "path": item.path, "size": item.size, "mime": item.mime, "sha256": item.sha256,
                "priority": priority, "deleted": item.deleted, "camera_serial": item.camera_serial,
                "captured_at": item.captured_at, "gps": [item.gps_latitude, item.gps_longitude],
                "snippet": context,
            }  # fmt: skip
            click.echo(json.dumps(record, ensure_ascii=False))
        return
    table = Table("priority", "path", "type", "size", "camera", "text", title=f"{len(results)} result(s)")
    for item, priority, context in results:
        camera_text = " ".join(v for v in (item.camera_make, item.camera_model, item.camera_serial) if v)
        table.add_row(*literal(f"{priority:g}", item.path, item.mime, item.size, camera_text, context or ""))
    out_console().print(table)
