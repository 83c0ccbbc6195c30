"""Property tests of normalization's offset map, the run-length map itself, and the fast forms
of patterns and tokenizers against their reference forms."""

from __future__ import annotations

import itertools
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import PlainFact, PlainItem
from policylens.extract import dates, targets
from policylens.model import OffsetMap, Span
from policylens.normalize import normalize, punctuation, residue, script
from policylens.normalize.tracked import TrackedText, contains_any

# Text drawn from what the sample documents are made of: Chinese (simplified and
# traditional), pinyin glosses, ASCII and full-width marks, digits, spaces and line breaks.
PIECES = st.sampled_from(
    [
        "元宇宙",
        "產(chǎn)業(yè)",
        "發(fā)展",
        "区块链",
        "，",
        ",",
        ",,",
        "、",
        "。",
        ",。",
        "；",
        "(",
        ")",
        "（",
        "）",
        "《",
        "》",
        "2025",
        "２０２５",
        "年",
        " ",
        "\n",
        "\n\n",
        "\t",
        "**",
        "1、",
        "01",
        "¹",
        "https://a.gov.cn/x y.html",
        "当前位置:首页",
        "温馨提示",
        "_",
        "7",
        "朝著",
        "a",
        "Web3",
        "“",
        "”",
        "—",
        "专栏1",
        "一、",
        "（一）",
        "\r\n",
        "\u3000",
    ]
)
TEXTS = st.lists(PIECES | st.text(max_size=5), max_size=60).map("".join)


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=TEXTS)
def test_normalize_every_clean_char_maps_inside_raw_in_order(raw, res):
    clean = normalize(raw, res)
    origins = clean.offsets.origins()
    assert len(origins) == len(clean.text)
    assert all(0 <= o < len(raw) for o in origins)
    assert all(a <= b for a, b in itertools.pairwise(origins))


@settings(max_examples=200)
@given(origins=st.lists(st.integers(min_value=0, max_value=50), max_size=40).map(sorted))
def test_offset_map_round_trips_origins(origins):
    offsets = OffsetMap.from_origins(origins)
    assert offsets.origins() == origins
    for index, origin in enumerate(origins):
        assert offsets.to_raw(index) == origin
    if origins:
        span = offsets.span_to_raw(Span(0, len(origins)))
        assert span == Span(origins[0], origins[-1] + 1)
    # Every non-empty span maps to the raw characters of its first and last character.
    for start, end in itertools.combinations(range(len(origins) + 1), 2):
        assert offsets.span_to_raw(Span(start, end)) == Span(origins[start], origins[end - 1] + 1)


