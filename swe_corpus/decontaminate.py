"""Decontamination against SWE-bench: whole repositories, benchmark PRs, and near-copies of benchmark tasks.

Package data (`swe_corpus/data/`, derived from ../shared/data/benchmarks):
- `swebench_repos.txt`: the 12 repositories of SWE-bench (full, 2,294 tasks);
- `swebench_instances.csv`: SWE-bench Verified + Lite instances (instance_id, repo, pull_number,
  base_commit, splits);
- `swebench_root_commits.csv`: root commits of the benchmark repositories' histories.

A repository is treated as a benchmark repository when its name is one (case-insensitive), or when its
history is shared with one: one of its root commits (`root_commits`, filled by extraction) is a benchmark
root commit, or a benchmark base commit appears as the PR's base commit or among its commits. That
catches forks, mirrors and renamed copies whatever they are called.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from swe_corpus.dedup import MinHasher, lean_minhash, shingle_hashes
from swe_corpus.rejects import Rejection
from swe_corpus.stages import DECONTAMINATE

MODES = ("repo", "pr", "none")


def _data_lines(name: str) -> list[str]:
    return resources.files("swe_corpus").joinpath("data", name).read_text().splitlines()


@dataclass(frozen=True)
class BenchmarkIndex:
    """What we know about the benchmark, as lookup tables."""

    repos: frozenset[str]
    root_commits: dict[str, str]  # sha -> repo
    instances: dict[tuple[str, int], str]  # (repo, pull_number) -> instance_id
    base_commits: dict[str, tuple[str, str]]  # base_commit -> (repo, instance_id)

    @classmethod
    def packaged(cls) -> BenchmarkIndex:
        repos = frozenset(ln.strip().lower() for ln in _data_lines("swebench_repos.txt") if ln.strip())
        roots = {
            r["root_commit"]: r["repo"].lower()
            for r in csv.DictReader(_data_lines("swebench_root_commits.csv"))
        }
        instances, bases = {}, {}
        for r in csv.DictReader(_data_lines("swebench_instances.csv")):
            repo = r["repo"].lower()
            instances[(repo, int(r["pull_number"]))] = r["instance_id"]
            bases[r["base_commit"]] = (repo, r["instance_id"])
        return cls(repos, roots, instances, bases)

    def shared_history(self, pr: dict) -> tuple[str, str] | None:
        """(benchmark repo, evidence) when the PR's repository shares history with a benchmark repository."""
        for sha in pr.get("root_commits") or []:
            if sha in self.root_commits:
                return self.root_commits[sha], f"root commit {sha[:12]}"
        shas = [pr.get("base_commit"), pr.get("base_sha")] + [c.get("sha") for c in pr.get("commits") or []]
        for sha in shas:
            if sha and sha in self.base_commits:
                repo, iid = self.base_commits[sha]
                return repo, f"commit {sha[:12]} (base of {iid})"
        return None

    def canonical_repo(self, pr: dict) -> tuple[str, str | None]:
        """(repo, evidence): the benchmark repository a PR's repository is a copy of, else its own name."""
        repo = (pr.get("repo") or "").lower()
        if repo in self.repos:
            return repo, None
        shared = self.shared_history(pr)
        return (shared[0], shared[1]) if shared else (repo, None)


# --------------------------------------------------------------------------- benchmark export
@dataclass
class BenchmarkTask:
    instance_id: str
    repo: str
    problem_statement: str
    patch: str


