"""``heroes review``: the case's review queue, by file-context priority, with the reasons."""

from __future__ import annotations

import json

import click
from rich.table import Table

from heroes.cli.context import AppContext, literal, out_console


@click.command("review")
@click.argument("case")
@click.option("--limit", type=click.IntRange(1, 100_000), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per item.")
@click.pass_obj
def command(app: AppContext, case: str, limit: int, as_json: bool) -> None:
    """Items to look at first: known hits and what surrounds them (folder, archive, camera, time, name)."""
    store = app.store
    queue = store.review_queue(store.case(case), app.actor, limit)
    if as_json:
        for item, priority, reasons in queue:
            click.echo(
                json.dumps({"path": item.path, "priority": priority, "reasons": reasons}, ensure_ascii=False)
            )
        return
    out = out_console()
    table = Table("priority", "path", "why", title="Review queue (leads for a human reviewer, not verdicts)")
    for item, priority, reasons in queue:
        table.add_row(*literal(f"{priority:g}", item.path, "; ".join(reasons)))
    out.print(table if queue else "Nothing to prioritise: no item of this case matches a known-bad list.")
