"""Bar charts of a comparison, as PNG or SVG, with Chinese labels in a real CJK font.

The font is looked up at run time through matplotlib's font manager. Without a
font that has every glyph the labels need, no chart is drawn and
``MissingFontError`` says what to install: a chart of tofu boxes is never written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from policylens.errors import MissingFontError
from policylens.report.compare import Figure
from policylens.report.tables import format_range, short_name

CHART_FORMATS = ("png", "svg")
INSTALL_HINT = (
    "install a CJK font to draw charts with Chinese labels "
    "(Debian/Ubuntu: apt-get install fonts-noto-cjk; macOS and Windows ship one)"
)
# Preferred families, simplified Chinese first; any other font covering the labels also works.
CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
    "Hiragino Sans GB",
    "Noto Sans CJK TC",
    "Noto Sans CJK JP",
    "Noto Serif CJK SC",
    "AR PL UMing CN",
)
PROBE = "元宇宙产业规模亿元"
QUALIFIER_MARKS = {"at_least": "≥", "exceeds": ">", "about": "≈"}
COLOURS = {"figure": "#3b6ea5", "range": "#9dbbdc", "conflict": "#c0392b"}


@dataclass(frozen=True, slots=True)
class CjkFont:
    """A font that draws Chinese: its family name, file and face in the file."""

    family: str
    path: str
    index: int


def _font_entries() -> list[Any]:
    """Return matplotlib's font list, adding system fonts its cache has not seen yet.

    matplotlib caches the font list the first time it runs, so a font installed
    afterwards (apt-get install fonts-noto-cjk in CI) would stay invisible.
    """
    from matplotlib import font_manager

    known = {entry.fname for entry in font_manager.fontManager.ttflist}
    for path in font_manager.findSystemFonts():
        if path not in known:
            try:
                font_manager.fontManager.addfont(path)
            except (OSError, RuntimeError, ValueError):
                continue  # an unreadable font file is not ours to report
    return list(font_manager.fontManager.ttflist)


def _glyphs(font: CjkFont, text: str) -> dict[str, int]:
    """Return the font's glyph index for each distinct character (0: it has none)."""
    from matplotlib.ft2font import FT2Font

    face = FT2Font(font.path, face_index=font.index)
    return {ch: face.get_char_index(ord(ch)) for ch in dict.fromkeys(text) if not ch.isspace()}


def missing_glyphs(font: CjkFont, text: str) -> str:
    """Return the characters of ``text`` the font cannot draw (whitespace aside)."""
    return "".join(ch for ch, glyph in _glyphs(font, text).items() if glyph == 0)


def draws_chinese(font: CjkFont) -> bool:
    """Return whether the font has its own glyph for each probe character.

    A placeholder font (matplotlib ships "Last Resort") maps every character of a
    block to one box: that is tofu, not Chinese.
    """
    glyphs = _glyphs(font, PROBE)
    return 0 not in glyphs.values() and len(set(glyphs.values())) == len(glyphs)


def _preference(entry: Any) -> tuple[int, int]:
    """Return a sort key: preferred families first, regular weight before bold or light."""
    family = CJK_FAMILIES.index(entry.name) if entry.name in CJK_FAMILIES else len(CJK_FAMILIES)
    weight = entry.weight if isinstance(entry.weight, int) else 400
    return family, abs(weight - 400)


def find_cjk_font() -> CjkFont | None:
    """Return an installed font that draws Chinese, preferring CJK_FAMILIES in order."""
    for entry in sorted(_font_entries(), key=_preference):
        font = CjkFont(entry.name, entry.fname, getattr(entry, "index", 0) or 0)
        try:
            if draws_chinese(font):
                return font
        except (OSError, RuntimeError):
            continue
    return None


def require_cjk_font(text: str) -> CjkFont:
    """Return the CJK font to draw ``text`` with; raise MissingFontError saying what to install."""
    font = find_cjk_font()
    if font is None:
        raise MissingFontError(f"no font with Chinese glyphs found: {INSTALL_HINT}")
    missing = missing_glyphs(font, text)
    if missing:
        raise MissingFontError(f"{font.family} cannot draw {missing!r}: {INSTALL_HINT}")
    return font


