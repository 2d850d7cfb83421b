"""The reference normaliser: one parsed GH Archive event (a dict, any era) -> one EVENTS row dict.

Every era's shape is read here (``early2011``, ``timeline``, ``events``, ``trimmed``; see
`swe_corpus.events`). The fast path (`swe_corpus.event_fastpath`) must give the same row for a plain
events-era event; `tests/test_ingest_parse.py::test_fast_path_matches_the_dict_normaliser*` holds the two
side by side on real and mutated events.
"""

from __future__ import annotations

import hashlib
import operator
import re
from datetime import UTC, datetime
from typing import Any, TypedDict

import msgspec
import orjson

from schemas.tables import EVENTS
from swe_corpus.rejects import RejectError

KEPT_TYPES = frozenset(
    {
        "PullRequestEvent",
        "IssuesEvent",
        "IssueCommentEvent",
        "PullRequestReviewCommentEvent",
        "PullRequestReviewEvent",
        "ForkEvent",
    }
)
COLUMNS = tuple(EVENTS.names)
_EMPTY_ROW: dict[str, Any] = dict.fromkeys(COLUMNS)
_ROW_VALUES = operator.itemgetter(*COLUMNS)  # row dict -> row tuple in COLUMNS order
TRIMMED_SINCE = datetime(2025, 10, 7, tzinfo=UTC)
EARLY_UNTIL = datetime(2012, 1, 1, tzinfo=UTC)
_TRIMMED_SINCE_NAIVE, _EARLY_UNTIL_NAIVE = (
    TRIMMED_SINCE.replace(tzinfo=None),
    EARLY_UNTIL.replace(tzinfo=None),
)
_GITHUB_PATH_RE = re.compile(r"^https?://[^/]+/(?:repos/)?([^/]+)/([^/#?]+)(?:/(issues|pull|pulls)/(\d+))?")


# --------------------------------------------------------------------------- projected decoding
# The fields normalize_event reads, and nothing else: msgspec skips every other field without building
# Python objects for it (most of a PullRequestEvent is repository metadata we never use). A line that
# does not fit these types falls back to the full orjson parse, so the types may stay strict.
class _User(TypedDict, total=False):
    login: str | None
    type: str | None


class _RepoRef(TypedDict, total=False):
    id: int | None
    full_name: str | None
    name: str | None
    url: str | None


class _Ref(TypedDict, total=False):
    ref: str | None
    sha: str | None
    repo: _RepoRef | None


class _Label(TypedDict, total=False):
    name: str | None


class _Link(TypedDict, total=False):
    url: str | None


class _Item(TypedDict, total=False):  # an issue or a pull request
    number: int | None
    title: str | None
    body: str | None
    state: str | None
    created_at: str | None
    labels: list[_Label] | None
    merged: bool | None
    merged_at: str | None
    merge_commit_sha: str | None
    author_association: str | None
    user: _User | None
    base: _Ref | None
    head: _Ref | None
    pull_request: _Link | None  # present on an issue that is a PR: only its presence is used


class _Href(TypedDict, total=False):
    href: str | None


class _CommentLinks(TypedDict, total=False):
    pull_request: _Href | None


class _Comment(TypedDict, total=False):  # a comment or a review
    id: int | None
    body: str | None
    path: str | None
    diff_hunk: str | None
    commit_id: str | None
    original_commit_id: str | None
    state: str | None
    author_association: str | None
    user: _User | None
    _links: _CommentLinks | None  # a review comment's PR, where the payload has no pull_request


class _Payload(TypedDict, total=False):
    action: str | None
    number: int | None
    pull_request: _Item | None
    issue: int | _Item | None
    comment: _Comment | None
    review: _Comment | None
    forkee: int | _RepoRef | None
    actor_gravatar: str | None
    comment_id: int | None


class _Event(TypedDict, total=False):
    id: str | int
    type: str
    created_at: str
    actor: str | _User
    repo: _RepoRef
    payload: _Payload
    url: str


_PROJECTED = msgspec.json.Decoder(_Event)


