"""Bytes of one format → text: plain text in any encoding, HTML, PDF, DOCX."""

from __future__ import annotations

import codecs
import importlib
import io
import re
import unicodedata
import warnings
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any

from charset_normalizer import from_bytes

if TYPE_CHECKING:
    import lxml.html
    from docx.document import Document as DocxDocument
    from pypdf import PageObject, PdfReader

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
# The libraries each format is read with, imported on its first document of that format.
PARSER_MODULES = {
    "html": ("lxml.etree", "lxml.html", "trafilatura"),
    "pdf": ("pypdf",),
    "docx": ("docx",),
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
# A file that is UTF-8 but for a few bad bytes: at least this many characters read, and at
# most one bad sequence in this many of them.
UTF8_MIN_READ = 20
# ASCII bytes that shift into HZ or ISO-2022 are read so if they give this many Han characters.
SEVEN_BIT_MIN_HAN = 10
UTF8_MAX_BAD_SHARE = 100

# Python names of the single-byte Western code pages that servers and editors put on pages
# by default. A Chinese page labelled with one of them was mislabelled, so when its bytes
# are not plain ASCII the label is not trusted and the bytes decide (UTF-8, then detection).
WESTERN_SINGLE_BYTE = frozenset({"ascii", "iso8859-1", "iso8859-15", "cp1252"})
# A declared charset was read from the page as ASCII, so it must read ASCII bytes as ASCII;
# this rules out UTF-16/32 labels on an ASCII page, EBCDIC, UTF-7 and escape codecs.
# Escape codecs (unicode_escape) read ASCII as ASCII but for the escapes at the end.
ASCII_PROBE = bytes(range(0x20, 0x7F)) + b"\t\n\r\\x41\\u4e00"

# DOCX is a zip; python-docx inflates every part it reads. Real DOCX parts are XML that
# deflates 5-20x and media that is already compressed, so a document may expand to at
# most DOCX_MAX_EXPANSION times its own size (Apache POI's zip-bomb guard uses 100x too),
# never below DOCX_MIN_EXPANDED_LIMIT (so a small file is not refused for one repetitive
# part) and never above DOCX_MAX_EXPANSION_OF_LIMIT times the largest file accepted
# (--max-size): at 50 MB, 1 GB. Millions of empty paragraphs in a small file are refused
# by the ratio; python-docx would otherwise take minutes walking them.
DOCX_MAX_EXPANSION = 100
DOCX_MIN_EXPANDED_LIMIT = 10 * 1024 * 1024
DOCX_MAX_EXPANSION_OF_LIMIT = 20

# trafilatura's main-text search takes time quadratic in a page's elements: 10,000 inline
# spans take ~1 s, 30,000 ~8 s, 100,000 a minute. Real policy pages have a few thousand.
# Past this many tags ("<" counted in the bytes) a page is read as plain blocks of text.
HTML_MAX_TAGS_FOR_MAIN_TEXT = 30_000
# libxml2 refuses a text node over 10 MB (an inline image or script) unless told the tree
# is huge, and trafilatura does not tell it: such a page is read as plain blocks of text.
HTML_HUGE_NODE_BYTES = 10_000_000
HTML_BLOCKS = (
    *("address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption"),
    *("footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main"),
    *("nav", "ol", "p", "pre", "section", "table", "td", "th", "tr", "ul"),
)
# What a page over HTML_HUGE_NODE_BYTES loses before the main-text search: elements that
# show no text, and attribute values this long (inline images as data: URLs).
HTML_INVISIBLE = ("script", "style", "noscript", "template", "svg", "iframe", "object")
HTML_LONGEST_ATTRIBUTE = 65_536
# libxml2 stops nesting at 256 levels unless told the tree is huge (trafilatura does not
# tell it): a page of more tags than that is parsed here first, and if it nests deeper its
# inline wrappers are unwrapped, and it is read as blocks if it still nests deeper.
HTML_MAX_DEPTH = 200
HTML_INLINE = ("font", "span", "b", "i", "u", "em", "strong", "small", "big", "s", "strike")
# libxml2 checks each attribute against the tag's others, so a tag of 200,000 attributes
# takes minutes: on a page of that many, tags over 10,000 characters lose their attributes.
HTML_MANY_ATTRIBUTES = 10_000
DOCTYPE_SUBSET = re.compile(rb"<!DOCTYPE[^\[>]*\[.*?\]\s*>", re.IGNORECASE | re.DOTALL)
HTML_LONG_TAG = re.compile(rb"<([A-Za-z][\w:-]*)\s[^<>]{10000,}>")


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
        (codecs.BOM_UTF32_LE, "utf_32"),  # before UTF-16: FF FE 00 00 opens both
        (codecs.BOM_UTF32_BE, "utf_32"),
        (codecs.BOM_UTF16_LE, "utf_16"),
        (codecs.BOM_UTF16_BE, "utf_16"),
    ):
        if data.startswith(bom):
            try:
                return data.decode(name), name
            except UnicodeDecodeError:
                break  # a damaged file behind a BOM: let detection decide
    if data.isascii():
        return _seven_bit(data)
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
    damaged = _damaged_utf8(data)
    if damaged is not None:
        return damaged
    best = from_bytes(data, cp_isolation=CJK_ENCODINGS).best()
    if best is None or best.encoding is None:
        raise FormatError("could not detect a text encoding")
    return str(best), best.encoding