def _tidy_by_regex(text: str) -> str:
    """tidy_spaces as first written, five regex passes: the reference the fast one must match."""
    tight = rf"[{punctuation.HAN}{punctuation.CJK_PUNCT}]"
    text = re.sub(rf"(?<={tight})[ \t]+(?={tight}|\d)|(?<=\d)[ \t]+(?={tight})", "", text)
    text = re.sub(r"[ \t\f\v]+", " ", text)
    text = re.sub(r"(?m)^ +| +$", "", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return re.sub(r"^\n+|\n+$", "", text)


BLANKS = st.text(
    alphabet=st.sampled_from(list("元宇宙，。（）《》—…·ab1２٣ \t\f\v\n")), max_size=60
)


@given(text=BLANKS)
def test_tidy_spaces_matches_its_regex_definition(text):
    tidied = punctuation.tidy_spaces(TrackedText.from_raw(text))
    assert tidied.text == _tidy_by_regex(text)
    assert len(tidied.origins) == len(tidied.text)
    assert all(0 <= o < len(text) for o in tidied.origins.tolist())


# The first form of the pattern, lookbehind first: the reference the reordered one must match.
_MARK_REFERENCE = re.compile(
    rf"(?<=[{punctuation.HAN}{punctuation.CJK_PUNCT}])[,;:!?]"
    rf"|[,;!?](?=[{punctuation.HAN}{punctuation.CJK_PUNCT}])|,(?=\s*[{punctuation.HAN}])"
)


# The date patterns as first written, each opening with its lookbehind: the references
# the digit-first forms in extract.dates must match, groups and all.
_DATE_REFERENCES = {
    "FULL_DATE": r"(?<!\d)(20\d{2}|19\d{2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日",
    "ISO_DATE": r"(?<![\d/])(20\d{2})-(\d{1,2})-(\d{1,2})(?!\d)",
    "MONTH_DAY": r"(?<!\d)(\d{1,2})\s*月\s*(\d{1,2})\s*日",
    "YEAR_MONTH": r"(?<!\d)(20\d{2})\s*年\s*(\d{1,2})\s*月(?!\s*\d{1,2}\s*日)",
    "BARE_MONTH": r"(?:^|(?<=[，。；：\n]))(\d{1,2})\s*月(?=\s*[，,]|份)",
    "YEAR_MENTION": r"(?<!\d)(20\d{2})(?=\s*年(?!\s*[—–\-－~～至])|\s*[\u4e00-\u9fff])",
}
DATE_TEXT = st.text(alphabet=st.sampled_from(list("0129年月日，。；：\n-/ 份,至元")), max_size=40)


_FUTURE_YEAR_REFERENCE = re.compile(r"(?<![\d—\-])(20\d{2})年(?![\d—\-以])")


@given(text=st.text(alphabet=st.sampled_from(list("0129年—-以，元")), max_size=30))
def test_future_year_pattern_matches_its_lookbehind_first_form(text):
    fast = [(m.span(), m.groups()) for m in targets.FUTURE_YEAR.finditer(text)]
    assert fast == [(m.span(), m.groups()) for m in _FUTURE_YEAR_REFERENCE.finditer(text)]


@given(text=DATE_TEXT)
def test_date_patterns_match_their_lookbehind_first_forms(text):
    for name, reference in _DATE_REFERENCES.items():
        fast = getattr(dates, name)
        found = [(m.span(), m.groups()) for m in fast.finditer(text)]
        assert found == [(m.span(), m.groups()) for m in re.finditer(reference, text)], name


_GLOSS_REFERENCE = re.compile(
    rf"(?<=[\u3400-\u9fff?])\((?=[a-z{script._TONE_VOWELS}]*[{script._TONE_VOWELS}])"
    rf"[a-z{script._TONE_VOWELS}]{{1,7}}\)"
)


@pytest.mark.parametrize(
    ("fast", "reference", "alphabet"),
    [
        (punctuation.ASCII_MARK_IN_CHINESE, _MARK_REFERENCE, "元宇，。《》,;:!?a1 \n"),
        (script.PINYIN_GLOSS, _GLOSS_REFERENCE, "產業?a(ǎ)chn元 \n"),
    ],
    ids=["ascii_marks", "pinyin_glosses"],
)
@given(data=st.data())
def test_mark_first_patterns_find_what_their_lookbehind_forms_find(fast, reference, alphabet, data):
    text = data.draw(st.text(alphabet=st.sampled_from(list(alphabet)), max_size=40))
    assert [m.span() for m in fast.finditer(text)] == [m.span() for m in reference.finditer(text)]


# Each step skips its pattern when a cheap check says the text cannot match it; the checks
# must never say "cannot" where the pattern would match.
PREFILTER_TEXT = st.text(
    alphabet=st.sampled_from(
        list("元。.·…⁰¹²\r\n\f\v\u2028\u2029\x85*wh:/tps\u00c3\u00a9\u0080\ufffd1第页-— _q")
    ),
    max_size=30,
)


@given(text=PREFILTER_TEXT)
def test_prefilters_never_skip_a_text_their_pattern_matches(text):
    if residue.DOT_LEADER.search(text):
        assert residue._may_have_leaders(text)
    if residue.URL_START.search(text):
        assert contains_any(text, residue.URL_OPENINGS)
    if residue.SUPERSCRIPT_RUN.search(text):
        assert contains_any(text, residue.SUPERSCRIPT_DIGITS)
    if punctuation.LINE_BREAK.search(text):
        assert contains_any(text, punctuation.LINE_BREAK_CHARS)
    if script._SUSPECT_MOJIBAKE.search(text):
        assert script._MOJIBAKE_OPENER.search(text)
    residue_line = residue.RESIDUE_LINE.match(text) is not None
    for pattern in (residue.LONE_NUMBER, residue.PAGE_MARK, residue.JUNK_LINE):
        assert residue_line or not pattern.match(text)


LITERAL_PAIRS = (
    ("著力", "着力"),
    ("朝著", "朝着"),
    ("围绕著", "围绕着"),
    ("著", "着"),
    ("ab", "X"),
)


@pytest.mark.parametrize(
    "pairs", [LITERAL_PAIRS, LITERAL_PAIRS[:3], (("围绕著", "围绕着"), ("绕著力", "Y"))]
)
@given(text=st.text(alphabet=st.sampled_from(list("著力朝围绕元ab \n")), max_size=40))
def test_literal_replacement_equals_one_longest_first_alternation(pairs, text):
    """Only the literals a text holds make the pattern; the result is the full pattern's."""
    keys = sorted((left for left, _ in pairs), key=len, reverse=True)
    table = dict(pairs)
    expected = re.sub("|".join(map(re.escape, keys)), lambda m: table[m.group(0)], text)
    replaced = script.replace_literals(TrackedText.from_raw(text), pairs)
    assert replaced.text == expected and len(replaced.origins) == len(replaced.text)


# Characters of every class the index tokenizer tells apart: CJK (BMP and beyond), kana and
# hangul, Latin letters and digits (ASCII, full-width, other scripts, beyond the BMP),
# the underscore, marks, spaces and line breaks.
TOKEN_CHARS = st.sampled_from([*"区块链元宇宙あア한글abzAZ09٣ｚ_-，。 \n\t·", "𠀀", "𝟘", "𝐀"])
TOKEN_TEXTS = st.one_of(
    st.text(alphabet=TOKEN_CHARS, max_size=60),
    st.builds(lambda n, tail: "x" * n + tail, st.integers(0, 70), st.text(TOKEN_CHARS, max_size=5)),
    st.text(max_size=30),  # any character at all
)


@settings(max_examples=300)
@given(texts=st.lists(TOKEN_TEXTS, max_size=6), chunk_chars=st.integers(1, 200))
def test_joined_tokens_of_a_batch_equal_each_texts_tokens_joined(texts, chunk_chars):
    from policylens.search.tokens import fold_text, joined_text_tokens, text_tokens

    folded = [fold_text(text) for text in texts]
    expected = [" ".join(text_tokens(text)) for text in folded]
    assert joined_text_tokens(folded) == expected
    assert joined_text_tokens(folded, chunk_chars) == expected  # cut into several passes


@settings(max_examples=300)
@given(text=TOKEN_TEXTS, chunk_chars=st.integers(1, 40))
def test_token_count_and_distinct_words_read_a_piece_at_a_time_are_the_texts(text, chunk_chars):
    from policylens.search.tokens import fold_text, text_tokens, token_count_and_distinct

    folded = fold_text(text)
    every = text_tokens(folded)
    assert token_count_and_distinct(folded, chunk_chars) == (len(every), list(dict.fromkeys(every)))


# Stories made of shared pieces, so pairs overlap in part: Chinese, Latin letters of both
# cases, digits, characters beyond the BMP, and the punctuation and spaces shingles skip.
STORY_CHARS = st.sampled_from([*"元宇宙区块链产业发展计划aB1，。 _", "𠀀", "𝐀"])
STORY_PIECES = st.lists(st.text(STORY_CHARS, min_size=10, max_size=40), min_size=1, max_size=5)


@settings(max_examples=200, deadline=None)  # the first example loads scipy
@given(data=st.data(), threshold=st.floats(0, 1))
def test_scored_pairs_are_those_whose_containment_reaches_the_threshold(data, threshold):
    from policylens.link import dedupe

    pieces = data.draw(STORY_PIECES)
    count = data.draw(st.integers(2, 8))
    texts = {
        item_id: "".join(data.draw(st.lists(st.sampled_from(pieces), max_size=8)))
        for item_id in range(10, 10 + count)
    }
    pairs = set(itertools.combinations(sorted(texts), 2))
    shingled = {item_id: dedupe.shingles(text) for item_id, text in texts.items()}
    scores = {(a, b): dedupe.containment(shingled[a], shingled[b]) for a, b in pairs}
    expected = [
        dedupe.DuplicatePair(a, b, round(score, 4))
        for (a, b), score in scores.items()
        if score >= threshold
    ]
    expected.sort(key=lambda p: (-p.score, p.first, p.second))
    assert dedupe.score_pairs(pairs, texts, threshold) == expected


@settings(max_examples=200, deadline=None)  # the first example loads scipy
@given(rows=st.lists(st.tuples(st.integers(1, 30), st.integers(-5, 5)), max_size=60))
def test_key_sharing_pairs_are_every_two_owners_of_one_key(rows):
    import numpy as np

    from policylens.link import dedupe

    owners = np.array([owner for owner, _ in rows], dtype=np.int64)
    keys = np.array([key for _, key in rows], dtype=np.int64)
    expected = {
        (a, b)
        for (a, key_a), (b, key_b) in itertools.product(rows, rows)
        if key_a == key_b and a < b
    }
    assert dedupe.shared_key_pairs(owners, keys) == expected


@settings(max_examples=200, deadline=None)
@given(
    rows=st.lists(st.tuples(st.integers(1, 30), st.integers(-3, 3)), max_size=80),
    popular_key=st.integers(2, 6),
)
def test_key_sharing_pairs_owners_of_a_popular_key_in_a_star_and_a_chain(rows, popular_key):
    # A key held by many items pairs them from the first and in a row, not every two: the
    # pairs stay linear in its owners, and still join them all.
    import numpy as np

    from policylens.link import dedupe

    owners_of: dict[int, list[int]] = {}
    for owner, key in rows:
        owners_of.setdefault(key, [])
        if owner not in owners_of[key]:
            owners_of[key].append(owner)
    expected = set()
    for held in owners_of.values():
        held.sort()
        if len(held) > popular_key:
            expected |= {(held[0], other) for other in held[1:]}
            expected |= set(itertools.pairwise(held))
        else:
            expected |= set(itertools.combinations(held, 2))
    owners = np.array([owner for owner, _ in rows], dtype=np.int64)
    keys = np.array([key for _, key in rows], dtype=np.int64)
    assert dedupe.shared_key_pairs(owners, keys, popular_key) == expected
    # With no pairs to spare, every key is popular.
    every = set()
    for held in owners_of.values():
        every |= {(held[0], other) for other in held[1:]} | set(itertools.pairwise(held))
    assert dedupe.shared_key_pairs(owners, keys, popular_key, pair_budget=0) == every


@given(owners_of=st.lists(st.integers(1, 40), max_size=30), budget=st.integers(0, 2000))
def test_popular_keys_are_the_busiest_until_the_rest_fit_the_pair_budget(owners_of, budget):
    import numpy as np

    from policylens.link import dedupe

    counts = np.array(owners_of, dtype=np.int64)
    popular = dedupe.popular_columns(counts, 30, budget)
    pairs = counts * (counts - 1) // 2
    assert popular[counts > 30].all()
    assert pairs[~popular].sum() <= budget or not (~popular).any()
    # Each popular key (within the per-key limit) has at least as many owners as any other.
    within = popular & (counts <= 30)
    if within.any() and (~popular).any():
        assert counts[within].min() >= counts[~popular].max()


# Plan titles that fold alike (width, dashes, brackets, spaces) or not, and facts of every
# kind facets read, so plan sections find some, all or none of a document's mentions.
PLAN_TITLES = st.sampled_from(
    [
        "《元宇宙 计划（2023—2025年）》",
        "元宇宙计划(2023-2025年)",
        "元宇宙计划（2023～2025年）",
        "数据条例",
        "《数据条例》",
        "数据 条例",
        "",
    ]
)
ITEMS = st.lists(
    st.tuples(
        st.sampled_from(["plan_section", "paragraph"]),
        st.lists(PLAN_TITLES, max_size=2).map(tuple),
    ),
    max_size=8,
)
PLACES = st.sampled_from(
    [
        (None, None),
        ("510000", "四川省"),
        ("510100", "成都市"),
        ("440000", "广东省"),
        ("510000", None),
    ]
)
FACTS = st.lists(
    st.tuples(
        st.none() | st.integers(0, 7),
        st.sampled_from(["policy", "date", "topic", "target"]),
        PLAN_TITLES,
        st.sampled_from([None, "", "计划", "条例"]),
        PLACES,
        st.sampled_from([None, "province", "city"]),
        st.sampled_from([None, "", "2023", "2023-05", "2023-05-01", "2024-01-02"]),
    ),
    max_size=12,
)


def _fact(item_id, kind, title, policy_kind, place, level, date) -> PlainFact:
    payload = {
        "policy": {"normalized_title": title, "kind": policy_kind},
        "topic": {"triggers": ["VR", "元宇宙"]},
    }.get(kind, {})
    return PlainFact(item_id, kind, payload, "metaverse", *place, level, date)


def _facets_by_definition(items, facts, regions):
    """document_facets as first written: every plan section scans every policy mention."""
    from policylens.search.facets import FacetValue, plan_key

    out = {}
    for item in items:
        own = [f for f in facts if f.item_id == item.id]
        plan = []
        if item.kind == "plan_section" and item.path:
            key = plan_key(item.path[0])
            plan = [
                f
                for f in facts
                if f.kind == "policy" and plan_key(f.payload["normalized_title"]) == key
            ]
        values = {FacetValue("kind", item.kind)}
        for f in own + plan:
            if f.region_code and f.region:
                parent = None
                for code, name in regions.lineage(f.region_code, f.region):
                    values.add(FacetValue("region", name, code, parent))
                    parent = name
            if f.level:
                values.add(FacetValue("level", f.level))
            if f.kind == "policy" and f.payload.get("kind"):
                values.add(FacetValue("policy_kind", f.payload["kind"]))
        for f in own:
            values.add(FacetValue("fact_type", f.kind))
            if f.kind == "topic":
                values.add(FacetValue("topic", f.label))
                values.update(FacetValue("trigger", t.lower()) for t in f.payload["triggers"])
        sources = (("date", own), ("policy", own), ("policy", plan))
        dated = [{f.date for f in source if f.kind == kind and f.date} for kind, source in sources]
        for date in next(filter(None, dated), set()):
            values.update({FacetValue("date", date), FacetValue("year", date[:4])})
        out[item.id] = values
    return out


@settings(max_examples=300)
@given(items=ITEMS, facts=FACTS)
def test_document_facets_equal_their_per_section_definition(items, facts):
    from policylens.search.facets import document_facets
    from policylens.search.regions import RegionTable

    regions = RegionTable({"510000": ("四川省", ""), "510100": ("成都市", "510000")})
    items = [PlainItem(index, kind, path) for index, (kind, path) in enumerate(items)]
    facts = [_fact(*row) for row in facts]
    assert document_facets(items, facts, regions) == _facets_by_definition(items, facts, regions)


@settings(max_examples=300, deadline=None)  # the first example imports the linker
@given(positions=st.integers(90, 10**9))
def test_dedupe_windows_cover_an_item_and_stay_few_however_long_it_is(positions):
    from policylens.link.dedupe import MAX_WINDOWS, WINDOW_FLOOR, window_bounds

    bounds = window_bounds(positions)
    assert len(bounds) <= MAX_WINDOWS
    assert bounds[0][0] == 0 and max(end for _, end in bounds) == positions
    assert all(0 <= start < end <= positions for start, end in bounds)
    smallest = min(end - start for start, end in bounds)
    # Items of up to ~100,000 shingles keep windows of at most WINDOW_FLOOR: a story of a
    # few hundred characters fills most of one.
    if positions <= MAX_WINDOWS * WINDOW_FLOOR // 8:
        assert smallest <= WINDOW_FLOOR
    assert smallest <= max(WINDOW_FLOOR, 8 * positions // MAX_WINDOWS + 1)
