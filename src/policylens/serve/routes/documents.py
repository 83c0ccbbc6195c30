"""REST: documents (list, get, upload, delete), their items and facts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException

from policylens import api
from policylens.serve.deps import Page, State, WriteAccess
from policylens.serve.errors import COMMON_ERRORS, WRITE_ERRORS, ClientError
from policylens.serve.kb import delete_document, raw_text
from policylens.serve.routes import date_query, errors_for, text_query
from policylens.serve.schemas import (
    Deleted,
    DocumentBody,
    IngestBody,
    ListPage,
    UrlIngest,
    page_of,
)
from policylens.serve.uploads import MAX_FILES, Outcome, ingest_upload, ingest_urls, summarize
from policylens.store import DocumentSummary, ItemRecord
from policylens.store.facts import FactRecord

router = APIRouter(prefix="/api", tags=["documents"], responses=errors_for(*COMMON_ERRORS))

DocumentRef = Annotated[
    str, Path(max_length=300, description="Document id, or a unique part of its source name.")
]
Text = text_query()

UPLOAD_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "properties": {
                    "file": {"type": "array", "items": {"type": "string", "format": "binary"}}
                },
                "required": ["file"],
            }
        },
        "application/json": {"schema": UrlIngest.model_json_schema()},
    },
}


@router.get("/documents", response_model=ListPage[DocumentSummary])
def list_documents(state: State, page: Page) -> dict[str, object]:
    """Every stored document, oldest first."""
    return page_of(api.documents(state.db), page.limit, page.offset)


@router.get("/documents/{ref}", response_model=DocumentBody)
def get_document(
    state: State,
    ref: DocumentRef,
    raw: Annotated[bool, Query(description="Include the raw text.")] = False,
) -> DocumentBody:
    """One document with its clean text and items (and its raw text with ``raw=true``)."""
    detail = api.document(ref, state.db)
    return DocumentBody(
        summary=detail.summary,
        clean_text=detail.clean_text,
        published=detail.published,
        metadata=detail.metadata,
        items=detail.items,
        raw_text=raw_text(state.settings, detail.summary.id) if raw else None,
    )


@router.post(
    "/documents",
    response_model=IngestBody,
    status_code=201,
    dependencies=[WriteAccess],
    openapi_extra={"requestBody": UPLOAD_BODY},
    responses={
        200: {"model": IngestBody, "description": "Every source was stored already."},
        **errors_for(*WRITE_ERRORS, 413, 415),
    },
)
async def upload_documents(request: Request, state: State) -> JSONResponse:
    """Ingest uploaded files (multipart field ``file``, repeatable) or ``{"url": …}``."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media == "multipart/form-data":
        outcomes = await _upload_files(request, state)
    elif media == "application/json":
        urls = _url_body(await request.body())
        wanted = [u for u in [urls.url, *urls.urls] if u]
        if not wanted:
            raise ClientError(422, 'give "url" or "urls"')
        outcomes = await run_in_threadpool(ingest_urls, wanted, state.settings)
    else:
        raise ClientError(415, "send multipart/form-data with 'file', or JSON with 'url'")
    body, status = summarize(outcomes)
    return JSONResponse(body.model_dump(), status_code=status)


def _url_body(body: bytes) -> UrlIngest:
    try:
        return UrlIngest.model_validate_json(body)
    except ValidationError as exc:
        raise RequestValidationError(
            [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_input=False)]
        ) from None


async def _read_form(request: Request) -> FormData:
    """Return the multipart form; a body the parser refuses is a 400 that says why."""
    try:
        return await request.form(max_files=MAX_FILES, max_fields=MAX_FILES)
    except (HTTPException, MultiPartException) as exc:
        # Starlette says only "Invalid multipart data."; the parser's own error says what.
        cause: BaseException = exc
        while (inner := cause.__cause__ or cause.__context__) is not None:
            cause = inner
        if cause is exc and isinstance(exc, HTTPException):
            raise
        reason = str(cause).rstrip(".")
        hint = " (a part's headers, its filename among them, are too long)"
        raise ClientError(
            400,
            "the upload is not readable multipart/form-data: "
            + reason[:1].lower()
            + reason[1:]
            + (hint if "header size" in reason else ""),
        ) from None


async def _upload_files(request: Request, state: State) -> list[Outcome]:
    form = await _read_form(request)
    fields = [v for k, v in form.multi_items() if k == "file"]
    files = [v for v in fields if isinstance(v, UploadFile)]
    if not files:
        await form.close()
        if fields:
            # A part is a file only with a filename parameter; RFC 7578 forbids filename*=
            # alone, and the part's bytes were read as text.
            raise ClientError(
                422,
                "the field 'file' is not a file: give its part a filename "
                '(Content-Disposition: form-data; name="file"; filename="…")',
            )
        raise ClientError(422, "no file: send the multipart field 'file'")
    try:
        return [
            await run_in_threadpool(
                ingest_upload, upload.file, upload.filename, upload.content_type, state.settings
            )
            for upload in files
        ]
    finally:
        await form.close()


@router.delete(
    "/documents/{ref}",
    response_model=Deleted,
    dependencies=[WriteAccess],
    responses=errors_for(*WRITE_ERRORS),
)
def remove_document(
    state: State, ref: Annotated[int, Path(ge=1, le=2**31 - 1, description="Document id.")]
) -> Deleted:
    """Delete a document, its items and facts; policies and duplicates are linked again."""
    delete_document(state.settings, ref)
    return Deleted(deleted=ref)


@router.get("/items", response_model=ListPage[ItemRecord])
def list_items(
    state: State,
    page: Page,
    document: Annotated[str | None, Text] = None,
    kind: Annotated[str | None, Query(max_length=40, description="plan_section …")] = None,
    section: Annotated[str | None, Text] = None,
    contains: Annotated[str | None, Text] = None,
) -> dict[str, object]:
    """Stored items, filtered as ``policylens items`` does."""
    return page_of(api.items(state.db, document, kind, section, contains), page.limit, page.offset)


@router.get("/facts", response_model=ListPage[FactRecord])
def list_facts(
    state: State,
    page: Page,
    fact_type: Annotated[
        str | None, Query(alias="type", max_length=20, description="policy, target, funding …")
    ] = None,
    region: Annotated[str | None, Text] = None,
    metric: Annotated[str | None, Query(max_length=40)] = None,
    date_from: Annotated[str | None, date_query("from", "Earliest date.")] = None,
    date_to: Annotated[str | None, date_query("to", "Latest date.")] = None,
    document: Annotated[str | None, Text] = None,
    contains: Annotated[str | None, Text] = None,
) -> dict[str, object]:
    """Stored facts, filtered as ``policylens facts`` does (a region includes its places)."""
    rows = api.facts(state.db, fact_type, region, metric, date_from, date_to, document, contains)
    return page_of(rows, page.limit, page.offset)
