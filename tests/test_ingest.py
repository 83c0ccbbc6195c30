"""Ingest on real inputs: encodings, formats, folders, bad input, mixed runs, idempotency.

Everything here reads real files written into ``tmp_path`` (encoded variants of
the sample corpus, copies of the checked-in format fixtures, deliberately broken
files); nothing is mocked.
"""

from __future__ import annotations

import codecs
import contextlib
import hashlib
import http.server
import io
import json
import os
import random
import re
import shutil
import struct
import threading
import time
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from conftest import CORPUS, FIXTURES
from policylens import api
from policylens.cli import app
from policylens.config import load_settings
from policylens.errors import IngestError
from policylens.ingest import Source, expand_inputs, load
from policylens.ingest.formats import extract_html
from policylens.parallel import Known, Outcome
from policylens.pipeline import process
from policylens.resources import Resources
from policylens.store import Store

FORMATS = FIXTURES / "formats"
UNSEEN = FIXTURES / "unseen"

DOC_000 = CORPUS / "000_9e1a09e82d249843.txt"  # simplified Chinese digest
DOC_002 = CORPUS / "002_83f04e59e465262b.txt"
DOC_003 = CORPUS / "003_f00c508a819b93d2.txt"  # traditional Chinese, with pinyin glosses
UNREACHABLE_URL = "http://127.0.0.1:9/x.html"  # discard port: loopback refuses it


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the caller's POLICYLENS_* settings and proxies out of the tests."""
    for name in list(os.environ):
        if name.startswith("POLICYLENS_") or name.lower() in {
            "http_proxy",
            "https_proxy",
            "all_proxy",
            "no_proxy",
        }:
            monkeypatch.delenv(name)


def _db(tmp_path: Path, name: str = "kb.db") -> str:
    return f"sqlite:///{tmp_path / name}"


def _corpus_files() -> list[Path]:
    files = sorted(CORPUS.glob("*.txt"))
    assert len(files) == 5
    return files


