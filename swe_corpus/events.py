"""GH Archive hour file -> batches of the flat `events` table (schemas.EVENTS), plus rejections.

Public API (stable; the PR stage and the Beam stage call it):

- ``iter_event_batches(source, source_file=None, batch_size=8192, stats=None)``
  yields ``(pyarrow.Table with schemas.EVENTS, list[rejected row dict])`` for one hour file.
  ``source`` is a path or a binary file object, gzip (detected by magic bytes) or plain JSON lines.
  Nothing larger than one compressed chunk plus one batch is ever held in memory.
- ``ParseStats``: counters filled while iterating (lines, objects, per-type read/kept, rejects per
  reason, skipped types, bytes in/out, invalid UTF-8 lines replaced, NUL bytes skipped).
- ``normalize_event(obj, source_file, line_number)``: one parsed event dict -> one row dict (or
  ``None`` for a type we do not keep); raises ``ValueError`` for a kept-type event it cannot read.
- ``KEPT_TYPES``, ``synthesize_event_id(obj)``, ``iter_decompressed(binary_file)`` (streaming gzip),
  ``parse_timestamp(value)`` (any era's or the REST API's ISO-8601 -> aware UTC, None when unreadable).

Eras (see NOTES.md section 2), all normalised to one flat shape in UTC:
``early2011`` (Events-API shape with tiny legacy payloads), ``timeline`` (2012-2014: no ids,
``repository`` object, string ``actor``, Pacific-time timestamps; ids are synthesized as
``syn-`` + sha1 of the event's identity fields, so duplicates of one event share an id),
``events`` (2015+), ``trimmed`` (from 2025-10-07, or any PullRequestEvent whose pull_request is the
stub without title/user/state: text columns stay null).

Damage handling: a gzip stream that ends early or breaks keeps every line before the break and
records one ``truncated_gzip`` / ``corrupt_gzip`` rejection for the unreadable remainder; two objects
on one line (``}{``) are split; NUL padding is skipped (it also separates records); invalid UTF-8 is
replaced and counted; a line that is not JSON (or nested too deeply to parse) is rejected as
``not_json``; a kept-type event that cannot be normalised is rejected as ``malformed_event`` (or
``number_out_of_range`` for a PR/issue number beyond int64); a file without any event as ``empty_hour``.

Speed: ISA-L decompression in small steps (the chunk stays in cache); lines are found in place; the
event type is found with a byte-level regex before any JSON parsing, so events of types we do not keep
(about 3/4 of an hour) are counted and skipped unparsed; a kept event of the plain events era
(2015 .. 2025-10-06, nearly all of the archive) is decoded by msgspec into Structs holding only the
fields we use (everything else is skipped without building Python objects) and turned straight into a
row tuple by ``fast_row``; any other era or anything unusual goes to ``normalize_event`` on a projected
dict, or a full, lenient orjson parse; Arrow columns are built per batch from the row tuples.
"""

from __future__ import annotations

import hashlib
import json
import operator
import os
import re
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import IO, Annotated, Any, TypedDict

import msgspec
import orjson
import pyarrow as pa

from schemas.tables import EVENTS
from swe_corpus.rejects import rejection

try:  # ISA-L: ~1.6x faster than zlib for gzip; same API.
    from isal import isal_zlib as _zlib

    _ZLIB_ERRORS: tuple[type[BaseException], ...] = (_zlib.error, zlib.error)
except ImportError:  # pragma: no cover - isal is a declared dependency
    _zlib = zlib
    _ZLIB_ERRORS = (zlib.error,)

STAGE = "ingest"
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
CHUNK_BYTES = 1 << 15  # compressed bytes per step: ~200 KB decompressed stays in cache
MAX_STEP_OUTPUT = 1 << 20  # decompressed bytes per step at most (an hour's steps are ~200 KB)
MAX_LINE_BYTES = 64 << 20  # a "line" longer than this is damage, not an event (longest seen: ~32 KB)
# A 2024 hour holds ~250k lines and a handful of damaged ones. Past these, a file is a bomb (10 GB of
# `{}` or of junk lines): the rest is not read, and one rejection says why (hour_too_many_lines /
# hour_too_many_rejections), so one file costs bounded time and output.
MAX_LINES_PER_HOUR = 10_000_000
MAX_REJECTIONS_PER_HOUR = 100_000
_KEPT_TYPES_BYTES = frozenset(t.encode() for t in KEPT_TYPES)

