"""``heroes groups``: copies and near-copies among a case's items, to decide once per picture."""

from __future__ import annotations

import json

import click
from rich.table import Table

from heroes.cli.context import AppContext, literal, out_console
from heroes.triage.groups import group_items


@click.command("groups")
@click.argument("case")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per group.")
@click.pass_obj
def command(app: AppContext, case: str, as_json: bool) -> None:
    """Exact duplicates (same SHA-256) and near-duplicate series (PDQ within 31 bits, chained)."""
    store = app.store
    items = store.items(store.case(case), app.actor, purpose="groups")
    paths = {i.id: i.path for i in items}
    groups = group_items(items, app.settings.pdq_min_quality)
    if as_json:
        for g in groups:
            click.echo(json.dumps({"kind": g.kind, "key": g.key, "paths": [paths[i] for i in g.item_ids]}))
        return
    table = Table("kind", "items", "paths", title=f"Copies and near-copies in {case}")
    for g in groups:
        shown = [paths[i] for i in g.item_ids[:5]] + (
            [f"… and {len(g.item_ids) - 5} more"] if len(g.item_ids) > 5 else []
        )
        table.add_row(*literal(g.kind, len(g.item_ids), "\n".join(shown)))
    out_console().print(table if groups else "No copies or near-copies.")
