"""REST: compare (JSON with map values, or a CSV/XLSX download), timeline and export."""

from __future__ import annotations

import io
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import FileResponse, Response
from starlette.background import BackgroundTask

from policylens import api
from policylens.report.compare import COMPARE_COLUMNS, Figure, figure_row
from policylens.report.tables import write_csv, write_xlsx
from policylens.report.timeline import TimelineEntry
from policylens.serve.deps import Page, ServeState, State
from policylens.serve.errors import COMMON_ERRORS
from policylens.serve.routes import date_query, errors_for, text_query
from policylens.serve.schemas import CompareBody, ListPage, page_of
from policylens.serve.views import map_values

router = APIRouter(prefix="/api", tags=["reports"], responses=errors_for(*COMMON_ERRORS))

Level = Literal["national", "provincial", "municipal", "district"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXPORT_TYPES = {"jsonl": "application/x-ndjson", "xlsx": XLSX, "csv": "application/zip"}


@dataclass(frozen=True, slots=True)
class CompareParams:
    """What a comparison is of: a metric, and optionally a sector, target year and level."""

    metric: str
    sector: str | None
    year: int | None
    level: Level | None

    def figures(self, state: ServeState) -> list[Figure]:
        """Return the comparison's figures, largest first."""
        return api.compare(self.metric, state.db, self.sector, self.year, self.level)

    def file_stem(self) -> str:
        """Return an ASCII file name for a download: compare-industry_scale-2025."""
        parts = ["compare", self.metric, str(self.year or ""), self.level or ""]
        stem = "-".join(p for p in parts if p)
        return "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_") else "_" for ch in stem)


def compare_params(
    metric: Annotated[
        str, Query(max_length=40, description="Target metric, e.g. industry_scale.")
    ] = "industry_scale",
    sector: Annotated[
        str | None, text_query("e.g. 元宇宙 (also matches 元宇宙核心产业).", 40)
    ] = None,
    year: Annotated[int | None, Query(ge=1900, le=2200, description="Target year.")] = None,
    level: Annotated[Level | None, Query(description="Administrative level.")] = None,
) -> CompareParams:
    """Return the comparison asked for."""
    return CompareParams(metric, sector or None, year, level)


Compare = Annotated[CompareParams, Depends(compare_params)]


@router.get("/compare", response_model=CompareBody)
def compare(state: State, params: Compare) -> CompareBody:
    """Each region's figures for a target metric, largest first, conflicts side by side.

    ``map`` gives each province's value for a map: its own figure, else its largest city's.
    """
    figures = params.figures(state)
    return CompareBody(
        metric=params.metric,
        sector=params.sector,
        year=params.year,
        level=params.level,
        results=figures,
        map=map_values(figures, state.resources().gazetteer),
    )


@router.get(
    "/compare/download",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}, XLSX: {}}, "description": "The table."}},
)
def compare_download(
    state: State, params: Compare, fmt: Annotated[Literal["csv", "xlsx"], Query(alias="format")]
) -> Response:
    """The comparison as a CSV or XLSX file (with the numbers and sources of every row)."""
    rows = [figure_row(f) for f in params.figures(state)]
    name = f"{params.file_stem()}.{fmt}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if fmt == "csv":
        stream = io.StringIO()
        write_csv(COMPARE_COLUMNS, rows, stream)
        data = ("\ufeff" + stream.getvalue()).encode("utf-8")  # BOM: Excel reads it as UTF-8
        return Response(data, media_type="text/csv; charset=utf-8", headers=headers)
    folder = Path(tempfile.mkdtemp(prefix="policylens-compare-"))
    write_xlsx([("compare", COMPARE_COLUMNS, rows)], folder / name)
    return FileResponse(folder / name, media_type=XLSX, filename=name, background=_cleanup(folder))


@router.get("/timeline", response_model=ListPage[TimelineEntry])
def timeline(
    state: State,
    page: Page,
    topic: Annotated[str | None, text_query("Topic or its word: metaverse, 元宇宙.", 40)] = None,
    region: Annotated[str | None, text_query("Place; includes the places under it.")] = None,
    date_from: Annotated[str | None, date_query("from", "Earliest date.")] = None,
    date_to: Annotated[str | None, date_query("to", "Latest date.")] = None,
) -> dict[str, object]:
    """Dated policies and events in order, each with its sources."""
    entries = api.timeline(state.db, topic, region, date_from, date_to)
    return page_of(entries, page.limit, page.offset)


@router.get(
    "/export",
    response_class=FileResponse,
    responses={
        200: {"content": {t: {} for t in EXPORT_TYPES.values()}, "description": "The export."}
    },
)
def export(
    state: State, fmt: Annotated[Literal["jsonl", "xlsx", "csv"], Query(alias="format")] = "jsonl"
) -> FileResponse:
    """Every table of the knowledge base: JSONL, an XLSX workbook, or CSV files in a ZIP."""
    folder = Path(tempfile.mkdtemp(prefix="policylens-export-"))
    name = f"policylens-export.{'zip' if fmt == 'csv' else fmt}"
    if fmt == "csv":
        api.export(folder / "csv", "csv", state.db)
        shutil.make_archive(str(folder / "policylens-export"), "zip", folder / "csv")
    else:
        api.export(folder / name, fmt, state.db)
    return FileResponse(
        folder / name, media_type=EXPORT_TYPES[fmt], filename=name, background=_cleanup(folder)
    )


def _cleanup(folder: Path) -> BackgroundTask:
    return BackgroundTask(shutil.rmtree, folder, ignore_errors=True)
