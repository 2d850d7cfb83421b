"""Realistic extracted PR rows and blobs (what `swe-corpus extract` writes) for the curation tests."""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from swe_corpus.rejects import instance_id

T0 = dt.datetime(2020, 5, 1, 12, 0, tzinfo=dt.UTC)


def blob_sha(content: str) -> str:
    data = content.encode()
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def unified(path: str, before: str, after: str) -> str:
    """A git-style diff of one file."""
    lines = difflib.unified_diff(
        before.splitlines(keepends=True), after.splitlines(keepends=True), f"a/{path}", f"b/{path}", n=3
    )
    return f"diff --git a/{path} b/{path}\n" + "".join(lines)


def changed(path: str, before: str | None, after: str | None, language: str = "Python", **kw) -> dict:
    status = "added" if before is None else "deleted" if after is None else "modified"
    diff = list(difflib.ndiff((before or "").splitlines(), (after or "").splitlines()))
    return {
        "path": path,
        "old_path": None,
        "status": status,
        "language": language,
        "is_test": "test" in path,
        "binary": False,
        "additions": sum(1 for ln in diff if ln.startswith("+ ")),
        "deletions": sum(1 for ln in diff if ln.startswith("- ")),
        "before_blob": blob_sha(before) if before is not None else None,
        "after_blob": blob_sha(after) if after is not None else None,
        "before_size": len(before.encode()) if before is not None else None,
        "after_size": len(after.encode()) if after is not None else None,
        "content_omitted": None,
        **kw,
    }


def make_pr(
    repo: str = "acme/widgets",
    number: int = 1,
    *,
    files: dict[str, tuple[str | None, str | None]] | None = None,
    title: str = "Fix crash when parsing empty config",
    body: str = "The parser raised an IndexError on empty files. This change returns defaults instead.",
    issue_title: str | None = "Parser crashes on empty config file",
    issue_body: str = "Loading an empty config raises IndexError: list index out of range. Expected defaults.",
    issue_labels: list[str] | None = None,
    user_login: str = "alice",
    user_type: str = "User",
    created_at: dt.datetime = T0,
    base_commit: str | None = None,
    root_commits: list[str] | None = None,
    commits: list[str] | None = None,
    relevant: dict[str, str] | None = None,
    languages: dict[str, str] | None = None,
) -> dict:
    """An extracted PR row with a consistent patch, changed_files and linked issue."""
    files = files or {
        "widgets/config.py": (
            "def load(text):\n    parts = text.split()\n    return parts[0]\n",
            "def load(text):\n    parts = text.split()\n    if not parts:\n        return None\n    return parts[0]\n",
        )
    }
    cfs = [changed(p, b, a, (languages or {}).get(p, "Python")) for p, (b, a) in files.items()]
    patch = "".join(unified(p, b or "", a or "") for p, (b, a) in files.items() if "test" not in p)
    test_patch = "".join(unified(p, b or "", a or "") for p, (b, a) in files.items() if "test" in p)
    base = base_commit or hashlib.sha1(f"{repo}{number}base".encode()).hexdigest()
    linked = []
    if issue_title is not None:
        linked.append(
            {
                "repo": repo,
                "number": number + 1000,
                "link_source": "body",
                "link_text": f"Fixes #{number + 1000}",
                "title": issue_title,
                "body": issue_body,
                "author": "bob",
                "created_at": created_at - dt.timedelta(days=1),
                "state": "closed",
                "labels": issue_labels or [],
                "comments": [],
                "hydrated": False,
            }
        )
    return {
        "instance_id": instance_id(repo, number),
        "repo": repo,
        "repo_id": None,
        "number": number,
        "title": title,
        "body": body,
        "user_login": user_login,
        "user_type": user_type,
        "created_at": created_at,
        "state": "closed",
        "merged": True,
        "merged_at": created_at + dt.timedelta(hours=3),
        "base_sha": base,
        "base_ref": "main",
        "head_sha": hashlib.sha1(f"{repo}{number}head".encode()).hexdigest(),
        "head_ref": "fix",
        "head_repo_name": None,
        "merge_commit_sha": hashlib.sha1(f"{repo}{number}merge".encode()).hexdigest(),
        "comments": [],
        "review_comments": [],
        "reviews": [],
        "linked_issues": linked,
        "mentioned_issues": [],
        "problem_statement": "".join(f"{i['title']}\n{i['body']}\n" for i in linked),
        "hints_text": "",
        "hydrated": False,
        "event_count": 3,
        "base_commit": base,
        "extraction_method": "merge_base",
        "patch": patch,
        "test_patch": test_patch,
        "changed_files": cfs,
        "commits": [
            {"sha": s, "message": "fix", "author_time": created_at, "author_name": "alice"}
            for s in (commits or [hashlib.sha1(f"{repo}{number}c".encode()).hexdigest()])
        ],
        "relevant_files": [
            {"path": p, "blob_sha": blob_sha(c), "score": 1.0 - i / 10, "reason": "import"}
            for i, (p, c) in enumerate((relevant or {}).items())
        ],
        "relevant_predictor": "local",
        "root_commits": root_commits,
    }


def blobs_of(
    prs: list[dict], extra: dict[str, str] | None = None, files_src: list[dict] | None = None
) -> list[dict]:
    """Blob rows for contents (pass every text that a PR references)."""
    out = {}
    for text in list((extra or {}).values()):
        out[blob_sha(text)] = {"blob_sha": blob_sha(text), "size": len(text.encode()), "content": text}
    return list(out.values())


def file_blobs(
    files: dict[str, tuple[str | None, str | None]], relevant: dict[str, str] | None = None
) -> dict[str, str]:
    """Every text of a `files` mapping (and relevant files), keyed by a unique label."""
    texts = {}
    for p, (b, a) in files.items():
        if b is not None:
            texts[f"{p}@b"] = b
        if a is not None:
            texts[f"{p}@a"] = a
    for p, c in (relevant or {}).items():
        texts[f"{p}@r"] = c
    return texts


def write_shards(rows: list[dict], directory: Path, schema: pa.Schema, shards: int = 1) -> None:
    """Rows -> `directory/part-i.parquet` split into `shards` files (order kept round-robin)."""
    directory.mkdir(parents=True, exist_ok=True)
    for i in range(shards):
        part = rows[i::shards]
        pq.write_table(pa.Table.from_pylist(part, schema=schema), directory / f"part-{i:05d}.parquet")
