"""The web pages: server-rendered, one module per area; their scripts talk to the REST API."""

from __future__ import annotations

from fastapi import APIRouter

from policylens.serve.pages import briefs, documents, home, policies, reports, search


def pages_router() -> APIRouter:
    """Return one router holding every page (none of them in the OpenAPI schema)."""
    router = APIRouter(include_in_schema=False)
    for module in (home, search, documents, policies, reports, briefs):
        router.include_router(module.router)
    return router
