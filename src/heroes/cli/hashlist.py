"""``heroes hashlist``: import and list hash lists."""

from __future__ import annotations

from pathlib import Path

import click
from rich.table import Table

from heroes.cli.context import AppContext, err_console, literal, out_console
from heroes.errors import InvalidInput
from heroes.evidence import Algorithm, ListRole
from heroes.hashing import write_csv
from heroes.hashing.importer import FORMATS, import_list

_SHOW_MALFORMED = 20


@click.group("hashlist")
def command() -> None:
    """Hash lists of known media (known-bad) and known files to hide (known-good)."""


@command.command("import")
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--name", required=True, help="Name of the list in the store.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="auto",
    show_default=True,
    help="List format; auto sniffs the content (VICS JSON, NSRL RDSv3 SQLite, CSV/TSV, plain text).",
)
@click.option(
    "--role",
    type=click.Choice([r.value for r in ListRole]),
    help="known-bad (default) or known-good (default for NSRL).",
)
@click.option(
    "--algorithm",
    type=click.Choice([a.value for a in Algorithm if a.hex_length]),
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
    fmt: str,
    role: str | None,
    algorithm: str | None,
    pdq_threshold: int | None,
    replace: bool,
) -> None:
    """Import a hash list; malformed records are reported with their position and skipped."""
    result = import_list(
        app.store,
        app.settings,
        path,
        name,
        actor=app.actor,
        fmt=fmt,
        role=ListRole(role) if role else None,
        algorithm=Algorithm(algorithm) if algorithm else None,
        pdq_threshold=pdq_threshold,
        replace=replace,
    )
    hash_list = result.hash_list
    out_console().print(
        f"Imported {hash_list.entry_count} entries into [bold]{name}[/] "
        f"({hash_list.role.value}, format {hash_list.format}); "
        f"{hash_list.malformed_count} malformed record(s) skipped."
    )
    if result.malformed:
        err = err_console()
        unit = "line" if hash_list.format in ("text", "csv") else "record"
        for bad in result.malformed[:_SHOW_MALFORMED]:
            err.print(f"  {unit} {bad.line}: {bad.reason}", markup=False)
        if hash_list.malformed_count > _SHOW_MALFORMED:
            err.print(f"  … and {hash_list.malformed_count - _SHOW_MALFORMED} more")


@command.command("export")
@click.argument("name")
@click.option("--format", "fmt", type=click.Choice(["vics", "csv"]), default="vics", show_default=True)
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False), required=True)
@click.pass_obj
def export(app: AppContext, name: str, fmt: str, output: Path) -> None:
    """Write a list as Project VIC VICS 2.0 JSON (#Media) or CSV; the export is audited."""
    store = app.store
    (hash_list,) = store.hash_lists([name])
    if hash_list.storage:
        raise InvalidInput(f"{name} is a compact list ({hash_list.format}); export the original file instead")
    entries = store.list_entries(hash_list, app.actor)
    partial = output.with_name(output.name + ".partial")
    try:
        with partial.open("w", encoding="utf-8", newline="") as handle:
            if fmt == "csv":
                skipped = write_csv(entries, handle)
            else:
                from heroes.hashing.vics import write_vics

                skipped = write_vics(
                    entries, handle, kind="Media", region=hash_list.category_scheme, case=None
                )
        partial.replace(output)  # a failed export never leaves a half-written file under the real name
    finally:
        partial.unlink(missing_ok=True)
    note = f" ({skipped} entries have no field in {fmt} and were left out)" if skipped else ""
    out_console().print(f"Wrote {name} to {output}{note}")


@command.command("list")
@click.pass_obj
def list_(app: AppContext) -> None:
    """Show the imported hash lists."""
    table = Table("name", "role", "format", "entries", "malformed", "pdq threshold", "imported", "source")
    for h in app.store.hash_lists():
        table.add_row(
            *literal(
                h.name,
                h.role.value,
                h.format + (" (compact)" if h.storage else ""),
                str(h.entry_count),
                str(h.malformed_count),
                str(h.pdq_threshold),
                h.imported_at.isoformat(timespec="seconds"),
                h.source,
            )
        )
    out_console().print(table)