# `"type":"XEvent"` as written by GH Archive (compact) or by json.dumps (one space).
_TYPE_RE = re.compile(rb'"type": ?"([A-Za-z]+Event)"')
# The same at the start of a 2015+ line (`{"id":"123","type":"XEvent"`): an anchored match is cheaper than
# a search, and where it matches it finds what the search would (an id of digits holds no "type").
_LEADING_TYPE_RE = re.compile(rb'\{"id":"[0-9]+","type":"([A-Za-z]+Event)"')
_GITHUB_PATH_RE = re.compile(r"^https?://[^/]+/(?:repos/)?([^/]+)/([^/#?]+)(?:/(issues|pull|pulls)/(\d+))?")
_GLUE_RE = re.compile(rb'\}\{"')  # two objects on one line: never valid JSON outside a string
# How every 2015+ line starts. Anywhere else in a line it marks a second event, glued on (`}{"id"`) or
# spliced onto a cut one: no other object in an event starts with a string "id".
_EVENT_START = b'{"id":"'


def _holds_more_objects(data: bytes) -> bool:
    """Whether one line may hold a second object (glued or spliced on)."""
    return _GLUE_RE.search(data) is not None or data.find(_EVENT_START, 1) != -1


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


# --------------------------------------------------------------------------- statistics
@dataclass
class ParseStats:
    """What one or more files held; the Beam stage turns these into metrics, benches print them."""

    files: int = 0
    bytes_in: int = 0  # compressed (or plain) bytes read
    bytes_out: int = 0  # decompressed bytes
    lines: int = 0
    objects: int = 0  # records entering the funnel: objects/lines read (+1 per unreadable remainder)
    kept: int = 0
    skipped_type: int = 0
    invalid_utf8: int = 0
    nul_bytes: int = 0
    read_by_type: Counter = field(default_factory=Counter)
    kept_by_type: Counter = field(default_factory=Counter)
    rejected_by_reason: Counter = field(default_factory=Counter)


# --------------------------------------------------------------------------- decompression
class _CountingReader:
    """Wraps a binary file object and counts bytes read (compressed MB/s in the summary)."""

    def __init__(self, raw: IO[bytes]):
        self.raw, self.count = raw, 0

    def read(self, n: int) -> bytes:
        data = self.raw.read(n)
        self.count += len(data)
        return data


class StreamBreak(Exception):
    """The compressed stream ended early or is corrupt; everything before it was yielded."""

    def __init__(self, reason: str, detail: str):
        super().__init__(detail)
        self.reason, self.detail = reason, detail


def iter_decompressed(raw: IO[bytes], chunk_bytes: int = CHUNK_BYTES) -> Iterator[bytes]:
    """Decompressed chunks of a gzip (multi-member aware) or plain stream, raising StreamBreak at a break.

    A hand-driven decompressor rather than GzipFile so that the bytes decoded before a break are
    always delivered, and memory stays at one chunk whatever the file size.
    """
    head = raw.read(chunk_bytes)
    if head[:2] != b"\x1f\x8b":
        while head:
            yield head
            head = raw.read(chunk_bytes)
        return
    dec = _zlib.decompressobj(wbits=31)
    data, limited = head, False
    while True:
        if not data and not limited:
            data = raw.read(chunk_bytes)
            if not data:
                if not dec.eof:
                    raise StreamBreak("truncated_gzip", "gzip stream ended before its end-of-stream marker")
                return
        try:  # bounded output per step: 32 KB of a gzip bomb would expand to ~33 MB at once
            out = dec.decompress(data, MAX_STEP_OUTPUT)
        except _ZLIB_ERRORS as exc:
            raise StreamBreak("corrupt_gzip", f"gzip data error: {exc}") from None
        limited = len(out) == MAX_STEP_OUTPUT  # more may be pending: ask again before reading
        if out:
            yield out
        data = dec.unconsumed_tail
        if dec.eof:
            limited = False
            rest = dec.unused_data
            if not rest:
                rest = raw.read(chunk_bytes)
            if not rest.strip(b"\x00"):
                if not rest:
                    return
                continue  # trailing NUL padding after the last member
            dec = _zlib.decompressobj(wbits=31)  # next gzip member
            data = rest


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
    for url in (repo.get("url"), obj.get("url")):
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


