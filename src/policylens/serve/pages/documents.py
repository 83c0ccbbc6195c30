"""Page: one document, its clean text with items and facts marked, and its raw text."""

from __future__ import annotations

from collections import Counter
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse

from policylens import api
from policylens.serve.deps import State
from policylens.serve.kb import raw_text
from policylens.serve.pages.render import render
from policylens.serve.views import clean_blocks, raw_pieces

router = APIRouter()

# Facts listed first in the side panel; topics and dates last (there are many).
KIND_ORDER = ("policy", "target", "funding", "deal", "event", "date", "topic")


@router.get("/documents/{ref}", response_class=HTMLResponse)
def document_page(
    request: Request, state: State, ref: Annotated[str, Path(max_length=300)]
) -> HTMLResponse:
    """Clean text by item with fact quotes marked; a fact's span in the raw text on toggle."""
    detail = api.document(ref, state.db)
    document_id = detail.summary.id
    facts = api.facts(state.db, document=str(document_id))
    facts.sort(key=lambda f: (KIND_ORDER.index(f.kind) if f.kind in KIND_ORDER else 99, f.span))
    context = {
        "detail": detail,
        "facts": facts,
        "kinds": Counter(f.kind for f in facts),
        "kind_order": [k for k in KIND_ORDER if any(f.kind == k for f in facts)],
        "blocks": clean_blocks(detail.clean_text, detail.items, facts),
        "raw": raw_pieces(raw_text(state.settings, document_id), facts),
    }
    return render(request, "document.html", context)
