"""The search commands: ``policylens search`` and ``policylens reindex``."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.text import Text

from policylens import api
from policylens.commands import DbOption, err, fail, out, print_json, short_source
from policylens.errors import PolicyLensError
from policylens.search.model import FacetCount, SearchHit, SearchPage

FACETS_SHOWN = 6  # values per facet in the terminal; --json has them all


def search(
    query: Annotated[
        str, typer.Argument(help="Words, all required: 区块链 婚姻, 工业元宇宙 四川, NFT.")
    ] = "",
    db: DbOption = None,
    region: Annotated[
        list[str] | None,
        typer.Option("--region", help="Place name part or code; a province has its cities."),
    ] = None,
    level: Annotated[
        list[str] | None,
        typer.Option("--level", help="national, provincial, municipal or district."),
    ] = None,
    kind: Annotated[
        list[str] | None,
        typer.Option("--kind", help="Item kind (plan_section …) or policy kind (行动计划 …)."),
    ] = None,
    topic: Annotated[
        list[str] | None,
        typer.Option("--topic", help="Topic (metaverse, nft …) or one of its words (元宇宙)."),
    ] = None,
    fact_type: Annotated[
        list[str] | None,
        typer.Option("--type", help="Items holding a fact of this type: policy, target …"),
    ] = None,
    date_from: Annotated[
        str | None, typer.Option("--from", help="Earliest item date, YYYY[-MM[-DD]].")
    ] = None,
    date_to: Annotated[
        str | None, typer.Option("--to", help="Latest item date, YYYY[-MM[-DD]].")
    ] = None,
    doc: Annotated[str | None, typer.Option("--doc", help="Only this document.")] = None,
    limit: Annotated[int, typer.Option("--limit", help="Results per page.")] = 10,
    offset: Annotated[int, typer.Option("--offset", help="Results to skip.")] = 0,
    as_json: Annotated[
        bool, typer.Option("--json", help='Print {"results": [...], "facets": {...}}.')
    ] = False,
) -> None:
    """Search items by words (Chinese-aware, exact), ranked, with snippets and facets."""
    try:
        page = api.search(
            query,
            db,
            region=region,
            level=level,
            kind=kind,
            topic=topic,
            fact_type=fact_type,
            date_from=date_from,
            date_to=date_to,
            document=doc,
            limit=limit,
            offset=offset,
        )
    except PolicyLensError as exc:
        raise fail(exc) from None
    if as_json:
        print_json(page.to_json())
        return
    _print_page(page)


def _print_page(page: SearchPage) -> None:
    if not page.results:
        err.print("No items match." if page.total == 0 else f"No results past {page.offset}.")
        if page.unindexed:
            err.print(f"{page.unindexed} items are not indexed yet: run `policylens reindex`.")
        return
    last = page.offset + len(page.results)
    total = f"{page.total}" if page.exact else f"{page.total}+"
    out.print(f"[bold]{total}[/bold] matches · {page.offset + 1}–{last}\n")
    for rank, hit in enumerate(page.results, start=page.offset + 1):
        _print_hit(rank, hit)
    if not page.exact:
        out.print(Text(f"facets of the newest {page.total} matches:", style="dim"))
    _print_facets(page.facets)


def _print_hit(rank: int, hit: SearchHit) -> None:
    out.print(
        f"[bold]{rank:>3}. {escape(hit.title)}[/bold]  [cyan]{hit.kind}[/cyan]  "
        f"[dim]{escape(short_source(hit.document))} #{hit.index} · score {hit.score:.2f}[/dim]"
    )
    # Text objects, not markup: nothing in a document can be read as a style tag.
    snippet = Text("     " + hit.snippet)
    for start, end in hit.highlights:
        snippet.stylize("bold yellow", start + 5, end + 5)
    out.print(snippet)
    details = [*hit.regions, *hit.dates[:2]]
    if hit.topics:
        details.append("topics " + ", ".join(hit.topics))
    details.extend(f"{f.kind}: {f.label}" for f in hit.facts[:3])
    if details:
        out.print(Text("     " + " · ".join(details), style="dim"))
    out.print()


def _print_facets(facets: dict[str, list[FacetCount]]) -> None:
    for name, counts in facets.items():
        if counts:
            shown = " · ".join(f"{c.value} {c.count}" for c in counts[:FACETS_SHOWN])
            more = f" · +{len(counts) - FACETS_SHOWN}" if len(counts) > FACETS_SHOWN else ""
            out.print(Text(f"{name}: {shown}{more}", style="dim"))


def reindex(db: DbOption = None) -> None:
    """Rebuild the search index of every stored document (after an upgrade or a crash)."""

    def report(source: str, items: int) -> None:
        out.print(f"{items:>5} items  {escape(short_source(source))}")

    try:
        count = api.reindex(db, on_document=report)
    except PolicyLensError as exc:
        raise fail(exc) from None
    out.print(f"Indexed {count} documents.")


def register(app: typer.Typer) -> None:
    """Add this group's commands to the app."""
    app.command("search")(search)
    app.command("reindex")(reindex)
