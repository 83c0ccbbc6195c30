"""The ``policylens`` command: thin Typer commands over ``policylens.api``."""

from __future__ import annotations

import csv
import logging
import math
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError

from policylens import api
from policylens.commands import (
    DbOption,
    JsonOption,
    app,
    err,
    fail,
    out,
    print_json,
    short_source,
)
from policylens.config import load_settings
from policylens.errors import PolicyLensError
from policylens.evaluate import evaluate
from policylens.report.tables import format_amount, format_range
from policylens.store import ItemRecord
from policylens.store.facts import FactRecord


def _positive_megabytes(value: float | None) -> float | None:
    """Return a --max-size as given, refusing one no file size compares with sensibly."""
    # nan and inf pass typer's float parsing and a min= range, then fail on every file;
    # zero or a negative limit would refuse every file.
    if value is not None and not (math.isfinite(value) and value > 0):
        raise typer.BadParameter("Input should be a finite number of megabytes greater than 0")
    return value


@app.command()
def ingest(
    inputs: Annotated[list[str], typer.Argument(help="Files, folders or http(s) URLs.")],
    db: DbOption = None,
    include: Annotated[
        list[str] | None,
        typer.Option("--include", help="Glob of files to take from folders (repeatable)."),
    ] = None,
    exclude: Annotated[
        list[str] | None,
        typer.Option("--exclude", help="Glob of files to skip in folders (repeatable)."),
    ] = None,
    workers: Annotated[
        int,
        typer.Option(
            "--workers", min=1, help="Processes that read and process sources (this one included)."
        ),
    ] = 1,
    dask: Annotated[
        str | None,
        typer.Option("--dask", help="Dask scheduler address, or 'local' for a LocalCluster."),
    ] = None,
    max_size: Annotated[
        float | None,
        typer.Option(
            "--max-size",
            callback=_positive_megabytes,
            help="Largest file accepted, in MB (a number > 0) [default: 50].",
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Read documents, clean and segment them, and store them (same bytes are stored once)."""
    settings = load_settings(
        db_url=db,
        max_file_mb=max_size,
        include=tuple(include) if include else None,
        exclude=tuple(exclude) if exclude else None,
    )
    with Progress(
        TextColumn("[bold]ingest"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.description}"),
        console=err,
        transient=True,
        disable=as_json,
    ) as progress:
        task = progress.add_task("", total=None)

        def on_sources(total: int) -> None:
            progress.update(task, total=total)

        def on_result(result: api.SourceResult) -> None:
            progress.update(task, advance=1, description=escape(result.source[-50:]))
            if result.status == "error":
                progress.console.print(
                    f"[red]error:[/red] {escape(result.source)}: {escape(result.problem or '')}"
                )

        try:
            report = api.ingest(
                inputs,
                settings=settings,
                on_result=on_result,
                on_sources=on_sources,
                workers=workers,
                dask=dask,
            )
        except PolicyLensError as exc:
            raise fail(exc) from None
    if as_json:
        print_json([asdict(r) for r in report.results])
    else:
        _print_ingest_summary(report, settings.db_url)
    if not report.ok:
        raise typer.Exit(1)


def _print_ingest_summary(report: api.IngestReport, db_url: str) -> None:
    table = Table(title=f"Ingest into {escape(db_url)}", title_justify="left")
    for column in ("documents stored", "items", "facts", "skipped as duplicates", "errors"):
        table.add_column(column, justify="right")
    table.add_row(
        str(report.count("stored")),
        str(report.items),
        str(report.facts),
        str(report.count("duplicate")),
        str(report.count("error")),
    )
    out.print(table)


@app.command("ls")
def list_documents(db: DbOption = None, as_json: JsonOption = False) -> None:
    """List stored documents."""
    try:
        docs = api.documents(db)
    except PolicyLensError as exc:
        raise fail(exc) from None
    if as_json:
        print_json([asdict(d) for d in docs])
        return
    table = Table()
    for column in ("id", "source", "title", "format", "encoding", "items", "chars"):
        table.add_column(column, overflow="fold")
    for d in docs:
        table.add_row(
            str(d.id),
            escape(short_source(d.source)),
            escape((d.title or "")[:40]),
            d.format,
            d.encoding or "",
            str(d.items),
            str(d.chars),
        )
    out.print(table)
    if not docs:
        err.print("No documents yet: try `policylens ingest examples/corpus`.")


@app.command()
def show(
    doc: Annotated[
        str, typer.Argument(help="Document id or a unique part of its source, e.g. 003.")
    ],
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show a document's clean text, item by item."""
    try:
        detail = api.document(doc, db)
    except PolicyLensError as exc:
        raise fail(exc) from None
    if as_json:
        print_json([asdict(detail)])
        return
    s = detail.summary
    out.print(f"[bold]#{s.id} {escape(s.title or s.source)}[/bold]")
    out.print(
        f"[dim]{escape(s.source)} · {s.format} · {s.encoding or '-'} · "
        f"{s.items} items · sha256 {s.sha256[:12]}[/dim]\n"
    )
    for item in detail.items:
        _print_item(item, with_text=True)


def _print_item(item: ItemRecord, with_text: bool) -> None:
    where = " › ".join(item.path[1:]) if len(item.path) > 1 else (item.section or "")
    label = f"[cyan]{item.kind}[/cyan]" + (f" [dim]{escape(where)}[/dim]" if where else "")
    out.print(
        f"[bold]{item.index:>3}. {escape(item.title)}[/bold]  {label}  "
        f"[dim]doc {item.document_id} @{item.span[0]}-{item.span[1]}[/dim]"
    )
    if item.responsible:
        out.print(f"     [dim]责任单位: {escape('、'.join(item.responsible))}[/dim]")
    for link in item.links:
        out.print(f"     [dim][{link.number or '-'}] {escape(link.url)}[/dim]")
    if with_text:
        out.print(escape(item.text) + "\n")


@app.command()
def items(
    db: DbOption = None,
    doc: Annotated[
        str | None, typer.Option("--doc", help="Only this document (id or name part).")
    ] = None,
    kind: Annotated[
        str | None,
        typer.Option(
            "--kind",
            help="digest_entry, plan_section, article, front_matter, notice, contents, "
            "back_matter.",
        ),
    ] = None,
    section: Annotated[
        str | None, typer.Option("--section", help="Digest section, e.g. 政策速递.")
    ] = None,
    contains: Annotated[
        str | None, typer.Option("--contains", help="Text the item must contain.")
    ] = None,
    limit: Annotated[int | None, typer.Option("--limit", help="Show at most this many.")] = None,
    full: Annotated[bool, typer.Option("--full", help="Print each item's whole text.")] = False,
    as_json: JsonOption = False,
) -> None:
    """List items (digest entries, plan sections …) across stored documents."""
    try:
        records = api.items(db, doc, kind, section, contains, limit)
    except PolicyLensError as exc:
        raise fail(exc) from None
    if as_json:
        print_json([asdict(r) for r in records])
        return
    current = None
    for record in records:
        if record.document_id != current:
            current = record.document_id
            out.print(
                f"\n[bold magenta]doc {record.document_id}[/bold magenta] "
                f"[dim]{escape(record.document)}[/dim]"
            )
        _print_item(record, with_text=full)
    if not records:
        err.print("No items match.")


FACT_COLUMNS = ("id", "kind", "label", "region", "metric", "date", "value", "quote", "document")


def _fact_value(record: FactRecord) -> str:
    values = record.values
    if record.kind == "target":
        low, high, unit = values["value_low"], values["value_high"], values["unit"]
        shown = format_range(low, high, unit)
        return f"{shown} ({values['qualifier']})"
    if record.kind == "funding":
        return f"最高{format_amount(values['amount_cny_max'], 'CNY')}"
    if record.kind == "deal":
        return values.get("amount_text") or ""
    if record.kind == "policy":
        return " ".join(filter(None, [values.get("kind"), values.get("doc_number")]))
    if record.kind == "date":
        return f"{values['date']['value']} (year: {values['date']['year_from']})"
    return ""


@app.command()
def facts(
    db: DbOption = None,
    kind: Annotated[
        str | None,
        typer.Option("--type", help="policy, target, funding, deal, event, topic or date."),
    ] = None,
    region: Annotated[
        str | None,
        typer.Option("--region", help="Place name; a province includes its cities, e.g. 四川."),
    ] = None,
    metric: Annotated[
        str | None, typer.Option("--metric", help="Target metric, e.g. industry_scale.")
    ] = None,
    date_from: Annotated[
        str | None, typer.Option("--from", help="Earliest date, YYYY-MM-DD.")
    ] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="Latest date, YYYY-MM-DD.")] = None,
    doc: Annotated[str | None, typer.Option("--doc", help="Only this document.")] = None,
    contains: Annotated[
        str | None, typer.Option("--contains", help="Text in label or quote.")
    ] = None,
    output: Annotated[str, typer.Option("--format", help="table, json or csv.")] = "table",
    as_json: JsonOption = False,
) -> None:
    """List extracted facts, each with its source document and exact quote."""
    if output not in ("table", "json", "csv"):
        err.print(f"[red]error:[/red] --format must be table, json or csv, not {escape(output)!r}")
        raise typer.Exit(2)
    try:
        records = api.facts(db, kind, region, metric, date_from, date_to, doc, contains)
    except PolicyLensError as exc:
        raise fail(exc) from None
    if as_json or output == "json":
        print_json([asdict(r) for r in records])
        return
    rows = [
        [
            str(r.id),
            r.kind,
            r.label,
            r.region or "",
            r.metric or "",
            r.date or "",
            _fact_value(r),
            r.quote.replace("\n", " "),
            short_source(r.document),
        ]
        for r in records
    ]
    if output == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(FACT_COLUMNS)
        writer.writerows(rows)
        return
    table = Table()
    for column in FACT_COLUMNS:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*(escape(cell[:60]) for cell in row))
    out.print(table)
    if not records:
        err.print("No facts match.")


