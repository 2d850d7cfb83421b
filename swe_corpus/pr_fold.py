"""Fold EVENTS rows into PR and issue records a table at a time: columns in, columns out, no Beam.

Why columns: the fold runs over every PR/issue event of the input (a 2024 day: ~1.3M), and a Python
loop over row dicts ran at 1/20 of DuckDB's GROUP BY. Here row positions are sorted once by item and
event order, so each item's events are one contiguous run of positions; every field is then a
vectorised reduction over the runs (numpy `reduceat`, Arrow `take` of the values kept). Python is left for what needs it: closing
links in the text of PRs that can hold one (prefiltered by a regex in Arrow) and the verdicts on the
PRs a rule rejects.

The rules (`pull_requests.assemble_pull_request` and `assemble_issue` are this fold over one item's
rows, and their tests pin them): the item key of `with_item_key`; duplicate event ids kept once;
events in `chronological_order`; the latest non-null value of each field; the merge event's shas
first; `final_state`; comments one entry per id (`conversation`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from schemas.tables import COMMENT, EVENTS, ISSUES, PULL_REQUESTS, REVIEW, REVIEW_COMMENT
from swe_corpus.linking import REF_MARK_RE2, link_pull_request

PR_EVENT_TYPES = frozenset(
    {
        "PullRequestEvent",
        "IssueCommentEvent",
        "PullRequestReviewCommentEvent",
        "PullRequestReviewEvent",
        "IssuesEvent",
    }
)
# EVENTS columns the fold reads (the rest, e.g. source_file, stay behind before the shuffle)
ASSEMBLY_COLUMNS = (
    "event_id", "event_type", "action", "created_at", "repo_id", "repo_name", "number", "is_pull_request",
    "title", "body", "state", "item_created_at", "labels", "merged", "merged_at", "merge_commit_sha",
    "base_sha", "base_ref", "head_sha", "head_ref", "head_repo_name", "user_login", "user_type",
    "comment_id", "comment_body", "review_state", "path", "diff_hunk", "commit_id", "original_commit_id",
    "payload_era",
)  # fmt: skip
# The item key (`with_item_key`) as two columns: PR or issue, and "i<repo_id>" or "n<name>"
IS_PR, REPO_KEY = "_is_pr", "_repo_key"
_ASSEMBLY_EVENTS = pa.schema([EVENTS.field(c) for c in ASSEMBLY_COLUMNS])
ASSEMBLY = pa.schema(list(_ASSEMBLY_EVENTS) + [pa.field(IS_PR, pa.bool_()), pa.field(REPO_KEY, pa.string())])
LINK = pa.struct(
    [("repo", pa.string()), ("number", pa.int64()), ("link_source", pa.string()), ("link_text", pa.string())]
)
# A folded PR: PULL_REQUESTS plus what the join and the verdicts read (dropped when they are written)
FOLDED_PULL_REQUESTS = pa.schema(
    list(PULL_REQUESTS)
    + [
        pa.field("_links", pa.list_(LINK)),
        pa.field("_has_pr_event", pa.bool_()),
        pa.field("_trimmed", pa.bool_()),
    ]
)
FOLDED_ISSUES = pa.schema(list(ISSUES) + [pa.field("_opened_in_window", pa.bool_())])
_STATE_OF_ACTION = {"opened": "open", "reopened": "open", "closed": "closed", "merged": "closed"}
_PR_EVENT = "PullRequestEvent"
_COMMENT_KINDS = (  # (list column, event type, its struct, {field: EVENTS column})
    ("comments", "IssueCommentEvent", COMMENT, {"body": "comment_body"}),
    (
        "review_comments",
        "PullRequestReviewCommentEvent",
        REVIEW_COMMENT,
        {
            "body": "comment_body",
            "path": "path",
            "diff_hunk": "diff_hunk",
            "commit_id": "commit_id",
            "original_commit_id": "original_commit_id",
        },
    ),  # fmt: skip
    ("reviews", "PullRequestReviewEvent", REVIEW, {"body": "comment_body", "state": "review_state"}),
)


def relevant_events(table: pa.Table) -> tuple[pa.Table, int]:
    """(the PR/issue events of an EVENTS table (any columns beyond ASSEMBLY_COLUMNS) with a number,
    as ASSEMBLY rows with their item key columns; how many PR/issue events had no number: nothing to
    fold them into). Parquet may hand back other string types (dictionary): cast to EVENTS' here."""
    table = table.select(list(ASSEMBLY_COLUMNS))
    if table.schema != _ASSEMBLY_EVENTS:
        table = table.cast(_ASSEMBLY_EVENTS)
    relevant = pc.is_in(table["event_type"], pa.array(sorted(PR_EVENT_TYPES)))
    keep = pc.and_(relevant, pc.is_valid(table["number"]))
    unattributed = pc.sum(relevant).as_py() - pc.sum(keep).as_py() if table.num_rows else 0
    return with_item_key(table.filter(keep)), unattributed


