"""RL seed selection (SWE-RL): which curated PRs become training tasks, and how a seed row is built.

A seed needs (in this order; the first failing check is the PR's `rl_seed_skip_reason`):
1. `no_linked_issue`: at least one linked issue with text;
2. `not_bug_report`: the issue reads as a bug report or a change request (`issue_kind.classify_issue`);
3. `no_code_change`: the change touches at least one code file (`code_files`: non-test programming files,
   not generated, vendored or lock files);
4. `context_too_large`: the code files at the base fit `max_context_bytes` (relevant code files are then
   added while they fit, so they never push a seed over the budget). Documentation the PR also changes
   (changelogs, release notes: its `doc_patch`), configuration and lock files are neither context nor
   oracle: the model is asked to change code, and a 300 KB `CHANGES` file is not code context;
5. `missing_content`: a changed file's content is not in `blobs` (binary, oversized, undecodable...).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from swe_corpus.issue_kind import IssueKind, classify_issue, combine
from swe_corpus.languages import is_code_file, is_doc_path
from swe_corpus.stages import RL_SEED

STAGE = RL_SEED


@dataclass
class SeedConfig:
    """Seed criteria; `issue_kinds` are the `issue_kind.KINDS` accepted as tasks."""

    issue_kinds: tuple[str, ...] = ("bug", "feature")
    # ~60k tokens (SWE-RL's inference cap) at ~4 bytes/token, less room for the issue and the prompt
    max_context_bytes: int = 200_000
    max_relevant_files: int = 10


def pr_issue_kind(pr: dict) -> IssueKind | None:
    """Kind (and its reason) of the PR's linked issues: a bug if any is, else a feature if any is."""
    return combine(
        [
            classify_issue(i.get("title"), i.get("body"), i.get("labels"))
            for i in pr.get("linked_issues") or []
        ]
    )


def is_code_change(changed: dict) -> bool:
    """A changed file the seed shows and asks for: a code file (`is_code_file`) of the `patch`, i.e. neither
    a test nor documentation (`docs/conf.py` is in `doc_patch`), and not binary."""
    path = changed["path"]
    return (
        is_code_file(path)
        and not is_doc_path(path)
        and not changed.get("is_test")
        and not changed.get("binary")
    )


def code_files(pr: dict) -> list[dict]:
    """The changed code files: context at the base and oracle after the change."""
    return [f for f in pr.get("changed_files") or [] if is_code_change(f)]


def relevant_code_files(pr: dict, config: SeedConfig) -> list[dict]:
    """Relevant unchanged files that are code (tests of changed sources included): the rest is not shown."""
    relevant = [r for r in pr.get("relevant_files") or [] if r.get("path") and is_code_file(r["path"])]
    return relevant[: config.max_relevant_files]


def precheck(pr: dict, config: SeedConfig) -> tuple[IssueKind | None, str | None]:
    """(issue kind with its reason, skip_reason) from the PR row alone, before any content is fetched."""
    kind = pr_issue_kind(pr)
    has_text = any((i.get("title") or i.get("body")) for i in pr.get("linked_issues") or [])
    if kind is None or not has_text or not (pr.get("problem_statement") or "").strip():
        return kind, "no_linked_issue"
    if kind.kind not in config.issue_kinds:
        return kind, "not_bug_report"
    if not code_files(pr) or not (pr.get("patch") or "").strip():
        return kind, "no_code_change"
    base_bytes = sum(f.get("before_size") or 0 for f in code_files(pr) if f.get("status") != "added")
    if base_bytes > config.max_context_bytes:
        return kind, "context_too_large"
    return kind, None


def needed_blobs(pr: dict, config: SeedConfig) -> list[str]:
    """Blob shas a seed of this PR reads: changed files before and after, then relevant files."""
    shas = []
    for f in code_files(pr):
        shas += [s for s in (f.get("before_blob"), f.get("after_blob")) if s]
    shas += [r["blob_sha"] for r in relevant_code_files(pr, config) if r.get("blob_sha")]
    return sorted(set(shas))


def dominant_language(pr: dict) -> str | None:
    """Language with the most changed lines among the code files."""
    weights: Counter[str] = Counter()
    for f in code_files(pr):
        if f.get("language"):
            weights[f["language"]] += (f.get("additions") or 0) + (f.get("deletions") or 0) + 1
    return min(weights.items(), key=lambda kv: (-kv[1], kv[0]))[0] if weights else None


def build_seed(pr: dict, contents: dict[str, str], config: SeedConfig) -> tuple[dict | None, str | None]:
    """(RL_SEED row, None) or (None, skip_reason). `contents`: blob_sha -> text for needed_blobs(pr)."""
    context, oracle = [], []
    for f in code_files(pr):
        if f.get("status") != "added":
            if f.get("before_blob") not in contents:
                return None, "missing_content"
            context.append({"path": f.get("old_path") or f["path"], "content": contents[f["before_blob"]]})
        if f.get("status") == "deleted":
            oracle.append({"path": f.get("old_path") or f["path"], "content": ""})
        elif f.get("after_blob") in contents:
            oracle.append({"path": f["path"], "content": contents[f["after_blob"]]})
        else:
            return None, "missing_content"
        if f.get("status") == "renamed" and f.get("old_path"):
            # the context holds the old path: mark it deleted, else it reads as unchanged relevant context
            oracle.append({"path": f["old_path"], "content": ""})
    used = sum(len(c["content"].encode()) for c in context)
    if used > config.max_context_bytes:
        return None, "context_too_large"
    shown = {c["path"] for c in context}
    for rel in relevant_code_files(pr, config):
        text = contents.get(rel.get("blob_sha"))
        if text is None or rel.get("path") in shown:
            continue
        size = len(text.encode())
        if used + size <= config.max_context_bytes:
            context.append({"path": rel["path"], "content": text})
            shown.add(rel["path"])
            used += size
    row = {
        "instance_id": pr["instance_id"],
        "repo": pr["repo"],
        "pull_number": pr.get("number"),
        "base_commit": pr.get("base_commit") or pr.get("base_sha"),
        "problem_statement": pr.get("problem_statement"),
        "hints_text": pr.get("hints_text"),
        "patch": pr.get("patch"),
        "test_patch": pr.get("test_patch"),
        "created_at": pr.get("created_at"),
        "code_context": context,
        "oracle_files": oracle,
        "language": dominant_language(pr),
        "num_changed_files": pr.get("num_changed_files"),
        "num_changed_lines": pr.get("num_changed_lines"),
        "context_bytes": used,
        "issue_numbers": [i.get("number") for i in pr.get("linked_issues") or []],
    }
    if not row["base_commit"]:
        return None, "missing_content"
    return row, None