def _png() -> bytes:
    """Return a real 4x4 red PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    pixels = b"".join(b"\x00" + bytes([255, 0, 0]) * 4 for _ in range(4))
    header = struct.pack(">IIBBBBB", 4, 4, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(pixels))
        + chunk(b"IEND", b"")
    )


def _random_bytes(n: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(n)


def _cli(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def _assert_clean_exit(result: Result, code: int) -> None:
    """The CLI ended with ``code`` through typer.Exit, not through an escaped exception."""
    assert not isinstance(result.exception, Exception), (
        f"uncaught {result.exception!r}; output:\n{result.output}"
    )
    assert "Traceback" not in result.output
    assert result.exit_code == code, result.output


# --------------------------------------------------------------------------- encodings


def _simplified_passage() -> str:
    return DOC_000.read_text("utf-8")[:2000]


def _traditional_passage() -> str:
    """First 2,000 characters of 003 that Big5 can encode: pinyin glosses like (chǎn) dropped."""
    text = re.sub(r"\([a-zü\u00c0-\u024f]+\)", "", DOC_003.read_text("utf-8"))
    encodable = "".join(ch for ch in text if ch.encode("big5", "ignore"))
    return encodable[:2000]


ENCODED_VARIANTS = [
    pytest.param(_simplified_passage, "utf-8", id="utf-8"),
    pytest.param(_simplified_passage, "utf-8-sig", id="utf-8-bom"),
    pytest.param(_simplified_passage, "gb18030", id="gb18030"),
    pytest.param(_simplified_passage, "gbk", id="gbk"),
    pytest.param(_traditional_passage, "big5", id="big5-traditional"),
    pytest.param(_traditional_passage, "gb18030", id="gb18030-traditional"),
    pytest.param(_simplified_passage, "utf-16", id="utf-16-bom"),
    pytest.param(_simplified_passage, "utf-16-le", id="utf-16-le-no-bom"),
]


@pytest.mark.parametrize(("passage_of", "encoding"), ENCODED_VARIANTS)
def test_load_decodes_every_encoding_back_to_the_passage(
    tmp_path: Path,
    passage_of: Callable[[], str],
    encoding: str,
) -> None:
    passage = passage_of()
    assert len(passage) == 2000
    data = passage.encode(encoding)
    if encoding in ("utf-8-sig", "utf-16"):
        assert data.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    if encoding == "utf-16-le":
        assert not data.startswith(codecs.BOM_UTF16_LE)
    path = tmp_path / f"passage-{encoding}.txt"
    path.write_bytes(data)

    raw = load(Source(str(path)), load_settings(env={}))

    assert raw.format == "txt"
    assert raw.raw_text.removeprefix("\ufeff") == passage
    assert raw.source == str(path)
    assert raw.size == len(data)
    assert raw.sha256 == hashlib.sha256(data).hexdigest()
    # The recorded encoding need not be the one used (GBK bytes are GB18030 bytes),
    # but it must decode these bytes to the same text.
    assert raw.encoding
    assert codecs.decode(data, raw.encoding).removeprefix("\ufeff") == passage


def test_utf16_without_bom_keeps_pinyin_tone_letters_as_text(tmp_path: Path) -> None:
    """003 glosses characters with pinyin (chǎn, yè): accented Latin letters are ordinary text."""
    text = DOC_003.read_text("utf-8")
    assert re.search("[ǎèù]", text)
    path = tmp_path / "003-utf-16-le.txt"
    path.write_bytes(text.encode("utf-16-le"))
    db = _db(tmp_path)

    (result,) = api.ingest([str(path)], db=db).results

    assert result.status == "stored", result.problem
    assert "产业" in api.document(str(result.document_id), db).clean_text


# --------------------------------------------------------------------------- formats


def test_load_pdf() -> None:
    raw = load(Source(str(FORMATS / "plan.pdf")), load_settings(env={}))
    assert raw.format == "pdf"
    assert "政策速递" in raw.raw_text
    assert "元宇宙" in raw.raw_text
    assert "重庆" in raw.raw_text  # the second page's text is there too


HTML_CHROME = [
    "当前位置",  # breadcrumb
    "政策法规",  # main navigation
    "人工智能",  # main navigation
    "请输入关键词",  # search box
    "手机版",  # top bar
    "相关推荐",  # sidebar heading
    "热门排行",  # sidebar heading
    "中国元宇宙谷",  # a related-article title in the sidebar
    "多边央行数字货币桥",  # a hot-list title in the sidebar
    "网友评论",  # comment box
    "抢沙发",  # comment box
    "版权所有",  # footer
    "ICP备",  # footer
    "联系我们",  # footer
    "上一篇",  # previous/next links
    "分享到",  # share bar
    "浏览次数",  # article-info line
]


def test_load_html_keeps_the_article_and_drops_the_page_chrome() -> None:
    raw = load(Source(str(FORMATS / "article.html")), load_settings(env={}))
    assert raw.format == "html"
    assert raw.title is not None
    assert "重庆" in raw.title
    assert raw.published == "2023-09-22"
    assert "1000 亿元" in raw.raw_text or "1000亿元" in raw.raw_text
    assert "满天星" in raw.raw_text  # second paragraph
    assert "永川区" in raw.raw_text  # third paragraph
    leaked = [s for s in HTML_CHROME if s in raw.raw_text]
    assert leaked == []


def test_load_docx_with_its_table() -> None:
    raw = load(Source(str(FORMATS / "notice.docx")), load_settings(env={}))
    assert raw.format == "docx"
    assert "关于印发" in raw.raw_text
    assert "1500亿元" in raw.raw_text
    table_rows = [line for line in raw.raw_text.splitlines() if "1500亿元" in line and "|" in line]
    assert table_rows, "the goals table's cell text is missing"
    assert "链主企业" in raw.raw_text


def test_load_unseen_html() -> None:
    raw = load(Source(str(UNSEEN / "shanghai_plan.html")), load_settings(env={}))
    assert raw.format == "html"
    assert raw.title is not None
    assert "上海" in raw.title
    assert raw.published == "2022-07-08"
    assert "沪府办发〔2022〕14号" in raw.raw_text
    assert "3500亿元" in raw.raw_text


def test_load_unseen_pdf() -> None:
    raw = load(Source(str(UNSEEN / "henan_plan.pdf")), load_settings(env={}))
    assert raw.format == "pdf"
    assert "河南省元宇宙产业发展行动计划" in raw.raw_text
    assert "300亿元" in raw.raw_text
    assert "河南省人民政府办公厅" in raw.raw_text  # last page


def test_format_fixtures_ingest_end_to_end(tmp_path: Path) -> None:
    db = _db(tmp_path)
    inputs = [
        str(FORMATS / "plan.pdf"),
        str(FORMATS / "article.html"),
        str(FORMATS / "notice.docx"),
        str(UNSEEN / "shanghai_plan.html"),
        str(UNSEEN / "henan_plan.pdf"),
    ]
    report = api.ingest(inputs, db=db)
    assert [(r.source, r.status, r.problem) for r in report.results] == [
        (name, "stored", None) for name in inputs
    ]
    assert report.ok
    docs = api.documents(db)
    assert [d.format for d in docs] == ["pdf", "html", "docx", "html", "pdf"]
    assert all(d.items > 0 for d in docs)


def _html_page(charset: str) -> str:
    """Return a news page holding the simplified passage, declaring ``charset``."""
    lines = [line for line in _simplified_passage().splitlines() if line.strip()]
    paragraphs = "".join(f"<p>{line}</p>" for line in lines)
    return (
        f'<!DOCTYPE html><html><head><meta charset="{charset}"><title>元宇宙政策速递</title>'
        f"</head><body><article><h1>元宇宙政策速递</h1>{paragraphs}</article></body></html>"
    )


HTML_DECLARED_CHARSETS = [
    # Codecs that are not text encodings, or refuse to decode: the declaration is ignored.
    pytest.param("rot13", "utf-8", id="rot13"),
    pytest.param("hex", "utf-8", id="hex"),
    pytest.param("base64", "utf-8", id="base64"),
    pytest.param("zlib", "utf-8", id="zlib"),
    pytest.param("undefined", "utf-8", id="undefined"),
    pytest.param("utf-16", "utf-8", id="utf-16-label-on-an-ascii-page"),
    # UTF-8 or GBK under a Western label: the bytes decide.
    pytest.param("iso-8859-1", "utf-8", id="utf-8-labelled-iso-8859-1"),
    pytest.param("latin-1", "utf-8", id="utf-8-labelled-latin-1"),
    pytest.param("windows-1252", "utf-8", id="utf-8-labelled-windows-1252"),
    pytest.param("iso-8859-1", "gbk", id="gbk-labelled-iso-8859-1"),
    # A right label is still honoured.
    pytest.param("gbk", "gbk", id="gbk-labelled-gbk"),
]


@pytest.mark.parametrize(("declared", "encoding"), HTML_DECLARED_CHARSETS)
def test_html_declared_charset_is_used_only_when_it_fits(
    tmp_path: Path, declared: str, encoding: str
) -> None:
    path = tmp_path / "page.html"
    path.write_bytes(_html_page(declared).encode(encoding))

    raw = load(Source(str(path)), load_settings(env={}))

    assert raw.format == "html"
    assert "工业和信息化部元宇宙标准化工作组" in raw.raw_text
    assert "元宇宙产业集聚区" in raw.raw_text


def _big_page(middle: str) -> bytes:
    return (
        "<html><head><title>重庆市元宇宙行动计划</title></head><body><article>"
        f"<p>重庆市经信委印发元宇宙产业发展行动计划。</p>{middle}<p>到2025年产业规模达到300亿元。</p>"
        "</article></body></html>"
    ).encode()


@pytest.mark.parametrize(
    "middle",
    [
        "<img src='data:image/png;base64," + "A" * 12_000_000 + "'>",
        "<script>var x = '" + "x" * 12_000_000 + "';</script>",
        "<pre>" + "元宇宙" * 4_000_000 + "</pre>",
    ],
    ids=["inline-image", "inline-script", "huge-text-node"],
)
def test_html_page_with_a_node_over_ten_megabytes_keeps_the_text_after_it(middle: str) -> None:
    # libxml2 stops at a node over 10 MB unless told the tree is huge: the text after it
    # was lost, or the whole page gave "no main text found".
    extracted = extract_html(_big_page(middle))
    assert "重庆市经信委印发元宇宙产业发展行动计划。" in extracted.text
    assert "到2025年产业规模达到300亿元。" in extracted.text
    assert "var x" not in extracted.text and "base64" not in extracted.text
    assert extracted.title == "重庆市元宇宙行动计划"


LEGACY = "各区人民政府，市政府各部门：为贯彻落实国家新一代人工智能发展规划，现提出如下措施。"


def test_html_page_leaving_its_font_tags_open_keeps_every_paragraph() -> None:
    # Each unclosed <font> nests the rest of the page one deeper; libxml2 stopped at 256
    # levels and the paragraphs after them were dropped without a word.
    page = "".join(f"<font face='宋体'>第{i}段。{LEGACY}<br>" for i in range(400))
    extracted = extract_html(f"<html><body>{page}</body></html>".encode())
    assert "第399段。" in extracted.text and extracted.text.count(LEGACY) >= 399


def test_html_page_nested_deeper_than_the_parser_goes_keeps_the_text_after_it() -> None:
    deep = "<div>" * 300 + f"<p>{LEGACY}</p>" + "</div>" * 300
    page = f"<html><body>{deep}<p>后文段落。{LEGACY}</p></body></html>"
    assert "后文段落。" in extract_html(page.encode()).text


@pytest.mark.parametrize("depth", [2_100, 50_000])
def test_html_page_nested_past_the_parsers_last_level_keeps_its_text(depth: int) -> None:
    # libxml2 stops at 2,048 levels even for a huge tree and keeps nothing past them: the
    # page gave "no text found" though its text was there.
    deep = "<div>" * depth + f"<p>{LEGACY}</p><script>var hidden = 1;</script>" + "</div>" * depth
    page = f"<html><head><title>深层页面</title></head><body>{deep}<p>后文段落。</p></body></html>"
    extracted = extract_html(page.encode())
    assert extracted.text == f"{LEGACY}\n后文段落。"
    assert extracted.title == "深层页面"


def test_xhtml_doctype_subset_is_neither_text_nor_expanded() -> None:
    page = (
        '<?xml version="1.0"?><!DOCTYPE html [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        f'<html xmlns="http://www.w3.org/1999/xhtml"><body><p>&xxe;</p><p>{LEGACY}</p></body></html>'
    )
    text = extract_html(page.encode()).text
    assert LEGACY in text
    assert "]>" not in text and "ENTITY" not in text and "root:" not in text


def test_html_tag_with_tens_of_thousands_of_attributes_is_read() -> None:
    attributes = " ".join(f"a{i}='{i}'" for i in range(30_000))
    page = f"<html><body><div {attributes}>" + f"<p>{LEGACY}</p>" * 5 + "</div></body></html>"
    assert extract_html(page.encode()).text.count(LEGACY) == 5


def test_html_page_of_more_tags_than_the_main_text_search_takes_is_read_as_blocks() -> None:
    sentence = "重庆市经信委印发元宇宙产业发展行动计划，提出到2025年产业规模达到300亿元。"
    spans = "".join(f"<span>{sentence[i % len(sentence)]}</span>" for i in range(40_000))
    page = (
        "<html><head><title>标题</title><script>var a = 1;</script></head><body>"
        f"<article><p>{spans}</p><p>第二段</p></article></body></html>"
    ).encode()
    extracted = extract_html(page)
    assert extracted.text.splitlines() == [(sentence * 1000)[:40_000], "第二段"]
    assert extracted.title == "标题"


SENTENCE = "关于加快推进人工智能产业发展的若干政策措施。\n" * 30


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (
            SENTENCE.encode() + b"\xff" + SENTENCE.encode(),
            "utf_8 (1 damaged byte sequence replaced)",
        ),
        (SENTENCE.encode() + "\u201c".encode("cp1252") + SENTENCE.encode(), "utf_8 (1 damaged"),
        (codecs.BOM_UTF32_LE + SENTENCE.encode("utf-32-le"), "utf_32"),
        (SENTENCE.encode("hz"), "hz"),
    ],
    ids=["stray-byte", "cp1252-quote", "utf-32-bom", "hz"],
)
def test_text_in_a_rare_or_damaged_encoding_is_read(
    tmp_path: Path, data: bytes, encoding: str
) -> None:
    path = tmp_path / "notice.txt"
    path.write_bytes(data)
    raw = load(Source(str(path)), load_settings(env={}))
    assert raw.encoding.startswith(encoding)
    assert raw.raw_text.replace("\ufffd", "").count(
        "关于加快推进人工智能产业发展的若干政策措施。"
    ) == (60 if "damaged" in encoding else 30)


@pytest.mark.parametrize("label", ["unicode_escape", "raw_unicode_escape"])
def test_html_declared_in_an_escape_codec_is_read_from_its_bytes(tmp_path: Path, label: str):
    path = tmp_path / "page.html"
    path.write_bytes(_html_page(label).encode("utf-8"))
    raw = load(Source(str(path)), load_settings(env={}))
    assert "工业和信息化部元宇宙标准化工作组" in raw.raw_text


def _pdf_with_info_title(value: bytes) -> bytes:
    """Return plan.pdf with its /Info /Title replaced in place by another PDF object.

    The new object is padded to the old one's length, so the cross-reference table
    still points at every object.
    """
    data = (FORMATS / "plan.pdf").read_bytes()
    match = re.search(rb"/Title (<[0-9a-fA-F]*>)", data)
    assert match, "plan.pdf has no hex-string /Title to replace"
    assert len(value) <= len(match.group(1))
    return data[: match.start(1)] + value.ljust(len(match.group(1))) + data[match.end(1) :]


@pytest.mark.parametrize(
    "title",
    [b"42", b"[(a) (b)]", b"<< /A 1 >>", b"true", b"null"],
    ids=["number", "array", "dictionary", "boolean", "null"],
)
def test_pdf_whose_title_is_not_a_string_is_stored_without_one(
    tmp_path: Path, title: bytes
) -> None:
    path = tmp_path / "plan.pdf"
    path.write_bytes(_pdf_with_info_title(title))
    db = _db(tmp_path)

    assert load(Source(str(path)), load_settings(env={})).title is None
    (result,) = api.ingest([str(path)], db=db).results

    assert (result.status, result.problem) == ("stored", None)
    assert "重庆" in api.document(str(result.document_id), db).clean_text


def test_pdf_string_title_is_stripped(tmp_path: Path) -> None:
    path = tmp_path / "plan.pdf"
    path.write_bytes(_pdf_with_info_title(b"(  Plan 2023  )"))
    raw = load(Source(str(path)), load_settings(env={}))
    assert raw.title == "Plan 2023"


def _encrypted_plan(user_password: str) -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter(clone_from=FORMATS / "plan.pdf")
    writer.encrypt(user_password=user_password, owner_password="owner", algorithm="AES-256")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def test_pdf_encrypted_with_aes_and_no_user_password_is_read(tmp_path: Path) -> None:
    # Restricted PDFs (no printing, no copying) open without a password: most are AES.
    path = tmp_path / "restricted.pdf"
    path.write_bytes(_encrypted_plan(""))
    plain = load(Source(str(FORMATS / "plan.pdf")), load_settings(env={}))
    assert load(Source(str(path)), load_settings(env={})).raw_text == plain.raw_text


def _plan_with_character_map(replace: Callable[[bytes], bytes]) -> bytes:
    """Return plan.pdf with its font's ToUnicode character map rewritten by ``replace``."""
    from pypdf import PdfWriter

    writer = PdfWriter(clone_from=FORMATS / "plan.pdf")
    for font in writer.pages[0]["/Resources"]["/Font"].values():
        to_unicode = font.get_object().get("/ToUnicode")
        if to_unicode is not None:
            stream = to_unicode.get_object()
            stream.set_data(replace(stream.get_data()))
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def test_pdf_page_pypdf_cannot_read_costs_that_page_only(tmp_path: Path) -> None:
    # A text array past pypdf's element limit on page 2 raised for the whole file.
    from pypdf import PdfWriter

    writer = PdfWriter(clone_from=FORMATS / "plan.pdf")
    writer.pages[1]["/Contents"].get_object().set_data(
        b"BT /F1 12 Tf [" + b"(a) -100 " * 300_000 + b"] TJ ET"
    )
    buffer = io.BytesIO()
    writer.write(buffer)
    path = tmp_path / "one-bad-page.pdf"
    path.write_bytes(buffer.getvalue())
    whole = load(Source(str(FORMATS / "plan.pdf")), load_settings(env={})).raw_text

    raw = load(Source(str(path)), load_settings(env={}))

    first_page = whole.split("\f")[0]
    assert raw.raw_text.split("\f")[0] == first_page and raw.raw_text.count("\f") == 1


