"""Resume and incremental runs (issue 13, item 3): a corpus run killed with SIGKILL mid-way is continued
by the same command, reusing its finished units (hours, repositories), and ends with the tables of a
clean run; a longer `--hours` range reuses every finished hour and re-extracts only the repositories
whose PRs changed. Clones go over real smart HTTP (`git http-backend` on 127.0.0.1), slowed down so the
kill lands between two repositories."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
from helpers.corpus import corpus_args as shared_corpus_args
from helpers.git_http import GitHTTPHandler
from helpers.tables import comparable_rows as rows

from schemas import TABLES
from swe_corpus.cli import main as cli
from swe_corpus.demo import generate

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The demo world, its repositories served over HTTP with a settable delay per request."""
    root = tmp_path_factory.mktemp("resume")
    world_dir = root / "world"
    world = generate(world_dir)
    handler = type("Slow", (GitHTTPHandler,), {"project_root": str(world_dir / "repos"), "delay_s": 0.0})
    original = handler.handle_git

    def handle_git(self):
        time.sleep(handler.delay_s)
        original(self)

    handler.handle_git = handle_git
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    template = f"http://127.0.0.1:{server.server_address[1]}/git/{{repo}}.git"
    yield {
        "root": root,
        "world_dir": world_dir,
        "handler": handler,
        "template": template,
        "hours": world["hours"],
    }
    server.shutdown()


def corpus_args(served, out: Path, cache: Path, *extra: str, hours: str | None = None) -> list[str]:
    """The corpus command on the served world (hours read from its files, clones over HTTP)."""
    source = [
        "--hours",
        hours or served["hours"],
        "--gharchive-url",
        (served["world_dir"] / "hours").as_uri(),
    ]
    return shared_corpus_args(out, cache, *source, "--git-url-template", served["template"], *extra)


def finished_units(out: Path, kind: str) -> set[str]:
    return {p.parent.name for p in (out / ".work" / kind).glob("*/done.json")}


def manifest(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text())


@pytest.fixture(scope="module")
def clean(served):
    """A clean run over HTTP, the reference for the resumed ones."""
    out = served["root"] / "clean"
    assert cli(corpus_args(served, out, served["root"] / "clean-cache")) == 0
    return out


def test_sigkilled_run_is_continued_by_the_same_command_and_equals_a_clean_run(served, clean):
    out, cache = served["root"] / "killed", served["root"] / "killed-cache"
    cmd = [sys.executable, "-m", "swe_corpus.cli", *corpus_args(served, out, cache)]
    served["handler"].delay_s = 0.4  # each clone takes a few requests: a second or more per repository
    try:
        proc = subprocess.Popen(
            cmd, cwd=REPO_ROOT, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 120
        while len(finished_units(out, "extract")) < 2:
            assert proc.poll() is None, "the run ended before it could be killed"
            assert time.monotonic() < deadline, "no repository finished in time"
            time.sleep(0.02)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        served["handler"].delay_s = 0.0
    assert not (out / "manifest.json").exists()
    hours_done, repos_done = finished_units(out, "ingest"), finished_units(out, "extract")
    assert hours_done and 2 <= len(repos_done)

    assert cli(corpus_args(served, out, cache)) == 0
    units = manifest(out)["units"]
    assert units["ingest"] == {"done": 0, "reused": len(hours_done)}
    assert units["extract"]["reused"] == len(repos_done)
    assert units["extract"]["done"] == len(finished_units(clean, "extract")) - len(repos_done) > 0
    for table in TABLES:
        assert rows(out, table) == rows(clean, table), table
    assert manifest(out)["funnel"] == manifest(clean)["funnel"]

    # a finished OUT is refused
    assert cli(corpus_args(served, out, cache)) == 2


def test_longer_hours_range_reuses_finished_hours_and_unchanged_repositories(served, clean):
    out, cache = served["root"] / "grown", served["root"] / "grown-cache"
    hours = manifest(clean)["inputs"]["hours"]
    first = hours[: len(hours) // 2]
    assert cli(corpus_args(served, out, cache, hours=f"{first[0]}..{first[-1]}")) == 0
    repos_before = finished_units(out, "extract")

    assert cli(corpus_args(served, out, cache, "--overwrite")) == 0
    units = manifest(out)["units"]
    assert units["ingest"] == {"done": len(hours) - len(first), "reused": len(first)}
    repos_after = finished_units(out, "extract")
    reused = units["extract"]["reused"]
    assert units["extract"]["done"] == len(repos_after - repos_before)  # whose PRs changed: new units
    assert reused > 0  # the repositories whose PRs did not change
    assert units["extract"]["done"] == len(finished_units(clean, "extract")) - reused > 0
    for table in TABLES:
        assert rows(out, table) == rows(clean, table), table
