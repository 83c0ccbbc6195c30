"""A synthetic corpus re-mixed from the sample corpus, as bytes in the shapes PolicyLens reads.

Items of the sample documents are shuffled across new documents; dates, places and numbers
are varied; a share of documents are exact or near duplicates, a share traditional script
with pinyin glosses, and a share wrapped as HTML (and PDF, when a CJK font is installed).
Everything is seeded, so the same size gives the same bytes.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from html import escape
from pathlib import Path

from policylens.normalize import normalize
from policylens.resources import Resources
from policylens.segment import segment

PLACES = (
    "四川省",
    "浙江省",
    "重庆市",
    "上海市",
    "北京市",
    "广东省",
    "河南省",
    "山东省",
    "江苏省",
    "湖北省",
    "成都市",
    "杭州市",
    "苏州市",
    "武汉市",
    "合肥市",
    "青岛市",
)
PLACE = re.compile("|".join(PLACES))
NUMBER = re.compile(r"(?<![\d.])(\d{2,4})(?=\s*(?:亿元|万元|家|个))")
DIGITS = re.compile(r"\d+")
DATE = re.compile(r"(\d{1,2})月(\d{1,2})日")
GLOSSES = {
    "产": "(chǎn)",
    "业": "(yè)",
    "发": "(fā)",
    "展": "(zhǎn)",
    "经": "(jīng)",
    "济": "(jì)",
    "数": "(shù)",
    "据": "(jù)",
}


@dataclass(frozen=True, slots=True)
class SyntheticDocument:
    """One generated document: a file name and its bytes."""

    name: str
    data: bytes


@dataclass(frozen=True, slots=True)
class Mix:
    """Shares of the kinds of documents in the corpus."""

    exact_duplicates: float = 0.05
    near_duplicates: float = 0.10
    traditional: float = 0.15
    html: float = 0.20
    pdf: float = 0.05
    items_per_document: tuple[int, int] = (4, 14)


def item_texts(corpus: Path, res: Resources) -> list[str]:
    """Return the text of every entry and section of the sample corpus."""
    texts = []
    for path in sorted(corpus.glob("*.txt")):
        clean = normalize(path.read_text("utf-8"), res)
        texts += [
            i.text
            for i in segment(clean, res)
            if i.kind in ("digest_entry", "plan_section", "article")
        ]
    return texts


def vary(text: str, rng: random.Random) -> str:
    """Return the text with its places, figures and dates changed."""
    text = PLACE.sub(lambda m: rng.choice(PLACES), text)
    text = NUMBER.sub(lambda m: str(max(2, int(int(m.group(1)) * rng.uniform(0.5, 1.8)))), text)
    return DATE.sub(lambda m: f"{rng.randint(1, 12)}月{rng.randint(1, 28)}日", text)


def glossed_traditional(text: str, res: Resources) -> str:
    """Return the text in traditional script with pinyin glosses glued in, as seed 003 has."""
    import opencc

    traditional = opencc.OpenCC("s2t").convert(text)
    simplified_of = {t: s for t, s in zip(traditional, text, strict=False)}
    return "".join(ch + GLOSSES.get(simplified_of.get(ch, ch), "") for ch in traditional)


def as_html(title: str, body: str) -> bytes:
    """Return a web page with navigation and footer around the body paragraphs."""
    paragraphs = "".join(f"<p>{escape(line)}</p>" for line in body.splitlines() if line.strip())
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>"
        f"{escape(title)}</title><meta name='publishdate' content='2023-09-22'></head><body>"
        "<nav>首页 | 政策 | 新闻</nav><div class='crumb'>当前位置：首页 > 政策</div>"
        f"<article><h1>{escape(title)}</h1>{paragraphs}</article>"
        "<footer>版权所有 · 网站地图</footer></body></html>"
    ).encode()


def as_pdf(body: str, font: Path) -> bytes:
    """Return a PDF of the body in a CJK font."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.add_font("cjk", fname=str(font))
    pdf.set_font("cjk", size=11)
    pdf.multi_cell(0, 6, body)
    return bytes(pdf.output())


def generate(
    corpus: Path,
    count: int,
    res: Resources,
    seed: int = 7,
    mix: Mix | None = None,
    font: Path | None = None,
) -> list[SyntheticDocument]:
    """Return ``count`` synthetic documents made from the sample corpus."""
    mix = mix or Mix()
    rng = random.Random(seed)
    pool = item_texts(corpus, res)
    documents: list[SyntheticDocument] = []
    bodies: list[str] = []  # the text of each fresh or near-duplicate document, in order
    while len(documents) < count:
        index = len(documents)
        roll = rng.random()
        if documents and roll < mix.exact_duplicates:
            documents.append(
                SyntheticDocument(f"d{index:06d}-copy.txt", rng.choice(documents).data)
            )
            continue
        if bodies and roll < mix.exact_duplicates + mix.near_duplicates:
            body, name = near_duplicate(rng.choice(bodies), rng), f"d{index:06d}-near"
        else:
            body, name = fresh_body(pool, mix, rng), f"d{index:06d}"
        bodies.append(body)
        shape = rng.random()
        title = body.splitlines()[0][:40]
        if shape < mix.traditional:
            data, suffix = glossed_traditional(body, res).encode("utf-8"), "txt"
        elif shape < mix.traditional + mix.html:
            data, suffix = as_html(title, body), "html"
        elif font is not None and shape < mix.traditional + mix.html + mix.pdf:
            data, suffix = as_pdf(body, font), "pdf"
        else:
            data, suffix = body.encode("gb18030" if rng.random() < 0.2 else "utf-8"), "txt"
        documents.append(SyntheticDocument(f"{name}.{suffix}", data))
    return documents


def fresh_body(pool: list[str], mix: Mix, rng: random.Random) -> str:
    """Return the text of a new document: items of the pool, each varied."""
    count = rng.randint(*mix.items_per_document)
    return "\n\n".join(vary(rng.choice(pool), rng) for _ in range(count))


def near_duplicate(body: str, rng: random.Random) -> str:
    """Return an earlier document's text as another source republishes it: its last tenth
    cut and one of its figures changed (in whatever wrapper the new document gets)."""
    body = body[: len(body) * 9 // 10]
    figures = list(DIGITS.finditer(body))
    if not figures:
        return body
    figure = rng.choice(figures)
    changed = str(int(figure.group(0)) + rng.randint(1, 9))
    return body[: figure.start()] + changed + body[figure.end() :]
