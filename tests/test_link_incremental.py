"""Incremental linking gives what linking everything again gives, and keeps user corrections."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import delete

from conftest import CORPUS, GOLD
from policylens import api
from policylens.bench.corpus import generate
from policylens.config import load_settings
from policylens.link import dedupe, link_store
from policylens.link.resolve import Edge, linked_part, resolve
from policylens.link.state import Schemes, StaleRead, read_state, write_state
from policylens.store import Store
from policylens.store.schema import DocumentRow

UNSEEN = GOLD / "unseen" / "docs"


def _links(db: str) -> dict[str, object]:
    """Return the duplicate groups and policy links of a knowledge base, by stable identities.

    Items are named by (document sha256, index) and mentions by (document sha256, span), so
    two knowledge bases holding the same documents compare whatever their row ids.
    """
    documents = {d.id: d.sha256 for d in api.documents(db)}
    items = {i.id: (documents[i.document_id], i.index) for i in api.items(db)}
    clusters = {
        frozenset((items[m.item_id], items[m.matched_item_id], m.score) for m in c.members)
        for c in api.duplicates(db)
    }
    policies = set()
    for summary in api.policies(db):
        detail = api.policy(summary.id, db)
        mentions = frozenset(
            (documents[m.document_id], m.span, m.normalized_title, m.score, m.reason, m.decided_by)
            for m in detail.mentions
        )
        policies.add((summary.title, summary.date, summary.mentions, summary.sources, mentions))
    return {"clusters": clusters, "policies": policies}


def _ids(db: str) -> tuple[list[tuple[int, list[int]]], list[tuple[int, list[int | None]]]]:
    clusters = [(c.id, sorted(m.item_id for m in c.members)) for c in api.duplicates(db)]
    policies = [
        (p.id, sorted(m.fact_id or 0 for m in api.policy(p.id, db).mentions))
        for p in api.policies(db)
    ]
    return sorted(clusters), sorted(policies)


def _full_relink(db: str) -> api.LinkSummary:
    settings = load_settings(env={}, db_url=db)
    store = Store(db)
    try:
        return link_store(store, settings, full=True)
    finally:
        store.close()


def _ingest_in_batches(paths: list[str], db: str, batch: int) -> None:
    for start in range(0, len(paths), batch):
        report = api.ingest(paths[start : start + batch], db=db)
        assert report.ok


def _compare(paths: list[str], db_url: str, tmp_path, batch: int) -> None:
    incremental = db_url
    _ingest_in_batches(paths, incremental, batch)
    everything = f"sqlite:///{tmp_path / 'all.db'}"
    assert api.ingest(paths, db=everything).ok
    _full_relink(everything)
    found = _links(incremental)
    assert found["clusters"] and found["policies"]
    assert found == _links(everything)
    # Linking everything again over the incremental knowledge base changes nothing, ids included.
    before = _ids(incremental)
    summary = _full_relink(incremental)
    assert summary.full and _ids(incremental) == before and _links(incremental) == found
    # A full relink of signed items names each match by its integer id, as an incremental one.
    for db in (incremental, everything):
        members = [m for c in api.duplicates(db) for m in c.members]
        assert all(m.reason.endswith(f"(item {m.matched_item_id})") for m in members)


def test_link_incremental_equals_full_on_the_sample_corpus(db_url, tmp_path):
    paths = sorted(str(p) for p in [*CORPUS.glob("*.txt"), *UNSEEN.iterdir()])
    _compare(paths, db_url, tmp_path, batch=1)


def test_link_incremental_equals_full_on_a_synthetic_corpus(db_url, tmp_path, res):
    folder = tmp_path / "synthetic"
    folder.mkdir()
    for document in generate(CORPUS, 48, res, seed=5):
        (folder / document.name).write_bytes(document.data)
    paths = sorted(str(p) for p in folder.iterdir())
    _compare(paths, db_url, tmp_path, batch=12)


def test_link_incremental_runs_touch_only_what_is_new(tmp_path):
    db = f"sqlite:///{tmp_path / 'kb.db'}"
    paths = sorted(str(p) for p in CORPUS.glob("*.txt"))
    api.ingest(paths[:3], db=db)
    store = Store(db)
    settings = load_settings(env={}, db_url=db)
    try:
        again = link_store(store, settings)
        assert (again.new_items, again.new_mentions, again.full) == (0, 0, False)
        api.ingest(paths[3:], db=db)
        first = link_store(store, settings)  # the ingest linked them already
        assert first.new_items == 0 and not first.full
        # Another threshold: the stored clusters were made with the old one.
        strict = load_settings(env={"POLICYLENS_DUPLICATE_THRESHOLD": "0.99"}, db_url=db)
        assert link_store(store, strict).full
    finally:
        store.close()


def test_link_corrections_survive_incremental_and_full_linking(db_url):
    paths = sorted(str(p) for p in CORPUS.glob("*.txt"))
    api.ingest(paths[:2], db=db_url)
    henan_plan = "河南省区块链技术应用和产业发展行动方案(2022-2025年)"
    henan_work = "2023年河南省区块链技术应用和产业发展工作方案"
    ids = {p.normalized_title: p.id for p in api.policies(db_url)}
    merged = api.merge_policies([ids[henan_plan], ids[henan_work]], db=db_url)
    chongqing = ids["重庆市元宇宙产业发展行动计划(2023-2025年)"]
    newsletter = next(
        m.fact_id for m in api.policy(chongqing, db_url).mentions if "001_" in m.document
    )
    split = api.split_policy(chongqing, [newsletter], db=db_url)
    api.ingest(paths[2:], db=db_url)  # incremental: the new documents only

    def policy_of(title: str) -> set[int]:
        return {p.id for p in api.policies(db_url) if p.normalized_title == title}

    incremental = _links(db_url)
    assert _full_relink(db_url).full
    assert _links(db_url) == incremental
    merged_titles = {m.normalized_title for m in api.policy(merged.policy.id, db_url).mentions}
    assert {henan_plan, henan_work} <= merged_titles
    assert split.policy.id != chongqing and policy_of(split.policy.normalized_title)


def test_link_deleted_document_makes_the_next_run_full(tmp_path):
    db = f"sqlite:///{tmp_path / 'kb.db'}"
    api.ingest([str(CORPUS)], db=db)
    store = Store(db)
    try:
        with store.session() as session:
            session.execute(delete(DocumentRow).where(DocumentRow.source.contains("000_")))
        assert link_store(store, load_settings(env={}, db_url=db)).full
    finally:
        store.close()
    remaining = _links(db)
    everything = f"sqlite:///{tmp_path / 'rest.db'}"
    api.ingest(
        [str(p) for p in sorted(CORPUS.glob("*.txt")) if "000_" not in p.name], db=everything
    )
    assert _links(everything) == remaining


def test_link_a_run_that_read_before_another_wrote_must_read_again(tmp_path):
    db = f"sqlite:///{tmp_path / 'kb.db'}"
    api.ingest([str(CORPUS / "000_9e1a09e82d249843.txt")], db=db)
    store = Store(db)
    schemes = Schemes.of(0.6, 0.9, {})
    try:
        with store.session() as session:
            read = read_state(session, schemes)
        api.ingest([str(CORPUS / "001_91daaad5127cd8d6.txt")], db=db)  # another run links
        with pytest.raises(StaleRead), store.session() as session:
            write_state(session, read, schemes)
    finally:
        store.close()


def test_dedupe_band_parameters_are_datasketch_choice():
    from datasketch import MinHashLSH

    lsh = MinHashLSH(
        threshold=dedupe.CANDIDATE_JACCARD,
        num_perm=dedupe.NUM_PERM,
        weights=dedupe.CANDIDATE_WEIGHTS,
    )
    assert (lsh.b, lsh.r) == (dedupe.BANDS, dedupe.ROWS)


def test_dedupe_band_keys_separate_groups_and_find_shared_bands():
    text = "上海市经济和信息化委员会发布首批上海市元宇宙重大应用场景建设成果名单，涵盖十项成果。"
    values = dedupe.sketch_values(dedupe.shingles(text))
    sketches = [
        dedupe.Sketch(1, 1, "news", 40, values),
        dedupe.Sketch(2, 2, "news", 40, values),
        dedupe.Sketch(3, 3, "plan", 40, values),
    ]
    keys = dedupe.band_keys(sketches)
    assert keys.shape == (3, dedupe.BANDS) and len(set(keys[0].tolist())) == dedupe.BANDS
    assert dedupe.colliding_pairs([1, 2, 3], keys) == {(1, 2)}


def test_resolve_linked_part_follows_edges_and_user_merges(nodes_of_titles):
    nodes = nodes_of_titles(
        [
            ("浙江省元宇宙产业发展行动计划", "330000", "浙江省"),
            ("浙江元宇宙产业发展行动计划", "330000", "浙江省"),
            ("四川省元宇宙产业发展行动计划", "510000", "四川省"),
            ("四川省数字经济发展行动计划", "510000", "四川省"),
        ]
    )
    assert linked_part(nodes, [0], 0.9).nodes == {0, 1}
    assert linked_part(nodes, [2], 0.9).nodes == {2}
    merge = Edge(1, 3, 1.0, "merged by user", "user")
    assert linked_part(nodes, [0], 0.9, [merge]).nodes == {0, 1, 3}
    # Resolving the component alone gives its part of resolving everything: the merge
    # holds, and the machine does not join 浙江 to it across the regions.
    whole = {frozenset(c.nodes) for c in resolve(nodes, 0.9, [merge])}
    alone = resolve([nodes[0], nodes[1], nodes[3]], 0.9, [Edge(1, 2, 1.0, "merged", "user")])
    assert [c.nodes for c in alone] == [[0], [1, 2]]
    assert {frozenset({0}), frozenset({1, 3})} <= whole


@pytest.fixture(scope="module")
def nodes_of_titles():
    from policylens.link.resolve import MentionFact, build_nodes
    from policylens.link.rules import PlaceStripper, load_kind_families
    from policylens.resources import load_resources

    strip = PlaceStripper(load_resources().gazetteer)

    def build(titles):
        mentions = [
            MentionFact(
                fact_id=i,
                document_id=i,
                sha256=f"doc{i}",
                title=title,
                normalized_title=title,
                kind="行动计划",
                draft=False,
                region_code=code,
                region=region,
                level="provincial",
                date="2023-01-11",
                period=None,
                doc_number=None,
                issuers=(),
            )
            for i, (title, code, region) in enumerate(titles)
        ]
        return build_nodes(mentions, load_kind_families(), strip)

    return build


def _brute_force_clusters(db: str, threshold: float) -> set[frozenset[int]]:
    """Return the duplicate clusters an exact containment check of every pair of items gives."""
    compared = [
        (item.id, dedupe.KIND_GROUPS[item.kind], dedupe.shingles(item.text))
        for item in api.items(db)
        if item.kind in dedupe.KIND_GROUPS
    ]
    compared = [entry for entry in compared if entry[2]]
    pairs = [
        dedupe.DuplicatePair(a, b, 1.0)
        for i, (a, group_a, shingles_a) in enumerate(compared)
        for b, group_b, shingles_b in compared[i + 1 :]
        if group_a == group_b and dedupe.containment(shingles_a, shingles_b) >= threshold
    ]
    return {frozenset(group) for group in dedupe.clusters(pairs)}


def test_link_finds_the_clusters_of_an_all_pairs_check_on_a_synthetic_corpus(tmp_path, res):
    # Short stories inside long digest entries included: whole-item LSH misses those pairs.
    folder = tmp_path / "synthetic"
    folder.mkdir()
    for document in generate(CORPUS, 120, res, seed=3):
        (folder / document.name).write_bytes(document.data)
    db = f"sqlite:///{tmp_path / 'kb.db'}"
    assert api.ingest(sorted(str(p) for p in folder.iterdir()), db=db).ok
    found = {frozenset(m.item_id for m in c.members) for c in api.duplicates(db)}
    expected = _brute_force_clusters(db, load_settings(env={}, db_url=db).duplicate_threshold)
    assert len(expected) > 5 and found == expected


def test_dedupe_window_keys_find_a_story_inside_a_long_item():
    permutations = dedupe.Permutations.make()
    story = "上海市经济和信息化委员会发布首批上海市元宇宙重大应用场景建设成果名单，涵盖十项成果。"
    long_text = "".join(f"第{i}条，本周各地继续推进数字经济和人工智能产业发展。" for i in range(40))
    long_text = long_text[:600] + story + long_text[600:]
    short = dedupe.shingle_sequence(story)
    shingled = dedupe.shingle_texts([story, long_text])
    hashes = shingled.hashes()
    short_hashes, long_hashes = np.split(hashes, [int(shingled.bounds[1])])
    assert len(long_hashes) > 10 * len(short) and dedupe.window_bounds(len(short)) == []
    values, short_keys = permutations.item("news", short_hashes)
    # The same MinHash values as datasketch's, so stored signatures stay valid.
    assert values == dedupe.sketch_values(set(short))
    _, long_keys = permutations.item("news", long_hashes)
    assert len(long_keys) > dedupe.BANDS  # windows add their own keys
    # Made a few positions at a time, as a very long item is, the values and keys are the same.
    small_blocks = permutations.item("news", long_hashes, row_block=7)
    assert small_blocks[0] == permutations.item("news", long_hashes)[0]
    assert np.array_equal(small_blocks[1], long_keys)
    items = [dedupe.ItemKeys(1, short_keys), dedupe.ItemKeys(2, long_keys)]
    assert dedupe.keyed_pairs(items) == {(1, 2)}
