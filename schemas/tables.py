"""Table definitions. Field docs live in each field's metadata (key ``doc``) so docs are generated."""

from __future__ import annotations

import pyarrow as pa

TS = pa.timestamp("us", tz="UTC")


def f(name: str, typ: pa.DataType, doc: str, nullable: bool = True) -> pa.Field:
    return pa.field(name, typ, nullable=nullable, metadata={"doc": doc})


def schema(fields: list[pa.Field], doc: str) -> pa.Schema:
    return pa.schema(fields, metadata={"doc": doc})


def extend(base: pa.Schema, fields: list[pa.Field], doc: str) -> pa.Schema:
    return schema(list(base) + fields, doc)


# --------------------------------------------------------------------------- rejected
REJECTED = schema(
    [
        f(
            "stage",
            pa.string(),
            "Stage that rejected the record: ingest, prs, hydrate, extract, curate, ...",
            False,
        ),
        f(
            "reason",
            pa.string(),
            "Short machine-readable reason code, e.g. gap_404, not_json, unmerged, bot_login.",
            False,
        ),
        f("detail", pa.string(), "Human-readable detail (never contains credentials)."),
        f(
            "instance_id",
            pa.string(),
            "PR/issue id (owner__repo-NUMBER) when the rejected record is a PR or issue.",
        ),
        f("repo", pa.string(), "Repository (owner/name) when known."),
        f("source_file", pa.string(), "Input file (GH Archive hour) for line-level rejections and gaps."),
        f("line_number", pa.int64(), "1-based line number in source_file for line-level rejections."),
        f(
            "raw_prefix",
            pa.string(),
            "First bytes of the raw input line (UTF-8, replacement chars), for line-level rejections.",
        ),
    ],
    "Every record dropped by any stage, with the stage and the reason. in = kept + rejected, per stage.",
)

# --------------------------------------------------------------------------- events
EVENTS = schema(
    [
        f(
            "event_id",
            pa.string(),
            "GH Archive event id; for eras without ids (Timeline), a stable 'syn-' + sha1 of the event's identity fields (type, created_at, actor, url, payload, repository) in canonical JSON: duplicates share it.",
            False,
        ),
        f(
            "event_type",
            pa.string(),
            "PullRequestEvent, IssuesEvent, IssueCommentEvent, PullRequestReviewCommentEvent, PullRequestReviewEvent, ForkEvent.",
            False,
        ),
        f(
            "action",
            pa.string(),
            "Payload action (opened, closed, reopened, merged, created, edited, labeled, ...).",
        ),
        f("created_at", TS, "Event time in UTC (Timeline-era Pacific times converted).", False),
        f("repo_id", pa.int64(), "Numeric repository id (stable across renames) when the era provides it."),
        f("repo_name", pa.string(), "Repository as owner/name at event time.", False),
        f("actor_login", pa.string(), "Login of the actor that triggered the event."),
        f("number", pa.int64(), "Issue or pull-request number."),
        f(
            "is_pull_request",
            pa.bool_(),
            "True when the event concerns a pull request (also IssueCommentEvent on a PR).",
        ),
        f("title", pa.string(), "Issue/PR title (null in the trimmed era)."),
        f("body", pa.string(), "Issue/PR body (null in the trimmed era)."),
        f("state", pa.string(), "Issue/PR state at event time (open, closed)."),
        f("item_created_at", TS, "Creation time of the issue/PR itself (UTC)."),
        f("labels", pa.list_(pa.string()), "Issue/PR labels where the payload carries them."),
        f("merged", pa.bool_(), "PR merged flag (trimmed era: true for the 'merged' action)."),
        f("merged_at", TS, "PR merge time (UTC)."),
        f("merge_commit_sha", pa.string(), "Merge commit sha of a merged PR."),
        f("base_sha", pa.string(), "PR base sha."),
        f("base_ref", pa.string(), "PR base branch."),
        f("head_sha", pa.string(), "PR head sha."),
        f("head_ref", pa.string(), "PR head branch."),
        f("head_repo_name", pa.string(), "owner/name of the PR's head repository (the fork), when known."),
        f("user_login", pa.string(), "Author of the issue/PR (or of the comment/review for comment events)."),
        f("user_type", pa.string(), "GitHub account type of user_login: User, Bot, Organization."),
        f(
            "author_association",
            pa.string(),
            "OWNER, MEMBER, CONTRIBUTOR, NONE... (absent from the trimmed era).",
        ),
        f("comment_id", pa.int64(), "Comment/review id for comment and review events."),
        f("comment_body", pa.string(), "Comment or review body."),
        f("review_state", pa.string(), "Review state (approved, changes_requested, commented, dismissed)."),
        f("path", pa.string(), "File path of a review comment."),
        f("diff_hunk", pa.string(), "Diff hunk of a review comment."),
        f("commit_id", pa.string(), "Commit of a review comment/review."),
        f("original_commit_id", pa.string(), "Original commit of a review comment."),
        f("forkee_name", pa.string(), "owner/name of the fork created by a ForkEvent."),
        f("payload_era", pa.string(), "Payload shape: early2011, timeline, events, trimmed.", False),
        f(
            "source_file",
            pa.string(),
            "GH Archive hour file the event came from, e.g. 2015-01-01-1.json.gz.",
            False,
        ),
        f("line_number", pa.int64(), "1-based line in source_file."),
    ],
    "One row per kept GH Archive event, all eras normalised to one flat shape in UTC.",
)

