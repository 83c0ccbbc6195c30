"""Policy mentions: titles in 《》 with kind, issuers, place, date, document number, period."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

import numpy as np

from policylens.extract import dates
from policylens.extract.context import DocContext, sentence_start
from policylens.extract.numbers import to_number
from policylens.gazetteer import NATION
from policylens.model import DateValue, Document, Item, Place, PolicyMention

TITLE = re.compile(r"《([^《》\n]{2,120})》")
DOC_NUMBER = re.compile(
    r"[\u4e00-\u9fff]{1,12}[〔\[【（(]\s*(20\d{2})\s*[〕\]】）)]\s*\d{1,4}\s*号"
)
# The bracketed year and number of DOC_NUMBER alone: its agency prefix, a CJK class tried
# at every position, makes it slow to search, so it runs only where this finds a number.
DOC_NUMBER_CORE = re.compile(r"[〔\[【（(]\s*20\d{2}\s*[〕\]】）)]\s*\d{1,4}\s*号")
TRAILING_NOTE = re.compile(r"[（(][^（）()]*(?:年|征求意见稿|试行|草案|\d{4})[^（）()]*[）)]\s*$")
DRAFT = re.compile(r"征求意见稿|草案")
ISSUE_VERB = re.compile(
    r"(?:等\s*(?P<count>\d+|[一二三四五六七八九十]+)\s*(?:个)?部门)?\s*"
    r"(?:(?:今年|去年|\d{4}年)?\d{1,2}月(?:\d{1,2}日)?)?\s*"
    r"(?:联合|正式|近日|日前|共同|再次|又)*\s*"
    r"(?:印发了?|发布了?|出台了?|公布了?|制定了?|制订了?|颁布了?|下发了?|推出了?|审议通过了?|就)"
    r"的?\s*(?:关于印发)?\s*$"
)
# 落实工业和信息化部等五部门《…》: the departments named without a verb
DEPARTMENTS_BEFORE = re.compile(
    r"等\s*(?P<count>\d+|[一二三四五六七八九十]+)\s*(?:个)?部门\s*(?:联合)?\s*(?:印发|发布)?的?\s*$"
)
# Every character an ISSUE_VERB or DEPARTMENTS_BEFORE match can hold besides spaces and
# digits. Both are anchored at the end, so a match lies in the run of these that ends the
# prefix; searched from its start, they are not tried at every position of the sentence.
VERB_CHARACTERS = frozenset(
    "等一二三四五六七八九十个部门今去年月日联合正式近前共同再次又"
    "印发了布出台公制定订颁下推审议通过就的关于"
)
# The last character of a prefix that no such match can hold: ``.*`` jumps to the end and
# backs off to it in C (\s and \d are str.isspace and str.isdecimal).
LAST_NON_VERB_CHARACTER = re.compile(
    f"(?s:.*)[^\\s\\d{re.escape(''.join(sorted(VERB_CHARACTERS)))}]"
)
ISSUER_SPLIT = re.compile(r"[、，,\s]+|(?<=[厅局委办部])和(?=[\u4e00-\u9fff]{2})")
ISSUER_NOISE = re.compile(
    r"^(?:近日|日前|此前|今年|去年|同时|其中|据悉|围绕|为|落实|根据|按照|贯彻|依据)+|(?:官网|网站|网)$"
)
DASHES = str.maketrans({"—": "-", "–": "-", "－": "-", "~": "-", "～": "-", "（": "(", "）": ")"})


def find_doc_number(text: str, start: int = 0, end: int | None = None) -> str | None:
    """Return the first document number (川府发〔2023〕12号) in ``text[start:end]``."""
    end = len(text) if end is None else end
    if DOC_NUMBER_CORE.search(text, start, end) is None:
        return None
    found = DOC_NUMBER.search(text, start, end)
    return found.group(0) if found else None


# Titles recur across the documents of a corpus, and OpenCC is called once per title.
@functools.lru_cache(maxsize=4096)
def normalize_title(title: str, t2s: object) -> str:
    """Return a title folded for comparison: simplified, half-width, no spaces, one dash form."""
    text = t2s.convert(title)  # type: ignore[attr-defined]
    text = unicodedata.normalize("NFKC", text).translate(DASHES)
    return re.sub(r"\s+", "", text).strip("《》")


# Pure, and asked again for every mention of a title (and across documents).
@functools.lru_cache(maxsize=4096)
def title_kind(title: str, kinds: tuple[str, ...]) -> str | None:
    """Return the policy kind a title ends with (行动计划, 指导意见 …), notes in brackets aside."""
    core = title.strip()
    while TRAILING_NOTE.search(core):
        core = TRAILING_NOTE.sub("", core).strip()
    return next((kind for kind in kinds if core.endswith(kind)), None)


@functools.lru_cache(maxsize=4096)
def is_policy_title(title: str, kind: str | None, kinds: tuple[str, ...]) -> bool:
    """Return whether 《title》 names a policy, not a back-reference (《行动计划》) or a book."""
    if kind is None:
        return False
    core = TRAILING_NOTE.sub("", title).strip()
    return core not in kinds and len(core) > len(kind) + 1


LED_BY = re.compile(r"由(?P<who>[^，。；]{2,40}?)(?:牵头|主办|组织|发起)[^。《]{0,80}$")


def _is_issuer(part: str, ctx: DocContext) -> bool:
    """Return whether a subject names a body, or a place standing for its government.

    江苏省发布《…》: the province stands for its government.
    """
    if ctx.res.is_agency(part):
        return True
    mentions = ctx.gazetteer.find(part)
    return bool(mentions) and "".join(m.surface for m in mentions) == part


def _verb_reading_start(prefix: str) -> int:
    """Return where the run of characters an issuing-verb match can hold ends the prefix."""
    other = LAST_NON_VERB_CHARACTER.match(prefix)
    return other.end() if other else 0


def issuers_before(prefix: str, ctx: DocContext) -> tuple[tuple[str, ...], int | None]:
    """Return the bodies named as subject of 印发/发布 just before a title, and 等N部门."""
    start = _verb_reading_start(prefix)
    verb = ISSUE_VERB.search(prefix, start) or DEPARTMENTS_BEFORE.search(prefix, start)
    if verb is None:
        led = LED_BY.search(prefix) if "由" in prefix else None
        if led and ctx.res.is_agency(led.group("who").strip()):
            return (led.group("who").strip(),), None
        return (), None
    subject = prefix[: verb.start()]
    # The subject runs back to a clause mark, or to the title before it (its own subject's
    # end): each title splits only the words since the last, however long the sentence.
    marks = ("，", "：", "。", "》")
    subject = subject[max(subject.rfind(mark) for mark in marks) + 1 :]
    names = []
    for part in ISSUER_SPLIT.split(subject):
        part = ISSUER_NOISE.sub("", part.strip())
        if part and _is_issuer(part, ctx):
            names.append(part)
    return tuple(names), _department_count(verb.group("count"))


def _department_count(numerals: str | None) -> int | None:
    """Return the N of 等N部门, None without one or for numerals that are no number (十十)."""
    if not numerals:
        return None
    try:
        return int(to_number(numerals))
    except ValueError:
        return None


def signature_issuers(item: Item, ctx: DocContext) -> tuple[str, ...]:
    """Return the bodies signing a cover notice: its lines that are agency names alone."""
    names = []
    for line in item.text.splitlines():
        line = line.strip()
        # A signature line may run into the date: "四川省通信管理局2023年9月12日"
        line = dates.FULL_DATE.sub("", line).strip()
        if 3 < len(line) <= 30 and not re.search(r"[，。：；、]", line) and ctx.res.is_agency(line):
            names.append(line)
    return tuple(names)


def issuer_place(issuer: str, ctx: DocContext, fallback: Place | None) -> str:
    """Return the region an issuer governs: national bodies, a named place, else the policy's."""
    if ctx.res.national_agency_in(issuer):
        return NATION.name
    place = ctx.gazetteer.resolve_text(issuer)
    if place is not None:
        return place.name
    # 省经信厅, 市科委: a body named without its place belongs to the policy's place.
    return fallback.name if fallback else ""