# --------------------------------------------------------------------------- helpers
def parse_timestamp(value: Any) -> datetime | None:
    """ISO-8601 (Z or offset, e.g. Timeline's -07:00) -> aware UTC datetime; None when unreadable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        try:  # "2012/06/14 15:01:42 -0700", seen in some Timeline payload timestamps
            dt = datetime.strptime(value, "%Y/%m/%d %H:%M:%S %z")
        except ValueError:
            return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    try:
        return dt.astimezone(UTC)
    except OverflowError:  # year 1 or 9999 with an offset
        return None


def _utc_naive(value: Any) -> datetime | None:
    """`parse_timestamp` for the fast path, as a naive datetime in UTC: Arrow stores it as the same UTC
    instant, and converts it ~8x faster than an aware one (which costs a Python `utcoffset` call per value)."""
    if value is None:  # e.g. merged_at of every open pull request
        return None
    if value.__class__ is str and len(value) == 20 and value[19] == "Z":
        try:
            return datetime.fromisoformat(value[:19])
        except ValueError:
            pass
    dt = parse_timestamp(value)
    return None if dt is None else dt.replace(tzinfo=None)


def _d(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


_INT64_MAX = 2**63 - 1


def _int(value: Any) -> int | None:
    """An int64 column value; anything else (bools, floats, out-of-range numbers) is null."""
    if value.__class__ is str and value.isdigit():
        value = int(value)
    if value.__class__ is int and -_INT64_MAX <= value <= _INT64_MAX:
        return value
    return None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _login(user: Any) -> str | None:
    if isinstance(user, dict):
        return _str(user.get("login"))
    return _str(user)


def _labels(item: dict) -> list[str] | None:
    labels = item.get("labels")
    if not isinstance(labels, list):
        return None
    return [lab["name"] for lab in labels if isinstance(lab, dict) and isinstance(lab.get("name"), str)]


def _url_parts(url: Any) -> tuple[str | None, int | None, str | None]:
    """'https://github.com/o/n/pull/12#r3' -> ('o/n', 12, 'pull'); api.github.com/repos/... too."""
    m = _GITHUB_PATH_RE.match(url) if isinstance(url, str) else None
    if not m:
        return None, None, None
    number = int(m.group(4)) if m.group(4) else None
    return f"{m.group(1)}/{m.group(2)}", number, m.group(3)


def synthesize_event_id(obj: dict) -> str:
    """Stable id for an event without one: sha1 over its identity fields in canonical JSON.

    Mutable repository statistics (watchers, forks, pushed_at...) are left out so that the same event
    crawled twice gets the same id and is removed by the PR stage's dedup.
    """
    identity = {k: obj.get(k) for k in ("type", "created_at", "actor", "url", "payload")}
    repo = _d(obj.get("repository")) or _d(obj.get("repo"))
    identity["repo"] = [repo.get("owner"), repo.get("name"), repo.get("url")]
    digest = hashlib.sha1(orjson.dumps(identity, option=orjson.OPT_SORT_KEYS)).hexdigest()
    return f"syn-{digest}"


# --------------------------------------------------------------------------- normalisation
def detect_era(obj: dict, created_at: datetime) -> str:
    """Payload shape of one event (see module docstring)."""
    if "repository" in obj or isinstance(obj.get("actor"), str):
        return "timeline"
    if created_at >= TRIMMED_SINCE:
        return "trimmed"
    payload = _d(obj.get("payload"))
    if created_at < EARLY_UNTIL or "actor_gravatar" in payload:
        return "early2011"
    pr = payload.get("pull_request")
    if isinstance(pr, dict) and "head" in pr and not ({"title", "user", "state"} & pr.keys()):
        return "trimmed"
    return "events"


def _repo(obj: dict, era: str) -> tuple[str | None, int | None]:
    if era == "timeline":
        repo = _d(obj.get("repository"))
        return _timeline_repo_name(obj, repo), _int(repo.get("id"))
    repo = _d(obj.get("repo"))
    name = _str(repo.get("name"))
    if not name or "/" not in name:
        name = _url_parts(repo.get("url"))[0] or name
    return name, _int(repo.get("id"))


def _timeline_repo_name(obj: dict, repo: dict) -> str | None:
    """owner/name of a Timeline-era event. Organisation repositories carry `owner == ""` and a url like
    `https://github.com//name` (seen in 2013 hours), so the name is taken from the first field that holds
    it whole: owner + name, organization + name, the repository url, the event url, the PR's base repo."""
    name = _str(repo.get("name"))
    for owner in (_str(repo.get("owner")), _str(repo.get("organization"))):
        if owner and name:
            return f"{owner}/{name}"
    # a ForkEvent's own url is the new fork's page, not the forked repository's
    urls = (repo.get("url"),) if obj.get("type") == "ForkEvent" else (repo.get("url"), obj.get("url"))
    for url in urls:
        if found := _url_parts(url)[0]:
            return found
    base = _d(_d(_d(_d(obj.get("payload")).get("pull_request")).get("base")).get("repo"))
    full = _str(base.get("full_name"))
    if full and full.count("/") == 1 and all(full.split("/")):
        return full
    owner = _d(base.get("owner")).get("login")
    base_name = _str(base.get("name"))
    return f"{owner}/{base_name}" if _str(owner) and base_name else None


