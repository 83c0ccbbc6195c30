"""Shared pieces of the ``policylens`` command: the app, consoles, common options, output."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from policylens.errors import PolicyLensError
from policylens.report.tables import short_name

app = typer.Typer(
    help="PolicyLens: Chinese emerging-tech policy documents → a sourced knowledge base.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
out = Console(highlight=False, soft_wrap=True)
# One error per line, never wrapped, so a log can be grepped by file name.
err = Console(stderr=True, highlight=False, soft_wrap=True)

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        envvar="POLICYLENS_DB",
        show_envvar=True,
        help="SQLAlchemy URL or SQLite file path [default: policylens.db].",
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print a JSON list of objects.")]


def print_json(payload: Any) -> None:
    """Print a payload as indented UTF-8 JSON on stdout."""
    sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")


def fail(exc: PolicyLensError) -> typer.Exit:
    """Print an error as one line and return the exit to raise."""
    err.print(f"[red]error:[/red] {escape(str(exc))}")
    return typer.Exit(2)


# A source as listed: a file's name, or the URL itself (one rule for tables and citations).
short_source = short_name
