"""Benchmark: PR extraction throughput against a naive one-subprocess-per-file baseline, and clone modes.

    PYTHONPATH=. python bench/extract.py [--prs 320] [--direct-commits 1400] [--workdir DIR]

Generates (with `git fast-import`, seconds) a repository of >= 2,000 commits and >= 300 PRs merged with
merge commits (PR heads also under refs/pull/N/head), serves it over file://, then measures:
- clone modes: full bare vs blobless partial clone (time, disk, and extraction time on the result,
  without and with relevant files);
- ours: `swe_corpus.extract.extract_pr` (one `git log --boundary` subprocess per PR, which also yields
  the merge base; the diff from a long-running `git diff-tree --stdin`, contents from a long-running
  `cat-file`), with and without the local relevant-file predictor;
- baseline: per PR `merge-base`, `diff --name-status`, `log`, then one `git diff` and one `git show`
  subprocess per changed file.
Prints PRs/s for each, the ratio, and memory: peak Python heap (tracemalloc) and process max RSS, with
its growth during extraction (the repository is generated in a child process, so the generator's
memory is not counted).
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from swe_corpus.extract import ExtractConfig, ExtractLimits, add_relevant_files, extract_pr  # noqa: E402
from swe_corpus.git_mirror import GitMirror, MirrorConfig  # noqa: E402
from swe_corpus.git_repo import GitRepo  # noqa: E402
from swe_corpus.relevant import CoChangeIndex, LocalPredictor  # noqa: E402

WORDS = "alpha beta gamma delta value result index count total item node data cache config".split()


def make_file(rng: random.Random, i: int, n_files: int) -> list[str]:
    lines = [f"from pkg{(i + 1) % 10}.mod{(i + 1) % n_files} import helper_{(i + 1) % n_files}\n", "\n"]
    for f in range(rng.randint(4, 12)):
        lines.append(f"def fn_{i}_{f}(x):\n")
        for _ in range(rng.randint(3, 12)):
            lines.append(f"    {rng.choice(WORDS)} = x + {rng.randint(0, 999)}  # {rng.choice(WORDS)}\n")
        lines.append("    return x\n\n")
    return lines


def path_of(i: int) -> str:
    return f"pkg{i % 10}/mod{i}.py" if i % 7 else f"tests/pkg{i % 10}/test_mod{i}.py"


class FastImport:
    """Writes a `git fast-import` stream: commits by mark, trees as whole-file modifications."""

    def __init__(self):
        self.parts: list[bytes] = []
        self.mark = 0
        self.time = 1_500_000_000

    def commit(self, ref: str, msg: str, parents: list[int], files: dict[str, str]) -> int:
        self.mark += 1
        self.time += 37
        out = [f"commit {ref}\nmark :{self.mark}\n"]
        out.append(
            f"author Dev <dev@example.com> {self.time} +0000\ncommitter Dev <dev@example.com> {self.time} +0000\n"
        )
        data = msg.encode()
        out.append(f"data {len(data)}\n{msg}\n")
        if parents:
            out.append(f"from :{parents[0]}\n")
            out += [f"merge :{p}\n" for p in parents[1:]]
        self.parts.append("".join(out).encode())
        for path, text in files.items():
            blob = text.encode()
            self.parts.append(f"M 100644 inline {path}\ndata {len(blob)}\n".encode() + blob + b"\n")
        self.parts.append(b"\n")
        return self.mark


def generate(
    root: Path, n_prs: int, n_direct: int, n_files: int = 300, seed: int = 0
) -> tuple[Path, list[dict]]:
    """A bare repo `root/serve/bench/repo.git` plus PULL_REQUESTS-like rows for its merged PRs."""
    rng = random.Random(seed)
    files = {path_of(i): make_file(rng, i, n_files) for i in range(n_files)}
    fi = FastImport()
    main = fi.commit("refs/heads/main", "initial", [], {p: "".join(v) for p, v in files.items()})
    prs = []
    direct_every = max(1, n_direct // n_prs)
    for n in range(1, n_prs + 1):
        base = main
        branch = {p: list(v) for p, v in files.items()}
        head, touched = base, set()
        for c in range(rng.randint(1, 3)):
            change = {}
            for idx in rng.sample(range(n_files), rng.randint(2, 5)):
                p = path_of(idx)
                lines = branch[p]
                for _ in range(rng.randint(1, 4)):
                    j = rng.randrange(len(lines))
                    lines[j] = f"    {rng.choice(WORDS)} = {rng.randint(0, 99)}  # pr {n}\n"
                change[p] = "".join(lines)
                touched.add(p)
            head = fi.commit(f"refs/pull/{n}/head", f"PR {n} commit {c}\n\nFixes #{n}", [head], change)
        for d in range(direct_every):  # main moves on
            idx = rng.randrange(n_files)
            p = path_of(idx)
            if p in touched:
                continue
            files[p].append(f"# direct {n}.{d}\n")
            main = fi.commit("refs/heads/main", f"direct {n}.{d}", [main], {p: "".join(files[p])})
        merged = {p: "".join(branch[p]) for p in touched}
        base_now = main
        main = fi.commit("refs/heads/main", f"Merge pull request #{n}", [main, head], merged)
        for p in touched:
            files[p] = list(branch[p])
        prs.append({"number": n, "base_mark": base_now, "head_mark": head, "merge_mark": main})
    bare = root / "serve" / "bench" / "repo.git"
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True)
    marks = root / "marks"
    git(bare, "config", "uploadpack.allowFilter", "true")  # let blobless clones filter, as GitHub does
    subprocess.run(
        ["git", "-C", str(bare), "fast-import", "--quiet", f"--export-marks={marks}"],
        input=b"".join(fi.parts),
        check=True,
    )
    by_mark = dict(line.split() for line in marks.read_text().splitlines())
    rows = [
        {
            "instance_id": f"bench__repo-{p['number']}",
            "repo": "bench/repo",
            "number": p["number"],
            "title": f"PR {p['number']}",
            "body": f"Touches {path_of(p['number'] % n_files)}",
            "base_sha": by_mark[f":{p['base_mark']}"],
            "head_sha": by_mark[f":{p['head_mark']}"],
            "merge_commit_sha": by_mark[f":{p['merge_mark']}"],
            "linked_issues": [],
        }
        for p in prs
    ]
    return bare, rows


def git(repo: Path, *args: str) -> bytes:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, check=True).stdout


def naive(repo: Path, pr: dict) -> int:
    """Baseline: merge-base, name-status, log, then one `git diff` + one `git show` per changed file."""
    mb = git(repo, "merge-base", pr["base_sha"], pr["head_sha"]).decode().strip()
    names = git(repo, "diff", "--name-status", "-M", mb, pr["head_sha"]).decode().splitlines()
    git(repo, "log", "--format=%H%x1f%at%x1f%an%x1f%B", f"{mb}..{pr['head_sha']}")
    size = 0
    for line in names:
        status, *paths = line.split("\t")
        size += len(git(repo, "diff", mb, pr["head_sha"], "--", *paths))
        if not status.startswith("A"):
            size += len(git(repo, "show", f"{mb}:{paths[0]}"))
    return size


def max_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(label: str, fn, n: int) -> float:
    t = time.perf_counter()
    fn()
    dt = time.perf_counter() - t
    print(f"{label:<44} {n / dt:8.1f} PRs/s  ({dt:.2f}s for {n} PRs)")
    return n / dt


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--prs", type=int, default=320)
    ap.add_argument("--direct-commits", type=int, default=1400)
    ap.add_argument("--workdir", default=None)
    args = ap.parse_args()
    root = Path(args.workdir or tempfile.mkdtemp(prefix="bench-extract-"))
    t = time.perf_counter()
    with ProcessPoolExecutor(1) as pool:  # the fast-import stream it builds stays out of our max RSS
        bare, rows = pool.submit(generate, root, args.prs, args.direct_commits).result()
    n_commits = int(git(bare, "rev-list", "--count", "--all").decode())
    print(f"generated {n_commits} commits, {len(rows)} merged PRs in {time.perf_counter() - t:.1f}s ({root})")

    template = f"file://{root}/serve/{{repo}}.git"
    mirrors = {}
    for mode in ("full", "blobless"):
        cfg = MirrorConfig(cache_dir=str(root / f"cache-{mode}"), url_template=template, clone_mode=mode)
        t = time.perf_counter()
        mirrors[mode] = GitMirror(cfg).ensure("bench/repo")
        du = sum(f.stat().st_size for f in mirrors[mode].rglob("*") if f.is_file())
        print(f"clone {mode:<9} {time.perf_counter() - t:6.2f}s  {du / 2**20:7.1f} MiB on disk")
    path = mirrors["full"]
    limits = ExtractLimits()
    rss_before = max_rss_mib()
    with GitRepo(path, "file") as repo:
        ours = timed(
            "ours: extract_pr (no relevant files)",
            lambda: [extract_pr(repo, p, limits) for p in rows],
            len(rows),
        )
    rss_ours = max_rss_mib()
    tracemalloc.start()  # a separate pass: tracemalloc slows Python down, so it stays out of the timing
    with GitRepo(path, "file") as repo:
        for p in rows:
            extract_pr(repo, p, limits)
    _cur, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    config = ExtractConfig(limits=limits)

    def with_relevant(repo: GitRepo, prs: list[dict]) -> None:
        cochange = CoChangeIndex.build(repo)
        predictor = LocalPredictor()
        for p in prs:
            ext = extract_pr(repo, p, limits)
            add_relevant_files(repo, p, ext, predictor, config, cochange)

    with GitRepo(path, "file") as repo:
        timed("ours + local relevant-file predictor", lambda: with_relevant(repo, rows), len(rows))
    base = timed("baseline: git diff + git show per file", lambda: [naive(path, p) for p in rows], len(rows))
    print(f"speed-up (ours / baseline): {ours / base:.1f}x")
    print(
        f"peak Python heap during extraction: {peak / 2**20:.1f} MiB; process max RSS: {rss_ours:.0f} MiB"
        f" ({rss_before:.0f} MiB before extraction, {rss_ours - rss_before:+.0f} MiB during it)"
    )
    sample = rows[:40]
    for mode, path in mirrors.items():
        with GitRepo(path, "file") as repo:
            timed(
                f"extract on {mode} mirror (first {len(sample)} PRs)",
                lambda r=repo: [extract_pr(r, p) for p in sample],
                len(sample),
            )
        with GitRepo(path, "file") as repo:  # a fresh GitRepo: no tree cached by the previous pass
            timed(
                f"  + relevant files on {mode} mirror",
                lambda r=repo: with_relevant(r, sample),
                len(sample),
            )

    if not args.workdir:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    os.environ.setdefault("GIT_CONFIG_GLOBAL", "/dev/null")
    main()
