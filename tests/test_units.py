"""Resumable units (pipelines.units): outputs and counters recorded while a unit runs, replayed when it
finished, done again when it did not."""

from __future__ import annotations

from collections import Counter

import apache_beam as beam
from apache_beam.pvalue import TaggedOutput

from pipelines.common import counters, inc, make_pipeline, recording, run_to_completion
from pipelines.units import MARKER, UNITS, UnitStore, unit_key


def work(calls: list):
    calls.append(1)
    inc("funnel", "demo:in", 3)
    yield {"row": 1}
    inc("funnel", "demo:kept", 2)
    yield TaggedOutput("rejected", {"reason": "x"})
    inc("funnel", "demo:rejected:x", 1)
    yield {"row": 2}


def test_recording_counts_only_the_units_own_increments():
    counts: Counter = Counter()
    for _ in recording(work([]), counts):
        inc("funnel", "downstream:in", 5)  # a fused consumer running between two outputs
    assert counts == {("funnel", "demo:in"): 3, ("funnel", "demo:kept"): 2, ("funnel", "demo:rejected:x"): 1}


def test_finished_unit_is_replayed_with_its_outputs_not_done_again(tmp_path):
    store, calls = UnitStore(str(tmp_path), "kind"), []
    first = [
        (o.tag, o.value) if isinstance(o, TaggedOutput) else o for o in store.run("k", lambda: work(calls))
    ]
    again = [
        (o.tag, o.value) if isinstance(o, TaggedOutput) else o for o in store.run("k", lambda: work(calls))
    ]
    assert first == again == [{"row": 1}, ("rejected", {"reason": "x"}), {"row": 2}]
    assert calls == [1]
    assert store.count_finished() == 1


def test_unit_that_is_not_final_or_was_cut_short_is_done_again(tmp_path):
    store, calls = UnitStore(str(tmp_path), "kind"), []
    list(store.run("transient", lambda: work(calls), complete=lambda counts: False))
    list(store.run("transient", lambda: work(calls)))
    assert calls == [1, 1]
    cut = store.run("cut", lambda: work(calls))
    next(cut)
    cut.close()  # killed after one output: no marker
    assert not (tmp_path / "kind" / "cut" / MARKER).exists()
    assert len(list(store.run("cut", lambda: work(calls)))) == 3
    assert calls == [1, 1, 1, 1]


def test_unit_key_changes_with_any_part_and_is_a_safe_name():
    key = unit_key("../owner/name", {"a": 1}, [1, 2])
    assert "/" not in key and not key.startswith(".")
    assert key != unit_key("../owner/name", {"a": 2}, [1, 2])
    assert key == unit_key("../owner/name", {"a": 1}, [1, 2])


class _UnitFn(beam.DoFn):
    def __init__(self, root: str):
        self.store = UnitStore(root, "kind")

    def process(self, name: str):
        yield from self.store.run(name, lambda: work([]))


def test_replayed_counters_equal_the_first_runs(tmp_path):
    results = []
    for _ in range(2):
        pipeline = make_pipeline()
        _ = pipeline | beam.Create(["a", "b"]) | beam.ParDo(_UnitFn(str(tmp_path)))
        result = run_to_completion(pipeline)
        results.append((counters(result, "funnel"), counters(result, UNITS)))
    assert results[0][0] == results[1][0] == {"demo:in": 6, "demo:kept": 4, "demo:rejected:x": 2}
    assert results[0][1] == {"kind:done": 2}
    assert results[1][1] == {"kind:reused": 2}


def test_outputs_that_do_not_match_their_marker_are_done_again(tmp_path):
    store, calls = UnitStore(str(tmp_path), "kind"), []
    list(store.run("k", lambda: work(calls)))
    outputs = tmp_path / "kind" / "k" / "outputs.pkl"
    outputs.write_bytes(outputs.read_bytes()[:-3])  # cut short after its marker was written
    assert store.finished("k") is None
    assert len(list(store.run("k", lambda: work(calls)))) == 3 and calls == [1, 1]
    assert not [p for p in (tmp_path / "kind" / "k").iterdir() if p.name.endswith(".tmp")]


def test_transient_extraction_failures_and_failed_hours_are_not_final():
    from swe_corpus.health import hour_is_final, repository_is_final

    assert repository_is_final(True, ["too_many_files", "empty_diff"])
    assert not repository_is_final(True, ["git_timeout"])
    assert not repository_is_final(True, ["extract_error"])
    assert not repository_is_final(False, [])
    assert hour_is_final(["not_json", "empty_hour"])
    assert not hour_is_final(["download_failed"]) and not hour_is_final(["truncated_gzip"])


def test_an_hour_file_replaced_in_place_is_another_unit(tmp_path):
    from pipelines.ingest import ReadHourFn

    hour = tmp_path / "2015-01-01-1.json.gz"
    hour.write_bytes(b"one")
    fn = ReadHourFn(str(tmp_path), str(tmp_path / "cache"), 10, {}, units_dir=str(tmp_path / "work"))
    before = fn._identity("2015-01-01-1")
    hour.write_bytes(b"other bytes")
    assert before is not None and fn._identity("2015-01-01-1") != before