def with_item_key(table: pa.Table) -> pa.Table:
    """ASSEMBLY_COLUMNS rows -> ASSEMBLY (the item key added): PR when the event says so or its type is
    a PR type; repository by numeric id when known (renames), else by lower-cased name.

    Timeline-era rows have no id, so an item with events on both sides of 2015 forms two groups
    (docs/prs.md, "Grouping key"); the issue join then keeps one and rejects the other."""
    is_pr = pc.or_(
        pc.fill_null(table["is_pull_request"], False), pc.starts_with(table["event_type"], "PullRequest")
    )
    repo_key = pc.if_else(
        pc.is_valid(table["repo_id"]),
        pc.binary_join_element_wise("i", pc.cast(table["repo_id"], pa.string()), ""),
        pc.binary_join_element_wise("n", pc.utf8_lower(table["repo_name"]), ""),
    )
    return table.append_column(IS_PR, is_pr).append_column(REPO_KEY, repo_key).cast(ASSEMBLY)


@dataclass(frozen=True)
class Folded:
    """What one fold gives: a FOLDED_PULL_REQUESTS table and a FOLDED_ISSUES table."""

    pull_requests: pa.Table
    issues: pa.Table


def fold(events: pa.Table, links: bool = True) -> Folded:
    """ASSEMBLY rows (any number of items, any order, duplicates included) -> one record per item;
    PRs with their closing links and mentions, or (`links=False`) without, for `with_links` to add
    to the PRs a stage keeps.

    The rows are never moved: the fold reduces over `chronological_order`, a permutation, and takes
    from the input only the values its records keep."""
    events = events.combine_chunks()
    order = chronological_order(events)
    starts = _run_starts(events, order)
    issue_rows = int(len(order) - np.count_nonzero(_numpy(events[IS_PR])[order]))  # issues sort first
    return Folded(
        pull_requests=_fold_pull_requests(
            links, _Runs(events, order[issue_rows:], starts[starts >= issue_rows] - issue_rows)
        ),
        issues=_fold_issues(_Runs(events, order[:issue_rows], starts[starts < issue_rows])),
    )


# --------------------------------------------------------------------------- order and runs
def chronological_order(events: pa.Table) -> np.ndarray:
    """The rows sorted by item (issues before PRs), then by event: time, then synthesized ids before
    numeric ones, numeric ids by length then digits (no int(): ids are untrusted text, '12²' is
    isdigit() but not ASCII); one row per (item, event_id): the first in that order (GH Archive
    repeats events within and across hours)."""
    eid = events["event_id"]
    numeric = pc.and_(pc.string_is_ascii(eid), pc.utf8_is_digit(eid))
    keys = {"pr": events[IS_PR], "repo": events[REPO_KEY], "number": events["number"]}
    ordering = pa.table(
        {**keys, "at": events["created_at"], "numeric": numeric,
         "length": pc.if_else(numeric, pc.utf8_length(eid), 0), "eid": eid}
    )  # fmt: skip
    order = pc.sort_indices(ordering, sort_keys=[(name, "ascending") for name in ordering.column_names])
    order = order.to_numpy()
    first = (
        pa.table(
            {
                **{k: v.take(order) for k, v in keys.items()},
                "eid": eid.take(order),
                "at": np.arange(len(order)),
            }
        )
        .group_by([*keys, "eid"], use_threads=False)
        .aggregate([("at", "min")])["at_min"]
        .to_numpy()
    )
    return order if len(first) == len(order) else order[np.sort(first)]


def chronological(events: pa.Table) -> pa.Table:
    """The rows in `chronological_order`."""
    return events.take(pa.array(chronological_order(events)))


def _numpy(values) -> np.ndarray:
    return values.to_numpy(zero_copy_only=False)


def _run_starts(events: pa.Table, order: np.ndarray) -> np.ndarray:
    """Start (in `order`) of each item's run of events."""
    n = len(order)
    if n == 0:
        return np.zeros(0, np.int64)
    change = np.zeros(n, bool)
    change[0] = True
    for name in (IS_PR, REPO_KEY, "number"):
        column = events[name].combine_chunks()
        codes = _numpy(pc.dictionary_encode(column).indices if pa.types.is_string(column.type) else column)
        codes = codes[order]
        change[1:] |= codes[1:] != codes[:-1]
    return np.flatnonzero(change)