def place_of(
    title: str,
    issuers: tuple[str, ...],
    doc_number: str | None,
    ctx: DocContext,
    item: Item,
    position: int,
) -> Place | None:
    """Return the place a policy governs: from its title, issuers, document number or context."""
    for text in (title, *issuers):
        if ctx.res.national_agency_in(text):
            return NATION
        place = ctx.gazetteer.resolve_text(text)
        if place:
            return place
    if doc_number:
        code = ctx.gazetteer.province_of_abbreviation(doc_number[0])
        if code:
            return ctx.gazetteer.place(code)
    return ctx.place_before(item, position) or ctx.document_place


def _date_before(item: Item, start: int, ctx: DocContext) -> DateValue | None:
    """Return the last date written in the sentence before a title, else the item's first date."""
    hits = ctx.dates_between(item, sentence_start(item.text, start), start)
    if hits:
        return ctx.resolve_date(item, hits[-1])
    if item.kind in ("digest_entry", "article"):
        first = next((h for h in ctx.dates(item) if h.day), None)
        return ctx.resolve_date(item, first) if first else None
    return None


def extract_policies(item: Item, ctx: DocContext) -> Iterator[PolicyMention]:
    """Yield a PolicyMention for each policy title in 《》 in an item."""
    kinds = ctx.res.policy_kinds
    notice = item.kind == "notice"
    for match in TITLE.finditer(item.text):
        title = match.group(1).strip()
        kind = title_kind(title, kinds)
        if not is_policy_title(title, kind, kinds):
            continue
        prefix = item.text[sentence_start(item.text, match.start()) : match.start()]
        issuers, count = issuers_before(prefix, ctx)
        date = _date_before(item, match.start(), ctx)
        first_line_end = item.text.find("\n") if "\n" in item.text else len(item.text)
        if notice and match.start() < first_line_end:
            # The title of a cover notice: its signatories, signing date and number.
            issuers = signature_issuers(item, ctx) or issuers
            notice_dates = [h for h in ctx.dates(item) if h.day]
            date = ctx.resolve_date(item, notice_dates[-1]) if notice_dates else date
            doc_number = find_doc_number(item.text)
        else:
            doc_number = find_doc_number(item.text, match.end(), match.end() + 40)
        place = place_of(title, issuers, doc_number, ctx, item, match.start())
        yield PolicyMention(
            title=title,
            normalized_title=normalize_title(title, ctx.res.t2s),
            kind=kind,
            draft=bool(DRAFT.search(title)),
            issuers=issuers,
            issuer_places=tuple(issuer_place(i, ctx, place) for i in issuers),
            issuer_count=count,
            place=place,
            date=date,
            doc_number=doc_number,
            period=dates.period(title),
            prov=ctx.prov(item, match.start(), match.end(), "policy.v1"),
        )


