"""Commands that report across the knowledge base: compare, timeline, export, import."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import IO, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from policylens import api
from policylens.commands import DbOption, JsonOption, err, fail, out, print_json
from policylens.errors import PolicyLensError
from policylens.report.compare import COMPARE_COLUMNS, TABLE_COLUMNS, Figure, figure_row
from policylens.report.tables import Cell, cell_text, write_csv, write_xlsx
from policylens.report.timeline import TIMELINE_COLUMNS, TimelineEntry, entry_row

COMPARE_FORMATS = ("table", "csv", "xlsx", "png", "svg", "json")
TIMELINE_FORMATS = ("table", "csv", "json")
LEVELS = ("national", "provincial", "municipal", "district")

OutputOption = Annotated[
    Path | None, typer.Option("--output", "-o", help="Write to this file instead of the terminal.")
]


def _choose_format(given: str | None, output: Path | None, allowed: Sequence[str]) -> str:
    """Return the output format: as given, else from the output file's suffix, else table."""
    fmt = given or (output.suffix.lstrip(".").lower() if output and output.suffix else "table")
    if fmt not in allowed:
        err.print(f"[red]error:[/red] --format must be one of {', '.join(allowed)}, not {fmt!r}")
        raise typer.Exit(2)
    return fmt


def _rich_table(columns: Sequence[str], rows: list[list[Cell]], title: str = "") -> Table:
    table = Table(title=escape(title) or None, title_justify="left")
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*(escape(cell_text(cell)) for cell in row))
    return table


def _write_text(output: Path | None, write: Callable[[IO[str]], None]) -> None:
    """Call ``write(stream)`` on stdout, or on the output file (UTF-8)."""
    if output is None:
        write(sys.stdout)
        return
    with output.open("w", encoding="utf-8", newline="") as stream:
        write(stream)
    err.print(f"wrote {escape(str(output))}")


def _print_table(table: Table, output: Path | None) -> None:
    if output is None:
        out.print(table)
        return
    with output.open("w", encoding="utf-8") as stream:
        Console(file=stream, width=200, highlight=False).print(table)
    err.print(f"wrote {escape(str(output))}")


def _compare_title(metric: str, sector: str | None, year: int | None, level: str | None) -> str:
    return " · ".join(str(part) for part in (metric, sector, year, level) if part)


