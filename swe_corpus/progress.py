"""Progress lines of a long run: one per finished unit (an hour, a repository) with its counts, the units
done out of the total and an ETA when the total is known, at most one line every `every_s` seconds.

Beam-free: the stages' DoFns hold one `Progress` per worker (created in `setup`) and call `done` after
each unit and `flush` in `teardown`, so the last unit is always reported even when the total is unknown.
With several workers each one reports its own units; the stages pass a total only where one worker does
all of them (the in-process runner), so done/total and the ETA are never a guess.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable


def format_duration(seconds: float) -> str:
    """45s, 3m05s, 2h03m."""
    s = max(0, round(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{s % 3600 // 60:02d}m"


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{n:,} {name}" for name, n in counts.items())


class Progress:
    """`done(name, kept=..., rejected=...)` after each unit; logs at INFO, rate limited (see module doc)."""

    def __init__(
        self,
        stage: str,
        unit: str,
        total: int | None = None,
        *,
        units: str | None = None,
        every_s: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
        log: logging.Logger | None = None,
    ):
        self.stage, self.unit, self.total, self.every_s = stage, unit, total, every_s
        self.units_name = units or f"{unit}s"
        self.clock, self.log = clock, log or logging.getLogger(__name__)
        self.started = clock()
        self.last_logged: float | None = None
        self.finished = 0
        self.totals: Counter[str] = Counter()
        self.pending: str | None = None  # the newest line not logged (rate limited), for `flush`

    def eta_s(self) -> float | None:
        """Seconds left at the mean time per unit so far; None without a total or a finished unit."""
        if not self.total or not self.finished:
            return None
        elapsed = self.clock() - self.started
        return elapsed / self.finished * max(0, self.total - self.finished)

    def line(self, name: str, counts: dict[str, int]) -> str:
        text = f"{self.stage}: {self.unit} {name} done"
        if counts:
            text += f" ({_counts(counts)})"
        done = f"{self.finished:,}/{self.total:,}" if self.total else f"{self.finished:,}"
        text += f"; {done} {self.units_name}"
        if len(self.totals) and self.finished > 1:
            text += f", {_counts(dict(self.totals))} in all"
        eta = self.eta_s()
        if eta is not None and self.finished < self.total:
            text += f", ETA {format_duration(eta)}"
        return text

    def done(self, name: str, **counts: int) -> str | None:
        """Record one finished unit; -> the line logged, or None when rate limited."""
        self.finished += 1
        self.totals.update(counts)
        text = self.line(name, counts)
        now = self.clock()
        last = self.total is not None and self.finished >= self.total
        if not last and self.last_logged is not None and now - self.last_logged < self.every_s:
            self.pending = text
            return None
        self.last_logged, self.pending = now, None
        self.log.info("%s", text)
        return text

    def flush(self) -> str | None:
        """Log the newest line held back by the rate limit (the run's last unit); -> it, or None."""
        text, self.pending = self.pending, None
        if text is not None:
            self.last_logged = self.clock()
            self.log.info("%s", text)
        return text
