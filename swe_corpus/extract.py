"""Per-PR code extraction from a mirror: base commit, patch / test_patch / doc_patch, changed files, contents,
commits.

One subprocess per PR: `git log --boundary head ^base` lists the commits and yields the merge base.
The diff (`-z --raw -p -M`: structure and text of the whole change at once) comes from a long-running
`git diff-tree --stdin`, contents from a long-running `cat-file --batch-command`. The patch text is
exactly `git diff` of the same commits, split per file in git's own order and checked with unidiff
(`swe_corpus.diffs`).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections import Counter
from dataclasses import dataclass, field

from swe_corpus.diffs import UnidiffParseError, parse_patch, split_patch
from swe_corpus.git_mirror import GitMirror, MirrorConfig, MirrorError
from swe_corpus.git_repo import GitError, GitRepo
from swe_corpus.languages import is_doc_path, is_test_path, language_of
from swe_corpus.pull_requests import relink_commit_messages
from swe_corpus.redaction import redact_text
from swe_corpus.rejects import RejectError, Rejection
from swe_corpus.relevant import (
    DEFAULT_BUDGET_BYTES,
    DEFAULT_K,
    DEFAULT_LLM_MODEL,
    DEFAULT_LLM_TIMEOUT_S,
    DEFAULT_LLM_URL,
    CoChangeIndex,
    LLMPredictor,
    LocalPredictor,
    PRContext,
    RelevantPredictor,
    select_within_budget,
)
from swe_corpus.stages import EXTRACT

log = logging.getLogger(__name__)

SYMLINK_MODE = "120000"
GITLINK_MODE = "160000"
NULL_SHA = "0" * 40
STATUS = {"A": "added", "M": "modified", "D": "deleted", "R": "renamed", "C": "added", "T": "modified"}
MAX_REBASE_WALK = 250
RELEVANT_PREDICTORS = ("local", "llm", "none")
# Counters besides the funnel (namespace DETAIL): mirror tags, and per repository one of mirrored or
# failed by reason (`swe_corpus.health`: a run fails loudly when every repository failed).
DETAIL = "extract_detail"


class ExtractError(RejectError):
    """The PR cannot be extracted; `reason` is its rejection code."""


@dataclass
class ExtractLimits:
    """Per-PR limits; defaults keep one PR's record well under the Parquet row-group budget."""

    max_files_per_pr: int = 300
    max_file_bytes: int = 1_000_000
    max_diff_bytes: int = 20_000_000
    max_commits: int = 250


@dataclass
class Resolution:
    """Which commits the change is taken between, and how they were found."""

    base_commit: str
    head: str
    method: str  # merge_base, merge_commit_first_parent, pr_commits
    commits: list[dict] | None = None  # filled when the resolving `git log` already listed them


@dataclass
class RawChange:
    status: str
    old_mode: str
    new_mode: str
    old_sha: str
    new_sha: str
    old_path: str
    path: str


@dataclass
class Extraction:
    """One PR's extracted columns plus the blob contents it references and what was counted."""

    columns: dict
    blobs: dict[str, str] = field(default_factory=dict)  # blob_sha -> text
    counts: Counter = field(default_factory=Counter)


def resolve(repo: GitRepo, pr: dict) -> Resolution:
    """Merge base of base/head when the head is in the mirror, else the merge commit (see module doc)."""
    base, head, merge = (
        pr.get(k) and str(pr[k]).lower() for k in ("base_sha", "head_sha", "merge_commit_sha")
    )
    if repo.has_commit(base) and repo.has_commit(head):
        commits, boundary = log_range(repo, head, base)
        if len(boundary) == 1:  # the only exit from head's own commits into base's history
            mb = boundary[0]
        elif not commits:  # head already reachable from base
            mb = head
        else:  # criss-cross or unrelated histories: ask git
            mb = repo.merge_base(base, head)
        if mb is None:
            raise ExtractError("no_merge_base", "base and head share no history")
        return Resolution(mb, head, "merge_base", commits)
    if repo.has_commit(merge):
        return resolve_from_merge_commit(repo, merge)
    missing = [k for k, v in (("base", base), ("head", head), ("merge", merge)) if not repo.has_commit(v)]
    raise ExtractError("commits_unreachable", f"not in mirror: {', '.join(missing)}")


def resolve_from_merge_commit(repo: GitRepo, merge: str) -> Resolution:
    """Merge/squash: the merge commit against its first parent. Rebase: GitHub stamps every rebased
    commit with the same committer and time, so the run of such commits ending at `merge` is the PR."""
    fields = repo.commit_fields(merge)
    parents = fields.get("parent", [])
    if not parents:
        raise ExtractError("root_merge_commit", "merge commit has no parent")
    if len(parents) > 1:
        return Resolution(parents[0], merge, "merge_commit_first_parent")
    committer = fields.get("committer", [""])[0]
    base, count = parents[0], 1
    while count < MAX_REBASE_WALK and repo.has_commit(base):
        pf = repo.commit_fields(base)
        if len(pf.get("parent", [])) != 1 or pf.get("committer", [""])[0] != committer:
            break
        base, count = pf["parent"][0], count + 1
    return Resolution(base, merge, "pr_commits" if count > 1 else "merge_commit_first_parent")


