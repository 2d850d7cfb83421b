"""The `swe-corpus corpus` command line of the end-to-end tests."""

from __future__ import annotations

from pathlib import Path


def corpus_args(out: Path, cache: Path, *extra: str) -> list[str]:
    """`corpus` into `out`, with downloads and clones cached under `cache` (shared between runs)."""
    return [
        "corpus",
        "--out",
        str(out),
        "--git-cache-dir",
        str(cache / "git"),
        "--cache-dir",
        str(cache / "gharchive"),
        *extra,
    ]
