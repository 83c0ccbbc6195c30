"""Files, folders and URLs → RawDocuments (the only stage that reads the outside world)."""

from __future__ import annotations

import asyncio
import errno
import fnmatch
import hashlib
import importlib
import os
import re
import stat
import string
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlparse

from policylens.config import Settings
from policylens.errors import IngestError
from policylens.ingest.formats import (
    FORMAT_BY_CONTENT_TYPE,
    FORMAT_BY_SUFFIX,
    FormatError,
    extract,
    import_parsers,
    sniff_format,
)
from policylens.model import RawDocument

# A URL download may take this many times the per-read timeout (POLICYLENS_HTTP_TIMEOUT)
# in all: a slow server gets time to send a large file, a dripping one is cut off.
DOWNLOAD_DEADLINE_FACTOR = 3
SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True, slots=True)
class Source:
    """One input to read: a file path or an http(s) URL.

    ``name`` is what is recorded and reported, always valid Unicode; ``path`` is the real
    file name to open when it differs (a name with bytes that are not UTF-8).
    """

    name: str
    is_url: bool = False
    path: str | None = None

    @property
    def location(self) -> str:
        """Return the file path or URL to read."""
        return self.path or self.name


def file_source(path: str) -> Source:
    """Return the Source of a file path, recording a printable name if the real one is not."""
    name = printable_name(path)
    return Source(name) if name == path else Source(name, path=path)


def printable_name(name: str) -> str:
    """Return a file name as valid Unicode: bytes that are not UTF-8 become visible escapes.

    os.listdir and sys.argv hand such bytes over as lone surrogates, which no database
    (nor JSON, nor a UTF-8 terminal) accepts; ``bad\\xff.txt`` shows what is on disk.
    """
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(name).decode("utf-8", "backslashreplace")
    return name


def printable_url(url: str) -> str:
    """Return a URL as valid Unicode: bytes that are not UTF-8 are percent-encoded (still
    the same URL to the server)."""
    if printable_name(url) == url:
        return url
    return quote(os.fsencode(url), safe=string.punctuation)


def is_url(value: str) -> bool:
    """Return whether an input names an http(s) URL (well-formed or not: a malformed one is
    then refused by name when it is fetched)."""
    return value[:8].lower().startswith(("http://", "https://"))


def expand_inputs(inputs: list[str], settings: Settings) -> Iterator[Source | IngestError]:
    """Yield the sources named by files, folders (recursively, filtered by globs) and URLs.

    A name that does not exist is yielded as an IngestError, so the caller can
    report it and go on with the rest.
    """
    for value in inputs:
        if is_url(value):
            yield Source(printable_url(value), is_url=True)
            continue
        path = Path(value)
        if path.is_dir():
            for child, problem in folder_entries(path):
                if not _wanted(child.relative_to(path).as_posix(), settings):
                    continue
                if problem is None:
                    yield file_source(str(child))
                else:
                    yield IngestError(printable_name(str(child)), problem)
        elif path.is_file():
            yield file_source(str(path))
        else:
            yield IngestError(printable_name(value), unreadable_entry(path))


def folder_entries(folder: Path) -> list[tuple[Path, str | None]]:
    """Return, sorted, every entry under a folder that is not a folder, each with why it
    cannot be read (None for a regular file).

    Links to folders are followed, each real folder once, so a link loop ends; named pipes,
    sockets, devices, broken links and unreadable folders come back with their problem
    instead of being passed over without a word.
    """
    entries: list[tuple[Path, str | None]] = []
    visited: set[tuple[int, int]] = set()

    def unreadable(error: OSError) -> None:
        entries.append((Path(error.filename), f"cannot read folder ({error.strerror or error})"))

    _first_visit(folder, visited)
    for root, folders, files in os.walk(folder, onerror=unreadable, followlinks=True):
        # Real folders before links, each in name order: a folder reached both ways is
        # read under the same name every run, its own where that is at the same depth.
        folders.sort(key=lambda name: (Path(root, name).is_symlink(), name))
        folders[:] = [name for name in folders if _first_visit(Path(root, name), visited)]
        for name in files:
            child = Path(root, name)
            entries.append((child, None if child.is_file() else unreadable_entry(child)))
    return sorted(entries, key=lambda entry: entry[0])


