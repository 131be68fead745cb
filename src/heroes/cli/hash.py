"""``heroes hash``: hash files (or every file under folders) without recording anything."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import click
from rich.table import Table

from heroes.cli.context import AppContext, err_console, literal, out_console
from heroes.evidence import FileHashes
from heroes.triage import Entry, walk
from heroes.triage.run import hash_paths, worker_pool

_CHUNK = 16


def _paths(paths: tuple[Path, ...]) -> Iterator[bytes | FileHashes]:
    for given in paths:
        raw = os.fsencode(given)
        if os.path.isdir(raw):
            for entry in walk(raw):
                yield (
                    entry.raw_path
                    if isinstance(entry, Entry)
                    else FileHashes(entry.raw_path, error=entry.reason)
                )
        else:
            yield raw


@click.command("hash")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per file on stdout.")
@click.pass_obj
def command(app: AppContext, paths: tuple[Path, ...], as_json: bool) -> None:
    """Print MD5, SHA-1, SHA-256, PDQ (with quality) and MIME type of files.

    Folders are walked recursively without following symbolic links. A file that cannot be
    read or decoded gets an "error" field; the others are still hashed.
    """
    settings = app.settings
    items = list(_paths(paths))
    todo = [p for p in items if isinstance(p, bytes)]
    chunks = [todo[i : i + _CHUNK] for i in range(0, len(todo), _CHUNK)]
    if settings.effective_workers > 1 and len(chunks) > 1:
        with worker_pool(settings) as pool:
            hashed = [h for batch in pool.map(hash_paths, chunks) for h in batch]
    else:
        hashed = [h for batch in chunks for h in hash_paths(batch, settings)]
    done = iter(hashed)
    results = [next(done) if isinstance(p, bytes) else p for p in items]
    failed = sum(1 for r in results if r.error)
    if as_json:
        for r in results:
            click.echo(json.dumps(r.as_json(), ensure_ascii=False))
    else:
        table = Table("path", "size", "mime", "md5", "pdq", "quality", "error")
        for r in results:
            table.add_row(
                *literal(
                    r.path,
                    str(r.size),
                    r.mime or "",
                    r.get("md5") or "",
                    r.get("pdq") or "",
                    "" if r.get("pdq_quality") is None else str(r.get("pdq_quality")),
                    r.error or "",
                )
            )
        out_console().print(table)
    if failed:
        err_console().print(f"[yellow]{failed} of {len(results)} file(s) had errors (see the error field)[/]")