def _seven_bit(data: bytes) -> tuple[str, str]:
    """Return ASCII bytes as text: as HZ or ISO-2022 Chinese if they shift into it and read
    as Chinese that way (old mail and newsgroup archives), else as they are."""
    for shift, name in ((b"~{", "hz"), (b"\x1b$", "iso2022_jp_2")):
        if shift in data:
            try:
                text = data.decode(name)
            except UnicodeDecodeError:
                continue
            if sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff") >= SEVEN_BIT_MIN_HAN:
                return text, name
    return data.decode("ascii"), "utf_8"


def _damaged_utf8(data: bytes) -> tuple[str, str] | None:
    """Return UTF-8 text with a few bad bytes (a stray byte, a cp1252 quote pasted in) as
    UTF-8 with those bytes replaced by U+FFFD; None if the bytes are not mostly UTF-8.

    Text in another encoding read as UTF-8 fails on most of its non-ASCII characters; here
    at most one in UTF8_MAX_BAD_SHARE of them is bad, among enough to tell.
    """
    text = data.decode("utf-8", "replace")
    bad = text.count("\ufffd")
    # Non-ASCII characters, counted in C: a loop over every character was 5% of a run.
    read = len(text) - len(text.encode("ascii", "ignore")) - bad
    if read < UTF8_MIN_READ or bad * UTF8_MAX_BAD_SHARE > read:
        return None
    return text, f"utf_8 ({bad} damaged byte sequence{'s' if bad > 1 else ''} replaced)"


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
        or _is_accented_latin(ch)
    )
    return ordinary / len(text)


def _is_accented_latin(ch: str) -> bool:
    """Return whether a character is a Latin letter with a diacritic (pinyin tones: ǎ è ù ü).

    Other letters stay implausible: bytes of other encodings read as UTF-16 give Hangul
    and rare CJK blocks, which must keep failing the check.
    """
    return (
        not ch.isascii()
        and unicodedata.category(ch).startswith("L")
        and unicodedata.name(ch, "").startswith("LATIN ")
    )


def import_parsers(formats: Iterable[str]) -> None:
    """Import the libraries that read ``formats`` now, rather than on a first document.

    A worker process forked after this has them, in pages shared with its parent; one
    forked before imported each itself (trafilatura ~130 ms of CPU, pypdf ~90, python-docx
    ~50) and held its own copy.
    """
    for fmt in set(formats):
        for module in PARSER_MODULES.get(fmt, ()):
            importlib.import_module(module)


