"""The fast path of the events era (2015 .. 2025-10-06, nearly all of the archive): msgspec decodes only the
fields we use into Structs and `fast_row` builds the row tuple straight from them. It returns None for
anything unusual, which then goes to the reference normaliser (`swe_corpus.event_normalize`)."""

from __future__ import annotations

from typing import Annotated

import msgspec

from swe_corpus.event_normalize import (
    _EARLY_UNTIL_NAIVE,
    _INT64_MAX,
    _TRIMMED_SINCE_NAIVE,
    COLUMNS,
    KEPT_TYPES,
    _url_parts,
    _utc_naive,
)


# --------------------------------------------------------------------------- fast path (events era)
# The same projection as Structs: msgspec decodes Structs faster than dicts and attribute reads are
# faster than dict lookups. Types are validated while decoding, so the fast normaliser needs no
# isinstance checks. Fields whose presence (not value) matters default to UNSET.
class _SUser(msgspec.Struct, gc=False):
    login: str | None = None
    type: str | None = None


# An int64 column value, checked while decoding: a number outside int64 fails the fast path, and the
# dict path then stores null (`_int`).
_Int64 = Annotated[int, msgspec.Meta(ge=-_INT64_MAX, le=_INT64_MAX)]


class _SRepo(msgspec.Struct, gc=False):  # the event's repository
    id: _Int64 | None = None
    name: str | None = None


class _SRepoName(msgspec.Struct, gc=False):  # a head repository or a fork: only its name is used
    full_name: str | None = None
    url: str | None = None


class _SBase(msgspec.Struct, gc=False):  # its repository is the event's: not decoded
    ref: str | None = None
    sha: str | None = None


class _SHead(msgspec.Struct, gc=False):
    ref: str | None = None
    sha: str | None = None
    repo: _SRepoName | None = None


class _SLabel(msgspec.Struct, gc=False):
    name: str | None = None


class _SItem(msgspec.Struct, gc=False):  # an issue or a pull request
    number: _Int64 | None = None
    title: str | None | msgspec.UnsetType = msgspec.UNSET
    body: str | None = None
    state: str | None | msgspec.UnsetType = msgspec.UNSET
    created_at: str | None = None
    labels: list[_SLabel] | None = None
    merged: bool | None = None
    merged_at: str | None = None
    merge_commit_sha: str | None = None
    author_association: str | None = None
    user: _SUser | None | msgspec.UnsetType = msgspec.UNSET
    base: _SBase | None = None
    head: _SHead | None | msgspec.UnsetType = msgspec.UNSET
    pull_request: msgspec.Raw | msgspec.UnsetType = msgspec.UNSET  # only its presence is used


class _SComment(msgspec.Struct, gc=False):  # a comment or a review
    id: _Int64 | None = None
    body: str | None = None
    path: str | None = None
    diff_hunk: str | None = None
    commit_id: str | None = None
    original_commit_id: str | None = None
    state: str | None = None
    author_association: str | None = None
    user: _SUser | None = None


class _SPayload(msgspec.Struct, gc=False):
    action: str | None = None
    number: _Int64 | None = None
    pull_request: _SItem | None = None
    issue: int | _SItem | None = None
    comment: _SComment | None = None
    review: _SComment | None = None
    forkee: int | _SRepoName | None = None
    actor_gravatar: msgspec.Raw | msgspec.UnsetType = msgspec.UNSET
    comment_id: _Int64 | None = None


class _SEvent(msgspec.Struct, gc=False):
    id: str | int | msgspec.UnsetType = msgspec.UNSET
    type: str | None = None
    created_at: str | None = None
    actor: str | _SUser | None = None
    repo: _SRepo | None = None
    payload: _SPayload | None = None
    url: msgspec.Raw | msgspec.UnsetType = msgspec.UNSET
    repository: msgspec.Raw | msgspec.UnsetType = msgspec.UNSET


_FAST = msgspec.json.Decoder(_SEvent)
# RecursionError: msgspec recurses while skipping a deeply nested field it does not keep
_DECODE_ERRORS = (msgspec.DecodeError, msgspec.ValidationError, UnicodeDecodeError, RecursionError)
_NO_ITEM, _NO_BASE, _NO_HEAD, _NO_REPO, _NO_COMMENT = _SItem(), _SBase(), _SHead(), _SRepoName(), _SComment()
_UNSET = msgspec.UNSET
# The fast path builds each row tuple directly, in COLUMNS order, from three blocks:
# ITEM = number .. author_association, COMMENT = comment_id .. original_commit_id, then forkee_name.
_ITEM_START, _COMMENT_START = COLUMNS.index("number"), COLUMNS.index("comment_id")
_NO_ITEM_COLUMNS = (None,) * (_COMMENT_START - _ITEM_START)
_NO_COMMENT_COLUMNS = (None,) * (COLUMNS.index("forkee_name") - _COMMENT_START)


def _fast_issue(issue: _SItem) -> tuple:
    """ITEM columns of an issue (the `_issue_fields` rules); the PR-only columns stay null."""
    title, state, user, labels = issue.title, issue.state, issue.user, issue.labels
    if user is None or user is _UNSET:
        login = user_type = None
    else:
        login, user_type = user.login, user.type
    return (
        issue.number,
        issue.pull_request is not _UNSET,
        None if title is _UNSET else title,
        issue.body,
        None if state is _UNSET else state,
        _utc_naive(issue.created_at),
        None if labels is None else tuple([lab.name for lab in labels if lab.name is not None]),
        None, None, None, None, None, None, None, None,
        login,
        user_type,
        issue.author_association,
    )  # fmt: skip


