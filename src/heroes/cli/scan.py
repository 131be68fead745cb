"""``heroes scan``: hash and match every file of a folder into a case, with a progress bar."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import click
from rich.progress import BarColumn, Progress, ProgressColumn, Task, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from heroes.cli.context import AppContext, err_console, literal, out_console
from heroes.evidence import Match, ScanSummary
from heroes.triage import scan


class _Rates(ProgressColumn):
    """files done/total, files/s and MB/s."""

    def render(self, task: Task) -> Text:
        files = int(task.fields.get("files", 0))
        total = task.fields.get("total_files")
        elapsed = task.elapsed or 0.0
        rate = files / elapsed if elapsed > 0 else 0.0
        mbps = task.completed / elapsed / 1e6 if elapsed > 0 else 0.0
        return Text(
            f"{files}/{total if total is not None else '?'} files  {rate:,.1f} files/s  {mbps:,.1f} MB/s"
        )


class _ProgressObserver:
    def __init__(self, progress: Progress, as_json: bool) -> None:
        self.progress = progress
        self.as_json = as_json
        self.task: TaskID = progress.add_task("scanning", total=None, files=0, total_files=None)
        self.found: list[Match] = []

    def counted(self, files: int, size: int) -> None:
        self.progress.update(self.task, total=size or 1, total_files=files)

    def advanced(self, files: int, size: int) -> None:
        task = self.progress.tasks[0]
        self.progress.update(self.task, advance=size, files=int(task.fields.get("files", 0)) + files)

    def matched(self, match: Match) -> None:
        self.found.append(match)
        if self.as_json:
            self.progress.console.file.flush()
            click.echo(
                json.dumps(
                    {
                        "path": match.path,
                        "list": match.list_name,
                        "role": match.list_role.value,
                        "label": match.label,
                        "category": match.category,
                        "algorithm": match.algorithm.value,
                        "distance": match.distance,
                        "variant": match.variant,
                    },
                    ensure_ascii=False,
                )
            )


def print_matches(found: list[Match], summary: ScanSummary) -> None:
    """The human-readable result of a scan."""
    out = out_console()
    table = Table("path", "list", "role", "label", "category", "match", title="Matches")
    for m in found:
        table.add_row(
            *literal(
                m.path,
                m.list_name,
                m.list_role.value,
                m.label or "",
                m.category or "",
                m.how,
            )
        )
    if found:
        out.print(table)
    else:
        out.print("No matches.")
    out.print(
        f"{summary.files_seen} files ({summary.files_hashed} hashed, "
        f"{summary.files_resumed} already in the case), "
        f"{summary.bytes_hashed / 1e6:,.1f} MB in {summary.seconds:,.1f} s; "
        f"{summary.matches} known-bad match(es), {summary.hidden} known-good match(es), "
        f"{summary.errors} error(s), {summary.skipped} skipped."
    )
    out.print("[italic]Matches are leads for a human reviewer, not verdicts.[/]")


@click.command("scan")
@click.argument("folder", type=click.Path(path_type=Path, exists=True))
@click.option("--case", "case_name", required=True, help="Case to record into (created if new).")
@click.option(
    "--hashlist", "hashlists", multiple=True, help="Match only against these lists (repeatable; default all)."
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per match on stdout.")
@click.option(
    "--terms",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="Agency file-name term list (term, optional weight) that raises review priority.",
)
@click.option(
    "--name-model",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="File-name model trained on the agency's labelled paths ('heroes names train').",
)
@click.option(
    "--dask",
    metavar="tcp://HOST:PORT",
    help="Hash on this Dask cluster (workers must see FOLDER at the same path); only this process writes.",
)
@click.pass_obj
def command(
    app: AppContext,
    folder: Path,
    case_name: str,
    hashlists: tuple[str, ...],
    as_json: bool,
    terms: Path | None,
    name_model: Path | None,
    dask: str | None,
) -> None:
    """Hash every file under FOLDER, or inside a disk image (raw, split raw, E01, VMDK, QCOW2, VHD,
    ISO-9660), read-only; match against hash lists and record the case.

    Re-running is safe: files already recorded with the same size and time are not hashed
    again, and an interrupted scan picks up where it stopped.
    """
    console = err_console()
    if not app.store.hash_lists():
        console.print(
            "[yellow]No hash lists are imported: files are hashed and recorded but nothing can match. "
            "See 'heroes hashlist import'.[/]"
        )
    columns = (TextColumn("[bold]{task.description}"), BarColumn(), _Rates(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False, disable=not console.is_terminal) as progress:
        observer = _ProgressObserver(progress, as_json)
        settings = app.settings
        if terms:
            settings = dataclasses.replace(settings, terms_file=str(terms))
        if name_model:
            settings = dataclasses.replace(settings, name_model_file=str(name_model))
        summary = scan(
            app.store,
            settings,
            case_name,
            folder,
            actor=app.actor,
            list_names=list(hashlists) or None,
            observer=observer,
            dask=dask,
        )
    if as_json:
        console.print(
            f"{summary.files_seen} files, {summary.matches} known-bad match(es), "
            f"{summary.hidden} known-good, {summary.errors} error(s) in "
            f"{summary.seconds:,.1f} s"
        )
    else:
        print_matches(observer.found, summary)