def parse_raw_and_patch(out: bytes) -> tuple[list[RawChange], bytes]:
    """Split `git diff -z --raw -p` output into raw records and the patch bytes that follow them."""
    changes: list[RawChange] = []
    pos = 0
    while pos < len(out) and out[pos : pos + 1] == b":":
        end = out.index(b"\0", pos)
        meta = out[pos + 1 : end].decode().split()
        pos = end + 1
        old_mode, new_mode, old_sha, new_sha, status = meta[0], meta[1], meta[2], meta[3], meta[4][0]
        paths = []
        for _ in range(2 if status in "RC" else 1):
            end = out.index(b"\0", pos)
            paths.append(out[pos:end].decode("utf-8", "replace"))
            pos = end + 1
        changes.append(RawChange(status, old_mode, new_mode, old_sha, new_sha, paths[0], paths[-1]))
    if out[pos : pos + 1] == b"\0":
        pos += 1
    return changes, out[pos:]


def decode_chunk(chunk: bytes, counts: Counter) -> str:
    try:
        return chunk.decode("utf-8")
    except UnicodeDecodeError:
        counts["undecodable_patch_chunks"] += 1
        return chunk.decode("utf-8", "replace")


def check_chunk(text: str, expected_files: int = 1) -> tuple[int, int, bool]:
    """(additions, deletions, binary) of one path's diff, parsed by unidiff (raises on malformed diffs)."""
    files = parse_patch(text)
    if len(files) != expected_files:
        raise ExtractError(
            "diff_parse_error", f"expected {expected_files} file(s) in chunk, got {len(files)}"
        )
    binary = (
        any(pf.is_binary_file for pf in files) or "\nBinary files " in text or "\nGIT binary patch" in text
    )
    return sum(pf.added for pf in files), sum(pf.removed for pf in files), binary


class ContentReader:
    """Reads blob contents for the record: text under the byte limit, else a reason it is omitted."""

    def __init__(self, repo: GitRepo, limits: ExtractLimits, blobs: dict[str, str], counts: Counter):
        self.repo, self.limits, self.blobs, self.counts = repo, limits, blobs, counts

    def read(self, sha: str, mode: str, binary: bool) -> tuple[int | None, str | None]:
        """(size, content_omitted) for one side of a change; stores the text in `blobs`."""
        if sha == NULL_SHA:
            return None, None
        if mode == GITLINK_MODE:
            return None, "submodule"
        info = self.repo.info(sha)
        if info is None:
            self.counts["blob_missing"] += 1
            return None, "missing"
        size = info[1]
        if mode == SYMLINK_MODE:
            return size, "symlink"
        if binary:
            return size, "binary"
        if size > self.limits.max_file_bytes:
            self.counts["oversized_files"] += 1
            return size, "oversized"
        if sha in self.blobs:
            return size, None
        data = self.repo.contents(sha)[1]
        if b"\0" in data:
            return size, "binary"
        try:
            self.blobs[sha] = data.decode("utf-8")
        except UnicodeDecodeError:
            self.counts["undecodable_files"] += 1
            return size, "undecodable"
        return size, None


def changed_files(
    repo: GitRepo, base: str, head: str, limits: ExtractLimits, ext: Extraction
) -> tuple[list[dict], str, str, str]:
    """changed_files rows plus (patch, test_patch, doc_patch) from one `git diff -z --raw -p` call. Like
    SWE-bench's gold patches, `patch` holds neither tests nor documentation (`languages.is_doc_path`)."""
    out = repo.diff(base, head, limits.max_diff_bytes)
    raw, patch = parse_raw_and_patch(out)
    if len(raw) > limits.max_files_per_pr:
        raise ExtractError("too_many_files", f"{len(raw)} changed files > {limits.max_files_per_pr}")
    chunks = split_patch(patch)
    expected = sum(2 if c.status == "T" else 1 for c in raw)
    if len(chunks) != expected:
        raise ExtractError("diff_mismatch", f"{len(raw)} raw entries but {len(chunks)} patch chunks")
    reader = ContentReader(repo, limits, ext.blobs, ext.counts)
    rows, fix, test, doc = [], [], [], []
    it = iter(chunks)
    for change in raw:
        n = 2 if change.status == "T" else 1
        text = "".join(decode_chunk(next(it), ext.counts) for _ in range(n))
        additions, deletions, binary = check_chunk(text, n)
        path = change.old_path if change.status == "D" else change.path
        is_test = is_test_path(path)
        (test if is_test else doc if is_doc_path(path) else fix).append(text)
        before_size, before_omit = reader.read(change.old_sha, change.old_mode, binary)
        after_size, after_omit = reader.read(change.new_sha, change.new_mode, binary)
        rows.append(
            {
                "path": path,
                "old_path": change.old_path if change.status in "RC" else None,
                "status": STATUS.get(change.status, "modified"),
                "language": language_of(path),
                "is_test": is_test,
                "binary": binary,
                "additions": additions,
                "deletions": deletions,
                "before_blob": None if change.old_sha == NULL_SHA else change.old_sha,
                "after_blob": None if change.new_sha == NULL_SHA else change.new_sha,
                "before_size": before_size,
                "after_size": after_size,
                "content_omitted": before_omit or after_omit,
            }
        )
    return rows, "".join(fix), "".join(test), "".join(doc)


