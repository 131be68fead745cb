"""``heroes user``: accounts of the review app and their case memberships."""

from __future__ import annotations

import click
from rich.table import Table

from heroes.accounts import hash_password, one_time_password
from heroes.cli.context import AppContext, literal, out_console
from heroes.evidence import Role

_ROLES = click.Choice([r.value for r in Role])


@click.group("user")
def command() -> None:
    """Accounts of the review app (heroes serve): roles and case memberships."""


@command.command("add")
@click.argument("name")
@click.option("--role", type=_ROLES, required=True, help="admin, investigator, reviewer or auditor.")
@click.option("--case", "cases", multiple=True, help="Make the user a member of this case (repeatable).")
@click.pass_obj
def add(app: AppContext, name: str, role: str, cases: tuple[str, ...]) -> None:
    """Create an account with a one-time password (printed once; changed at first login)."""
    password = one_time_password()
    store = app.store
    store.accounts.add_user(name, Role(role), hash_password(password), app.actor, must_change=True)
    for case in cases:
        store.accounts.grant(name, store.case(case), app.actor)
    click.echo(f"User {name} ({role}) created. One-time password (shown once): {password}")


@command.command("passwd")
@click.argument("name")
@click.pass_obj
def passwd(app: AppContext, name: str) -> None:
    """Give NAME a new one-time password (their sessions end; they choose a new one at login)."""
    password = one_time_password()
    app.store.accounts.set_password(name, hash_password(password), app.actor, must_change=True)
    click.echo(f"New one-time password for {name} (shown once): {password}")


@command.command("disable")
@click.argument("name")
@click.option("--enable", is_flag=True, help="Re-enable the account instead.")
@click.pass_obj
def disable(app: AppContext, name: str, enable: bool) -> None:
    """Stop NAME logging in (sessions and API tokens stop working at once)."""
    app.store.accounts.set_disabled(name, not enable, app.actor)
    click.echo(f"User {name} {'enabled' if enable else 'disabled'}.")


@command.command("grant")
@click.argument("name")
@click.argument("case")
@click.pass_obj
def grant(app: AppContext, name: str, case: str) -> None:
    """Make NAME a member of CASE."""
    app.store.accounts.grant(name, app.store.case(case), app.actor)
    click.echo(f"{name} is a member of {case}.")


@command.command("revoke")
@click.argument("name")
@click.argument("case")
@click.pass_obj
def revoke(app: AppContext, name: str, case: str) -> None:
    """End NAME's membership of CASE."""
    app.store.accounts.revoke(name, app.store.case(case), app.actor)
    click.echo(f"{name} is no longer a member of {case}.")


@command.command("list")
@click.pass_obj
def list_users(app: AppContext) -> None:
    """Accounts, roles and the cases each may open."""
    store = app.store
    names = {c.id: c.name for c in store.list_cases()}
    table = Table("user", "role", "status", "cases")
    for user in store.accounts.users():
        cases = ", ".join(sorted(names[i] for i in store.accounts.case_ids(user) if i in names))
        status = (
            "disabled"
            if user.disabled
            else ("must change password" if user.must_change_password else "active")
        )
        table.add_row(
            *literal(user.name, user.role.value, status, "all" if user.role is Role.ADMIN else cases)
        )
    out_console().print(table)