def _strings(d: dict, keys: tuple[str, ...]) -> list[str | None]:
    """Several string fields at once (one call instead of one per field)."""
    return [v if v.__class__ is str else None for v in map(d.get, keys)]


_PR_STR_COLUMNS = ("title", "body", "state", "merge_commit_sha", "author_association")
_ISSUE_STR_COLUMNS = ("title", "body", "state", "author_association")
_COMMENT_STR_COLUMNS = ("comment_body", "path", "diff_hunk", "commit_id", "original_commit_id")
_COMMENT_STR_KEYS = ("body", "path", "diff_hunk", "commit_id", "original_commit_id")
_REF_KEYS = ("sha", "ref")


def _user_fields(row: dict, user: Any) -> None:
    if user.__class__ is dict:
        row["user_login"], row["user_type"] = _strings(user, ("login", "type"))
    else:
        row["user_login"] = row["user_type"] = None


def _pull_request_fields(row: dict, pr: dict) -> None:
    base, head = _d(pr.get("base")), _d(pr.get("head"))
    head_repo = _d(head.get("repo"))
    head_repo_name = _str(head_repo.get("full_name")) or _url_parts(head_repo.get("url"))[0]
    merged = pr.get("merged")
    if row.get("number") is None:
        row["number"] = _int(pr.get("number"))
    row.update(zip(_PR_STR_COLUMNS, _strings(pr, _PR_STR_COLUMNS), strict=True))
    row["base_sha"], row["base_ref"] = _strings(base, _REF_KEYS)
    row["head_sha"], row["head_ref"] = _strings(head, _REF_KEYS)
    row["is_pull_request"] = True
    row["item_created_at"] = parse_timestamp(pr.get("created_at"))
    row["labels"] = _labels(pr)
    row["merged"] = merged if merged.__class__ is bool else None
    row["merged_at"] = parse_timestamp(pr.get("merged_at"))
    row["head_repo_name"] = head_repo_name
    _user_fields(row, pr.get("user"))


def _issue_fields(row: dict, issue: dict) -> None:
    row.update(zip(_ISSUE_STR_COLUMNS, _strings(issue, _ISSUE_STR_COLUMNS), strict=True))
    row["number"] = _int(issue.get("number"))
    row["is_pull_request"] = "pull_request" in issue
    row["item_created_at"] = parse_timestamp(issue.get("created_at"))
    row["labels"] = _labels(issue)
    _user_fields(row, issue.get("user"))


def _comment_fields(row: dict, comment: dict) -> None:
    """Comment/review columns; user_* become the comment author's (schema convention)."""
    row.update(zip(_COMMENT_STR_COLUMNS, _strings(comment, _COMMENT_STR_KEYS), strict=True))
    row["comment_id"] = _int(comment.get("id"))
    user = comment.get("user")
    if user:
        _user_fields(row, user)
        row["author_association"] = _str(comment.get("author_association"))


