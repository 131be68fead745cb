"""``heroes hashlist``: import and list hash lists."""

from __future__ import annotations

from pathlib import Path

import click
from rich.table import Table

from heroes.cli.context import AppContext, err_console, out_console
from heroes.evidence import Algorithm, ListRole
from heroes.hashing import read_hash_list

_SHOW_MALFORMED = 20


@click.group("hashlist")
def command() -> None:
    """Hash lists of known media (known-bad) and known files to hide (known-good)."""


@command.command("import")
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--name", required=True, help="Name of the list in the store.")
@click.option(
    "--role",
    type=click.Choice([r.value for r in ListRole]),
    default=ListRole.KNOWN_BAD.value,
    show_default=True,
)
@click.option(
    "--algorithm",
    type=click.Choice([a.value for a in Algorithm]),
    help="Algorithm of a plain one-hash-per-line list (needed for 64-hex-digit values: sha256 or pdq).",
)
@click.option(
    "--pdq-threshold", type=click.IntRange(0, 256), help="PDQ match distance for this list (default 31)."
)
@click.option("--replace", is_flag=True, help="Replace an existing list of the same name.")
@click.pass_obj
def import_(
    app: AppContext,
    path: Path,
    name: str,
    role: str,
    algorithm: str | None,
    pdq_threshold: int | None,
    replace: bool,
) -> None:
    """Import a CSV/TSV/text hash list; malformed lines are reported and skipped."""
    records = read_hash_list(path, Algorithm(algorithm) if algorithm else None)
    result = app.store.import_hash_list(
        name,
        records,
        role=ListRole(role),
        source=str(path.resolve()),
        actor=app.actor,
        pdq_threshold=app.settings.pdq_threshold if pdq_threshold is None else pdq_threshold,
        replace=replace,
    )
    out = out_console()
    out.print(
        f"Imported {result.hash_list.entry_count} entries into [bold]{name}[/] ({role}); "
        f"{len(result.malformed)} malformed line(s) skipped."
    )
    if result.malformed:
        err = err_console()
        for bad in result.malformed[:_SHOW_MALFORMED]:
            err.print(f"  line {bad.line}: {bad.reason}", markup=False)
        if len(result.malformed) > _SHOW_MALFORMED:
            err.print(f"  … and {len(result.malformed) - _SHOW_MALFORMED} more")


@command.command("list")
@click.pass_obj
def list_(app: AppContext) -> None:
    """Show the imported hash lists."""
    table = Table("name", "role", "entries", "malformed", "pdq threshold", "imported", "source")
    for h in app.store.hash_lists():
        table.add_row(
            h.name,
            h.role.value,
            str(h.entry_count),
            str(h.malformed_count),
            str(h.pdq_threshold),
            h.imported_at.isoformat(timespec="seconds"),
            h.source,
        )
    out_console().print(table)
