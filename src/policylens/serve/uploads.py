"""Writes from the web: uploaded files and URLs into the knowledge base, and deletions.

An upload is copied, within the size limit, to a temporary file whose name the server
makes (``upload.pdf``); the name the client sent is cleaned and kept only as the stored
document's source, never used as a path. Each file gets its own result and status.
"""

from __future__ import annotations

import re
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from policylens import api
from policylens.config import Settings
from policylens.ingest import is_url
from policylens.ingest.formats import FORMAT_BY_CONTENT_TYPE, FORMAT_BY_SUFFIX
from policylens.serve.errors import ClientError
from policylens.serve.kb import rename_source
from policylens.serve.schemas import IngestBody, SourceResultBody

MAX_FILES = 20  # files in one upload request
MAX_NAME = 200  # characters kept of a client's file name
CHUNK = 1 << 16
# Browsers send these for our formats; anything else is refused (415) before reading.
GENERIC_TYPES = frozenset({"", "application/octet-stream", "text/x-markdown"})
SUFFIX_OF_FORMAT = {"txt": ".txt", "html": ".html", "pdf": ".pdf", "docx": ".docx"}
UNSAFE = frozenset('<>:"|?*')


@dataclass(frozen=True, slots=True)
class Outcome:
    """One source's result and the HTTP status it alone would get."""

    result: SourceResultBody
    status: int


GB2312_BYTES = re.compile(rb"(?:[\x00-\x7f]|[\xa1-\xfe][\xa1-\xfe])*")


def safe_name(filename: str | None) -> str:
    """Return a client's file name fit to show: last path part, printable, no leading dots."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = unicodedata.normalize("NFC", _name_bytes_read_as_latin1(name))
    name = "".join(ch for ch in name if ch.isprintable() and ch not in UNSAFE)
    return name.strip().lstrip(".").strip()[:MAX_NAME] or "upload"


def _name_bytes_read_as_latin1(name: str) -> str:
    """Return a file name a client sent in UTF-8 or GBK (older Windows browsers) that arrived
    read byte for byte as Latin-1 ("Õþ²ß.txt"), in the characters it meant.

    Only names whose bytes are valid UTF-8, or pairs of GB2312 bytes (both 0xA1-0xFE)
    between ASCII, are read again: "Ünïcode.txt" stays as it is.
    """
    if name.isascii() or any(ord(ch) > 0xFF for ch in name):
        return name
    raw = name.encode("latin-1")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if GB2312_BYTES.fullmatch(raw):
        return raw.decode("gb18030")
    return name


def upload_suffix(name: str, content_type: str | None) -> str:
    """Return the suffix the temporary file gets; raise ClientError (415) for other formats."""
    media = (content_type or "").split(";")[0].strip().lower()
    if media not in GENERIC_TYPES and media not in FORMAT_BY_CONTENT_TYPE:
        raise ClientError(415, f"content type {media!r} is not accepted")
    suffix = Path(name).suffix.lower()
    if suffix in FORMAT_BY_SUFFIX:
        return suffix
    if not suffix and media in FORMAT_BY_CONTENT_TYPE:
        return SUFFIX_OF_FORMAT[FORMAT_BY_CONTENT_TYPE[media]]
    supported = ", ".join(sorted(FORMAT_BY_SUFFIX))
    raise ClientError(415, f"unsupported format {suffix or media!r} (supported: {supported})")


def copy_limited(source: BinaryIO, target: Path, limit_mb: float) -> int:
    """Copy a stream to a file; raise ClientError (413) past the limit. Return the size."""
    limit = int(limit_mb * 1048576)
    size = 0
    with target.open("wb") as out:
        while chunk := source.read(CHUNK):
            size += len(chunk)
            if size > limit:
                raise ClientError(413, f"file is over the {limit_mb:g} MB limit")
            out.write(chunk)
    return size


def _body(result: api.SourceResult, source: str) -> SourceResultBody:
    return SourceResultBody(
        source=source,
        status=result.status,
        document_id=result.document_id,
        items=result.items,
        facts=result.facts,
        problem=result.problem,
    )


def _status(result: api.SourceResult) -> int:
    if result.status == "stored":
        return 201
    if result.status == "duplicate":
        return 200
    problem = result.problem or ""
    if "limit" in problem:
        return 413
    if "unsupported format" in problem:
        return 415
    return 422


def ingest_upload(
    stream: BinaryIO, filename: str | None, content_type: str | None, settings: Settings
) -> Outcome:
    """Ingest one uploaded file; the stored document's source is its cleaned name."""
    name = safe_name(filename)
    try:
        suffix = upload_suffix(name, content_type)
        with tempfile.TemporaryDirectory(prefix="policylens-upload-") as folder:
            path = Path(folder) / f"upload{suffix}"
            copy_limited(stream, path, settings.max_file_mb)
            result = api.ingest([str(path)], settings=settings).results[0]
    except ClientError as exc:
        return Outcome(SourceResultBody(source=name, status="error", problem=str(exc)), exc.status)
    if result.status == "stored" and result.document_id is not None:
        rename_source(settings, result.document_id, name)
    problem = result.problem.replace(str(path), name) if result.problem else None
    body = _body(result, name).model_copy(update={"problem": problem})
    return Outcome(body, _status(result))


def ingest_urls(urls: list[str], settings: Settings) -> list[Outcome]:
    """Fetch and ingest http(s) URLs; anything else is an error result."""
    fetchable = [url for url in urls if is_url(url)]
    report = api.ingest(fetchable, settings=settings) if fetchable else api.IngestReport()
    results = iter(report.results)
    outcomes = []
    for url in urls:
        if is_url(url):
            result = next(results)
            outcomes.append(Outcome(_body(result, url), _status(result)))
        else:
            problem = "not an http(s) URL"
            outcomes.append(
                Outcome(SourceResultBody(source=url, status="error", problem=problem), 422)
            )
    return outcomes


def summarize(outcomes: list[Outcome]) -> tuple[IngestBody, int]:
    """Return the response body and status: 201 if any stored, 200 if all known, else an error."""
    results = [o.result for o in outcomes]
    body = IngestBody(
        results=results,
        stored=sum(r.status == "stored" for r in results),
        duplicates=sum(r.status == "duplicate" for r in results),
        errors=sum(r.status == "error" for r in results),
    )
    if body.stored:
        return body, 201
    if body.duplicates:
        return body, 200
    return body, outcomes[0].status if outcomes else 422
