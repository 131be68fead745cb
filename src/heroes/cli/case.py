"""``heroes case``: list cases and show one."""

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