@app.command()
def reextract(db: DbOption = None) -> None:
    """Extract facts again from stored documents, after rules or data files changed."""

    def report(source: str, found: int) -> None:
        out.print(f"{found:>5} facts  {escape(short_source(source))}")

    try:
        count = api.reextract(db, on_document=report)
    except PolicyLensError as exc:
        raise fail(exc) from None
    out.print(f"Re-extracted {count} documents.")


@app.command("eval")
def evaluate_gold(
    folder: Annotated[Path, typer.Argument(help="Gold folder with docs/ and gold/.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the full report as JSON.")] = False,
) -> None:
    """Score extraction against a gold folder: precision, recall, F1 and field accuracy."""
    try:
        report = evaluate(folder).to_json()
    except PolicyLensError as exc:
        raise fail(exc) from None
    if as_json:
        print_json(report)
        return
    _print_scores(f"Overall ({len(report['documents'])} documents)", report["overall"])
    fields = Table(title="Field accuracy on matched facts", title_justify="left")
    fields.add_column("field")
    fields.add_column("accuracy", justify="right")
    for name, value in report["fields"].items():
        fields.add_row(name, "-" if value is None else f"{value:.3f}")
    out.print(fields)
    for name, scores in report["documents"].items():
        _print_scores(name, scores)
    for name, problem in report["errors"].items():
        err.print(f"[red]error:[/red] {escape(name)}: {escape(problem)}")


