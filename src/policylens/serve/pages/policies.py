"""Pages: the policies (most mentioned first) and one policy with its mentions and money."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse

from policylens import api
from policylens.link import PolicyDetail
from policylens.serve.deps import State
from policylens.serve.pages.render import render
from policylens.store.facts import FactRecord

router = APIRouter()

PAGE_SIZE = 50


@router.get("/policies", response_class=HTMLResponse)
def policies_page(
    request: Request,
    state: State,
    region: Annotated[str, Query(max_length=100)] = "",
    contains: Annotated[str, Query(max_length=300)] = "",
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> HTMLResponse:
    """Every linked policy with its mentions and sources, filterable by region and title."""
    found = api.policies(state.db, region or None, contains or None)
    context = {
        "policies": found[offset : offset + PAGE_SIZE],
        "total": len(found),
        "offset": offset,
        "page_size": PAGE_SIZE,
        "region": region,
        "contains": contains,
    }
    return render(request, "policies.html", context)


def policy_money(detail: PolicyDetail, db: str) -> list[FactRecord]:
    """Return the funding facts stated in the items that mention the policy."""
    places = {(m.document_id, m.item_index) for m in detail.mentions}
    money: list[FactRecord] = []
    for document_id in sorted({m.document_id for m in detail.mentions}):
        money += [
            f
            for f in api.facts(db, kind="funding", document=str(document_id))
            if (f.document_id, f.item_index) in places
        ]
    return money


@router.get("/policies/{policy_id}", response_class=HTMLResponse)
def policy_page(
    request: Request, state: State, policy_id: Annotated[int, Path(ge=1, le=2**31 - 1)]
) -> HTMLResponse:
    """A policy: mentions across sources (score, reason), targets, money; merge and split."""
    detail = api.policy(policy_id, state.db)
    context = {"detail": detail, "money": policy_money(detail, state.db)}
    return render(request, "policy.html", context)