# --------------------------------------------------------------------------- issues / PRs
COMMENT = pa.struct([("id", pa.int64()), ("author", pa.string()), ("created_at", TS), ("body", pa.string())])
REVIEW_COMMENT = pa.struct(
    [
        ("id", pa.int64()),
        ("author", pa.string()),
        ("created_at", TS),
        ("body", pa.string()),
        ("path", pa.string()),
        ("diff_hunk", pa.string()),
        ("commit_id", pa.string()),
        ("original_commit_id", pa.string()),
    ]
)
REVIEW = pa.struct(
    [
        ("id", pa.int64()),
        ("author", pa.string()),
        ("created_at", TS),
        ("state", pa.string()),
        ("body", pa.string()),
    ]
)
ISSUE_REF = pa.struct([("repo", pa.string()), ("number", pa.int64())])
LINKED_ISSUE = pa.struct(
    [
        ("repo", pa.string()),
        ("number", pa.int64()),
        ("link_source", pa.string()),  # title, body, commit
        ("link_text", pa.string()),  # the matched text, e.g. "Fixes #12"
        ("title", pa.string()),
        ("body", pa.string()),
        ("author", pa.string()),
        ("created_at", TS),
        ("state", pa.string()),
        ("labels", pa.list_(pa.string())),
        ("comments", pa.list_(COMMENT)),
        ("hydrated", pa.bool_()),  # text came from the GitHub API
    ]
)

ISSUES = schema(
    [
        f("issue_id", pa.string(), "owner__repo-NUMBER.", False),
        f("repo", pa.string(), "owner/name (latest seen).", False),
        f("repo_id", pa.int64(), "Numeric repository id when known."),
        f("number", pa.int64(), "Issue number.", False),
        f("title", pa.string(), "Latest title."),
        f("body", pa.string(), "Latest body."),
        f("author", pa.string(), "Issue author login."),
        f("created_at", TS, "Issue creation time."),
        f("state", pa.string(), "Latest state."),
        f("labels", pa.list_(pa.string()), "Labels where available."),
        f("comments", pa.list_(COMMENT), "Issue comments, chronological."),
        f("hydrated", pa.bool_(), "Text came from the GitHub REST API."),
    ],
    "One row per issue (not PR) seen in the events, for linking to PRs.",
)

PULL_REQUESTS = schema(
    [
        f("instance_id", pa.string(), "owner__repo-NUMBER (SWE-bench convention).", False),
        f("repo", pa.string(), "owner/name, the latest name seen.", False),
        f("repo_id", pa.int64(), "Numeric repository id (groups renames)."),
        f("number", pa.int64(), "PR number.", False),
        f("title", pa.string(), "Latest title."),
        f("body", pa.string(), "Latest body."),
        f("user_login", pa.string(), "PR author login."),
        f("user_type", pa.string(), "PR author account type (User, Bot)."),
        f("created_at", TS, "PR creation time."),
        f("state", pa.string(), "Final state (open, closed)."),
        f("merged", pa.bool_(), "Merged."),
        f("merged_at", TS, "Merge time."),
        f("base_sha", pa.string(), "Base sha."),
        f("base_ref", pa.string(), "Base branch."),
        f("head_sha", pa.string(), "Head sha."),
        f("head_ref", pa.string(), "Head branch."),
        f("head_repo_name", pa.string(), "Head repository (fork) owner/name."),
        f("merge_commit_sha", pa.string(), "Merge commit sha."),
        f("comments", pa.list_(COMMENT), "Issue comments on the PR, chronological."),
        f("review_comments", pa.list_(REVIEW_COMMENT), "Review comments, chronological."),
        f("reviews", pa.list_(REVIEW), "Reviews, chronological."),
        f(
            "linked_issues",
            pa.list_(LINKED_ISSUE),
            "Issues the PR resolves (closing keywords), with their text.",
        ),
        f("mentioned_issues", pa.list_(ISSUE_REF), "Issues mentioned without a closing keyword."),
        f(
            "problem_statement",
            pa.string(),
            "Each linked issue as 'title\\nbody\\n', concatenated (SWE-bench).",
        ),
        f(
            "hints_text",
            pa.string(),
            "Linked-issue comments written before the PR's first commit (or its opening).",
        ),
        f("hydrated", pa.bool_(), "PR text or merge data came from the GitHub REST API."),
        f("event_count", pa.int64(), "Distinct events aggregated into this record."),
    ],
    "One row per pull request, with its conversation and linked issues.",
)