class _Runs:
    """The reductions over item runs that every field is made of: `order` lists the rows of the
    runs (positions in it are "sorted positions"), `starts` where each run begins in it."""

    def __init__(self, events: pa.Table, order: np.ndarray, starts: np.ndarray):
        self.events, self.order, self.starts, self.n = events, order, starts, len(order)
        self.ends = np.append(starts[1:], self.n).astype(np.int64) if len(starts) else starts
        self.positions = np.arange(self.n)

    def mask(self, expression) -> np.ndarray:
        """A boolean column of the input (null as false), in sorted positions."""
        return _numpy(pc.fill_null(expression, False))[self.order]

    def last_where(self, mask: np.ndarray) -> np.ndarray:
        """Per run: the last sorted position where `mask` holds, -1 where none does."""
        if not len(self.starts):
            return np.zeros(0, np.int64)
        return np.maximum.reduceat(np.where(mask, self.positions, -1), self.starts)

    def any(self, mask: np.ndarray) -> np.ndarray:
        return self.last_where(mask) >= 0

    def take(self, values: pa.ChunkedArray | pa.Array, rows: np.ndarray) -> pa.Array:
        """An input column's values at sorted positions `rows`, null where a row is -1."""
        rows = np.asarray(rows, np.int64)
        source = self.order[np.maximum(rows, 0)] if len(self.order) else rows
        taken = values.take(pa.array(source, type=pa.int64(), mask=rows < 0))
        return taken.combine_chunks() if isinstance(taken, pa.ChunkedArray) else taken

    def latest(self, name: str, mask: np.ndarray | None = None) -> pa.Array:
        """Per run: the last non-null value of column `name` (among rows where `mask` holds)."""
        values = self.events[name]
        valid = self.mask(pc.is_valid(values))
        return self.take(values, self.last_where(valid if mask is None else valid & mask))

    def at_start(self, name: str) -> pa.Array:
        return self.take(self.events[name], self.starts)

    def at_end(self, name: str) -> pa.Array:
        return self.take(self.events[name], self.ends - 1)

    def earliest_time(self, name: str) -> pa.Array:
        """Per run: the smallest non-null timestamp of column `name`."""
        values = self.events[name]
        micros = _numpy(pc.fill_null(pc.cast(values, pa.int64()), np.iinfo(np.int64).max))[self.order]
        least = np.minimum.reduceat(micros, self.starts) if len(self.starts) else micros[:0]
        return pa.array(least, mask=least == np.iinfo(np.int64).max).cast(values.type)

    def of_type(self, event_type: str) -> np.ndarray:
        return self.mask(pc.equal(self.events["event_type"], event_type))

    def final_state(self) -> pa.Array:
        """Per run: the state after the last event that tells it (a PR open/close/merge action, else
        a non-empty stated state): close/reopen/close sequences end where they end."""
        action = self.events["action"]
        from_action = pc.take(
            pa.array(list(_STATE_OF_ACTION.values())),
            pc.index_in(action, pa.array(list(_STATE_OF_ACTION))),
        )
        by_action = pc.and_(pc.equal(self.events["event_type"], _PR_EVENT), pc.is_valid(from_action))
        state = self.events["state"]
        stated = pc.if_else(pc.equal(state, ""), pa.scalar(None, pa.string()), state)
        told = pc.if_else(pc.fill_null(by_action, False), from_action, stated)
        return self.take(told, self.last_where(self.mask(pc.is_valid(told))))

    def conversation(self, event_type: str, struct: pa.StructType, fields: dict[str, str]) -> pa.Array:
        """Per run: one entry per comment id (else event id), with the first
        time seen, the first non-empty author (else the latest row's), the latest non-null body and
        the latest row's other fields; deleted ids left out; chronological. -> list<struct>, one per run."""
        events, typed, never = self.events, self.of_type(event_type), np.iinfo(np.int64).max
        deleted = typed & self.mask(pc.equal(events["action"], "deleted"))
        live = np.flatnonzero(typed & ~deleted)
        run_of = np.repeat(np.arange(len(self.starts)), self.ends - self.starts)
        comment_id, author, body = events["comment_id"], events["user_login"], events["comment_body"]
        entry_key = pc.if_else(
            pc.and_kleene(pc.is_valid(comment_id), pc.not_equal(comment_id, 0)),
            pc.binary_join_element_wise("c", pc.cast(comment_id, pa.string()), ""),
            pc.binary_join_element_wise("e", events["event_id"], ""),
        )
        authored = self.mask(pc.and_kleene(pc.is_valid(author), pc.not_equal(author, "")))
        entries = (
            pa.table(
                {
                    "run": run_of[live],
                    "key": entry_key.take(self.order[live]),
                    "row": live,
                    "author_row": np.where(authored[live], live, never),
                    "body_row": np.where(self.mask(pc.is_valid(body))[live], live, -1),
                }
            )
            .group_by(["run", "key"], use_threads=False)
            .aggregate([("row", "min"), ("row", "max"), ("author_row", "min"), ("body_row", "max")])
        )
        runs, first, last = (entries[c].to_numpy() for c in ("run", "row_min", "row_max"))
        author_row, body_row = entries["author_row_min"].to_numpy(), entries["body_row_max"].to_numpy()
        author_row = np.where(author_row != never, author_row, last)
        gone = np.flatnonzero(deleted & self.mask(pc.is_valid(comment_id)))
        if len(gone):  # entries whose id a deletion in the same run names
            ids = _numpy(self.take(comment_id, last))
            removed = pa.table({"run": run_of[gone], "id": self.take(comment_id, gone)})
            hit = pa.table({"run": runs, "id": ids, "entry": np.arange(len(runs))}).join(
                removed, ["run", "id"], join_type="inner"
            )["entry"]
            keep = np.ones(len(runs), bool)
            keep[hit.to_numpy()] = False
            runs, first, last, author_row, body_row = (
                a[keep] for a in (runs, first, last, author_row, body_row)
            )
        created = self.take(events["created_at"], first)
        order = pc.sort_indices(
            pa.table({"run": runs, "at": created, "first": first}),
            sort_keys=[("run", "ascending"), ("at", "ascending"), ("first", "ascending")],
        ).to_numpy()
        runs, first, last, author_row, body_row = (
            a[order] for a in (runs, first, last, author_row, body_row)
        )
        columns = {
            "id": self.take(comment_id, last),
            "author": self.take(author, author_row),
            "created_at": self.take(events["created_at"], first),
            "body": self.take(body, body_row),
        }
        columns.update({f: self.take(events[src], last) for f, src in fields.items() if f != "body"})
        values = pa.StructArray.from_arrays(
            [columns[f.name].cast(f.type) for f in struct], fields=list(struct)
        )
        offsets = np.zeros(len(self.starts) + 1, np.int32)
        np.cumsum(np.bincount(runs, minlength=len(self.starts)), out=offsets[1:])
        return pa.ListArray.from_arrays(pa.array(offsets), values, type=pa.list_(struct))


