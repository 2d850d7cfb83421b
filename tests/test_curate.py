"""End to end: `swe-corpus curate` on hand-built extracted shards, on Beam's real local runner."""

from __future__ import annotations

import argparse
import datetime as dt
import json

import duckdb
import pytest
from helpers.curate_rows import T0, blobs_of, file_blobs, make_pr, write_shards

from pipelines import curate
from schemas import BLOBS, PULL_REQUESTS_CURATED, PULL_REQUESTS_EXTRACTED, REJECTED, RL_SEED
from swe_corpus.decontaminate import DecontaminationConfig, NearCopyConfig
from swe_corpus.dedup import DedupConfig
from swe_corpus.filters import FilterConfig
from swe_corpus.seeds import SeedConfig

REQUESTS_ROOT = "e7615cbc6b4af5985c4e0d4848a426e2d35f79c3"
BENCH_ISSUE = (
    "Method `builtin_str(method)` converts b'GET' into \"b'GET'\" in sessions.py, so a request sent with a "
    "binary method name from neutronclient ends in a 404 Not Found because the method literally becomes the "
    "string b'GET' instead of GET; python 3.4 with requests 2.4.3."
)


def module(name: str, n_funcs: int = 12, tweak: str = "") -> tuple[str, str]:
    """(before, after) of a realistic module whose fix adds a guard to every function."""
    before = "".join(f"def {name}_{i}(value):\n    return value.{name}_{i}()\n\n" for i in range(n_funcs))
    after = "".join(
        f"def {name}_{i}(value):\n    if value is None:\n        return None{tweak if i == 0 else ''}\n    return value.{name}_{i}()\n\n"
        for i in range(n_funcs)
    )
    return before, after


def world() -> tuple[list[dict], list[dict]]:
    """Extracted PRs covering every verdict, and the blobs they reference."""
    texts: dict[str, str] = {}
    prs = []

    def add(pr_files, relevant=None, **kw):
        texts.update({f"{kw.get('repo', 'x')}-{k}": v for k, v in file_blobs(pr_files, relevant).items()})
        prs.append(make_pr(files=pr_files, relevant=relevant, **kw))

    fix = {"lib/parse.py": module("parse")}
    trio_issue = dict(
        issue_title="parse_* crash on None", issue_body="Calling parse_0(None) raises AttributeError."
    )
    add(fix, repo="origin/lib", number=10, created_at=T0, **trio_issue)
    add(
        fix, repo="fork1/lib", number=3, created_at=T0 + dt.timedelta(days=1), **trio_issue
    )  # exact cherry-pick
    near = {"lib/parse.py": module("parse", tweak="  # guard")}
    add(near, repo="fork2/lib", number=8, created_at=T0 + dt.timedelta(days=2), **trio_issue)  # adapted pick
    add(
        {"src/render.py": module("render", 6)},
        repo="acme/ui",
        number=5,  # distinct, becomes a seed
        relevant={"src/theme.py": "COLORS = ['red', 'green']\n"},
    )
    add(
        {"docs/guide.md": ("Old guide\n", "New guide\n")},
        repo="acme/docs",
        number=2,
        languages={"docs/guide.md": "Markdown"},
    )
    add(
        {"a/q.py": module("question", 3)},
        repo="acme/q",
        number=9,
        issue_title="How do I use the API?",
        issue_body="Where are the docs for this?",
    )
    add(
        {"m/dep.py": module("dep", 2)},
        repo="acme/deps",
        number=4,
        user_login="dependabot[bot]",
        user_type="Bot",
    )
    add(
        {"package-lock.json": ('{"lockfileVersion": 1}\n', '{"lockfileVersion": 2}\n')},
        repo="acme/lock",
        number=6,
        languages={"package-lock.json": "JSON"},
    )
    add({"requests/sessions.py": module("session", 4)}, repo="psf/requests", number=2317)
    add({"requests/models.py": module("model", 4)}, repo="psf/requests", number=4000)
    add(
        {"httplib/core.py": module("core", 4)},
        repo="someone/http-lib",
        number=7,
        root_commits=[REQUESTS_ROOT],
    )
    add(
        {"net/http.py": module("http", 4)},
        repo="acme/net",
        number=4,
        issue_title="binary method bug",
        issue_body=BENCH_ISSUE,
    )
    return prs, blobs_of(prs, texts)


