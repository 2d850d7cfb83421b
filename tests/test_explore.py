"""query / stats / report over small hand-built Parquet tables written with the project's schemas."""

from __future__ import annotations

import base64
import datetime as dt
import json
import re

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from schemas import TABLES
from swe_corpus.cli import main as cli_main
from swe_corpus.explore import collect_stats, funnel_from_manifest
from swe_corpus.rejects import rejection

T0 = dt.datetime(2024, 5, 6, 9, 30, tzinfo=dt.UTC)


def changed(path: str, language: str, is_test: bool = False) -> dict:
    return {
        "path": path,
        "status": "modified",
        "language": language,
        "is_test": is_test,
        "binary": False,
        "additions": 3,
        "deletions": 1,
        "before_blob": "a" * 40,
        "after_blob": "b" * 40,
    }


def pr_row(repo: str, number: int, lines: int, language: str, seed: bool) -> dict:
    return {
        "instance_id": f"{repo.replace('/', '__')}-{number}",
        "repo": repo,
        "number": number,
        "title": f"Fix #{number}",
        "created_at": T0,
        "merged": True,
        "state": "closed",
        "comments": [{"id": 1, "author": "a", "created_at": T0, "body": "lgtm"}],
        "linked_issues": [
            {
                "repo": repo,
                "number": number - 1,
                "link_source": "body",
                "title": "bug",
                "labels": ["bug"],
                "comments": [],
            }
        ],
        "patch": "--- a/x\n+++ b/x\n",
        "changed_files": [changed("src/x", language), changed("tests/t", language, True)],
        "num_changed_files": 2,
        "num_changed_lines": lines,
        "patch_bytes": 40 * lines,
        "is_rl_seed": seed,
        "rl_seed_skip_reason": None if seed else "no_linked_issue",
    }


def seed_row(repo: str, number: int, lines: int, language: str) -> dict:
    return {
        "instance_id": f"{repo.replace('/', '__')}-{number}",
        "repo": repo,
        "pull_number": number,
        "base_commit": "c" * 40,
        "problem_statement": "crash\nsteps\n",
        "patch": "--- a/x\n+++ b/x\n",
        "created_at": T0,
        "code_context": [{"path": "src/x", "content": "x = 1\n"}],
        "oracle_files": [{"path": "src/x", "content": "x = 2\n"}],
        "language": language,
        "num_changed_files": 2,
        "num_changed_lines": lines,
        "context_bytes": 100 * lines,
        "issue_numbers": [number - 1],
    }


ROWS = {
    "events": [
        {
            "event_id": str(i),
            "event_type": "PullRequestEvent",
            "action": "closed",
            "created_at": T0,
            "repo_name": "o/r",
            "number": i,
            "payload_era": "events",
            "source_file": "2024-05-06-9.json.gz",
            "line_number": i,
        }
        for i in range(1, 6)
    ],
    "issues": [
        {
            "issue_id": "o__r-1",
            "repo": "o/r",
            "number": 1,
            "title": "bug",
            "created_at": T0,
            "comments": [{"id": 3, "author": "b", "created_at": T0, "body": "me too"}],
        }
    ],
    "blobs": [
        {"blob_sha": "a" * 40, "size": 6, "content": "x = 1\n"},
        {"blob_sha": "b" * 40, "size": 600, "content": "y" * 600},
    ],
    "pull_requests": [
        pr_row("o/r", 2, 4, "Python", True),
        pr_row("o/r", 4, 40, "Python", True),
        pr_row("go/kv", 8, 12, "Go", True),
        pr_row("go/kv", 9, 300, "Go", False),
    ],
    "rl_seed": [
        seed_row("o/r", 2, 4, "Python"),
        seed_row("o/r", 4, 40, "Python"),
        seed_row("go/kv", 8, 12, "Go"),
    ],
    "rejected": [
        rejection("ingest", "not_json", source_file="h.json.gz", line_number=3, raw=b"{oops"),
        rejection("prs", "unmerged", instance_id="o__r-5", repo="o/r"),
        rejection("prs", "unmerged", instance_id="o__r-6", repo="o/r"),
        rejection("curate", "bot", instance_id="o__r-7", repo="o/r"),
    ],
}
FUNNEL = {
    "ingest": {"in": 8, "kept": 5, "rejected": {"not_json": 1}, "skipped_type": 2},
    "prs": {"in": 6, "kept": 4, "rejected": {"unmerged": 2}},
    "curate": {"in": 5, "kept": 4, "rejected": {"bot": 1}},
    "rl_seed": {"in": 4, "kept": 3, "rejected": {"no_linked_issue": 1}},
}


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    d = tmp_path_factory.mktemp("out")
    for table, rows in ROWS.items():
        (d / table).mkdir()
        pq.write_table(
            pa.Table.from_pylist(rows, schema=TABLES[table]), d / table / "part-00000-of-00001.parquet"
        )
    (d / "manifest.json").write_text(json.dumps({"funnel": FUNNEL}))
    return d