def bar_label(figure: Figure, with_sector: bool) -> str:
    """Return a bar's label: region, target year and, across sectors, the sector."""
    label = figure.region
    if with_sector and figure.sector:
        label += f" · {figure.sector}"
    return label + (f"（{figure.target_year}年）" if figure.target_year else "")


def value_label(figure: Figure) -> str:
    """Return the words at a bar's end: qualifier mark, value, how many documents state it."""
    marks = "/".join(dict.fromkeys(QUALIFIER_MARKS.get(q, "") for q in figure.qualifiers))
    if marks in (">/≥", "≥/>"):
        marks = "≥"  # 逾2000亿 and 2000亿元以上 in one plan: both say "at least"
    text = f"{marks}{format_range(figure.value_low, figure.value_high, figure.unit)}"
    if figure.conflict:  # name the sources, so each side of the conflict can be checked
        names = "、".join(short_name(s.document) for s in figure.sources[:2])
        more = f"等{len(figure.sources)}份" if len(figure.sources) > 2 else ""
        return f"{text}  ⚠数值冲突  来源：{names}{more}"
    return f"{text}  {len(figure.sources)}份来源"


def axis_scale(figures: Sequence[Figure]) -> tuple[float, str]:
    """Return the divisor and axis title for the figures' unit."""
    units = {f.unit for f in figures}
    if units == {"CNY"}:
        return 1e8, "亿元"
    if units == {"percent"}:
        return 1.0, "%"
    return 1.0, "数量" if units == {"count"} else "数值"


def _draw(axes: Any, figures: Sequence[Figure], with_sector: bool) -> None:
    scale, unit = axis_scale(figures)
    rows = list(reversed(figures))  # barh draws bottom-up; the largest goes on top
    positions = range(len(rows))
    for y, figure in zip(positions, rows, strict=True):
        colour = COLOURS["conflict"] if figure.conflict else COLOURS["figure"]
        hatch = "//" if figure.conflict else ""
        axes.barh(y, figure.value_low / scale, color=colour, hatch=hatch, edgecolor="white")
        if figure.value_high > figure.value_low:
            width = (figure.value_high - figure.value_low) / scale
            axes.barh(y, width, left=figure.value_low / scale, color=COLOURS["range"])
        axes.text(figure.value_high / scale, y, "  " + value_label(figure), va="center", fontsize=9)
    axes.set_yticks(list(positions), [bar_label(f, with_sector) for f in rows])
    axes.set_xlabel(unit)
    axes.margins(x=0.45)
    axes.spines[["top", "right"]].set_visible(False)


def chart_texts(figures: Sequence[Figure], title: str, with_sector: bool) -> str:
    """Return every text the chart will draw, to check the font has each glyph."""
    parts = [title, axis_scale(figures)[1], "⚠数值冲突来源：等份≥>≈–·（）年、"]
    parts += [bar_label(f, with_sector) + value_label(f) for f in figures]
    return "".join(parts)


def bar_chart(figures: Sequence[Figure], path: Path, title: str, fmt: str) -> CjkFont:
    """Write a horizontal bar chart of the figures as PNG or SVG; return the font it used."""
    import matplotlib
    from matplotlib.figure import Figure as Canvas

    if fmt not in CHART_FORMATS:
        raise ValueError(f"chart format must be png or svg, not {fmt!r}")
    with_sector = len({f.sector for f in figures}) > 1
    font = require_cjk_font(chart_texts(figures, title, with_sector))
    rc = {
        "font.family": [font.family],
        "svg.fonttype": "path",  # glyphs as outlines: the SVG shows without the font
        "svg.hashsalt": "policylens",  # the same chart gives the same SVG
        "axes.unicode_minus": False,
    }
    with matplotlib.rc_context(rc):
        canvas = Canvas(figsize=(10, 1.2 + 0.55 * max(len(figures), 1)), layout="constrained")
        axes = canvas.add_subplot()
        if figures:
            _draw(axes, figures, with_sector)
        axes.set_title(title, loc="left", fontsize=13)
        canvas.savefig(path, format=fmt, dpi=150, metadata=_metadata(fmt))
    return font


def _metadata(fmt: str) -> dict[str, Any]:
    # No creation date, so the same data always gives the same file.
    return {"Date": None} if fmt == "svg" else {"Software": "PolicyLens"}
