"""The four stage commands run one after another give the tables of `swe-corpus corpus`, with the same
option names and the corpus command's caches (one vocabulary, issue 15)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from swe_corpus.cli import main as cli
from swe_corpus.demo import generate


def rows(paths: list[Path], table: str) -> list[tuple]:
    """Every row of `table` over one or more outputs, as comparable tuples in a canonical order."""
    out = []
    for path in paths:
        if list((path / table).glob("*.parquet")):
            rel = duckdb.sql(f"select * from read_parquet('{path}/{table}/*.parquet')")
            out += [tuple(map(repr, r)) for r in rel.fetchall()]
    return sorted(out)


def test_ingest_prs_extract_curate_in_a_row_equal_corpus(tmp_path):
    world = generate(tmp_path / "world")
    common = ["--hours", world["hours"], "--gharchive-url", world["gharchive_url"]]
    common += ["--git-url-template", world["git_url_template"]]
    caches = [
        "--cache-dir",
        str(tmp_path / "cache" / "gh"),
        "--git-cache-dir",
        str(tmp_path / "cache" / "git"),
    ]
    assert cli(["corpus", *common, *caches, "--out", str(tmp_path / "corpus")]) == 0
    s = {name: tmp_path / name for name in ("ingest", "prs", "extract", "curate")}
    ingest_flags = [*common[:4], "--cache-dir", caches[1]]
    assert cli(["ingest", *ingest_flags, "--out", str(s["ingest"])]) == 0
    assert cli(["prs", "--events", str(s["ingest"]), "--out", str(s["prs"])]) == 0
    extract_flags = ["--git-url-template", world["git_url_template"], "--git-cache-dir", caches[3]]
    assert cli(["extract", "--prs", str(s["prs"]), *extract_flags, "--out", str(s["extract"])]) == 0
    assert cli(["curate", "--prs", str(s["extract"]), "--out", str(s["curate"])]) == 0
    corpus = tmp_path / "corpus"
    assert rows([s["ingest"]], "events") == rows([corpus], "events")
    assert rows([s["prs"]], "issues") == rows([corpus], "issues")
    assert rows([s["extract"]], "blobs") == rows([corpus], "blobs")
    assert rows([s["curate"]], "pull_requests") == rows([corpus], "pull_requests")
    assert rows([s["curate"]], "rl_seed") == rows([corpus], "rl_seed") != []
    assert rows(list(s.values()), "rejected") == rows([corpus], "rejected")
