"""Hostile repositories and a hostile git server against the real extraction: a tree bomb (made with
`git mktree` + `git fast-import`), a run killed while git runs, credentials and redirects."""

from __future__ import annotations

import base64
import os
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from helpers.extract_world import pr_row

import schemas.tables as schemas
from pipelines.common import rows_to_table
from swe_corpus.extract import ExtractConfig, extract_repo
from swe_corpus.git_mirror import GitMirror, MirrorConfig, MirrorError
from swe_corpus.git_repo import GitError, GitRepo

BOMB_REPO = "acme/bomb"
CAPS = {"max_git_memory_bytes": 64 * 2**20, "max_tree_entries": 10_000}  # small caps, small bomb
TOKEN = "ghp_r3d1rectT0KEN"
ENV = {
    **os.environ,
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "a",
    "GIT_AUTHOR_EMAIL": "a@example.com",
    "GIT_COMMITTER_NAME": "a",
    "GIT_COMMITTER_EMAIL": "a@example.com",
}


def git(repo: Path, *args: str, stdin: str = "") -> str:
    proc = subprocess.run(
        ["git", "-C", str(repo), *args], input=stdin, capture_output=True, text=True, env=ENV
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def tree_bomb(repo: Path, depth: int) -> str:
    """A tree of 10^(depth+1) paths in depth+2 objects: each level names the level below ten times."""
    entry = git(repo, "hash-object", "-w", "--stdin", stdin="boom\n")
    kind, mode, prefix = "blob", "100644", "f"
    for _ in range(depth + 1):
        listing = "".join(f"{mode} {kind} {entry}\t{prefix}{i}\n" for i in range(10))
        entry = git(repo, "mktree", stdin=listing)
        kind, mode, prefix = "tree", "040000", "d"
    return entry


def fast_import(repo: Path, bomb: str) -> dict[str, str]:
    """History: main (small) -> branch `pr1` adds the bomb; `pr3` edits a file; main then takes the bomb
    and `refs/pull/5/head` edits a file on top of it. Returns the commit of each mark."""

    def commit(ref: str, mark: int, parent: int | None, changes: str) -> str:
        frm = f"from :{parent}\n" if parent else ""
        return f"commit {ref}\nmark :{mark}\ncommitter a <a@example.com> {1_000_000_000 + mark} +0000\ndata 2\nc\n{frm}{changes}\n"

    def file(path: str, text: str) -> str:
        return f"M 100644 inline {path}\ndata {len(text)}\n{text}\n"

    stream = (
        commit("refs/heads/main", 1, None, file("a.py", "A = 1\n") + file("b.py", "B = 1\n"))
        + commit("refs/heads/pr1", 2, 1, f"M 040000 {bomb} bomb\n")
        + commit("refs/heads/pr3", 3, 1, file("a.py", "A = 3\n"))
        + commit("refs/heads/main", 4, 2, file("b.py", "B = 4\n"))
        + commit("refs/pull/5/head", 5, 4, file("b.py", "B = 5\n"))
    )
    git(repo, "fast-import", "--quiet", stdin=stream)
    return {
        str(m): git(repo, "rev-parse", ref)
        for m, ref in [(1, "pr3~1"), (2, "pr1"), (3, "pr3"), (4, "main"), (5, "refs/pull/5/head")]
    }


@pytest.fixture(scope="module")
def bomb_world(tmp_path_factory):
    root = tmp_path_factory.mktemp("bomb")
    bare = root / "serve" / "acme" / "bomb.git"
    bare.parent.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True, env=ENV)
    shas = fast_import(bare, tree_bomb(bare, depth=5))  # 10^6 paths: ~325 MB for an uncapped diff-tree -M
    return root, shas


def bomb_pr(number: int, base: str, head: str) -> dict:
    return pr_row(number, base, head, None, repo=BOMB_REPO, instance_id=f"acme__bomb-{number}")


