"""``heroes verify``: are the case's disk images still the ones acquired?"""

from __future__ import annotations

import click
from rich.table import Table

from heroes.cli.context import AppContext, literal, out_console
from heroes.errors import IntegrityError
from heroes.triage.verify import verify_sources


@click.command("verify")
@click.argument("case")
@click.pass_obj
def command(app: AppContext, case: str) -> None:
    """Recompute the MD5/SHA-1 of every disk image scanned into CASE; exit 4 if any changed."""
    store = app.store
    checks = verify_sources(store, store.case(case), app.actor)
    out = out_console()
    if not checks:
        out.print("No disk image was scanned into this case (folders have no acquisition hashes).")
        return
    table = Table("image", "recorded MD5", "MD5 now", "result")
    for c in checks:
        result = "unchanged" if c.unchanged else (c.error or "CHANGED")
        table.add_row(*literal(c.root, c.recorded_md5, c.md5 or "-", result))
    out.print(table)
    changed = [c.root for c in checks if not c.unchanged]
    if changed:
        raise IntegrityError(
            f"{len(changed)} disk image(s) no longer match their acquisition hashes: {', '.join(changed)}"
        )
