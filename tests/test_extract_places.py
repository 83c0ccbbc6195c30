"""The gazetteer, including the cases where cpca goes wrong on our text."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("text", ["加强国际合作", "东方明珠", "瑞金医院", "三河村", "朝阳产业"])
def test_places_county_level_short_forms_are_not_places(text, res):
    # cpca: 合作→合作市, 东方明珠→东方市, 瑞金医院→瑞金市, 三河村→三河市
    assert res.gazetteer.resolve_text(text) is None


@pytest.mark.parametrize(
    ("text", "name", "level"),
    [
        ("黄浦区", "上海市黄浦区", "district"),
        ("北京朝阳区", "北京市朝阳区", "district"),  # cpca: 朝阳区 → 长春
        ("长春市朝阳区", "吉林省长春市朝阳区", "district"),
        ("成都", "四川省成都市", "municipal"),
        ("四川", "四川省", "provincial"),
        ("重庆市永川区", "重庆市永川区", "district"),
        ("杭州钱塘区", "浙江省杭州市钱塘区", "district"),  # newer than cpca's 2020 table
        ("全国", "全国", "national"),
    ],
)
def test_places_resolve_to_chain_and_level(text, name, level, res):
    place = res.gazetteer.resolve_text(text)
    assert (place.name, place.level) == (name, level)


@pytest.mark.parametrize(
    ("char", "code"), [("川", "510000"), ("沪", "310000"), ("渝", "500000"), ("浙", "330000")]
)
def test_places_one_character_province_forms(char, code, res):
    assert res.gazetteer.province_of_abbreviation(char) == code


@pytest.mark.parametrize(
    "name", ["工信部", "国务院", "国家标准委", "人民银行", "工业和信息化部科技司"]
)
def test_places_national_bodies(name, res):
    assert res.national_agency_in(name)


@pytest.mark.parametrize(
    ("short", "full"),
    [
        ("工信部", "工业和信息化部"),
        ("上海市科委", "上海市科学技术委员会"),
        ("重庆市经信委", "重庆市经济和信息化委员会"),
        ("省发展改革委", "省发展和改革委员会"),
    ],
)
def test_places_agency_short_forms(short, full, res):
    assert res.canonical_agency(short) == full
