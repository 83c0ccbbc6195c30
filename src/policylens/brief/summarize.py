"""Extractive summaries and headlines: source sentences chosen by TextRank, lightly trimmed.

Nothing is written here: a summary is a few sentences of an item's clean text, in their
order, with bylines, footnote digits and "（下称…）" asides trimmed (data/brief_text.tsv), and
the year added to the date the story is dated by when the source left it out ("9月22日" →
"2023年9月22日", from the stored date fact). Each sentence keeps the words it came from.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from policylens.brief.model import Sentence
from policylens.brief.rules import TextRules
from policylens.brief.textrank import choose, lead_bias, textrank
from policylens.store import ItemRecord

ENDS = "。！？!?"
CLOSERS = "”’」』）)\"'"
OPENING_QUOTES = "“「『"
CLOSING_QUOTES = "”」』"
NUMBERING = re.compile(
    r"^\s*(?:\d{1,3}\s*[、.．]|[（(][一二三四五六七八九十\d]+[）)]|[一二三四五六七八九十]+、)\s*"
)
CJK_PUNCT = r"\u3400-\u9fff\u3000-\u303f\uff00-\uffef"
SPACE_IN_CHINESE = re.compile(
    rf"(?<=[{CJK_PUNCT}0-9])[ \t\u3000]+(?=[{CJK_PUNCT}])"
    rf"|(?<=[{CJK_PUNCT}])[ \t\u3000]+(?=[0-9])"
)
MONTH_DAY = re.compile(r"(?<![年\d])(\d{1,2})月(\d{1,2})日")
HEADLINE_YEAR = re.compile(r"^(\d{4})年[，,]")
MIN_SENTENCE = 8  # characters; shorter fragments are residue, not sentences
HEADLINE_LIMIT = 48  # characters of an opening sentence used as a headline
CONTINUED = "，、：,:;；（(—"  # a line ending so runs on (a PDF page break inside a sentence)
QUOTE_PAIRS = (("“", "”"), ("「", "」"), ("『", "』"))


def squeeze(text: str) -> str:
    """Return text without spaces inside Chinese (``9 月 22 日`` → ``9月22日``), runs collapsed."""
    return SPACE_IN_CHINESE.sub("", re.sub(r"\s+", " ", text)).strip()


def _bare(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _heading_lines(item: ItemRecord) -> list[tuple[int, int]]:
    """Return the (start, end) of the lines before the body: the number and the headline."""
    lines, position = [], 0
    number = _bare(item.number or "")
    title = _bare(item.title)
    for line in item.text.split("\n"):
        bare = _bare(line)
        start, position = position, position + len(line) + 1
        if not bare or (number and bare == number):
            lines.append((start, start + len(line)))
            continue
        if title and _bare(NUMBERING.sub("", line)) == title:
            lines.append((start, start + len(line)))
        break
    return lines


def has_headline(item: ItemRecord) -> bool:
    """Return whether the item opens with a headline line of its own (its title)."""
    title = _bare(item.title)
    return any(_bare(NUMBERING.sub("", item.text[a:b])) == title for a, b in _heading_lines(item))


def body_bounds(item: ItemRecord, rules: TextRules) -> tuple[int, int]:
    """Return where the item's own words are: after its number and headline, before a cut.

    A cut line (data/brief_text.tsv, e.g. 植德短评：) ends them: what follows is someone
    else's commentary. An item that is only a headline is its own body.
    """
    heading = _heading_lines(item)
    start = heading[-1][1] + 1 if heading else 0
    if start >= len(item.text):
        start = heading[-1][0] if heading else 0
    end, position = len(item.text), 0
    for line in item.text.split("\n"):
        if position >= start and any(p.search(line.strip()) for p in rules.cut):
            end = position
            break
        position += len(line) + 1
    return start, max(start, end)


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Return the (start, end) of each sentence of ``text[start:end]``, spaces trimmed.

    A sentence ends at 。！？ (with any closing quotes after it) or a line break, unless the
    line ends in a comma (a page break inside the sentence); a full stop inside “…” does
    not end it unless the quote closes right after it.
    """
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    begin, depth, i = start, 0, start
    while i < end:
        char = text[i]
        if char == "\n":
            if text[begin:i].rstrip().endswith(tuple(CONTINUED)):
                i += 1
                continue
            spans.append((begin, i))
            begin, depth, i = i + 1, 0, i + 1
            continue
        if char in OPENING_QUOTES:
            depth += 1
        elif char in CLOSING_QUOTES:
            depth = max(0, depth - 1)
        closes = i + 1 < end and text[i + 1] in CLOSERS
        if char in ENDS and (depth == 0 or closes):
            j = i + 1
            while j < end and (text[j] in ENDS or text[j] in CLOSERS):
                j += 1
            spans.append((begin, j))
            begin, depth, i = j, 0, j
            continue
        i += 1
    spans.append((begin, end))
    return [_trimmed(text, a, b) for a, b in spans if text[a:b].strip()]


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def trim(sentence: str, rules: TextRules) -> str:
    """Return a source sentence lightly trimmed: spaces, asides, leading connectives removed."""
    text = squeeze(sentence)
    for pattern in rules.strip:
        text = pattern.sub("", text)
    for pattern in rules.lead:
        text = pattern.sub("", text, count=1)
    return balance_quotes(text.strip())


