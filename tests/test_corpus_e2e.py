"""End to end: the offline demo world through `swe-corpus corpus` (the entry point of `make corpus`).

One single-process and one multi-process run over the same world must give the same tables, and the
funnel must match what the world generator says it planted: bots, the duplicate, the benchmark-named
repository, unmerged PRs and damaged lines rejected with the right reasons; linked-issue fixes in
`rl_seed` with their context and oracle files.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from helpers.corpus import corpus_args
from helpers.tables import comparable_rows as rows

from swe_corpus import explore
from swe_corpus.cli import main as cli

# curate is one stage in the world's manifest; the pipeline records its three steps separately
CURATE_STEPS = {"filter", "decontaminate", "dedup"}
TABLES = ("events", "issues", "pull_requests", "blobs", "rl_seed", "rejected")


def run_corpus(world_dir: Path, cache: Path, out: Path, *extra: str) -> int:
    return cli(corpus_args(out, cache, "--demo-dir", str(world_dir), *extra))


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("corpus")
    world_dir, cache = root / "world", root / "cache"
    single, multi = root / "single", root / "multi"
    assert run_corpus(world_dir, cache, single) == 0
    assert (
        run_corpus(
            world_dir, cache, multi, "--direct_num_workers", "2", "--direct_running_mode", "multi_processing"
        )
        == 0
    )
    world = json.loads((world_dir / "world.json").read_text())
    return {
        "root": root,
        "world_dir": world_dir,
        "cache": cache,
        "single": single,
        "multi": multi,
        "world": world,
    }


def test_every_table_written_and_readable(runs):
    for table in TABLES:
        assert list((runs["single"] / table).glob("*.parquet")), table
    manifest = json.loads((runs["single"] / "manifest.json").read_text())
    assert manifest["funnel_ok"], manifest["funnel_errors"]
    for stage in ("ingest", "prs", "extract", "filter", "decontaminate", "dedup", "rl_seed"):
        f = manifest["funnel"][stage]
        assert f["in"] == f["kept"] + sum(f["rejected"].values()), stage
    card = (runs["single"] / "README.md").read_text()
    assert card.startswith("---\nconfigs:")
    assert f"--decontaminate {manifest['config']['curate']['decontaminate']}`" in card


def test_single_and_multi_process_give_the_same_tables(runs):
    for table in TABLES:
        assert rows(runs["single"], table) == rows(runs["multi"], table), table


def test_rl_seeds_are_the_planted_fixes_with_context(runs):
    world, out = runs["world"], runs["single"]
    seeds = duckdb.sql(f"select * from read_parquet('{out}/rl_seed/*.parquet')").fetchall()
    cols = [
        d[0] for d in duckdb.sql(f"select * from read_parquet('{out}/rl_seed/*.parquet') limit 0").description
    ]
    seeds = {r[cols.index("instance_id")]: dict(zip(cols, r, strict=True)) for r in seeds}
    assert set(seeds) == set(world["expected"]["rl_seed"])
    planted = {p["instance_id"]: p for p in world["prs"]}
    for iid, seed in seeds.items():
        pr = planted[iid]
        assert seed["problem_statement"].strip() and seed["patch"].startswith("diff --git")
        context = [c["path"] for c in seed["code_context"]]
        oracle = {o["path"] for o in seed["oracle_files"]}
        changed_code = {p for p in pr["changed_files"] if p in oracle}
        assert changed_code, iid
        assert oracle <= set(pr["changed_files"]), iid
        # changed files come first, then relevant unchanged files; the planted helper is found
        assert set(context[: len(oracle)]) == oracle, iid
        for rel in pr["relevant_files"]:
            assert rel in context, (iid, rel, context)
        assert seed["base_commit"] and len(seed["base_commit"]) == 40


def test_rejections_have_the_planted_reasons(runs):
    world, out = runs["world"], runs["single"]
    got = {}
    for stage, reason, iid in duckdb.sql(
        f"select stage, reason, instance_id from read_parquet('{out}/rejected/*.parquet') where instance_id is not null"
    ).fetchall():
        got.setdefault(iid, []).append((stage, reason))
    for iid, want in world["expected"]["rejected"].items():
        assert iid in got, f"{iid} not rejected"
        stage, reason = got[iid][0]
        stages = CURATE_STEPS if want["stage"] == "curate" else {want["stage"]}
        assert stage in stages and reason in want["reasons"], (iid, got[iid], want)
    kept = {
        r[0]
        for r in duckdb.sql(
            f"select instance_id from read_parquet('{out}/pull_requests/*.parquet')"
        ).fetchall()
    }
    assert kept == set(world["expected"]["rl_seed"]) | set(world["expected"]["pull_requests_not_seed"])


def test_damaged_lines_are_recorded(runs):
    out = runs["single"]
    ingest_rejects = duckdb.sql(
        f"select source_file, line_number, reason from read_parquet('{out}/rejected/*.parquet') where stage = 'ingest'"
    ).fetchall()
    for damaged in runs["world"]["damaged_lines"]:
        if damaged["kind"] == "not_json":
            assert (damaged["source_file"], damaged["line_number"], "not_json") in ingest_rejects
    # the duplicated event reached ingest twice but counts once in its PR
    dup = next(d for d in runs["world"]["damaged_lines"] if d["kind"] == "duplicate_event")
    n = duckdb.sql(
        f"select count(*) from read_parquet('{out}/events/*.parquet') where event_id = '{dup['event_ids'][0]}'"
    ).fetchall()[0][0]
    assert n == 2


def test_query_stats_and_report_on_the_output(runs, capsys):
    out = runs["single"]
    assert cli(["query", "--out", str(out), "--format", "json", "select count(*) as n from rl_seed"]) == 0
    assert json.loads(capsys.readouterr().out) == [{"n": len(runs["world"]["expected"]["rl_seed"])}]
    assert cli(["stats", "--out", str(out)]) == 0
    assert "rl_seed" in capsys.readouterr().out
    report = out / "report.html"
    assert report.is_file() and report.read_text().count("data:image/png;base64,") >= 3


def test_rerun_refuses_existing_out_and_overwrite_gives_identical_rows(runs, capsys):
    out = runs["single"]
    capsys.readouterr()
    assert run_corpus(runs["world_dir"], runs["cache"], out) == 2
    (err,) = capsys.readouterr().err.splitlines()
    assert err.startswith(f"swe-corpus corpus: {out} already holds a run") and "--overwrite" in err
    before = {t: rows(out, t) for t in TABLES}
    assert run_corpus(runs["world_dir"], runs["cache"], out, "--overwrite") == 0
    assert {t: rows(out, t) for t in TABLES} == before
    assert explore.table_paths(str(out)).keys() >= set(TABLES)


def test_bad_hours_are_refused_before_overwrite_clears_anything(runs, capsys):
    out = runs["single"]
    before = {t: rows(out, t) for t in TABLES}
    manifest = (out / "manifest.json").read_text()
    assert run_corpus(runs["world_dir"], runs["cache"], out, "--overwrite", "--hours", "2015-13-01") == 2
    assert "[ingest] hours: month must be in 1..12" in capsys.readouterr().err
    assert {t: rows(out, t) for t in TABLES} == before and (out / "manifest.json").read_text() == manifest