# --------------------------------------------------------------------------- code extraction
CHANGED_FILE = pa.struct(
    [
        ("path", pa.string()),
        ("old_path", pa.string()),
        ("status", pa.string()),  # added, modified, deleted, renamed
        ("language", pa.string()),
        ("is_test", pa.bool_()),
        ("binary", pa.bool_()),
        ("additions", pa.int64()),
        ("deletions", pa.int64()),
        ("before_blob", pa.string()),  # blob sha at the merge base (null for added)
        ("after_blob", pa.string()),  # blob sha at head (null for deleted)
        ("before_size", pa.int64()),
        ("after_size", pa.int64()),
        (
            "content_omitted",
            pa.string(),
        ),  # null, or why content is not in blobs: binary, oversized, undecodable, symlink, submodule
    ]
)
COMMIT = pa.struct(
    [("sha", pa.string()), ("message", pa.string()), ("author_time", TS), ("author_name", pa.string())]
)
RELEVANT_FILE = pa.struct(
    [("path", pa.string()), ("blob_sha", pa.string()), ("score", pa.float64()), ("reason", pa.string())]
)

PULL_REQUESTS_EXTRACTED = extend(
    PULL_REQUESTS,
    [
        f("base_commit", pa.string(), "Merge base of base_sha and head_sha (SWE-bench's base_commit)."),
        f("extraction_method", pa.string(), "merge_base, merge_commit_first_parent, or pr_commits."),
        f(
            "patch",
            pa.large_string(),
            "Unified diff base_commit..head of the files that are neither tests nor documentation (SWE-bench's gold patch).",
        ),
        f("test_patch", pa.large_string(), "Unified diff base_commit..head of test files."),
        f(
            "doc_patch",
            pa.large_string(),
            "Unified diff base_commit..head of documentation: changelog entries, release notes, docs, AUTHORS. patch + test_patch + doc_patch is the whole change.",
        ),
        f(
            "changed_files",
            pa.list_(CHANGED_FILE),
            "Every changed path with status, language, sizes and blob ids.",
        ),
        f("commits", pa.list_(COMMIT), "Commits from base_commit to head, chronological."),
        f(
            "relevant_files",
            pa.list_(RELEVANT_FILE),
            "Unchanged files predicted relevant, ranked, with score and reason.",
        ),
        f(
            "relevant_predictor",
            pa.string(),
            "Predictor that produced relevant_files (local, llm, llm_fallback_local).",
        ),
        f(
            "root_commits",
            pa.list_(pa.string()),
            "Root commits (no parents) of the clone's history, for recognising forks/mirrors/renamed copies "
            "of benchmark repositories by shared history (decontamination). Null when unknown.",
        ),
    ],
    "PRs with code recovered from the repository clone; contents are referenced by blob sha into `blobs`.",
)

BLOBS = schema(
    [
        f("blob_sha", pa.string(), "Git blob id (sha1 of the object).", False),
        f("size", pa.int64(), "Size in bytes.", False),
        f("content", pa.large_string(), "Decoded UTF-8 text content.", False),
    ],
    "File contents stored once per git blob id; PR rows reference (path, blob_sha): "
    "`changed_files.before_blob` (at base_commit), `changed_files.after_blob` (at head) and "
    "`relevant_files.blob_sha` (at base_commit). A changed file whose `content_omitted` is set "
    "(binary, oversized, undecodable, symlink, submodule, missing) has no row here. "
    "Join: `unnest(changed_files)` then `blobs ON blob_sha = before_blob`.",
)

