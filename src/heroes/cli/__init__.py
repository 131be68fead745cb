"""The ``heroes`` command: a thin click layer over the library.

Each command group lives in its own module. Errors raised as :class:`HeroesError` are
printed as one line on stderr and mapped to exit codes by :func:`heroes.errors.exit_code`
(2 user error, 3 external failure, 4 integrity failure), never shown as tracebacks.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from heroes import __version__
from heroes.cli.context import AppContext, HeroesGroup

__all__ = ["cli", "main"]


@click.group(cls=HeroesGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="heroes")
@click.option(
    "--home",
    type=click.Path(path_type=Path),
    help="Data directory (default $HEROES_HOME or ~/.local/share/heroes).",
)
@click.option(
    "--database-url", help="SQLAlchemy URL of the case store (default: SQLite file under the data directory)."
)
@click.option(
    "--config", "config_file", type=click.Path(path_type=Path, dir_okay=False), help="A heroes.toml file."
)
@click.option("--workers", type=int, help="Hashing processes (default: one per core).")
@click.option("--actor", help="Name recorded in the audit trail (default: the operating-system user).")
@click.pass_context
def cli(ctx: click.Context, /, **options: Any) -> None:
    """HEROES: find known abuse media by hash, triage seized devices, and keep an audit trail.

    Every result is a lead for a trained human reviewer, never a verdict.
    """
    config_file = options.pop("config_file")
    ctx.obj = AppContext(env=dict(os.environ), config_file=config_file, overrides=options)
    ctx.call_on_close(ctx.obj.close)


def _register() -> None:
    from heroes.cli import (
        audit,
        case,
        demo,
        grooming,
        groups,
        hash,
        hashlist,
        names,
        report,
        review,
        scan,
        search,
        serve,
        timeline,
        user,
        verify,
    )  # fmt: skip

    for module in (
        audit, case, demo, grooming, groups, hash, hashlist, names, report, review, scan, search, serve,
        timeline, user, verify,
    ):  # fmt: skip
        cli.add_command(module.command)


_register()


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="heroes")