def compare(
    metric: Annotated[
        str, typer.Option("--metric", help="Target metric (data/metrics.tsv), e.g. industry_scale.")
    ] = "industry_scale",
    sector: Annotated[
        str | None,
        typer.Option(
            "--sector",
            help="Only figures about this sector, e.g. 元宇宙 (also matches 元宇宙核心产业).",
        ),
    ] = None,
    year: Annotated[int | None, typer.Option("--year", help="Only this target year.")] = None,
    level: Annotated[
        str | None, typer.Option("--level", help="national, provincial, municipal or district.")
    ] = None,
    output_format: Annotated[
        str | None,
        typer.Option(
            "--format",
            help="table, csv, xlsx, png, svg or json (default: from the -o suffix, else table).",
        ),
    ] = None,
    output: OutputOption = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Compare regions on a target metric: a row per figure with its sources; conflicts marked."""
    fmt = "json" if as_json else _choose_format(output_format, output, COMPARE_FORMATS)
    if level is not None and level not in LEVELS:
        err.print(f"[red]error:[/red] --level must be one of {', '.join(LEVELS)}")
        raise typer.Exit(2)
    if fmt in ("xlsx", "png", "svg") and output is None:
        output = Path(f"compare-{metric}.{fmt}")
    try:
        if fmt in ("png", "svg"):
            assert output is not None
            font = api.compare_chart(output, metric, db, sector, year, level, fmt)
            err.print(f"wrote {escape(str(output))} (labels in {escape(font.family)})")
            return
        figures = api.compare(metric, db, sector, year, level)
    except PolicyLensError as exc:
        raise fail(exc) from None
    _emit_figures(figures, fmt, output, _compare_title(metric, sector, year, level))
    if not figures:
        err.print("No targets match: try without --sector/--year/--level, or `policylens facts`.")


def _emit_figures(figures: list[Figure], fmt: str, output: Path | None, title: str) -> None:
    rows = [figure_row(f) for f in figures]
    if fmt == "json":
        _write_text(output, lambda s: _dump_json([asdict(f) for f in figures], s))
    elif fmt == "csv":
        _write_text(output, lambda s: write_csv(COMPARE_COLUMNS, rows, s))
    elif fmt == "xlsx" and output is not None:
        write_xlsx([("compare", COMPARE_COLUMNS, rows)], output)
        err.print(f"wrote {escape(str(output))}")
    else:
        _print_table(_compare_table(figures, title), output)


def _compare_table(figures: list[Figure], title: str) -> Table:
    # The conflict column only when there is one; conflicting figures are red too.
    columns = tuple(c for c in TABLE_COLUMNS if c != "conflict" or any(f.conflict for f in figures))
    table = _rich_table(columns, [figure_row(f, columns) for f in figures], title)
    for column in table.columns:
        column.no_wrap = column.header in ("region", "value", "target_year", "date")
    for row, figure in zip(table.rows, figures, strict=True):
        row.style = "red" if figure.conflict else None
    return table


def _dump_json(payload: Any, stream: IO[str]) -> None:
    if stream is sys.stdout:
        print_json(payload)
        return
    stream.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")


def timeline(
    topic: Annotated[
        str | None,
        typer.Option("--topic", help="Topic or its word: metaverse, 元宇宙, blockchain."),
    ] = None,
    region: Annotated[
        str | None, typer.Option("--region", help="Place name; includes the places under it.")
    ] = None,
    date_from: Annotated[
        str | None, typer.Option("--from", help="Earliest date, YYYY-MM-DD.")
    ] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="Latest date, YYYY-MM-DD.")] = None,
    output_format: Annotated[
        str | None, typer.Option("--format", help="table, csv or json (default: table).")
    ] = None,
    output: OutputOption = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show dated policies and events in order, each with its sources (document, quote)."""
    fmt = "json" if as_json else _choose_format(output_format, output, TIMELINE_FORMATS)
    try:
        entries = api.timeline(db, topic, region, date_from, date_to)
    except PolicyLensError as exc:
        raise fail(exc) from None
    if fmt == "json":
        _write_text(output, lambda s: _dump_json([asdict(e) for e in entries], s))
    elif fmt == "csv":
        rows = [entry_row(e) for e in entries]
        _write_text(output, lambda s: write_csv(TIMELINE_COLUMNS, rows, s))
    else:
        _print_table(_timeline_table(entries), output)
    if not entries:
        err.print("No dated policies or events match.")


def _timeline_table(entries: list[TimelineEntry]) -> Table:
    table = Table()
    for column in ("date", "kind", "title", "region", "sources"):
        table.add_column(column, overflow="fold")
    for entry in entries:
        sources = "\n".join(
            f"{s.document}: {s.quote.replace(chr(10), ' ')[:60]}" for s in entry.sources
        )
        table.add_row(
            entry.date, entry.kind, escape(entry.title), escape(entry.region or ""), escape(sources)
        )
    return table


def export(
    output_format: Annotated[
        str, typer.Option("--format", help="jsonl (re-importable), csv (a folder) or xlsx.")
    ] = "jsonl",
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="File (jsonl, xlsx) or folder (csv) (default: stdout for jsonl, "
            "policylens-export/ for csv, policylens-export.xlsx).",
        ),
    ] = None,
    db: DbOption = None,
) -> None:
    """Export documents, items, facts, policies and links: JSONL, CSV files or an XLSX workbook."""
    target: Path | IO[str] = output or _default_export(output_format)
    try:
        summary = api.export(target, output_format, db)
    except PolicyLensError as exc:
        raise fail(exc) from None
    rows = ", ".join(f"{n} {name}" for name, n in summary.rows.items() if n)
    err.print(f"exported {rows or 'an empty knowledge base'}" + _where(target))
    if summary.cut_cells:
        err.print(
            f"note: {summary.cut_cells} cells were longer than Excel allows and were cut "
            "(marked …[cut]); --format jsonl keeps everything"
        )


def _default_export(fmt: str) -> Path | IO[str]:
    return {"csv": Path("policylens-export"), "xlsx": Path("policylens-export.xlsx")}.get(
        fmt, sys.stdout
    )


def _where(target: Path | IO[str]) -> str:
    return f" to {escape(str(target))}" if isinstance(target, Path) else ""


def import_(
    file: Annotated[
        str, typer.Argument(help="A JSONL export (policylens export), or - for stdin.")
    ],
    db: DbOption = None,
) -> None:
    """Load a JSONL export into an empty knowledge base (one transaction; refuses a full one)."""
    source: Path | IO[str] = sys.stdin if file == "-" else Path(file)
    if isinstance(source, Path) and not source.is_file():
        err.print(f"[red]error:[/red] {escape(file)}: no such file")
        raise typer.Exit(2)
    try:
        counts = api.import_jsonl(source, db)
    except PolicyLensError as exc:
        raise fail(exc) from None
    rows = ", ".join(f"{n} {name}" for name, n in counts.items() if n)
    out.print(f"imported {rows or 'nothing (the export was empty)'}")


def register(app: typer.Typer) -> None:
    """Add this group's commands to the app."""
    app.command()(compare)
    app.command()(timeline)
    app.command()(export)
    app.command("import")(import_)
