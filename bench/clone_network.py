"""Benchmark: network bytes per PR for the three ways of getting a PR's code from a git server.

    PYTHONPATH=. python bench/clone_network.py [--repo PATH ...] [--prs 20]

Serves real repositories (default: this checkout's own history; pass bare mirrors of real projects with
`--repo`) through `git http-backend` behind an HTTP server on 127.0.0.1 that counts every byte it sends
and every request, as GitHub's smart HTTP would. PRs are the latest merge commits of the default branch
(first parent = base branch, second parent = PR head). For each repository it measures:

- full: `GitMirror` full bare clone (what extraction uses by default), amortised over the PRs;
- blobless: `GitMirror` blobless clone, then per PR the blobs git fetches lazily for the PR's diff;
- commits: per PR, into an empty repository, only the commits the PR needs fetched by SHA (GitHub serves
  any reachable commit: `uploadpack.allowAnySHA1InWant`), `--depth` = PR commits + the merge base,
  `--filter=blob:none`, then the changed files' blobs lazily for the diff (the minimum for
  patch/test_patch and before/after contents; relevant unchanged files would add their blobs);
- commits+trees: the same commits fetched with every blob of their trees (no filter).

Prints bytes and requests per PR and wall time per strategy, side by side, and the ratio to a full
clone. Extraction also reads relevant unchanged files and co-change history, which a full clone has
and the others would have to fetch: these are lower bounds for the others.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from http.server import ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # its git server, helpers.git_http

from helpers.git_http import GitHTTPHandler  # noqa: E402

from swe_corpus.git_mirror import GitMirror, MirrorConfig, safe_git_config, safe_git_env  # noqa: E402

# What GitHub's servers allow and the lazy/by-SHA fetches need; given to http-backend, the served
# repositories are not modified.
SERVER_CONFIG = {"uploadpack.allowFilter": "true", "uploadpack.allowAnySHA1InWant": "true"}


class CountingGitHandler(GitHTTPHandler):
    """The tests' `git http-backend` server, with what GitHub's servers allow and the lazy/by-SHA
    fetches need; it counts response bytes and requests (class-level, reset per step)."""

    server_config = SERVER_CONFIG
    sent = 0
    requests = 0


class Meter:
    """Bytes sent, requests and seconds of one measured call."""

    def __init__(self, handler: type[CountingGitHandler]):
        self.handler = handler

    def measure(self, fn) -> tuple[int, int, float]:
        b0, r0, t0 = self.handler.sent, self.handler.requests, time.perf_counter()
        fn()
        return self.handler.sent - b0, self.handler.requests - r0, time.perf_counter() - t0


def git(*args: str, cwd: Path | None = None, check: bool = True) -> str:
    proc = subprocess.run(
        ["git", *safe_git_config("http"), *args], cwd=cwd, env=safe_git_env(), capture_output=True, text=True
    )
    if check and proc.returncode != 0:
        raise RuntimeError(f"git {' '.join(args[:3])}: {proc.stderr.strip()[-400:]}")
    return proc.stdout


def sample_prs(repo: Path, n: int) -> list[dict]:
    """The latest `n` merge commits of HEAD whose PR adds commits: base, head, merge base, PR commits."""
    prs = []
    for line in git(
        "-C", str(repo), "rev-list", "--first-parent", "--merges", "--parents", "HEAD"
    ).splitlines():
        merge, base, head, *more = line.split()
        if more:
            continue
        merge_base = git("-C", str(repo), "merge-base", base, head, check=False).strip()
        if not merge_base:
            continue
        commits = int(git("-C", str(repo), "rev-list", "--count", f"{merge_base}..{head}"))
        if commits:
            prs.append({"head": head, "merge_base": merge_base, "commits": commits})
        if len(prs) == n:
            break
    return prs


def empty_repo(work: Path, url: str, promisor: bool) -> None:
    """An empty bare repository with `url` as origin; a promisor remote (missing blobs fetched lazily,
    and `blob:none` the default filter of its fetches) when `promisor`."""
    git("init", "--bare", "--quiet", "--template=", str(work))
    config = [("remote.origin.url", url)]
    if promisor:
        config += [("remote.origin.promisor", "true"), ("remote.origin.partialclonefilter", "blob:none")]
    for key, value in config:
        git("-C", str(work), "config", key, value)


def lazy_diff(repo: Path, pr: dict) -> None:
    """The PR's diff with contents, as extraction asks for it: reads both sides of every changed file."""
    git("-C", str(repo), "diff", "--no-ext-diff", "--no-textconv", "-M", pr["merge_base"], pr["head"])