def log_range(repo: GitRepo, head: str, exclude: str) -> tuple[list[dict], list[str]]:
    """Commits reachable from head and not from `exclude`, oldest first, and the boundary commits.

    One `git log --boundary` answers both: with a single boundary commit, that commit is the merge
    base (every common ancestor lies behind it), which saves a `git merge-base` call per PR."""
    out = repo.run(
        "log", "-z", "--boundary", "--reverse", "--format=%m%H%x1f%at%x1f%an%x1f%B", head, f"^{exclude}"
    )
    commits, boundary = [], []
    for rec in out.split(b"\0"):
        rec = rec.lstrip(b"\n")
        if not rec.strip():
            continue
        mark, rest = rec[:1], rec[1:].decode("utf-8", "replace")
        sha, at, name, msg = rest.split("\x1f", 3)
        if mark == b"-":
            boundary.append(sha)
            continue
        commits.append(
            {
                "sha": sha,
                "message": msg.rstrip("\n"),
                "author_time": dt.datetime.fromtimestamp(int(at), dt.UTC),
                "author_name": name,
            }
        )
    return commits, boundary


def extract_pr(repo: GitRepo, pr: dict, limits: ExtractLimits | None = None) -> Extraction:
    """Every extraction column of one PR (relevant files excepted); raises ExtractError with a reason."""
    limits = limits or ExtractLimits()
    try:
        res = resolve(repo, pr)
        ext = Extraction(columns={})
        files, patch, test_patch, doc_patch = changed_files(repo, res.base_commit, res.head, limits, ext)
        commits = res.commits if res.commits is not None else log_range(repo, res.head, res.base_commit)[0]
        if not files:
            raise ExtractError("empty_diff", "no change between base commit and head")
        ext.columns = {
            "base_commit": res.base_commit,
            "extraction_method": res.method,
            "patch": patch,
            "test_patch": test_patch,
            "doc_patch": doc_patch,
            "changed_files": files,
            "commits": commits[-limits.max_commits :],
        }
        ext.counts[f"method:{res.method}"] += 1
        return ext
    except GitError as e:
        raise ExtractError(e.reason, str(e)) from None
    except UnidiffParseError as e:
        raise ExtractError("diff_parse_error", str(e)[:300]) from None


# --------------------------------------------------------------------------- one repository, all its PRs
@dataclass
class ExtractConfig:
    """Everything `extract` needs; TRL-style flat dataclass, filled from the CLI."""

    mirror: MirrorConfig = field(default_factory=MirrorConfig)
    limits: ExtractLimits = field(default_factory=ExtractLimits)
    relevant: str = "local"  # one of RELEVANT_PREDICTORS
    relevant_k: int = DEFAULT_K
    relevant_budget_bytes: int = DEFAULT_BUDGET_BYTES
    llm_url: str = DEFAULT_LLM_URL
    llm_model: str = DEFAULT_LLM_MODEL
    llm_timeout_s: float = DEFAULT_LLM_TIMEOUT_S


def make_predictor(config: ExtractConfig) -> RelevantPredictor | None:
    if config.relevant == "none":
        return None
    if config.relevant == "llm":
        return LLMPredictor(
            url=config.llm_url,
            model=config.llm_model,
            timeout_s=config.llm_timeout_s,
            api_key=os.environ.get("SWE_CORPUS_LLM_API_KEY"),
        )
    if config.relevant == "local":
        return LocalPredictor()
    raise ValueError(f"unknown relevant predictor {config.relevant!r}")


def pr_text(pr: dict) -> str:
    """Title, body and linked-issue text: what the predictors read for file names."""
    parts = [pr.get("title") or "", pr.get("body") or ""]
    for issue in pr.get("linked_issues") or []:
        parts += [issue.get("title") or "", issue.get("body") or ""]
    return "\n".join(parts)


