"""Smaller hardening: OUT names that are globs, a full disk while writing the manifest, a killed run's
partial output, secrets with `@` or `/` in URLs, a repository name with a trailing newline."""

from __future__ import annotations

import json
import subprocess
import sys

import pyarrow.parquet as pq
import pytest
from conftest import REPO_ROOT

from pipelines.common import rows_to_table
from schemas import TABLES
from swe_corpus.cli import main as cli_main
from swe_corpus.config import CorpusConfig
from swe_corpus.git_mirror import MirrorError, validate_repo
from swe_corpus.redaction import redact_text, redact_url
from swe_corpus.rejects import rejection


def write_rejected(out, reasons: list[str]) -> None:
    (out / "rejected").mkdir(parents=True)
    rows = [rejection("prs", r, "x") for r in reasons]
    pq.write_table(rows_to_table(rows, TABLES["rejected"]), out / "rejected" / "part-0.parquet")


@pytest.mark.parametrize("name", ["run[ab]", "run*", "run?"])
def test_query_reads_only_its_own_out_even_when_named_like_a_glob(tmp_path, capsys, name):
    write_rejected(tmp_path / name, ["mine"])
    write_rejected(tmp_path / "runa", ["sibling"])  # matched by run[ab], run* and run? as globs
    assert (
        cli_main(["query", "select reason from rejected", "--out", str(tmp_path / name), "--format", "csv"])
        == 0
    )
    assert capsys.readouterr().out.split() == ["reason", "mine"]


def test_stats_tells_a_killed_or_half_written_run_from_a_finished_one(tmp_path, capsys):
    out = tmp_path / "out"
    write_rejected(out, ["unmerged"])
    assert cli_main(["stats", "--out", str(out)]) == 0  # tables, no manifest: a killed run
    assert "status: INCOMPLETE: no manifest.json" in capsys.readouterr().out
    (out / "manifest.json").write_text("")  # what a full disk used to leave
    assert cli_main(["stats", "--out", str(out)]) == 1
    assert "status: INCOMPLETE: manifest.json is empty or unreadable" in capsys.readouterr().out
    funnel = {"prs": {"in": 1, "kept": 0, "rejected": {"unmerged": 1}}}
    (out / "manifest.json").write_text(json.dumps({"funnel": funnel}))
    assert cli_main(["stats", "--out", str(out)]) == 0
    assert "status: finished" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("name", "old", "write"),
    [
        (
            "manifest.json",
            '{"funnel": {}}',
            "from pipelines.common import write_text as w\nw(sys.argv[1] + '/manifest.json', BIG)",
        ),
        (
            "report.html",
            "<html>old</html>",
            "from swe_corpus import explore\nexplore.report_html = lambda out: BIG\nexplore.write_report(sys.argv[1])",
        ),
    ],
    ids=["manifest", "report"],
)
def test_a_full_disk_never_leaves_an_empty_or_half_file(tmp_path, name, old, write):
    """A real write failure (RLIMIT_FSIZE: the kernel refuses bytes past 64, like a full disk) in a
    fresh process: the old file stays whole, no empty or half file and no temp file is left (`stats`
    takes a manifest.json as proof that a run finished; `swe-corpus report` rewrites report.html)."""
    (tmp_path / name).write_text(old)
    script = (
        "import resource, signal, sys\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "BIG = 'x' * 100000\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (64, 64))\n"
        "try:\n" + "".join(f"    {line}\n" for line in write.splitlines()) + "except OSError as e:\n"
        "    print('failed', e.errno)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)], cwd=REPO_ROOT, capture_output=True, text=True
    )
    assert "failed" in proc.stdout, proc.stderr[-2000:]
    assert [p.name for p in tmp_path.iterdir()] == [name]
    assert (tmp_path / name).read_text() == old


@pytest.mark.parametrize(
    "url",
    [
        "https://user:p@ss@github.com/{repo}.git",
        "https://user:pa/ss@github.com/{repo}.git",
        "https://x-access-token:a@b/c@d@host:8443/o/r.git?sig=q",
    ],
)
def test_every_userinfo_is_redacted(url):
    for secret in ("p@ss", "pa/ss", "ss@", "a@b/c@d", "sig=q"):
        assert secret not in redact_text(f"fatal: unable to access '{url}': 403")
        assert secret not in redact_url(url)
    cfg = CorpusConfig()
    cfg.extract.git_url_template = url
    assert "ss" not in json.dumps(cfg.to_dict()["extract"]["git_url_template"])  # what manifest.json holds


def test_repository_names_are_matched_whole():
    assert validate_repo("acme/widgets") == "acme/widgets"
    for bad in ("acme/widgets\n", "acme/widgets\nfoo", "\nacme/widgets"):
        with pytest.raises(MirrorError):
            validate_repo(bad)
