"""One constructor for rows of the `rejected` table, so every stage records drops the same way."""

from __future__ import annotations

RAW_PREFIX_BYTES = 200
DETAIL_CHARS = 1000  # a detail may quote its input (an hour name, a git error): bounded here, once


def rejection(
    stage: str,
    reason: str,
    detail: str | None = None,
    *,
    instance_id: str | None = None,
    repo: str | None = None,
    source_file: str | None = None,
    line_number: int | None = None,
    raw: bytes | str | None = None,
) -> dict:
    """A row of `schemas.REJECTED`. `raw` is cut to its first bytes and decoded with replacement;
    `detail` is cut to DETAIL_CHARS."""
    if isinstance(raw, bytes):
        raw = raw[:RAW_PREFIX_BYTES].decode("utf-8", "replace")
    elif isinstance(raw, str):
        raw = raw[:RAW_PREFIX_BYTES]
    return {
        "stage": stage,
        "reason": reason,
        "detail": detail[:DETAIL_CHARS] if detail is not None else None,
        "instance_id": instance_id,
        "repo": repo,
        "source_file": source_file,
        "line_number": line_number,
        "raw_prefix": raw,
    }


def instance_id(repo: str, number: int) -> str:
    """SWE-bench's id convention: owner/name #N -> owner__name-N."""
    return f"{repo.replace('/', '__')}-{number}"
