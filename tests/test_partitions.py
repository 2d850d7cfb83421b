"""Repository partitions (swe_corpus.partitions) and the staged corpus run that uses them: a partition
holds every event a PR or issue join needs, so a run in several partitions equals a run in one."""

from __future__ import annotations

import json

import pyarrow as pa
import pytest
from helpers.events import comment, event, events_table, pr_event
from helpers.tables import comparable_rows as rows

from schemas import TABLES
from swe_corpus.cli import main as cli
from swe_corpus.demo import generate
from swe_corpus.partitions import BASE_BYTES, BYTES_PER_EVENT, RepositoryGraph, partition_count


def plan_of(rows_: list[dict], partitions: int):
    graph = RepositoryGraph()
    graph.add(events_table(rows_))
    return graph.plan(partitions)


def partition_of(plan, table: pa.Table) -> dict[str, set[int]]:
    """repository name -> the partitions its rows went to."""
    where: dict[str, set[int]] = {}
    for k, part in plan.split(table).items():
        for name in part["repo_name"].to_pylist():
            where.setdefault(name, set()).add(k)
    return where


def test_a_cross_repository_link_keeps_both_repositories_in_one_partition():
    rows_ = [
        pr_event(1, 0, "opened", repo="app/web", repo_id=1, body="Fixes lib/core#5"),
        event("IssuesEvent", 5, 1, repo="lib/core", repo_id=2, action="opened", title="bug"),
        *[pr_event(n, n, "opened", repo=f"other/r{n}", repo_id=100 + n, body="no link") for n in range(8)],
    ]
    plan = plan_of(rows_, 4)
    where = partition_of(plan, events_table(rows_))
    assert where["app/web"] == where["lib/core"] and len(where["app/web"]) == 1
    assert plan.count == 4 and sum(plan.events) == len(rows_)


def test_a_link_to_a_repository_seen_later_and_in_other_case_still_joins():
    rows_ = [
        pr_event(
            1, 0, "opened", repo="app/web", repo_id=1, body="fixes https://github.com/LIB/Core/issues/5"
        ),
        pr_event(2, 0, "opened", repo="solo/x", repo_id=3, body="Fixes #1"),
    ]
    graph = RepositoryGraph()
    graph.add(events_table(rows_))
    graph.add(events_table([event("IssuesEvent", 5, 1, repo="lib/core", repo_id=2, action="opened")]))
    plan = graph.plan(3)
    assert plan.of_node[1] == plan.of_node[2] != plan.of_node[3]


def test_groups_sharing_a_name_stay_together_renames_and_timeline_rows():
    rows_ = [
        # a repository renamed in the window: one id, two names, one group
        pr_event(1, 0, "opened", repo="old/name", repo_id=7),
        pr_event(1, 5, "closed", repo="new/name", repo_id=7, merged=True),
        # Timeline-era rows (no id) and later rows (an id) of one repository: two groups, one name
        comment(4, 0, "hi", 11, on_pr=False, repo="t/line", repo_id=None),
        comment(4, 9, "hello", 12, on_pr=False, repo="T/Line", repo_id=8),
        # an unrelated repository now holding the renamed one's old name
        pr_event(2, 3, "opened", repo="old/name", repo_id=9),
        *[pr_event(n, n, "opened", repo=f"filler/r{n}", repo_id=200 + n) for n in range(6)],
    ]
    plan = plan_of(rows_, 5)
    where = partition_of(plan, events_table(rows_))
    assert len(where["old/name"] | where["new/name"]) == 1
    assert where["t/line"] == where["T/Line"]


def test_split_puts_every_pr_and_issue_event_in_exactly_one_partition_and_drops_the_rest():
    rows_ = [pr_event(n, n, "opened", repo=f"o/r{n % 5}", repo_id=n % 5) for n in range(40)]
    rows_ += [event("ForkEvent", None, 1, repo="o/r1", repo_id=1)]
    rows_ += [event("IssueCommentEvent", None, 2, repo="o/r2", repo_id=2)]  # no number: still the PR stage's
    table = events_table(rows_)
    plan = plan_of(rows_, 3)
    parts = plan.split(table)
    ids = sorted(i for part in parts.values() for i in part["event_id"].to_pylist())
    assert ids == sorted(r["event_id"] for r in rows_ if r["event_type"] != "ForkEvent")
    assert sorted(plan.events) == [9, 16, 16]  # whole repositories (8, 8, 9, 8, 8), largest first
    assert plan_of(rows_, 3).of_node == plan.of_node  # deterministic


def test_partition_count_follows_the_memory_budget():
    assert partition_count(0, 4) == 1
    assert partition_count(1000, 4) == 1
    per_gb = (2**30 - BASE_BYTES) // BYTES_PER_EVENT
    assert partition_count(per_gb * 3, 1) == 3
    assert partition_count(per_gb * 3 + 1, 1) == 4


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("partitions")
    generate(root / "world")
    return root


