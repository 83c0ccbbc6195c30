"""The brief command: ``policylens brief`` writes a weekly brief, newsletter or roundup."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from policylens import api
from policylens.brief import FORMATS, STYLES
from policylens.commands import DbOption, err, fail
from policylens.errors import PolicyLensError


def _format(given: str | None, output: Path | None) -> str:
    """Return the output format: as given, else from the output file's suffix, else md."""
    fmt = given or (output.suffix.lstrip(".").lower() if output and output.suffix else "md")
    if fmt not in FORMATS:
        err.print(f"[red]error:[/red] --format must be one of {', '.join(FORMATS)}, not {fmt!r}")
        raise typer.Exit(2)
    return fmt


def brief(
    date_from: Annotated[str, typer.Option("--from", help="First day of the period, YYYY-MM-DD.")],
    date_to: Annotated[str, typer.Option("--to", help="Last day of the period, YYYY-MM-DD.")],
    style: Annotated[
        str, typer.Option("--style", help="weekly, newsletter or roundup.")
    ] = "weekly",
    topic: Annotated[
        str | None,
        typer.Option("--topic", help="Topics, comma-separated: metaverse,blockchain (or 元宇宙)."),
    ] = None,
    region: Annotated[
        str | None, typer.Option("--region", help="Place name part; 四川 includes 成都.")
    ] = None,
    fmt: Annotated[
        str | None,
        typer.Option("--format", help="md, html or docx (default: from -o's suffix, else md)."),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write to this file (docx always goes to a file)."),
    ] = None,
    explain: Annotated[
        bool, typer.Option("--explain", help="Append the facts (ids, quotes, sources) used.")
    ] = False,
    db: DbOption = None,
) -> None:
    """Write a brief of a period from the knowledge base: weekly, newsletter or roundup."""
    if style not in STYLES:
        err.print(f"[red]error:[/red] --style must be one of {', '.join(STYLES)}, not {style!r}")
        raise typer.Exit(2)
    fmt = _format(fmt, output)
    if fmt == "docx" and output is None:
        output = Path(f"brief-{style}-{date_from}-{date_to}.docx")
    try:
        written = api.brief(date_from, date_to, style, topic, region, db)
        if output is None:
            rendered = api.render_brief(written, fmt, explain)
            assert isinstance(rendered, str), "md and html are text"
            sys.stdout.write(rendered)
        else:
            api.write_brief(written, output, fmt, explain)
    except PolicyLensError as exc:
        raise fail(exc) from None
    if output is not None:
        err.print(f"wrote {escape(str(output))}: {len(written.entries)} entries")
    if not written.entries:
        err.print("No entries in this period (try a wider --from/--to, or fewer filters).")


def register(app: typer.Typer) -> None:
    """Add this group's commands to the app."""
    app.command("brief")(brief)