def _payload_fields(row: dict, etype: str, payload: dict, obj: dict, era: str) -> None:
    """Type-specific columns; robust to every era's payload (missing parts stay null)."""
    url = obj.get("url")  # only the Timeline era has one; it supplies what its payloads lack
    url_repo, url_number, url_kind = _url_parts(url) if url else (None, None, None)
    row["action"] = _str(payload.get("action"))
    if etype == "PullRequestEvent":
        row["number"] = _int(payload.get("number"))
        _pull_request_fields(row, _d(payload.get("pull_request")))
        if era == "trimmed":
            row["merged"] = True if row["action"] == "merged" else None
    elif etype == "IssuesEvent":
        issue = payload.get("issue")
        if isinstance(issue, dict):
            _issue_fields(row, issue)
        else:  # early2011/timeline: issue is a bare id
            row["number"] = _int(payload.get("number")) or url_number
            row["is_pull_request"] = True if url_kind == "pull" else None
    elif etype == "IssueCommentEvent":
        issue = payload.get("issue")
        if isinstance(issue, dict):
            _issue_fields(row, issue)
        else:
            row["number"] = url_number
            row["is_pull_request"] = True if url_kind == "pull" else None
        comment = payload.get("comment")
        if isinstance(comment, dict):
            _comment_fields(row, comment)
        else:  # timeline: {comment_id, issue_id}
            row["comment_id"] = _int(payload.get("comment_id"))
    elif etype == "PullRequestReviewCommentEvent":
        pr = payload.get("pull_request")
        if isinstance(pr, dict):
            _pull_request_fields(row, pr)
        comment = _d(payload.get("comment"))
        _comment_fields(row, comment)
        if row.get("number") is None:
            href = _d(_d(comment.get("_links")).get("pull_request")).get("href")
            row["number"] = _url_parts(href)[1] or url_number
            row["is_pull_request"] = True
    elif etype == "PullRequestReviewEvent":
        _pull_request_fields(row, _d(payload.get("pull_request")))
        review = _d(payload.get("review"))
        _comment_fields(row, review)
        row["review_state"] = _str(review.get("state"))
    elif etype == "ForkEvent":
        forkee = payload.get("forkee")
        if isinstance(forkee, dict):
            row["forkee_name"] = _str(forkee.get("full_name"))
        elif era == "timeline":  # the event url is the new fork's page
            row["forkee_name"] = url_repo
    if era == "trimmed":  # text was removed from the archive: never pretend we have it
        for col in ("title", "body", "user_login", "user_type", "author_association"):
            row[col] = None if etype == "PullRequestEvent" else row.get(col)


class UnusableEvent(RejectError, ValueError):
    """A kept-type event that cannot be used, with a rejection reason of its own (not `malformed_event`)."""


def normalize_event(obj: dict, source_file: str, line_number: int | None) -> dict | None:
    """One parsed GH Archive event -> one EVENTS row dict; None for types we do not keep."""
    etype = obj.get("type")
    if etype.__class__ is not str or etype not in KEPT_TYPES:
        return None
    created_at = parse_timestamp(obj.get("created_at"))
    if created_at is None:
        raise ValueError(f"unreadable created_at {obj.get('created_at')!r}")
    era = detect_era(obj, created_at)
    repo_name, repo_id = _repo(obj, era)
    if not repo_name:
        raise ValueError("no repository name")
    raw_id = obj.get("id")
    event_id = str(raw_id) if isinstance(raw_id, (str, int)) and raw_id != "" else synthesize_event_id(obj)
    row = _EMPTY_ROW.copy()  # every column present, so batches are built with C-level itemgetter/zip
    row["event_id"] = event_id
    row["event_type"] = etype
    row["created_at"] = created_at
    row["repo_id"] = repo_id
    row["repo_name"] = repo_name
    row["actor_login"] = _login(obj.get("actor"))
    row["payload_era"] = era
    row["source_file"] = source_file
    row["line_number"] = line_number
    payload = _d(obj.get("payload"))
    _payload_fields(row, etype, payload, obj, era)
    if etype != "ForkEvent" and (huge := _huge_number(row["number"], payload, obj)) is not None:
        raise UnusableEvent("number_out_of_range", f"{etype}: number {str(huge)[:40]} is beyond int64")
    return row


def _huge_number(number: int | None, payload: dict, obj: dict) -> int | float | None:
    """A PR or issue number that no int64 column can hold: such a PR cannot be assembled, so the event is
    rejected rather than silently unattributed. It is the row's number (a url's, unchecked) or, when that
    is null, a number of the payload (past 2**64 a float, from the lenient JSON parse) or of the url."""
    if number is not None:
        return None if -_INT64_MAX <= number <= _INT64_MAX else number
    numbers = [h.get("number") for h in (payload, _d(payload.get("pull_request")), _d(payload.get("issue")))]
    numbers.append(_url_parts(obj.get("url"))[1])
    for n in numbers:
        if n.__class__ is int and not -_INT64_MAX <= n <= _INT64_MAX:
            return n
        if n.__class__ is float and n == n and abs(n) > _INT64_MAX:  # n == n: not NaN
            return n
    return None
