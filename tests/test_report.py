"""Reports on the sample corpus: compare (table, CSV, XLSX, charts), timeline, export/import."""

from __future__ import annotations

import csv
import io
import json
import shutil
import warnings
from pathlib import Path
from xml.etree import ElementTree

import pytest
from sqlalchemy import create_engine, func, select
from typer.testing import CliRunner

from conftest import CORPUS, unavailable
from policylens import api
from policylens.cli import app
from policylens.errors import ExchangeError, MissingFontError, NotFoundError
from policylens.exchange import derived_tables, exported_tables
from policylens.report.charts import (
    INSTALL_HINT,
    CjkFont,
    draws_chinese,
    find_cjk_font,
    require_cjk_font,
)
from policylens.report.compare import COMPARE_COLUMNS, figure_row, sector_matches
from policylens.report.tables import cell_text, read_xlsx, xlsx_value
from policylens.report.timeline import TIMELINE_COLUMNS
from policylens.store.link_tables import ItemBandRow, ItemSignatureRow, LinkStateRow

# What the seeds' plans say about metaverse industry scale: region → (亿元, target year).
SEED_FIGURES = {
    "四川省": (2500, 2025),
    "浙江省": (2000, 2025),
    "四川省成都市": (1500, 2025),
    "重庆市": (1000, 2025),
    "江苏省苏州市": (2000, 2025),
    "安徽省合肥市": (800, 2028),  # 合肥高新区's plan; the gazetteer has no development zones
}
# A news item restating Sichuan's plan with another figure, and its core-industry goal.
SICHUAN_REPORT = (
    "四川元宇宙产业规模目标上调\n\n"
    "2023年9月25日，据媒体报道，《四川省元宇宙产业发展行动计划（2023—2025年）》提出，"
    "到2025年，全省元宇宙相关产业规模达到3000亿元，元宇宙核心产业规模达到800亿元。\n"
)


def run(*args):
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture(scope="module")
def kb(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('kb') / 'kb.db'}"
    assert api.ingest([str(CORPUS)], db=url).count("stored") == 5
    return url


@pytest.fixture(scope="module")
def conflict_kb(tmp_path_factory):
    folder = tmp_path_factory.mktemp("conflict")
    (folder / "sichuan_report.txt").write_text(SICHUAN_REPORT, encoding="utf-8")
    shutil.copy(next(CORPUS.glob("003_*.txt")), folder)
    url = f"sqlite:///{folder / 'kb.db'}"
    assert api.ingest([str(folder)], db=url).count("stored") == 2
    return url


@pytest.fixture(scope="module")
def export_file(kb, tmp_path_factory):
    path = tmp_path_factory.mktemp("export") / "kb.jsonl"
    api.export(path, "jsonl", db=kb)
    return path


def by_region(figures):
    return {f.region: f for f in figures}


# --- compare -------------------------------------------------------------------------


def test_compare_industry_scale_lists_seed_regions_with_years_and_sectors(kb):
    figures = by_region(api.compare("industry_scale", db=kb, sector="元宇宙"))
    for region, (yi, year) in SEED_FIGURES.items():
        figure = figures[region]
        assert (figure.value_low, figure.value_high) == (yi * 1e8, yi * 1e8)
        assert (figure.target_year, figure.sector, figure.unit) == (year, "元宇宙", "CNY")
        assert figure.sources and all(s.quotes for s in figure.sources)


def test_compare_is_sorted_by_value_largest_first(kb):
    middles = [f.middle for f in api.compare(db=kb, sector="元宇宙")]
    assert middles == sorted(middles, reverse=True)


def test_compare_sector_keeps_digital_economy_figures_out(kb):
    everything = api.compare(db=kb)
    assert any(f.region == "江苏省" and f.value_low == 5.5e12 for f in everything)
    metaverse = api.compare(db=kb, sector="元宇宙")
    assert {f.sector for f in metaverse} <= {"元宇宙", "元宇宙核心产业"}
    assert not any(f.value_low in (5.5e12, 5e11) for f in metaverse)  # 江苏省, 昆明市
    assert "江苏省" not in by_region(metaverse) and "云南省昆明市" not in by_region(metaverse)
    # 苏州's software and electronics figures are not metaverse ones either.
    assert [f.value_low for f in metaverse if f.region == "江苏省苏州市"] == [2e11]