def test_pdf_mapping_glyphs_to_surrogates_is_stored_with_them_replaced(tmp_path: Path) -> None:
    # 政 maps to a lone surrogate, 策 to a surrogate pair (an emoji): pypdf passes both
    # through as code points UTF-8 cannot hold, which failed the insert.
    path = tmp_path / "odd-map.pdf"
    path.write_bytes(
        _plan_with_character_map(
            lambda cmap: cmap.replace(b"<0001> <653F>", b"<0001> <DC00>").replace(
                b"<0002> <7B56>", b"<0002> <D83DDE00>"
            )
        )
    )
    raw = load(Source(str(path)), load_settings(env={}))
    assert "\ufffd" in raw.raw_text and "\U0001f600" in raw.raw_text
    assert not re.search("[\ud800-\udfff]", raw.raw_text)

    (result,) = api.ingest([str(path)], db=_db(tmp_path)).results
    assert (result.status, result.problem) == ("stored", None)


def test_pdf_in_a_cff_cjk_font_with_an_embedded_cmap_reads_as_its_text() -> None:
    # fpdf2 gives a CFF font (Noto Sans CJK) an embedded two-byte encoding CMap, which pypdf
    # read one byte at a time: NULs between characters, then garbage past the 256th glyph.
    # cff_cjk.pdf holds five sample-corpus items, 326 distinct characters; the .json, them.
    path = FORMATS / "cff_cjk.pdf"
    expected = json.loads(path.with_suffix(".pdf.json").read_text("utf-8"))["text"]
    raw = load(Source(str(path)), load_settings(env={}))
    assert re.sub(r"\s+", "", raw.raw_text) == re.sub(r"\s+", "", expected)


