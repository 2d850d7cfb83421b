"""PR/issue assembly from hand-built EVENTS rows (`helpers.events`): pure functions, no Beam."""

from __future__ import annotations

import pyarrow as pa
from helpers.events import at, comment, event, events_table, merged_pr, pr_event

from schemas.tables import EVENTS
from swe_corpus import pr_fold, pr_join
from swe_corpus import pull_requests as prs


def test_events_table_has_exact_schema():
    assert events_table(merged_pr()).schema == EVENTS


def test_duplicate_events_are_dropped_by_event_id():
    rows = merged_pr() + [comment(5, 10, "LGTM", 1)]
    pr = prs.assemble_pull_request(rows + [dict(r) for r in rows])
    assert pr["event_count"] == 3
    assert [c["body"] for c in pr["comments"]] == ["LGTM"]


def test_event_order_survives_odd_ids_and_keeps_numeric_order():
    rows = [event("IssuesEvent", 3, event_id=eid) for eid in ("10", "12²", "9", "7" * 5000, "syn-ab", "٣")]
    order = pr_fold.chronological(prs.one_item(rows, False))["event_id"].to_pylist()
    assert order == ["12²", "syn-ab", "٣", "9", "10", "7" * 5000]


def test_close_reopen_close_takes_final_state():
    rows = [
        pr_event(5, 0, "opened"),
        pr_event(5, 10, "closed"),
        pr_event(5, 20, "reopened"),
        pr_event(5, 30, "closed", merged=True, merged_at=at(30), merge_commit_sha="e" * 40),
    ]
    pr = prs.assemble_pull_request(list(reversed(rows)))
    assert (pr["state"], pr["merged"], pr["merged_at"], pr["merge_commit_sha"]) == (
        "closed",
        True,
        at(30),
        "e" * 40,
    )
    reopened = prs.assemble_pull_request(rows[:3])
    assert (reopened["state"], reopened["merged"]) == ("open", False)
    assert prs.rejection_reason(reopened, keep_unmerged=False, hydrate=False).reason == "unmerged"
    assert prs.rejection_reason(reopened, keep_unmerged=True, hydrate=False) is None


def test_latest_title_and_body_and_pr_author_not_commenter():
    rows = merged_pr()
    rows[1]["title"], rows[1]["body"] = "Fix crash on start", "Closes #4"
    rows.append(comment(5, 40, "thanks", 2, user_login="carol", title="Fix crash (old)", body="old"))
    rows[-1]["created_at"] = at(20)
    pr = prs.assemble_pull_request(rows)
    assert (pr["title"], pr["body"], pr["user_login"]) == ("Fix crash on start", "Closes #4", "alice")
    assert pr["_links"] == [
        {"repo": "octo/widgets", "number": 4, "link_source": "body", "link_text": "Closes #4"}
    ]


def test_conversation_is_chronological_across_types():
    rows = merged_pr() + [
        comment(5, 25, "second", 2),
        comment(5, 5, "first", 1),
        event(
            "PullRequestReviewCommentEvent",
            5,
            15,
            action="created",
            comment_id=7,
            comment_body="nit",
            path="a.py",
            diff_hunk="@@ -1 +1 @@",
            commit_id="c" * 40,
            user_login="dan",
        ),
        event(
            "PullRequestReviewEvent",
            5,
            28,
            action="created",
            comment_id=8,
            review_state="approved",
            user_login="eve",
        ),
        event(
            "PullRequestReviewCommentEvent",
            5,
            12,
            action="created",
            comment_id=6,
            comment_body="why?",
            path="b.py",
        ),
    ]
    pr = prs.assemble_pull_request(rows)
    assert [c["body"] for c in pr["comments"]] == ["first", "second"]
    assert [(c["body"], c["path"]) for c in pr["review_comments"]] == [("why?", "b.py"), ("nit", "a.py")]
    assert pr["review_comments"][1]["diff_hunk"] == "@@ -1 +1 @@"
    assert [(r["state"], r["author"]) for r in pr["reviews"]] == [("approved", "eve")]


def test_renamed_repo_groups_by_id_and_keeps_latest_name():
    rows = [
        pr_event(5, 0, "opened", repo="old/name", repo_id=42),
        pr_event(5, 9, "closed", repo="new/name", repo_id=42, merged=True),
    ]
    assert item_keys(rows) == [(True, "i42", 5)] * 2
    pr = prs.assemble_pull_request(rows)
    assert (pr["repo"], pr["instance_id"]) == ("new/name", "new__name-5")
    no_id = event("IssuesEvent", 3, repo="Old/Name", repo_id=None)
    assert item_keys([no_id]) == [(False, "nold/name", 3)]


def item_keys(rows: list[dict]) -> list[tuple]:
    """(PR?, repository key, number) of each event, as the fold groups them."""
    keyed, _ = pr_fold.relevant_events(events_table(rows))
    return list(
        zip(*(keyed[c].to_pylist() for c in (pr_fold.IS_PR, pr_fold.REPO_KEY, "number")), strict=True)
    )


def test_trimmed_era_merge_from_action_needs_hydration():
    stub = dict(
        title=None,
        body=None,
        user_login=None,
        user_type=None,
        merge_commit_sha=None,
        payload_era="trimmed",
        merged=None,
    )
    rows = [pr_event(5, 0, "opened", **stub), pr_event(5, 9, "merged", **{**stub, "merged": True})]
    pr = prs.assemble_pull_request(rows)
    assert pr["merged"] and pr["merged_at"] == at(9) and pr["_trimmed"]
    assert prs.rejection_reason(pr, keep_unmerged=False, hydrate=False).reason == "trimmed_era_no_text"
    assert prs.rejection_reason(pr, keep_unmerged=False, hydrate=True) is None and prs.needs_hydration(pr)