def add_relevant_files(
    repo: GitRepo, pr: dict, ext: Extraction, predictor: RelevantPredictor, config: ExtractConfig, cochange
) -> None:
    """Predict relevant unchanged files, keep the top K within the byte budget, store their contents."""
    cols = ext.columns
    changed_text: dict[str, str] = {}
    for cf in cols["changed_files"]:
        sha = cf["before_blob"] or cf["after_blob"]
        if sha in ext.blobs:
            changed_text[cf["path"]] = ext.blobs[sha]
    base_time = int(repo.commit_fields(cols["base_commit"])["committer"][0].split()[-2])
    ctx = PRContext(
        repo=repo,
        base_commit=cols["base_commit"],
        changed_paths=[p for cf in cols["changed_files"] for p in (cf["path"], cf["old_path"]) if p],
        changed_text=changed_text,
        text=pr_text(pr) + "\n" + "\n".join(c["message"] for c in cols["commits"]),
        base_time=base_time,
        cochange=cochange,
    )
    ranked = predictor.predict(ctx, config.relevant_k)
    rows, blobs = select_within_budget(
        ranked, ctx, config.relevant_k, config.relevant_budget_bytes, config.limits.max_file_bytes
    )
    cols["relevant_files"] = rows
    cols["relevant_predictor"] = getattr(predictor, "last_used", predictor.name)
    ext.blobs.update(blobs)


def extract_repo(repo_name: str, prs: list[dict], config: ExtractConfig, mirror: GitMirror | None = None):
    """Mirror one repository once and extract every PR of it.

    Yields ("pull_requests", row), ("blobs", row), ("rejected", Rejection) and ("count", (name, n)) so
    the caller (a Beam DoFn, the benchmark) routes outputs and funnel counters; never raises for bad
    data. Each row is relinked with its commit messages (`relink_commit_messages`) inside the PR's error
    handling, so a failure there rejects that PR alone.
    """
    mirror = mirror or GitMirror(config.mirror)
    try:
        path = mirror.ensure(repo_name)
    except MirrorError as e:
        for pr in prs:
            yield "rejected", reject(pr, e.reason, str(e))
        return
    predictor = make_predictor(config)
    emitted: set[str] = set()
    with GitRepo.of_mirror(path, mirror) as repo:
        roots = root_commits(repo)
        yield "count", ("mirror_tags", count_tags(repo))
        cochange = None
        if predictor is not None:
            try:
                cochange = CoChangeIndex.build(repo)
            except GitError as e:  # optional evidence (a tree bomb in history): PRs go on without it
                log.warning("%s: no co-change index (%s)", repo_name, e.reason)
                yield "count", (f"cochange_unavailable:{e.reason}", 1)
        for pr in prs:
            try:
                ext = extract_pr(repo, pr, config.limits)
                cols = ext.columns
                cols["relevant_files"], cols["relevant_predictor"] = [], None
                if predictor is not None:
                    add_relevant_files(repo, pr, ext, predictor, config, cochange)
                row = relink_commit_messages({**pr, **cols, "root_commits": roots})
            except (ExtractError, GitError) as e:
                yield "rejected", reject(pr, e.reason, str(e))
                continue
            except Exception as e:  # a defect on one PR must not lose the others: record and go on
                log.exception("extraction of %s failed", pr.get("instance_id"))
                yield "rejected", defect(pr, e)
                continue
            for name, n in ext.counts.items():
                yield "count", (name, n)
            yield "pull_requests", row
            for sha, text in ext.blobs.items():
                if sha not in emitted:
                    emitted.add(sha)
                    yield "blobs", {"blob_sha": sha, "size": len(text.encode("utf-8")), "content": text}


def count_tags(repo: GitRepo) -> int:
    """Tags in the mirror: fetched so that merges reachable only from a release tag still resolve."""
    try:
        return len(repo.run("for-each-ref", "--format=%(objectname)", "refs/tags/").split())
    except GitError:
        return 0


def root_commits(repo: GitRepo) -> list[str]:
    """Parentless commits of every fetched ref: shared history (forks, mirrors, renamed copies) shows here."""
    try:
        return sorted(set(repo.run("rev-list", "--max-parents=0", "--all").decode().split()))
    except GitError:
        return []


EXTRACT_ERROR = "extract_error"  # a defect of ours, caught so that the other PRs go on


def defect(pr: dict, exc: Exception) -> Rejection:
    """The Rejection of a PR whose extraction raised an unexpected exception."""
    return reject(pr, EXTRACT_ERROR, f"{type(exc).__name__}: {exc}")


def reject(pr: dict, reason: str, detail: str) -> Rejection:
    """The extract Rejection of a PR; credentials in URLs redacted (the row builder bounds the detail)."""
    return Rejection(EXTRACT, reason, redact_text(detail)).of(pr)