# --------------------------------------------------------------------------- records
def _instance_ids(repo: pa.Array, number: pa.Array) -> pa.Array:
    """`rejects.instance_id` as columns: owner/name #N -> owner__name-N."""
    return pc.binary_join_element_wise(
        pc.replace_substring(repo, "/", "__"), pc.cast(number, pa.string()), "-"
    )


def _fold_pull_requests(links: bool, runs: _Runs) -> pa.Table:
    events, starts = runs.events, runs.starts
    repo, number = runs.at_end("repo_name"), runs.at_start("number")
    pr_event = runs.of_type(_PR_EVENT)
    merged_flag = runs.mask(pc.equal(events["merged"], True)) | runs.mask(
        pc.equal(events["action"], "merged")
    )
    by_event = runs.last_where(pr_event & merged_flag)
    merge = np.where(by_event >= 0, by_event, runs.last_where(runs.mask(pc.is_valid(events["merged_at"]))))
    merged = merge >= 0
    title, body = runs.latest("title"), runs.latest("body")
    columns = {
        "instance_id": _instance_ids(repo, number),
        "repo": repo,
        "repo_id": runs.latest("repo_id"),
        "number": number,
        "title": title,
        "body": body,
        "user_login": runs.latest("user_login", pr_event),
        "user_type": runs.latest("user_type", pr_event),
        "created_at": pc.coalesce(runs.earliest_time("item_created_at"), runs.at_start("created_at")),
        "state": runs.final_state(),
        "merged": pa.array(merged),
        "merged_at": pc.coalesce(
            runs.take(events["merged_at"], merge), runs.take(events["created_at"], merge)
        ),
        "merge_commit_sha": pc.if_else(
            pa.array(merged),
            _either(runs.take(events["merge_commit_sha"], merge), runs.latest("merge_commit_sha")),
            pa.scalar(None, pa.string()),
        ),
        "event_count": pa.array(runs.ends - runs.starts),
        "hydrated": pa.array(np.zeros(len(starts), bool)),
        "_has_pr_event": pa.array(runs.any(pr_event)),
        "_trimmed": pa.array(~runs.any(pr_event & ~runs.mask(pc.equal(events["payload_era"], "trimmed")))),
    }
    for column in ("base_sha", "base_ref", "head_sha", "head_ref", "head_repo_name"):
        columns[column] = _either(runs.take(events[column], merge), runs.latest(column))
    for name, event_type, struct, fields in _COMMENT_KINDS:
        columns[name] = runs.conversation(event_type, struct, fields)
    size = len(starts)
    columns["_links"] = pa.array([[]] * size, pa.list_(LINK))
    columns["mentioned_issues"] = pa.array([[]] * size, PULL_REQUESTS.field("mentioned_issues").type)
    columns["linked_issues"] = pa.array([[]] * size, PULL_REQUESTS.field("linked_issues").type)
    for name in ("problem_statement", "hints_text"):
        columns[name] = pa.nulls(size, pa.string())
    pulls = pa.table({f.name: columns[f.name] for f in FOLDED_PULL_REQUESTS}, schema=FOLDED_PULL_REQUESTS)
    return with_links(pulls) if links else pulls


