"""AssemblePullRequests on Beam's real local runner: hand-built events spread over batches, and the
real 2015 hour through `swe-corpus ingest` then `swe-corpus prs` (Parquet read back with DuckDB)."""

from __future__ import annotations

import argparse
import gzip
import json
from pathlib import Path

import apache_beam as beam
import pytest
from helpers.events import at, comment, event, events_table, merged_pr, pr_event
from helpers.tables import comparable_rows, rows

from pipelines import prs as stage
from pipelines.common import WriteTable, counters, make_pipeline
from schemas.tables import ISSUES, PULL_REQUESTS, REJECTED
from swe_corpus.manifest import funnel_from_counters, render_funnel

OCTO, OTHER = {"repo": "octo/widgets", "repo_id": 1}, {"repo": "other/lib", "repo_id": 2}


def world() -> list[list[dict]]:
    """Three batches (think: three hours); PR 5's events span all of them, one event is duplicated."""
    pr5 = merged_pr(5, body="Fixes #3 and closes other/lib#9", **OCTO)
    issue3 = [
        event(
            "IssuesEvent",
            3,
            -60,
            action="opened",
            title="Crash",
            body="Boom",
            user_login="ann",
            item_created_at=at(-60),
            labels=["bug"],
            **OCTO,
        ),
        comment(3, -30, "me too", 31, on_pr=False, title="Crash", body="Boom", **OCTO),
        comment(3, 90, "thanks for the fix", 32, on_pr=False, title="Crash", body="Boom", **OCTO),
    ]
    issue9 = [
        comment(
            9,
            -5,
            "old bug, still here",
            91,
            on_pr=False,
            title="Leak",
            body="Memory grows",
            item_created_at=at(-900),
            **OTHER,
        )
    ]
    pr6 = merged_pr(6, body="Resolves #100", **OCTO)
    pr7 = [
        pr_event(7, 0, "opened", **OCTO),
        pr_event(7, 5, "closed", **OCTO),
        pr_event(7, 6, "reopened", **OCTO),
        pr_event(7, 9, "closed", **OCTO),
    ]
    trimmed = dict(
        title=None, body=None, user_login=None, merge_commit_sha=None, payload_era="trimmed", merged=None
    )
    pr8 = [
        pr_event(8, 0, "opened", **trimmed, **OCTO),
        pr_event(8, 3, "merged", **{**trimmed, "merged": True}, **OCTO),
    ]
    pr9 = merged_pr(9, title="Also fixes #3", body=None, **OCTO)
    pr10 = [comment(10, 1, "ping", 101, **OCTO)]
    conv = [comment(5, 10, "first", 51, **OCTO), comment(5, 20, "second", 52, **OCTO)]
    b1 = [pr5[0], conv[1], *issue3[:2], pr6[0], *pr7[:2], pr8[0], pr10[0]]
    b2 = [conv[0], pr6[1], *pr7[2:], pr8[1], *pr9, *issue9, pr5[0]]  # pr5[0] again: a duplicate event
    orphan = event(
        "IssueCommentEvent", None, 2, action="created", comment_body="?", **OCTO
    )  # Timeline-style, no number
    b3 = [pr5[1], issue3[2], orphan]
    return [b1, b2, b3]


def run_world(tmp: Path, config: stage.PrsConfig) -> dict:
    pipeline = make_pipeline()
    out = pipeline | beam.Create([events_table(b) for b in world()]) | stage.AssemblePullRequests(config)
    out["pull_requests"] | "W1" >> WriteTable(str(tmp), "pull_requests", PULL_REQUESTS, batched=True)
    out["issues"] | "W2" >> WriteTable(str(tmp), "issues", ISSUES, batched=True)
    out["rejected"] | "W3" >> WriteTable(str(tmp), "rejected", REJECTED)
    result = pipeline.run()
    result.wait_until_finish()
    return counters(result, stage.FUNNEL)


@pytest.fixture(scope="module")
def default_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("prs_default")
    return out, run_world(out, stage.PrsConfig())