def parse_benchmark(data: bytes, name: str) -> list[BenchmarkTask]:
    """SWE-bench export (JSONL, or Parquet when `name` ends with .parquet) -> tasks. A malformed line is a
    clear error naming it: this is configuration, and a silently partial benchmark would make
    decontamination look done when it is not. Bytes, not a path: the Beam stage reads the file through
    its FileSystems (gs://...) on the launcher, and this package stays free of Beam."""
    cols = ("instance_id", "repo", "problem_statement", "patch")
    if name.endswith(".parquet"):
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pq.read_table(pa.BufferReader(data))
        missing = [c for c in cols if c not in table.column_names]
        if missing:
            raise ValueError(f"{name}: missing columns {missing}")
        rows = table.select(list(cols)).to_pylist()
    else:
        rows = []
        for n, line in enumerate(data.decode("utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as err:
                raise ValueError(f"{name}:{n}: not JSON ({err})") from err
            if not isinstance(rows[-1], dict) or "instance_id" not in rows[-1]:
                raise ValueError(f"{name}:{n}: not an object with instance_id")
    return [
        BenchmarkTask(
            str(r["instance_id"]), r.get("repo") or "", r.get("problem_statement") or "", r.get("patch") or ""
        )
        for r in rows
    ]


def read_benchmark_file(path: str) -> list[BenchmarkTask]:
    """A local export -> tasks (see parse_benchmark)."""
    return parse_benchmark(Path(path).read_bytes(), path)


@dataclass
class NearCopyConfig:
    """Near-copy detection of benchmark tasks. Jaccard of word 5-gram sets >= 0.5 on the problem
    statement or on the patch: lower than dedup's 0.7 because leaking a test task costs more than losing a
    training PR; an issue pasted with a few lines of context or a patch rebased onto moved code still
    shares well over half its 5-grams, while unrelated issues of the same project share < 0.1.

    LSH bands are chosen for recall, not at the threshold: datasketch's own choice for 0.5 (25 x 5 of 128)
    makes a pair at Jaccard 0.5 a candidate only 55% of the time, and only candidates reach the exact
    check. 85 bands x 3 rows of 256 permutations make it a candidate with P = 1 - 1e-5 (64 x 4: 0.984,
    which still missed 2 of 200 planted copies at 0.50-0.52, for the same time per PR). The extra
    candidates (half the pairs at Jaccard 0.2, 8% at 0.1) cost one set intersection each. Tuned for
    thresholds >= 0.5 (P = 0.90 at 0.3)."""

    threshold: float = 0.5
    ngram: int = 5
    num_perm: int = 256
    bands: int = 85  # bands * rows <= num_perm (datasketch checks)
    rows: int = 3
    min_shingles: int = 8  # texts shorter than this (e.g. empty statements) are not compared


class BenchmarkNearCopies:
    """MinHash LSH (datasketch) over the benchmark's statements and patches; candidates are confirmed with
    the exact Jaccard of the shingle sets, so the estimate's noise never decides alone."""

    def __init__(self, tasks: Iterable[BenchmarkTask], config: NearCopyConfig | None = None):
        from datasketch import MinHashLSH

        self.config = config or NearCopyConfig()
        c = self.config
        self.hasher = MinHasher(c.num_perm, ngram=c.ngram)
        self.lsh = MinHashLSH(threshold=c.threshold, num_perm=c.num_perm, params=(c.bands, c.rows))
        self.shingles: dict[str, set[int]] = {}
        for task in tasks:
            for field_name in ("problem_statement", "patch"):
                self._add(f"{field_name}|{task.instance_id}", getattr(task, field_name))

    def _add(self, key: str, text: str) -> None:
        sh = shingle_hashes(text, self.config.ngram)
        if len(sh) < self.config.min_shingles:
            return
        self.shingles[key] = set(sh.tolist())
        self.lsh.insert(key, lean_minhash(self.hasher.signatures_from_shingles([sh])[0]))

    def __len__(self) -> int:
        return len(self.shingles)

    def match(self, pr: dict) -> Rejection | None:
        for field_name in ("problem_statement", "patch"):
            sh = shingle_hashes(pr.get(field_name) or "", self.config.ngram)
            if len(sh) < self.config.min_shingles:
                continue
            mine = set(sh.tolist())
            sig = lean_minhash(self.hasher.signatures_from_shingles([sh])[0])
            best = None
            for key in sorted(self.lsh.query(sig)):  # a set: sorted so ties go to the smallest key
                other = self.shingles[key]
                jac = len(mine & other) / len(mine | other)
                if jac >= self.config.threshold and (best is None or jac > best[0]):
                    best = (jac, key)
            if best:
                other_field, iid = best[1].split("|", 1)
                return Rejection(
                    DECONTAMINATE,
                    "benchmark_near_duplicate",
                    f"{field_name} ~ {other_field} of {iid} (5-gram Jaccard {best[0]:.2f})",
                )
        return None


# --------------------------------------------------------------------------- the decision
@dataclass
class DecontaminationConfig:
    mode: str = "repo"  # repo (SWE-RL's rule, default), pr, none
    benchmark_file: str | None = None  # SWE-bench export for near-copy removal (any mode but none)
    near_copy: NearCopyConfig = field(default_factory=NearCopyConfig)

    def __post_init__(self):
        if self.mode not in MODES:
            raise ValueError(f"--decontaminate must be one of {MODES}, got {self.mode!r}")


class Decontaminator:
    """Decides whether a PR is benchmark-contaminated. Reason codes: benchmark_repo, benchmark_fork (repo
    mode), benchmark_pr, benchmark_base_commit (pr mode), benchmark_near_duplicate (export given)."""

    def __init__(
        self,
        config: DecontaminationConfig,
        index: BenchmarkIndex | None = None,
        tasks: list[BenchmarkTask] | None = None,
    ):
        """`tasks`: the benchmark export already read (the Beam stage reads it on the launcher); without
        them, `config.benchmark_file` is read here as a local file."""
        self.config = config
        self.index = index or BenchmarkIndex.packaged()
        self.near = None
        if config.mode != "none" and (tasks is not None or config.benchmark_file):
            if tasks is None:
                tasks = read_benchmark_file(config.benchmark_file)
            self.near = BenchmarkNearCopies(tasks, config.near_copy)

    def __call__(self, pr: dict) -> Rejection | None:
        mode = self.config.mode
        if mode == "none":
            return None
        repo, evidence = self.index.canonical_repo(pr)
        if mode == "repo" and repo in self.index.repos:
            if evidence:
                return Rejection(
                    DECONTAMINATE,
                    "benchmark_fork",
                    f"{pr.get('repo')} shares history with {repo}: {evidence}",
                )
            return Rejection(DECONTAMINATE, "benchmark_repo", f"{repo} is a SWE-bench repository")
        if mode == "pr":
            iid = self.index.instances.get((repo, int(pr.get("number") or -1)))
            if iid:
                return Rejection(
                    DECONTAMINATE, "benchmark_pr", f"is {iid}" + (f" ({evidence})" if evidence else "")
                )
            base = pr.get("base_commit")
            if base and base in self.index.base_commits:
                return Rejection(
                    DECONTAMINATE,
                    "benchmark_base_commit",
                    f"base commit {base[:12]} of {self.index.base_commits[base][1]}",
                )
        if self.near is not None:
            return self.near.match(pr)
        return None
