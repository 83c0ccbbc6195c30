"""Page: search with facets (region tree, level, kind, topic, fact type, dates), paginated."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from policylens import api
from policylens.errors import SearchError
from policylens.serve.deps import State
from policylens.serve.pages.render import render
from policylens.serve.routes import DATE_PATTERN
from policylens.serve.views import highlighted, region_tree

router = APIRouter()

PAGE_SIZE = 10
MAX_OFFSET = 10_000
FILTERS = ("region", "level", "kind", "topic", "type")
# Facet name → the query parameter its values filter by (year sets from and to).
FACET_PARAMS = {
    "level": "level",
    "kind": "kind",
    "policy_kind": "kind",
    "topic": "topic",
    "fact_type": "type",
}


def _filters(request: Request) -> dict[str, list[str]]:
    return {name: request.query_params.getlist(name)[:20] for name in FILTERS}


@router.get("/search", response_class=HTMLResponse)
def search_page(
    request: Request,
    state: State,
    q: Annotated[str, Query(max_length=300)] = "",
    date_from: Annotated[str | None, Query(alias="from", pattern=DATE_PATTERN)] = None,
    date_to: Annotated[str | None, Query(alias="to", pattern=DATE_PATTERN)] = None,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> HTMLResponse:
    """Ranked results with highlighted snippets; facet counts over all matches."""
    filters = _filters(request)
    context: dict[str, Any] = {
        "q": q,
        "filters": filters,
        "date_from": date_from or "",
        "date_to": date_to or "",
        "page": None,
        "problem": None,
        "facet_params": FACET_PARAMS,
        "page_size": PAGE_SIZE,
        "region_names": {},
    }
    if not q.strip() and not any(filters.values()) and not (date_from or date_to):
        return render(request, "search.html", context)
    try:
        page = api.search(
            q,
            state.db,
            region=filters["region"],
            level=filters["level"],
            kind=filters["kind"],
            topic=filters["topic"],
            fact_type=filters["type"],
            date_from=date_from,
            date_to=date_to,
            limit=PAGE_SIZE,
            offset=offset,
            store=state.store(),
        )
    except SearchError as exc:
        context["problem"] = str(exc)
        return render(request, "search.html", context, status=400)
    context.update(
        page=page,
        regions=region_tree(page.facets.get("region", [])),
        region_names={c.code: c.value for c in page.facets.get("region", []) if c.code},
        snippets=[highlighted(hit.snippet, hit.highlights) for hit in page.results],
    )
    return render(request, "search.html", context)
