"""swe_corpus.progress: the ETA, the rate limit (an injected clock) and the last line."""

from __future__ import annotations

import logging

from swe_corpus.progress import Progress, format_duration


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_format_duration():
    assert [format_duration(s) for s in (0, 44.6, 60, 185, 3600, 7390)] == [
        "0s",
        "45s",
        "1m00s",
        "3m05s",
        "1h00m",
        "2h03m",
    ]


def test_eta_is_the_mean_time_per_unit_times_the_units_left():
    clock = Clock()
    p = Progress("ingest", "hour", 10, clock=clock)
    assert p.eta_s() is None  # nothing finished yet
    clock.now += 30
    p.done("h1")
    clock.now += 30
    p.done("h2")  # 60 s for 2 hours: 30 s each, 8 left
    assert p.eta_s() == 240
    assert Progress("extract", "repository", None, clock=clock).eta_s() is None  # no total, no ETA


def test_lines_are_rate_limited_and_the_last_one_always_comes(caplog):
    caplog.set_level(logging.INFO)
    clock = Clock()
    p = Progress("ingest", "hour", 4, every_s=5, clock=clock)
    clock.now += 1
    first = p.done("2024-05-06-9", kept=3, rejected=1)
    assert first == "ingest: hour 2024-05-06-9 done (3 kept, 1 rejected); 1/4 hours, ETA 3s"
    clock.now += 1
    assert p.done("2024-05-06-10", kept=2, rejected=0) is None  # 1 s after the last line
    clock.now += 5
    third = p.done("2024-05-06-11", kept=1, rejected=0)
    assert (
        third.startswith("ingest: hour 2024-05-06-11 done")
        and "3/4 hours, 6 kept, 1 rejected in all" in third
    )
    clock.now += 1
    last = p.done("2024-05-06-12", kept=0, rejected=0)  # within 5 s, but the last of the total
    assert last.endswith("4/4 hours, 6 kept, 1 rejected in all")  # no ETA once done
    assert [r.getMessage() for r in caplog.records] == [first, third, last]
    assert p.flush() is None


def test_without_a_total_flush_logs_the_held_back_last_line(caplog):
    caplog.set_level(logging.INFO)
    clock = Clock()
    p = Progress("extract", "repository", units="repositories", clock=clock)
    p.done("acme/a", extracted=2)
    clock.now += 0.5
    assert p.done("acme/b", extracted=1) is None
    assert p.flush() == "extract: repository acme/b done (1 extracted); 2 repositories, 3 extracted in all"
    assert len(caplog.records) == 2 and p.flush() is None
