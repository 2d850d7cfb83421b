"""A run with no usable input fails with a one-line reason; a partial one warns with counts; relative
locations are made absolute before the pipeline is submitted (issue 13, item 5).

Real runs of `swe-corpus corpus` on the offline demo world (and on an empty archive directory), real
git clones that fail because the repository is not there.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from swe_corpus import config as corpus_config
from swe_corpus.cli import main as cli
from swe_corpus.demo import generate
from swe_corpus.health import InputHealth
from swe_corpus.paths import absolute_location


# ------------------------------------------------------------------ absolute locations
@pytest.mark.parametrize(
    ("value", "kind", "want"),
    [
        ("out", "dir", "/launch/out"),
        ("./a/../b/", "dir", "/launch/b"),
        ("/abs/out", "dir", "/abs/out"),
        ("gs://bucket/out", "dir", "gs://bucket/out"),
        ("https://data.gharchive.org", "dir", "https://data.gharchive.org"),
        ("file:///abs/hours", "dir", "file:///abs/hours"),
        ("file://localhost/srv/{repo}.git", "url", "file://localhost/srv/{repo}.git"),
        ("file://rel/hours", "dir", "file:///launch/rel/hours"),
        ("repos/{repo}.git", "url", "/launch/repos/{repo}.git"),
        ("file://repos/{repo}.git", "url", "file:///launch/repos/{repo}.git"),
        ("git@github.com:{repo}.git", "url", "git@github.com:{repo}.git"),
        ("", "dir", ""),
    ],
)
def test_absolute_location(value, kind, want):
    assert absolute_location(value, kind, cwd="/launch") == want


def test_every_location_option_is_made_absolute_and_nothing_else():
    cfg = corpus_config.CorpusConfig()
    cfg.curate.benchmark_file, cfg.curate.lid_model = "bench.jsonl", "lid.ftz"
    cfg.ingest.gharchive_url, cfg.extract.git_url_template = "hours", "file://repos/{repo}.git"
    before = cfg.to_dict()
    corpus_config.absolute_paths(cfg, cwd="/launch")
    after = cfg.to_dict()
    marked = {
        (section, name)
        for name, (section, f, _typ) in corpus_config.options().items()
        if f.metadata.get("path")
    }
    assert {("run", "out"), ("ingest", "cache_dir"), ("extract", "git_cache_dir")} <= marked
    for section, values in after.items():
        for name, value in values.items():
            if (section, name) in marked:
                assert value.startswith(("/launch/", "file:///launch/", "https://")), (name, value)
            else:
                assert value == before[section][name], name


# ------------------------------------------------------------------ no usable input
def test_input_health_fatal_and_partial():
    none_left = InputHealth.from_counters(
        2, {"ingest:rejected:gap_404": 1, "ingest:rejected:download_failed": 1}, {}
    )
    assert (
        none_left.fatal() == "no usable input: 2 of 2 hours missing or failed (download_failed=1, gap_404=1)"
    )
    no_clone = InputHealth.from_counters(
        3, {}, {"repos_failed:repo_not_found": 2, "repos_failed:clone_timeout": 1}
    )
    assert no_clone.fatal() == (
        "no usable input: 3 of 3 repositories failed to clone (clone_timeout=1, repo_not_found=2)"
    )
    partial = InputHealth.from_counters(
        4,
        {"ingest:rejected:gap_404": 1, "ingest:rejected:not_json": 9},
        {"repos_mirrored": 2, "repos_failed:x": 1},
    )
    assert partial.fatal() is None
    assert partial.warnings() == [
        "1 of 4 hours missing or failed (gap_404=1)",
        "1 of 3 repositories failed to clone (x=1)",
    ]
    # every hour-level rejection is a failed hour: a timed-out, invalid or empty hour gave nothing
    every_kind = InputHealth.from_counters(
        3,
        {
            "ingest:rejected:download_timeout": 1,
            "ingest:rejected:download_invalid": 1,
            "ingest:rejected:empty_hour": 1,
        },
        {},
    )
    assert every_kind.fatal() == (
        "no usable input: 3 of 3 hours missing or failed (download_invalid=1, download_timeout=1, empty_hour=1)"
    )
    # no PR reached extraction: nothing to clone is not a clone failure
    assert InputHealth.from_counters(1, {}, {}).fatal() is None


def test_every_hour_missing_exits_nonzero_with_one_line_and_relative_paths_resolved(tmp_path):
    """The installed entry point, run from a directory holding an empty archive given by a relative path."""
    (tmp_path / "archive").mkdir()
    proc = subprocess.run(
        [sys.executable, "-m", "swe_corpus", "corpus", "--hours", "2015-01-01-0..2015-01-01-2"]
        + ["--gharchive-url", "archive", "--out", "out", "--cache-dir", "c/gh", "--git-cache-dir", "c/git"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    manifest = tmp_path / "out" / "manifest.json"
    assert proc.stderr.strip().splitlines()[-1] == (
        "swe-corpus corpus: no usable input: 3 of 3 hours missing or failed (gap_404=3); "
        f"the funnel is in {manifest}"
    )
    data = json.loads(manifest.read_text())
    assert data["input"]["hours_failed"] == {"gap_404": 3}
    assert data["config"]["ingest"]["gharchive_url"] == str(tmp_path / "archive")
    assert "shards:" not in proc.stdout and not (tmp_path / "out" / "README.md").exists()


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp("loud")
    return root, generate(root / "world")


def corpus(root: Path, out: str, hours: str, world: dict, template: str) -> int:
    return cli(
        [
            "corpus",
            "--hours",
            hours,
            "--gharchive-url",
            world["gharchive_url"],
            "--git-url-template",
            template,
        ]
        + [
            "--out",
            str(root / out),
            "--cache-dir",
            str(root / "gh"),
            "--git-cache-dir",
            str(root / out / "git"),
        ]
    )


def test_every_repository_failing_to_clone_exits_nonzero(world, capsys):
    root, w = world
    missing = (root / "nowhere").as_uri() + "/{repo}.git"
    assert corpus(root, "out-noclone", w["hours"], w, missing) == 1
    lines = [ln for ln in capsys.readouterr().err.splitlines() if ln.startswith("swe-corpus corpus:")]
    assert len(lines) == 1 and "no usable input:" in lines[0], lines
    input_ = json.loads((root / "out-noclone" / "manifest.json").read_text())["input"]
    assert input_["repos_mirrored"] == 0 and set(input_["repos_failed"]) == {"repo_not_found"}
    assert (
        f"{input_['repos_failed']['repo_not_found']} of {input_['repos_failed']['repo_not_found']} "
        in lines[0]
    )


def test_partial_failure_is_a_warning_with_counts(world, caplog):
    """One hour more than the archive holds, one repository that cannot be cloned: the run succeeds."""
    root, w = world
    mirror = root / "some-repos"
    repos = sorted(w["repos"])
    dropped = repos[0]
    for repo in repos[1:]:  # every repository but one, through symlinks to the world's
        link = mirror / f"{repo}.git"
        link.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(root / "world" / "repos" / f"{repo}.git", link)
    hours = f"{w['hours']},2030-01-01-0"
    with caplog.at_level(logging.WARNING, logger="pipelines.corpus"):
        assert corpus(root, "out-partial", hours, w, mirror.as_uri() + "/{repo}.git") == 0
    input_ = json.loads((root / "out-partial" / "manifest.json").read_text())["input"]
    assert input_["hours_failed"] == {"gap_404": 1} and input_["repos_failed"] == {"repo_not_found": 1}
    assert input_["repos_mirrored"] >= 1
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert f"partial input: 1 of {input_['hours']} hours missing or failed (gap_404=1)" in warnings
    total = input_["repos_mirrored"] + 1
    assert f"partial input: 1 of {total} repositories failed to clone (repo_not_found=1)" in warnings
    assert (root / "out-partial" / "README.md").exists(), dropped
