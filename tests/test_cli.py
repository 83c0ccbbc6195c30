"""The `policylens` command as a user runs it: ingest, ls, show, items, --json."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from conftest import CORPUS
from policylens.cli import app


@pytest.fixture
def kb(tmp_path):
    url = f"sqlite:///{tmp_path / 'kb.db'}"
    result = CliRunner().invoke(app, ["ingest", str(CORPUS), "--db", url])
    assert result.exit_code == 0, result.output
    return url


def run(*args):
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def test_cli_ingest_prints_summary_and_reingest_reports_duplicates(tmp_path):
    url = f"sqlite:///{tmp_path / 'kb.db'}"
    first = run("ingest", str(CORPUS), "--db", url)
    assert "documents stored" in first and "│                5 │" in first
    second = json.loads(run("ingest", str(CORPUS), "--db", url, "--json"))
    assert [r["status"] for r in second] == ["duplicate"] * 5
    assert len(json.loads(run("ls", "--db", url, "--json"))) == 5


def test_cli_items_lists_digest_entries_one_by_one(kb):
    entries = json.loads(
        run("items", "--db", kb, "--doc", "004", "--kind", "digest_entry", "--json")
    )
    assert len(entries) == 24
    assert entries[0]["title"] == "昆明计划扩大区块链产业，提前布局元宇宙产业"
    assert entries[0]["number"] == "01" and entries[-1]["number"] == "24"
    text = run("items", "--db", kb, "--doc", "000")
    assert "上海公布首批元宇宙重大应用场景建设10项成果" in text


def test_cli_items_lists_plan_sections_with_path(kb):
    sections = json.loads(
        run("items", "--db", kb, "--doc", "002", "--kind", "plan_section", "--json")
    )
    task = next(s for s in sections if s["title"] == "完善“元空间”治理规则")
    assert task["path"][1:] == ["重点任务", "数字空间治理行动", "完善“元空间”治理规则"]
    assert "省司法厅" in task["responsible"]


def test_cli_show_by_name_part_prints_clean_text(kb):
    text = run("show", "003", "--db", kb)
    assert "四川省元宇宙产业发展行动计划" in text
    assert "產" not in text and "(chǎn)" not in text
    detail = json.loads(run("show", "003", "--db", kb, "--json"))[0]
    assert detail["summary"]["items"] == len(detail["items"]) == 42


def test_cli_show_unknown_document_is_one_clear_line(kb):
    result = CliRunner().invoke(app, ["show", "no-such-doc", "--db", kb])
    assert result.exit_code == 2
    assert "no document matches 'no-such-doc'" in result.stderr
    assert "Traceback" not in result.output


def test_cli_bad_database_url_is_one_clear_line(tmp_path):
    result = CliRunner().invoke(app, ["ls", "--db", "nosuchdialect://x"])
    assert result.exit_code == 2
    assert "cannot use database URL" in result.stderr


def test_cli_facts_filters_by_type_region_metric_and_formats(kb):
    rows = json.loads(
        run(
            "facts",
            "--db",
            kb,
            "--type",
            "target",
            "--region",
            "四川",
            "--metric",
            "industry_scale",
            "--json",
        )
    )
    assert {r["region"] for r in rows} <= {"四川省", "四川省成都市"}
    assert 2.5e11 in {r["values"]["value_low"] for r in rows}
    assert all(r["quote"] and r["raw_span"][1] > r["raw_span"][0] for r in rows)
    csv_text = run("facts", "--db", kb, "--type", "funding", "--format", "csv")
    header, *lines = csv_text.strip().splitlines()
    assert header.startswith("id,kind,label,region") and lines
    later = json.loads(
        run(
            "facts",
            "--db",
            kb,
            "--type",
            "policy",
            "--from",
            "2023-09-15",
            "--to",
            "2023-09-30",
            "--json",
        )
    )
    assert later and all("2023-09-15" <= r["date"] <= "2023-09-30" for r in later)


def test_cli_reextract_replaces_facts_without_reingesting(kb):
    before = json.loads(run("facts", "--db", kb, "--json"))
    assert "Re-extracted 5 documents." in run("reextract", "--db", kb)
    after = json.loads(run("facts", "--db", kb, "--json"))
    assert [(r["kind"], r["label"], r["quote"]) for r in after] == [
        (r["kind"], r["label"], r["quote"]) for r in before
    ]
    assert len(json.loads(run("ls", "--db", kb, "--json"))) == 5


def test_cli_eval_prints_scores_and_json(tmp_path):
    from conftest import GOLD

    report = json.loads(run("eval", str(GOLD / "seeds"), "--json"))
    assert set(report) >= {"overall", "fields", "documents"}
    assert set(report["overall"]) == {"policies", "targets", "funding", "deals", "dated_items"}
    assert "precision" in run("eval", str(GOLD / "seeds"))
    result = CliRunner().invoke(app, ["eval", str(tmp_path)])
    assert result.exit_code == 2 and "docs/ and gold/" in result.stderr


def test_cli_bench_reports_every_compared_figure_as_json():
    """A small run of the benchmark: the keys runs are compared on, consistent with each other."""
    report = json.loads(run("bench", "--docs", "12", "--search-sizes", "", "--json"))
    assert report["documents"] == 12 and report["cores"] >= 1
    compared = ("floor_mbps", "jieba_mbps", "pipeline_mbps", "peak_rss_mb", "workers_speedup")
    for key in (*compared, "machine_speedup"):
        assert report[key] > 0, key
    stages = report["stage_mbps"]
    assert {"ingest", "normalize", "segment", "extract", "store", "link"} <= set(stages)
    # The ratios are the figures they name, divided; the pipeline is slower than each stage.
    assert report["pipeline_ratio"] == pytest.approx(
        report["pipeline_mbps"] / report["floor_mbps"], rel=1e-2
    )
    assert report["jieba_ratio"] == pytest.approx(
        report["pipeline_mbps"] / report["jieba_mbps"], rel=1e-2
    )
    assert 0 < report["store_ratio"] < report["pipeline_ratio"]
    assert report["pipeline_mbps"] < min(stages[s] for s in ("normalize", "segment", "extract"))
    assert report["sqlite_docs_per_s"] > report["sqlite_ingest_docs_per_s"] > 0  # store < all
    # One unbroken line at two lengths: the slow-down is the ratio of the two speeds.
    assert report["unbroken_line_mbps"] > 0 and report["unbroken_line_long_mbps"] > 0
    assert report["unbroken_line_slowdown"] == pytest.approx(
        report["unbroken_line_mbps"] / report["unbroken_line_long_mbps"], rel=2e-2
    )
    # The seconds are rounded to milliseconds: the speed-up lies between their bounds' ratios.
    one, two, half = report["workers_1_s"], report["workers_2_s"], 0.0005
    assert (one - half) / (two + half) <= report["workers_speedup"] <= (one + half) / (two - half)
    # Each goal of the issue, against the figure it bounds; search was not measured.
    goals = {goal["name"]: goal for goal in report["goals"]}
    assert not any("search" in name for name in goals)
    ratio = goals["pipeline ÷ floor"]
    assert (ratio["value"], ratio["goal"]) == (report["pipeline_ratio"], "≥ 0.1")
    assert ratio["met"] == (report["pipeline_ratio"] >= 0.10)
    text = goals["pipeline ÷ floor, text documents alone"]
    assert text["value"] == report["text_pipeline_ratio"]
    memory = goals["peak RSS MB (the run, its children included)"]
    assert memory["goal"] == "< 1500" and memory["met"] == (report["peak_rss_mb"] < 1500)


@pytest.mark.parametrize("size", ["nan", "inf", "-inf", "1e400", "0", "-0", "-1"])
def test_cli_ingest_refuses_a_max_size_that_is_not_a_positive_number(tmp_path, size):
    url = f"sqlite:///{tmp_path / 'kb.db'}"
    result = CliRunner().invoke(app, ["ingest", str(CORPUS), "--db", url, f"--max-size={size}"])
    assert result.exit_code == 2, result.output
    message = " ".join(result.output.replace("│", " ").split())  # unwrapped from its box
    assert "Invalid value for '--max-size'" in message and "greater than 0" in message
    assert "internal error" not in message
    assert not (tmp_path / "kb.db").exists()  # refused before any work


def test_cli_ingest_takes_a_fractional_max_size(tmp_path):
    url = f"sqlite:///{tmp_path / 'kb.db'}"
    small = sorted(CORPUS.glob("000_*.txt"))[0]  # 11,000 bytes
    stored = json.loads(run("ingest", str(small), "--db", url, "--max-size", "0.02", "--json"))
    assert [r["status"] for r in stored] == ["stored"]
    result = CliRunner().invoke(app, ["ingest", str(small), "--db", url, "--max-size", "0.01"])
    assert result.exit_code == 1 and "limit" in result.output  # 10,485 bytes: over it
