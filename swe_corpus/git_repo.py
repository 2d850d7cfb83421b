"""Read-only access to a bare mirror (`GitRepo`): objects through one long-running `git cat-file`, diffs
through one long-running `git diff-tree --stdin`, and a few whole-answer calls, each git process under
the mirror's inert configuration and limits (`swe_corpus.git_mirror` clones and fetches the mirrors)."""

from __future__ import annotations

import contextlib
import functools
import os
import re
import select
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from swe_corpus import procs
from swe_corpus.git_mirror import (
    MirrorConfig,
    credentials_to_env,
    git_failure_reason,
    low_speed_config,
    safe_git_config,
    safe_git_env,
)
from swe_corpus.redaction import redact_text
from swe_corpus.rejects import RejectError

if TYPE_CHECKING:
    from swe_corpus.git_mirror import GitMirror

HEX40_RE = re.compile(r"^[0-9a-f]{40}$")


class GitError(RejectError):
    """A read-only git command failed on a mirror; `reason` is a rejection code, the message redacted."""

    def __init__(self, reason: str, detail: str):
        super().__init__(reason, redact_text(detail))


@dataclass(frozen=True)
class TreeEntry:
    """A path's mode and object id; sizes come from `GitRepo.info` when needed (see `GitRepo.tree`)."""

    mode: str
    sha: str


def _send(proc: subprocess.Popen, request: str, end, name: str) -> None:
    """Write one request to a long-running git process; one that exited is ended (`end`) and raises."""
    try:
        proc.stdin.write(request.encode())
        proc.stdin.flush()
    except BrokenPipeError:
        end()
        raise GitError("git_failed", f"{name} exited") from None


