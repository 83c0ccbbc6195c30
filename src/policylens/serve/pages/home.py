"""Pages: the home page (documents, with delete) and ingest (upload files, paste URLs)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from policylens import api
from policylens.serve.deps import State
from policylens.serve.pages.render import render
from policylens.serve.uploads import MAX_FILES

router = APIRouter()


@router.get("/", response_class=HTMLResponse)
def home(request: Request, state: State) -> HTMLResponse:
    """Stored documents, newest first, and the way to search, compare and ingest."""
    documents = api.documents(state.db)[::-1]
    return render(request, "home.html", {"documents": documents})


@router.get("/ingest", response_class=HTMLResponse)
def ingest(request: Request, state: State) -> HTMLResponse:
    """Upload files or paste URLs; each gets its own result."""
    context = {"max_mb": state.settings.max_file_mb, "max_files": MAX_FILES}
    return render(request, "ingest.html", context)
