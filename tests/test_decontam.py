import csv
import json

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from helpers.curate_rows import make_pr

from swe_corpus.decontaminate import (
    BenchmarkIndex,
    BenchmarkNearCopies,
    BenchmarkTask,
    DecontaminationConfig,
    Decontaminator,
    NearCopyConfig,
    read_benchmark_file,
)
from swe_corpus.dedup import shingle_hashes

REQUESTS_ROOT = "e7615cbc6b4af5985c4e0d4848a426e2d35f79c3"
REQUESTS_2317_BASE = "091991be0da19de9108dbe5e3752917fea3d7fdc"
ISSUE = (
    "Method `builtin_str(method)` converts b'GET' into \"b'GET'\" in sessions.py, so a request sent with a "
    "binary method name from neutronclient ends in a 404 Not Found because the method literally becomes the "
    "string b'GET' instead of GET; python 3.4 with requests 2.4.3."
)
BENCH_PATCH = "diff --git a/requests/sessions.py b/requests/sessions.py\n-        method = builtin_str(method)\n+        method = to_native_string(method)\n"


def decide(mode: str, pr: dict, benchmark_file: str | None = None):
    return Decontaminator(DecontaminationConfig(mode=mode, benchmark_file=benchmark_file))(pr)


def test_packaged_index_matches_shared_benchmark_lists(shared_data):
    idx = BenchmarkIndex.packaged()
    assert len(idx.repos) == 12 and "psf/requests" in idx.repos
    bench = shared_data / "benchmarks"
    for name in ("swebench_verified.csv", "swebench_lite.csv"):
        for r in csv.DictReader(open(bench / name)):
            assert idx.instances[(r["repo"], int(r["pull_number"]))] == r["instance_id"]
            assert r["base_commit"] in idx.base_commits
    for r in csv.DictReader(open(bench / "swebench_repo_root_commits.csv")):
        assert idx.root_commits[r["root_commit"]] == r["repo"]


def test_repo_mode_rejects_every_benchmark_repo_pr_and_keeps_others():
    for n in (1, 2317, 99999):
        v = decide("repo", make_pr("psf/requests", n))
        assert v.reason == "benchmark_repo" and "psf/requests" in v.detail
    assert (
        decide("repo", make_pr("Django/Django", 5)).reason == "benchmark_repo"
    )  # names are case-insensitive
    assert decide("repo", make_pr("acme/widgets", 1)) is None
    assert decide("none", make_pr("psf/requests", 2317)) is None


def test_forks_and_renamed_copies_are_recognised_by_history():
    fork = make_pr("someone/http-lib", 7, root_commits=["0" * 40, REQUESTS_ROOT])
    v = decide("repo", fork)
    assert v.reason == "benchmark_fork" and "psf/requests" in v.detail and "root commit" in v.detail
    by_base = make_pr("mirror/reqs", 3, commits=["1" * 40, REQUESTS_2317_BASE])
    assert decide("repo", by_base).reason == "benchmark_fork"
    unrelated = make_pr("someone/other", 7, root_commits=["f" * 40])
    assert decide("repo", unrelated) is None


def test_pr_mode_rejects_exactly_benchmark_prs():
    assert decide("pr", make_pr("psf/requests", 2317)).reason == "benchmark_pr"
    assert decide("pr", make_pr("psf/requests", 2318)) is None  # same repo, not a benchmark PR
    fork_pr = make_pr("someone/http-lib", 2317, root_commits=[REQUESTS_ROOT])
    assert decide("pr", fork_pr).reason == "benchmark_pr"
    same_base = make_pr("renamed/requests-copy", 12, base_commit=REQUESTS_2317_BASE)
    assert decide("pr", same_base).reason in ("benchmark_pr", "benchmark_base_commit")
    assert decide("pr", make_pr("someone/http-lib", 12, root_commits=[REQUESTS_ROOT])) is None


@pytest.fixture(scope="module")
def benchmark_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("bench")
    rows = [
        {
            "instance_id": "psf__requests-2317",
            "repo": "psf/requests",
            "problem_statement": ISSUE,
            "patch": BENCH_PATCH,
        },
        {"instance_id": "x__y-1", "repo": "x/y", "problem_statement": "", "patch": ""},
    ]
    jsonl = d / "bench.jsonl"
    jsonl.write_text("".join(json.dumps(r) + "\n" for r in rows))
    parquet = d / "bench.parquet"
    pq.write_table(pa.Table.from_pylist(rows), parquet)
    return jsonl, parquet


def test_benchmark_export_near_copies_are_rejected(benchmark_files):
    for path in benchmark_files:
        assert [t.instance_id for t in read_benchmark_file(str(path))] == ["psf__requests-2317", "x__y-1"]
        copy = make_pr("acme/net", 4, issue_title="binary method bug", issue_body=ISSUE + " Any idea?")
        v = decide("repo", copy, str(path))
        assert v.reason == "benchmark_near_duplicate" and "psf__requests-2317" in v.detail
        assert decide("pr", copy, str(path)).reason == "benchmark_near_duplicate"
        assert decide("repo", make_pr("acme/net", 5), str(path)) is None
        assert decide("none", copy, str(path)) is None


def test_bad_benchmark_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"instance_id": "a"}\nnot json\n')
    with pytest.raises(ValueError, match="bad.jsonl:2"):
        read_benchmark_file(str(bad))
    with pytest.raises(ValueError, match="--decontaminate"):
        DecontaminationConfig(mode="everything")


def test_near_copies_just_above_the_threshold_are_all_caught():
    """The exact Jaccard only sees LSH candidates: bands tuned at the threshold (datasketch's 25 x 5 for
    0.5, the old default) let ~30% of these through. 200 copies planted at exact Jaccard 0.5-0.75."""
    rng = np.random.default_rng(0)
    tasks, copies = [], []
    for i in range(200):
        words = [f"t{i}w{k}" for k in range(104)]  # distinct tokens: 100 distinct 5-grams
        extra = [f"x{i}n{k}" for k in range(int(rng.integers(34, 101)))]  # J = 100 / (100 + len(extra))
        tasks.append(BenchmarkTask(f"b__t-{i}", "b/t", " ".join(words), ""))
        copies.append(" ".join(words + extra))
    near = BenchmarkNearCopies(tasks, NearCopyConfig())
    threshold = near.config.threshold
    for task, copy in zip(tasks, copies, strict=True):
        a, b = (set(shingle_hashes(t, 5).tolist()) for t in (task.problem_statement, copy))
        assert threshold <= len(a & b) / len(a | b) <= 0.75
    missed = [
        t.instance_id for t, c in zip(tasks, copies, strict=True) if not near.match({"problem_statement": c})
    ]
    assert missed == []


def test_near_copy_ties_go_to_the_smallest_key(monkeypatch):
    """MinHashLSH.query returns a set's order (hash-randomised across processes): ties must not depend
    on it, or `detail` differs between runs."""
    tasks = [BenchmarkTask(iid, "x/y", ISSUE, "") for iid in ("b__t-2", "a__t-1", "c__t-3")]
    near = BenchmarkNearCopies(tasks)
    query = near.lsh.query
    for order in (sorted, lambda keys: sorted(keys, reverse=True)):
        monkeypatch.setattr(near.lsh, "query", lambda sig, order=order: order(query(sig)))
        assert "of a__t-1 " in near.match({"problem_statement": ISSUE}).detail