def _first_visit(folder: Path, visited: set[tuple[int, int]]) -> bool:
    """Return whether a folder (or the folder a link leads to) is new, and note it."""
    try:
        status = folder.stat()
    except OSError:
        return False
    key = (status.st_dev, status.st_ino)
    if key in visited:
        return False
    visited.add(key)
    return True


def unreadable_entry(path: Path) -> str:
    """Return why a path that is neither a regular file nor a folder cannot be ingested."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return "broken symbolic link" if path.is_symlink() else "no such file, folder or URL"
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "symbolic links that lead round in a loop"
        return f"cannot read ({exc.strerror or exc})"
    kind = (
        "a named pipe"
        if stat.S_ISFIFO(mode)
        else "a socket"
        if stat.S_ISSOCK(mode)
        else "a device"
        if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
        else "of another kind"
    )
    return f"not a regular file ({kind})"


def _wanted(relative: str, settings: Settings) -> bool:
    # Globs match whatever the case: a folder from Windows holds REPORT.PDF and 通知.DOCX.
    relative = relative.lower()
    name = relative.rsplit("/", 1)[-1]
    if name.startswith("."):
        return False
    return _matches(name, relative, settings.include) and not _matches(
        name, relative, settings.exclude
    )


def _matches(name: str, relative: str, globs: tuple[str, ...]) -> bool:
    return any(
        fnmatch.fnmatchcase(name, glob) or fnmatch.fnmatchcase(relative, glob)
        for glob in (g.lower() for g in globs)
    )


def read_bytes(source: Source, settings: Settings) -> tuple[bytes, str | None]:
    """Return a source's bytes and, for a URL, its content type."""
    limit = max_file_bytes(settings)
    if source.is_url:
        return _fetch(source.name, limit, settings.http_timeout_s)
    path = Path(source.location)
    try:
        size = path.stat().st_size
        if size > limit:
            raise IngestError(source.name, _too_big(size, settings.max_file_mb))
        return path.read_bytes(), None
    except OSError as exc:
        raise IngestError(source.name, f"cannot read file ({exc.strerror or exc})") from exc


def max_file_bytes(settings: Settings) -> int:
    """Return the largest input accepted (--max-size), in bytes."""
    return int(settings.max_file_mb * 1024 * 1024)


def _limit(limit: int) -> str:
    return f"{limit / 1048576:.3g} MB limit"


def _too_big(size: int, limit_mb: float) -> str:
    return f"file is {size / 1048576:.1f} MB, over the {limit_mb:g} MB limit (--max-size)"


def _fetch(url: str, limit: int, timeout: float) -> tuple[bytes, str | None]:
    """Return a URL's body and content type; ``timeout`` bounds each read and, times
    DOWNLOAD_DEADLINE_FACTOR, the whole exchange, headers and redirects included."""
    allowed_s = DOWNLOAD_DEADLINE_FACTOR * timeout
    try:
        # A coroutine can be cancelled wherever it waits: a read timeout alone lets a server
        # that sends a byte of its headers or body now and then hold ingest for hours.
        return asyncio.run(asyncio.wait_for(_download(url, limit, timeout), allowed_s))
    except TimeoutError:
        raise IngestError(url, _too_slow(allowed_s, timeout)) from None
    except (ValueError, ExceptionGroup) as exc:  # a URL httpx cannot even send
        raise IngestError(url, f"not a valid URL ({_first_cause(exc)})") from exc