def test_compare_same_figure_in_several_documents_is_one_row_citing_all(kb):
    figures = api.compare(db=kb, sector="元宇宙")
    assert len({f.region for f in figures}) == len(figures)  # no conflicts in the seeds
    sichuan = by_region(figures)["四川省"]
    assert [Path(s.document).name[:3] for s in sichuan.sources] == ["001", "003"]
    assert sichuan.policies == ("四川省元宇宙产业发展行动计划(2023-2025年)",)
    assert sichuan.date == "2023-09-12"  # the cover notice's date, the earliest given
    zhejiang = by_region(figures)["浙江省"]
    assert set(zhejiang.qualifiers) == {"exceeds", "at_least"}  # 逾2000亿, 2000亿元以上
    quotes = [q for s in zhejiang.sources for q in s.quotes]
    assert "3年产业规模逾2000亿" in quotes and "带动相关产业规模2000亿元以上" in quotes


def test_compare_filters_by_year_and_level(kb):
    provincial = api.compare(db=kb, sector="元宇宙", year=2025, level="provincial")
    assert {f.region for f in provincial} == {"四川省", "浙江省", "重庆市"}
    assert [f.region for f in api.compare(db=kb, year=2023)] == ["江苏省"]


def test_compare_conflicting_values_are_side_by_side_with_their_sources(conflict_kb):
    figures = api.compare(db=conflict_kb, sector="元宇宙")
    assert [(f.region, f.value_low, f.conflict) for f in figures] == [
        ("四川省", 3e11, True),
        ("四川省", 2.5e11, True),
    ]
    assert [Path(s.document).name for s in figures[0].sources] == ["sichuan_report.txt"]
    assert [Path(s.document).name[:4] for s in figures[1].sources] == ["003_"]
    text = run("compare", "--db", conflict_kb, "--sector", "元宇宙", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["value"], r["conflict"]) for r in rows] == [
        ("3000亿元", "conflict"),
        ("2500亿元", "conflict"),
    ]


def test_compare_core_industry_is_its_own_metric_within_the_sector(conflict_kb):
    core = api.compare("core_industry_scale", db=conflict_kb, sector="元宇宙")
    assert [(f.region, f.value_low, f.sector) for f in core] == [("四川省", 8e10, "元宇宙核心产业")]
    related = api.compare("industry_scale", db=conflict_kb, sector="元宇宙")
    assert 8e10 not in {f.value_low for f in related}
    assert api.compare("core_industry_scale", db=conflict_kb, sector="元宇宙核心产业") == core


@pytest.mark.parametrize(
    ("sector", "wanted", "matches"),
    [
        ("元宇宙", "元宇宙", True),
        ("元宇宙核心产业", "元宇宙", True),
        ("元宇宙", "元宇宙核心产业", False),
        ("数字经济", "元宇宙", False),
        ("数字经济核心产业", "元宇宙", False),
        (None, "元宇宙", False),
    ],
)
def test_compare_sector_matches_its_core_industry_only(sector, wanted, matches):
    assert sector_matches(sector, wanted) is matches


def test_compare_csv_and_xlsx_read_back_equal_to_the_table(kb, tmp_path):
    figures = api.compare(db=kb, sector="元宇宙")
    expected = [figure_row(f) for f in figures]
    run("compare", "--db", kb, "--sector", "元宇宙", "-o", str(tmp_path / "c.csv"))
    with (tmp_path / "c.csv").open(encoding="utf-8", newline="") as f:
        header, *rows = list(csv.reader(f))
    assert tuple(header) == COMPARE_COLUMNS
    assert rows == [[cell_text(c) for c in row] for row in expected]
    run("compare", "--db", kb, "--sector", "元宇宙", "-o", str(tmp_path / "c.xlsx"))
    sheet = read_xlsx(tmp_path / "c.xlsx")["compare"]
    assert tuple(sheet[0]) == COMPARE_COLUMNS
    assert sheet[1:] == [[None if c == "" else c for c in row] for row in expected]
    # The terminal table shows the same figures, one row each, in the same order.
    run("compare", "--db", kb, "--sector", "元宇宙", "--format", "table", "-o", str(tmp_path / "t"))
    table = (tmp_path / "t").read_text("utf-8")
    lines = [next(ln for ln in table.splitlines() if f"│ {f.region} " in ln) for f in figures]
    for line, figure in zip(lines, figures, strict=True):
        # A figure whose plan is never named in 《》 (合肥) has no policy date to show.
        assert figure.value in line and str(figure.target_year) in line
        assert figure.date is None or figure.date in line
    assert [table.index(line) for line in lines] == sorted(table.index(line) for line in lines)


