"""Commit messages feed issue linking, and hints are cut at the first commit, once extraction knows it."""

import datetime as dt

from swe_corpus.pull_requests import relink_commit_messages

T = dt.datetime(2024, 5, 6, 10, tzinfo=dt.UTC)


def comment(hours: int, body: str) -> dict:
    return {"id": hours, "author": "u", "created_at": T + dt.timedelta(hours=hours), "body": body}


def test_commit_links_join_and_hints_cut_at_first_commit():
    issue = {
        "repo": "acme/w",
        "number": 3,
        "link_source": "body",
        "title": "Crash",
        "body": "It crashes",
        "comments": [comment(0, "before the commit"), comment(5, "after the commit")],
    }
    row = {
        "repo": "acme/w",
        "number": 9,
        "linked_issues": [issue],
        "mentioned_issues": [{"repo": "acme/w", "number": 5}],
        "hints_text": "before the commit\nafter the commit",  # cut at the PR's opening, later than the commit
        "commits": [
            {"sha": "b" * 40, "message": "Also fixes #5", "author_time": T + dt.timedelta(hours=3)},
            {
                "sha": "a" * 40,
                "message": "Fix crash (closes acme/w#3)",
                "author_time": T + dt.timedelta(hours=2),
            },
        ],
    }
    out = relink_commit_messages(row)
    links = [(i["number"], i["link_source"]) for i in out["linked_issues"]]
    assert links == [(3, "body"), (5, "commit")]
    assert out["mentioned_issues"] == []
    assert out["hints_text"] == "before the commit"


def test_row_without_commits_is_unchanged():
    row = {"repo": "acme/w", "number": 1, "linked_issues": [], "commits": [], "hints_text": ""}
    assert relink_commit_messages(row) == row