def balance_quotes(text: str) -> str:
    """Return text without a quote mark left open or closed at its ends by the sentence split."""
    if text.count('"') % 2:
        text = text[1:] if text.startswith('"') else text.rstrip('"')
    for opening, closing in QUOTE_PAIRS:
        if text.count(opening) < text.count(closing) and text.endswith(closing):
            text = text[: -len(closing)]
        if text.count(opening) > text.count(closing) and text.startswith(opening):
            text = text[len(opening) :]
    return text.strip()


def quotable(sentence: str, rules: TextRules) -> bool:
    """Return whether a trimmed sentence may be quoted: long enough, Chinese, not dropped."""
    return (
        len(sentence) >= MIN_SENTENCE
        and re.search(r"[\u3400-\u9fff]", sentence) is not None
        and not any(p.search(sentence) for p in rules.drop)
    )


def add_year(sentence: str, date: str | None) -> str:
    """Return the sentence with the year written into the story's own date, if it lacks it.

    Only a month and day equal to ``date`` (a stored date fact, YYYY-MM-DD) get the year.
    """
    if date is None or len(date) != 10:
        return sentence
    year, month, day = (int(part) for part in date.split("-"))

    def dated(match: re.Match[str]) -> str:
        if (int(match[1]), int(match[2])) != (month, day):
            return match[0]
        return f"{year}年{match[0]}"

    return MONTH_DAY.sub(dated, sentence, count=1)


def candidates(item: ItemRecord, rules: TextRules) -> list[tuple[int, str, str]]:
    """Return the item's quotable sentences: (offset in the item text, quote, trimmed text)."""
    start, end = body_bounds(item, rules)
    found = []
    for a, b in sentence_spans(item.text, start, end):
        quote = item.text[a:b]
        text = trim(quote, rules)
        if quotable(text, rules):
            found.append((a, quote, text))
    return found


def summarize(
    item: ItemRecord, rules: TextRules, budget: int, date: str | None = None
) -> tuple[Sentence, ...]:
    """Return the item's best sentences within ``budget`` characters, in text order.

    The lead sentence is always kept (news puts who, what and when first); the rest of the
    budget goes to the sentences TextRank ranks highest, with a lead bias. The year is added
    to the story's own date (``date``) where the source left it out.
    """
    found = candidates(item, rules)
    if not found:
        return ()
    texts = [text for _, _, text in found]
    scores = textrank(texts, lead_bias(len(texts)))
    return tuple(
        Sentence(add_year(found[i][2], date), found[i][1], item.id, found[i][0])
        for i in choose(texts, scores, budget, keep=(0,))
    )


def headline(item: ItemRecord, rules: TextRules, year: int | None = None) -> str:
    """Return the item's headline: its own, else its opening sentence cut to a clause.

    A headline opening with a year other than the story's (``2025年，成都发布…`` for a
    2023 story: a target year misplaced by the source) loses that year.
    """
    if has_headline(item):
        text = squeeze(item.title)
    else:
        found = candidates(item, rules)
        text = found[0][2] if found else squeeze(item.title)
        for pattern in rules.head:
            text = pattern.sub("", text, count=1)
        text = _clause(text)
    match = HEADLINE_YEAR.match(text)
    if match and year is not None and int(match[1]) != year:
        text = text[match.end() :]
    return text.strip()


def _clause(text: str) -> str:
    """Return the first clause(s) of a sentence fitting the headline limit, without end marks."""
    text = text.rstrip("。；;")
    if len(text) <= HEADLINE_LIMIT:
        return text
    for marks in ("！？!?", "；;…", "，,：:"):
        cuts = [i for i, char in enumerate(text[:HEADLINE_LIMIT]) if char in marks]
        if cuts:
            return text[: cuts[-1] + (1 if text[cuts[-1]] in "！？!?" else 0)].rstrip("…")
    return text[:HEADLINE_LIMIT]


def best_sentences(items: Sequence[ItemRecord], rules: TextRules) -> ItemRecord | None:
    """Return the first item with a quotable sentence, the one a story's summary comes from."""
    return next((item for item in items if candidates(item, rules)), None)
