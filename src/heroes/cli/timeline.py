"""``heroes timeline``: every timestamp of a case's evidence, sorted, as a table, CSV or JSON."""

from __future__ import annotations

import csv
import json
import sys
from datetime import datetime

import click
from rich.table import Table

from heroes.cli.context import AppContext, literal, out_console
from heroes.triage.timeline import build_timeline


@click.command("timeline")
@click.argument("case")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True
)
@click.option("--since", type=click.DateTime(), help="Only events at or after this time (UTC if no zone).")
@click.option("--until", type=click.DateTime(), help="Only events at or before this time (UTC if no zone).")
@click.pass_obj
def command(app: AppContext, case: str, fmt: str, since: datetime | None, until: datetime | None) -> None:
    """File-system times, photo capture times, messages and page visits, each with its clock."""
    store = app.store
    found = store.case(case)
    events = build_timeline(
        store.items(found, app.actor, purpose="timeline"),
        since,
        until,
        store.artifacts(found, app.actor, since=since, until=until, purpose="timeline"),
    )
    rows = [(e.time.isoformat(), e.clock, e.event, e.path, e.detail) for e in events]
    names = ("time", "clock", "event", "path", "detail")
    if fmt == "json":
        for row in rows:
            click.echo(json.dumps(dict(zip(names, row, strict=True)), ensure_ascii=False))
    elif fmt == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(names)
        writer.writerows(rows)
    else:
        table = Table(*names, title=f"Timeline of {case}")
        for row in rows:
            table.add_row(*literal(*row))
        out_console().print(table)
