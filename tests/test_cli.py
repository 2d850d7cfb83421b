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