def test_pdf_with_a_user_password_says_so(tmp_path: Path) -> None:
    path = tmp_path / "locked.pdf"
    path.write_bytes(_encrypted_plan("secret"))
    with pytest.raises(IngestError, match="password-protected") as caught:
        load(Source(str(path)), load_settings(env={}))
    assert caught.value.source == str(path)


W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def _docx_with_parts(parts: dict[str, bytes]) -> bytes:
    """Return a real python-docx document with some parts replaced or added."""
    import docx

    buffer = io.BytesIO()
    document = docx.Document()
    document.add_paragraph("关于印发元宇宙产业表格的通知")
    document.save(buffer)
    original = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in original.infolist():
            archive.writestr(info.filename, parts.pop(info.filename, original.read(info)))
        for name, payload in parts.items():
            archive.writestr(name, payload)
    return out.getvalue()


def _docx_with_body(body: str) -> bytes:
    """Return a DOCX whose body holds a title paragraph, then ``body`` (WordprocessingML)."""
    xml = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="{W_NS}">'
        f"<w:body><w:p><w:r><w:t>关于印发元宇宙产业表格的通知</w:t></w:r></w:p>{body}"
        "<w:sectPr/></w:body></w:document>"
    )
    return _docx_with_parts({"word/document.xml": xml.encode()})


def _tc(text: str, properties: str = "") -> str:
    cell_properties = f"<w:tcPr>{properties}</w:tcPr>" if properties else ""
    return f"<w:tc>{cell_properties}<w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:tc>"


def _tbl(rows: list[str]) -> str:
    grid = "<w:tblGrid><w:gridCol/><w:gridCol/></w:tblGrid>"
    return f"<w:tbl><w:tblPr/>{grid}{''.join(f'<w:tr>{row}</w:tr>' for row in rows)}</w:tbl>"


HUGE_SPAN = '<w:gridSpan w:val="2000000000"/>'
WIDE_SPAN = '<w:gridSpan w:val="100000"/>'
MERGE_START = '<w:vMerge w:val="restart"/>'
MERGE_GO_ON = "<w:vMerge/>"

# name: (table body, rows its text must hold, how many rows)
HOSTILE_DOCX_TABLES = {
    "gridspan-two-billion": (
        _tbl([_tc("目标", HUGE_SPAN) + _tc("1500亿元")]),
        ["目标 | 1500亿元"],
        1,
    ),
    "gridspan-100000-in-200-rows": (
        _tbl([_tc(f"第{i}行", WIDE_SPAN) + _tc("100家") for i in range(200)]),
        ["第0行 | 100家", "第199行 | 100家"],
        200,
    ),
    "vmerge-over-5000-rows": (
        _tbl(
            [_tc("链主企业", MERGE_START) + _tc("第0行")]
            + [_tc("", MERGE_GO_ON) + _tc(f"第{i}行") for i in range(1, 5001)]
        ),
        ["链主企业 | 第0行", " | 第5000行"],
        5001,
    ),
    "vmerge-in-the-first-row": (
        _tbl([_tc("链主企业", MERGE_GO_ON) + _tc("5家")]),
        ["链主企业 | 5家"],
        1,
    ),
    "gridspan-not-a-number": (
        _tbl([_tc("场景", '<w:gridSpan w:val="abc"/>') + _tc("100个")]),
        ["场景 | 100个"],
        1,
    ),
}


@pytest.mark.parametrize("name", list(HOSTILE_DOCX_TABLES))
def test_docx_table_reads_each_cell_once(tmp_path: Path, name: str) -> None:
    body, expected_rows, row_count = HOSTILE_DOCX_TABLES[name]
    path = tmp_path / f"{name}.docx"
    path.write_bytes(_docx_with_body(body))

    raw = load(Source(str(path)), load_settings(env={}))

    lines = raw.raw_text.splitlines()
    assert lines[0] == "关于印发元宇宙产业表格的通知"
    assert len(lines) == 1 + row_count
    for row in expected_rows:
        assert row in lines


def _p(text: str) -> str:
    return f"<w:p><w:r><w:t>{text}</w:t></w:r></w:p>"


