"""The ``policylens serve`` command: the web app (REST API and pages) under uvicorn."""

from __future__ import annotations

import ipaddress
from typing import Annotated

import typer
from rich.markup import escape

from policylens.commands import DbOption, err, fail
from policylens.config import load_settings
from policylens.errors import PolicyLensError

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1", "[::1]")


def is_loopback(host: str) -> bool:
    """Return whether a bind address only takes connections from this machine."""
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def allowed_hosts(host: str) -> list[str] | None:
    """Return the Host headers to accept: loopback names when bound to loopback, else any."""
    if not is_loopback(host):
        return None
    return sorted({*LOOPBACK_NAMES, host})


def serve(
    host: Annotated[
        str, typer.Option("--host", help="Address to bind; 0.0.0.0 exposes it to the network.")
    ] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", min=1, max=65535, help="Port to listen on.")
    ] = 8000,
    db: DbOption = None,
) -> None:
    """Serve the web app and REST API (http://127.0.0.1:8000/; schema at /openapi.json)."""
    import uvicorn

    from policylens.serve import create_app
    from policylens.serve.deps import TOKEN_VARIABLE, token_from_environment

    try:
        app = create_app(load_settings(db_url=db), allowed_hosts=allowed_hosts(host))
    except PolicyLensError as exc:
        raise fail(exc) from None
    if not is_loopback(host) and token_from_environment() is None:
        err.print(
            f"[yellow]warning:[/yellow] {escape(host)} is reachable from the network and "
            f"{TOKEN_VARIABLE} is not set: anyone who can reach it can upload and delete."
        )
    shown = f"[{host}]" if ":" in host else host
    err.print(f"PolicyLens on http://{escape(shown)}:{port}/  (Ctrl+C stops it)")
    uvicorn.run(app, host=host, port=port, log_level="info", server_header=False)


def register(app: typer.Typer) -> None:
    """Add this group's commands to the app."""
    app.command("serve")(serve)
