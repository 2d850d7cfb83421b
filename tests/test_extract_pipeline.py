"""`swe-corpus extract` end to end on Beam's local runner; outputs read back with DuckDB."""

from __future__ import annotations

import argparse

import apache_beam as beam
import duckdb
import pyarrow.parquet as pq
import pytest
from apache_beam.pvalue import TaggedOutput
from apache_beam.testing.util import assert_that, equal_to
from helpers.extract_world import REPO, build_world, pr_row

import pipelines.extract as extract_pipeline
import schemas.tables as schemas
import swe_corpus.extract as extract_lib
from pipelines.common import counters, rows_to_table
from pipelines.extract import add_arguments, config_from_args, run_pipeline
from swe_corpus.config import CorpusConfig
from swe_corpus.extract import ExtractConfig
from swe_corpus.git_mirror import MirrorConfig
from swe_corpus.rejects import Rejection


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    w = build_world(tmp_path_factory.mktemp("pipe"))
    rows = list(w["prs"].values())
    rows.append(pr_row(6, "a" * 40, "b" * 40, None, repo="acme/missing", instance_id="acme__missing-6"))
    rows.append(pr_row(7, "a" * 40, "b" * 40, None, repo="evil/..", instance_id="evil__..-7"))
    (w["root"] / "in" / "pull_requests").mkdir(parents=True)
    pq.write_table(
        rows_to_table(rows, schemas.PULL_REQUESTS), w["root"] / "in" / "pull_requests" / "part-0.parquet"
    )
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    out = w["root"] / "out"
    args = parser.parse_args(
        [
            "--prs", str(w["root"] / "in"),
            "--out", str(out),
            "--git-url-template", f"file://{w['root']}/serve/{{repo}}.git",
            "--git-cache-dir", str(w["root"] / "cache"),
            "--max-file-bytes", "4000",
        ]
    )  # fmt: skip
    result = run_pipeline(args, [])
    return w, out, counters(result, "funnel")


def q(out, sql: str):
    con = duckdb.connect()
    for t in ("pull_requests", "blobs", "rejected"):
        con.execute(f"CREATE VIEW {t} AS SELECT * FROM read_parquet('{out}/{t}/*.parquet')")
    return con.execute(sql).fetchall()


def test_funnel_and_rejections(outputs):
    _w, out, funnel = outputs
    assert funnel["extract:in"] == 8 and funnel["extract:kept"] == 5
    assert funnel["extract:in"] == funnel["extract:kept"] + sum(
        v for k, v in funnel.items() if ":rejected:" in k
    )
    assert sorted(q(out, "SELECT instance_id, reason, stage FROM rejected")) == [
        ("acme__missing-6", "repo_not_found", "extract"),
        ("acme__widgets-5", "commits_unreachable", "extract"),
        ("evil__..-7", "invalid_repo_name", "extract"),
    ]


def test_blobs_unique_and_every_reference_resolves(outputs):
    _w, out, _ = outputs
    assert q(out, "SELECT count(*) = count(DISTINCT blob_sha) FROM blobs") == [(True,)]
    missing = q(
        out,
        """
        WITH refs AS (
          SELECT unnest(changed_files) AS f FROM pull_requests
        ), shas AS (
          SELECT f.before_blob AS sha FROM refs WHERE f.content_omitted IS NULL AND f.before_blob IS NOT NULL
          UNION SELECT f.after_blob FROM refs WHERE f.content_omitted IS NULL AND f.after_blob IS NOT NULL
          UNION SELECT unnest(relevant_files).blob_sha FROM pull_requests
        )
        SELECT count(*) FROM shas WHERE sha NOT IN (SELECT blob_sha FROM blobs)
        """,
    )
    assert missing == [(0,)]
    rows = q(
        out,
        "SELECT number, extraction_method, len(commits), relevant_predictor FROM pull_requests ORDER BY number",
    )
    assert [r[:2] for r in rows] == [
        (1, "merge_base"),
        (2, "merge_commit_first_parent"),
        (3, "pr_commits"),
        (4, "merge_base"),
        (8, "merge_base"),
    ]
    assert all(r[3] == "local" for r in rows)
    assert q(out, "SELECT count(*) FROM blobs WHERE strlen(content) <> size") == [(0,)]


def test_a_failing_relink_rejects_only_its_pr(tmp_path, monkeypatch):
    w = build_world(tmp_path)
    mirror = MirrorConfig(
        cache_dir=str(tmp_path / "cache"), url_template=f"file://{w['root']}/serve/{{repo}}.git"
    )
    relink = extract_lib.relink_commit_messages

    def relink_or_fail(row):
        if row["number"] == 2:
            raise ValueError("cannot link commit messages")
        return relink(row)

    monkeypatch.setattr(extract_lib, "relink_commit_messages", relink_or_fail)
    fn = extract_pipeline.ExtractRepositoryFn(ExtractConfig(mirror=mirror, relevant="none"))
    fn.setup()
    out = list(fn.process((REPO, [w["prs"][n] for n in (1, 2, 3)])))
    rejected = [o.value for o in out if isinstance(o, TaggedOutput) and o.tag == "rejected"]
    assert [o["number"] for o in out if not isinstance(o, TaggedOutput)] == [1, 3]
    assert [(r["instance_id"], r["reason"]) for r in rejected] == [("acme__widgets-2", "extract_error")]
    assert rejected[0]["detail"] == "ValueError: cannot link commit messages"


def test_any_value_keeps_one_row_per_blob():
    rows = [("s1", {"blob_sha": "s1"}), ("s2", {"blob_sha": "s2"}), ("s1", {"blob_sha": "s1"})]
    with beam.Pipeline() as p:
        out = p | beam.Create(rows) | beam.CombinePerKey(extract_pipeline.AnyValue()) | beam.Values()
        assert_that(out, equal_to([{"blob_sha": "s1"}, {"blob_sha": "s2"}]))
    fn = extract_pipeline.AnyValue()
    assert fn.merge_accumulators([fn.create_accumulator(), {"blob_sha": "s1"}]) == {"blob_sha": "s1"}


def test_a_failing_repository_rejects_the_rest_with_a_redacted_detail(monkeypatch):
    prs = [pr_row(1, "a" * 40, "b" * 40, None), pr_row(2, "a" * 40, "b" * 40, None)]

    def broken(repo, rows, *args):
        yield "rejected", Rejection("extract", "repo_not_found").of(rows[0])
        raise RuntimeError("fetch https://user:s3cret@example.com/x.git failed")

    monkeypatch.setattr(extract_pipeline, "extract_repo", broken)
    out = [o.value for o in extract_pipeline.ExtractRepositoryFn(ExtractConfig()).process((REPO, prs))]
    assert [(r["instance_id"], r["reason"]) for r in out] == [
        ("acme__widgets-1", "repo_not_found"),
        ("acme__widgets-2", "extract_error"),
    ]
    assert out[1]["detail"] == "RuntimeError: fetch https://***@example.com/x.git failed"


def test_cli_defaults_are_the_config_defaults():
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(["--prs", "p", "--out", "o"])
    assert config_from_args(args) == extract_pipeline.config_from_corpus(CorpusConfig().extract)
