import gc

import apache_beam as beam
import duckdb
import pyarrow.parquet as pq

from pipelines.common import WriteTable, counters, make_pipeline, one_local_worker, run_to_completion
from schemas import REJECTED, TABLES, schema_markdown
from swe_corpus.rejects import instance_id, rejection


def test_schemas_supersets_and_docs():
    from schemas import PULL_REQUESTS, PULL_REQUESTS_CURATED, PULL_REQUESTS_EXTRACTED

    assert set(PULL_REQUESTS.names) < set(PULL_REQUESTS_EXTRACTED.names) < set(PULL_REQUESTS_CURATED.names)
    for sch in TABLES.values():
        assert all((fld.metadata or {}).get(b"doc") for fld in sch), sch
    md = schema_markdown()
    assert "## rl_seed" in md and "`problem_statement`" in md


def test_rejection_row_and_instance_id():
    row = rejection("ingest", "not_json", raw=b"\xff" + b"x" * 500, source_file="f", line_number=3)
    assert len(row["raw_prefix"]) <= 200 and row["raw_prefix"].startswith("\ufffd")
    assert set(row) == set(REJECTED.names)
    assert len(rejection("ingest", "bad_hour", "x" * 5000)["detail"]) == 1000
    assert instance_id("psf/requests", 12) == "psf__requests-12"


def test_write_table_roundtrip_with_duckdb(tmp_path):
    p = make_pipeline([])
    counter = beam.metrics.Metrics.counter("test", "rows")

    def count(x):
        counter.inc()
        return x

    rows = [rejection("s", f"r{i % 3}", instance_id=f"o__r-{i}") for i in range(1000)]
    _ = p | beam.Create(rows) | beam.Map(count) | WriteTable(str(tmp_path), "rejected", REJECTED)
    result = run_to_completion(p)
    assert counters(result, "test") == {"rows": 1000}
    got = duckdb.sql(
        f"select reason, count(*) from read_parquet('{tmp_path}/rejected/*.parquet') group by 1 order by 1"
    ).fetchall()
    assert got == [("r0", 334), ("r1", 333), ("r2", 333)]
    for path in (tmp_path / "rejected").glob("*.parquet"):
        assert pq.read_schema(path).names == REJECTED.names


def test_docs_schema_reference_is_current():
    """docs/schema.md is generated from schemas/ (`python -m schemas > docs/schema.md`)."""
    from pathlib import Path

    doc = Path(__file__).resolve().parents[1] / "docs" / "schema.md"
    assert doc.read_text() == schema_markdown() + "\n", "regenerate: python -m schemas > docs/schema.md"


def test_run_to_completion_unfreezes_the_heap_even_when_the_pipeline_fails():
    """The heap is frozen while the pipeline runs and handed back to the collector afterwards, also
    after a failure (the DoFn runs in this process with the in-process runner)."""
    assert gc.get_freeze_count() == 0

    def record_frozen(x):
        beam.metrics.Metrics.counter("test", "frozen_while_running").inc(int(gc.get_freeze_count() > 0))
        return x

    result = run_to_completion(_one_step_pipeline(record_frozen))
    assert counters(result, "test") == {"frozen_while_running": 2} and gc.get_freeze_count() == 0

    def fail(x):
        raise RuntimeError("boom")

    try:
        run_to_completion(_one_step_pipeline(fail))
    except Exception as exc:  # Beam wraps the DoFn's error
        assert "boom" in str(exc)
    else:
        raise AssertionError("the failing pipeline did not fail")
    assert gc.get_freeze_count() == 0


def _one_step_pipeline(fn) -> beam.Pipeline:
    p = make_pipeline([])
    _ = p | beam.Create([1, 2]) | beam.Map(fn)
    return p


def test_one_local_worker_only_for_the_default_in_process_run():
    def local(args):
        return one_local_worker(make_pipeline(args))

    assert local([]) and local(None) and local(["--direct_num_workers", "1"])
    assert not local(["--direct_num_workers", "2", "--direct_running_mode", "multi_processing"])
    assert not local(["--runner", "DirectRunner"])  # any runner named (Dataflow needs its options)
    assert not local(["--runner=DirectRunner"])


def test_prepare_out_refuses_a_run_and_an_input_and_keeps_other_folders(tmp_path):
    import pytest

    from pipelines.common import prepare_out
    from swe_corpus.errors import ConfigError

    (tmp_path / "notes.txt").write_text("mine")  # not a run: an OUT may hold other files
    prepare_out(str(tmp_path), False, "prs")
    (tmp_path / "manifest.json").write_text("{}")
    with pytest.raises(ConfigError, match=r"already holds a run \(manifest.json\); pass --overwrite to"):
        prepare_out(str(tmp_path), False, "prs")
    with pytest.raises(ConfigError, match="is also this command's input"):
        prepare_out(str(tmp_path) + "/", True, "prs", inputs=(str(tmp_path),))
    prepare_out(str(tmp_path), True, "prs")
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_prepare_out_continues_only_an_unfinished_corpus_run(tmp_path):
    import pytest

    from pipelines.common import prepare_out
    from swe_corpus.errors import ConfigError

    (tmp_path / "events").mkdir()
    (tmp_path / "events" / "mine.parquet").write_bytes(b"not ours")  # tables, but no units: refused
    with pytest.raises(ConfigError, match="already holds a run"):
        prepare_out(str(tmp_path), False, resumable=True)
    assert (tmp_path / "events" / "mine.parquet").exists()
    (tmp_path / ".work" / "ingest").mkdir(parents=True)  # a corpus run that was killed: continued
    prepare_out(str(tmp_path), False, resumable=True)
    assert not list((tmp_path / "events").glob("*")) and (tmp_path / ".work").exists()
    (tmp_path / "manifest.json").write_text("{}")  # finished: refused again
    with pytest.raises(ConfigError, match="already holds a run"):
        prepare_out(str(tmp_path), False, resumable=True)