# Asked for every pair of a document's mentions when short forms are unified.
@functools.lru_cache(maxsize=4096)
def title_core(normalized: str) -> str:
    """Return a normalized title without trailing notes (可信虚拟人白皮书(2023) → …白皮书)."""
    core = normalized
    while re.search(r"\([^()]*\)$", core):
        core = re.sub(r"\([^()]*\)$", "", core)
    return core


def _is_short_form(short: str, full: str) -> bool:
    """Return whether one title abbreviates another: its characters appear in order in it."""
    if len(short) >= len(full):
        return False
    position = 0
    for char in short:
        position = full.find(char, position) + 1
        if position == 0:
            return False
    return True


def unify_short_forms(mentions: list[PolicyMention]) -> list[PolicyMention]:
    """Return mentions where a short form (《创新基地申报指南》) takes the full title."""
    titles = ShortFormTitles.of(mentions)
    # A title recurs in a document: its full form is looked for once per title and kind.
    full_forms: dict[tuple[str, str | None], str | None] = {}
    out = []
    for mention in mentions:
        key = (mention.normalized_title, mention.kind)
        if key not in full_forms:
            full_forms[key] = titles.full_form(mention)
        full = full_forms[key]
        out.append(replace(mention, normalized_title=full) if full else mention)
    return out