def test_merged_prs_kept_and_rejections_have_reasons(default_run):
    out, funnel = default_run
    got = {r["number"]: r for r in rows(out, "pull_requests")}
    assert sorted(got) == [5, 6, 9]
    rejected = {(r["instance_id"], r["stage"], r["reason"]) for r in rows(out, "rejected")}
    assert rejected == {
        ("octo__widgets-7", "prs", "unmerged"),
        ("octo__widgets-8", "prs", "trimmed_era_no_text"),
        ("octo__widgets-10", "prs", "merge_unknown"),
        ("octo__widgets-6", "link", "issue_not_in_events"),
    }
    assert (
        funnel["prs:in"]
        == 6
        == funnel["prs:kept"] + sum(v for k, v in funnel.items() if k.startswith("prs:rejected:"))
    )
    assert (funnel["link:in"], funnel["link:kept"], funnel["link:rejected:issue_not_in_events"]) == (4, 3, 1)
    assert funnel["prs:events_without_number"] == 1
    assert "events_without_number=1 (note)" in render_funnel(funnel_from_counters(funnel))


def test_issue_split_across_eras_keeps_one_and_rejects_the_other(tmp_path):
    """Timeline rows (no repo_id) are keyed by name, 2015 rows by id: two groups, one join key."""
    timeline = dict(repo="octo/widgets", repo_id=None, payload_era="timeline")
    opened = event(
        "IssuesEvent", 3, -60, action="opened", title="Crash", body="Boom", user_login="ann", **timeline
    )
    later = comment(3, 30, "still crashing", 31, on_pr=False, title="Crash", body="Boom", **OCTO)
    fix = merged_pr(5, body="Fixes #3", **OCTO)
    pipeline = make_pipeline()
    out = pipeline | beam.Create([events_table([opened]), events_table([later, *fix])])
    out = out | stage.AssemblePullRequests()
    out["issues"] | "W2" >> WriteTable(str(tmp_path), "issues", ISSUES, batched=True)
    out["rejected"] | "W3" >> WriteTable(str(tmp_path), "rejected", REJECTED)
    result = pipeline.run()
    result.wait_until_finish()
    funnel = counters(result, stage.FUNNEL)
    (issue,) = rows(tmp_path, "issues")
    assert (issue["number"], issue["repo_id"], issue["author"]) == (3, None, "ann")
    (dup,) = rows(tmp_path, "rejected")
    assert (dup["instance_id"], dup["stage"], dup["reason"]) == (
        "octo__widgets-3",
        "issues",
        "duplicate_item_key",
    )
    assert (funnel["issues:in"], funnel["issues:kept"], funnel["issues:rejected:duplicate_item_key"]) == (
        2,
        1,
        1,
    )


def test_pr_record_conversation_links_and_texts(default_run):
    out, _ = default_run
    (pr5,) = rows(out, "pull_requests", "SELECT * FROM t WHERE number = 5")
    assert pr5["event_count"] == 4  # opened, 2 comments, closed: the duplicated opened counted once
    assert (pr5["state"], pr5["merged"], pr5["merge_commit_sha"], pr5["base_sha"]) == (
        "closed",
        True,
        "d" * 40,
        "b" * 40,
    )
    assert [c["body"] for c in pr5["comments"]] == ["first", "second"]
    assert [(i["repo"], i["number"], i["link_text"]) for i in pr5["linked_issues"]] == [
        ("octo/widgets", 3, "Fixes #3"),
        ("other/lib", 9, "closes other/lib#9"),  # cross-repo link
    ]
    assert pr5["problem_statement"] == "Crash\nBoom\nLeak\nMemory grows\n"
    assert pr5["hints_text"] == "me too\nold bug, still here"  # comments after the PR opened excluded
    (pr9,) = rows(out, "pull_requests", "SELECT * FROM t WHERE number = 9")
    assert [i["number"] for i in pr9["linked_issues"]] == [3] and pr9["problem_statement"] == "Crash\nBoom\n"
    (pr6,) = rows(out, "pull_requests", "SELECT * FROM t WHERE number = 6")
    assert pr6["linked_issues"] == [] and pr6["problem_statement"] == ""


