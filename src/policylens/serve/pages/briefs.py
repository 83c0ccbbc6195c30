"""Page: briefs (period, style, topics, format): a preview and downloads."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from policylens import api
from policylens.serve.deps import State
from policylens.serve.pages.render import render
from policylens.serve.routes.briefs import DAY, MEDIA

router = APIRouter()

STYLES = ("weekly", "newsletter", "roundup")
FORMATS = tuple(MEDIA)


def brief_query(values: dict[str, str], topics: list[str]) -> str:
    """Return the query string of /api/briefs for these form values."""
    pairs = [(k, v) for k, v in values.items() if v] + [("topic", t) for t in topics]
    return urlencode(pairs)


@router.get("/briefs", response_class=HTMLResponse)
def briefs_page(
    request: Request,
    state: State,
    date_from: Annotated[str, Query(alias="from", pattern=f"({DAY})|^$")] = "",
    date_to: Annotated[str, Query(alias="to", pattern=f"({DAY})|^$")] = "",
    style: Annotated[str, Query(pattern="^(weekly|newsletter|roundup)$")] = "weekly",
    region: Annotated[str, Query(max_length=40)] = "",
    topic: Annotated[list[str] | None, Query(max_length=20)] = None,
) -> HTMLResponse:
    """Choose a period, style, topics and region; preview the brief and download it."""
    today = date.today()
    chosen = [t for t in topic or [] if t]
    values = {
        "from": date_from or (today - timedelta(days=7)).isoformat(),
        "to": date_to or today.isoformat(),
        "style": style,
        "region": region,
    }
    context = {
        "available": hasattr(api, "brief"),
        "values": values,
        "chosen": chosen,
        "topics": sorted({name for name, _ in state.resources().topics}),
        "styles": STYLES,
        "formats": FORMATS,
        # The preview only once the form was sent: writing a brief reads the whole base.
        "query": brief_query(values, chosen) if date_from and date_to else None,
    }
    return render(request, "briefs.html", context)