# Up to this many distinct titles, comparing each with all is cheaper than indexing them.
FEW_TITLES = 64


@dataclass(frozen=True)
class ShortFormTitles:
    """A document's distinct titles, in order of first mention, with their cores and, past
    FEW_TITLES, bit masks of them: bit ``n`` of ``holding[char]`` is set when title ``n``'s
    core holds the character, of ``kinds[kind]`` when it is of that kind, and of
    ``longer[length]`` when its name is longer than that.

    A title's full form is longer, of its kind and holds every character of its core, so
    only the titles in all those masks need the in-order test. Sets of numbers did this
    too, but a document of 20,000 alike titles spent 16 s intersecting them; masks of
    20,000 bits are ANDed in microseconds, and read lowest bit first, in title order.
    """

    names: tuple[str, ...]
    mentions: tuple[PolicyMention, ...]  # the last mention of each title
    cores: tuple[str, ...]
    masks: _TitleMasks | None  # None for a few titles: all are compared

    @classmethod
    def of(cls, mentions: list[PolicyMention]) -> ShortFormTitles:
        titles = {m.normalized_title: m for m in mentions}
        cores = tuple(title_core(t) for t in titles)
        masks = _TitleMasks.of(tuple(titles.values()), cores) if len(cores) > FEW_TITLES else None
        return cls(tuple(titles), tuple(titles.values()), cores, masks)

    def full_form(self, mention: PolicyMention) -> str | None:
        """Return the first title of the same kind that the mention's title is a short
        form of."""
        title = mention.normalized_title
        core = title_core(title)
        if self.masks is not None:
            return self._full_form_masked(mention, core, self.masks)
        for number, name in enumerate(self.names):
            if (
                len(name) > len(title)
                and self.mentions[number].kind == mention.kind
                and (self.cores[number] == core or _is_short_form(core, self.cores[number]))
            ):
                return name
        return None

    def _full_form_masked(
        self, mention: PolicyMention, core: str, masks: _TitleMasks
    ) -> str | None:
        candidates = masks.kinds.get(mention.kind, 0) & masks.longer.get(
            len(mention.normalized_title), 0
        )
        for char in set(core):
            candidates &= masks.holding.get(char, 0)
            if not candidates:
                return None
        while candidates:
            lowest = candidates & -candidates
            number = lowest.bit_length() - 1
            other = self.cores[number]
            if other == core or _is_short_form(core, other):
                return self.names[number]
            candidates ^= lowest
        return None


@dataclass(frozen=True)
class _TitleMasks:
    """Bit masks of a document's titles: see ShortFormTitles."""

    holding: dict[str, int]
    kinds: dict[str | None, int]
    longer: dict[int, int]  # for every title's length

    @classmethod
    def of(cls, mentions: tuple[PolicyMention, ...], cores: tuple[str, ...]) -> _TitleMasks:
        holding: dict[str, list[int]] = {}
        kinds: dict[str | None, list[int]] = {}
        for number, (mention, core) in enumerate(zip(mentions, cores, strict=True)):
            for char in set(core):
                holding.setdefault(char, []).append(number)
            kinds.setdefault(mention.kind, []).append(number)
        count = len(mentions)
        lengths = np.array([len(m.normalized_title) for m in mentions])
        return cls(
            {char: _bit_mask(numbers, count) for char, numbers in holding.items()},
            {kind: _bit_mask(numbers, count) for kind, numbers in kinds.items()},
            {
                int(length): _bit_mask(np.flatnonzero(lengths > length), count)
                for length in np.unique(lengths)
            },
        )