def bench_repo(name: str, meter: Meter, base_url: str, src: Path, n: int, tmp: Path) -> dict:
    prs = sample_prs(src, n)
    url = f"{base_url}/{name}.git"
    results: dict[str, tuple[int, int, float]] = {}

    full = GitMirror(MirrorConfig(cache_dir=str(tmp / "full"), url_template=base_url + "/{repo}.git"))
    results["full"] = meter.measure(lambda: full.ensure(name))
    full.cache.release()

    blobless = GitMirror(
        MirrorConfig(
            cache_dir=str(tmp / "blobless"), url_template=base_url + "/{repo}.git", clone_mode="blobless"
        )
    )
    clone = meter.measure(lambda: blobless.ensure(name))
    path = blobless.path_for(name)
    lazy = [meter.measure(lambda pr=pr: lazy_diff(path, pr)) for pr in prs]
    results["blobless"] = tuple(c + sum(x[i] for x in lazy) for i, c in enumerate(clone))
    blobless.cache.release()

    def commits_only(pr: dict, i: int, blobs: bool) -> None:
        work = tmp / f"commits-{blobs}-{i}"
        empty_repo(work, url, promisor=not blobs)
        flags = [] if blobs else ["--filter=blob:none"]
        fetch = ["-C", str(work), "fetch", "--quiet", "--no-tags", "--no-write-fetch-head", *flags]
        git(*fetch, f"--depth={pr['commits'] + 1}", "origin", pr["head"])  # the PR's commits
        git(*fetch, "--depth=1", "origin", pr["merge_base"])  # the base, where a merge in the PR hides it
        lazy_diff(work, pr)
        shutil.rmtree(work)

    for label, blobs in (("commits", False), ("commits+trees", True)):
        runs = [meter.measure(lambda pr=pr, i=i, b=blobs: commits_only(pr, i, b)) for i, pr in enumerate(prs)]
        results[label] = tuple(sum(x[i] for x in runs) for i in range(3))
    return {"prs": prs, "results": results}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    here = Path(__file__).resolve().parents[1]
    ap.add_argument("--repo", action="append", help="a git repository (bare or not) to serve; repeatable")
    ap.add_argument("--prs", type=int, default=20, help="merge commits per repository")
    args = ap.parse_args()
    repos = [
        Path(r)
        for r in (
            args.repo
            or [git("-C", str(here), "rev-parse", "--path-format=absolute", "--git-common-dir").strip()]
        )
    ]

    tmp = Path(tempfile.mkdtemp(prefix="bench-clone-network-"))
    serve = tmp / "serve" / "bench"
    serve.mkdir(parents=True)
    handler = type("H", (CountingGitHandler,), {"project_root": str(tmp / "serve")})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base_url = f"http://127.0.0.1:{server.server_address[1]}"
    meter = Meter(handler)
    print(f"git {git('--version').split()[-1]}, http-backend on 127.0.0.1, {args.prs} PRs per repository\n")
    header = f"{'repository':<22}{'strategy':<15}{'KB/PR':>10}{'req/PR':>8}{'s/PR':>8}{'x full':>8}"
    print(header)
    try:
        for i, src in enumerate(repos):
            name = f"bench/r{i}-{src.resolve().parent.name if src.name in ('repo', '.git') else src.stem}"[
                :60
            ]
            name = name.replace("+", "-")
            os.symlink(src.resolve(), tmp / "serve" / f"{name}.git")
            out = bench_repo(name, meter, base_url, src.resolve(), args.prs, tmp / f"w{i}")
            n = len(out["prs"])
            if not n:
                print(f"{name:<22}no merge commits with PR commits on HEAD")
                continue
            full_bytes = out["results"]["full"][0]
            for label, (b, r, s) in out["results"].items():
                print(
                    f"{name[-22:]:<22}{label:<15}{b / n / 1024:>10.1f}{r / n:>8.1f}{s / n:>8.2f}{b / full_bytes:>8.3f}"
                )
            sizes = [p["commits"] for p in out["prs"]]
            per_pr = out["results"]["commits"][0] / n
            print(
                f"{'':<22}({n} PRs, {min(sizes)}-{max(sizes)} commits each; full clone {full_bytes / 2**20:.1f} MiB "
                f"= the commits-only bytes of {full_bytes / per_pr:.0f} PRs)"
            )
    finally:
        server.shutdown()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
