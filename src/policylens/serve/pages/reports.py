"""Pages: compare (table, bar chart, map of China, downloads) and the timeline."""

from __future__ import annotations

from typing import Annotated, Any, cast

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from policylens import api
from policylens.report.compare import Figure
from policylens.serve.deps import State
from policylens.serve.pages.render import render
from policylens.serve.routes import DATE_PATTERN
from policylens.serve.routes.reports import CompareParams, Level
from policylens.serve.views import map_values

router = APIRouter()

LEVELS = ("provincial", "municipal", "district", "national")
TIMELINE_PAGE = 50
CNY_SCALE = 1e8  # charts show yuan amounts in 亿元


def chart_scale(figures: list[Figure]) -> tuple[float, str]:
    """Return the divisor and unit the charts use: 亿元 when every figure is in yuan."""
    units = {f.unit for f in figures}
    if units == {"CNY"}:
        return CNY_SCALE, "亿元"
    if len(units) == 1:
        unit = units.pop()
        return 1.0, "%" if unit == "percent" else unit
    return 1.0, ""


def _chart_data(figures: list[Figure], state: State) -> dict[str, Any]:
    scale, unit = chart_scale(figures)
    bars = [
        {
            "region": f.region,
            "value": round(f.middle / scale, 4),
            "label": f.value,
            "year": f.target_year,
            "sector": f.sector,
            "conflict": f.conflict,
        }
        for f in figures
    ]
    places = [
        {"name": v.name, "value": round(v.value / scale, 4), "regions": v.regions}
        for v in map_values(figures, state.resources().gazetteer)
    ]
    return {"unit": unit, "bars": bars, "map": places}


@router.get("/compare", response_class=HTMLResponse)
def compare_page(
    request: Request,
    state: State,
    metric: Annotated[str, Query(max_length=40)] = "industry_scale",
    sector: Annotated[str, Query(max_length=40)] = "",
    year: Annotated[str, Query(pattern=r"^(\d{4})?$")] = "",
    level: Annotated[str, Query(pattern="^(national|provincial|municipal|district)?$")] = "",
) -> HTMLResponse:
    """Regions on a target metric: sorted table, bar chart, map shaded by value, downloads.

    The form sends empty fields for "any"; the page reads them as no filter.
    """
    checked = cast(Level | None, level or None)  # the pattern above allows only the levels
    params = CompareParams(
        metric or "industry_scale", sector or None, int(year or 0) or None, checked
    )
    figures = params.figures(state)
    res = state.resources()
    context = {
        "params": params,
        "figures": figures,
        "metrics": list(dict.fromkeys(name for name, _ in res.metrics)),
        "metric_words": dict(reversed(res.metrics)),
        "sectors": sorted(res.sectors, key=len),
        "levels": LEVELS,
        "chart": _chart_data(figures, state),
    }
    return render(request, "compare.html", context)


@router.get("/timeline", response_class=HTMLResponse)
def timeline_page(
    request: Request,
    state: State,
    topic: Annotated[str, Query(max_length=40)] = "",
    region: Annotated[str, Query(max_length=100)] = "",
    date_from: Annotated[str | None, Query(alias="from", pattern=DATE_PATTERN)] = None,
    date_to: Annotated[str | None, Query(alias="to", pattern=DATE_PATTERN)] = None,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> HTMLResponse:
    """Dated policies and events in order, filtered by topic, region and dates."""
    entries = api.timeline(state.db, topic or None, region or None, date_from, date_to)
    topics = sorted({name for name, _ in state.resources().topics})
    context = {
        "entries": entries[offset : offset + TIMELINE_PAGE],
        "total": len(entries),
        "offset": offset,
        "page_size": TIMELINE_PAGE,
        "topic": topic,
        "region": region,
        "date_from": date_from or "",
        "date_to": date_to or "",
        "topics": topics,
    }
    return render(request, "timeline.html", context)