def git_processes(marker: str) -> list[str]:
    """Command lines of live processes mentioning `marker` (a cache path, a port)."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if marker in cmd and state != "Z" and "pytest" not in cmd:
            found.append(cmd)
    return found


def test_tree_bomb_is_rejected_within_memory_caps(bomb_world, tmp_path):
    root, c = bomb_world
    cache = tmp_path / "cache"
    cfg = ExtractConfig(
        mirror=MirrorConfig(cache_dir=str(cache), url_template=f"file://{root}/serve/{{repo}}.git", **CAPS)
    )
    prs = [bomb_pr(1, c["1"], c["2"]), bomb_pr(3, c["1"], c["3"]), bomb_pr(5, c["4"], c["5"])]
    start = time.monotonic()
    out = list(extract_repo(BOMB_REPO, prs, cfg))
    assert time.monotonic() - start < 60  # bounded: the caps act at 64 MB, not after minutes
    rejected = {r.instance_id: r.reason for kind, r in out if kind == "rejected"}
    kept = [r["instance_id"] for kind, r in out if kind == "pull_requests"]
    # the PR adding 10^6 paths: diff-tree -M dies at its heap cap; the PR on top of the bomb: its tree
    # listing stops at max_tree_entries; the PR beside it is extracted (without co-change evidence,
    # whose history walk met the bomb and is counted, not fatal)
    assert rejected == {"acme__bomb-1": "git_out_of_memory", "acme__bomb-5": "tree_too_large"}
    assert kept == ["acme__bomb-3"]
    assert ("count", ("cochange_unavailable:git_out_of_memory", 1)) in out
    assert not git_processes(str(cache))  # nothing left running


# --------------------------------------------------------------------------- signals
def hanging_server():
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)  # accepts (kernel backlog), never answers: git-remote-http waits
    return sock


@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM, signal.SIGINT])
def test_git_children_end_with_the_run(tmp_path, signum):
    """A real `swe-corpus extract` whose clone hangs, killed by a real signal: no git process survives."""
    sock = hanging_server()
    port = sock.getsockname()[1]
    (tmp_path / "in" / "pull_requests").mkdir(parents=True)
    rows = [pr_row(1, "a" * 40, "b" * 40, None)]
    pq.write_table(
        rows_to_table(rows, schemas.PULL_REQUESTS), tmp_path / "in" / "pull_requests" / "p.parquet"
    )
    cmd = [
        sys.executable, "-m", "swe_corpus", "extract",
        "--prs", str(tmp_path / "in"), "--out", str(tmp_path / "out"),
        "--git-url-template", f"http://127.0.0.1:{port}/{{repo}}.git",
        "--git-cache-dir", str(tmp_path / "cache"), "--clone-timeout-s", "600",
    ]  # fmt: skip
    run = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not git_processes(f"127.0.0.1:{port}") and time.monotonic() < deadline:
            time.sleep(0.2)
        assert git_processes(f"127.0.0.1:{port}"), "git never started"
        run.send_signal(signum)
        run.wait(timeout=30)
        deadline = time.monotonic() + 10
        while git_processes(f"127.0.0.1:{port}") and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not git_processes(f"127.0.0.1:{port}")
    finally:
        if run.poll() is None:
            run.kill()
        sock.close()


# --------------------------------------------------------------------------- credentials and redirects
class RedirectingHandler(BaseHTTPRequestHandler):
    """Answers every request with a 302 to `target`; records (host header, Authorization) per request."""

    target = ""
    seen: list[tuple[str, str | None]] = []

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.seen.append(
            (f"{self.server.server_address[1]}:{self.headers.get('Host')}", self.headers.get("Authorization"))
        )
        if self.target:
            self.send_response(302)
            self.send_header("Location", self.target + self.path)
        else:
            self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()


def serve(handler) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.mark.parametrize("where", ["other_port", "localhost"])
def test_credentials_never_follow_a_redirect(tmp_path, where):
    seen: list = []
    other = serve(type("B", (RedirectingHandler,), {"seen": seen}))
    origin = serve(type("A", (RedirectingHandler,), {"seen": seen}))
    a, b = origin.server_address[1], other.server_address[1]
    origin.RequestHandlerClass.target = (
        f"http://127.0.0.1:{b}" if where == "other_port" else f"http://localhost:{a}"
    )
    try:
        template = f"http://x-access-token:{TOKEN}@127.0.0.1:{a}/{{repo}}.git"
        m = GitMirror(MirrorConfig(cache_dir=str(tmp_path / "cache"), url_template=template))
        with pytest.raises(MirrorError) as e:
            m.ensure("acme/widgets")
        assert e.value.reason == "repo_redirected"
        basic = "Basic " + base64.b64encode(f"x-access-token:{TOKEN}".encode()).decode()
        assert (f"{a}:127.0.0.1:{a}", basic) in seen  # the origin got the credential
        assert [s for s in seen if s[0] != f"{a}:127.0.0.1:{a}"] == []  # the redirect was not followed
        assert TOKEN not in str(e.value)
        assert not [
            p for p in (tmp_path / "cache").rglob("*") if p.is_file() and TOKEN.encode() in p.read_bytes()
        ]
    finally:
        origin.shutdown()
        other.shutdown()


def test_accept_and_hang_is_a_clone_timeout(tmp_path):
    """A server that accepts and never answers: the stall limit (not the clone timeout) ends the
    transfer, and the PRs say clone_timeout, not clone_failed."""
    sock = hanging_server()
    try:
        template = f"http://127.0.0.1:{sock.getsockname()[1]}/{{repo}}.git"
        cfg = MirrorConfig(cache_dir=str(tmp_path / "c"), url_template=template, low_speed_time_s=2)
        start = time.monotonic()
        with pytest.raises(MirrorError) as e:
            GitMirror(cfg).ensure("acme/widgets")
        assert e.value.reason == "clone_timeout" and time.monotonic() - start < 30
    finally:
        sock.close()


def test_a_large_answer_is_cut_at_the_output_cap(bomb_world):
    """Any whole-answer git call (log, grep, ls-tree) is read as it streams and stopped at the cap."""
    root, c = bomb_world
    path = root / "serve" / "acme" / "bomb.git"
    with GitRepo(path, max_output_bytes=100_000) as repo, pytest.raises(GitError) as e:
        repo.run("ls-tree", "-r", c["2"])  # ~71 MB of listing
    assert e.value.reason == "git_output_too_large"
    assert not git_processes(str(path))
