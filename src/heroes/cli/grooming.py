"""``heroes grooming``: score chat exports for early signs of grooming, with the reasons."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from rich.table import Table

from heroes.cli.context import AppContext, err_console, literal, out_console
from heroes.textrisk.chats import load_conversations
from heroes.textrisk.grooming import SENSITIVITY, ConversationModel, ConversationState, GroomingScorer
from heroes.textrisk.indicators import IndicatorMatcher, IndicatorSet
from heroes.textrisk.pan12 import read_labelled_csv, read_pan12, synthetic_conversations
from heroes.textrisk.train import LabelledConversation, evaluate, fit_model, from_pan12, split

PROMPT = (
    "Alerts are prompts for a calm conversation with the young person, never verdicts: the engine sees "
    "only some signs, in some languages, and can be wrong both ways."
)


@click.group("grooming")
def command() -> None:
    """Anti-grooming engine: early, explained risk of a conversation (on this machine only)."""


def _scorer_factory(app: AppContext, model: ConversationModel | None, excerpts: bool = False) -> Any:
    indicators = IndicatorSet.load()
    matcher = IndicatorMatcher(indicators, cache_dir=app.settings.home / "cache" / "grooming")

    def make(sensitivity: str) -> GroomingScorer:
        return GroomingScorer(matcher, indicators.indicators, model, sensitivity, excerpts=excerpts)

    return make


def _corpus(pan12: Path | None, predators: Path | None, csv_path: Path | None, synthetic: int | None,
            seed: int) -> tuple[list[LabelledConversation], str]:  # fmt: skip
    if sum(x is not None for x in (pan12, csv_path, synthetic)) != 1:
        raise click.UsageError("give exactly one of --pan12, --csv or --synthetic")
    if pan12 is not None:
        if predators is None:
            raise click.UsageError("--pan12 needs --predators (the corpus's predator id list)")
        corpus = read_pan12(pan12, predators)
        return from_pan12(corpus.conversations), f"PAN12 {pan12.name}"
    if csv_path is not None:
        return from_pan12(read_labelled_csv(csv_path).conversations), f"CSV {csv_path.name}"
    made = synthetic_conversations(synthetic or 0, seed=seed)
    return from_pan12([s.conversation for s in made]), f"synthetic corpus ({synthetic}, seed {seed})"


def _sources(function: Any) -> Any:
    for option in reversed((
        click.option("--pan12", type=click.Path(path_type=Path, dir_okay=False, exists=True),
                     help="PAN12 conversations XML (obtained from PAN; not shipped)."),
        click.option("--predators", type=click.Path(path_type=Path, dir_okay=False, exists=True),
                     help="PAN12 predator id list."),
        click.option("--csv", "csv_path", type=click.Path(path_type=Path, dir_okay=False, exists=True),
                     help="Labelled segments: conversation, author, time, text, label."),
        click.option("--synthetic", type=click.IntRange(10, 100_000),
                     help="Generated benign/risky conversations (non-sexual; for trying the pipeline)."),
        click.option("--seed", type=int, default=0, show_default=True),
    )):  # fmt: skip
        function = option(function)
    return function


def _print_results(results: dict[str, dict[str, Any]]) -> None:
    title = "Held-out conversations (PAN12 author level; Vogt et al. latency)"
    table = Table("sensitivity", "precision", "recall", "F1", "F0.5", "latency F1", "median msgs to alert",
                  "false alarms /1,000", title=title)  # fmt: skip
    for level, r in results.items():
        table.add_row(*literal(level, f"{r['precision']:.3f}", f"{r['recall']:.3f}", f"{r['f1']:.3f}",
                               f"{r['f0_5']:.3f}", f"{r['latency_f1']:.3f}", r["median_messages_to_alert"],
                               r["false_alarms_per_1000"]))  # fmt: skip
    out_console().print(table)


@command.command("train")
@_sources
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), required=True)
@click.pass_obj
def train(app: AppContext, pan12: Path | None, predators: Path | None, csv_path: Path | None,
          synthetic: int | None, seed: int, output: Path) -> None:  # fmt: skip
    """Fit the conversation model on 80 % of the conversations, report on the held-out 20 %."""
    conversations, source = _corpus(pan12, predators, csv_path, synthetic, seed)
    fitting, held_out = split(conversations, 0.2, seed)
    make = _scorer_factory(app, None)
    model = fit_model(make("balanced"), fitting, seed)
    results = evaluate(_scorer_factory(app, model), held_out)
    model = ConversationModel(
        model.weights, model.bias, {**model.meta, "source": source, "held_out": results}
    )
    model.save(output)
    _print_results(results)
    app.store.log_event(
        None, app.actor, "grooming.train", str(output), {"source": source, "held_out": results}
    )
    err_console().print(
        f"Model written to {output}; use it with: heroes grooming scan EXPORT --model {output}"
    )


@command.command("evaluate")
@_sources
@click.option("--model", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.pass_obj
def evaluate_command(app: AppContext, pan12: Path | None, predators: Path | None, csv_path: Path | None,
                     synthetic: int | None, seed: int, model: Path | None) -> None:  # fmt: skip
    """PAN12 scores, early-detection latency and false alarms of a model on labelled conversations."""
    conversations, source = _corpus(pan12, predators, csv_path, synthetic, seed)
    results = evaluate(_scorer_factory(app, ConversationModel.load(model) if model else None), conversations)
    _print_results(results)
    app.store.log_event(None, app.actor, "grooming.evaluate", source, {"results": results})


@command.command("scan")
@click.argument("export", type=click.Path(path_type=Path, exists=True))
@click.option("--sensitivity", type=click.Choice(list(SENSITIVITY)), default="balanced", show_default=True)
@click.option("--no-excerpts", is_flag=True, help="Alerts name the signs only, never words of a message.")
@click.option(
    "--model",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="A conversation model from 'heroes grooming train' (default: the shipped one).",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per message assessment.")
@click.pass_obj
def scan(app: AppContext, export: Path, sensitivity: str, no_excerpts: bool, model: Path | None,
         as_json: bool) -> None:  # fmt: skip
    """Risk after each message of a chat export (WhatsApp, Telegram, CSV) and the alerts it raises.

    Nothing is stored and no message text is logged; the audit trail records that a scan was run.
    """
    trained = ConversationModel.load(model) if model else None
    scorer = _scorer_factory(app, trained, excerpts=not no_excerpts)(sensitivity)
    conversations = load_conversations(export)
    console, out = err_console(), out_console()
    alerts = 0
    for conversation in conversations:
        state = ConversationState()
        table = Table("#", "author", "risk", "alert", title=f"{conversation.id} ({conversation.source})")
        for message in conversation.messages:
            assessed = scorer.feed(state, message.author, message.time, message.text)
            alerts += assessed.alert is not None
            if as_json:
                click.echo(json.dumps({
                    "conversation": conversation.id, "message": message.index, "author": message.author,
                    "risk": round(assessed.risk, 4), "suspect": assessed.author,
                    "stages": {k: round(v, 3) for k, v in assessed.stages.items()},
                    "alert": None if assessed.alert is None else {
                        "reason": assessed.alert.reason, "indicators": list(assessed.alert.indicators),
                        "excerpts": [a.excerpt for a in assessed.active
                                     if a.author == assessed.alert.author and a.excerpt]},
                }, ensure_ascii=False))  # fmt: skip
            elif assessed.alert is not None or message.index == len(conversation.messages) - 1:
                table.add_row(*literal(message.index + 1, message.author, f"{assessed.risk:.2f}",
                                       assessed.alert.reason if assessed.alert else ""))  # fmt: skip
        if not as_json:
            out.print(table)
            for problem in conversation.problems[:5]:
                console.print(f"[yellow]{conversation.id}: {problem}[/]")
    summary = {"conversations": len(conversations), "alerts": alerts, "sensitivity": sensitivity}
    app.store.log_event(None, app.actor, "grooming.scan", export.name, summary)
    console.print(f"{len(conversations)} conversation(s), {alerts} alert(s). {PROMPT}")