class UnusableEvent(ValueError):
    """A kept-type event that cannot be used, with a rejection reason of its own (not `malformed_event`)."""

    def __init__(self, reason: str, detail: str):
        super().__init__(detail)
        self.reason = reason


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
    if row["number"] is None and etype != "ForkEvent" and (huge := _huge_number(payload)) is not None:
        raise UnusableEvent("number_out_of_range", f"{etype}: number {str(huge)[:40]} is beyond int64")
    return row


def _huge_number(payload: dict) -> int | None:
    """A PR or issue number that no int64 column can hold (the row's number is then null): such a PR
    cannot be assembled, so the event is rejected rather than silently unattributed."""
    for holder in (payload, _d(payload.get("pull_request")), _d(payload.get("issue"))):
        n = holder.get("number")
        if n.__class__ is int and not -_INT64_MAX <= n <= _INT64_MAX:
            return n
    return None


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


# --------------------------------------------------------------------------- line parsing
def _loads_lenient(data: bytes) -> tuple[Any, bool]:
    """Parse JSON; on invalid UTF-8 (or lone surrogate escapes) replace the bad parts. -> (obj, replaced)."""
    try:
        return orjson.loads(data), False
    except orjson.JSONDecodeError:
        try:
            obj = json.loads(data.decode("utf-8", "replace"))  # ValueError here: not JSON at all
            # The stdlib keeps lone surrogates (from escapes like \ud800) that Arrow cannot store: replace them.
            return orjson.loads(json.dumps(obj, ensure_ascii=False).encode("utf-8", "replace")), True
        except RecursionError:  # nested deeper than the stack (orjson stops at 1024 levels): no event
            raise ValueError("JSON nested too deeply") from None


def _split_objects(data: bytes) -> list[bytes] | None:
    """The objects of an unparseable line holding several; None if it does not look like it does.

    Glued `{...}{...}` is split at each `}{` where the part before parses. Failing that, a line with
    `{"id":"` after its start (an event spliced onto a cut one) is split before each of those, so the
    event after the cut is read and the cut part alone is rejected.
    """
    parts = _split_glued(data) if b"}{" in data else None
    if parts is None:
        starts = []
        pos = data.find(_EVENT_START, 1)
        while pos != -1:
            starts.append(pos)
            pos = data.find(_EVENT_START, pos + 1)
        if starts:
            parts = [data[a:b] for a, b in zip([0, *starts], [*starts, len(data)], strict=True)]
    return parts


_JSON_VALUE = json.JSONDecoder()  # `raw_decode` says where the first JSON value of a text ends


def _split_glued(data: bytes) -> list[bytes] | None:
    """Split `{...}{...}` (objects glued on one line) after each object that parses; None if no split.

    Linear: each object is parsed once, from where the one before it ended (trying every `}{` as an end
    instead costs one parse per candidate, which a cut line full of `}{` in its text turns quadratic).
    Decoded with `surrogateescape`, so each part encodes back to exactly its original bytes.
    """
    text = data.decode("utf-8", "surrogateescape")
    parts: list[bytes] = []
    start = 0
    while text.startswith("{", start):
        try:
            _, end = _JSON_VALUE.raw_decode(text, start)
        except (ValueError, RecursionError):
            break
        if not text.startswith("{", end):
            break
        parts.append(text[start:end].encode("utf-8", "surrogateescape"))
        start = end
    if not parts:
        return None
    parts.append(text[start:].encode("utf-8", "surrogateescape"))
    return parts


def _build_table(rows: list[tuple]) -> pa.Table:
    """Row tuples (COLUMNS order) -> an EVENTS table: transposed in C, one `pyarrow.array` per column."""
    columns = zip(*rows, strict=True) if rows else [[] for _ in COLUMNS]
    arrays = [pa.array(values, type=fld.type) for values, fld in zip(columns, EVENTS, strict=True)]
    return pa.Table.from_arrays(arrays, schema=EVENTS)