def _bit_mask(numbers: Sequence[int] | np.ndarray, count: int) -> int:
    """Return the int whose bits ``numbers`` (of ``count``) are set, built in numpy: setting
    them one by one would copy a 20,000-bit int every time."""
    bits = np.zeros(count, dtype=bool)
    bits[np.asarray(numbers, dtype=np.int64)] = True
    return int.from_bytes(np.packbits(bits, bitorder="little").tobytes(), "little")


def _fill(mention: PolicyMention, other: PolicyMention) -> PolicyMention:
    """Return a mention with what it lacks taken from another mention of the same policy."""
    richer = mention if len(mention.issuers) >= len(other.issuers) else other
    return replace(
        mention,
        issuers=richer.issuers,
        issuer_places=richer.issuer_places,
        issuer_count=mention.issuer_count or other.issuer_count,
        date=mention.date or other.date,
        doc_number=mention.doc_number or other.doc_number,
        place=mention.place or other.place,
    )


def consolidate(mentions: list[PolicyMention]) -> list[PolicyMention]:
    """Return mentions with fields missing on one filled from another mention of the same title."""
    mentions = unify_short_forms(mentions)
    best: dict[str, PolicyMention] = {}
    for mention in mentions:
        known = best.get(mention.normalized_title)
        best[mention.normalized_title] = mention if known is None else _fill(known, mention)
    # A title mentioned once is its own best: nothing to fill.
    return [
        m if best[m.normalized_title] is m else _fill(m, best[m.normalized_title]) for m in mentions
    ]


COVER_KINDS = ("front_matter", "notice", "article")


def main_titles(document: Document, t2s: object) -> set[str]:
    """Return the normalized titles of the policy a document carries: its plan, notice or title."""
    titles: set[str] = set()
    for item in document.items:
        if item.kind == "plan_section" and item.path:
            titles.add(normalize_title(re.sub(r"^附件?\d*[：:]", "", item.path[0]), t2s))
        if item.kind == "notice":
            titles.update(normalize_title(m.group(1), t2s) for m in TITLE.finditer(item.title))
    if document.raw.title:
        titles.update(normalize_title(m.group(1), t2s) for m in TITLE.finditer(document.raw.title))
    return titles


def cover_details(document: Document, ctx: DocContext) -> tuple[str | None, tuple[str, ...]]:
    """Return the document number and the signing bodies printed on a document's cover."""
    number: str | None = None
    signers: tuple[str, ...] = ()
    for item in document.items:
        if item.kind not in COVER_KINDS:
            continue
        number = number or find_doc_number(item.text)
        signers = signers or signature_issuers(item, ctx)
    return number, signers


def complete_main_policy(
    mentions: list[PolicyMention], document: Document, ctx: DocContext
) -> list[PolicyMention]:
    """Return mentions where the document's own policy takes the number and signers of its cover.

    A notice or a government page prints 沪府办发〔2022〕14号 and the issuing office on lines
    of their own, away from the title in 《》.
    """
    cores = {title_core(t) for t in main_titles(document, ctx.res.t2s)}
    if not any(title_core(m.normalized_title) in cores for m in mentions):
        return list(mentions)  # the cover is read for the document's own policy only
    number, signers = cover_details(document, ctx)
    out = []
    for mention in mentions:
        if title_core(mention.normalized_title) in cores:
            fallback = mention.place
            mention = replace(
                mention,
                doc_number=mention.doc_number or number,
                issuers=mention.issuers or signers,
                issuer_places=mention.issuer_places
                or tuple(issuer_place(s, ctx, fallback) for s in signers),
            )
        out.append(mention)
    return out
