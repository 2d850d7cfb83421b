"""EVENTS rows built by hand (what `swe-corpus ingest` writes) for the PR-stage tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyarrow as pa

from schemas.tables import EVENTS

T0 = datetime(2015, 1, 1, 10, 0, tzinfo=UTC)
_ids = iter(range(10_000, 10**9))


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def event(event_type: str, number: int, minute: float = 0, repo: str = "octo/widgets", **kw) -> dict:
    """An EVENTS row with sensible defaults; `repo_id=None` to force grouping by name."""
    row = {name: None for name in EVENTS.names}
    row.update(
        event_id=str(next(_ids)),
        event_type=event_type,
        created_at=at(minute),
        repo_id=kw.pop("repo_id", abs(hash(repo)) % 10**6),
        repo_name=repo,
        number=number,
        is_pull_request=event_type != "IssuesEvent" and not event_type.startswith("Issue"),
        payload_era="events",
        source_file="2015-01-01-10.json.gz",
    )
    row.update(kw)
    return row


def pr_event(number: int, minute: float, action: str, **kw) -> dict:
    """A PullRequestEvent with a full 2015-era pull_request object."""
    defaults = dict(
        action=action,
        title="Fix crash",
        body="Fixes #3",
        state="closed" if action == "closed" else "open",
        item_created_at=T0,
        user_login="alice",
        user_type="User",
        base_sha="b" * 40,
        base_ref="main",
        head_sha="c" * 40,
        head_ref="fix",
        head_repo_name="alice/widgets",
        merged=False,
        merge_commit_sha="d" * 40,
    )
    defaults.update(kw)
    return event("PullRequestEvent", number, minute, **defaults)


def comment(number: int, minute: float, text: str, comment_id: int, on_pr: bool = True, **kw) -> dict:
    return event(
        "IssueCommentEvent",
        number,
        minute,
        action="created",
        comment_id=comment_id,
        comment_body=text,
        user_login=kw.pop("user_login", "bob"),
        is_pull_request=on_pr,
        title=kw.pop("title", "Crash on start" if not on_pr else "Fix crash"),
        body=kw.pop("body", "It crashes" if not on_pr else "Fixes #3"),
        item_created_at=kw.pop("item_created_at", T0),
        **kw,
    )


def events_table(rows: list[dict]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=EVENTS)


def merged_pr(number: int = 5, **kw) -> list[dict]:
    return [
        pr_event(number, 0, "opened", **kw),
        pr_event(number, 30, "closed", merged=True, merged_at=at(30), **kw),
    ]