def extract_html(data: bytes) -> Extracted:
    """Return the main text, title and date of an HTML page (trafilatura)."""
    import lxml.etree
    import lxml.html
    import trafilatura

    if data.count(b"=") > HTML_MANY_ATTRIBUTES:
        data = HTML_LONG_TAG.sub(rb"<\1>", data)
    if b"<!ENTITY" in data[:65536] or b"<!entity" in data[:65536]:
        # An HTML parser reads a DOCTYPE's internal subset as text ("]>" and the entity names
        # showed up in the page): the declarations go, and no entity is ever expanded.
        data = DOCTYPE_SUBSET.sub(b"<!DOCTYPE html>", data, count=1)
    html, encoding = decode_html(data)
    tags, huge = data.count(b"<"), len(data) > HTML_HUGE_NODE_BYTES
    try:
        if tags > HTML_MAX_TAGS_FOR_MAIN_TEXT:
            return _html_blocks(_parse_huge(html), encoding)
        # One parse serves the depth check and the slimming of a huge page.
        root = _parse_huge(html) if tags > HTML_MAX_DEPTH or huge else None
    except _NestedPastTheParser:
        return _streamed_blocks(html, encoding)
    reshaped = huge
    if root is not None and _depth(root) > HTML_MAX_DEPTH:
        # Legacy pages leave <font> and <span> open: every paragraph after nests one deeper.
        lxml.etree.strip_tags(root, *HTML_INLINE)
        if _depth(root) > HTML_MAX_DEPTH:
            return _html_blocks(root, encoding)
        reshaped = True
    if root is not None and reshaped:
        if huge:
            _drop_invisible(root)
        html = lxml.html.tostring(root, encoding="unicode")
        if huge and len(html.encode("utf-8")) > HTML_HUGE_NODE_BYTES:  # the text itself is huge
            return _html_blocks(root, encoding)
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
    return Extracted(result.text, encoding, _title(result.title), result.date or None)


def _depth(root: lxml.html.HtmlElement) -> int:
    """Return how deep a parsed page nests."""
    import lxml.etree

    depth = deepest = 0
    for event, _ in lxml.etree.iterwalk(root, events=("start", "end")):
        depth += 1 if event == "start" else -1
        deepest = max(deepest, depth)
    return deepest


class _NestedPastTheParser(Exception):
    """libxml2 stopped at its deepest level (2,048 for a huge tree) and kept nothing past it."""


def _parse_huge(html: str) -> lxml.html.HtmlElement:
    """Return the page parsed however big its nodes are."""
    import lxml.etree
    import lxml.html

    parser = lxml.html.HTMLParser(
        huge_tree=True, remove_comments=True, remove_pis=True, encoding="utf-8"
    )
    try:
        root = lxml.html.document_fromstring(html.encode("utf-8", "replace"), parser=parser)
    except (lxml.etree.ParserError, ValueError) as exc:
        raise FormatError(f"not a readable HTML page ({exc})") from exc
    if any(error.type_name == "ERR_RESOURCE_LIMIT" for error in parser.error_log):
        raise _NestedPastTheParser
    return root


class _BlockStream(HTMLParser):
    """A page's visible text, a line break at each block's edges, read tag by tag: no tree
    is built, so no nesting is too deep for it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title: list[str] = []
        self._hidden = 0  # inside this many invisible elements (scripts, styles)
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in HTML_INVISIBLE:
            self._hidden += 1
        elif tag == "title":
            self._in_title = True
        elif tag in HTML_BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in HTML_INVISIBLE:
            self._hidden = max(self._hidden - 1, 0)
        elif tag == "title":
            self._in_title = False
        elif tag in HTML_BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title.append(data)
        elif not self._hidden:
            self.parts.append(data)


def _streamed_blocks(html: str, encoding: str) -> Extracted:
    """Return what ``_html_blocks`` does, for a page nested deeper than libxml2 reads."""
    stream = _BlockStream()
    try:
        stream.feed(html)
        stream.close()
    except Exception as exc:  # the standard parser asserts on some broken declarations
        raise FormatError(f"not a readable HTML page ({type(exc).__name__}: {exc})") from exc
    return _block_lines("".join(stream.parts), encoding, "".join(stream.title))


def _drop_invisible(root: lxml.html.HtmlElement) -> None:
    """Remove from a page what shows no text: scripts, styles, inline images."""
    import lxml.etree

    lxml.etree.strip_elements(root, *HTML_INVISIBLE, with_tail=False)
    for element in root.iter():
        for name, value in element.attrib.items():
            if len(value) > HTML_LONGEST_ATTRIBUTE:
                del element.attrib[name]


def _html_blocks(root: lxml.html.HtmlElement, encoding: str) -> Extracted:
    """Return all the visible text of a page, a line per block, for pages too big or too
    intricate for the main-text search (boilerplate is left to normalization)."""
    import lxml.etree

    titles = root.xpath("//title/text()")
    lxml.etree.strip_elements(root, "head", *HTML_INVISIBLE, with_tail=False)
    for element in root.iter(*HTML_BLOCKS):
        element.tail = "\n" + (element.tail or "")
    return _block_lines(root.text_content(), encoding, titles[0] if titles else None)


def _block_lines(content: str, encoding: str, title: str | None) -> Extracted:
    """Return a page's visible text, a line break at each block's edges, as its lines
    stripped and blank ones dropped."""
    lines = (line.strip() for line in content.splitlines())
    text = "\n".join(line for line in lines if line)
    if not text:
        raise FormatError("no text found in the HTML page")
    return Extracted(text, encoding, _title(title))


def decode_html(data: bytes) -> tuple[str, str]:
    """Return the page as text, honouring a usable declared charset before guessing."""
    declared = _declared_charset(data[:4096])
    if declared is None:
        return decode_text(data)
    if declared in WESTERN_SINGLE_BYTE and not data.isascii():
        # Mislabelled Chinese pages are common (UTF-8 or GBK under a latin-1 label):
        # let the bytes decide, and keep the label only if they cannot.
        try:
            return decode_text(data)
        except FormatError:
            pass
    try:
        return data.decode(declared), declared
    except UnicodeError:  # the bytes are not in the declared charset after all
        return decode_text(data)


def _declared_charset(head: bytes) -> str | None:
    """Return the Python codec name of the page's declared charset, if it is a usable one."""
    lowered = head.lower()
    for marker in (b'charset="', b"charset='", b"charset="):
        at = lowered.find(marker)
        if at == -1:
            continue
        declared = lowered[at + len(marker) :].split(b'"')[0].split(b"'")[0].split(b";")[0]
        return _text_codec(declared.strip().decode("ascii", "ignore").strip(" >/"))
    return None


