"""``heroes names``: train a file-name model on an agency's own labelled paths, for review priority."""

from __future__ import annotations

import json
from pathlib import Path

import click

from heroes.cli.context import AppContext, out_console
from heroes.triage.names import NameModel, read_labelled, train_name_model


@click.group("names")
def command() -> None:
    """File-name models: trained by an agency on its own labelled paths; heroes ships none."""


@command.command("train")
@click.argument("labelled", type=click.Path(path_type=Path, dir_okay=False))
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), required=True)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the held-out split.")
@click.pass_obj
def train(app: AppContext, labelled: Path, output: Path, seed: int) -> None:
    """Train on LABELLED (CSV with path and label columns, 1/0) and report held-out quality."""
    paths, labels, skipped = read_labelled(labelled)
    for line in skipped[:10]:
        click.echo(f"skipped {line}", err=True)
    if len(skipped) > 10:
        click.echo(f"… and {len(skipped) - 10} more lines skipped", err=True)
    model = train_name_model(paths, labels, seed)
    model.save(output)
    held = model.meta["held_out"]
    details = {"source": str(labelled), "skipped": len(skipped), **model.meta}
    app.store.log_event(None, app.actor, "names.train", str(output), details)
    out_console().print(
        f"Trained on {len(paths):,} paths ({sum(labels):,} relevant). Held-out 20 % "
        f"({held['paths']:,} paths): precision {held['precision']:.3f}, recall {held['recall']:.3f}, "
        f"F1 {held['f1']:.3f}, average precision {held['average_precision']:.3f}.\n"
        f"Model written to {output}. Use it with: heroes scan SOURCE --case NAME --name-model {output}"
    )


@command.command("show")
@click.argument("model", type=click.Path(path_type=Path, dir_okay=False))
def show(model: Path) -> None:
    """What a model was trained on and how well it did on its held-out split."""
    click.echo(json.dumps(NameModel.load(model).meta, indent=2, sort_keys=True))
