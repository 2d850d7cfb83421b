"""Why a record leaves a stage: one `Rejection` type that every library decision returns (or raises, as
a `RejectError`), and the one builder of its `rejected` row.

A decision knows its stage, reason code and detail; the record it is about (a PR's instance_id and repo,
or an input line's file, number and first bytes) is attached where the record is known (`Rejection.of`).
The pipelines route a Rejection through one function (`pipelines.common.rejected_output`), which counts
it in the funnel as `<stage>:rejected:<reason>` and emits `row()` on the `rejected` output.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

RAW_PREFIX_BYTES = 200
DETAIL_CHARS = 1000  # a detail may quote its input (an hour name, a git error): bounded here, once
ERROR = "error"  # the reason of a record a defect (an unexpected exception) rejected


@dataclass(frozen=True, kw_only=True)
class Where:
    """The record a rejection is about: instance_id and repo for a PR or an issue; file, line number
    and bytes for an input line (the row keeps the first ones)."""

    instance_id: str | None = None
    repo: str | None = None
    source_file: str | None = None
    line_number: int | None = None
    raw: bytes | str | None = None


@dataclass(frozen=True)
class Rejection(Where):
    """A record rejected by `stage` for `reason` (the machine code, `rejected.reason`), with `detail`
    (the human text); where the record is, as keywords (`Where`)."""

    stage: str
    reason: str
    detail: str | None = None

    def of(self, record: dict) -> Rejection:
        """This rejection about a PR (or issue) row: its instance_id and repo attached."""
        return dataclasses.replace(self, instance_id=record.get("instance_id"), repo=record.get("repo"))

    def row(self) -> dict:
        """The row of `schemas.REJECTED` (its one builder): `raw` cut to its first bytes and decoded with
        replacement, `detail` cut to DETAIL_CHARS."""
        raw = self.raw
        if isinstance(raw, bytes):
            raw = raw[:RAW_PREFIX_BYTES].decode("utf-8", "replace")
        elif isinstance(raw, str):
            raw = raw[:RAW_PREFIX_BYTES]
        return {
            "stage": self.stage,
            "reason": self.reason,
            "detail": self.detail[:DETAIL_CHARS] if self.detail is not None else None,
            "instance_id": self.instance_id,
            "repo": self.repo,
            "source_file": self.source_file,
            "line_number": self.line_number,
            "raw_prefix": raw,
        }


class RejectError(Exception):
    """An error that rejects the record it met: `reason` is the rejection code, the message the detail.
    Every library error that carries a reason (git, mirror, extraction, API, download, input) is one."""

    reason = ERROR

    def __init__(self, reason: str | None, detail: str):
        super().__init__(detail)
        if reason is not None:
            self.reason = reason

    def rejection(self, stage: str, **where) -> Rejection:
        """The Rejection of this error at `stage` (`where`: instance_id, repo, source_file...)."""
        return Rejection(stage, self.reason, str(self), **where)


def error_rejection(stage: str, err: BaseException, reason: str = ERROR) -> Rejection:
    """A record a defect rejected: one odd row is a recorded rejection, not a failed run."""
    return Rejection(stage, reason, f"{type(err).__name__}: {err}")


def rejection(stage: str, reason: str, detail: str | None = None, **where) -> dict:
    """The `rejected` row of `Rejection(stage, reason, detail, **where)` (the ingest parser's many
    damaged lines are recorded with it)."""
    return Rejection(stage, reason, detail, **where).row()


def instance_id(repo: str, number: int) -> str:
    """SWE-bench's id convention: owner/name #N -> owner__name-N."""
    return f"{repo.replace('/', '__')}-{number}"
