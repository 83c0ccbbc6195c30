"""Errors as clients see them: one JSON line with the right status (an HTML page for pages).

Known errors (PolicyLensError) carry a message written for users and map to a status;
anything else is logged here with its traceback and reaches the client as "internal error".
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from policylens.errors import (
    CorrectionError,
    DatabaseLockedError,
    DiskFullError,
    ExchangeError,
    IngestError,
    MissingFontError,
    NotFoundError,
    PolicyLensError,
    ReadOnlyDatabaseError,
    SearchError,
    StoreError,
)

log = logging.getLogger("policylens.serve")

STATUS: tuple[tuple[type[PolicyLensError], int], ...] = (
    (NotFoundError, 404),
    (SearchError, 400),
    (CorrectionError, 409),
    (ExchangeError, 400),
    (IngestError, 422),
    (MissingFontError, 503),
    # The database, not the request: locked (retry later), full (507 Insufficient Storage),
    # read-only (403: this server refuses writes, and retrying will not help).
    (DatabaseLockedError, 503),
    (DiskFullError, 507),
    (ReadOnlyDatabaseError, 403),
    (StoreError, 503),
)
# Seconds a client is told to wait before retrying a request that met a locked database.
RETRY_AFTER_LOCKED_S = 5
# Statuses the API declares for every operation, besides its own.
COMMON_ERRORS = (400, 404, 422, 500, 503)
# And the statuses of every write, besides its own: no token, a read-only or full database.
WRITE_ERRORS = (401, 403, 507)


class ClientError(Exception):
    """A request refused as asked: ``status`` and a message for the client."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def status_of(exc: PolicyLensError) -> int:
    """Return the HTTP status of a known error."""
    for kind, status in STATUS:
        if isinstance(exc, kind):
            return status
    return 400


def wants_json(request: Request) -> bool:
    """Return whether the request is the API's (JSON errors) rather than a page's (HTML)."""
    path = request.url.path
    return path.startswith(("/api/", "/openapi", "/static/")) or path == "/api"


def _field_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    # Only where and what: the rejected input itself is not echoed back.
    return [
        {"loc": [str(part) for part in error.get("loc", ())], "msg": str(error.get("msg", ""))}
        for error in exc.errors()
    ]


def _message(errors: list[dict[str, Any]]) -> str:
    parts = [f"{'.'.join(e['loc'][1:] or e['loc'])}: {e['msg']}" for e in errors[:3]]
    return "invalid request: " + "; ".join(parts)


def error_response(
    request: Request,
    status: int,
    message: str,
    detail: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """Return the error as JSON for the API, as a page for the pages."""
    if wants_json(request):
        body: dict[str, Any] = {"error": message}
        if detail is not None:
            body["detail"] = detail
        return JSONResponse(body, status_code=status, headers=headers)
    from policylens.serve.pages.render import error_page

    return error_page(request, status, message)


async def _known(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, PolicyLensError)
    locked = isinstance(exc, DatabaseLockedError)
    headers = {"Retry-After": str(RETRY_AFTER_LOCKED_S)} if locked else None
    return error_response(request, status_of(exc), str(exc), headers=headers)


async def _client(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ClientError)
    return error_response(request, exc.status, str(exc))


def allowed_methods(request: Request) -> str:
    """Return every method some route takes at this path (routes are one per method)."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        match, _ = route.matches(request.scope)
        if match is not Match.NONE:
            methods |= getattr(route, "methods", None) or set()
    return ", ".join(sorted(methods))


async def _http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = allowed_methods(request)
    return error_response(request, exc.status_code, str(exc.detail), headers=headers or None)


async def _invalid(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = _field_errors(exc)
    return error_response(request, 422, _message(errors), errors)


async def _database(request: Request, exc: Exception) -> Response:
    log.error("database error on %s: %s", request.url.path, getattr(exc, "orig", exc))
    return error_response(request, 503, "database unavailable or failed; see the server log")


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("internal error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(request, 500, "internal error; see the server log")


def install_error_handlers(app: FastAPI) -> None:
    """Make every error a clear JSON body (or page) with its status, never a traceback."""
    app.add_exception_handler(PolicyLensError, _known)
    app.add_exception_handler(ClientError, _client)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(RequestValidationError, _invalid)
    app.add_exception_handler(SQLAlchemyError, _database)
    app.add_exception_handler(Exception, _unexpected)