def run_curate(tmp_path, name: str, shards: int, *, reverse=False, mode="repo", bench=None, beam_args=()):
    prs, blobs = world()
    src = tmp_path / f"{name}-in"
    write_shards(prs[::-1] if reverse else prs, src / "pull_requests", PULL_REQUESTS_EXTRACTED, shards)
    write_shards(blobs, src / "blobs", BLOBS, shards)
    out = tmp_path / f"{name}-out"
    parser = argparse.ArgumentParser()
    curate.add_arguments(parser)
    argv = ["--prs", str(src), "--out", str(out), "--decontaminate", mode]
    args = parser.parse_args(argv + (["--benchmark-file", str(bench)] if bench else []))
    assert curate.run(args, list(beam_args)) == 0
    return out


@pytest.fixture(scope="module")
def bench_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("bench") / "swebench.jsonl"
    row = {
        "instance_id": "psf__requests-2317",
        "repo": "psf/requests",
        "problem_statement": BENCH_ISSUE,
        "patch": "",
    }
    path.write_text(json.dumps(row) + "\n")
    return path


@pytest.fixture(scope="module")
def runs(tmp_path_factory, bench_file):
    tmp = tmp_path_factory.mktemp("curate")
    one = run_curate(tmp, "one", 1, bench=bench_file)
    three = run_curate(
        tmp,
        "three",
        3,
        reverse=True,
        bench=bench_file,
        beam_args=["--direct_num_workers", "3", "--direct_running_mode", "multi_threading"],
    )
    return one, three


def q(out, table: str, sql: str):
    return duckdb.sql(sql.replace("T", f"read_parquet('{out}/{table}/*.parquet')")).fetchall()


def verdicts(out) -> dict[str, tuple[str, str]]:
    return dict((r[0], (r[1], r[2])) for r in q(out, "rejected", "select instance_id, stage, reason from T"))


def test_every_verdict(runs):
    out, _ = runs
    v = verdicts(out)
    assert v["acme__deps-4"] == ("filter", "bot_user_type")
    assert v["acme__lock-6"] == ("filter", "all_hunks_filtered")
    assert v["psf__requests-2317"] == ("decontaminate", "benchmark_repo")
    assert v["psf__requests-4000"] == ("decontaminate", "benchmark_repo")
    assert v["someone__http-lib-7"] == ("decontaminate", "benchmark_fork")
    assert v["acme__net-4"] == ("decontaminate", "benchmark_near_duplicate")
    assert v["fork1__lib-3"] == ("dedup", "exact_duplicate")
    assert v["fork2__lib-8"] == ("dedup", "near_duplicate")
    kept = dict(
        (r[0], r[1:])
        for r in q(
            out,
            "pull_requests",
            "select instance_id, dedup_cluster, dedup_cluster_size, is_rl_seed, rl_seed_skip_reason, issue_kind, text_language from T",
        )
    )
    assert set(kept) | set(v) == {pr["instance_id"] for pr in world()[0]} and not set(kept) & set(v)
    trio_and_distinct = {"origin__lib-10", "fork1__lib-3", "fork2__lib-8", "acme__ui-5"}
    assert trio_and_distinct & set(kept) == {"origin__lib-10", "acme__ui-5"}  # two kept records
    assert kept["origin__lib-10"][:3] == ("origin__lib-10", 3, True)
    assert kept["acme__ui-5"][:4] == ("acme__ui-5", 1, True, None)
    assert kept["acme__docs-2"][3] == "no_code_change"
    assert kept["acme__q-9"][3:5] == ("not_bug_report", "other")
    assert all(k[5] == "en" for k in kept.values())


def test_dedup_representative_is_independent_of_sharding(runs):
    one, three = runs
    sql = "select instance_id, dedup_cluster, dedup_cluster_size from T order by 1"
    assert q(one, "pull_requests", sql) == q(three, "pull_requests", sql)
    assert verdicts(one) == verdicts(three)
    assert len(list((three / "pull_requests").glob("*.parquet"))) >= 1


def test_rl_seed_rows_are_self_contained(runs):
    out, _ = runs
    rows = q(
        out,
        "rl_seed",
        "select instance_id, code_context, oracle_files, base_commit, language, context_bytes from T order by 1",
    )
    assert [r[0] for r in rows] == ["acme__ui-5", "origin__lib-10"]
    ui = rows[0]
    assert [c["path"] for c in ui[1]] == ["src/render.py", "src/theme.py"]
    assert "if value is None" in ui[2][0]["content"] and "if value is None" not in ui[1][0]["content"]
    assert ui[4] == "Python" and ui[5] == sum(len(c["content"]) for c in ui[1])


