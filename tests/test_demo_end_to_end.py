"""The README's path on the offline demo: `swe-corpus corpus`, then the CPU smoke training and evaluation
as documented, then the report as a person sees it: rendered by a real headless Chromium."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest
import yaml

from pipelines.corpus import STEP_STAGES, stage_seconds
from swe_corpus import report
from swe_corpus.cli import main as cli
from training.data import is_heldout

REPO = Path(__file__).resolve().parents[1]
SMOKE = REPO / "training" / "configs" / "cpu-smoke.yaml"
SMOKE_RAW = yaml.safe_load(SMOKE.read_text())
DATA = Path(__file__).parent / "data"
BAR_BLUE = (0x4C, 0x72, 0xB0)  # report.COLORS["bar"]: drawn by every bar chart


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("demo")
    out = root / "out"
    args = ["corpus", "--demo-dir", str(root / "world"), "--out", str(out)]
    args += ["--git-cache-dir", str(root / "git"), "--cache-dir", str(root / "gharchive")]
    assert cli(args) == 0
    return out


@pytest.fixture(scope="module")
def trained(demo, tmp_path_factory) -> Path:
    run = tmp_path_factory.mktemp("run")
    args = ["train", "--config", str(SMOKE), "--data", str(demo / "rl_seed"), "--output-dir", str(run)]
    assert cli(args) == 0
    return run


def seed_ids(out: Path) -> list[str]:
    return [r[0] for r in duckdb.sql(f"select instance_id from '{out}/rl_seed/*.parquet'").fetchall()]


# --------------------------------------------------------------------------- time per stage
def test_stage_seconds_sums_steps_by_the_stage_owning_their_label():
    steps = {
        "Corpus/Ingest/Read": 1500,
        "Corpus/Ingest/Parse": 500,
        "Corpus/Extract/Clone": 250,
        "Corpus/Curate/Dedup/Signatures": 40,
        "Corpus/Curate/Seeds/Build": 10,
        "Write_events/WriteParquet": 100,
        "Hours/Impulse": 7,
    }
    got = stage_seconds(steps)
    assert list(got)[: len(STEP_STAGES)] == [stage for _, stage in STEP_STAGES]
    assert got["ingest"] == 2.0 and got["extract"] == 0.25 and got["dedup"] == 0.04 and got["rl_seed"] == 0.01
    assert got["write"] == 0.1 and got["other"] == 0.007 and got["prs"] == 0.0


def test_manifest_records_beams_execution_time_per_stage(demo):
    manifest = json.loads((demo / "manifest.json").read_text())
    seconds = manifest["stage_seconds"]
    assert set(seconds) >= {stage for _, stage in STEP_STAGES}
    assert seconds["extract"] > 0 and seconds["write"] > 0  # clones and Parquet writes take real time
    assert sum(seconds.values()) <= manifest["wall_seconds"] + 0.5


# --------------------------------------------------------------------------- training on the demo
def test_smoke_training_keeps_every_demo_seed_and_trains_on_the_train_split(demo, trained):
    summary = json.loads((trained / "summary.json").read_text())
    seeds = seed_ids(demo)
    assert summary["train_prompts"] + summary["eval_prompts"] == len(seeds)  # none over the budget
    assert summary["seeds_trained"] == summary["train_prompts"] >= 5
    assert summary["global_step"] == SMOKE_RAW["grpo"]["max_steps"]
    assert (trained / "final" / "config.json").is_file()


def test_evaluate_writes_one_prediction_per_held_out_demo_seed(demo, trained, tmp_path, capsys):
    args = ["evaluate", "--config", str(SMOKE), "--data", str(demo / "rl_seed")]
    assert cli(args + ["--set", f"grpo.output_dir={trained}", "--out", str(tmp_path)]) == 0
    data = SMOKE_RAW["data"]
    held_out = {i for i in seed_ids(demo) if is_heldout(i, data["eval_fraction"])}
    preds = [json.loads(line) for line in (tmp_path / "predictions.jsonl").read_text().splitlines()]
    assert held_out and {p["instance_id"] for p in preds} == held_out and len(preds) == len(held_out)
    assert all(set(p) == {"instance_id", "model_name_or_path", "model_patch"} for p in preds)
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["instances"] == len(preds) and -1.0 <= metrics["mean_reward"] <= 1.0
    assert 0.0 <= metrics["format_error_rate"] <= 1.0
    assert f"{len(preds)} predictions in {tmp_path}/predictions.jsonl" in capsys.readouterr().out


# --------------------------------------------------------------------------- the report in a browser
def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if path := shutil.which(name):
            return path
    pytest.skip("no Chromium on PATH (Debian: apt-get install chromium; .ci/run installs it)")


def browse(page: Path, *mode: str) -> subprocess.CompletedProcess:
    """Open `page` in headless Chromium; its console messages go to stderr as `...:CONSOLE...` lines."""
    cmd = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"]
    cmd += ["--enable-logging=stderr", "--v=0", *mode, page.as_uri()]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=180, check=True)


def console(result: subprocess.CompletedProcess) -> list[str]:
    return [line for line in result.stderr.splitlines() if ":CONSOLE" in line]


def test_the_browser_console_check_catches_what_the_report_policy_blocks():
    page = DATA / "report_blocked_image.html"
    assert f'content="{report.CSP}"' in page.read_text()  # the report's own policy
    messages = console(browse(page, "--dump-dom"))
    assert any("Content Security Policy" in m for m in messages), messages


def test_report_renders_in_chromium_with_the_runs_figures_and_no_console_error(demo, tmp_path):
    from PIL import Image

    page = demo / "report.html"
    loaded = browse(page, "--dump-dom")
    assert console(loaded) == []
    dom = loaded.stdout
    manifest = json.loads((demo / "manifest.json").read_text())
    funnel = manifest["funnel"]
    figures = [
        manifest["git_sha"],
        manifest["created_at"],
        f"{manifest['wall_seconds']:,.1f} s",
        f"{manifest['inputs']['hours'][0]} .. {manifest['inputs']['hours'][-1]}",
        f'<td class="num">{funnel["rl_seed"]["kept"]}</td>',
        f'<td class="num">{100 * funnel["prs"]["kept"] / funnel["prs"]["in"]:.1f}%</td>',  # kept %
        "Example seed: ",
        "Rejected records (one per reason)",
    ]
    for figure in figures:
        assert figure in dom, figure
    for stage, secs in manifest["stage_seconds"].items():
        if secs:
            assert f'<td>{stage}</td><td class="num">{secs:,.2f}</td>' in dom, stage
    shot = tmp_path / "report.png"
    browse(page, f"--screenshot={shot}", "--window-size=1400,2400")
    with Image.open(shot) as image:
        assert image.size == (1400, 2400)
        painted = sum(1 for px in image.convert("RGB").getdata() if px == BAR_BLUE)
    assert painted > 20_000, painted  # the charts' bars were decoded and painted, not just referenced
