"""A size budget for the clone cache: least recently used mirrors are evicted, a mirror in use never.

Several worker processes (and threads) share one cache directory, so "in use" is a lock, not a flag in
memory. Each mirror `<owner>/<name>.git` has a lock file `.locks/<owner>/<name>.lock`, kept outside the
mirror and never deleted, so every process locks the same file:

- a worker holds it SHARED from `GitMirror.ensure` until it is done with the repository (`release`),
  and waits there while the mirror is being evicted (then finds it gone and clones it again);
- eviction takes it EXCLUSIVE without waiting: a mirror someone holds is skipped, never removed.

The lock file's mtime is the mirror's last use. A mirror's size is recorded in it (`.swe-corpus-bytes`)
when a worker admits or releases it (a blobless mirror grows while PRs are extracted), so an eviction
pass reads one small file per mirror instead of walking every pack. One eviction pass at a time
(`.locks/evict.lock`); a mirror is renamed aside before it is deleted, so a pass killed half-way never
leaves a half-deleted mirror that looks complete, and the next pass removes what is left.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import shutil
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

COMPLETE_MARKER = ".swe-corpus-complete"  # written by GitMirror.ensure when a mirror is whole
SIZE_FILE = ".swe-corpus-bytes"
LOCK_DIR = ".locks"  # owners cannot start with "." (validate_repo), so this never names a mirror
EVICTING_SUFFIX = ".evicting"
# `[extract] git_cache_max_gb`: a laptop's spare disk, a fraction of a Dataflow worker's.
DEFAULT_MAX_GB = 50.0
# A pass scans every mirror; between passes a worker estimates the total from what it admitted, and
# scans again when the estimate is over budget or after this many admissions (other workers add too).
RESCAN_EVERY = 16


def dir_bytes(path: Path) -> int:
    """Bytes of the files under `path` (not following links)."""
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(root, name)).st_size
    return total


@dataclass(frozen=True)
class CachedMirror:
    path: Path
    last_used: float
    size: int


class CloneCache:
    """The mirrors under `root`, kept within `max_bytes` (0: no limit). One holder per instance: a
    `GitMirror` (one per DoFn instance, i.e. per worker thread) holds the repository it works on."""

    def __init__(self, root: Path | str, max_bytes: int = 0):
        self.root = Path(root)
        if max_bytes < 0:  # a negative budget would evict every mirror not in use
            raise ValueError(f"clone cache budget must be >= 0 bytes (0: no limit), got {max_bytes}")
        self.max_bytes = max_bytes
        self._held: tuple[Path, int] | None = None
        self.admitted: Path | None = None  # the held mirror, once complete and handed out
        self._estimate = 0  # bytes in the cache as of the last pass, plus what this holder admitted since
        self._since_pass = RESCAN_EVERY  # the first admission scans

    # -- the holder's side
    def lock_path(self, mirror: Path) -> Path:
        rel = mirror.relative_to(self.root)
        return self.root / LOCK_DIR / rel.parent / (rel.name.removesuffix(".git") + ".lock")

    def hold(self, mirror: Path) -> None:
        """Mark `mirror` in use (shared lock; waits while it is being evicted), releasing the one held."""
        self.release()
        lock = self.lock_path(mirror)
        lock.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_SH)
        except BaseException:
            os.close(fd)
            raise
        self._held = (mirror, fd)

    def admit(self, mirror: Path) -> Path:
        """`mirror` (held, complete) is about to be used: record its size and use time, then evict the
        least recently used others while the cache is over budget. -> `mirror`."""
        size = self._record(mirror)
        self.admitted = mirror
        if self.max_bytes:
            self._estimate += size
            self._since_pass += 1
            if self._estimate > self.max_bytes or self._since_pass >= RESCAN_EVERY:
                self.evict(keep=mirror)
        return mirror

    def release(self) -> None:
        """Done with the held mirror: its size is recorded again (lazy fetches grow it), the lock goes."""
        self.admitted = None
        if self._held is None:
            return
        mirror, fd = self._held
        self._held = None
        try:
            if (mirror / COMPLETE_MARKER).exists():
                self._record(mirror)
        finally:
            os.close(fd)  # drops the shared lock

    def _record(self, mirror: Path) -> int:
        size = dir_bytes(mirror)
        (mirror / SIZE_FILE).write_text(str(size))
        with contextlib.suppress(OSError):
            os.utime(self.lock_path(mirror))
        return size

    # -- eviction
    def mirrors(self) -> list[CachedMirror]:
        """Complete mirrors, least recently used first."""
        found = []
        for path in self.root.glob("*/*.git"):
            if path.parts[-2].startswith(".") or path.name.startswith("."):
                continue
            try:
                marker = (path / COMPLETE_MARKER).stat()
            except OSError:  # being cloned, or not a mirror
                continue
            try:
                last_used = self.lock_path(path).stat().st_mtime
            except OSError:  # cloned before the cache had a budget
                last_used = marker.st_mtime
            try:
                size = int((path / SIZE_FILE).read_text())
            except (OSError, ValueError):
                size = dir_bytes(path)
            found.append(CachedMirror(path, last_used, size))
        return sorted(found, key=lambda m: (m.last_used, str(m.path)))

    def evict(self, keep: Path | None = None) -> list[Path]:
        """Remove least recently used mirrors until the cache fits the budget; skip `keep` and every
        mirror another worker holds. Another process already evicting: leave it to that one. -> removed."""
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / LOCK_DIR).mkdir(exist_ok=True)
        guard = os.open(self.root / LOCK_DIR / "evict.lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(guard, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return []
            self._remove_leftovers()
            mirrors = self.mirrors()
            total = sum(m.size for m in mirrors)
            removed = []
            for m in mirrors:
                if total <= self.max_bytes:
                    break
                if m.path == keep or not self._remove_unless_held(m.path):
                    continue
                total -= m.size
                removed.append(m.path)
                log.info(
                    "clone cache: evicted %s (%d bytes, unused for %.0fs)",
                    m.path,
                    m.size,
                    time.time() - m.last_used,
                )
            self._estimate, self._since_pass = total, 0
            if total > self.max_bytes:
                log.info(
                    "clone cache: %d bytes over the %d budget are in use",
                    total - self.max_bytes,
                    self.max_bytes,
                )
            return removed
        finally:
            os.close(guard)

    def _remove_unless_held(self, mirror: Path) -> bool:
        lock = self.lock_path(mirror)
        lock.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:  # in use by some worker
                return False
            aside = mirror.with_name(f".{mirror.name}.{uuid.uuid4().hex[:12]}{EVICTING_SUFFIX}")
            try:
                os.rename(mirror, aside)  # atomic: the mirror is whole or gone, never half-deleted
            except OSError:
                return False
            shutil.rmtree(aside, ignore_errors=True)
            return True
        finally:
            os.close(fd)

    def _remove_leftovers(self) -> None:
        """Mirrors renamed aside by a pass that was killed before it deleted them."""
        for path in self.root.glob(f"*/.*{EVICTING_SUFFIX}"):
            shutil.rmtree(path, ignore_errors=True)
