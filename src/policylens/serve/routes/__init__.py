"""The REST API, one router per area, all under ``/api``."""

from __future__ import annotations

from typing import Any

from fastapi import Query

from policylens.serve.schemas import ErrorBody

DESCRIPTIONS = {
    400: "The request cannot be run as asked (the message says why).",
    401: "A write without the server's token.",
    403: "A write to a knowledge base that is read-only for this server.",
    404: "No such document, item or policy.",
    409: "A correction that contradicts the knowledge base.",
    413: "A body or file over the size limit.",
    415: "A content type or file format that is not accepted.",
    422: "A parameter or body that is not valid.",
    500: "An internal error (logged by the server).",
    503: "The database is locked by another process (retry later) or not available, "
    "or a chart has no font.",
    507: "The disk under the knowledge base is full; nothing was written.",
}
DATE_PATTERN = r"^\d{4}(-\d{2}(-\d{2})?)?$"


def errors_for(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """Return the OpenAPI ``responses`` entries of these error statuses."""
    return {
        status: {"model": ErrorBody, "description": DESCRIPTIONS[status]} for status in statuses
    }


def date_query(alias: str, description: str) -> Any:
    """Return a query parameter taking YYYY, YYYY-MM or YYYY-MM-DD under ``alias``."""
    return Query(alias=alias, pattern=DATE_PATTERN, max_length=10, description=description)


def text_query(description: str = "", max_length: int = 300) -> Any:
    """Return a bounded text query parameter."""
    return Query(max_length=max_length, description=description)