def with_links(pulls: pa.Table) -> pa.Table:
    """FOLDED_PULL_REQUESTS rows with `_links` and `mentioned_issues` from their title and body."""
    found, mentioned = _links(*(pulls[c].combine_chunks() for c in ("repo", "number", "title", "body")))
    pulls = pulls.set_column(pulls.schema.get_field_index("_links"), "_links", found)
    return pulls.set_column(pulls.schema.get_field_index("mentioned_issues"), "mentioned_issues", mentioned)


def _fold_issues(runs: _Runs) -> pa.Table:
    events, starts = runs.events, runs.starts
    repo, number = runs.at_end("repo_name"), runs.at_start("number")
    issue_event = runs.of_type("IssuesEvent")
    size = len(starts)
    columns = {
        "issue_id": _instance_ids(repo, number),
        "repo": repo,
        "repo_id": runs.latest("repo_id"),
        "number": number,
        "title": runs.latest("title"),
        "body": runs.latest("body"),
        "author": runs.latest("user_login", issue_event),
        "created_at": runs.earliest_time("item_created_at"),
        "state": runs.final_state(),
        "labels": runs.latest("labels"),
        "comments": runs.conversation(*_COMMENT_KINDS[0][1:]),
        "hydrated": pa.array(np.zeros(size, bool)),
        "_opened_in_window": pa.array(
            runs.any(issue_event & runs.mask(pc.equal(events["action"], "opened")))
        ),
    }
    return pa.table({f.name: columns[f.name] for f in FOLDED_ISSUES}, schema=FOLDED_ISSUES)


def _either(first: pa.Array, then: pa.Array) -> pa.Array:
    """Python's `first or then` for strings: an empty `first` counts as missing."""
    return pc.coalesce(pc.if_else(pc.equal(first, ""), pa.scalar(None, pa.string()), first), then)


def _links(repo: pa.Array, number: pa.Array, title: pa.Array, body: pa.Array) -> tuple[pa.Array, pa.Array]:
    """(closing links, mentions) of each PR (`linking.link_pull_request`), run only on the PRs whose
    title or body holds a reference's mark: the rest have neither."""
    size = len(repo)
    hinted = pc.or_(
        pc.fill_null(pc.match_substring_regex(title, REF_MARK_RE2), False),
        pc.fill_null(pc.match_substring_regex(body, REF_MARK_RE2), False),
    ).to_numpy(zero_copy_only=False)
    links: list = [[] for _ in range(size)]
    mentions: list = [[] for _ in range(size)]
    rows = np.flatnonzero(hinted)
    texts = zip(*(c.take(rows).to_pylist() for c in (repo, number, title, body)), strict=True)
    for row, (name, num, head, text) in zip(rows, texts, strict=True):
        found, mentioned = link_pull_request(name, num, head, text)
        links[row], mentions[row] = [lk.row() for lk in found], [m.row() for m in mentioned]
    return (
        pa.array(links, pa.list_(LINK)),
        pa.array(mentions, PULL_REQUESTS.field("mentioned_issues").type),
    )