def _fast_pull_request(pr: _SItem, number: int | None) -> tuple:
    """ITEM columns of a pull request (the `_pull_request_fields` rules)."""
    title, state, user, labels = pr.title, pr.state, pr.user, pr.labels
    if user is None or user is _UNSET:
        login = user_type = None
    else:
        login, user_type = user.login, user.type
    base = pr.base or _NO_BASE
    head = pr.head if pr.head is not None and pr.head is not _UNSET else _NO_HEAD
    head_repo = head.repo or _NO_REPO
    return (
        pr.number if number is None else number,
        True,
        None if title is _UNSET else title,
        pr.body,
        None if state is _UNSET else state,
        _utc_naive(pr.created_at),
        None if labels is None else tuple([lab.name for lab in labels if lab.name is not None]),
        pr.merged,
        _utc_naive(pr.merged_at),
        pr.merge_commit_sha,
        base.sha,
        base.ref,
        head.sha,
        head.ref,
        head_repo.full_name or _url_parts(head_repo.url)[0],
        login,
        user_type,
        pr.author_association,
    )


def _fast_comment(comment: _SComment, item: tuple, review_state: str | None) -> tuple | None:
    """ITEM + COMMENT columns: the comment's author replaces the item's (schema convention).
    None where the dict path's truthiness rule on `user` could differ."""
    user = comment.user
    if user is not None:
        if user.login is None:  # {} or a user without login: let the dict path decide
            return None
        item = (*item[:-3], user.login, user.type, comment.author_association)
    return (
        *item,
        comment.id,
        comment.body,
        review_state,
        comment.path,
        comment.diff_hunk,
        comment.commit_id,
        comment.original_commit_id,
    )


def _is_stub(pr: _SItem | None) -> bool:
    """The trimmed era's PR stub: a head but no title, user or state."""
    return (
        pr is not None
        and pr.head is not _UNSET
        and pr.title is _UNSET
        and pr.user is _UNSET
        and pr.state is _UNSET
    )


def fast_row(ev: _SEvent, source_file: str, line_number: int) -> tuple | None:
    """An events-era (2015 .. 2025-10-06) event -> a row tuple in COLUMNS order; None: use the dict path.

    Produces exactly what `normalize_event` produces for these events (tested on real hours and on
    mutations of them); anything outside the plain Events-API shape returns None.
    """
    etype, raw_id, repo, payload, actor = ev.type, ev.id, ev.repo, ev.payload, ev.actor
    if (
        etype not in KEPT_TYPES
        or raw_id is _UNSET
        or raw_id == ""
        or repo is None
        or payload is None
        or ev.url is not _UNSET
        or ev.repository is not _UNSET
        or actor.__class__ is str
        or payload.actor_gravatar is not _UNSET
    ):
        return None
    created_at = _utc_naive(ev.created_at)
    repo_name = repo.name
    if (
        created_at is None
        or not (_EARLY_UNTIL_NAIVE <= created_at < _TRIMMED_SINCE_NAIVE)
        or not repo_name
        or "/" not in repo_name
    ):
        return None
    pr = payload.pull_request
    if _is_stub(pr):  # the trimmed era's PR stub: the dict path knows it
        return None
    forkee_name = None
    if etype == "PullRequestEvent":
        columns = (*_fast_pull_request(pr or _NO_ITEM, payload.number), *_NO_COMMENT_COLUMNS)
    elif etype == "IssuesEvent" or etype == "IssueCommentEvent":
        issue = payload.issue
        if issue.__class__ is _SItem:
            item = _fast_issue(issue)
        elif etype == "IssuesEvent":
            item = (payload.number or None, *_NO_ITEM_COLUMNS[1:])
        else:
            item = _NO_ITEM_COLUMNS
        if etype == "IssuesEvent":
            columns = (*item, *_NO_COMMENT_COLUMNS)
        elif payload.comment is not None:
            columns = _fast_comment(payload.comment, item, None)
        else:
            columns = (*item, payload.comment_id, *_NO_COMMENT_COLUMNS[1:])
    elif etype == "PullRequestReviewCommentEvent":
        if pr is None or pr.number is None:  # the number then comes from the comment's links
            return None
        columns = _fast_comment(payload.comment or _NO_COMMENT, _fast_pull_request(pr, None), None)
    elif etype == "PullRequestReviewEvent":
        review = payload.review or _NO_COMMENT
        columns = _fast_comment(review, _fast_pull_request(pr or _NO_ITEM, None), review.state)
    else:  # ForkEvent
        forkee = payload.forkee
        forkee_name = forkee.full_name if forkee.__class__ is _SRepoName else None
        columns = (*_NO_ITEM_COLUMNS, *_NO_COMMENT_COLUMNS)
    if columns is None:
        return None
    return (
        raw_id if raw_id.__class__ is str else str(raw_id),
        etype,
        payload.action,
        created_at,
        repo.id,
        repo_name,
        None if actor is None else actor.login,
        *columns,
        forkee_name,
        "events",
        source_file,
        line_number,
    )