def _text_codec(name: str) -> str | None:
    """Return the canonical name of an ASCII-compatible text codec, or None.

    rot13, hex, base64 and zlib are bytes/str transforms, "undefined" refuses to decode,
    and a UTF-16 label on a page whose label reads as ASCII is wrong: all are ignored.
    """
    try:
        codec = codecs.lookup(name)
        with warnings.catch_warnings():  # escape codecs warn of the probe's "\]" as they read it
            warnings.simplefilter("ignore", DeprecationWarning)
            ascii_compatible = ASCII_PROBE.decode(codec.name) == ASCII_PROBE.decode("ascii")
    except (LookupError, ValueError):  # unknown name, a NUL in it, or a codec that refuses
        return None
    if not codec._is_text_encoding or not ascii_compatible:
        return None
    return codec.name


def extract_pdf(data: bytes) -> Extracted:
    """Return the text layer of a PDF, pages separated by form feeds.

    A page pypdf cannot read costs that page, not the document: its place is left empty.
    """
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError

    try:
        reader = PdfReader(io.BytesIO(data))
        pages = list(reader.pages)
    except FileNotDecryptedError as exc:  # an empty user password is tried, and opens most
        raise FormatError(
            "PDF is password-protected: save a copy without the password and ingest that"
        ) from exc
    except Exception as exc:  # a damaged PDF can make pypdf raise almost anything
        raise FormatError(f"not a readable PDF ({type(exc).__name__}: {exc})") from exc
    texts, failures = [], []
    for page in pages:
        try:
            _read_embedded_cmaps_as_two_byte(page)
            texts.append(page.extract_text() or "")
        except Exception as exc:  # one damaged page: the others are still worth reading
            texts.append("")
            failures.append(exc)
    text = "\n\f\n".join(texts)
    if not text.strip():
        if failures:
            first = failures[0]
            raise FormatError(f"not a readable PDF ({type(first).__name__}: {first})")
        raise FormatError("PDF has no text layer (a scan? OCR it first)")
    return Extracted(text, None, _pdf_title(reader))


# A codespace range of two-byte codes in a CMap: <0000> <FFFF>.
TWO_BYTE_CODESPACE = re.compile(rb"begincodespacerange\s*<[0-9A-Fa-f]{4}>\s*<[0-9A-Fa-f]{4}>")


