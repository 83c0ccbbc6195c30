"""REST: ranked, faceted search over items."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from policylens import api
from policylens.search.model import SearchPage
from policylens.serve.deps import State
from policylens.serve.errors import COMMON_ERRORS
from policylens.serve.routes import date_query, errors_for, text_query

router = APIRouter(prefix="/api", tags=["search"], responses=errors_for(*COMMON_ERRORS))

MAX_RESULTS = 100  # results per page
MAX_OFFSET = 10_000
Values = Annotated[list[str] | None, Query(max_length=20)]


@router.get("/search", response_model=SearchPage)
def search(
    state: State,
    q: Annotated[str, text_query("Words, all required: 区块链 婚姻, 工业元宇宙 四川.")] = "",
    region: Values = None,
    level: Values = None,
    kind: Values = None,
    topic: Values = None,
    fact_type: Annotated[list[str] | None, Query(alias="type", max_length=20)] = None,
    date_from: Annotated[str | None, date_query("from", "Earliest item date.")] = None,
    date_to: Annotated[str | None, date_query("to", "Latest item date.")] = None,
    document: Annotated[str | None, text_query("Only this document (id or name part).")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_RESULTS)] = 10,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> Any:
    """Items holding every word, best first, with snippets and facet counts over all matches.

    Filters repeat for several values (any of them): ``region=四川&region=浙江``.
    """
    return api.search(
        q,
        state.db,
        region=region,
        level=level,
        kind=kind,
        topic=topic,
        fact_type=fact_type,
        date_from=date_from,
        date_to=date_to,
        document=document,
        limit=limit,
        offset=offset,
        store=state.store(),
    )
