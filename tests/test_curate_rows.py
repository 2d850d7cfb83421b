"""Builders of realistic extracted PR rows and blobs for the curation tests (+ checks they fit the schemas)."""

from __future__ import annotations

import pyarrow.parquet as pq
from helpers.curate_rows import blobs_of, file_blobs, make_pr, write_shards

from schemas import BLOBS, PULL_REQUESTS_EXTRACTED


def test_rows_fit_the_extracted_schema(tmp_path):
    files = {"a.py": ("x = 1\n", "x = 2\n"), "tests/test_a.py": ("", "def test(): pass\n")}
    pr = make_pr(files=files, relevant={"b.py": "y = 1\n"})
    write_shards([pr], tmp_path / "pull_requests", PULL_REQUESTS_EXTRACTED)
    back = pq.read_table(tmp_path / "pull_requests").to_pylist()[0]
    assert back["instance_id"] == "acme__widgets-1"
    assert back["patch"].startswith("diff --git a/a.py b/a.py") and "tests/test_a.py" in back["test_patch"]
    assert [f["status"] for f in back["changed_files"]] == ["modified", "modified"]
    blobs = blobs_of([pr], file_blobs(files, {"b.py": "y = 1\n"}))
    write_shards(blobs, tmp_path / "blobs", BLOBS)
    assert {b["blob_sha"] for b in blobs} >= {
        back["changed_files"][0]["before_blob"],
        back["relevant_files"][0]["blob_sha"],
    }