# --------------------------------------------------------------------------- curation
PULL_REQUESTS_CURATED = extend(
    PULL_REQUESTS_EXTRACTED,
    [
        f("text_language", pa.string(), "fastText lid.176 label of the issue+PR text (e.g. en)."),
        f("text_language_score", pa.float64(), "fastText probability of text_language."),
        f("num_changed_files", pa.int64(), "Changed files."),
        f("num_changed_lines", pa.int64(), "Added + deleted lines."),
        f("patch_bytes", pa.int64(), "Bytes of patch + test_patch + doc_patch."),
        f("dedup_cluster", pa.string(), "Near-duplicate cluster id (instance_id of its representative)."),
        f("dedup_cluster_size", pa.int64(), "Members of the cluster (1 = unique)."),
        f("issue_kind", pa.string(), "bug, feature, other: rule-based classification of the linked issues."),
        f(
            "issue_kind_reason",
            pa.string(),
            "The evidence for issue_kind: label:NAME, title:bug 'WORD', question_title, docs_title, request...",
        ),
        f("is_rl_seed", pa.bool_(), "Selected for rl_seed."),
        f(
            "rl_seed_skip_reason",
            pa.string(),
            "Why a kept PR is not an RL seed (no_linked_issue, not_bug_report, no_code_change, context_too_large, missing_content, error).",
        ),
    ],
    "PRs that passed every filter, with their verdict columns.",
)

PATH_CONTENT = pa.struct([("path", pa.string()), ("content", pa.large_string())])

RL_SEED = schema(
    [
        f("instance_id", pa.string(), "owner__repo-NUMBER.", False),
        f("repo", pa.string(), "owner/name.", False),
        f("pull_number", pa.int64(), "PR number."),
        f("base_commit", pa.string(), "Merge base the context is taken at.", False),
        f("problem_statement", pa.large_string(), "Linked issues as 'title\\nbody\\n'.", False),
        f("hints_text", pa.large_string(), "Issue comments before the PR's first commit."),
        f("patch", pa.large_string(), "Oracle patch (non-test files).", False),
        f("test_patch", pa.large_string(), "Test-file part of the change."),
        f("created_at", TS, "PR creation time."),
        f(
            "code_context",
            pa.list_(PATH_CONTENT),
            "Files at base_commit: changed files first, then relevant files.",
        ),
        f("oracle_files", pa.list_(PATH_CONTENT), "Changed files after the change ('' for deleted files)."),
        f("language", pa.string(), "Dominant programming language of the changed files."),
        f("num_changed_files", pa.int64(), "Changed files."),
        f("num_changed_lines", pa.int64(), "Added + deleted lines."),
        f("context_bytes", pa.int64(), "Bytes of code_context."),
        f("issue_numbers", pa.list_(pa.int64()), "Numbers of the linked issues."),
    ],
    "Self-contained RL seeds, SWE-bench-compatible column names; the trainer's input.",
)

TABLES: dict[str, pa.Schema] = {
    "events": EVENTS,
    "rejected": REJECTED,
    "issues": ISSUES,
    "pull_requests": PULL_REQUESTS_CURATED,
    "blobs": BLOBS,
    "rl_seed": RL_SEED,
}


def _type_str(t: pa.DataType) -> str:
    return str(t).replace("<", "&lt;").replace(">", "&gt;").replace("\n", " ")


def schema_markdown() -> str:
    """Render every table as Markdown (the schema reference in docs/ and the README)."""
    out = [
        "# Table reference",
        "",
        "Generated from `schemas/` by `python -m schemas`. Do not edit by hand.",
        "",
    ]
    named = [
        ("events", EVENTS),
        ("rejected", REJECTED),
        ("issues", ISSUES),
        ("pull_requests (after assembly)", PULL_REQUESTS),
        ("pull_requests (after extraction, extra columns)", PULL_REQUESTS_EXTRACTED),
        ("blobs", BLOBS),
        ("pull_requests (after curation, extra columns)", PULL_REQUESTS_CURATED),
        ("rl_seed", RL_SEED),
    ]
    seen: set[str] = set()
    for title, sch in named:
        out += [
            f"## {title}",
            "",
            (sch.metadata or {}).get(b"doc", b"").decode(),
            "",
            "| column | type | doc |",
            "|---|---|---|",
        ]
        for fld in sch:
            key = f"{title.split()[0]}.{fld.name}"
            if title.startswith("pull_requests") and key in seen:
                continue
            seen.add(key)
            doc = (fld.metadata or {}).get(b"doc", b"").decode()
            out.append(f"| `{fld.name}` | `{_type_str(fld.type)}` | {doc} |")
        out.append("")
    return "\n".join(out)
