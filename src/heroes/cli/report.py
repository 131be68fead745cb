"""``heroes report``: write a case's HTML or CSV report."""

from __future__ import annotations

from pathlib import Path

import click

from heroes.cli.context import AppContext, out_console
from heroes.report import ReportFormat, Thumbnails, write_report


@click.command("report")
@click.argument("case")
@click.option(
    "--format", "fmt", type=click.Choice([f.value for f in ReportFormat]), default="html", show_default=True
)
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False), help="File to write.")
@click.option(
    "--thumbnails",
    type=click.Choice([t.value for t in Thumbnails]),
    default=Thumbnails.BLURRED.value,
    show_default=True,
    help="HTML thumbnails: blurred greyscale (default), clear (audited), or none.",
)
@click.pass_obj
def command(app: AppContext, case: str, fmt: str, output: Path | None, thumbnails: str) -> None:
    """Matches with list, category and distance, plus errors; recorded in the audit trail."""
    store = app.store
    path = write_report(
        store,
        app.settings,
        store.case(case),
        actor=app.actor,
        fmt=ReportFormat(fmt),
        output=output,
        thumbnails=Thumbnails(thumbnails),
    )
    out_console().print(f"Report written to {path}")
