"""Whether a run had usable input: a run with none (every hour missing or failed, every repository
failing to clone) fails loudly, a partial one warns with counts (`corpus`, `ingest`, `extract`); and
which failures a resumed run tries again."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from swe_corpus.stages import INGEST

# Rejections that stand for a whole hour file: what `corpus` counts as an hour that gave nothing.
HOUR_FILE_REASONS = (
    "gap_404",
    "bad_hour",
    "download_failed",
    "download_invalid",
    "download_too_large",
    "download_timeout",
    "read_failed",
    "empty_hour",
)
# A gzip stream that broke off: the file is damaged, or its download was (a cached copy is evicted).
STREAM_BREAKS = frozenset({"truncated_gzip", "corrupt_gzip"})
# An hour that failed with one of these may read well next time: a resumed run reads it again.
RETRY_NEXT_RUN = (frozenset(HOUR_FILE_REASONS) - {"bad_hour", "empty_hour"}) | STREAM_BREAKS


def hour_is_final(rejection_reasons: Iterable[str]) -> bool:
    """Whether an hour whose records were rejected for these reasons is done for good (a resumed run
    reuses it) rather than read again (a download that failed, a stream that broke off)."""
    return not RETRY_NEXT_RUN.intersection(rejection_reasons)


# Per-PR extraction failures that may not happen again (a git call that timed out or failed, e.g. a lazy
# blob fetch of a blobless mirror on a network blip; an interrupted worker; a defect caught whole).
EXTRACT_RETRY_NEXT_RUN = frozenset({"git_timeout", "git_failed", "interrupted", "extract_error"})


def repository_is_final(mirrored: bool, rejection_reasons: Iterable[str]) -> bool:
    """Whether a repository's extraction is done for good (a resumed run reuses it): its mirror was
    made and no PR failed for a reason that may not happen again."""
    return mirrored and not EXTRACT_RETRY_NEXT_RUN.intersection(rejection_reasons)


# Extraction's counters per repository: mirrored, or failed by reason (`repos_failed:<reason>`).
REPOS_MIRRORED = "repos_mirrored"
REPOS_FAILED = "repos_failed"


@dataclass
class InputHealth:
    """How much of the input was usable: a run with none fails, a partial one warns with counts."""

    hours: int
    hours_failed: dict[str, int]
    repos_mirrored: int
    repos_failed: dict[str, int]

    @classmethod
    def from_counters(cls, hours: int, funnel: dict[str, int], detail: dict[str, int]) -> InputHealth:
        failed = {r: funnel.get(f"{INGEST}:rejected:{r}", 0) for r in HOUR_FILE_REASONS}
        prefix = f"{REPOS_FAILED}:"
        return cls(
            hours=hours,
            hours_failed={r: n for r, n in failed.items() if n},
            repos_mirrored=detail.get(REPOS_MIRRORED, 0),
            repos_failed={
                k.removeprefix(prefix): n for k, n in sorted(detail.items()) if k.startswith(prefix)
            },
        )

    @staticmethod
    def _by_reason(counts: dict[str, int]) -> str:
        return ", ".join(f"{r}={n}" for r, n in sorted(counts.items()))

    def hours_line(self) -> str:
        n = sum(self.hours_failed.values())
        return f"{n} of {self.hours} hours missing or failed ({self._by_reason(self.hours_failed)})"

    def repos_line(self) -> str:
        n, total = sum(self.repos_failed.values()), sum(self.repos_failed.values()) + self.repos_mirrored
        return f"{n} of {total} repositories failed to clone ({self._by_reason(self.repos_failed)})"

    def fatal(self) -> str | None:
        """The one-line reason the run produced nothing usable, None when some input was usable."""
        if self.hours and sum(self.hours_failed.values()) >= self.hours:
            return f"no usable input: {self.hours_line()}"
        if self.repos_failed and not self.repos_mirrored:
            return f"no usable input: {self.repos_line()}"
        return None

    def warnings(self) -> list[str]:
        """Partial failures, with counts."""
        out = []
        if self.hours_failed:
            out.append(self.hours_line())
        if self.repos_failed:
            out.append(self.repos_line())
        return out

    def to_dict(self) -> dict:
        return {
            "hours": self.hours,
            "hours_failed": self.hours_failed,
            "repos_mirrored": self.repos_mirrored,
            "repos_failed": self.repos_failed,
        }