def _read_embedded_cmaps_as_two_byte(page: PageObject) -> None:
    """Mark the page's composite fonts whose encoding is an embedded two-byte CMap (fpdf2's,
    for a CFF font such as Noto CJK) as Identity-H, in memory: pypdf reads such a font's
    text one byte at a time, so past its 256th glyph the text comes back as garbage. Its
    ToUnicode map still gives each two-byte code its characters."""
    from pypdf.generic import NameObject, StreamObject

    try:
        fonts = page["/Resources"].get_object()["/Font"].get_object()
        for reference in fonts.values():
            font = reference.get_object()
            encoding = font.get("/Encoding")
            encoding = encoding.get_object() if encoding is not None else None
            if (
                font.get("/Subtype") == "/Type0"
                and "/ToUnicode" in font
                and isinstance(encoding, StreamObject)
                and TWO_BYTE_CODESPACE.search(encoding.get_data())
            ):
                font[NameObject("/Encoding")] = NameObject("/Identity-H")
    except Exception:  # a damaged or missing font dictionary: pypdf reads the page as it is
        return


def _pdf_title(reader: PdfReader) -> str | None:
    """Return the PDF's title, if its /Info has a usable one."""
    try:
        return _title(reader.metadata.title if reader.metadata else None)
    except Exception:  # a damaged /Info costs the title, not the text
        return None


def _title(value: object) -> str | None:
    """Return a metadata title if it is a non-blank string (a PDF's /Title may be anything)."""
    if not isinstance(value, str):
        return None
    return value.replace("\x00", "").strip() or None


def extract_docx(data: bytes, max_file_bytes: int) -> Extracted:
    """Return the paragraphs and table rows of a DOCX, in document order.

    ``max_file_bytes`` is the largest input accepted; it bounds how far the zip may expand.
    """
    import docx

    _check_docx_expansion(data, max_file_bytes)
    try:
        document: DocxDocument = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises many kinds for a broken zip
        raise FormatError(_docx_problem(data, exc)) from exc
    if document.element.body is None:
        raise FormatError("DOCX has no document body (word/document.xml holds no <w:body>)")
    try:
        text = "\n".join(_docx_blocks(document))
        title = document.core_properties.title
    except Exception as exc:  # hostile XML can make python-docx raise anything while walking
        raise FormatError(_docx_problem(data, exc)) from exc
    if not text.strip():
        raise FormatError("DOCX holds no text")
    # core_properties.created is when the file was made, not when the policy was
    # published, so it is not taken as a date.
    return Extracted(text, None, _title(title))


