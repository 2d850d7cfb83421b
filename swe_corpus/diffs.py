"""Unified diffs, split and parsed in one place, with unidiff: extraction (git's patch, one file at a
time, checked), the hunk filters (the changed lines of each file's hunks) and the reward's patch variant
(each file's hunks as text) all read diffs through `parse_patch`.

`split_patch` frames git's own output per file on its raw bytes (before decoding), so a chunk is exactly
what git wrote; unidiff then parses each chunk.
"""

from __future__ import annotations

import warnings

import unidiff
from unidiff.errors import UnidiffParseError

GIT_HEADER = b"diff --git "
DEV_NULL = "/dev/null"


def split_patch(patch: bytes) -> list[bytes]:
    """Per-file chunks of git's patch, in git's order, each starting at its `diff --git` line (a hunk
    line never can: it starts with ' ', '+', '-' or '\\')."""
    chunks: list[bytes] = []
    start = None
    pos = 0
    while True:
        idx = patch.find(GIT_HEADER, pos)
        while idx > 0 and patch[idx - 1 : idx] != b"\n":
            idx = patch.find(GIT_HEADER, idx + 1)
        if idx < 0:
            break
        if start is not None:
            chunks.append(patch[start:idx])
        start, pos = idx, idx + 1
    if start is not None:
        chunks.append(patch[start:])
    return chunks


def parse_patch(text: str) -> unidiff.PatchSet:
    """The files of a unified diff (git or plain); raises `UnidiffParseError` on a malformed one."""
    return unidiff.PatchSet(text)


def parse_patch_or_none(text: str) -> unidiff.PatchSet | None:
    """`parse_patch`, None for text that is not a diff (unidiff raises other errors on some of it)."""
    try:
        return parse_patch(text)
    except UnidiffParseError:
        return None
    except Exception as exc:  # noqa: BLE001 - unidiff raises other errors on some malformed input
        warnings.warn(f"unexpected unidiff parsing error: {exc}", stacklevel=3)
        return None


def new_path(patched: unidiff.PatchedFile) -> str:
    """The path a file diff leaves (its source path for a deletion), without the a/ b/ prefixes."""
    if patched.target_file == DEV_NULL:
        return patched.source_file.removeprefix("a/")
    return patched.target_file.removeprefix("b/")


def changed_lines(patch: str) -> dict[str, list[list[str]]]:
    """A unified diff -> {path: [the changed (+/-) lines of each hunk]}, keyed by the path each file
    has after the change; a file without hunks (binary, rename, mode) has an empty list. Text that is
    not a diff has no file."""
    files: dict[str, list[list[str]]] = {}
    for patched in parse_patch_or_none(patch or "") or ():
        hunks = files.setdefault(new_path(patched), [])
        for hunk in patched:
            hunks.append(
                [ln.line_type + ln.value.rstrip("\r\n") for ln in hunk if ln.is_added or ln.is_removed]
            )
    return files


def file_level_diffs(patch_text: str) -> dict[str, str]:
    """path -> hunks of a unified diff (git or plain). Binary files are skipped; a rename is keyed by
    its source path and carries a ``rename from X to Y`` header. Unparseable text is no change."""
    result = {}
    for patched in parse_patch_or_none(patch_text) or ():
        if patched.is_binary_file:
            continue
        header, path = "", patched.path
        if patched.is_rename:
            source = patched.source_file.removeprefix("a/")
            target = patched.target_file.removeprefix("b/")
            header, path = f"rename from {source} to {target}", source
        body = "\n".join(str(hunk).strip() for hunk in patched)
        result[path] = (header + "\n" + body).strip()
    return result