def test_funnel_adds_up_and_matches_rejected_table(runs):
    out, _ = runs
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["funnel_ok"] and manifest["funnel_errors"] == []
    f = manifest["funnel"]
    assert list(f)[:4] == ["filter", "decontaminate", "dedup", "rl_seed"]
    for stage, e in f.items():
        assert e["in"] == e["kept"] + sum(e["rejected"].values()), stage
    assert f["filter"]["in"] == 12 and f["rl_seed"]["kept"] == 2
    assert f["filter"]["kept"] == f["decontaminate"]["in"] and f["dedup"]["kept"] == f["rl_seed"]["in"]
    table = {
        (s, r): n for s, r, n in q(out, "rejected", "select stage, reason, count(*) from T group by all")
    }
    counted = {(s, r): n for s in ("filter", "decontaminate", "dedup") for r, n in f[s]["rejected"].items()}
    assert table == counted
    assert manifest["config"]["decontamination"]["mode"] == "repo" and manifest["toolkit_version"]
    assert manifest["inputs"]["benchmark_file"]["sha256"]


def test_tables_read_back_with_their_schemas(runs):
    out, _ = runs
    import pyarrow.parquet as pq

    for table, schema in (
        ("pull_requests", PULL_REQUESTS_CURATED),
        ("rl_seed", RL_SEED),
        ("rejected", REJECTED),
    ):
        assert q(out, table, "select count(*) from T")[0][0] > 0
        for path in (out / table).glob("*.parquet"):
            assert pq.read_schema(path).names == schema.names


def test_dataset_card_loads_with_datasets(runs, tmp_path, monkeypatch):
    datasets = pytest.importorskip("datasets")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    out, _ = runs
    card = (out / "README.md").read_text()
    assert card.startswith("---\nconfigs:") and "rl_seed/*.parquet" in card
    by_dir = datasets.load_dataset("parquet", data_dir=str(out / "rl_seed"), cache_dir=str(tmp_path / "a"))
    assert by_dir["train"].num_rows == 2
    by_card = datasets.load_dataset(str(out), cache_dir=str(tmp_path / "b"))
    assert sorted(by_card["train"]["instance_id"]) == ["acme__ui-5", "origin__lib-10"]


def test_pr_mode_rejects_exactly_the_benchmark_prs(tmp_path):
    out = run_curate(tmp_path, "pr", 2, mode="pr")
    rows = q(out, "rejected", "select instance_id, reason from T where stage = 'decontaminate'")
    assert rows == [("psf__requests-2317", "benchmark_pr")]


def test_cli_flags_map_like_the_corpus_section():
    parser = argparse.ArgumentParser()
    curate.add_arguments(parser)
    defaults = curate.config_from_args(parser.parse_args(["--prs", "p", "--out", "o"]))
    assert defaults == curate.CurateConfig()
    flags = "--decontaminate pr --benchmark-file b.jsonl --benchmark-threshold 0.6 --text-languages en fr"
    flags += " --min-text-language-score 0.4 --lid-model m.bin --max-changed-files 7 --max-changed-lines 70"
    flags += " --max-patch-bytes 700 --dedup-num-perm 64 --dedup-bands 8 --dedup-rows 8 --dedup-ngram 3"
    flags += " --dedup-threshold 0.8"
    flags += " --max-context-bytes 900"
    c = curate.config_from_args(parser.parse_args(["--prs", "p", "--out", "o", *flags.split()]))
    assert c.filters == FilterConfig(
        languages=("en", "fr"),
        min_language_score=0.4,
        lid_model_path="m.bin",
        max_changed_files=7,
        max_changed_lines=70,
        max_patch_bytes=700,
    )
    assert c.decontamination == DecontaminationConfig("pr", "b.jsonl", NearCopyConfig(threshold=0.6))
    assert c.dedup == DedupConfig(num_perm=64, bands=8, rows=8, ngram=3, threshold=0.8)
    assert c.seeds == SeedConfig(max_context_bytes=900)


def test_benchmark_file_is_read_when_the_pipeline_is_built(tmp_path, bench_file):
    """Workers (Dataflow) cannot open a launcher path: the export travels with the DoFn, so the file may
    be gone by the time the pipeline runs."""
    import apache_beam as beam
    from apache_beam.testing.util import assert_that, equal_to

    from pipelines.common import make_pipeline

    path = tmp_path / "bench.jsonl"
    path.write_text(bench_file.read_text())
    config = curate.CurateConfig(decontamination=DecontaminationConfig(benchmark_file=str(path)))
    copy = make_pr("acme/net", 4, issue_title="binary method bug", issue_body=BENCH_ISSUE)
    p = make_pipeline([])
    inputs = {"pull_requests": p | "PRs" >> beam.Create([copy]), "blobs": p | "Blobs" >> beam.Create([])}
    out = inputs | curate.Curate(config)
    path.unlink()
    reasons = out["rejected"] | beam.Map(lambda r: (r["instance_id"], r["reason"]))
    assert_that(reasons, equal_to([("acme__net-4", "benchmark_near_duplicate")]))
    p.run().wait_until_finish()