def test_compare_json_and_bad_options(kb):
    rows = json.loads(run("compare", "--db", kb, "--sector", "元宇宙", "--json"))
    assert {r["region"] for r in rows} >= set(SEED_FIGURES)
    assert all(r["sources"][0]["quotes"] for r in rows)
    result = CliRunner().invoke(app, ["compare", "--db", kb, "--format", "pdf"])
    assert result.exit_code == 2 and "--format must be one of" in result.stderr


# --- charts ----------------------------------------------------------------------------


def cjk_font_or_skip():
    font = find_cjk_font()
    if font is None:
        unavailable(f"charts need a CJK font: {INSTALL_HINT}")
    return font


def test_compare_chart_png_and_svg_draw_chinese_in_a_cjk_font(kb, tmp_path):
    from matplotlib.ft2font import FT2Font

    font = cjk_font_or_skip()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph … missing from font" would be a tofu box
        used = api.compare_chart(tmp_path / "c.png", db=kb, sector="元宇宙")
        api.compare_chart(tmp_path / "c.svg", db=kb, sector="元宇宙")
    assert used == font
    png = (tmp_path / "c.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000
    svg = (tmp_path / "c.svg").read_text("utf-8")
    ElementTree.fromstring(svg)
    # Every glyph is drawn from the CJK font (as outlines, so the SVG needs no font).
    name = FT2Font(font.path, face_index=font.index).postscript_name
    assert f'id="{name}-' in svg and "DejaVu" not in svg


def test_compare_chart_via_cli_says_which_font(conflict_kb, tmp_path):
    font = cjk_font_or_skip()
    result = CliRunner().invoke(
        app, ["compare", "--db", conflict_kb, "--sector", "元宇宙", "-o", str(tmp_path / "c.svg")]
    )
    assert result.exit_code == 0, result.output
    assert f"labels in {font.family}" in result.stderr
    assert (tmp_path / "c.svg").stat().st_size > 10_000


def test_chart_font_that_cannot_draw_a_label_is_refused_with_what_to_install():
    cjk_font_or_skip()
    with pytest.raises(MissingFontError, match="fonts-noto-cjk"):
        require_cjk_font("元宇宙\U0010fffd")  # a private-use character no font has


def test_chart_placeholder_font_is_not_taken_for_a_chinese_one():
    import matplotlib

    # matplotlib's own "Last Resort" font has a box for every character: tofu.
    path = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "LastResortHE-Regular.ttf"
    assert not draws_chinese(CjkFont("Last Resort High-Efficiency", str(path), 0))


# --- timeline -------------------------------------------------------------------------


def test_timeline_is_in_date_order_with_sources(kb):
    entries = api.timeline(db=kb)
    assert len(entries) > 30
    dates = [e.date for e in entries]
    assert dates == sorted(dates)
    assert all(e.sources and all(s.document and s.quote for s in e.sources) for e in entries)
    sichuan = next(e for e in entries if e.title == "四川省元宇宙产业发展行动计划(2023-2025年)")
    assert sichuan.kind == "policy" and sichuan.date == "2023-09-12"
    assert {s.document[:3] for s in sichuan.sources} == {"001", "003"}
    assert {e.kind for e in entries} == {"policy", "event"}


def test_timeline_filters_by_region_and_period(kb):
    shanghai = api.timeline(db=kb, region="上海")
    assert shanghai and all("上海" in (e.region or "") for e in shanghai)
    titles = {e.title for e in shanghai}
    assert {"上海区块链关键技术攻关专项行动方案(2023-2025年)", "2023第二届世界元宇宙大会"} <= titles
    september = api.timeline(db=kb, date_from="2023-09-01", date_to="2023-09-30")
    assert september and all("2023-09-01" <= e.date <= "2023-09-30" for e in september)
    january = api.timeline(db=kb, date_from="2023-01-15", date_to="2023-01-31")
    # A month-only date ("2023-01") overlaps the period; days outside it do not.
    assert all("2023-01" <= e.date <= "2023-01-31" for e in january)
    assert "2023年江苏省政府工作报告" in {e.title for e in january}


def test_timeline_filters_by_topic_name_or_word(kb):
    metaverse = api.timeline(db=kb, topic="metaverse")
    assert metaverse == api.timeline(db=kb, topic="元宇宙")
    titles = {e.title for e in metaverse}
    assert "四川省元宇宙产业发展行动计划(2023-2025年)" in titles
    blockchain = {e.title for e in api.timeline(db=kb, topic="blockchain")}
    assert "河南省区块链技术应用和产业发展行动方案(2022-2025年)" in blockchain
    assert len(metaverse) < len(api.timeline(db=kb))
    with pytest.raises(NotFoundError, match="unknown topic"):
        api.timeline(db=kb, topic="no-such-topic")


def test_timeline_cli_formats(kb):
    entries = json.loads(run("timeline", "--db", kb, "--region", "上海", "--json"))
    text = run("timeline", "--db", kb, "--region", "上海", "--format", "csv")
    header, *rows = list(csv.reader(io.StringIO(text)))
    assert tuple(header) == TIMELINE_COLUMNS
    assert [r[:3] for r in rows] == [[e["date"], e["kind"], e["title"]] for e in entries]
    table = run("timeline", "--db", kb, "--region", "上海")
    assert all(e["date"] in table for e in entries)


# --- export / import ------------------------------------------------------------------


def all_rows(url):
    """Return every row of every exported table, in primary-key order."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return {
                table.name: [
                    dict(row._mapping)
                    for row in connection.execute(
                        select(table).order_by(*table.primary_key.columns)
                    )
                ]
                for table in exported_tables()
            }
    finally:
        engine.dispose()


def row_counts(url, tables):
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return {t.name: connection.scalar(select(func.count()).select_from(t)) for t in tables}
    finally:
        engine.dispose()


def test_export_import_round_trip_is_identical(kb, export_file, db_url, tmp_path):
    counts = api.import_jsonl(export_file, db=db_url)
    assert counts["documents"] == 5 and counts["facts"] > 300
    assert all_rows(db_url) == all_rows(kb)
    # Derived tables are not copied: the import rebuilds the search index...
    link_made = {t.__tablename__ for t in (ItemBandRow, ItemSignatureRow, LinkStateRow)}
    searched = [t for t in derived_tables() if t.name not in link_made]
    assert len(searched) < len(derived_tables())
    assert row_counts(db_url, searched) == row_counts(kb, searched)
    again = tmp_path / "again.jsonl"
    api.export(again, "jsonl", db=db_url)
    assert again.read_text("utf-8") == export_file.read_text("utf-8")
    # ...and the next link makes the link stage's signatures, band keys and state again.
    api.link(db=db_url)
    assert row_counts(db_url, derived_tables()) == row_counts(kb, derived_tables())
    # New rows get new ids after an import (PostgreSQL's sequences were moved on).
    extra = tmp_path / "sichuan_report.txt"
    extra.write_text(SICHUAN_REPORT, encoding="utf-8")
    report = api.ingest([str(extra)], db=db_url)
    assert report.count("stored") == 1 and report.results[0].document_id == 6


def test_import_refuses_a_database_that_holds_data(kb, export_file):
    before = all_rows(kb)
    with pytest.raises(ExchangeError, match="not empty"):
        api.import_jsonl(export_file, db=kb)
    assert all_rows(kb) == before


def test_import_of_a_cut_off_file_writes_nothing(export_file, tmp_path):
    lines = export_file.read_text("utf-8").splitlines(keepends=True)
    cut = tmp_path / "cut.jsonl"
    cut.write_text("".join(lines[:-1]), encoding="utf-8")  # rows, but no end line
    url = f"sqlite:///{tmp_path / 'new.db'}"
    with pytest.raises(ExchangeError, match="end line"):
        api.import_jsonl(cut, db=url)
    assert not any(all_rows(url).values())
    result = CliRunner().invoke(app, ["import", str(cut), "--db", url])
    assert result.exit_code == 2 and "nothing was imported" in result.stderr


def test_export_cli_jsonl_csv_and_xlsx(kb, export_file, tmp_path):
    assert run("export", "--db", kb) == export_file.read_text("utf-8")  # jsonl on stdout
    run("export", "--db", kb, "--format", "csv", "-o", str(tmp_path / "csv"))
    with (tmp_path / "csv" / "documents.csv").open(encoding="utf-8", newline="") as f:
        documents = list(csv.DictReader(f))
    assert [d["sha256"] for d in documents] == [d["sha256"] for d in all_rows(kb)["documents"]]
    run("export", "--db", kb, "--format", "xlsx", "-o", str(tmp_path / "kb.xlsx"))
    sheets = read_xlsx(tmp_path / "kb.xlsx")
    assert set(sheets) == {t.name for t in exported_tables()}
    assert len(sheets["facts"]) - 1 == len(all_rows(kb)["facts"])


def test_export_xlsx_cuts_only_what_excel_cannot_hold_and_says_so():
    assert xlsx_value("短文") == ("短文", False)
    value, cut = xlsx_value("字" * 40_000)
    assert cut and len(value) == 32_767 and value.endswith("[cut: 40000 characters]")