class _HourParser:
    """Turns the records of one file into kept rows, skips and rejections, updating ParseStats."""

    def __init__(self, source_file: str, stats: ParseStats):
        self.source_file, self.stats = source_file, stats
        self.rows: list[tuple] = []  # kept events as row tuples in COLUMNS order
        self.rejected: list[dict] = []
        # Per-type counts of the hot loop, folded into `stats` once per batch (`fold_counts`):
        # kept events by type name, skipped lines by type as bytes.
        self.fast_kept: Counter = Counter()
        self.fast_skipped: Counter = Counter()

    def reject(self, reason: str, detail: str | None, line_number: int | None, raw: bytes | None) -> None:
        self.stats.rejected_by_reason[reason] += 1
        self.rejected.append(
            rejection(STAGE, reason, detail, source_file=self.source_file, line_number=line_number, raw=raw)
        )

    def overlong(self, buf: bytes, line_number: int) -> bytes:
        """A line longer than MAX_LINE_BYTES and still without its newline: reject it, stop buffering."""
        self.stats.objects += 1
        self.reject("line_too_long", f"no newline within {MAX_LINE_BYTES} bytes", line_number, buf)
        return b""  # the line's remainder then reads as one more unparseable line

    def chunk(self, buf: bytes, line_number: int, size: int | None = None, start: int = 0) -> int:
        """Every line of `buf[start:size]` (complete lines only); returns the last line number used.

        Hot loop: lines are found in place and never copied unless they need the slow path; a line
        whose type (found by regex) is not kept is counted and skipped; a kept line is decoded by the
        projecting msgspec decoder straight from a memoryview.
        """
        find, search, glued, view = buf.find, _TYPE_RE.search, _GLUE_RE.search, memoryview(buf)
        leading, decode, source_file = _LEADING_TYPE_RE.match, _FAST.decode, self.source_file
        kept_types, skipped, fast_types, append_row = _KEPT_TYPES_BYTES, [], [], self.rows.append
        pos, size = start, len(buf) if size is None else size
        has_nul = find(b"\x00", pos, size) != -1  # NUL padding is rare: look line by line only if present
        # A run of consecutive skipped lines (start offset, line number before it, its first index in
        # `skipped`) is checked for glued objects once, as one span: `}{"` never spans a newline.
        run, run_line, run_skipped = -1, 0, 0
        while pos < size:
            end = find(b"\n", pos)
            if end == -1:
                end = size
            line_number += 1
            match = None
            if buf[end - 1] == 0x7D and not (has_nul and find(b"\x00", pos, end) != -1):
                match = leading(buf, pos, end)  # the line's first type: 2015+ lines (it checks the `{`)
                if match is None and buf[pos] == 0x7B:
                    match = search(buf, pos, end)  # other eras
                if match is not None and (etype := match[1]) not in kept_types:
                    if run < 0:
                        run, run_line, run_skipped = pos, line_number - 1, len(skipped)
                    skipped.append(etype)
                    pos = end + 1
                    continue
            if run >= 0:
                if glued(buf, run, pos):
                    self.redo_run(buf, run, pos, run_line, skipped, run_skipped)
                run = -1
            if match is None:
                self.line(buf[pos:end], line_number)  # padding, blank, odd or typeless lines
            else:
                try:  # the fast path, inlined: most kept lines end here
                    row = fast_row(decode(view[pos:end]), source_file, line_number)
                except _DECODE_ERRORS:
                    row = None
                if row is None:
                    self.decode_kept(view[pos:end], line_number)  # glued objects fail the decode too
                else:
                    append_row(row)
                    fast_types.append(row[1])
            pos = end + 1
        if run >= 0 and glued(buf, run, size):
            self.redo_run(buf, run, size, run_line, skipped, run_skipped)
        if fast_types:
            self.stats.objects += len(fast_types)
            self.stats.kept += len(fast_types)
            self.fast_kept.update(fast_types)
        if skipped:
            self.stats.objects += len(skipped)
            self.stats.skipped_type += len(skipped)
            self.fast_skipped.update(skipped)
        return line_number

    def redo_run(
        self, buf: bytes, start: int, stop: int, line_number: int, skipped: list, first: int
    ) -> None:
        """A run of skipped lines holds glued objects (rare): forget its skips, redo it line by line.

        A kept event may hide behind a skipped one on the same line; `line` splits and counts each.
        """
        del skipped[first:]
        pos = start
        while pos < stop:
            end = buf.find(b"\n", pos, stop)
            if end == -1:
                end = stop
            line_number += 1
            self.line(buf[pos:end], line_number)
            pos = end + 1

    def line(self, data: bytes, line_number: int) -> None:
        """One physical line: may hold NUL padding, one object, or several glued or spliced objects."""
        if b"\x00" in data:
            self.stats.nul_bytes += data.count(b"\x00")
            for segment in data.split(b"\x00"):
                if segment.strip():
                    self.record(segment.strip(), line_number)
            return
        data = data.strip()
        if data:
            self.record(data, line_number)

    def record(self, data: bytes, line_number: int) -> None:
        """One candidate object: skip a whole, well-formed object of an unkept type without parsing."""
        match = _TYPE_RE.search(data)
        if (
            match
            and match.group(1) not in _KEPT_TYPES_BYTES
            and data[0] == 0x7B
            and data[-1] == 0x7D
            and not _holds_more_objects(data)
        ):
            self.stats.objects += 1
            self.stats.skipped_type += 1
            self.stats.read_by_type[match.group(1).decode()] += 1
            return
        self.parse(data, line_number)

    def fold_counts(self) -> None:
        """Add the hot loop's per-type counts to `stats` (each batch: stats are whole at every yield)."""
        stats = self.stats
        for etype, n in self.fast_kept.items():
            stats.read_by_type[etype] += n
            stats.kept_by_type[etype] += n
        for etype, n in self.fast_skipped.items():
            stats.read_by_type[etype.decode()] += n
        self.fast_kept.clear()
        self.fast_skipped.clear()

    def decode_kept(self, data: memoryview, line_number: int) -> None:
        """A kept line the fast path declined: projected dict + normalize_event, or the full parse."""
        try:
            obj = _PROJECTED.decode(data)
        except _DECODE_ERRORS:
            self.parse(bytes(data), line_number)
            return
        raw_id = obj.get("id")
        if raw_id is None or raw_id == "":  # no id (Timeline): the synthesized id hashes the full payload
            self.parse(bytes(data), line_number)
            return
        self.stats.objects += 1
        self.accept(obj, line_number, data)

    def parse(self, data: bytes, line_number: int) -> None:
        """Slow path: full, lenient parse of one candidate object (or of glued or spliced objects)."""
        try:
            obj, replaced = _loads_lenient(data)
        except ValueError:
            parts = _split_objects(data)
            if parts is None:
                self.stats.objects += 1
                self.reject("not_json", "line is not a JSON object", line_number, data)
                return
            for part in parts:
                self.record(part, line_number)
            return
        self.stats.objects += 1
        if replaced:
            self.stats.invalid_utf8 += 1
        if not isinstance(obj, dict):
            self.reject("not_json", "JSON value is not an object", line_number, data)
            return
        self.accept(obj, line_number, data)

    def accept(self, obj: dict, line_number: int, data: bytes | memoryview) -> None:
        """Count a parsed object; keep it as a row, skip its type, or reject it as malformed."""
        etype = obj.get("type")
        self.stats.read_by_type[str(etype)] += 1
        if etype.__class__ is not str or etype not in KEPT_TYPES:  # a dict "type" is not hashable
            self.stats.skipped_type += 1
            return
        try:
            row = normalize_event(obj, self.source_file, line_number)
        except UnusableEvent as exc:
            self.reject(exc.reason, str(exc), line_number, bytes(data))
            return
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            self.reject("malformed_event", f"{etype}: {exc}", line_number, bytes(data))
            return
        self.stats.kept += 1
        self.stats.kept_by_type[etype] += 1
        self.rows.append(_ROW_VALUES(row))


