"""Hostile hour files through the real ingest stage: a damaged hour's rejections stream out in batches
(never held for the whole hour), and bombs of `{}` or junk lines stop at documented bounds."""

from __future__ import annotations

import argparse
import gzip
import io

import pyarrow.parquet as pq

from pipelines.ingest import add_arguments, run_pipeline
from swe_corpus.events import ParseStats, iter_event_batches

JUNK = b"not json at all\n"


def test_rejections_leave_in_batches_not_at_the_end_of_the_hour():
    data = gzip.compress(JUNK * 140_000, 1)
    sizes = [
        len(rej)
        for _t, rej in iter_event_batches(
            io.BytesIO(data), "junk.json.gz", 1000, ParseStats(), max_rejections=10**9
        )
    ]
    assert sum(sizes) == 140_000
    # at most one batch plus one decompression step (1 MB = 65k such lines) before they are handed over
    assert len(sizes) > 2 and max(sizes) < 70_000


def ingest(tmp_path, hours: dict[str, bytes], *flags: str) -> tuple[dict, dict]:
    src = tmp_path / "hours"
    src.mkdir()
    for name, lines in hours.items():
        (src / f"{name}.json.gz").write_bytes(gzip.compress(lines, 1))
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    argv = ["--hours", ",".join(hours), "--gharchive-url", src.as_uri(), "--out", str(tmp_path / "out")]
    totals, funnel, _ = run_pipeline(parser.parse_args([*argv, "--batch-size", "1000", *flags]), [])
    return totals, funnel


def test_bombs_stop_at_their_bounds_and_are_counted(tmp_path):
    _totals, funnel = ingest(
        tmp_path,
        {"2016-03-01-1": b"{}\n" * 120_000, "2016-03-01-2": JUNK * 30_000},
        "--max-lines-per-hour", "40000", "--max-rejections-per-hour", "5000",
    )  # fmt: skip
    rejected = pq.read_table(tmp_path / "out" / "rejected" / "2016-03-01-2.parquet")
    reasons = rejected.group_by("reason").aggregate([("reason", "count")]).to_pylist()
    counts = {r["reason"]: r["reason_count"] for r in reasons}
    assert counts["hour_too_many_rejections"] == 1 and 5_000 < counts["not_json"] <= 30_000
    assert (
        pq.ParquetFile(tmp_path / "out" / "rejected" / "2016-03-01-2.parquet").num_row_groups > 1
    )  # streamed
    bomb = pq.read_table(tmp_path / "out" / "rejected" / "2016-03-01-1.parquet").to_pylist()
    assert [r["reason"] for r in bomb] == ["hour_too_many_lines"] and not funnel.get("ingest:kept")
    rejects = sum(v for k, v in funnel.items() if k.startswith("ingest:rejected:"))
    assert funnel["ingest:in"] == funnel["ingest:skipped_type"] + rejects  # every record accounted for


def test_the_rejection_bound_is_per_file_when_stats_are_shared():
    """One ParseStats over several files (benches, notebooks): earlier files' rejections do not count."""
    stats = ParseStats()
    for name in ("a.json.gz", "b.json.gz"):
        data = gzip.compress(JUNK * 80)
        batches = list(iter_event_batches(io.BytesIO(data), name, 1000, stats, max_rejections=100))
        reasons = [r["reason"] for _, rows in batches for r in rows]
        assert reasons == ["not_json"] * 80, name  # 80 per file, under the bound of 100 each time
