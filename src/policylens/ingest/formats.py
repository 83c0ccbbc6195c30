"""Bytes of one format → text: plain text in any encoding, HTML, PDF, DOCX."""

from __future__ import annotations

import codecs
import io
from dataclasses import dataclass

from charset_normalizer import from_bytes

FORMAT_BY_SUFFIX = {
    ".txt": "txt",
    ".md": "txt",
    ".text": "txt",
    ".html": "html",
    ".htm": "html",
    ".shtml": "html",
    ".xhtml": "html",
    ".pdf": "pdf",
    ".docx": "docx",
}
FORMAT_BY_CONTENT_TYPE = {
    "text/plain": "txt",
    "text/markdown": "txt",
    "text/html": "html",
    "application/xhtml+xml": "html",
    "application/pdf": "pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
}
# Encodings tried, in order, when the bytes are not UTF-8 and carry no BOM.
# charset-normalizer ranks them on the bytes themselves.
CJK_ENCODINGS = ["gb18030", "big5", "big5hkscs", "utf_16", "shift_jis", "euc_kr", "cp1252"]


UTF16_MIN_PLAUSIBLE = 0.95


class FormatError(ValueError):
    """The bytes are not what their format says, or hold no text."""


@dataclass(frozen=True, slots=True)
class Extracted:
    """Text taken out of a document's bytes, with what the format told about it."""

    text: str
    encoding: str | None
    title: str | None = None
    published: str | None = None


def sniff_format(data: bytes) -> str | None:
    """Return the format the bytes themselves announce, if any."""
    head = data[:1024].lstrip()
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"PK\x03\x04") and b"word/" in data[:65536]:
        return "docx"
    lowered = head[:512].lower()
    if lowered.startswith((b"<!doctype html", b"<html")) or b"<html" in lowered:
        return "html"
    return None


def decode_text(data: bytes) -> tuple[str, str]:
    """Return ``(text, encoding)`` of plain-text bytes; raise FormatError if they are not text."""
    text, encoding = _decode(data)
    return _without_nuls(text), encoding


def _without_nuls(text: str) -> str:
    """Return text without stray NUL characters; many of them mean the bytes are binary."""
    nuls = text.count("\x00")
    if nuls > len(text) // 100:
        raise FormatError("binary data, not text")
    # A stray NUL carries nothing, and PostgreSQL cannot store one.
    return text.replace("\x00", "") if nuls else text


def _decode(data: bytes) -> tuple[str, str]:
    for bom, name in (
        (codecs.BOM_UTF8, "utf_8_sig"),
        (codecs.BOM_UTF16_LE, "utf_16"),
        (codecs.BOM_UTF16_BE, "utf_16"),
    ):
        if data.startswith(bom):
            try:
                return data.decode(name), name
            except UnicodeDecodeError:
                break  # a damaged file behind a BOM: let detection decide
    try:
        return data.decode("utf-8"), "utf_8"
    except UnicodeDecodeError:
        pass
    if _looks_utf16(data):
        # Chinese UTF-16 has few NUL bytes, so decode both byte orders strictly and
        # keep one only if it reads as ordinary text; other encodings' bytes decoded
        # as UTF-16 give surrogates, Hangul and private-use characters instead.
        for name in ("utf_16_le", "utf_16_be"):
            try:
                candidate = data.decode(name)
            except UnicodeDecodeError:
                continue
            if _plausible_text_share(candidate) >= UTF16_MIN_PLAUSIBLE:
                return candidate, name
    if data.count(b"\x00") > len(data) // 100:
        raise FormatError("binary data, not text")
    best = from_bytes(data, cp_isolation=CJK_ENCODINGS).best()
    if best is None or best.encoding is None:
        raise FormatError("could not detect a text encoding")
    return str(best), best.encoding


def _looks_utf16(data: bytes) -> bool:
    """Return whether BOM-less bytes could be UTF-16 (even length, some text-like NUL pattern)."""
    return len(data) >= 4 and len(data) % 2 == 0


def _plausible_text_share(text: str) -> float:
    """Return the share of characters that ordinary Chinese or English text is made of."""
    if not text:
        return 0.0
    ordinary = sum(
        1
        for ch in text
        if (ch.isascii() and (ch.isprintable() or ch in "\n\r\t"))
        or "\u4e00" <= ch <= "\u9fff"
        or "\u3000" <= ch <= "\u303f"
        or "\uff00" <= ch <= "\uffef"
        or ch in "“”‘’—…·"
    )
    return ordinary / len(text)


def extract_html(data: bytes) -> Extracted:
    """Return the main text, title and date of an HTML page (trafilatura)."""
    import trafilatura

    html, encoding = decode_html(data)
    try:
        result = trafilatura.bare_extraction(
            html,
            with_metadata=True,
            include_comments=False,
            include_tables=True,
            favor_recall=True,
        )
    except Exception as exc:  # hostile markup can make the HTML parser raise anything
        raise FormatError(f"not a readable HTML page ({type(exc).__name__}: {exc})") from exc
    if result is None or not (result.text or "").strip():
        raise FormatError("no main text found in the HTML page")
    return Extracted(result.text, encoding, result.title or None, result.date or None)


def decode_html(data: bytes) -> tuple[str, str]:
    """Return the page as text, honouring a declared charset before guessing."""
    head = data[:4096].lower()
    for marker in (b'charset="', b"charset='", b"charset="):
        at = head.find(marker)
        if at == -1:
            continue
        declared = head[at + len(marker) :].split(b'"')[0].split(b"'")[0].split(b";")[0]
        name = declared.strip().decode("ascii", "ignore").strip(" >/")
        try:
            codecs.lookup(name)
        except (LookupError, ValueError):  # unknown name, or one with a NUL in it
            break
        try:
            return data.decode(name), name
        except UnicodeDecodeError:
            break
    return decode_text(data)


def extract_pdf(data: bytes) -> Extracted:
    """Return the text layer of a PDF, pages separated by form feeds."""
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data))
        pages = [page.extract_text() or "" for page in reader.pages]
        title = reader.metadata.title if reader.metadata else None
    except Exception as exc:  # a damaged PDF can make pypdf raise almost anything
        raise FormatError(f"not a readable PDF ({type(exc).__name__}: {exc})") from exc
    text = "\n\f\n".join(pages)
    if not text.strip():
        raise FormatError("PDF has no text layer (a scan? OCR it first)")
    return Extracted(text, None, title or None)


def extract_docx(data: bytes) -> Extracted:
    """Return the paragraphs and table rows of a DOCX, in document order."""
    import docx
    from docx.document import Document as DocxDocument
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document: DocxDocument = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises many kinds for a broken zip
        raise FormatError(f"not a readable DOCX ({type(exc).__name__}: {exc})") from exc
    blocks: list[str] = []
    for block in document.iter_inner_content():
        if isinstance(block, Paragraph):
            blocks.append(block.text)
        elif isinstance(block, Table):
            blocks.extend(" | ".join(cell.text.strip() for cell in row.cells) for row in block.rows)
    text = "\n".join(blocks)
    if not text.strip():
        raise FormatError("DOCX holds no text")
    # core_properties.created is when the file was made, not when the policy was
    # published, so it is not taken as a date.
    return Extracted(text, None, document.core_properties.title or None)


def extract(data: bytes, fmt: str) -> Extracted:
    """Return the text of bytes in the given format."""
    if fmt == "html":
        return extract_html(data)
    if fmt == "pdf":
        return extract_pdf(data)
    if fmt == "docx":
        return extract_docx(data)
    text, encoding = decode_text(data)
    return Extracted(text, encoding)
