"""The four stage commands end like `corpus` (issue 15): an OUT holding a run is refused unless
`--overwrite`, which replaces it; each writes OUT/manifest.json and prints its funnel with the one
renderer; long runs log rate-limited progress lines (hours for ingest, repositories for extract)."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import re

import pytest

from swe_corpus.cli import main as cli
from swe_corpus.demo import generate
from swe_corpus.gharchive import parse_hours
from swe_corpus.manifest import render_funnel

STAGES = ("ingest", "prs", "extract", "curate")


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli(argv)
    return code, out.getvalue(), err.getvalue()


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    """The demo world through ingest, prs, extract and curate, each into its own OUT."""
    tmp = tmp_path_factory.mktemp("stages")
    world = generate(tmp / "world")
    argv = {
        "ingest": ["--hours", world["hours"], "--gharchive-url", world["gharchive_url"]]
        + ["--cache-dir", str(tmp / "cache" / "gh")],
        "prs": ["--events", str(tmp / "ingest")],
        "extract": ["--prs", str(tmp / "prs"), "--git-url-template", world["git_url_template"]]
        + ["--git-cache-dir", str(tmp / "cache" / "git")],
        "curate": ["--prs", str(tmp / "extract")],
    }
    argv = {stage: [stage, *args, "--out", str(tmp / stage)] for stage, args in argv.items()}
    logger, records = logging.getLogger("pipelines"), Records()
    level = logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(records)
    try:
        runs = {stage: run_cli(args) for stage, args in argv.items()}
    finally:
        logger.removeHandler(records)
        logger.setLevel(level)
    return {"tmp": tmp, "argv": argv, "runs": runs, "log": records.messages, "hours": world["hours"]}


def test_each_stage_writes_a_manifest_whose_funnel_the_renderer_prints(chain):
    for stage in STAGES:
        code, stdout, _ = chain["runs"][stage]
        manifest = json.loads((chain["tmp"] / stage / "manifest.json").read_text())
        assert code == 0 and manifest["funnel_ok"] and manifest["funnel_errors"] == [], stage
        assert manifest["funnel"][stage if stage != "curate" else "filter"]["in"] > 0, stage
        assert render_funnel(manifest["funnel"]) in stdout, stage
        assert f"manifest: {chain['tmp'] / stage}/manifest.json" in stdout


def test_each_stage_refuses_a_non_empty_out_and_overwrite_replaces_it(chain):
    for stage in STAGES:
        out = chain["tmp"] / stage
        before = (out / "manifest.json").read_text()
        code, stdout, stderr = run_cli(chain["argv"][stage])
        assert code == 2 and stdout == "", stage
        (line,) = stderr.splitlines()
        assert line.startswith(f"swe-corpus {stage}: {out} already holds a run (") and "--overwrite" in line
        assert (out / "manifest.json").read_text() == before  # nothing touched
        table = next(p for p in out.iterdir() if p.is_dir() and list(p.glob("*.parquet")))
        stale = table / "stale-shard.parquet"
        stale.write_bytes(next(table.glob("*.parquet")).read_bytes())
        code, stdout, _ = run_cli([*chain["argv"][stage], "--overwrite"])
        assert code == 0 and not stale.exists(), stage  # replaced: nothing of the old run stays
        assert json.loads((out / "manifest.json").read_text())["funnel_ok"]


def test_progress_lines_per_hour_and_per_repository_rate_limited(chain):
    hours = len(parse_hours(chain["hours"]))
    ingest = [m for m in chain["log"] if m.startswith("ingest: hour ")]
    assert hours == 4 and 2 <= len(ingest) < hours  # the first, the last, and not one per hour
    assert re.search(r"\(\d+ read, \d+ kept, \d+ rejected\); 1/4 hours, ETA \d+s$", ingest[0])
    assert re.search(r"; 4/4 hours, \d+ read, \d+ kept, \d+ rejected in all$", ingest[-1])
    extract = [m for m in chain["log"] if m.startswith("extract: repository ")]
    assert extract and "1/" in extract[0] and "ETA" in extract[0]
    done = re.search(r"; (\d+)/(\d+) repositories, (\d+) PRs, (\d+) extracted", extract[-1])
    assert done and done[1] == done[2] and int(done[3]) > 0


def test_a_stage_that_produced_nothing_usable_fails_loudly_with_its_manifest(tmp_path):
    (tmp_path / "archive").mkdir()  # no hour in it: every hour is a gap
    argv = ["ingest", "--hours", "2016-03-01-0..2016-03-01-1", "--gharchive-url", str(tmp_path / "archive")]
    code, stdout, stderr = run_cli([*argv, "--out", str(tmp_path / "out")])
    assert code == 1 and stdout == ""
    (line,) = stderr.splitlines()
    assert line.startswith("swe-corpus ingest: no usable input: 2 of 2 hours missing or failed (gap_404=2)")
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["input"]["error"] in line and manifest["funnel"]["ingest"]["rejected"] == {"gap_404": 2}