def _print_scores(title: str, scores: dict[str, dict[str, float]]) -> None:
    table = Table(title=escape(title), title_justify="left")
    for column in ("fact type", "precision", "recall", "F1", "gold", "found"):
        table.add_column(column, justify="right")
    for name, s in scores.items():
        table.add_row(
            name,
            f"{s['precision']:.3f}",
            f"{s['recall']:.3f}",
            f"{s['f1']:.3f}",
            str(s["gold"]),
            str(s["found"]),
        )
    out.print(table)


@app.command()
def bench(
    docs: Annotated[
        int, typer.Option("--docs", min=5, help="Synthetic documents to generate.")
    ] = 200,
    pg: Annotated[
        str | None,
        typer.Option(
            "--pg",
            envvar="POLICYLENS_BENCH_PG_URL",
            help="PostgreSQL URL to time storage there too.",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
    search_sizes: Annotated[
        str,
        typer.Option(
            "--search-sizes",
            help="Knowledge-base sizes (items, comma-separated) to time searches at; '' for none.",
        ),
    ] = "10000,100000",
    large: Annotated[
        bool, typer.Option("--large", help="Time searches at 1,000,000 items too (minutes).")
    ] = False,
) -> None:
    """Benchmark every stage against the floor (decode + OpenCC) on a synthetic corpus,
    and search latency on knowledge bases of 10 k and 100 k items (1 M with --large)."""
    from policylens.bench import run
    from policylens.bench.search import LARGE_SIZE

    try:
        sizes = tuple(int(size) for size in search_sizes.replace("_", "").split(",") if size)
    except ValueError:
        raise typer.BadParameter("sizes are whole numbers: 10000,100000") from None
    sizes += (LARGE_SIZE,) if large and LARGE_SIZE not in sizes else ()

    def log(line: str) -> None:
        err.print(f"[dim]bench: {line}[/dim]")

    report = run(docs, pg_url=pg, log=log, search_sizes=sizes).to_json()
    if as_json:
        print_json(report)
        return
    table = Table(
        title=f"{report['documents']} documents, {report['megabytes']} MB, {report['cores']} cores",
        title_justify="left",
    )
    table.add_column("figure")
    table.add_column("value", justify="right")
    for key, value in report.items():
        if key == "goals":
            continue
        if key == "stage_mbps":
            for stage, mbps in value.items():
                table.add_row(f"{stage} MB/s", f"{mbps:g}")
        elif key not in ("documents", "megabytes", "cores"):
            for name, figure in _flat_figures(key, value):
                table.add_row(name, "-" if figure is None else escape(f"{figure:g}"))
    out.print(table)
    goals = Table(title="Goals", title_justify="left")
    for column in ("figure", "value", "goal", "met"):
        goals.add_column(column, justify="left" if column == "figure" else "right")
    for check in report["goals"]:
        met = "[green]yes[/green]" if check["met"] else "[red]no[/red]"
        goals.add_row(escape(check["name"]), f"{check['value']:g}", escape(check["goal"]), met)
    out.print(goals)


def _flat_figures(key: str, value: Any) -> list[tuple[str, Any]]:
    """Return a figure, or the figures nested under it, as (name, value) rows."""
    if isinstance(value, dict):
        return [row for k, v in value.items() for row in _flat_figures(f"{key} {k}", v)]
    if isinstance(value, str):  # a label (the slowest search), not a figure
        return []
    return [(key, value)]


def _register_command_groups() -> None:
    # Command groups live in their own modules (commands/*.py); each adds its commands here.
    from policylens.commands import brief, link, report, search, serve

    for group in (link, report, search, serve, brief):
        group.register(app)


_register_command_groups()


def main() -> None:
    """Run the CLI."""
    # pypdf logs its own complaints about broken files; the CLI reports them
    # itself, in one line naming the file.
    logging.getLogger("pypdf").setLevel(logging.CRITICAL)
    try:
        app()
    except SQLAlchemyError as exc:
        # A database failure the commands did not expect: one line, never a traceback.
        err.print(f"[red]error:[/red] database: {escape(str(getattr(exc, 'orig', exc)))}")
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
