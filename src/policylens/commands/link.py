"""Commands over links: link, policies, policy, merge, split, duplicates."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from policylens import api
from policylens.commands import DbOption, JsonOption, err, fail, out, print_json, short_source
from policylens.errors import PolicyLensError
from policylens.link import DuplicateCluster, PolicyDetail, PolicySummary
from policylens.store.facts import FactRecord

PolicyId = Annotated[int, typer.Argument(help="Policy id, as `policylens policies` lists it.")]


def link(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Link everything again from scratch: duplicate items and policy mentions.

    Ingest and reextract link what they add; this rebuilds every link, for instance after
    editing data files such as policy_kind_families.tsv.
    """
    try:
        summary = api.link(db)
    except PolicyLensError as exc:
        raise fail(exc) from None
    if as_json:
        print_json([asdict(summary)])
        return
    out.print(
        f"{summary.policies} policies from {summary.mentions} mentions "
        f"({summary.multi_source} named by several documents); "
        f"{summary.clusters} duplicate stories over {summary.duplicate_items} items "
        f"[dim]({summary.seconds:.1f} s)[/dim]"
    )


def policies(
    db: DbOption = None,
    region: Annotated[
        str | None, typer.Option("--region", help="Place name part, e.g. 四川 or 成都.")
    ] = None,
    contains: Annotated[
        str | None, typer.Option("--contains", help="Text in the policy's title.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """List policies, each once however many sources mention it, most mentioned first."""
    try:
        found = api.policies(db, region, contains)
    except PolicyLensError as exc:
        raise fail(exc) from None
    if as_json:
        print_json([asdict(p) for p in found])
        return
    table = Table()
    table.add_column("id", no_wrap=True)
    table.add_column("title", overflow="fold", min_width=16, ratio=3)
    table.add_column("region", overflow="fold", ratio=1)
    for column in ("level", "kind", "period", "date", "mentions", "sources"):
        table.add_column(column, no_wrap=column != "kind", overflow="fold")
    for p in found:
        table.add_row(
            str(p.id),
            escape(p.normalized_title),
            escape(p.region or ""),
            p.level or "",
            escape(p.kind or ""),
            p.period or "",
            p.date or "",
            str(p.mentions),
            str(p.sources),
        )
    out.print(table)
    if not found:
        err.print(
            "No policies yet: ingest documents, or run `policylens link` on an older database."
        )


def policy(policy_id: PolicyId, db: DbOption = None, as_json: JsonOption = False) -> None:
    """Show one policy with every mention (and why it is linked), its targets and sources."""
    try:
        detail = api.policy(policy_id, db)
    except PolicyLensError as exc:
        raise fail(exc) from None
    if as_json:
        print_json([asdict(detail)])
        return
    _print_policy(detail)


def merge(
    policy_ids: Annotated[list[int], typer.Argument(help="Two or more policy ids to make one.")],
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Make several policies one; the decision is kept across reextract and new ingests."""
    try:
        detail = api.merge_policies(policy_ids, db)
    except PolicyLensError as exc:
        raise fail(exc) from None
    if as_json:
        print_json([asdict(detail)])
        return
    out.print(f"Merged into policy {_headline(detail.policy)}")


def split(
    policy_id: PolicyId,
    mentions: Annotated[
        list[int],
        typer.Option(
            "--mention",
            help="Fact id of a mention to take out (repeatable); see `policylens policy ID`.",
        ),
    ],
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Take mentions out of a policy; the decision is kept across reextract and new ingests."""
    try:
        detail = api.split_policy(policy_id, mentions, db)
    except PolicyLensError as exc:
        raise fail(exc) from None
    if as_json:
        print_json([asdict(detail)])
        return
    out.print(f"Split into policy {_headline(detail.policy)}")


def duplicates(db: DbOption = None, as_json: JsonOption = False) -> None:
    """List stories told by several near-duplicate items, each item with its own source."""
    try:
        clusters = api.duplicates(db)
    except PolicyLensError as exc:
        raise fail(exc) from None
    if as_json:
        print_json([asdict(c) for c in clusters])
        return
    for cluster in clusters:
        _print_cluster(cluster)
    if not clusters:
        err.print("No duplicate items found.")


def _headline(p: PolicySummary) -> str:
    extra = " · ".join(filter(None, [p.region, p.kind, p.period, p.date, p.doc_number]))
    return (
        f"[bold]{p.id}. {escape(p.normalized_title)}[/bold]  [dim]{escape(extra)} · "
        f"{p.mentions} mentions in {p.sources} sources[/dim]"
    )


def _print_policy(detail: PolicyDetail) -> None:
    p = detail.policy
    out.print(_headline(p))
    if p.issuers:
        out.print(f"[dim]issuers: {escape('、'.join(p.issuers))}[/dim]")
    out.print("\n[bold]Mentions[/bold]")
    for m in detail.mentions:
        where = f"doc {m.document_id} {short_source(m.document)} item {m.item_index}"
        out.print(
            f"  fact {m.fact_id}  [cyan]{escape(where)}[/cyan]  {escape(m.title)}  "
            f"[dim]{m.decided_by} {m.score:.2f}: {escape(m.reason)}[/dim]"
        )
        out.print(f"    [dim]“{escape(_one_line(m.quote))}” @{m.raw_span[0]}-{m.raw_span[1]}[/dim]")
    if detail.targets:
        out.print("\n[bold]Targets[/bold]")
        for t in detail.targets:
            out.print(
                f"  {escape(t.label)}: {_target_value(t)}  "
                f"[dim]doc {t.document_id} “{escape(_one_line(t.quote))}”[/dim]"
            )
    out.print("\n[bold]Sources[/bold]")
    for s in detail.sources:
        name = escape(short_source(s.source))
        out.print(f"  doc {s.document_id} {name}  {escape(s.title or '')}")
        for url in s.urls:
            out.print(f"    [dim]{escape(url)}[/dim]")


def _one_line(text: str) -> str:
    """Return a quote on one line (a raw quote may span a PDF page break)."""
    return " ".join(text.split())


def _target_value(t: FactRecord) -> str:
    """Return a target's value for a list: ``1e+11 CNY (at_least) by 2025``."""
    v = t.values
    low, high = v["value_low"], v["value_high"]
    shown = f"{low:g}" if low == high else f"{low:g}–{high:g}"
    year = f" by {v['target_year']}" if v.get("target_year") else ""
    return f"{shown} {v['unit']} ({v['qualifier']}){year}"


def _print_cluster(cluster: DuplicateCluster) -> None:
    out.print(
        f"[bold]{cluster.id}. {escape(cluster.title)}[/bold]  "
        f"[dim]{cluster.size} items in {cluster.documents} documents[/dim]"
    )
    for m in cluster.members:
        out.print(
            f"  item {m.item_id}  [cyan]doc {m.document_id} {escape(short_source(m.document))} "
            f"#{m.index}[/cyan]  {escape(m.title[:50])}  [dim]{m.score:.2f}[/dim]"
        )


def register(app: typer.Typer) -> None:
    """Add this group's commands to the app."""
    for command in (link, policies, policy, merge, split, duplicates):
        app.command()(command)