def test_issues_table(default_run):
    out, _ = default_run
    issues = {r["issue_id"]: r for r in rows(out, "issues")}
    assert set(issues) == {"octo__widgets-3", "other__lib-9"}
    assert issues["octo__widgets-3"]["labels"] == ["bug"]
    assert [c["body"] for c in issues["octo__widgets-3"]["comments"]] == ["me too", "thanks for the fix"]


def test_keep_unmerged_option(tmp_path):
    funnel = run_world(tmp_path, stage.PrsConfig(keep_unmerged=True))
    got = {r["number"]: r for r in rows(tmp_path, "pull_requests")}
    assert (got[7]["state"], got[7]["merged"]) == ("closed", False)
    assert funnel["prs:kept"] == 5 and "prs:rejected:unmerged" not in funnel


@pytest.mark.parametrize("buckets", [1, 7])
def test_bucket_count_changes_nothing_but_the_shuffle(tmp_path, default_run, buckets):
    """Events, links and issues travel in `buckets` groups: one group or many, the same tables (the
    links to other/lib#9 and to octo/widgets#3 then meet their issues in other groups than the PRs)."""
    out, funnel = default_run
    assert run_world(tmp_path, stage.PrsConfig(buckets=buckets)) == funnel
    for table in ("pull_requests", "issues", "rejected"):
        assert comparable_rows(tmp_path, table) == comparable_rows(out, table), table


# --------------------------------------------------------------------------- real data
def independent_merged_pairs(path: Path) -> set[tuple[str, int]]:
    """Merged PRs straight from raw JSON: a PullRequestEvent with merged=true, or any event whose
    pull_request object carries merged_at (merged before the hour, e.g. seen through review comments)."""
    pairs = set()
    with gzip.open(path, "rt") as fh:
        for line in fh:
            obj = json.loads(line)
            pr = (obj.get("payload") or {}).get("pull_request") or {}
            if pr.get("merged") is True or pr.get("merged_at"):
                pairs.add((obj["repo"]["name"], pr["number"]))
    return pairs


def cli_args(add_arguments, argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return parser.parse_args(argv)


@pytest.fixture(scope="module")
def real_hour(shared_data, tmp_path_factory):
    from pipelines import ingest

    work = tmp_path_factory.mktemp("prs_real")
    gharchive = shared_data / "gharchive"
    ingest.run(
        cli_args(
            ingest.add_arguments,
            ["--hours", "2015-01-01-1", "--gharchive-url", str(gharchive), "--out", str(work / "ingest")],
        )
    )
    argv = [
        "--events",
        str(work / "ingest"),
        "--out",
        str(work / "prs"),
        "--hydrate-cache-dir",
        str(work / "cache"),
    ]
    funnel, _ = stage.run_pipeline(cli_args(stage.add_arguments, argv))
    return work / "prs", funnel, independent_merged_pairs(gharchive / "2015-01-01-1.json.gz")


def test_real_hour_merged_prs_match_raw_count(real_hour):
    out, funnel, expected = real_hour
    got = rows(
        out, "pull_requests", "SELECT repo, number, merged, base_sha, head_sha, merge_commit_sha FROM t"
    )
    assert len(expected) > 50
    assert {(r["repo"], r["number"]) for r in got} == expected and len(got) == len(expected)
    for r in got:
        assert r["merged"] and all(
            len(r[c] or "") == 40 for c in ("base_sha", "head_sha", "merge_commit_sha")
        ), r


def test_real_hour_funnel_invariant_and_rejected_rows(real_hour):
    out, funnel, _ = real_hour
    rejected = {
        r["reason"]: r["n"]
        for r in rows(out, "rejected", "SELECT reason, count(*) n FROM t WHERE stage='prs' GROUP BY 1")
    }
    assert rejected == {k.split(":")[2]: v for k, v in funnel.items() if k.startswith("prs:rejected:")}
    assert funnel["prs:in"] == funnel["prs:kept"] + sum(rejected.values())
    prs_line = render_funnel(funnel_from_counters(funnel)).splitlines()[1].split()
    assert prs_line[:3] == ["prs", f"{funnel['prs:in']:,}", f"{funnel['prs:kept']:,}"]