def test_pr_seen_only_through_comments_has_unknown_merge_status():
    pr = prs.assemble_pull_request([comment(5, 3, "ping", 1)])
    assert prs.rejection_reason(pr, keep_unmerged=False, hydrate=False).reason == "merge_unknown"


def test_issue_record_and_swe_bench_texts():
    issue_rows = [
        event(
            "IssuesEvent",
            3,
            0,
            action="opened",
            title="Crash",
            body="Boom",
            user_login="ann",
            labels=["bug"],
            item_created_at=at(0),
        ),
        comment(3, 2, "same here", 11, on_pr=False, user_login="bo", title="Crash", body="Boom"),
        comment(3, 50, "after the PR", 12, on_pr=False, user_login="cy", title="Crash", body="Boom"),
    ]
    issue = prs.assemble_issue(issue_rows)
    assert (issue["issue_id"], issue["author"], issue["labels"], issue["title"]) == (
        "octo__widgets-3",
        "ann",
        ["bug"],
        "Crash",
    )
    other = {**issue, "repo": "a/b", "number": 1, "title": "Other", "body": None, "comments": []}
    pr = prs.assemble_pull_request(
        [pr_event(5, 10, "opened", item_created_at=at(10), body="Fixes #3, fixes a/b#1")]
    )
    (out,) = attach([pr], [other, issue]).to_pylist()  # the issues in another order than the links
    assert [i["number"] for i in out["linked_issues"]] == [3, 1]
    assert out["problem_statement"] == "Crash\nBoom\nOther\n\n"
    assert out["hints_text"] == "same here\n"  # comments before the PR's opening only
    assert "_links" not in out
    assert prs.hints_text([issue], None) == "same here\nafter the PR"


def attach(pulls: list[dict], issues: list[dict]) -> pa.Table:
    """Folded PRs and issues through the stage's join (`pr_join`), as one bucket."""
    table = pr_join.with_pr_keys(pa.Table.from_pylist(pulls, schema=pr_fold.FOLDED_PULL_REQUESTS), "0")
    refs = pr_join.link_references(table, 0)
    chosen, _ = pr_join.choose_issues(pa.Table.from_pylist(issues, schema=pr_fold.FOLDED_ISSUES))
    found = pr_join.join_references(refs, chosen)
    parts = pr_join.parts(refs.filter(pa.array(found >= 0)), chosen.take(pa.array(found[found >= 0])))
    return pr_join.attach_parts(table, parts)


def _issue(title, comments: int, opened: bool = True, repo_id: int = 1) -> dict:
    return {"issue_id": "o__r-3", "repo": "o/r", "number": 3, "repo_id": repo_id, "title": title,
            "comments": [{"id": k} for k in range(comments)], "_opened_in_window": opened}  # fmt: skip


def test_the_most_complete_group_of_an_issue_is_chosen_the_others_rejected():
    """Text first, then opened in the window, then the most comments (`pr_join.choose_issues`)."""
    text, no_text, earlier = _issue("t", 0, repo_id=1), _issue(None, 5, repo_id=2), _issue("t", 9, False, 3)
    table = pa.Table.from_pylist([no_text, earlier, text], schema=pr_fold.FOLDED_ISSUES)
    chosen, pairs = pr_join.choose_issues(table)
    assert chosen["repo_id"].to_pylist() == [1]
    assert [(dup["repo_id"], kept["repo_id"]) for dup, kept in pairs] == [(3, 1), (2, 1)]
    assert pr_join.choose_issues(table.slice(0, 0))[0].num_rows == 0
    kept = pairs[0][1]
    r = prs.duplicate_issue_rejection(pairs[1][0], kept)
    assert (r.stage, r.reason, r.instance_id, r.repo) == ("issues", "duplicate_item_key", "o__r-3", "o/r")
    assert "(repo_id 1)" in r.detail and "(repo_id 2, 5 comments)" in r.detail


def test_a_link_to_an_issue_without_text_is_rejected_with_why():
    link = {"repo": "o/r", "number": 3}

    def reason(issue, hydrate):
        r = prs.link_rejection("o__r-9", "o/r", link, issue, hydrate)
        assert (r.stage, r.instance_id, r.repo) == ("link", "o__r-9", "o/r") and "o/r#3" in r.detail
        return r.reason

    assert reason(None, hydrate=True) == reason(_issue(None, 0), hydrate=True) == "issue_hydration_failed"
    assert reason(None, hydrate=False) == "issue_not_in_events"
    assert reason(_issue(None, 0), hydrate=False) == "issue_without_text"


def test_a_pr_the_api_says_is_not_merged_is_a_hydrate_rejection():
    pr = {"instance_id": "o__r-9", "repo": "o/r", "merged": False}
    r = prs.hydrated_rejection(pr, {**pr, "repo": "o/renamed"}, keep_unmerged=False)
    assert (r.stage, r.reason, r.repo) == ("hydrate", "unmerged", "o/r")
    assert prs.hydrated_rejection(pr, pr, keep_unmerged=True) is None
    assert prs.hydrated_rejection(pr, {**pr, "merged": True}, keep_unmerged=False) is None


def test_references_in_any_decimal_digits_link_through_the_fold():
    """The fold looks for links only in texts with a reference mark, found by Arrow's RE2; Python's
    `\\d` (what the link patterns use) takes any decimal digit, so the mark must too."""
    pr = prs.assemble_pull_request([pr_event(5, 0, "opened", title="Crash", body="Fixes #١٢")])
    assert [(lk["number"], lk["link_text"]) for lk in pr["_links"]] == [(12, "Fixes #١٢")]
