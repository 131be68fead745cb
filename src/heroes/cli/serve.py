"""``heroes serve``: the review web app and REST API (FastAPI, served by uvicorn)."""

from __future__ import annotations

import ipaddress

import click

from heroes.accounts import ensure_first_admin
from heroes.cli.context import AppContext, err_console


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind (loopback by default).")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option(
    "--behind-tls-proxy", is_flag=True, help="Say a TLS-terminating proxy is in front (no warning)."
)
@click.pass_obj
def command(app: AppContext, host: str, port: int, behind_tls_proxy: bool) -> None:
    """Serve the review app on HOST:PORT; creates the first admin (one-time password) on first run."""
    import uvicorn

    from heroes.web import create_app

    console = err_console()
    store = app.store
    password = ensure_first_admin(store, app.actor)
    if password:
        console.print(f"First run: user [bold]admin[/] created. One-time password (shown once): {password}")
    if not _loopback(host) and not behind_tls_proxy:
        console.print(
            f"[yellow]Warning: listening on {host}, not loopback, without a TLS proxy: passwords and "
            "evidence would cross the network unencrypted. Put a TLS proxy in front "
            "(--behind-tls-proxy) or bind 127.0.0.1.[/]"
        )
    console.print(
        f"Review app: http://{host}:{port}/  (API docs: /api/docs). Results are leads, not verdicts."
    )
    uvicorn.run(
        create_app(app.settings, store), host=host, port=port, log_level="warning", proxy_headers=False
    )