def _check_docx_expansion(data: bytes, max_file_bytes: int) -> None:
    """Raise FormatError if the zip's parts together declare more bytes than are allowed.

    zipfile (which python-docx reads through) stops a part at its declared size, so the
    declared sizes bound what will be inflated.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            expanded = sum(info.file_size for info in archive.infolist())
    except Exception as exc:  # BadZipFile, or a damaged directory zipfile trips over
        raise FormatError(_docx_problem(data, exc)) from exc
    allowed = docx_expanded_limit(len(data), max_file_bytes)
    if expanded > allowed:
        raise FormatError(
            f"DOCX expands to {_size(expanded)} when unzipped, over the {_size(allowed)} "
            f"allowed for a {_size(len(data))} file (a zip bomb? the limit is "
            f"{DOCX_MAX_EXPANSION}x the file, at least {_size(DOCX_MIN_EXPANDED_LIMIT)}, "
            f"at most {DOCX_MAX_EXPANSION_OF_LIMIT}x --max-size)"
        )


def _docx_problem(data: bytes, exc: Exception) -> str:
    """Return why bytes named .docx could not be read, naming what they are, or what is wrong
    with them, when that is known."""
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        return "an old Word .doc file, not DOCX: save it as .docx (Word, LibreOffice) first"
    if data.startswith(b"{\\rtf"):
        return "an RTF file, not DOCX: save it as .docx (Word, LibreOffice) first"
    if "Excessive depth" in str(exc):
        return "DOCX nests its XML deeper than 256 levels (no word processor writes that)"
    return f"not a readable DOCX ({type(exc).__name__}: {exc})"


def docx_expanded_limit(file_bytes: int, max_file_bytes: int) -> int:
    """Return how many bytes a DOCX of ``file_bytes`` may expand to (see DOCX_MAX_EXPANSION)."""
    by_ratio = max(DOCX_MIN_EXPANDED_LIMIT, DOCX_MAX_EXPANSION * file_bytes)
    return min(by_ratio, DOCX_MAX_EXPANSION_OF_LIMIT * max_file_bytes)


def _size(size: int) -> str:
    """Return a byte count for people: 30 KB, 10.0 MB, 1.5 GB."""
    if size < 1024**2:
        return f"{size / 1024:.0f} KB"
    if size < 1024**3:
        return f"{size / 1024**2:.1f} MB"
    return f"{size / 1024**3:.1f} GB"


W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
MARKUP_COMPATIBILITY = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
# Elements that only wrap blocks, rows, cells or runs: content controls, custom XML, smart
# tags, tracked insertions and moves, simple fields, hyperlinks.
DOCX_WRAPPERS = frozenset(
    W + name
    for name in (
        *("sdt", "sdtContent", "customXml", "smartTag", "ins", "moveTo", "fldSimple"),
        *("hyperlink", "dir", "bdo"),
    )
)
# Text that is not in the document as it reads now: deleted or moved-away runs, and the
# fallback copy of a drawing (a text box written twice, for old and new Word).
DOCX_GONE = frozenset((W + "del", W + "moveFrom", MARKUP_COMPATIBILITY + "Fallback"))


def _docx_blocks(document: DocxDocument) -> Iterator[str]:
    """Yield each paragraph's text and each table row's cells joined by " | ", in document
    order, through content controls, tracked changes, fields, text boxes and nested tables."""
    yield from _blocks(document.element.body, document)


def _blocks(container: Any, parent: Any) -> Iterator[str]:
    """Yield the text of the paragraphs and table rows in a body, cell or text box."""
    for child in container.iterchildren():
        if child.tag == W + "p":
            yield from _paragraph(child, parent)
        elif child.tag == W + "tbl":
            yield from (" | ".join(cells) for cells in _rows(child, parent))
        elif child.tag in DOCX_WRAPPERS:
            yield from _blocks(child, parent)


def _paragraph(p: Any, parent: Any) -> Iterator[str]:
    """Yield a paragraph's text, then that of the text boxes anchored in it."""
    from docx.text.run import Run

    runs, boxes = [], []
    for element in _visible_descendants(p):
        if element.tag == W + "r":
            runs.append(Run(element, parent).text)
        elif element.tag == W + "txbxContent":
            boxes.append(element)
    yield "".join(runs)
    for box in boxes:
        yield from _blocks(box, parent)


def _visible_descendants(element: Any) -> Iterator[Any]:
    """Yield the runs and text boxes of a paragraph in document order, not those deleted,
    nor the runs inside its text boxes (their own paragraphs read them)."""
    for child in element.iterchildren():
        if child.tag in DOCX_GONE:
            continue
        if child.tag in (W + "r", W + "txbxContent"):
            yield child
        if child.tag != W + "txbxContent":  # a run may hold a drawing with a text box
            yield from _visible_descendants(child)


def _rows(table: Any, parent: Any) -> Iterator[list[str]]:
    """Yield each row of a table as its cells' texts.

    The <w:tc> elements themselves, not python-docx's row.cells: those repeat a cell once per
    grid column it spans (gridSpan can claim billions) and follow vertical merges up the
    table recursively (deep recursion, or an error in the first row).
    """
    for child in table.iterchildren():
        if child.tag == W + "tr":
            yield [_cell_text(cell, parent) for cell in _cells(child)]
        elif child.tag in DOCX_WRAPPERS:
            yield from _rows(child, parent)


def _cells(row: Any) -> Iterator[Any]:
    for child in row.iterchildren():
        if child.tag == W + "tc":
            yield child
        elif child.tag in DOCX_WRAPPERS:
            yield from _cells(child)


def _cell_text(cell: Any, parent: Any) -> str:
    return "\n".join(_blocks(cell, parent)).strip()


def extract(data: bytes, fmt: str, max_file_bytes: int) -> Extracted:
    """Return the text of bytes in the given format (``max_file_bytes``: see extract_docx)."""
    if fmt == "html":
        return extract_html(data)
    if fmt == "pdf":
        return extract_pdf(data)
    if fmt == "docx":
        return extract_docx(data, max_file_bytes)
    text, encoding = decode_text(data)
    return Extracted(text, encoding)
