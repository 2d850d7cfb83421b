"""The `swe-corpus` command line as a user meets it."""

from __future__ import annotations

import subprocess
import sys

from conftest import REPO_ROOT


def test_pipeline_commands_print_no_warning_a_user_cannot_act_on():
    """Beam logs its missing optional Google Cloud clients at import; no swe-corpus run needs them."""
    proc = subprocess.run(
        [sys.executable, "-m", "swe_corpus.cli", "ingest", "--help"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0 and "--hours" in proc.stdout
    assert "apitools" not in proc.stderr and "bigquery" not in proc.stderr.lower(), proc.stderr


def run_cli(*args: str, cwd=REPO_ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "swe_corpus.cli", *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def test_a_mistyped_flag_is_an_error_with_a_suggestion_not_a_silent_default(tmp_path):
    """Beam only warns about a flag it does not know: `--relevent-k 5` used to run to the end, exit 0."""
    proc = run_cli("corpus", "--relevent-k", "5", "--out", str(tmp_path / "out"))
    assert proc.returncode == 2
    assert (
        proc.stderr.strip()
        == "swe-corpus corpus: error: unknown option --relevent-k (did you mean --relevant-k?)"
    )
    assert not (tmp_path / "out").exists()
    beam_typo = run_cli(
        "ingest", "--hours", "2015-01-01-1", "--direct_num_worker", "2", "--out", str(tmp_path)
    )
    assert beam_typo.returncode == 2 and "did you mean --direct_num_workers?" in beam_typo.stderr


def test_a_config_error_is_one_line_and_exit_2(tmp_path):
    bad = tmp_path / "corpus.toml"
    bad.write_text("[extract]\nrelevant_kk = 3\n")
    proc = run_cli("corpus", "--config", str(bad), "--out", str(tmp_path / "out"))
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        f"swe-corpus corpus: {bad}: unknown option 'relevant_kk' in [extract] (did you mean 'relevant_k'?)"
    ]


def test_help_is_written_for_users():
    proc = run_cli("--help")
    assert proc.returncode == 0
    assert "GH Archive events + git clones" in proc.stdout and "swe-corpus corpus --out out" in proc.stdout
    assert "subcommand lives in its stage module" not in proc.stdout  # the developer docstring


def test_stray_words_single_dash_flags_and_config_beam_args_are_errors_too(tmp_path):
    out = str(tmp_path / "out")
    assert (
        run_cli("corpus", "--out", out, "stray").stderr.strip()
        == "swe-corpus corpus: error: unexpected argument 'stray'"
    )
    single = run_cli("corpus", "--out", out, "-decontaminate", "none")
    assert single.returncode == 2 and "did you mean --decontaminate?" in single.stderr
    cfg = tmp_path / "corpus.toml"
    cfg.write_text('[run]\nbeam_args = ["--direct_num_workerz=2"]\n')
    proc = run_cli("corpus", "--config", str(cfg), "--out", out)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines()[-1] == (
        "swe-corpus corpus: [run] beam_args: unknown option --direct_num_workerz (did you mean --direct_num_workers?)"
    )
    assert not (tmp_path / "out").exists()