def _open(source: str | os.PathLike | IO[bytes]) -> tuple[IO[bytes], bool]:
    if isinstance(source, (str, os.PathLike)):
        return open(source, "rb"), True  # noqa: SIM115 - closed by the caller
    return source, False


def iter_event_batches(
    source: str | os.PathLike | IO[bytes],
    source_file: str | None = None,
    batch_size: int = 8192,
    stats: ParseStats | None = None,
    max_lines: int = MAX_LINES_PER_HOUR,
    max_rejections: int = MAX_REJECTIONS_PER_HOUR,
) -> Iterator[tuple[pa.Table, list[dict]]]:
    """Stream one GH Archive file into (EVENTS table, rejected rows) batches of <= batch_size events.

    The last batch may hold zero events but still carry rejections; every file yields at least one
    batch. Rejections leave in batches of at most ~batch_size too (with an empty table when no events
    came with them), so a damaged hour never piles them up. `source_file` names the file in rows
    (default: the basename of `source`).
    """
    stats = stats if stats is not None else ParseStats()
    if source_file is None:
        source_file = os.path.basename(os.fspath(source)) if isinstance(source, (str, os.PathLike)) else "?"
    raw, owned = _open(source)
    counting = _CountingReader(raw)
    parser = _HourParser(source_file, stats)
    stats.files += 1
    objects_before, bytes_out_before = stats.objects, stats.bytes_out
    line_number, rest = 0, b""
    try:
        try:
            for chunk in iter_decompressed(counting):
                stats.bytes_out += len(chunk)
                start = 0
                if rest:  # finish the line cut at the last chunk's end; the chunk itself is never copied
                    start = chunk.find(b"\n") + 1
                    if start:
                        line_number = parser.chunk(rest + chunk[:start], line_number)
                        rest = b""
                cut = chunk.rfind(b"\n")
                if cut >= start:
                    line_number = parser.chunk(chunk, line_number, cut + 1, start)
                rest += chunk[max(cut + 1, start) :]
                if len(rest) > MAX_LINE_BYTES:
                    rest = parser.overlong(rest, line_number + 1)
                while len(parser.rows) >= batch_size:
                    yield _drain(parser, batch_size)
                if len(parser.rejected) >= batch_size:
                    yield _drain_rejected(parser)
                _check_bounds(stats, line_number, max_lines, max_rejections)
        except StreamBreak as brk:
            _record_break(parser, brk, rest, line_number + 1)
            rest = b""
        if rest:
            line_number = parser.chunk(rest, line_number)
        if stats.objects == objects_before:  # a 0-byte file, an empty gzip, blank lines: no hour of events
            stats.objects += 1
            size = stats.bytes_out - bytes_out_before
            parser.reject("empty_hour", f"the file holds no event ({size} bytes decompressed)", None, None)
        stats.lines += line_number
        stats.bytes_in += counting.count
        while len(parser.rows) > batch_size:
            yield _drain(parser, batch_size)
        yield _drain(parser, batch_size)
    finally:
        if owned:
            raw.close()