def test_query_formats(out, capsys):
    sql = "select repo, count(*) as n from rl_seed group by 1 order by 1"
    assert cli_main(["query", sql, "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert re.search(r"go/kv\s+\| 1", text) and re.search(r"o/r\s+\| 2", text) and "(2 rows)" in text
    assert cli_main(["query", sql, "--out", str(out), "--format", "csv"]) == 0
    assert capsys.readouterr().out == "repo,n\ngo/kv,1\no/r,2\n"
    assert (
        cli_main(
            [
                "query",
                "select instance_id, code_context, created_at from rl_seed order by 1 limit 1",
                "--out",
                str(out),
                "--format",
                "json",
            ]
        )
        == 0
    )
    got = json.loads(capsys.readouterr().out)
    assert got == [
        {
            "instance_id": "go__kv-8",
            "code_context": [{"path": "src/x", "content": "x = 1\n"}],
            "created_at": "2024-05-06T09:30:00+00:00",
        }
    ]


def test_every_table_is_a_view(out, capsys):
    for table, rows in ROWS.items():
        assert (
            cli_main(["query", f"select count(*) as n from {table}", "--out", str(out), "--format", "csv"])
            == 0
        )
        assert capsys.readouterr().out == f"n\n{len(rows)}\n"


def test_query_errors_are_reported_not_raised(out, tmp_path, capsys):
    assert cli_main(["query", "select nope from rl_seed", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "query failed" in err and "rl_seed" in err
    assert cli_main(["query", "select 1", "--out", str(tmp_path / "empty")]) == 2


def test_stats_from_manifest(out, capsys):
    assert cli_main(["stats", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "funnel (from manifest.json)" in text
    assert re.search(r"ingest\s+8\s+5\s+3\s+yes ", text)  # skipped_type counts in the invariant
    assert re.search(r"Python\s+\| 2", text) and re.search(r"Go\s+\| 1", text)
    assert "sizes: rl_seed" in text and "context_bytes" in text
    s = collect_stats(str(out))
    assert (
        s.sizes["rl_seed"]["num_changed_lines"]["p50"] == 12
        and s.sizes["rl_seed"]["num_changed_lines"]["max"] == 40
    )
    assert dict((r, (p, k)) for r, p, k in s.repos) == {"o/r": (2, 2), "go/kv": (2, 1)}
    assert cli_main(["stats", "--out", str(out), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["tables"]["events"] == 5


def test_stats_without_manifest_uses_tables(out, tmp_path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    (copy / "manifest.json").unlink()
    s = collect_stats(str(copy))
    assert s.funnel_source == "tables"
    by = {r.stage: r for r in s.funnel}
    assert by["prs"].rejected == {"unmerged": 2} and by["ingest"].kept == 5 and by["rl_seed"].kept == 3


def test_funnel_shapes_normalise():
    flat = {"prs:in": 6, "prs:kept": 4, "prs:rejected:unmerged": 2, "ingest:in": 3, "ingest:kept": 3}
    rows = funnel_from_manifest(flat)
    assert (
        [r.stage for r in rows] == ["ingest", "prs"]
        and rows[1].rejected == {"unmerged": 2}
        and rows[1].balanced
    )
    listed = funnel_from_manifest([{"stage": "dedup", "in": 3, "kept": 1, "rejected": {"near_duplicate": 1}}])
    assert listed[0].balanced is False


def test_report_is_one_self_contained_html_with_charts(out, capsys):
    assert cli_main(["report", "--out", str(out)]) == 0
    page = (out / "report.html").read_text()
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    assert len(images) >= 5
    assert all(base64.b64decode(b)[:8] == b"\x89PNG\r\n\x1a\n" for b in images)
    titles = (
        "PR funnel",
        "Event funnel",
        "Why records left each stage",
        "Languages",
        "rl_seed.num_changed_lines",
    )
    for title in titles:
        assert f'alt="{title}' in page
    # shares of each stage's input: prs lost 2 of 6 as unmerged; seeds not chosen are not "rejected"
    assert "unmerged 2 (33.3%)" in page and "no_linked_issue 1 (25.0%)" in page
    assert "<script" not in page and "http" not in page.split("<body>")[1].split("data:image")[0]


def test_documented_queries_run(out):
    from pathlib import Path

    from swe_corpus.explore import connect

    doc = (Path(__file__).resolve().parents[1] / "docs" / "exploring.md").read_text()
    blocks = re.findall(r"```sql\n(.*?)```", doc, re.S)
    assert len(blocks) >= 10
    con = connect(str(out))
    for sql in blocks:
        con.execute(sql).fetchall()


def test_a_value_equal_to_the_command_name_is_kept(out, tmp_path, monkeypatch, capsys):
    """`--out stats` once lost every argument before it: argparse had already consumed the command."""
    (tmp_path / "stats").symlink_to(out)
    monkeypatch.chdir(tmp_path)
    assert cli_main(["stats", "--out", "stats", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)
