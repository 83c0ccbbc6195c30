"""Rendering pages: Jinja2 templates (autoescaped), UI strings in Chinese or English."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from functools import cache
from importlib import resources as importlib_resources
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from policylens.report.tables import format_amount, short_name
from policylens.serve.views import fact_value, web_url

HERE = Path(__file__).resolve().parent.parent
LANGUAGES = ("zh", "en")
LANG_COOKIE = "policylens_lang"


@cache
def strings() -> dict[str, tuple[str, str]]:
    """Return every UI string: key → (Chinese, English), from strings.json."""
    text = importlib_resources.files("policylens.serve").joinpath("strings.json").read_text("utf-8")
    return {key: (pair[0], pair[1]) for key, pair in json.loads(text).items()}


def language(request: Request) -> str:
    """Return the page language: ?lang=, else the cookie, else Chinese."""
    asked = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE) or "zh"
    return asked if asked in LANGUAGES else "zh"


def translator(lang: str) -> Callable[[str], str]:
    """Return t(key) for one language (an unknown key shows as itself)."""
    index = LANGUAGES.index(lang)
    table = strings()

    def t(key: str) -> str:
        pair = table.get(key)
        return pair[index] if pair else key

    return t


def query_with(request: Request, drop: Sequence[str] = (), **values: Any) -> str:
    """Return this page's query string with ``values`` set and ``drop`` removed."""
    kept = [
        (k, v) for k, v in request.query_params.multi_items() if k not in values and k not in drop
    ]
    kept += [(k, str(v)) for k, v in values.items() if v is not None and v != ""]
    return "?" + urlencode(kept) if kept else "?"


def toggled(request: Request, name: str, value: str) -> str:
    """Return this page's query with one filter value added, or removed if it was there."""
    pairs = [(k, v) for k, v in request.query_params.multi_items() if k != "offset"]
    if (name, value) in pairs:
        pairs.remove((name, value))
    else:
        pairs.append((name, value))
    return "?" + urlencode(pairs)


def json_script(value: Any) -> Markup:
    """Return JSON safe inside <script type="application/json">: no tag can close it."""
    text = json.dumps(value, ensure_ascii=False)
    escaped = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(escaped)  # safe: no <, > or & is left in it


def _templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    env = templates.env
    env.globals.update(
        query_with=query_with,
        toggled=toggled,
        json_script=json_script,
        format_amount=format_amount,
        short_name=short_name,
        fact_value=fact_value,
        web_url=web_url,
    )
    env.trim_blocks = True
    env.lstrip_blocks = True
    return templates


TEMPLATES = _templates()


def render(request: Request, name: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
    """Return a page in the request's language; ?lang= is remembered in a cookie."""
    lang = language(request)
    state = request.app.state.policylens
    full = {"lang": lang, "t": translator(lang), "writes_locked": state.token is not None}
    full.update(context)
    response = TEMPLATES.TemplateResponse(request, name, full, status_code=status)
    if request.query_params.get("lang") in LANGUAGES:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax")
    return response


def error_page(request: Request, status: int, message: str) -> HTMLResponse:
    """Return an error as a page (for the pages; the API answers JSON)."""
    return render(request, "error.html", {"status": status, "message": message}, status)