MC_NS = "http://schemas.openxmlformats.org/markup-compatibility/2006"
WPS_NS = "http://schemas.microsoft.com/office/word/2010/wordprocessingShape"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            f"<w:sdt><w:sdtPr/><w:sdtContent>{_p('内容控件中的段落')}</w:sdtContent></w:sdt>",
            ["内容控件中的段落"],
        ),
        (
            "<w:p><w:sdt><w:sdtContent><w:r><w:t>行内控件</w:t></w:r></w:sdtContent></w:sdt>"
            "<w:r><w:t>后文</w:t></w:r></w:p>",
            ["行内控件后文"],
        ),
        (
            "<w:p><w:ins w:id='1' w:author='a'><w:r><w:t>插入的文字</w:t></w:r></w:ins>"
            "<w:del w:id='2' w:author='a'><w:r><w:delText>删除的文字</w:delText></w:r>"
            "</w:del></w:p>",
            ["插入的文字"],
        ),
        (
            "<w:p><w:fldSimple w:instr='TITLE'><w:r><w:t>域结果</w:t></w:r></w:fldSimple></w:p>",
            ["域结果"],
        ),
        (
            f"<w:p><w:r><mc:AlternateContent xmlns:mc='{MC_NS}'><mc:Choice Requires='wps'>"
            f"<w:drawing><wps:wsp xmlns:wps='{WPS_NS}'><wps:txbx>"
            f"<w:txbxContent>{_p('文本框里的文字')}</w:txbxContent></wps:txbx></wps:wsp></w:drawing></mc:Choice><mc:Fallback><w:pict>"
            f"<w:txbxContent>{_p('文本框里的文字')}</w:txbxContent></w:pict></mc:Fallback>"
            "</mc:AlternateContent></w:r></w:p>",
            ["", "文本框里的文字"],
        ),
        (
            f"<w:tbl><w:tr><w:tc>{_p('外层单元格')}<w:tbl><w:tr>{_tc('内层：到2025年达到3000亿元')}"
            f"{_tc('第二格')}</w:tr></w:tbl></w:tc>{_tc('右格')}</w:tr></w:tbl>",
            ["外层单元格", "内层：到2025年达到3000亿元 | 第二格 | 右格"],
        ),
        (
            f"<w:tbl><w:sdt><w:sdtContent><w:tr><w:sdt><w:sdtContent>{_tc('控件里的单元格')}"
            "</w:sdtContent></w:sdt></w:tr></w:sdtContent></w:sdt></w:tbl>",
            ["控件里的单元格"],
        ),
    ],
    ids=[
        "block-control",
        "inline-control",
        "tracked-changes",
        "field",
        "text-box",
        "nested-table",
        "row-control",
    ],
)
def test_docx_text_inside_controls_changes_fields_boxes_and_nested_tables_is_read(
    tmp_path: Path, body: str, expected: list[str]
) -> None:
    # Each of these was dropped without a word: python-docx reads body paragraphs and table
    # cells, not what content controls, tracked insertions, fields or text boxes hold.
    path = tmp_path / "notice.docx"
    path.write_bytes(_docx_with_body(body))
    raw = load(Source(str(path)), load_settings(env={}))
    assert raw.raw_text.split("\n") == ["关于印发元宇宙产业表格的通知", *expected]


def test_docx_nested_too_deep_says_so(tmp_path: Path) -> None:
    # This was "not a readable DOCX (XMLSyntaxError: … use XML_PARSE_HUGE option)".
    document = (
        f'<w:document xmlns:w="{W_NS}"><w:body>'
        + "<w:sdt><w:sdtContent>" * 300
        + "</w:sdtContent></w:sdt>" * 300
        + "</w:body></w:document>"
    )
    path = tmp_path / "notice.docx"
    path.write_bytes(_docx_with_parts({"word/document.xml": document.encode()}))
    with pytest.raises(IngestError) as caught:
        load(Source(str(path)), load_settings(env={}))
    assert caught.value.problem.startswith("DOCX nests its XML deeper than 256 levels")


def test_old_word_doc_named_docx_is_named_for_what_it_is(tmp_path: Path) -> None:
    path = tmp_path / "notice.docx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(2000))
    with pytest.raises(IngestError, match=r"an old Word \.doc file, not DOCX"):
        load(Source(str(path)), load_settings(env={}))


def _zeros_part(size: int) -> Callable[[], bytes]:
    return lambda: _docx_with_parts({"word/media/zeros.bin": bytes(size)})


def _empty_paragraphs(count: int) -> Callable[[], bytes]:
    return lambda: _docx_with_body("<w:p/>" * count)


def _mixed_part(random_size: int, zeros_size: int) -> Callable[[], bytes]:
    """A part that deflates about 60x: nothing a zip bomb check by ratio would stop."""
    return lambda: _docx_with_parts(
        {"word/media/mixed.bin": _random_bytes(random_size, seed=3) + bytes(zeros_size)}
    )


# --------------------------------------------------------------------------- folders


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "tree"
    (root / "sub").mkdir(parents=True)
    shutil.copy(DOC_000, root / "a.txt")
    shutil.copy(FORMATS / "article.html", root / "sub" / "b.html")
    shutil.copy(FORMATS / "plan.pdf", root / "sub" / "c.pdf")
    (root / "d.png").write_bytes(_png())
    shutil.copy(DOC_002, root / ".hidden.txt")
    return root


FOLDER_FILTERS = [
    pytest.param((), (), ["a.txt", "sub/b.html", "sub/c.pdf"], id="default"),
    pytest.param((), ("*.pdf",), ["a.txt", "sub/b.html"], id="exclude-pdf"),
    pytest.param(("*.txt",), (), ["a.txt"], id="include-txt"),
]


@pytest.mark.parametrize(("include", "exclude", "expected"), FOLDER_FILTERS)
def test_expand_inputs_walks_folders_through_the_globs(
    tree: Path,
    include: tuple[str, ...],
    exclude: tuple[str, ...],
    expected: list[str],
) -> None:
    settings = load_settings(env={}, include=include or None, exclude=exclude)
    entries = list(expand_inputs([str(tree)], settings))
    assert all(isinstance(e, Source) and not e.is_url for e in entries), entries
    assert sorted(Path(e.name).relative_to(tree).as_posix() for e in entries) == expected


@pytest.mark.parametrize(("include", "exclude", "expected"), FOLDER_FILTERS)
def test_cli_ingest_folder_with_globs(
    tree: Path,
    tmp_path: Path,
    include: tuple[str, ...],
    exclude: tuple[str, ...],
    expected: list[str],
) -> None:
    flags = [f for g in include for f in ("--include", g)]
    flags += [f for g in exclude for f in ("--exclude", g)]
    result = _cli("ingest", str(tree), "--db", _db(tmp_path), "--json", *flags)
    _assert_clean_exit(result, 0)
    rows = json.loads(result.stdout)
    assert sorted(Path(r["source"]).relative_to(tree).as_posix() for r in rows) == expected
    assert {r["status"] for r in rows} == {"stored"}


def test_expand_inputs_reports_a_missing_name_and_goes_on(tmp_path: Path) -> None:
    missing = str(tmp_path / "nope")
    entries = list(expand_inputs([missing, str(DOC_000)], load_settings(env={})))
    assert isinstance(entries[0], IngestError)
    assert entries[0].source == missing
    assert "no such" in entries[0].problem
    assert entries[1] == Source(str(DOC_000))


