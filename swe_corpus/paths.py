"""Locations given by the operator made absolute before a pipeline is submitted.

Workers of a distributed runner (Beam's portable runner with an external worker pool, Flink, Spark) do
not share the launcher's working directory: a relative OUT would put the shards on the workers and the
manifest on the launcher, a relative cache would land wherever each worker happens to run.
"""

from __future__ import annotations

import os
import re

SCHEME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
SCP_LIKE_RE = re.compile(r"^[^/]+:")  # git's `host:path` (ssh), e.g. git@github.com:{repo}.git


def absolute_location(value: str, kind: str = "dir", cwd: str | None = None) -> str:
    """`value` with a relative local path made absolute against `cwd` (default: the current directory).

    Workers of a distributed runner do not share the launcher's working directory: a relative OUT
    would put the shards on the workers and the manifest on the launcher. URLs (gs://, https://, an
    absolute file://) are unchanged; `file://rel/dir` (git and Beam would read `rel` as a host) becomes
    `file:///abs/rel/dir`; with kind "url", scp-like git addresses (`host:path`) are unchanged.
    """
    if not value:
        return value
    base = cwd or os.getcwd()
    if SCHEME_RE.match(value):
        if not value.startswith("file://") or value.startswith(("file:///", "file://localhost/")):
            return value
        return "file://" + os.path.normpath(os.path.join(base, value.removeprefix("file://")))
    if kind == "url" and SCP_LIKE_RE.match(value):
        return value
    return os.path.normpath(os.path.join(base, os.path.expanduser(value)))
