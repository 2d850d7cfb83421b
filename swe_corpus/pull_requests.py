"""PR and issue records from events: the rules, as pure functions (no Beam).

`assemble_pull_request` / `assemble_issue` fold one item's EVENTS rows (the columnar fold of
`swe_corpus.pr_fold`, which the pipeline runs on whole tables); `rejection_reason` and the other
verdicts decide what is kept; `problem_statement` and `hints_text` are built from the linked
issues the way SWE-bench builds them (`pr_join.attach_parts` fills them). Every decision that drops a PR (or a link, or an issue's
second group of events) returns a `Rejection`; the pipeline routes it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import pyarrow as pa

from swe_corpus.linking import link_commit_messages, link_pull_request
from swe_corpus.pr_fold import ASSEMBLY, ASSEMBLY_COLUMNS, IS_PR, REPO_KEY, fold
from swe_corpus.rejects import Rejection
from swe_corpus.stages import HYDRATE, ISSUES, LINK, PRS


def one_item(rows: Iterable[dict], is_pull_request: bool) -> pa.Table:
    """The EVENTS rows of one item as the fold's input, all under one item key."""
    rows = [{c: row.get(c) for c in ASSEMBLY_COLUMNS} for row in rows]
    table = pa.Table.from_pylist(rows, schema=pa.schema([ASSEMBLY.field(c) for c in ASSEMBLY_COLUMNS]))
    size = table.num_rows
    return (
        table.append_column(IS_PR, pa.array([is_pull_request] * size))
        .append_column(REPO_KEY, pa.array(["item"] * size))
        .cast(ASSEMBLY)
    )


def assemble_pull_request(rows: Iterable[dict]) -> dict:
    """Events of one PR -> a PULL_REQUESTS row (without linked-issue text), plus `_links` for the join
    (`pr_fold.fold` over one item: the pipeline folds whole tables)."""
    return fold(one_item(rows, True)).pull_requests.to_pylist()[0]


def assemble_issue(rows: Iterable[dict]) -> dict:
    """Events of one issue -> an ISSUES row. Author only from IssuesEvent (comment events carry the
    commenter in user_login); `_opened_in_window` says whether the conversation is complete."""
    return fold(one_item(rows, False)).issues.to_pylist()[0]


def rejection_reason(pr: dict, keep_unmerged: bool, hydrate: bool) -> Rejection | None:
    """Why an assembled PR cannot be kept as is (a `prs` Rejection); None when it is kept."""

    def reject(reason: str, detail: str) -> Rejection:
        return Rejection(PRS, reason, detail).of(pr)

    if not pr["merged"] and not keep_unmerged:
        if not pr["_has_pr_event"]:
            return reject(
                "merge_unknown",
                "no PullRequestEvent in the window (only comments/reviews); merge status unknown",
            )
        return reject(
            "unmerged", f"final state {pr['state'] or 'unknown'}, not merged within the ingested events"
        )
    if needs_hydration(pr) and not hydrate:
        if pr["title"] is None and pr["_trimmed"]:
            return reject(
                "trimmed_era_no_text", "trimmed-era payloads carry no title/body/author; rerun with --hydrate"
            )
        if pr["title"] is None:
            return reject(
                "no_pull_request_text",
                "no event in the window carries the PR title/body; rerun with --hydrate",
            )
        return reject(
            "missing_merge_data",
            "merged but base/head/merge sha missing from the events; rerun with --hydrate",
        )
    return None


def hydrated_rejection(pr: dict, hydrated: dict, keep_unmerged: bool) -> Rejection | None:
    """Why `pr`, as the API answered for it (`hydrated`), cannot be kept (a `hydrate` Rejection); None
    when it is kept."""
    if not hydrated["merged"] and not keep_unmerged:
        return Rejection(HYDRATE, "unmerged", "the API says not merged").of(pr)
    return None


def relink(pr: dict, commit_messages: tuple[str, ...] = ()) -> dict:
    """Recompute `_links`/`mentioned_issues` after the text changed (hydration, or commit messages)."""
    links, mentions = link_pull_request(pr["repo"], pr["number"], pr["title"], pr["body"], commit_messages)
    out = dict(pr)
    out["_links"] = [lk.row() for lk in links]
    out["mentioned_issues"] = [m.row() for m in mentions]
    return out


def issue_needs_hydration(issue: dict | None) -> bool:
    """No text, or opened before the window: its earlier comments (SWE-bench hints) are missing."""
    return issue is None or issue["title"] is None or not issue.get("_opened_in_window", True)


def needs_hydration(pr: dict) -> bool:
    """PR text or merge data is missing from the events (trimmed era, or only seen through comments)."""
    missing_merge = pr["merged"] and not (pr["merge_commit_sha"] and pr["base_sha"] and pr["head_sha"])
    return pr["title"] is None or missing_merge


def duplicate_issue_rejection(dup: dict, kept: dict) -> Rejection:
    """The `issues` Rejection of a group of events `pr_join.choose_issues` left out for `kept`."""
    detail = (
        f"{dup['repo']}#{dup['number']}: another group of events (repo_id {kept['repo_id']}) has the same "
        f"(repo, number) and was kept; this one (repo_id {dup['repo_id']}, {len(dup['comments'])} comments) "
        "is left out"
    )
    return Rejection(ISSUES, "duplicate_item_key", detail, instance_id=dup["issue_id"], repo=dup["repo"])


def link_rejection(iid: str, repo: str, link: dict, issue: dict | None, hydrate: bool) -> Rejection:
    """The `link` Rejection of PR `iid`'s link to an issue without text (`issue`: what the events, or
    the API when hydrating, gave of it)."""
    ref = f"{link['repo']}#{link['number']}"
    if hydrate:
        reason, detail = "issue_hydration_failed", f"{ref}: not in the events and the API did not return it"
    elif issue is None:
        reason, detail = (
            "issue_not_in_events",
            f"{ref} has no event in the window (opened before it?); use --hydrate",
        )
    else:
        reason, detail = "issue_without_text", f"{ref}: its events carry no title/body; use --hydrate"
    return Rejection(LINK, reason, detail, instance_id=iid, repo=repo)


def problem_statement(issues: list[dict]) -> str:
    """SWE-bench: each linked issue as f"{title}\\n{body}\\n", concatenated (None text -> "")."""
    return "".join(f"{i.get('title') or ''}\n{i.get('body') or ''}\n" for i in issues)


def hints_text(issues: list[dict], cutoff: datetime | None) -> str:
    """SWE-bench: per issue, bodies of comments written before `cutoff` joined by "\\n"; issues by "\\n".

    A comment of unknown time (unreadable in the API answer) is left out: it may postdate the PR."""
    per_issue = []
    for issue in issues:
        bodies = [
            c["body"] or ""
            for c in issue.get("comments") or []
            if cutoff is None or (c["created_at"] is not None and c["created_at"] < cutoff)
        ]
        per_issue.append("\n".join(bodies))
    return "\n".join(per_issue)


def relink_commit_messages(row: dict) -> dict:
    """An extracted row, now that its commits are known: links in commit messages join `linked_issues`
    (SWE-bench searches them too), and `hints_text` is cut at the PR's first commit, SWE-bench's rule
    (the PR stage could only cut at the PR's opening)."""
    commits = row.get("commits") or []
    row = link_commit_messages(row, [c["message"] for c in commits])
    first_commit = min((c["author_time"] for c in commits if c.get("author_time")), default=None)
    with_text = [i for i in row.get("linked_issues") or [] if i.get("comments") is not None]
    if first_commit is not None and with_text:
        row = {**row, "hints_text": hints_text(with_text, first_commit)}
    return row
