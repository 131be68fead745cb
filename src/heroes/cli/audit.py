"""``heroes audit``: verify and show the hash-chained audit trail."""

from __future__ import annotations

import json

import click
from rich.table import Table

from heroes.cli.context import AppContext, literal, out_console
from heroes.store import GLOBAL_CHAIN, case_chain


@click.group("audit")
def command() -> None:
    """The tamper-evident audit trail."""


@command.command("verify")
@click.argument("case", required=False)
@click.pass_obj
def verify(app: AppContext, case: str | None) -> None:
    """Recompute the chain of CASE (or of every case and the global chain); exit 4 if altered."""
    store = app.store
    chains = (
        [case_chain(store.case(case).name)]
        if case
        else [GLOBAL_CHAIN] + [case_chain(c.name) for c in store.list_cases()]
    )
    out = out_console()
    for chain in chains:
        report = store.verify_audit(chain)
        out.print(f"[green]OK[/] {chain}: {report.events} events, head {report.head}")


@command.command("show")
@click.argument("case", required=False)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per event.")
@click.pass_obj
def show(app: AppContext, case: str | None, as_json: bool) -> None:
    """List the events of CASE (or of the global chain) in order."""
    store = app.store
    chain = case_chain(store.case(case).name) if case else GLOBAL_CHAIN
    events = store.audit_events(chain)
    if as_json:
        for e in events:
            click.echo(
                json.dumps(
                    {
                        "chain": e.chain,
                        "seq": e.seq,
                        "at": e.at.isoformat(),
                        "actor": e.actor,
                        "action": e.action,
                        "target": e.target,
                        "details": e.details,
                        "hash": e.hash,
                    }
                )
            )
        return
    table = Table("#", "at", "actor", "action", "target", "details")
    for e in events:
        table.add_row(
            *literal(
                str(e.seq),
                e.at.isoformat(timespec="seconds"),
                e.actor,
                e.action,
                e.target,
                json.dumps(e.details)[:120],
            )
        )
    out_console().print(table)
