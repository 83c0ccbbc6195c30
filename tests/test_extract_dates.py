"""Dates, periods and deadlines, including the cases where JioNLP goes wrong on our text."""

from __future__ import annotations

import pytest

from policylens.extract import dates
from policylens.normalize import normalize


def first_date(text, clues=None):
    hits = dates.find_dates(text)
    return dates.resolve(hits[0], clues or dates.YearClues()) if hits else None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # jionlp.parse_time reads the spaced form as the whole year 2023
        ("2023 年 9 月 22 日,重庆市经信委印发", "2023-09-22"),
        ("2023年9月18日", "2023-09-18"),
        ("2023-09-27", "2023-09-27"),
        ("2022年12月16日", "2022-12-16"),
    ],
)
def test_dates_explicit_forms(raw, expected, res):
    value = first_date(normalize(raw, res).text)
    assert value.value == expected and value.year_from == "explicit"


@pytest.mark.parametrize(
    ("text", "clues", "expected", "source"),
    [
        # without a time base jionlp puts 9月22日 in the current year
        (
            "9月22日，福州市政府发布",
            dates.YearClues(document_year=2023, ingest_year=2026),
            "2023-09-22",
            "document",
        ),
        ("9月22日", dates.YearClues(url_year=2023, document_year=2021), "2023-09-22", "url"),
        ("9月22日", dates.YearClues(item_year=2022, url_year=2023), "2022-09-22", "item"),
        ("9月22日", dates.YearClues(ingest_year=2026), "2026-09-22", "ingest"),
        ("今年5月，杭州钱塘区发布了", dates.YearClues(metadata_year=2022), "2022-05", "metadata"),
        ("去年11月，为深入认识", dates.YearClues(metadata_year=2022), "2021-11", "metadata"),
        ("11月，杭州市西湖区发布", dates.YearClues(document_year=2022), "2022-11", "document"),
    ],
)
def test_dates_year_less_take_the_nearest_clue_and_say_which(text, clues, expected, source):
    value = first_date(text, clues)
    assert (value.value, value.year_from) == (expected, source)


@pytest.mark.parametrize("text", ["十四五期间", "近日，", "2023年以来", "截至2025年", "到2025年"])
def test_dates_non_dates_are_not_dates(text):
    # jionlp raises on 十四五/近日, returns 'inf' for 2023年以来 and a whole year for 截至2025年
    assert dates.find_dates(text) == []


@pytest.mark.parametrize(
    ("text", "year"),
    [("到2025年，全省", 2025), ("截至2025年", 2025), ("力争到2026年", 2026), ("到 2025 年", 2025)],
)
def test_dates_deadlines_keep_their_year(text, year):
    # jionlp's ner.extract_time drops the 到 of 到2025年
    assert [y for _, y in dates.deadline_years(text)] == [year]


@pytest.mark.parametrize(
    ("text", "period"),
    [
        ("（2023—2025年）", (2023, 2025)),
        ("(2022-2024年)", (2022, 2024)),
        ("2023-2028", (2023, 2028)),
    ],
)
def test_dates_periods(text, period):
    assert dates.period(text) == period


@pytest.mark.parametrize(
    ("url", "ymd"),
    [
        ("https://jhj.sc.gov.cn/scjhj/tzzc/2023/9/18/a526.shtml", (2023, 9, 18)),
        ("https://www.shanghai.gov.cn/nw12344/20230927/a6a5.html", (2023, 9, 27)),
        ("https://www.sgrb.com.cn/content/2023-09/22/content_110102.html", (2023, 9, 22)),
        ("https://www.bjcia.org.cn/70/202309/19173.html", None),
        ("https://cn.chinadaily.com.cn/a/202309/21/WS650b.html", (2023, 9, 21)),
    ],
)
def test_dates_from_urls(url, ymd):
    assert dates.url_year(url) == ymd


def test_dates_document_year_ignores_deadlines_and_periods():
    text = "到2025年……行动计划（2023—2025年）……2022年4月……9月22日，2023北外滩论坛……2023年"
    assert dates.document_year(text) == 2023
