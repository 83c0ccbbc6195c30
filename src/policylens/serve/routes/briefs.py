"""REST: briefs of a period (weekly, newsletter, roundup) as Markdown, HTML or DOCX."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, FastAPI, Query
from fastapi.responses import Response

from policylens import api
from policylens.serve.deps import State
from policylens.serve.errors import COMMON_ERRORS
from policylens.serve.routes import errors_for, text_query

router = APIRouter(prefix="/api", tags=["briefs"], responses=errors_for(*COMMON_ERRORS))

DAY = r"^\d{4}-\d{2}-\d{2}$"
Style = Literal["weekly", "newsletter", "roundup"]
Format = Literal["md", "html", "docx"]
MEDIA = {
    "md": "text/markdown; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


@dataclass(frozen=True, slots=True)
class BriefParams:
    """What a brief covers: a period, a style, topics and a region."""

    date_from: str
    date_to: str
    style: Style
    topics: tuple[str, ...]
    region: str | None

    def file_name(self, fmt: str) -> str:
        """Return an ASCII download name: brief-weekly-2023-09-17-2023-09-24.docx."""
        stem = f"brief-{self.style}-{self.date_from}-{self.date_to}"
        return re.sub(r"[^A-Za-z0-9_.-]", "_", stem) + f".{fmt}"


def brief_params(
    date_from: Annotated[str, Query(alias="from", pattern=DAY, description="First day.")],
    date_to: Annotated[str, Query(alias="to", pattern=DAY, description="Last day.")],
    style: Annotated[Style, Query(description="weekly, newsletter or roundup.")] = "weekly",
    topic: Annotated[
        list[str] | None, Query(max_length=20, description="Topics or their words (repeat).")
    ] = None,
    region: Annotated[str | None, text_query("A place; includes the places under it.", 40)] = None,
) -> BriefParams:
    """Return the brief asked for."""
    topics = tuple(t for t in (topic or []) if t.strip())
    return BriefParams(date_from, date_to, style, topics, region or None)


BriefQueryParams = Annotated[BriefParams, Depends(brief_params)]


def render(state: State, params: BriefParams, fmt: str) -> str | bytes:
    """Write the brief and render it in one format."""
    written = api.brief(
        params.date_from, params.date_to, params.style, params.topics, params.region, state.db
    )
    return api.render_brief(written, fmt)


@router.get(
    "/briefs",
    response_class=Response,
    responses={
        200: {"content": {media: {} for media in MEDIA.values()}, "description": "The brief."}
    },
)
def brief(
    state: State,
    params: BriefQueryParams,
    fmt: Annotated[Format, Query(alias="format", description="md, html or docx.")] = "md",
    download: Annotated[bool, Query(description="Send as an attachment.")] = False,
) -> Response:
    """A brief of the period, written only from the knowledge base, with footnoted sources."""
    body = render(state, params, fmt)
    disposition = "attachment" if download or fmt == "docx" else "inline"
    headers = {"Content-Disposition": f'{disposition}; filename="{params.file_name(fmt)}"'}
    return Response(body, media_type=MEDIA[fmt], headers=headers)


def include(app: FastAPI) -> None:
    """Add the brief endpoints, if this version of PolicyLens can write briefs."""
    if hasattr(api, "brief") and hasattr(api, "render_brief"):
        app.include_router(router)
