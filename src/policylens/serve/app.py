"""The web app: ``create_app(settings)`` builds the REST API, the pages and their assets."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.middleware.trustedhost import TrustedHostMiddleware

from policylens.config import Settings, load_settings
from policylens.heap import FrozenHeap
from policylens.serve.deps import ServeState, token_from_environment
from policylens.serve.errors import install_error_handlers
from policylens.serve.pages import pages_router
from policylens.serve.routes import briefs, documents, policies, reports, search
from policylens.serve.security import BodyLimit, SecurityHeaders

STATIC = Path(__file__).resolve().parent / "static"
FORM_OVERHEAD = 1 << 20  # multipart headers and boundaries around a file, in bytes

DESCRIPTION = """\
Chinese emerging-tech policy documents as a sourced knowledge base: documents, items,
facts with quotes and spans, linked policies, search with facets, comparisons, timeline,
export. Writes need `Authorization: Bearer <token>` when the server has a token
(`POLICYLENS_TOKEN`). Errors are `{"error": "…"}` with the status saying what kind.
"""


def create_app(
    settings: Settings | None = None,
    *,
    token: str | None = None,
    allowed_hosts: Sequence[str] | None = None,
) -> FastAPI:
    """Return the app serving the knowledge base of ``settings`` (default: the configured one).

    ``token`` (None: POLICYLENS_TOKEN; "": none) guards every write; ``allowed_hosts`` limits
    the Host header (against DNS rebinding when bound to the loopback address).
    """
    settings = settings or load_settings()
    resolved = token_from_environment() if token is None else (token or None)
    state = ServeState(settings, resolved)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # What start-up made (libraries, the app) lives as long as the server: out of the
        # collector's full passes, which took ~60 ms of a search every hundred or so.
        with FrozenHeap():
            yield
            state.close()  # the store searches kept open

    app = FastAPI(
        lifespan=lifespan,
        title="PolicyLens",
        version="0.1.0",
        description=DESCRIPTION,
        openapi_url="/openapi.json",
        docs_url=None,  # Swagger UI would load its assets from a CDN
        redoc_url=None,
    )
    app.state.policylens = state
    install_error_handlers(app)
    for router in (documents.router, policies.router, search.router, reports.router):
        app.include_router(router)
    briefs.include(app)
    app.include_router(pages_router())
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    max_body = int(settings.max_file_mb * 1048576) + FORM_OVERHEAD
    app.add_middleware(BodyLimit, max_bytes=max_body)
    app.add_middleware(SecurityHeaders)
    if allowed_hosts:
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts))
    return app
