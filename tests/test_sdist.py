"""The package stages to Dataflow: `python -m build --sdist` succeeds and the sdist carries what workers need."""

from __future__ import annotations

import shutil
import tarfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SKIP = shutil.ignore_patterns(
    ".git", ".venv", "out", ".cache", "dist", "build", "*.egg-info", "__pycache__", ".*_cache"
)
MUST_SHIP = (
    "schemas",
    "swe_corpus/data",
    "swe_corpus/demo/scenarios",
    "swe_corpus/demo/repos",
    "training/configs",
)


def test_sdist_builds_offline_and_carries_schemas_and_package_data(tmp_path):
    pytest.importorskip("build", reason="the dev extra (python -m build) is not installed")
    from apache_beam.runners.portability.stager import Stager

    src = tmp_path / "src"
    shutil.copytree(ROOT, src, ignore=SKIP)  # build in a copy: egg-info never lands in the checkout
    (tmp_path / "dist").mkdir()
    # Exactly what `--setup_file pyproject.toml` does at job submission: `python -m build --no-isolation
    # --sdist` (no PyPI access), so build-system.requires (setuptools, wheel) must be installed locally.
    Stager._build_setup_package(str(src / "pyproject.toml"), str(tmp_path / "dist"))
    (sdist,) = (tmp_path / "dist").glob("swe_corpus-*.tar.gz")
    with tarfile.open(sdist) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    expected = {
        p.relative_to(ROOT).as_posix()
        for d in MUST_SHIP
        if (ROOT / d).is_dir()
        for p in (ROOT / d).rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    }
    assert "schemas/tables.py" in expected
    assert expected <= names, sorted(expected - names)
    assert {"pyproject.toml", "corpus.toml", "swe_corpus/cli.py", "pipelines/common.py", "PKG-INFO"} <= names
    assert not any("__pycache__" in n or n.endswith(".pyc") for n in names)
