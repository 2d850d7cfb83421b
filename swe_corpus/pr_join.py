"""Join folded PRs to the issues they close, a table at a time: columns in, columns out, no Beam.

The PR stage moves a few large tables through its shuffles instead of one element per PR: events go
to a bucket by repository (`split_by_bucket`), each bucket folds (`pr_fold.fold`), every closing link
becomes a small reference row (`link_references`) that meets the issues of its (repo, number) in a
join bucket (`choose_issues`, `join_references`), and the linked issues found there go back to the
PR's bucket as parts (`attach_parts`). The decisions stay those of `swe_corpus.pull_requests`
(`link_rejection`, `linked_issue`, `problem_statement`, `hints_text`); the issue ranking is here.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from schemas.tables import ISSUES, LINKED_ISSUE, PULL_REQUESTS
from swe_corpus import pull_requests as prs
from swe_corpus.pr_fold import LINK

PR_KEY = "_pr_key"  # a PR's unique key within the stage: its bucket and row (instance ids may repeat)
REFERENCES = pa.schema(
    [
        ("pr_bucket", pa.int64()),
        (PR_KEY, pa.string()),
        ("instance_id", pa.string()),
        ("pr_repo", pa.string()),
        ("link_index", pa.int64()),
        ("link", LINK),
        ("join_repo", pa.string()),
        ("join_number", pa.int64()),
    ]
)
PARTS = pa.schema(
    [("pr_bucket", pa.int64()), (PR_KEY, pa.string()), ("link_index", pa.int64()), ("linked", LINKED_ISSUE)]
)
_ISSUE_TEXT = ("title", "body", "author", "created_at", "state", "labels", "comments", "hydrated")


def bucket_of(values: pa.Array | pa.ChunkedArray, buckets: int) -> np.ndarray:
    """A stable bucket in [0, buckets) per string value (crc32 of its UTF-8: the same in every worker
    process, unlike `hash`); computed once per distinct value."""
    distinct = pc.unique(values)
    codes = np.array([zlib.crc32(v.encode()) % buckets for v in distinct.to_pylist()], dtype=np.int64)
    return (
        codes[pc.index_in(values, distinct).to_numpy(zero_copy_only=False)]
        if len(codes)
        else np.zeros(len(values), np.int64)
    )


def split_by_bucket(table: pa.Table, buckets: np.ndarray) -> Iterator[tuple[int, pa.Table]]:
    """(bucket, its rows) for each bucket present, as slices of one reordered copy: pack them
    (`pipelines.common.pack` writes a slice's own rows; a pickled slice carries its parent's buffers)."""
    order = np.argsort(buckets, kind="stable")
    sorted_buckets = buckets[order]
    starts = np.flatnonzero(np.diff(sorted_buckets)) + 1
    if not len(order):
        return
    if len(starts) == 0:
        yield int(sorted_buckets[0]), table
        return
    table = table.take(pa.array(order))
    for start, end in zip(np.append(0, starts), np.append(starts, len(order)), strict=True):
        yield int(sorted_buckets[start]), table.slice(start, end - start)


def issue_join_columns(table: pa.Table) -> tuple[pa.Array, pa.Array]:
    """The issue join key as columns: (lower-cased repo, number); repository names are
    case-insensitive on GitHub."""
    return pc.utf8_lower(table["repo"]), table["number"]


def with_pr_keys(table: pa.Table, prefix: str) -> pa.Table:
    """Folded PRs with PR_KEY: `prefix` (the fold bucket, or a hydrated batch) and the row."""
    keys = pc.binary_join_element_wise(prefix, pa.array(np.arange(table.num_rows)).cast(pa.string()), ":")
    return table.append_column(PR_KEY, keys)


def link_references(pulls: pa.Table, pr_bucket: int) -> pa.Table:
    """One REFERENCES row per closing link of each PR (PRs keyed by `with_pr_keys`)."""
    links = pulls["_links"].combine_chunks()
    owner = pc.list_parent_indices(links).to_numpy()
    flat = pc.list_flatten(links)
    position = np.arange(len(owner)) - np.searchsorted(owner, owner)  # the link's place in its PR
    refs = {
        "pr_bucket": pa.array(np.full(len(flat), pr_bucket)),
        PR_KEY: pulls[PR_KEY].take(pa.array(owner)),
        "instance_id": pulls["instance_id"].take(pa.array(owner)),
        "pr_repo": pulls["repo"].take(pa.array(owner)),
        "link_index": pa.array(position),
        "link": flat,
        "join_repo": pc.utf8_lower(flat.field("repo")),
        "join_number": flat.field("number"),
    }
    return pa.table(refs, schema=REFERENCES)


def choose_issues(issues: pa.Table) -> tuple[pa.Table, list[tuple[dict, dict]]]:
    """(one issue per (repo, number): the most complete group of events, i.e. with text, then
    opened in the window, then with the most comments (ties: lowest repo_id); the
    (left out, kept) pairs for `duplicate_issue_rejection`)."""
    repo, number = issue_join_columns(issues)
    ranked = pc.sort_indices(
        pa.table(
            {
                "repo": repo,
                "number": number,
                "text": pc.is_valid(issues["title"]),
                "opened": pc.fill_null(issues["_opened_in_window"], False),
                "comments": pc.list_value_length(issues["comments"]),
                "id": issues["issue_id"],
                "repo_id": issues["repo_id"],
            }
        ),
        sort_keys=[("repo", "ascending"), ("number", "ascending"), ("text", "descending"),
                   ("opened", "descending"), ("comments", "descending"), ("repo_id", "ascending")],
    )  # fmt: skip
    issues = issues.take(ranked)
    repo, number = issue_join_columns(issues)
    size = issues.num_rows
    first = np.ones(size, bool)
    if size > 1:
        same = pc.and_(
            pc.equal(repo.slice(1), repo.slice(0, size - 1)),
            pc.equal(number.slice(1), number.slice(0, size - 1)),
        )
        first[1:] = ~pc.fill_null(same, False).to_numpy(zero_copy_only=False)
    duplicates = np.flatnonzero(~first)
    if not len(duplicates):
        return issues, []
    kept_of = np.maximum.accumulate(np.where(first, np.arange(size), 0))
    rows = issues.take(pa.array(duplicates)).to_pylist()
    kept = issues.take(pa.array(kept_of[duplicates])).to_pylist()
    return issues.filter(pa.array(first)), list(zip(rows, kept, strict=True))


def join_references(refs: pa.Table, issues: pa.Table) -> np.ndarray:
    """Per reference: the row of `issues` (one per join key, from `choose_issues`) it names, -1 if none."""
    if not refs.num_rows:
        return np.zeros(0, np.int64)
    repo, number = issue_join_columns(issues)
    left = pa.table({"r": refs["join_repo"], "n": refs["join_number"], "ref": np.arange(refs.num_rows)})
    right = pa.table({"r": repo, "n": number, "issue": np.arange(issues.num_rows)})
    matched = left.join(right, ["r", "n"], join_type="left outer", use_threads=False)
    found = np.full(refs.num_rows, -1, np.int64)
    hit = matched.filter(pc.is_valid(matched["issue"]))
    found[hit["ref"].to_numpy()] = hit["issue"].to_numpy()
    return found


def parts(refs: pa.Table, issues: pa.Table) -> pa.Table:
    """PARTS rows: each reference with the LINKED_ISSUE it resolves to (`pull_requests.linked_issue`);
    `issues` aligned with `refs` (one row each)."""
    link = refs["link"].combine_chunks()
    fields = {k: link.field(k) for k in ("repo", "number", "link_source", "link_text")}
    fields.update({k: issues[k].combine_chunks() for k in _ISSUE_TEXT})
    linked = pa.StructArray.from_arrays(
        [fields[f.name].cast(f.type) for f in LINKED_ISSUE], fields=list(LINKED_ISSUE)
    )
    columns = {"pr_bucket": refs["pr_bucket"], PR_KEY: refs[PR_KEY], "link_index": refs["link_index"]}
    return pa.table({**columns, "linked": linked}, schema=PARTS)


def attach_parts(pulls: pa.Table, found: pa.Table) -> pa.Table:
    """Folded PRs (with PR_KEY) and the PARTS that name them -> PULL_REQUESTS rows: linked_issues in
    link order, problem_statement (each issue's title and body) and hints_text (their comments
    written before the PR's opening: the extract stage cuts again at its first commit)."""
    size = pulls.num_rows
    found = found.filter(pc.is_in(found[PR_KEY], pulls[PR_KEY]))
    owner = pc.index_in(found[PR_KEY], pulls[PR_KEY]).to_numpy(zero_copy_only=False).astype(np.int64)
    order = np.lexsort((found["link_index"].to_numpy(), owner))
    owner = owner[order]
    linked = found["linked"].combine_chunks().take(pa.array(order, pa.int64()))
    offsets = np.zeros(size + 1, np.int32)
    np.cumsum(np.bincount(owner, minlength=size), out=offsets[1:])
    linked_issues = pa.ListArray.from_arrays(pa.array(offsets), linked, type=pa.list_(LINKED_ISSUE))
    statements, hints = [""] * size, [""] * size
    with_links = np.flatnonzero(np.diff(offsets))
    if len(with_links):
        created = pulls["created_at"].take(pa.array(with_links)).to_pylist()
        texts = linked_issues.take(pa.array(with_links)).to_pylist()
        for row, issues, cutoff in zip(with_links, texts, created, strict=True):
            statements[row] = prs.problem_statement(issues)
            hints[row] = prs.hints_text(issues, cutoff)
    columns = {
        "linked_issues": linked_issues,
        "problem_statement": pa.array(statements, pa.string()),
        "hints_text": pa.array(hints, pa.string()),
    }
    return pa.table({f.name: columns.get(f.name, pulls[f.name]) for f in PULL_REQUESTS}, schema=PULL_REQUESTS)


def public_issues(issues: pa.Table) -> pa.Table:
    """ISSUES rows (the private columns dropped)."""
    return issues.select(ISSUES.names).cast(ISSUES)