def _record_break(parser: _HourParser, brk: StreamBreak, tail: bytes, line_number: int) -> None:
    """A stream break: keep a complete object left before it, and record the unreadable remainder."""
    stripped = tail.strip(b"\x00 \r\n\t")
    if stripped:
        try:
            orjson.loads(stripped)
        except orjson.JSONDecodeError:
            pass
        else:  # the break fell right after a complete object: keep it
            parser.line(stripped, line_number)
            tail, line_number = b"", line_number + 1
    parser.stats.objects += 1
    parser.reject(brk.reason, brk.detail, line_number, tail or None)


def _check_bounds(stats: ParseStats, lines: int, max_lines: int, max_rejections: int) -> None:
    """Stop reading a file that is a bomb rather than an hour (see MAX_LINES_PER_HOUR)."""
    if lines > max_lines:
        raise StreamBreak("hour_too_many_lines", f"more than {max_lines} lines: the rest is not read")
    if sum(stats.rejected_by_reason.values()) > max_rejections:
        raise StreamBreak(
            "hour_too_many_rejections", f"more than {max_rejections} rejected records: the rest is not read"
        )


def _drain_rejected(parser: _HourParser) -> tuple[pa.Table, list[dict]]:
    """The rejections recorded so far, with no events (those wait for a full batch)."""
    parser.fold_counts()
    rejected, parser.rejected = parser.rejected, []
    return _build_table([]), rejected


def _drain(parser: _HourParser, batch_size: int) -> tuple[pa.Table, list[dict]]:
    """The next batch of at most batch_size rows, with every rejection recorded so far."""
    parser.fold_counts()  # first: a row Arrow refuses below is taken off counts that include it
    rows = parser.rows[:batch_size]
    parser.rows = parser.rows[batch_size:]
    try:
        table = _build_table(rows)
    except (pa.ArrowException, OverflowError, TypeError, ValueError):
        table = _flush_row_by_row(parser, rows)
    rejected, parser.rejected = parser.rejected, []
    return table, rejected


_EVENT_TYPE, _LINE_NUMBER = COLUMNS.index("event_type"), COLUMNS.index("line_number")


def _flush_row_by_row(parser: _HourParser, rows: list[tuple]) -> pa.Table:
    """A value Arrow refused: convert rows one by one, rejecting the ones that fail. Never a crash."""
    good = []
    for row in rows:
        try:
            _build_table([row])
        except (pa.ArrowException, OverflowError, TypeError, ValueError) as exc:
            parser.stats.kept -= 1
            parser.stats.kept_by_type[row[_EVENT_TYPE]] -= 1
            parser.reject("malformed_event", f"not storable: {exc}", row[_LINE_NUMBER], None)
        else:
            good.append(row)
    return _build_table(good)
