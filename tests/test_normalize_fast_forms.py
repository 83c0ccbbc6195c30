"""Property tests holding normalization's fast forms to the forms they replaced.

Each rewritten pass keeps its first form here as the reference: the patterns as first
written, the per-line loops, the steps without their cheap checks, and the whole of
``normalize`` composed of those first forms. The fast forms must give the same text, the
same origins and the same metadata on every input.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from policylens.model import CleanText, OffsetMap, SourceLink, Span
from policylens.normalize import (
    FIRST_STEP_CHARS,
    _anchor,
    boilerplate,
    normalize,
    punctuation,
    residue,
    script,
)
from policylens.normalize.linescan import candidate_lines, line_scan
from policylens.normalize.tracked import Edit, TrackedText, _spread, contains_any, line_spans
from policylens.resources import Resources, load_resources


@cache
def _res() -> Resources:
    return load_resources()


def _same(fast: TrackedText, reference: TrackedText) -> None:
    assert fast.text == reference.text
    assert fast.origins.tolist() == reference.origins.tolist()


# --- patterns as first written ---------------------------------------------------------------

_SUSPECT_MOJIBAKE_REFERENCE = re.compile(
    "[\u00c2-\u00f4][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192"
    "\u02c6\u02dc\u2013-\u2122]|[\u0080-\u009f\ufffd]"
)
_DOT_LEADER_REFERENCE = re.compile(r"[.·…]{4,}\s*\d{0,3}\s*$")
_BLANK_RUN_REFERENCE = re.compile(r"[ \t\f\v]+")
_BLANK_LINES_REFERENCE = re.compile(r"\n{3,}")
_URL_OPENINGS_REFERENCE = ("http://", "https://", "www.")


@given(
    text=st.text(
        alphabet=st.sampled_from(
            list("\u00c2\u00e9\u00f4\u00f5\u0080\u009f\u00bf\u0152\u2013\u2122\u2123\ufffd元a \n")
        ),
        max_size=30,
    )
)
def test_suspect_mojibake_matches_its_alternation_form(text):
    fast = [m.span() for m in script._SUSPECT_MOJIBAKE.finditer(text)]
    assert fast == [m.span() for m in _SUSPECT_MOJIBAKE_REFERENCE.finditer(text)]


@given(text=st.text(alphabet=st.sampled_from(list(".·…1 \t\n元a")), max_size=30))
def test_dot_leader_matches_its_repeat_first_form(text):
    for start in range(len(text) + 1):
        fast = residue.DOT_LEADER.search(text, start)
        reference = _DOT_LEADER_REFERENCE.search(text, start)
        assert (fast and fast.span()) == (reference and reference.span())


@given(text=st.text(alphabet=st.sampled_from(list(" \t\f\v\n元a")), max_size=30))
def test_blank_patterns_match_their_repeat_first_forms(text):
    for fast, reference in (
        (punctuation.BLANK_RUN, _BLANK_RUN_REFERENCE),
        (punctuation.BLANK_LINES, _BLANK_LINES_REFERENCE),
    ):
        assert [m.span() for m in fast.finditer(text)] == [
            m.span() for m in reference.finditer(text)
        ]


@given(text=st.text(alphabet=st.sampled_from(list(" \t\f\v\n元a")), max_size=30))
def test_blank_runs_are_what_the_pattern_finds(text):
    found = list(punctuation._blank_runs(text))
    assert found == [m.span() for m in _BLANK_RUN_REFERENCE.finditer(text)]


# --- the per-line steps as first written -------------------------------------------------------

_LINE_ALPHABET = list('元宇宙。，；：:！？”）)…》"\u3000 \t\u2028\u2e7f\u2e80a1\U00020000\ud800')


@given(text=st.text(alphabet=st.sampled_from([*_LINE_ALPHABET, "\n"]), max_size=60))
def test_visual_widths_are_each_lines_visual_width(text):
    assert punctuation.visual_widths(text) == [
        punctuation.visual_width(line) for line in text.split("\n")
    ]


def _rewrap_reference(text: TrackedText) -> TrackedText:
    spans = line_spans(text.text)
    lines = [text.text[s:e] for s, e in spans]
    width = punctuation.page_width([punctuation.visual_width(line) for line in lines])
    if width is None:
        return text
    edits: list[Edit] = []
    for (_, end), line, following in zip(spans, lines, lines[1:], strict=False):
        if not following.strip() or punctuation.PARAGRAPH_CLOSE.search(line):
            continue
        if punctuation.visual_width(line) >= width * punctuation.WRAP_FULL:
            ascii_join = line.rstrip()[-1:].isascii() and following.lstrip()[:1].isascii()
            edits.append((end, end + 1, " " if ascii_join and line.rstrip()[-1:].isalnum() else ""))
    return text.apply(edits)


# Lines of about one width, so that many texts are taken for hard-wrapped.
WRAPPED = st.lists(
    st.text(
        alphabet=st.sampled_from(
            ["元", "宇", "a", "1", "Z", "-", " ", "\t", "。", "！", "?", "\u3000", "\U00020000"]
        ),
        min_size=6,
        max_size=14,
    ),
    max_size=16,
).map("\n".join)


@given(text=WRAPPED)
def test_rewrap_matches_its_per_line_form(text):
    tracked = TrackedText.from_raw(text)
    _same(punctuation.rewrap_hard_wrapped(tracked), _rewrap_reference(tracked))


def _space_edits_reference(text: str) -> list[Edit]:
    edits: list[Edit] = []
    for match in _BLANK_RUN_REFERENCE.finditer(text):
        start, end = match.span()
        before = text[start - 1] if start else "\n"
        after = text[end] if end < len(text) else "\n"
        run = match.group(0)
        tabs_only_spaces = "\f" not in run and "\v" not in run
        inside_chinese = tabs_only_spaces and (
            (punctuation._is_tight(before) and (punctuation._is_tight(after) or after.isdecimal()))
            or (before.isdecimal() and punctuation._is_tight(after))
        )
        if inside_chinese or before == "\n" or after == "\n":
            edits.append((start, end, ""))
        elif run != " ":
            edits.append((start, end, " "))
    return edits


def _tidy_reference(text: TrackedText) -> TrackedText:
    text = text.apply(_space_edits_reference(text.text))
    text = text.sub(_BLANK_LINES_REFERENCE, "\n\n")
    body = text.text
    leading = len(body) - len(body.lstrip("\n"))
    trailing = len(body) - len(body.rstrip("\n")) if leading < len(body) else 0
    edits = [(0, leading, "")] if leading else []
    if trailing:
        edits.append((len(body) - trailing, len(body), ""))
    return text.apply(edits)


@given(text=st.text(alphabet=st.sampled_from(list("元，1 \t\f\v\n\n\na")), max_size=40))
def test_tidy_spaces_matches_its_first_form(text):
    tracked = TrackedText.from_raw(text)
    _same(punctuation.tidy_spaces(tracked), _tidy_reference(tracked))


def _chinese_marks_reference(text: TrackedText) -> TrackedText:
    text = text.sub_same_length(
        punctuation.ASCII_MARK_IN_CHINESE, lambda m: punctuation._ASCII_TO_FULL[m.group(0)]
    )
    source = text.text

    def paren(match: re.Match[str]) -> str:
        inner = match.group(1)
        before = source[match.start() - 1] if match.start() else ""
        if punctuation.HAN_CHAR.search(inner) or punctuation.HAN_CHAR.match(before):
            return f"（{inner}）"
        return match.group(0)

    return text.sub_same_length(punctuation.PAREN_GROUP, paren)


@given(text=st.text(alphabet=st.sampled_from(list("元，,;:!?()（a1 \n")), max_size=40))
def test_chinese_marks_match_their_unchecked_form(text):
    tracked = TrackedText.from_raw(text)
    _same(punctuation.chinese_marks(tracked), _chinese_marks_reference(tracked))


def _split_reference(text: TrackedText) -> TrackedText:
    edits: list[Edit] = []
    for start, end in line_spans(text.text):
        if end - start < punctuation.LONG_LINE:
            continue
        line = text.text[start:end]
        edits.extend(
            (start + m.start(), start + m.end(), "\n")
            for m in punctuation.PARAGRAPH_SPACE.finditer(line)
        )
    return text.apply(edits)


# Pieces long enough that some lines pass LONG_LINE.
LONG_PIECES = st.lists(
    st.sampled_from(["元宇宙" * 40, "。", " ", "\t", "\n", "1.", "2024年", "a"]), max_size=20
).map("".join)


@given(text=LONG_PIECES)
def test_split_flattened_lines_matches_its_unchecked_form(text):
    tracked = TrackedText.from_raw(text)
    _same(punctuation.split_flattened_lines(tracked), _split_reference(tracked))


# --- boilerplate and metadata: the line scan, and the steps as first written ------------------


def _page_metadata_reference(text: str, res: Resources) -> tuple[tuple[str, str], ...]:
    found: list[tuple[str, str]] = []
    for start, end in line_spans(text):
        line = text[start:end].strip()
        for key, pattern in res.metadata_lines:
            match = pattern.search(line)
            if match:
                found.append((key, match.group(1).strip()))
                break
    return tuple(found)


def _remove_boilerplate_reference(text: TrackedText, res: Resources) -> TrackedText:
    edits: list[Edit] = []
    for start, end in line_spans(text.text):
        line = text.text[start:end].strip()
        if not line:
            continue
        rule = next((rule for rule in res.boilerplate if rule.pattern.search(line)), None)
        if rule is None:
            continue
        if rule.action == "cut" and start > len(text.text) * boilerplate.CUT_AFTER_SHARE:
            edits.append((start, len(text.text), ""))
            break
        edits.append((start, end, ""))
    return text.apply(edits)


BOILERPLATE_PIECES = st.sampled_from(
    [
        "当前位置:",
        "您现在的位置：",
        "首页>",
        "温馨提示",
        "相关阅读：",
        "猜你喜欢",
        "本站",
        "侵权",
        "如有侵权请联系删除",
        "文章来源:",
        "来源",
        "作者：",
        "12条评论",
        "发表评论",
        "返回顶部",
        "分享到微信",
        "字号：大",
        "Email:",
        "[email protected]",
        "上一篇：",
        "文章链接：https://a.cn/x",
        "发布时间：2024年1月",
        "原标题：元宇宙",
        "元宇宙",
        "。",
        " ",
        "\u3000",
        "\t",
        "\n",
        "\n",
        "\r",
    ]
)
BOILERPLATE_TEXT = st.lists(BOILERPLATE_PIECES, max_size=30).map("".join)


@settings(max_examples=300)
@given(text=BOILERPLATE_TEXT)
def test_boilerplate_and_metadata_match_their_per_line_forms(text):
    res = _res()
    tracked = TrackedText.from_raw(text)
    _same(boilerplate.remove_boilerplate(tracked, res), _remove_boilerplate_reference(tracked, res))
    assert boilerplate.page_metadata(text, res) == _page_metadata_reference(text, res)


# Patterns of every kind the line scan must stand in for, or hand back to the line loop.
SCAN_PATTERNS = [
    r"^ab",
    r"^a|b",
    r"b\s*$",
    r"^(?:a|bc)\s*[:：]?$",
    r"a.{0,3}b",
    r"^(a)\1",
    r"(a)?(?(1)b|c)$",
    r"\sb",
    r"[^a]b",
    r"(?<=a)b",
    r"a(?!b)",
    r"\Aa",
    r"a\Z",
    r"(?>a\s*)$",
    r"a\s*+$",
    r"^a(?-m:$)",
    r"(?i)^A",
    r"(?s)a.b",
    r"(?x)^ a \s* b  # a comment",
    r"^",
    r"\bab\b",
]


@settings(max_examples=400)
@given(
    patterns=st.lists(st.sampled_from(SCAN_PATTERNS), min_size=1, max_size=4, unique=True),
    lines=st.lists(
        st.text(alphabet=st.sampled_from(list("ab ：:\t\u3000\r")), max_size=6), max_size=8
    ),
)
def test_line_scan_finds_every_line_a_pattern_matches(patterns, lines):
    compiled = tuple(re.compile(p) for p in patterns)
    found = set(candidate_lines(line_scan(compiled), lines))
    for index, line in enumerate(lines):
        if any(p.search(line) for p in compiled):
            assert index in found, (index, line)


def test_line_scan_hands_back_patterns_it_cannot_stand_in_for():
    for pattern in (r"(?<=a)b", r"a(?!b)", r"\Aa", r"a\Z", r"(?>a)", r"a*+", r"a(?-m:$)"):
        assert line_scan((re.compile(pattern),)).every_line, pattern
    scan = line_scan((re.compile(r"^ab"), re.compile(r"a.b")))
    assert not scan.every_line
    assert len(scan.anchored) == 1
    assert len(scan.floating) == 1


# --- residue ----------------------------------------------------------------------------------


def _remove_residue_reference(text: TrackedText) -> tuple[TrackedText, residue.Residue]:
    """remove_residue as first written: every line through the loop."""
    spans = line_spans(text.text)
    lines = [text.text[s:e] for s, e in spans]
    may_have_footnotes = contains_any(text.text, _URL_OPENINGS_REFERENCE)
    has_footnotes = may_have_footnotes and any(residue.parse_footnote_line(line) for line in lines)
    entry_numbers = residue._entry_numbers(lines)
    has_superscripts = contains_any(text.text, residue.SUPERSCRIPT_DIGITS)
    has_leaders = residue._may_have_leaders(text.text)
    edits: list[Edit] = []
    links: list[SourceLink] = []
    marks: list[tuple[int, int]] = []
    last_content: int | None = None
    last_content_end = 0
    residue_since = False
    index = 0
    while index < len(lines):
        line = lines[index]
        start, end = spans[index]
        footnote = residue.parse_footnote_line(line) if may_have_footnotes else None
        if footnote is not None:
            number, url = footnote
            last = index
            while (
                last + 1 < len(lines)
                and residue.URL_TAIL.match(lines[last + 1].strip())
                and not (residue.LONE_NUMBER.match(lines[last + 1]))
            ):
                last += 1
                url += lines[last].strip()
            links.append(
                SourceLink(
                    url, number, Span(text.origin(start), text.origin(spans[last][1] - 1) + 1)
                )
            )
            edits.append((start, spans[last][1], ""))
            residue_since = True
            index = last + 1
            continue
        if residue.RESIDUE_LINE.match(line) and residue._is_residue_line(
            line, index in entry_numbers
        ):
            edits.append((start, min(end + 1, len(text.text)), ""))
            residue_since = True
            index += 1
            continue
        if not line.strip():
            index += 1
            continue
        content_end = end
        if has_footnotes:
            ref = residue.TRAILING_REF.search(line)
            if ref:
                number = residue._number(ref.group(1))
                if number is not None:
                    marks.append((number, text.origin(start + ref.start(1))))
                edits.append((start + ref.start(), end, ""))
                content_end = start + ref.start()
        sups = (
            residue.SUPERSCRIPT_RUN.finditer(line[: content_end - start])
            if has_superscripts
            else ()
        )
        for sup in sups:
            number = residue._number(sup.group(0))
            if number is not None:
                marks.append((number, text.origin(start + sup.start())))
            edits.append((start + sup.start(), start + sup.end(), ""))
        leader = _DOT_LEADER_REFERENCE.search(line) if has_leaders else None
        if leader:
            edits.append((start + leader.start(), end, ""))
        if (
            residue_since
            and last_content is not None
            and residue._continues(lines[last_content], line)
        ):
            edits = [e for e in edits if not (last_content_end <= e[0] < start)]
            edits.append((last_content_end, start, ""))
        last_content = index
        last_content_end = content_end
        residue_since = False
        index += 1
    return text.apply(residue._merge(edits)), residue.Residue(
        tuple(residue._fill_unnumbered(links)), tuple(marks)
    )


RESIDUE_PIECES = st.sampled_from(
    [
        "\n",
        "\n",
        "\n",
        "7",
        "01",
        "02",
        "03",
        " 12 ",
        "— 1 —",
        "第2页",
        "3/9",
        "_",
        "q",
        "……3",
        "....",
        "·",
        "¹",
        "²",
        "https://a.gov.cn/x y.html",
        "www.a.cn",
        "abc.html",
        "：",
        "w",
        "元宇宙产业发展行动计划提出推动虚拟现实技术与实体经济深度融合",
        "有效性。",
        "标题",
        "”",
        "a",
        " ",
    ]
)
# Lines, mostly whole ones: long unfinished paragraphs, page numbers and blank lines between.
RESIDUE_LINES = st.lists(
    st.sampled_from(
        [
            "元宇宙产业发展行动计划提出推动虚拟现实技术与实体经济深度融合加快培育",
            "融合发展。",
            "",
            "",
            "  ",
            "7",
            "— 2 —",
            "01",
            "第一条标题",
        ]
    )
    | st.lists(RESIDUE_PIECES, max_size=3).map("".join),
    max_size=20,
).map("\n".join)
RESIDUE_TEXT = st.lists(RESIDUE_PIECES, max_size=40).map("".join) | RESIDUE_LINES


@settings(max_examples=400)
@given(text=RESIDUE_TEXT)
def test_remove_residue_matches_its_every_line_form(text):
    tracked = TrackedText.from_raw(text)
    fast, fast_found = residue.remove_residue(tracked)
    reference, reference_found = _remove_residue_reference(tracked)
    _same(fast, reference)
    assert fast_found == reference_found


@given(text=RESIDUE_TEXT)
def test_entry_numbers_from_residue_candidates_match_every_line(text):
    lines = text.split("\n")
    candidates = {i for i, line in enumerate(lines) if residue.RESIDUE_LINE.match(line)}
    assert residue._entry_numbers(lines, candidates) == residue._entry_numbers(lines)


@given(text=RESIDUE_TEXT)
def test_url_check_never_skips_a_url(text):
    if contains_any(text, _URL_OPENINGS_REFERENCE):
        assert contains_any(text, ":w") and contains_any(text, residue.URL_OPENINGS)


# --- characters, origins and the offset map ---------------------------------------------------


@given(
    text=st.text(
        alphabet=st.sampled_from(
            list(
                "元\r\n\f\v\u2028\u2029\x85\u00e9\u00c3\u00a9\ufffd\uff21\uff0c\u3000\u00a0\ufeffa"
            )
        ),
        max_size=30,
    )
)
def test_first_steps_change_nothing_without_their_characters(text):
    if FIRST_STEP_CHARS.search(text):
        return
    tracked = TrackedText.from_raw(text)
    for step in (punctuation.unify_line_breaks, script.fix_mojibake, script.fold_width):
        _same(step(tracked), tracked)


def _spread_reference(origins: np.ndarray, start: int, end: int, count: int) -> np.ndarray:
    width = end - start
    if width == count:
        return origins[start:end]
    steps = np.minimum(np.arange(count) * width // count, width - 1)
    return origins[start + steps]


@given(
    size=st.integers(1, 40),
    start=st.integers(0, 39),
    width=st.integers(1, 40),
    count=st.integers(1, 40),
)
def test_spread_in_python_matches_numpy(size, start, width, count):
    origins = np.arange(size, dtype=np.int64) * 3
    start = min(start, size - 1)
    end = min(start + width, size)
    assert (
        _spread(origins, start, end, count).tolist()
        == _spread_reference(origins, start, end, count).tolist()
    )


def _from_origins_reference(origins: list[int]) -> OffsetMap:
    if not origins:
        return OffsetMap((), 0)
    values = np.asarray(origins, dtype=np.int64)
    starts = np.flatnonzero(np.diff(values) != 1) + 1
    starts = np.concatenate(([0], starts))
    lengths = np.diff(np.concatenate((starts, [len(values)])))
    runs = tuple(zip(starts.tolist(), values[starts].tolist(), lengths.tolist(), strict=True))
    return OffsetMap(runs, len(values))


@given(origins=st.lists(st.integers(0, 60), max_size=40).map(sorted))
def test_offset_map_runs_match_their_numpy_form(origins):
    for given_as in (origins, np.asarray(origins, dtype=np.int64)):
        fast = OffsetMap.from_origins(given_as)
        assert fast == _from_origins_reference(origins)
        assert all(type(value) is int for run in fast.runs for value in run)


# --- the whole of normalize, composed of the first forms --------------------------------------


def _normalize_reference(raw_text: str, res: Resources) -> CleanText:
    steps: list[Callable[[TrackedText], TrackedText]] = [
        punctuation.unify_line_breaks,
        script.fix_mojibake,
        script.fold_width,
        lambda t: script.replace_literals(t, res.repairs),
        script.remove_pinyin_glosses,
        lambda t: script.to_simplified(t, res),
        _chinese_marks_reference,
        punctuation.collapse_doubled_marks,
        _split_reference,
        lambda t: _remove_boilerplate_reference(t, res),
    ]
    text = TrackedText.from_raw(raw_text)
    metadata = _page_metadata_reference(raw_text, res)
    for step in steps:
        text = step(text)
    text, found = _remove_residue_reference(text)
    for step in (_rewrap_reference, punctuation.remove_masks, _tidy_reference):
        text = step(text)
    links = tuple(_anchor(link, found.ref_marks, text.origins) for link in found.links)
    return CleanText(text.text, _from_origins_reference(text.origins.tolist()), links, metadata)


NORMALIZE_PIECES = (
    BOILERPLATE_PIECES
    | RESIDUE_PIECES
    | st.sampled_from(
        [
            "產(chǎn)業(yè)",
            "朝著",
            "，，",
            ",。",
            "(元)",
            "**",
            "２０２５",
            "Ã©",
            "\r\n",
            "\x85",
            "  ",
        ]
    )
)


@settings(max_examples=300)
@given(raw=st.lists(NORMALIZE_PIECES | st.text(max_size=4), max_size=40).map("".join))
def test_normalize_matches_its_first_form(raw):
    assert normalize(raw, _res()) == _normalize_reference(raw, _res())


BREAKS_AND_BLANKS = st.text(
    alphabet=st.sampled_from(list(" \t\f\v\r\n\u2028\x85元，1a\u3000")), max_size=40
)


@given(text=BREAKS_AND_BLANKS)
def test_line_breaks_unified_in_c_are_those_of_the_pattern(text):
    tracked = TrackedText.from_raw(text)
    fast = punctuation.unify_line_breaks(tracked)
    reference = tracked.sub(punctuation.LINE_BREAK, "\n")
    assert fast.text == reference.text
    assert fast.origins.tolist() == reference.origins.tolist()


@given(text=BREAKS_AND_BLANKS)
def test_blank_runs_tidied_in_numpy_are_those_of_the_edits(text):
    tracked = TrackedText.from_raw(text)
    fast = punctuation._tidied_blank_runs(tracked)
    reference = tracked.apply(punctuation._space_edits(text))
    assert fast.text == reference.text
    assert fast.origins.tolist() == reference.origins.tolist()


@given(
    text=st.text(alphabet=st.sampled_from(list("ab元 \n")), max_size=30),
    data=st.data(),
)
def test_origins_drawn_in_one_numpy_pass_are_those_drawn_piece_by_piece(text, data):
    # Past _MANY_EDITS edits, apply draws every piece's origins in one numpy pass.
    from policylens.normalize import tracked as tracked_module

    cuts = sorted(data.draw(st.sets(st.integers(0, len(text)), max_size=12)))
    edits = [
        (start, end, data.draw(st.sampled_from(["", "x", "yz", "元元元"])))
        for start, end in zip(cuts[::2], cuts[1::2], strict=False)
    ]
    origins = TrackedText.from_raw(text).origins
    cut = tracked_module._pieces(text, edits)
    if cut is None:
        return
    _, parts = cut
    piece_by_piece = [
        origin
        for start, width, count in parts
        for origin in tracked_module._spread(origins, start, start + width, count).tolist()
    ]
    assert tracked_module._spread_all(origins, parts).tolist() == piece_by_piece
