"""``heroes case``: create and list cases."""

from __future__ import annotations

import click
from rich.table import Table

from heroes.cli.context import AppContext, literal, out_console


@click.group("case")
def command() -> None:
    """Cases in the store."""


@command.command("list")
@click.pass_obj
def list_(app: AppContext) -> None:
    """Show every case with its counts."""
    table = Table("case", "created", "items", "matched items", "known-good", "errors")
    for case in app.store.list_cases():
        counts = app.store.case_counts(case)
        table.add_row(
            *literal(
                case.name,
                case.created_at.isoformat(timespec="seconds"),
                str(counts["items"]),
                str(counts["matched_items"]),
                str(counts["known_good_items"]),
                str(counts["errors"]),
            )
        )
    out_console().print(table)


@command.command("create")
@click.argument("name")
@click.option("--description", default="", help="What the case is about.")
@click.pass_obj
def create(app: AppContext, name: str, description: str) -> None:
    """Create an empty case (scans also create their case when it is new)."""
    app.store.create_case(name, app.actor, description)
    click.echo(f"Case {name} created.")
