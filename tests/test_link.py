"""Linking on the real corpus: duplicate stories, one policy per document, user corrections."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from conftest import CORPUS, GOLD
from policylens import api
from policylens.cli import app
from policylens.config import load_settings
from policylens.link import dedupe, link_store
from policylens.link.resolve import MentionFact, build_nodes, carry_ids, conflict, resolve
from policylens.link.rules import PlaceStripper, load_kind_families
from policylens.store import Store

UNSEEN = GOLD / "unseen" / "docs"
SEED = {name[:3]: CORPUS / name for name in (p.name for p in CORPUS.glob("*.txt"))}

# Items by (seed, item title start): the stories the seeds tell twice.
CHONGQING = {
    ("000", "重庆印发《重庆市元宇宙产业发展行动计划"),
    ("001", "重庆发布元宇宙产业发展行动计划"),
}
SHANGHAI_SCENARIOS = {
    ("000", "上海市经济和信息化委员会发布首批"),
    ("000", "上海公布首批元宇宙重大应用场景"),
}
# Also the same story, found by the same rule: the MIIT working-group draft in the brief and
# the newsletter, and the Henan work report told twice in the roundup (short and long).
MIIT = {("000", "工信部：优先开展"), ("001", "工信部：公开征求对")}
HENAN_REPORT = {("004", "2023年河南省政府工作报告"), ("004", "河南将加快省区块链产业园建设")}


def _seed(document: str) -> str:
    return document.replace("\\", "/").rsplit("/", 1)[-1][:3]


def _members(cluster: api.DuplicateCluster) -> set[tuple[str, str]]:
    return {(_seed(m.document), m.title) for m in cluster.members}


def _matches(members: set[tuple[str, str]], expected: set[tuple[str, str]]) -> bool:
    return len(members) == len(expected) and all(
        any(seed == s and title.startswith(start) for s, title in members)
        for seed, start in expected
    )


def _policies_by_title(db: str) -> dict[str, api.PolicySummary]:
    return {p.normalized_title: p for p in api.policies(db)}


def _mention_seeds(db: str, policy_id: int) -> list[str]:
    return sorted(_seed(m.document) for m in api.policy(policy_id, db).mentions)


def _policy_of(db: str, title: str, seed: str) -> int:
    """Return the id of the policy holding the mention of this title in this seed."""
    # Every policy is looked at: a merged policy may carry another mention's title.
    for p in api.policies(db):
        for m in api.policy(p.id, db).mentions:
            if m.normalized_title == title and _seed(m.document) == seed:
                return p.id
    raise AssertionError(f"no mention of {title} in {seed}")


@pytest.fixture
def corpus_db(db_url):
    report = api.ingest([str(CORPUS)], db=db_url)
    assert report.count("stored") == 5
    return db_url


def test_link_finds_the_duplicate_stories_and_no_unrelated_pair(corpus_db):
    clusters = api.duplicates(corpus_db)
    found = [_members(c) for c in clusters]
    for expected in (CHONGQING, SHANGHAI_SCENARIOS):
        assert any(_matches(members, expected) for members in found), expected
    # Every cluster is one of the stories told twice: nothing unrelated is joined.
    allowed = (CHONGQING, SHANGHAI_SCENARIOS, MIIT, HENAN_REPORT)
    for members in found:
        assert any(_matches(members, expected) for expected in allowed), members
    # Nothing is deleted: each item stays, with its own document and span.
    for cluster in clusters:
        assert cluster.size == len(cluster.members) >= 2
        for member in cluster.members:
            assert dedupe.SHINGLE and 0 < member.score <= 1 and member.reason
            assert member.span[1] > member.span[0]
    assert len(api.items(corpus_db)) == 140


def test_link_resolves_variant_titles_to_one_policy_with_all_its_sources(corpus_db):
    policies = _policies_by_title(corpus_db)
    sichuan = policies["四川省元宇宙产业发展行动计划(2023-2025年)"]
    assert _mention_seeds(corpus_db, sichuan.id) == ["001", "003", "003", "003"]
    assert sichuan.doc_number == "川经信信安〔2023〕142号" and sichuan.date == "2023-09-12"
    # 《成都元宇宙产业发展行动计划(2022-2025年)》 (004) = 《成都市…行动方案(2022—2025 年)》 (001).
    chengdu = policies["成都市元宇宙产业发展行动方案(2022-2025年)"]
    assert _mention_seeds(corpus_db, chengdu.id) == ["001", "004"]
    assert "成都元宇宙产业发展行动计划(2022-2025年)" not in policies
    zhejiang = policies["浙江省元宇宙产业发展行动计划(2023-2025年)"]
    assert _mention_seeds(corpus_db, zhejiang.id) == ["002", "004", "004"]
    chongqing = policies["重庆市元宇宙产业发展行动计划(2023-2025年)"]
    assert _mention_seeds(corpus_db, chongqing.id) == ["000", "000", "001"]
    # Not merged: a district's plan, another document of the same province.
    yongchuan = policies["重庆市永川区元宇宙产业发展三年行动计划(2023-2025年)"]
    assert _mention_seeds(corpus_db, yongchuan.id) == ["004"]
    henan = policies["河南省区块链技术应用和产业发展行动方案(2022-2025年)"]
    assert henan.mentions == 1
    assert policies["2023年河南省区块链技术应用和产业发展工作方案"].id != henan.id
    # Every mention is linked once, with a score and a reason.
    detail = api.policy(chengdu.id, corpus_db)
    assert all(m.decided_by == "machine" and m.score >= 0.9 for m in detail.mentions)
    assert "same region 四川省成都市" in detail.mentions[0].reason
    assert sum(p.mentions for p in policies.values()) == len(api.facts(corpus_db, kind="policy"))
    # A policy shows its sources (with their footnote URLs), mentions and targets, each quoted.
    detail = api.policy(sichuan.id, corpus_db)
    assert {_seed(s.source) for s in detail.sources} == {"001", "003"}
    newsletter = next(s for s in detail.sources if _seed(s.source) == "001")
    assert any("jhj.sc.gov.cn" in url for url in newsletter.urls)
    # The quote is the raw text: seed 003 keeps its traditional script and pinyin glosses.
    assert any("行動計劃" in m.quote for m in detail.mentions)
    scales = [t for t in detail.targets if t.metric == "industry_scale"]
    assert {_seed(t.document) for t in scales} == {"001", "003"}
    assert all(t.values["value_low"] == 2.5e11 for t in scales)


def test_link_corrections_survive_reextract_and_new_ingests(db_url):
    first = [SEED["000"], SEED["001"], UNSEEN / "digest_2024.txt", UNSEEN / "guidance_big5.txt"]
    api.ingest([str(p) for p in first], db=db_url)
    national = "元宇宙产业创新发展三年行动计划(2023-2025年)"
    # The digest and the Guangdong guidance both cite the national plan: one policy.
    assert _policy_of(db_url, national, "dig") == _policy_of(db_url, national, "gui")
    # Henan's 2022-2025 action plan and its 2023 work plan are kept apart by the rules
    # (other kind, other years) until a user says they are one.
    henan_plan = "河南省区块链技术应用和产业发展行动方案(2022-2025年)"
    henan_work = "2023年河南省区块链技术应用和产业发展工作方案"
    plan_id, work_id = _policy_of(db_url, henan_plan, "000"), _policy_of(db_url, henan_work, "000")
    assert plan_id != work_id
    merged = api.merge_policies([plan_id, work_id], db=db_url)
    assert merged.policy.id in (plan_id, work_id)
    assert {m.decided_by for m in merged.mentions} == {"user"}
    # And the newsletter's Chongqing mention is taken out of the brief's.
    chongqing = "重庆市元宇宙产业发展行动计划(2023-2025年)"
    brief_plan = _policy_of(db_url, chongqing, "000")
    assert _mention_seeds(db_url, brief_plan) == ["000", "000", "001"]
    newsletter_fact = next(
        m.fact_id for m in api.policy(brief_plan, db_url).mentions if _seed(m.document) == "001"
    )
    split = api.split_policy(brief_plan, [newsletter_fact], db=db_url)
    assert split.policy.id != brief_plan and _mention_seeds(db_url, split.policy.id) == ["001"]
    assert _mention_seeds(db_url, brief_plan) == ["000", "000"]

    def check() -> None:
        assert _policy_of(db_url, henan_plan, "000") == _policy_of(db_url, henan_work, "000")
        assert _policy_of(db_url, chongqing, "000") == brief_plan
        assert _policy_of(db_url, chongqing, "001") != brief_plan

    api.reextract(db_url)  # new fact ids, same decisions, same policy ids
    check()
    assert _policy_of(db_url, henan_plan, "000") == merged.policy.id
    assert _policy_of(db_url, chongqing, "001") == split.policy.id
    api.ingest([str(SEED["003"]), str(SEED["004"])], db=db_url)
    check()
    # The new documents link as usual.
    sichuan = _policy_of(db_url, "四川省元宇宙产业发展行动计划(2023-2025年)", "001")
    assert _mention_seeds(db_url, sichuan) == ["001", "003", "003", "003"]


@pytest.fixture(scope="module")
def wide_db(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('link') / 'kb.db'}"
    report = api.ingest([str(CORPUS), str(UNSEEN)], db=url)
    assert report.ok
    return url


def test_link_unseen_documents_join_the_seeds_stories_and_policies(wide_db):
    chongqing = next(c for c in api.duplicates(wide_db) if "重庆" in c.title)
    assert sorted(_seed(m.document) for m in chongqing.members) == ["000", "001", "art"]
    policies = _policies_by_title(wide_db)
    chengdu = policies["成都市元宇宙产业发展行动方案(2022-2025年)"]
    assert _mention_seeds(wide_db, chengdu.id) == ["001", "004", "not", "not"]
    zhejiang = policies["浙江省元宇宙产业发展行动计划(2023-2025年)"]
    assert _mention_seeds(wide_db, zhejiang.id) == ["002", "004", "004", "mea"]
    # Plans of the same name in other places stay apart (Chongqing vs its Yongchuan district).
    yongchuan = policies["重庆市永川区元宇宙产业发展三年行动计划(2023-2025年)"]
    assert _mention_seeds(wide_db, yongchuan.id) == ["004", "art"]
    assert _mention_seeds(
        wide_db, policies[next(t for t in policies if "重庆市元宇宙" in t)].id
    ) == [
        "000",
        "000",
        "001",
        "art",
    ]


def test_link_duplicate_threshold_comes_from_settings(tmp_path):
    url = f"sqlite:///{tmp_path / 'kb.db'}"
    api.ingest([str(SEED["000"])], db=url)
    assert len(api.duplicates(url)) == 1  # the Shanghai scenarios, told twice
    strict = load_settings(env={"POLICYLENS_DUPLICATE_THRESHOLD": "0.99"}, db_url=url)
    assert strict.duplicate_threshold == 0.99
    store = Store(strict.db_url)
    try:
        assert link_store(store, strict).clusters == 0
    finally:
        store.close()
    assert api.duplicates(url) == []


def run(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def test_cli_link_commands(wide_db, tmp_path):
    listed = json.loads(run("policies", "--db", wide_db, "--region", "四川", "--json"))
    sichuan = next(p for p in listed if p["normalized_title"].startswith("四川省元宇宙"))
    assert sichuan["sources"] == 2 and sichuan["period"] == "2023-2025"
    shown = run("policy", str(sichuan["id"]), "--db", wide_db)
    assert "fact " in shown and "same region 四川省" in shown and "jhj.sc.gov.cn" in shown
    assert "items in" in run("duplicates", "--db", wide_db)
    clusters = json.loads(run("duplicates", "--db", wide_db, "--json"))
    assert all(len({m["document_id"] for m in c["members"]}) == c["documents"] for c in clusters)
    summary = json.loads(run("link", "--db", wide_db, "--json"))[0]
    assert summary["policies"] == len(json.loads(run("policies", "--db", wide_db, "--json")))
    # Wrong ids are one clear line, exit status 2.
    for args in (["policy", "9999"], ["merge", "1"], ["split", "1", "--mention", "999999"]):
        result = CliRunner().invoke(app, [*args, "--db", wide_db])
        assert result.exit_code == 2 and "error:" in result.output


def test_cli_merge_and_split_print_the_resulting_policy(tmp_path):
    url = f"sqlite:///{tmp_path / 'kb.db'}"
    run("ingest", str(SEED["000"]), "--db", url)
    ids = [p["id"] for p in json.loads(run("policies", "--db", url, "--json"))][:2]
    assert "Merged into policy" in run("merge", *map(str, ids), "--db", url)
    merged = json.loads(run("policy", str(ids[0]), "--db", url, "--json"))[0]
    fact = merged["mentions"][-1]["fact_id"]
    out = run("split", str(merged["policy"]["id"]), "--mention", str(fact), "--db", url)
    assert "Split into policy" in out


# --- The pure parts, on plain data -----------------------------------------------------


def _mention(fact_id: int, title: str, code: str, region: str, **fields: object) -> MentionFact:
    values = {
        "document_id": fact_id,
        "sha256": f"doc{fact_id}",
        "title": title,
        "normalized_title": title,
        "kind": "行动计划",
        "draft": False,
        "region_code": code,
        "region": region,
        "level": "provincial",
        "date": "2023-01-11",
        "period": None,
        "doc_number": None,
        "issuers": (),
    }
    values.update(fields)
    return MentionFact(fact_id=fact_id, **values)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def nodes_of(request):
    from policylens.resources import load_resources

    strip = PlaceStripper(load_resources().gazetteer)
    families = load_kind_families()
    return lambda mentions: build_nodes(mentions, families, strip)


def _groups(nodes, threshold=0.9, **kwargs):
    return sorted(
        sorted(nodes[i].identity[1] for i in c.nodes) for c in resolve(nodes, threshold, **kwargs)
    )


def test_resolve_work_reports_of_two_provinces_stay_apart(nodes_of):
    # The roundup (004) reports both on 2023-01-11; only the year and place differ.
    report = {"kind": "政府工作报告"}
    nodes = nodes_of(
        [
            _mention(1, "2023年上海市政府工作报告", "310000", "上海市", **report),
            _mention(2, "四川省2023年政府工作报告", "510000", "四川省", **report),
            _mention(3, "上海市2023年政府工作报告", "310000", "上海市", **report),
            _mention(4, "2024年上海市政府工作报告", "310000", "上海市", **report),
        ]
    )
    assert conflict(nodes[0], nodes[1]) == "regions differ (上海市 / 四川省)"
    assert "years in the titles differ" in str(conflict(nodes[0], nodes[3]))
    assert _groups(nodes) == [
        ["2023年上海市政府工作报告", "上海市2023年政府工作报告"],
        ["2024年上海市政府工作报告"],
        ["四川省2023年政府工作报告"],
    ]


def test_resolve_a_mention_without_period_cannot_bridge_two_editions(nodes_of):
    nodes = nodes_of(
        [
            _mention(1, "成都市元宇宙产业发展行动方案(2022-2025年)", "510100", "四川省成都市"),
            _mention(2, "成都市元宇宙产业发展行动方案", "510100", "四川省成都市"),
            _mention(3, "成都市元宇宙产业发展行动方案(2023-2025年)", "510100", "四川省成都市"),
        ]
    )
    groups = _groups(nodes)
    assert len(groups) == 2 and ["成都市元宇宙产业发展行动方案(2023-2025年)"] in groups


def test_resolve_unknown_region_needs_the_places_in_the_titles_to_agree(nodes_of):
    nodes = nodes_of(
        [
            _mention(1, "四川省元宇宙产业发展行动计划", "510000", "四川省"),
            _mention(2, "浙江省元宇宙产业发展行动计划", None, None),  # type: ignore[arg-type]
            _mention(3, "浙江省元宇宙产业发展行动计划", "330000", "浙江省"),
        ]
    )
    assert _groups(nodes) == [
        ["四川省元宇宙产业发展行动计划"],
        ["浙江省元宇宙产业发展行动计划", "浙江省元宇宙产业发展行动计划"],
    ]


def test_resolve_user_split_beats_the_machine_and_merge_beats_the_rules(nodes_of):
    nodes = nodes_of(
        [
            _mention(1, "浙江省元宇宙产业发展行动计划", "330000", "浙江省"),
            _mention(2, "浙江元宇宙产业发展行动计划", "330000", "浙江省"),
            _mention(3, "四川省元宇宙产业发展行动计划", "510000", "四川省"),
        ]
    )
    assert len(_groups(nodes)) == 2
    assert len(_groups(nodes, cannot={frozenset((0, 1))})) == 3
    from policylens.link.resolve import Edge

    # A user merge holds against the rules; the machine does not extend it past a conflict.
    forced = _groups(nodes, must=[Edge(1, 2, 1.0, "merged by user", "user")])
    assert forced == [
        ["四川省元宇宙产业发展行动计划", "浙江元宇宙产业发展行动计划"],
        ["浙江省元宇宙产业发展行动计划"],
    ]


def _blocked_pairwise(nodes, members_a, members_b, cannot) -> bool:
    """Whether a union is ruled out, as every pair of members says (the definition)."""
    return any(
        frozenset((x, y)) in cannot or conflict(nodes[x], nodes[y]) is not None
        for x in members_a
        for y in members_b
    )


# Each field mostly absent or alike, so that pairs are often ruled out by one rule alone.
LINK_FIELDS = st.fixed_dictionaries(
    {
        "sha256": st.sampled_from(["d1", "d2", "d3", "d4", "d5", "d6"]),
        "title": st.sampled_from(
            [
                "元宇宙产业发展行动计划",
                "元宇宙行动计划",
                "2023年元宇宙工作方案",
                "元宇宙行动计划(2022-2025年)",
            ]
        ),
        "kind": st.sampled_from(["行动计划", "工作方案", "行动计划", "实施意见", None]),
        "draft": st.sampled_from([False, False, False, True]),
        "code": st.sampled_from([None, "510000", "510000", "330000"]),
        "period": st.sampled_from([None, None, (2022, 2025), (2023, 2025)]),
        "doc_number": st.sampled_from(
            [None, None, "川府发〔2023〕12号", "川府发〔2023〕 12号", "浙政发〔2022〕3号"]
        ),
        "date": st.sampled_from([None, "2021-03-01", "2022-06", "2023-01-11", "2024-05-01"]),
    }
)


def _drawn_mentions(fields: list[dict[str, object]]) -> list[MentionFact]:
    """Return one mention for each drawn set of LINK_FIELDS."""
    return [
        _mention(
            i,
            str(f["title"]),
            f["code"],  # type: ignore[arg-type]
            f["code"] and "地区",  # type: ignore[arg-type]
            sha256=f["sha256"],
            kind=f["kind"],
            draft=f["draft"],
            period=f["period"],
            doc_number=f["doc_number"],
            date=f["date"],
        )
        for i, f in enumerate(fields)
    ]


@settings(max_examples=500, deadline=None)
@given(
    fields=st.lists(LINK_FIELDS, min_size=2, max_size=12),
    # (a, b, forced, a user split a and b): splits are drawn among the pairs tried.
    unions=st.lists(
        st.tuples(st.integers(0, 11), st.integers(0, 11), st.booleans(), st.booleans()),
        max_size=20,
    ),
)
def test_resolve_refuses_exactly_the_unions_some_pair_of_members_rules_out(
    nodes_of, fields, unions
):
    # A union is ruled out by what each cluster holds, not by comparing every pair; the two
    # must agree however the clusters grew (forced unions included).
    from policylens.link.resolve import _Partition

    nodes = nodes_of(_drawn_mentions(fields))
    cannot = {frozenset((a, b)) for a, b, _, split in unions if split and a != b}
    partition = _Partition(nodes, cannot)
    for a, b, force, _ in unions:
        if a >= len(nodes) or b >= len(nodes):
            continue
        ra, rb = partition.root(a), partition.root(b)
        if ra != rb:
            expected = _blocked_pairwise(
                nodes, partition.members[ra], partition.members[rb], cannot
            )
            assert partition.blocked(ra, rb) == expected
        joined = partition.union(a, b, force=force)
        assert joined == (ra != rb and (force or not expected))


@settings(max_examples=300, deadline=None)
@given(
    fields=st.lists(LINK_FIELDS, min_size=1, max_size=12),
    seeds=st.sets(st.integers(0, 11), min_size=1, max_size=4),
    merges=st.lists(st.tuples(st.integers(0, 11), st.integers(0, 11)), max_size=3),
)
def test_resolve_a_linked_part_holds_the_edges_candidate_pairs_scores_over_it(
    nodes_of, fields, seeds, merges
):
    # An incremental run scores the pairs once, finding the part to resolve again, and
    # resolves it with those edges: they must be the ones (and in the order) that scoring
    # the part's nodes alone gives, and so must the clusters.
    from policylens.link.resolve import Edge, candidate_pairs, linked_part

    nodes = nodes_of(_drawn_mentions(fields))
    seeds = {i for i in seeds if i < len(nodes)} or {0}
    merges = [(a, b) for a, b in merges if a != b and max(a, b) < len(nodes)]
    must = [Edge(a, b, 1.0, "merged", "user") for a, b in merges]
    part = linked_part(nodes, seeds, 0.8, must)
    assert seeds <= part.nodes
    order = sorted(part.nodes)
    index = {old: new for new, old in enumerate(order)}
    alone = [nodes[i] for i in order]
    assert part.reindexed(index) == candidate_pairs(alone, 0.8)
    # No candidate edge leaves the part.
    assert not any(
        (a in part.nodes) != (b in part.nodes) for _, a, b in candidate_pairs(nodes, 0.8)
    )
    sub_must = [
        Edge(index[e.a], index[e.b], 1.0, "merged", "user")
        for e in must
        if e.a in index and e.b in index
    ]
    assert [c.nodes for c in resolve(alone, 0.8, sub_must, edges=part.reindexed(index))] == [
        c.nodes for c in resolve(alone, 0.8, sub_must)
    ]


# Mentions crowded into one family, regions known and unknown: large blocks in small.
ONE_FAMILY_FIELDS = LINK_FIELDS.map(
    lambda f: f | {"kind": "行动计划", "draft": False, "period": None, "doc_number": None}
)


@settings(max_examples=400, deadline=None)
@given(
    fields=st.lists(LINK_FIELDS, min_size=1, max_size=12)
    | st.lists(ONE_FAMILY_FIELDS, min_size=4, max_size=12),
    seeds=st.sets(st.integers(0, 11), min_size=1, max_size=4),
    neighbours=st.integers(1, 3),
)
def test_resolve_a_large_block_compares_neighbours_alike_from_any_seed(
    nodes_of, fields, seeds, neighbours
):
    # Past MAX_EXACT_BLOCK nodes a block compares neighbours only: an incremental run,
    # comparing from its seeds, must still find exactly the edges of comparing them all.
    from policylens.link import resolve as link_resolve
    from policylens.link.resolve import candidate_pairs, linked_part

    nodes = nodes_of(_drawn_mentions(fields))
    seeds = {i for i in seeds if i < len(nodes)} or {0}
    exact = candidate_pairs(nodes, 0.8)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(link_resolve, "MAX_EXACT_BLOCK", 1)
        patch.setattr(link_resolve, "NEIGHBOURS", neighbours)
        every = candidate_pairs(nodes, 0.8)
        part = linked_part(nodes, seeds, 0.8)
        assert part.edges == [e for e in every if e[1] in part.nodes and e[2] in part.nodes]
        assert not any((a in part.nodes) != (b in part.nodes) for _, a, b in every)
        assert set(every) <= set(exact)
        # Neighbours as far as the whole block reaches: every pair is compared again.
        patch.setattr(link_resolve, "NEIGHBOURS", len(nodes))
        assert candidate_pairs(nodes, 0.8) == exact


TITLE_STEMS = st.text(alphabet="元宇宙数字人产业发展行动计划12", max_size=10)


@settings(max_examples=300, deadline=None)
@given(
    texts=st.lists(TITLE_STEMS, min_size=1, max_size=14),
    left_mask=st.lists(st.booleans(), min_size=14, max_size=14),
    cells=st.integers(1, 40),
    cutoff=st.sampled_from([0.5, 0.8, 0.9]),
)
def test_resolve_titles_scored_a_few_cells_at_a_time_give_every_alike_pair(
    texts, left_mask, cells, cutoff
):
    # A large block's score matrix is made a slice of rows at a time, to bound memory: the
    # pairs are those of scoring every two titles, whatever the slice.
    from rapidfuzz import fuzz

    from policylens.link.resolve import _similar

    right = list(range(len(texts)))
    left = [i for i in right if left_mask[i]] or [0]
    expected = {
        (min(i, j), max(i, j))
        for i in left
        for j in right
        if i != j and fuzz.ratio(texts[i], texts[j], score_cutoff=cutoff * 100)
    }
    assert _similar(left, right, texts, cutoff, cells=cells) == expected
    assert _similar(left, right, texts, cutoff) == expected


def test_resolve_clusters_joined_by_force_conflict_though_they_hold_the_same_values():
    # Each of two user-merged clusters holds two regions: some pair across them differs.
    from policylens.link.resolve import _differ

    assert _differ({"510000", "330000"}, {"510000", "330000"})
    assert not _differ({"510000"}, {"510000"}) and not _differ(set(), {"510000", "330000"})


@pytest.mark.parametrize(
    ("groups", "previous", "expected"),
    [
        ([["a", "b"], ["c"]], {"a": 7, "b": 7, "c": 7}, [7, None]),  # the larger side keeps it
        ([["c"], ["a", "b"]], {"a": 7, "b": 7, "c": 7}, [None, 7]),
        ([["a", "c"]], {"a": 1, "c": 2}, [1]),  # a merge keeps the smaller id on a tie
        ([["x"]], {}, [None]),
    ],
)
def test_resolve_carry_ids_keeps_ids_stable(groups, previous, expected):
    assert carry_ids(groups, previous) == expected


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (
            "9月21日，上海市经济和信息化委员会发布首批上海市元宇宙重大应用场景建设成果名单，涵盖十项。",
            "近日,上海市经济和信息化委员会发布首批上海市元宇宙重大应用场景建设成果名单，涵盖十项成果。",
        ),
    ],
)
def test_dedupe_containment_ignores_punctuation_and_is_symmetric(a, b):
    sa, sb = dedupe.shingles(a), dedupe.shingles(b)
    assert sa and sb
    assert dedupe.containment(sa, sb) == dedupe.containment(sb, sa) > 0.8


def test_dedupe_headings_are_too_short_to_compare():
    assert dedupe.shingles("总体要求") == set()
    assert dedupe.sketch_values(set()) == b""


def test_dedupe_finds_an_abridged_copy_with_commentary():
    # The brief's Chongqing entry (000) and the newsletter's longer one with its 短评 (001).
    brief = SEED["000"].read_text("utf-8").splitlines()
    newsletter = SEED["001"].read_text("utf-8").splitlines()
    start = next(i for i, line in enumerate(newsletter) if "重庆市经济和信息化委员会印发" in line)
    texts = {
        1: next(line for line in brief if "重庆市经信委印发" in line),
        2: "\n".join(newsletter[start : start + 5]),
    }
    assert "植德短评" in texts[2]
    shingled = {i: dedupe.shingles(t) for i, t in texts.items()}
    assert dedupe.containment(shingled[1], shingled[2]) > 0.7
    # Jaccard would not see it: the newsletter adds too much.
    assert len(shingled[1] & shingled[2]) / len(shingled[1] | shingled[2]) < 0.4
    sketches = [
        dedupe.Sketch(i, i, "news", len(shingled[i]), dedupe.sketch_values(shingled[i]))
        for i in texts
    ]
    candidates = dedupe.colliding_pairs(list(texts), dedupe.band_keys(sketches))
    pairs = dedupe.score_pairs(candidates, texts, 0.6)
    assert [(p.first, p.second) for p in pairs] == [(1, 2)]


def test_dedupe_hash_is_fast_and_stable():
    # CRC-32, not Python's hash(): the same shingle hashes the same in every process.
    assert dedupe.hash32("元宇宙产") == dedupe.hash32("元宇宙产") == 2467656131


# Word characters of every UTF-8 length (1 to 4 bytes, near each length's ends), both cases,
# Chinese, and the punctuation and spaces that shingles skip.
SHINGLED_CHARS = st.sampled_from(
    [*"aZ09_ ，。元宇宙链é", "\u00aa", "\u07ca", "\u0800", "\uffdc", "\U00010000", "\U0003134a"]
)


@settings(max_examples=300, deadline=None)
@given(texts=st.lists(st.text(SHINGLED_CHARS, min_size=30, max_size=90), max_size=6))
def test_dedupe_shingles_of_many_texts_at_once_are_each_texts_shingles(texts):
    shingled = dedupe.shingle_texts(texts)
    hashes, keys = shingled.hashes().tolist(), shingled.keys().tolist()
    first_key: dict[str, int] = {}
    for index, text in enumerate(texts):
        low, high = shingled.bounds[index : index + 2].tolist()
        sequence = dedupe.shingle_sequence(text)
        assert hashes[low:high] == [dedupe.hash32(shingle) for shingle in sequence]
        # Equal keys exactly for equal shingles, across texts.
        for shingle, key in zip(sequence, keys[low:high], strict=True):
            assert first_key.setdefault(shingle, key) == key
    assert len(set(first_key.values())) == len(first_key)
    # Worked out a few positions at a time, as a very long text is, they are the same.
    assert shingled.hashes(block=3).tolist() == hashes
    assert shingled.keys(block=3).tolist() == keys


def test_dedupe_permutations_are_datasketchs_own():
    # Drawn without importing datasketch, they must stay the ones its MinHash uses: stored
    # sketches and band keys were made with them.
    from datasketch import MinHash

    a, b = MinHash(num_perm=dedupe.NUM_PERM, hashfunc=dedupe.hash32).permutations
    made = dedupe.Permutations.make()
    assert made.a.tolist() == a.tolist() and made.b.tolist() == b.tolist()


def test_ingest_links_without_loading_datasketch_or_scipy_integrate(tmp_path):
    # Importing datasketch loads scipy.integrate: over half a second of every ingest.
    db = f"sqlite:///{tmp_path / 'kb.db'}"
    code = (
        "import sys; from policylens import api; "
        f"assert api.ingest([{str(CORPUS)!r}], db={db!r}).ok; "
        "print(sorted(m for m in sys.modules if m.startswith(('datasketch', 'scipy.integrate'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    assert api.duplicates(db)  # it did link: the seeds tell some stories twice


def test_dedupe_a_digest_repeating_one_story_past_a_popular_key_is_one_cluster(tmp_path):
    # Found by a sweep of hostile files: a 40 MB file repeating one document ~9,500 times
    # made every two copies a candidate pair (gigabytes of them, killed), as did 40,000
    # alike headings. Past POPULAR_KEY owners, a key pairs them from the first and in a
    # row: still one story, each copy matched within it.
    from policylens.link.dedupe import POPULAR_KEY

    story = (
        "重庆市发布元宇宙产业发展行动计划，提出到2025年建成元宇宙产业生态，"
        "培育一批骨干企业，打造一批应用场景，形成具有影响力的产业集群。"
    )
    copies = POPULAR_KEY + 20
    # A news digest's numbered entries: a headline, then the story.
    text = "\n".join(f"{n}、重庆发布元宇宙行动计划\n{story}" for n in range(1, copies + 1))
    path = tmp_path / "repeated.txt"
    path.write_text(text, encoding="utf-8")
    db = f"sqlite:///{tmp_path / 'kb.db'}"
    report = api.ingest([str(path)], db=db)
    assert report.ok and report.count("stored") == 1
    (cluster,) = api.duplicates(db)
    members = {m.item_id for m in cluster.members}
    assert cluster.size == copies == len(members)
    assert all(m.matched_item_id in members - {m.item_id} for m in cluster.members)
    assert all(m.score >= 0.6 for m in cluster.members)