class GitRepo:
    """Read-only access to a bare mirror: one long-running `git cat-file --batch-command` for objects,
    plus a few whole-answer git calls (diff, log, ls-tree, grep). Same inert config as the clone.

    In a blobless mirror git fetches a missing blob whenever a command reads it; such lazy fetches run
    under the same `http.lowSpeedTime` as the clone (and its credentials, `extra_env`), and a cat-file
    answer is awaited `timeout_s` at most. Every git process is capped (see `MirrorConfig`): heap memory,
    bytes read back from one call, paths of one tree listing, rename candidates of one diff.
    """

    def __init__(
        self,
        path: Path | str,
        transport: str = "file",
        timeout_s: float = 300.0,
        low_speed_time_s: int = 60,
        *,
        max_memory_bytes: int = MirrorConfig.max_git_memory_bytes,
        max_output_bytes: int = MirrorConfig.max_git_output_bytes,
        max_tree_entries: int = MirrorConfig.max_tree_entries,
        rename_limit: int = MirrorConfig.rename_limit,
        extra_env: dict[str, str] | None = None,
    ):
        self.path = Path(path)
        config = [*safe_git_config(transport), *low_speed_config(low_speed_time_s)]
        self.prefix = ["git", *config, "-C", str(self.path)]
        self.env = {**safe_git_env(), **(extra_env or {})}
        self.timeout_s = timeout_s
        self.max_memory_bytes, self.max_output_bytes = max_memory_bytes, max_output_bytes
        self.max_tree_entries, self.rename_limit = max_tree_entries, rename_limit
        self._cat: subprocess.Popen | None = None
        self._difftree: subprocess.Popen | None = None
        self._difftree_err = None
        self._trees: dict[str, dict[str, TreeEntry]] = {}

    @classmethod
    def of_mirror(cls, path: Path | str, mirror: GitMirror) -> GitRepo:
        """A mirror's repository under that mirror's limits and (for lazy fetches) credentials."""
        c = mirror.config
        return cls(
            path,
            mirror.transport,
            low_speed_time_s=c.low_speed_time_s,
            max_memory_bytes=c.max_git_memory_bytes,
            max_output_bytes=c.max_git_output_bytes,
            max_tree_entries=c.max_tree_entries,
            rename_limit=c.rename_limit,
            extra_env=credentials_to_env(c.url_template)[1] if c.clone_mode == "blobless" else None,
        )

    @functools.cached_property
    def partial(self) -> bool:
        """A partial (blobless) clone: its packs came from a promisor remote, so blobs may be missing."""
        return any((self.path / "objects" / "pack").glob("*.promisor"))

    # -- subprocess calls
    def _spawn(self, args: list[str], **kwargs) -> subprocess.Popen:
        try:
            return procs.spawn(
                [*self.prefix, *args], max_memory_bytes=self.max_memory_bytes, env=self.env, **kwargs
            )
        except procs.Stopping as e:
            raise GitError("interrupted", str(e)) from None

    def _stream(self, args: tuple[str, ...]) -> Iterator[bytes]:
        """stdout of one git call chunk by chunk; the group is killed on timeout and when the caller
        stops reading (close the generator), so no answer is ever held whole before it is checked."""
        proc = self._spawn(
            list(args), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        out_fd, err_fd = proc.stdout.fileno(), proc.stderr.fileno()
        err = b""
        deadline = time.monotonic() + self.timeout_s
        try:
            open_fds = [out_fd, err_fd]
            while open_fds:
                left = deadline - time.monotonic()
                ready = select.select(open_fds, [], [], left)[0] if left > 0 else []
                if not ready:
                    raise GitError("git_timeout", f"git {args[0]} exceeded {self.timeout_s:.0f}s")
                for fd in ready:
                    chunk = os.read(fd, 1 << 20)
                    if not chunk:
                        open_fds.remove(fd)
                    elif fd == err_fd:
                        err = (err + chunk)[-4096:]
                    else:
                        yield chunk
            proc.wait()
        finally:
            procs.end(proc)
            proc.stdout.close()
            proc.stderr.close()
        if proc.returncode != 0:
            text = err.decode("utf-8", "replace").strip()
            reason = git_failure_reason(text)
            raise GitError(reason, f"git {args[0]}: {text[-300:]}")

    def run(self, *args: str) -> bytes:
        """The whole stdout of one git call, at most `max_output_bytes` (else git_output_too_large)."""
        out = bytearray()
        with contextlib.closing(self._stream(args)) as chunks:
            for chunk in chunks:
                out += chunk
                if len(out) > self.max_output_bytes:
                    raise GitError(
                        "git_output_too_large", f"git {args[0]} wrote more than {self.max_output_bytes} bytes"
                    )
        return bytes(out)

    # -- objects through the persistent cat-file
    def _catfile(self) -> subprocess.Popen:
        if self._cat is None or self._cat.poll() is not None:
            self._end_cat()
            self._cat = self._spawn(
                ["cat-file", "--batch-command"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
        return self._cat

    def _end_cat(self) -> None:
        """Kill the persistent cat-file (if any): it died, stalled, or its pipe broke."""
        if self._cat is not None:
            procs.end(self._cat)
            self._cat = None

    def _command(self, cmd: str, oid: str) -> tuple[str, int] | None:
        if not HEX40_RE.match(oid):
            return None
        proc = self._catfile()
        _send(proc, f"{cmd} {oid}\n", self._end_cat, "git cat-file")
        # Answers are read whole, so nothing is buffered here: select sees a stalled lazy fetch.
        if not select.select([proc.stdout], [], [], self.timeout_s)[0]:
            self._end_cat()
            raise GitError("git_timeout", f"git cat-file {cmd} {oid} gave no answer in {self.timeout_s:.0f}s")
        line = proc.stdout.readline()
        if not line:  # cat-file died (out of memory, killed): an error, not a missing object
            self._end_cat()
            raise GitError("git_failed", "git cat-file exited")
        header = line.decode().split()
        if len(header) != 3:  # "<oid> missing" / "ambiguous"
            return None
        return header[1], int(header[2])

    def info(self, oid: str) -> tuple[str, int] | None:
        """(type, size) of an object, None when absent."""
        return self._command("info", oid)

    def contents(self, oid: str) -> tuple[str, bytes] | None:
        """(type, bytes) of an object, None when absent."""
        head = self._command("contents", oid)
        if head is None:
            return None
        typ, size = head
        data = self._cat.stdout.read(size)
        self._cat.stdout.read(1)  # trailing newline
        return typ, data

    # -- diffs through a persistent diff-tree
    DIFF_OPTIONS = ("--no-ext-diff", "--no-textconv", "--no-color", "-M", "-z", "--raw", "--no-abbrev", "-p")

    def diff(self, base: str, head: str, max_bytes: int) -> bytes:
        """`git diff -z --raw --no-abbrev -p -M base head`, answered by one long-running
        `git diff-tree --stdin` (a line "head base" diffs base -> head). After each request we send
        "head head", which prints only "head\0" (--always): that marks the end of the answer."""
        if not (HEX40_RE.match(base) and HEX40_RE.match(head)):
            raise GitError("git_failed", "diff needs full commit ids")
        if self._difftree is None or self._difftree.poll() is not None:
            self._end_difftree()
            # stderr to a file: read only when git dies, to tell "out of memory" from other failures
            self._difftree_err = tempfile.TemporaryFile()
            self._difftree = self._spawn(
                ["diff-tree", "--stdin", "--always", *self.DIFF_OPTIONS, f"-l{self.rename_limit}"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self._difftree_err,
            )
        proc = self._difftree
        mark = header = f"{head}\0".encode()
        _send(proc, f"{head} {base}\n{head} {head}\n", self._end_difftree, "git diff-tree")
        buf = bytearray()
        fd = proc.stdout.fileno()
        deadline = time.monotonic() + self.timeout_s
        while not (buf.endswith(b"\n" + mark) or buf == header + mark):  # no copy of the buffer per chunk
            left = deadline - time.monotonic()
            ready = select.select([fd], [], [], max(left, 0))[0] if left > 0 else []
            chunk = os.read(fd, 1 << 20) if ready else b""
            if not chunk or len(buf) > max_bytes:
                died = self._end_difftree()
                if len(buf) > max_bytes:
                    raise GitError("diff_too_large", f"diff larger than {max_bytes} bytes")
                if not ready:
                    raise GitError("git_timeout", f"git diff-tree gave no answer in {self.timeout_s:.0f}s")
                reason = git_failure_reason(died)
                raise GitError(reason, f"git diff-tree exited: {died[-300:]}")
            buf += chunk
        return bytes(buf[len(header) : len(buf) - len(mark)])

    def _end_difftree(self) -> str:
        """Kill the persistent diff-tree (if any); -> the tail of what it wrote to stderr."""
        proc, err, self._difftree, self._difftree_err = self._difftree, self._difftree_err, None, None
        if proc is not None:
            procs.end(proc)
        if err is None:
            return ""
        with err:
            err.seek(max(0, err.seek(0, os.SEEK_END) - 4096))
            return err.read().decode("utf-8", "replace")

    def has_commit(self, sha: str | None) -> bool:
        return bool(sha) and (self.info(sha.lower()) or ("",))[0] == "commit"

    def commit_fields(self, sha: str) -> dict[str, list[str]]:
        """Header fields of a commit object (parent, committer, author...)."""
        obj = self.contents(sha)
        if obj is None or obj[0] != "commit":
            raise GitError("commit_missing", f"commit {sha} not in mirror")
        header = obj[1].split(b"\n\n", 1)[0].decode("utf-8", "replace")
        fields: dict[str, list[str]] = {}
        for line in header.split("\n"):
            if line and not line.startswith(" "):
                key, _, value = line.partition(" ")
                fields.setdefault(key, []).append(value)
        return fields

    # -- whole-answer calls
    def merge_base(self, a: str, b: str) -> str | None:
        """The merge base, None when git says there is none; a timeout propagates (a real rejection)."""
        try:
            return self.run("merge-base", a, b).decode().strip() or None
        except GitError as e:
            if e.reason != "git_failed":
                raise
            return None

    def tree(self, commit: str) -> dict[str, TreeEntry]:
        """Every path at `commit` (recursive ls-tree); cached for the last few commits. No sizes (`-l`):
        they need the blobs, which a blobless mirror would fetch one by one for the whole tree."""
        if commit not in self._trees:
            entries: dict[str, TreeEntry] = {}
            rest = b""
            with contextlib.closing(self._stream(("ls-tree", "-r", "-z", "--full-tree", commit))) as chunks:
                for chunk in chunks:  # counted as it streams: a tree bomb is cut at the cap, not held
                    *records, rest = (rest + chunk).split(b"\0")
                    for rec in records:
                        meta, _, path = rec.partition(b"\t")
                        mode, _typ, sha = meta.decode().split()
                        entries[path.decode("utf-8", "replace")] = TreeEntry(mode, sha)
                    if len(entries) > self.max_tree_entries:
                        raise GitError(
                            "tree_too_large", f"tree of {commit} has more than {self.max_tree_entries} paths"
                        )
            if len(self._trees) > 4:
                self._trees.pop(next(iter(self._trees)))
            self._trees[commit] = entries
        return self._trees[commit]

    def grep_files(self, commit: str, words: list[str], pathspecs: list[str]) -> list[str]:
        """Paths at `commit` containing any of the fixed `words` (git grep on the tree, no checkout).
        Reads every blob under `pathspecs`: not for partial clones (see `partial`)."""
        if not words:
            return []
        args = ["grep", "-l", "-I", "-F", "-z"]
        for w in words:
            args += ["-e", w]
        args += [commit, "--", *pathspecs]
        try:
            out = self.run(*args)
        except GitError:  # exit 1 = no match
            return []
        prefix = f"{commit}:"
        return [p.decode("utf-8", "replace").removeprefix(prefix) for p in out.split(b"\0") if p]

    def close(self) -> None:
        for proc in (self._cat, self._difftree):
            if proc is None:
                continue
            with contextlib.suppress(OSError, subprocess.TimeoutExpired):  # let it end on its own first
                proc.stdin.close()
                proc.wait(timeout=5)
            procs.end(proc)
        self._cat = self._difftree = None
        self._end_difftree()

    def __enter__(self) -> GitRepo:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