def _first_cause(exc: BaseException) -> str:
    """Return the first error inside an exception group (anyio wraps connection errors in
    one), as ``Type: message``."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return f"{type(exc).__name__}: {exc}"


async def _download(url: str, limit: int, timeout: float) -> tuple[bytes, str | None]:
    import httpx

    headers = {"User-Agent": "PolicyLens/0.1"}
    try:
        async with (
            httpx.AsyncClient(timeout=timeout, follow_redirects=True, headers=headers) as client,
            client.stream("GET", url) as response,
        ):
            if response.status_code >= 400:
                raise IngestError(url, f"server answered HTTP {response.status_code}")
            if response.status_code >= 300:  # a redirect httpx could not follow
                raise IngestError(
                    url, f"server answered HTTP {response.status_code} without a usable Location"
                )
            if response.status_code == 204:
                raise IngestError(url, "server answered HTTP 204 (no content)")
            chunks: list[bytes] = []
            received = 0
            async for chunk in response.aiter_bytes():
                received += len(chunk)
                if received > limit:  # the rest is not read: its size is not known
                    raise IngestError(url, f"download passed the {_limit(limit)} (--max-size)")
                chunks.append(chunk)
            content_type = response.headers.get("content-type", "").split(";")[0].strip()
            return b"".join(chunks), content_type or None
    except httpx.InvalidURL as exc:
        raise IngestError(url, f"not a valid URL ({exc})") from exc
    except httpx.HTTPError as exc:
        raise IngestError(url, f"could not fetch ({type(exc).__name__}: {exc})") from exc


def _too_slow(allowed_s: float, timeout: float) -> str:
    return (
        f"download took longer than {allowed_s:g} s "
        f"({DOWNLOAD_DEADLINE_FACTOR} x the {timeout:g} s URL timeout, POLICYLENS_HTTP_TIMEOUT)"
    )


def detect_format(name: str, data: bytes, content_type: str | None) -> str:
    """Return the format of a source from its bytes, content type and name, in that order."""
    sniffed = sniff_format(data)
    if sniffed:
        return sniffed
    if content_type and content_type in FORMAT_BY_CONTENT_TYPE:
        return FORMAT_BY_CONTENT_TYPE[content_type]
    suffix = _name_suffix(name)
    if suffix in FORMAT_BY_SUFFIX:
        return FORMAT_BY_SUFFIX[suffix]
    if is_url(name) and not suffix:
        # A page without a name or a type: markup makes it HTML, anything else plain text.
        return "html" if b"<" in data[:4096] else "txt"
    supported = ", ".join(sorted(set(FORMAT_BY_SUFFIX)))
    raise IngestError(
        name, f"unsupported format '{suffix or content_type}' (supported: {supported})"
    )


def import_readers(sources: Iterable[Source]) -> None:
    """Import what reading ``sources`` takes (their formats' parsers, the HTTP client for
    URLs), so that worker processes forked next start with it."""
    listed = list(sources)
    if any(source.is_url for source in listed):
        importlib.import_module("httpx")
    import_parsers({_likely_format(source) for source in listed})


def _likely_format(source: Source) -> str:
    """Return the format a source's name suggests (a URL without a known suffix: a page)."""
    return FORMAT_BY_SUFFIX.get(_name_suffix(source.name), "html" if source.is_url else "txt")


def _name_suffix(name: str) -> str:
    """Return the lower-cased suffix of a file name or of a URL's path."""
    return Path(urlparse(name).path if is_url(name) else name).suffix.lower()


def is_blank(text: str) -> bool:
    """Return whether text shows nothing: only whitespace, BOMs, zero-width and control marks."""
    # Cf holds U+FEFF, U+200B-U+200D, U+2060 and the direction marks; Cc the control codes.
    return all(ch.isspace() or unicodedata.category(ch) in ("Cf", "Cc") for ch in text)


def without_lone_surrogates(text: str) -> str:
    """Return text with surrogate pairs joined and lone surrogates replaced by U+FFFD.

    A PDF's character map can map glyphs to UTF-16 surrogates; pypdf passes them through as
    code points that no database can store as UTF-8.
    """
    if SURROGATE.search(text) is None:
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def load(source: Source, settings: Settings) -> RawDocument:
    """Return the RawDocument of one source; raise IngestError naming it and the problem."""
    data, content_type = read_bytes(source, settings)
    if not data.strip():
        raise IngestError(source.name, "empty file")
    fmt = detect_format(source.name, data, content_type)
    try:
        extracted = extract(data, fmt, max_file_bytes(settings))
    except FormatError as exc:
        raise IngestError(source.name, str(exc)) from exc
    text = without_lone_surrogates(extracted.text)
    if is_blank(text):
        raise IngestError(source.name, "no text in the document")
    return RawDocument(
        source=source.name,
        sha256=hashlib.sha256(data).hexdigest(),
        format=fmt,
        encoding=extracted.encoding,
        raw_text=text,
        title=extracted.title and without_lone_surrogates(extracted.title),
        published=extracted.published and without_lone_surrogates(extracted.published),
        size=len(data),
    )