def test_ingest_folder_names_what_it_cannot_read_and_follows_folder_links_once(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "in"
    (folder / "plans").mkdir(parents=True)
    shutil.copy(DOC_000, folder / "plans" / "a.txt")
    (folder / "plans" / "up").symlink_to("..")  # a loop through a folder link
    (folder / "also").symlink_to("plans")  # the same folder under a second name
    (folder / "gone.txt").symlink_to("nowhere")
    (folder / "loop1.txt").symlink_to("loop2.txt")
    (folder / "loop2.txt").symlink_to("loop1.txt")
    os.mkfifo(folder / "pipe.txt")  # reading it would wait for a writer for ever

    report = api.ingest([str(folder)], db=_db(tmp_path))

    assert [(r.source, r.status, r.problem) for r in report.results] == [
        (str(folder / "gone.txt"), "error", "broken symbolic link"),
        (str(folder / "loop1.txt"), "error", "symbolic links that lead round in a loop"),
        (str(folder / "loop2.txt"), "error", "symbolic links that lead round in a loop"),
        (str(folder / "pipe.txt"), "error", "not a regular file (a named pipe)"),
        (str(folder / "plans" / "a.txt"), "stored", None),
    ]


def test_ingest_folder_takes_file_names_in_any_case(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(DOC_000, folder / "NOTICE.TXT")
    shutil.copy(FORMATS / "plan.pdf", folder / "Plan.Pdf")
    shutil.copy(DOC_002, folder / "skip.TXT")
    settings = load_settings(env={}, db_url=_db(tmp_path), exclude=("SKIP.*",))

    report = api.ingest([str(folder)], settings=settings)

    assert [(Path(r.source).name, r.status) for r in report.results] == [
        ("NOTICE.TXT", "stored"),
        ("Plan.Pdf", "stored"),
    ]


def test_ingest_names_a_named_pipe_given_by_name(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.txt")
    (result,) = api.ingest([str(tmp_path / "pipe.txt")], db=_db(tmp_path)).results
    assert (result.status, result.problem) == ("error", "not a regular file (a named pipe)")


def test_ingest_folder_with_a_file_name_that_is_not_utf8(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(DOC_000, folder / "good.txt")
    try:
        with open(os.path.join(os.fsencode(folder), b"bad\xff\xfe.txt"), "wb") as out:
            out.write(DOC_002.read_bytes())
    except OSError as exc:  # a file system that only takes UTF-8 names (macOS APFS)
        pytest.skip(f"cannot create a file with a non-UTF-8 name here: {exc}")
    db = _db(tmp_path)

    report = api.ingest([str(folder)], db=db)

    recorded = f"{folder}/bad\\xff\\xfe.txt"
    assert [(r.source, r.status) for r in report.results] == [
        (recorded, "stored"),
        (str(folder / "good.txt"), "stored"),
    ]
    assert sorted(d.source for d in api.documents(db)) == sorted(
        [recorded, str(folder / "good.txt")]
    )
    stored = api.document(recorded, db)
    assert "浙江" in stored.clean_text


# --------------------------------------------------------------------------- bad input


@dataclass(frozen=True)
class BadInput:
    """A broken input: ``make`` writes it under a folder and returns the name to pass."""

    make: Callable[[Path], str]
    keywords: tuple[str, ...]  # the problem mentions at least one (case-insensitive)
    max_mb: float | None = None


def _writer(name: str, data: bytes | Callable[[], bytes]) -> Callable[[Path], str]:
    def make(folder: Path) -> str:
        path = folder / name
        path.write_bytes(data() if callable(data) else data)
        return str(path)

    return make


def _text_of_size(size: int) -> bytes:
    """Return real UTF-8 Chinese text (the corpus, repeated) of at least ``size`` bytes."""
    corpus = b"".join(p.read_bytes() for p in _corpus_files())
    return corpus * (size // len(corpus) + 1)


def _zip_that_is_not_docx() -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "这不是 Word 文档。")
    return buffer.getvalue()


BAD_INPUTS = {
    "binary-named-txt": BadInput(
        _writer("x.txt", lambda: _png() + _random_bytes(4096, seed=1)),
        ("binary", "not text", "encoding"),
    ),
    "empty": BadInput(_writer("empty.txt", b""), ("empty",)),
    "whitespace-only": BadInput(_writer("blank.txt", b"  \n\t\r\n   \n"), ("empty", "no text")),
    "ideographic-spaces-only": BadInput(
        _writer("blank-cjk.txt", "\u3000\u3000\n\u3000\n".encode()), ("empty", "no text")
    ),
    "unsupported-png": BadInput(_writer("x.png", _png), ("unsupported",)),
    "unsupported-xyz": BadInput(
        _writer("x.xyz", "关于印发行动方案的通知。".encode()), ("unsupported",)
    ),
    "undecodable-random-bytes": BadInput(
        _writer("random.txt", lambda: _random_bytes(4096, seed=7)),
        ("binary", "not text", "encoding"),
    ),
    "missing-path": BadInput(lambda folder: str(folder / "missing.txt"), ("no such",)),
    "unreachable-url": BadInput(lambda _folder: UNREACHABLE_URL, ("could not fetch",)),
    "over-size": BadInput(
        _writer("big.txt", lambda: _text_of_size(2 * 1024 * 1024)), ("limit",), max_mb=1
    ),
    "corrupt-pdf": BadInput(_writer("broken.pdf", b"%PDF-1.4 garbage"), ("pdf",)),
    "corrupt-docx": BadInput(_writer("broken.docx", b"this is not a zip archive"), ("docx",)),
    "zip-not-docx": BadInput(_writer("archive.docx", _zip_that_is_not_docx), ("docx",)),
    "invisible-characters-only": BadInput(
        _writer("invisible.txt", "\ufeff\u200b\u200c\u200d\u2060\n\u200b\ufeff\n".encode()),
        ("empty", "no text"),
    ),
    "docx-without-body": BadInput(
        _writer(
            "nobody.docx",
            lambda: _docx_with_parts(
                {"word/document.xml": f'<w:document xmlns:w="{W_NS}"/>'.encode()}
            ),
        ),
        ("docx has no document body",),
    ),
    "docx-foreign-core-properties": BadInput(
        _writer("core.docx", lambda: _docx_with_parts({"docProps/core.xml": b"<root/>"})),
        ("not a readable docx",),
    ),
    "docx-bomb-30mb-of-zeros": BadInput(
        _writer("zeros.docx", _zeros_part(30 * 1024 * 1024)), ("expands to 30.",)
    ),
    "docx-bomb-2-million-empty-paragraphs": BadInput(
        _writer("paragraphs.docx", _empty_paragraphs(2_000_000)), ("expands to",)
    ),
    "docx-expanding-past-20x-max-size": BadInput(
        _writer("mixed.docx", _mixed_part(200_000, 12 * 1024 * 1024)),
        ("over the 10.0 mb allowed",),
        max_mb=0.5,
    ),
}


def _ingest_bad(case: BadInput, target: str, db: str) -> api.IngestReport:
    if case.max_mb is None:
        return api.ingest([target], db=db)
    return api.ingest([target], settings=load_settings(env={}, db_url=db, max_file_mb=case.max_mb))


@pytest.mark.parametrize("name", list(BAD_INPUTS))
def test_api_ingest_reports_bad_input(tmp_path: Path, name: str) -> None:
    case = BAD_INPUTS[name]
    target = case.make(tmp_path)
    db = _db(tmp_path)

    report = _ingest_bad(case, target, db)

    assert len(report.results) == 1
    result = report.results[0]
    assert result.status == "error"
    assert result.source == target
    assert result.document_id is None
    assert result.problem
    assert "internal error" not in result.problem
    assert any(k in result.problem.lower() for k in case.keywords), result.problem
    assert not report.ok
    assert report.count("error") == 1
    assert api.documents(db) == []


@pytest.mark.parametrize("name", list(BAD_INPUTS))
def test_cli_ingest_reports_bad_input(tmp_path: Path, name: str) -> None:
    case = BAD_INPUTS[name]
    target = case.make(tmp_path)
    expected = _ingest_bad(case, target, _db(tmp_path, "probe.db")).results[0]
    assert expected.status == "error"
    expected_line = f"error: {target}: {expected.problem}"

    flags = [] if case.max_mb is None else ["--max-size", f"{case.max_mb:g}"]
    result = _cli("ingest", target, "--db", _db(tmp_path), *flags)

    _assert_clean_exit(result, 1)
    assert target in result.stderr
    stderr_lines = [line.strip() for line in result.stderr.splitlines() if line.strip()]
    failures = []
    if expected_line not in stderr_lines:
        failures.append(f"the error is not printed as the single line {expected_line!r}")
    stray = [line for line in stderr_lines if line not in expected_line]
    if stray:
        failures.append(f"stderr has lines other than the error: {stray!r}")
    assert not failures, "\n".join(failures) + f"\n--- stderr ---\n{result.stderr}"


def test_high_bytes_without_nuls_do_not_crash(tmp_path: Path) -> None:
    """Random bytes 0x80-0xFF may or may not pass for some 8-bit encoding; never a crash."""
    data = bytes(random.Random(11).choice(range(0x80, 0x100)) for _ in range(4096))
    path = tmp_path / "highbytes.txt"
    path.write_bytes(data)

    report = api.ingest([str(path)], db=_db(tmp_path))
    (result,) = report.results
    assert result.status in ("error", "stored")
    if result.status == "error":
        assert "internal error" not in (result.problem or "")

    cli = _cli("ingest", str(path), "--db", _db(tmp_path, "cli.db"))
    _assert_clean_exit(cli, 1 if result.status == "error" else 0)


# --------------------------------------------------------------------------- mixed runs


def _snapshot(db: str) -> dict[int, tuple[str, str, int]]:
    return {d.id: (d.source, d.sha256, d.items) for d in api.documents(db)}


@pytest.mark.parametrize("via", ["api", "cli"])
def test_mixed_run_keeps_going_and_loses_nothing(tmp_path: Path, via: str) -> None:
    db = _db(tmp_path)
    first = api.ingest([str(CORPUS)], db=db)
    assert first.count("stored") == 5
    assert first.ok
    before = _snapshot(db)
    ids_by_source = {r.source: r.document_id for r in first.results}
    items_before = len(api.items(db))
    assert len(before) == 5
    assert items_before == sum(items for _, _, items in before.values()) > 0

    bad = tmp_path / "broken.pdf"
    bad.write_bytes(b"%PDF-1.4 garbage")
    new = tmp_path / "notice.docx"
    shutil.copy(FORMATS / "notice.docx", new)
    inputs = [str(bad), str(CORPUS), str(new)]

    if via == "api":
        rows = [
            (r.source, r.status, r.document_id, r.items, r.problem)
            for r in api.ingest(inputs, db=db).results
        ]
    else:
        result = _cli("ingest", *inputs, "--db", db, "--json")
        _assert_clean_exit(result, 1)
        assert f"error: {bad}:" in result.stderr
        rows = [
            (r["source"], r["status"], r["document_id"], r["items"], r["problem"])
            for r in json.loads(result.stdout)
        ]

    corpus_names = [str(p) for p in _corpus_files()]
    assert [row[0] for row in rows] == [str(bad), *corpus_names, str(new)]
    by_source = {row[0]: row for row in rows}
    assert by_source[str(bad)][1] == "error"
    assert "pdf" in (by_source[str(bad)][4] or "").lower()
    for name in corpus_names:
        assert by_source[name][1:3] == ("duplicate", ids_by_source[name])
    new_row = by_source[str(new)]
    assert new_row[1] == "stored"
    assert new_row[3] > 0
    new_id = new_row[2]
    assert new_id not in before

    after = _snapshot(db)
    assert {k: v for k, v in after.items() if k != new_id} == before
    assert after[new_id][0] == str(new)
    assert after[new_id][2] == new_row[3]
    assert len(api.items(db, document=str(new_id))) == new_row[3]
    assert len(api.items(db)) == items_before + new_row[3]


# --------------------------------------------------------------------------- idempotency


def test_ingesting_the_corpus_twice_stores_it_once(tmp_path: Path) -> None:
    db = _db(tmp_path)
    first = api.ingest([str(CORPUS)], db=db)
    assert (first.count("stored"), first.count("duplicate"), first.count("error")) == (5, 0, 0)
    snapshot = _snapshot(db)
    items = len(api.items(db))

    second = api.ingest([str(CORPUS)], db=db)
    assert (second.count("stored"), second.count("duplicate"), second.count("error")) == (0, 5, 0)
    assert second.ok
    assert second.items == 0
    assert [(r.source, r.document_id) for r in second.results] == [
        (r.source, r.document_id) for r in first.results
    ]
    assert _snapshot(db) == snapshot
    assert len(api.items(db)) == items


def test_same_bytes_under_another_name_are_a_duplicate(tmp_path: Path) -> None:
    db = _db(tmp_path)
    first = api.ingest([str(CORPUS)], db=db)
    original_id = next(r.document_id for r in first.results if r.source == str(DOC_002))
    snapshot = _snapshot(db)

    renamed = tmp_path / "renamed copy.txt"
    shutil.copy(DOC_002, renamed)
    (result,) = api.ingest([str(renamed)], db=db).results
    assert (result.status, result.document_id, result.items) == ("duplicate", original_id, 0)
    assert _snapshot(db) == snapshot


def test_same_bytes_twice_in_one_run_are_stored_once(tmp_path: Path) -> None:
    db = _db(tmp_path)
    copy = tmp_path / "copy.txt"
    shutil.copy(DOC_000, copy)
    report = api.ingest([str(DOC_000), str(copy)], db=db)
    assert [r.status for r in report.results] == ["stored", "duplicate"]
    assert report.results[1].document_id == report.results[0].document_id
    assert len(api.documents(db)) == 1


def _processed(res: Resources) -> list[tuple[str, Outcome]]:
    """Return the sample corpus processed, as ingest hands it to the store."""
    settings = load_settings(env={})
    documents = [process(load(Source(str(p)), settings), res) for p in _corpus_files()]
    return [(d.raw.source, d) for d in documents]


def test_store_outcomes_reports_sources_in_order_once_their_batch_is_committed(
    tmp_path: Path, res: Resources
) -> None:
    db = _db(tmp_path)
    processed = _processed(res)
    outcomes: list[tuple[str, Outcome]] = [
        ("bad.txt", IngestError("bad.txt", "unreadable")),
        *processed,
        ("again.txt", Known(hashlib.sha256(DOC_000.read_bytes()).hexdigest())),
    ]
    store, reader = Store(db), Store(db)
    try:
        results = api.store_outcomes(outcomes, store, api.CommitLimits(documents=2, seconds=1e9))
        assert next(results).status == "error"
        # The error waited for the batch it came with: two whole documents, committed.
        assert len(reader.documents()) == 2
        rest = list(results)
    finally:
        store.close()
        reader.close()
    assert [r.source for r in rest] == [source for source, _ in outcomes[1:]]
    assert [r.status for r in rest] == ["stored"] * len(processed) + ["duplicate"]
    assert rest[-1].document_id == rest[0].document_id
    assert _snapshot(db) == _snapshot(_stored_one_by_one(tmp_path, processed))


def _stored_one_by_one(tmp_path: Path, processed: list[tuple[str, Outcome]]) -> str:
    db = f"sqlite:///{tmp_path / 'one_by_one.db'}"
    store = Store(db)
    try:
        for source, outcome in processed:
            api.store_outcome(source, outcome, store)
    finally:
        store.close()
    return db


def test_store_outcomes_commits_what_waited_its_time(tmp_path: Path, res: Resources) -> None:
    db = _db(tmp_path)
    store, reader = Store(db), Store(db)
    try:
        limits = api.CommitLimits(documents=100, seconds=0.0)
        results = api.store_outcomes(_processed(res), store, limits)
        assert next(results).status == "stored"
        assert len(reader.documents()) == 1
        assert len(list(results)) == 4
    finally:
        store.close()
        reader.close()


def test_cli_second_ingest_is_all_duplicates(tmp_path: Path) -> None:
    db = _db(tmp_path)
    first = _cli("ingest", str(CORPUS), "--db", db, "--json")
    _assert_clean_exit(first, 0)
    assert [r["status"] for r in json.loads(first.stdout)] == ["stored"] * 5
    items = len(api.items(db))

    second = _cli("ingest", str(CORPUS), "--db", db, "--json")
    _assert_clean_exit(second, 0)
    assert [r["status"] for r in json.loads(second.stdout)] == ["duplicate"] * 5
    assert len(api.documents(db)) == 5
    assert len(api.items(db)) == items


@pytest.fixture
def local_site():
    """Serve tests/fixtures/formats over HTTP on 127.0.0.1 for the duration of a test."""
    import functools
    import http.server
    import threading

    handler = functools.partial(
        http.server.SimpleHTTPRequestHandler, directory=str(FIXTURES / "formats")
    )
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_ingest_url_reads_html_and_pdf_over_http(local_site, tmp_path):
    db = f"sqlite:///{tmp_path / 'kb.db'}"
    report = api.ingest(
        [f"{local_site}/article.html", f"{local_site}/plan.pdf", f"{local_site}/missing.html"],
        db=db,
    )
    statuses = [r.status for r in report.results]
    assert statuses == ["stored", "stored", "error"]
    assert "HTTP 404" in report.results[2].problem
    docs = api.documents(db)
    assert [d.format for d in docs] == ["html", "pdf"]
    assert docs[0].source == f"{local_site}/article.html"
    assert "重庆" in (docs[0].title or "")


@pytest.fixture
def odd_site() -> Iterator[str]:
    """Serve on 127.0.0.1 the answers servers give that are not a page: a redirect without a
    Location, no content, plain text without a type, a body over the size limit."""

    class Odd(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = b""
            if self.path == "/moved":
                self.send_response(302)
            elif self.path == "/nothing":
                self.send_response(204)
            elif self.path == "/notice":
                self.send_response(200)
                body = (
                    "关于印发元宇宙产业发展行动计划的通知\n各区人民政府：现印发给你们。\n".encode()
                )
            else:
                self.send_response(200)
                body = b"x" * 200_000
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    with _serving(Odd) as address:
        yield address


def test_ingest_url_says_what_the_server_answered(odd_site: str, tmp_path: Path) -> None:
    settings = load_settings(env={}, db_url=_db(tmp_path), max_file_mb=0.1)
    paths = ["/moved", "/nothing", "/notice", "/big"]
    report = api.ingest([odd_site + p for p in paths], settings=settings)
    assert [(r.status, r.problem) for r in report.results] == [
        ("error", "server answered HTTP 302 without a usable Location"),
        ("error", "server answered HTTP 204 (no content)"),
        ("stored", None),
        ("error", "download passed the 0.1 MB limit (--max-size)"),
    ]
    (stored,) = api.documents(settings.db_url)
    assert stored.format == "txt"


@pytest.mark.parametrize(
    "url",
    ["http://[::1", "http://[zz]/", "http://127.0.0.1:99999/", "http://127.0.0.1:1/\x01"],
    ids=["unclosed-ipv6", "bad-ipv6", "port-out-of-range", "control-character"],
)
def test_ingest_malformed_url_is_refused_by_name_and_the_rest_goes_on(
    url: str, tmp_path: Path
) -> None:
    report = api.ingest([url, str(DOC_000)], db=_db(tmp_path))
    assert [r.status for r in report.results] == ["error", "stored"]
    assert report.results[0].source == url
    assert report.results[0].problem.startswith("not a valid URL ("), report.results[0].problem


@contextlib.contextmanager
def _serving(handler: type[http.server.BaseHTTPRequestHandler]) -> Iterator[str]:
    """Serve ``handler`` on 127.0.0.1 in a thread; yield its address."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(params=["body", "headers"])
def dripping_site(request: pytest.FixtureRequest) -> Iterator[str]:
    """Serve an HTML page on 127.0.0.1 whose body (or headers) come one byte every 0.1 s,
    for 20 s."""
    drip_headers = request.param == "headers"

    class Dripping(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            try:
                if drip_headers:
                    self.wfile.write(b"HTTP/1.1 200 OK\r\n")
                    for _ in range(200):
                        self.wfile.write(b"X-Slow: 1\r\n")
                        self.wfile.flush()
                        time.sleep(0.1)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", "200")
                self.end_headers()
                for _ in range(200):
                    self.wfile.write(b" ")
                    self.wfile.flush()
                    time.sleep(0.1)
            except OSError:  # the client gave up: that is the point
                pass

        def log_message(self, *args: object) -> None:
            pass

    with _serving(Dripping) as address:
        yield f"{address}/slow.html"


def test_ingest_url_gives_up_on_a_download_that_never_ends(dripping_site: str, tmp_path: Path):
    # Each byte comes well within the 0.5 s read timeout; the whole download may take 1.5 s.
    settings = load_settings(env={}, db_url=_db(tmp_path), http_timeout_s=0.5)
    started = time.monotonic()

    (result,) = api.ingest([dripping_site], settings=settings).results

    assert time.monotonic() - started < 5
    assert result.status == "error"
    assert result.problem is not None
    assert result.problem.startswith("download took longer than 1.5 s"), result.problem