def run(world, name: str, *extra: str):
    out = world / name
    args = ["corpus", "--demo-dir", str(world / "world"), "--out", str(out)]
    args += ["--git-cache-dir", str(world / "git"), "--cache-dir", str(world / "gharchive"), *extra]
    assert cli(args) == 0
    return out, json.loads((out / "manifest.json").read_text())


def test_a_corpus_run_in_several_partitions_equals_a_run_in_one(world):
    one, one_manifest = run(world, "one", "--partitions", "1")
    three, three_manifest = run(world, "three", "--partitions", "3")
    assert one_manifest["partitions"]["count"] == 1
    assert three_manifest["partitions"]["count"] == 3
    for table in TABLES:
        assert rows(one, table) == rows(three, table), table
    assert one_manifest["funnel"] == three_manifest["funnel"]
    assert not (three / ".work" / "parts").exists()  # scratch removed; the resumable units stay


@pytest.mark.parametrize(
    "link",
    [
        "Fixes lib/core#5",
        "fixes https://github.com/LIB/Core/issues/5",
        "Fixes lib/core#\uff15",  # a full-width digit: Python's \d takes it
        "Fixes lib/\u212aey#5",  # a Kelvin sign: re.I matches it to k
    ],
)
def test_every_cross_repository_link_the_finder_accepts_reaches_the_graph(link):
    target = "lib/key" if "\u212a" in link else "lib/core"
    rows_ = [
        pr_event(1, 0, "opened", repo="app/web", repo_id=1, body=link),
        event("IssuesEvent", 5, 1, repo=target, repo_id=2, action="opened"),
        *[pr_event(n, n, "opened", repo=f"other/r{n}", repo_id=100 + n, body="x") for n in range(6)],
    ]
    plan = plan_of(rows_, 4)
    assert plan.of_node[1] == plan.of_node[2]


def test_names_without_an_id_are_lower_cased_as_the_pr_stage_does():
    rows_ = [
        comment(4, 0, "hi", 11, on_pr=False, repo="ΑΣ/ΟΣ", repo_id=None),  # Arrow and Python differ on Σ
        comment(4, 1, "hi", 12, on_pr=False, repo="ασ/οσ", repo_id=None),
        *[pr_event(n, n, "opened", repo=f"other/r{n}", repo_id=100 + n) for n in range(6)],
    ]
    plan = plan_of(rows_, 3)
    parts = plan.split(events_table(rows_))
    where = {name: k for k, part in parts.items() for name in part["repo_name"].to_pylist()}
    assert sum(part.num_rows for part in parts.values()) == len(rows_)
    assert where["ΑΣ/ΟΣ"] == where["ασ/οσ"] or "ΑΣ/ΟΣ".lower() != "ασ/οσ"


def test_hydrate_with_several_partitions_is_refused(world, capsys):
    args = ["corpus", "--demo-dir", str(world / "world"), "--out", str(world / "hydrated")]
    assert cli([*args, "--hydrate", "--partitions", "2"]) == 2
    assert "--hydrate" in capsys.readouterr().err


def test_the_pr_stage_command_in_several_partitions_equals_one(tmp_path):
    """`swe-corpus prs` runs in repository partitions on this machine too: the pipeline test's world
    (a cross-repository link, an issue split across batches, duplicates) and a repository of its own,
    in as many partitions as it can have (2: linked repositories stay together), gives the tables and
    funnel of 1."""
    import pyarrow.parquet as pq
    from helpers.events import merged_pr
    from test_prs_pipeline import world

    events = tmp_path / "events" / "events"
    events.mkdir(parents=True)
    solo = {"repo": "solo/app", "repo_id": 3}
    batches = [
        *world(),
        merged_pr(1, body="Fixes #2", **solo)
        + [event("IssuesEvent", 2, action="opened", title="t", body="b", **solo)],
    ]
    for k, batch in enumerate(batches):
        pq.write_table(events_table(batch), events / f"part-{k}.parquet")
    outs = {}
    for partitions in (1, 3):
        out = tmp_path / f"p{partitions}"
        argv = [
            "prs",
            "--events",
            str(tmp_path / "events"),
            "--out",
            str(out),
            "--partitions",
            str(partitions),
        ]
        assert cli(argv) == 0
        outs[partitions] = out
    manifests = {k: json.loads((out / "manifest.json").read_text()) for k, out in outs.items()}
    assert manifests[3]["inputs"]["partitions"]["count"] == 2
    assert manifests[1]["funnel"] == manifests[3]["funnel"]
    for table in ("pull_requests", "issues", "rejected"):
        assert rows(outs[1], table) == rows(outs[3], table), table
