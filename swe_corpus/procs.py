"""Child processes that never outlive the run and never outgrow their memory cap.

Every git call runs in its own process group (so a timeout kills git *and* its helpers:
`git-remote-http`, `index-pack`...), capped in heap memory (RLIMIT_DATA: a tree bomb makes git fail
with "out of memory" instead of growing to tens of GB). The groups of live calls are registered with
one small *reaper* process per run process: when the run ends in any way (normal exit, an exception,
SIGTERM, SIGINT, even SIGKILL, which no handler sees) the reaper's stdin pipe closes and it kills every
group still registered. `signals_end_children` (around every CLI command) also kills them at once on
SIGINT/SIGTERM/SIGHUP and refuses new children, so threads blocked on a git call return promptly.
"""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator

# The reaper: ignores the signals aimed at the run, tracks "+PGID"/"-PGID" lines, forgets groups that
# are gone (every few seconds), and on EOF (the run is gone) SIGKILLs the groups left.
_REAPER = r"""
import os, select, signal
for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT):
    signal.signal(s, signal.SIG_IGN)
groups, buf = set(), b""
while True:
    if select.select([0], [], [], 5.0)[0]:
        data = os.read(0, 65536)
        if not data:
            break
        *lines, buf = (buf + data).split(b"\n")
        for ln in lines:
            if ln[:1] == b"+":
                groups.add(int(ln[1:]))
            elif ln[:1] == b"-":
                groups.discard(int(ln[1:]))
    for pg in list(groups):
        try:
            os.killpg(pg, 0)
        except ProcessLookupError:
            groups.discard(pg)
        except PermissionError:
            pass
for pg in groups:
    try:
        os.killpg(pg, signal.SIGKILL)
    except OSError:
        pass
"""


class Stopping(RuntimeError):
    """The run is being interrupted: no new child process is started."""


class _Registry:
    """The live groups of this process, mirrored to its reaper (created lazily, again after a fork)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.groups: set[int] = set()
        self.reaper: subprocess.Popen | None = None
        self.owner_pid = -1
        self.stopping = False

    def _write(self, line: str) -> None:
        """Tell this process's reaper (started on first use, and again in a forked child or if it died)."""
        pid = os.getpid()
        if self.owner_pid != pid:  # first use, or a forked child: none of the parent's groups are ours
            if self.owner_pid != -1:
                self.groups = set()
            self.reaper, self.owner_pid = None, pid
        if self.reaper is None or self.reaper.poll() is not None:
            self.reaper = subprocess.Popen(
                [sys.executable, "-c", _REAPER],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,  # a kill of the run's process group must not take it along
            )
            line = "".join(f"+{g}\n" for g in self.groups) + line
        with contextlib.suppress(OSError):
            self.reaper.stdin.write(line.encode())
            self.reaper.stdin.flush()

    def add(self, pgid: int) -> None:
        with self.lock:
            self._write(f"+{pgid}\n")
            self.groups.add(pgid)

    def remove(self, pgid: int) -> None:
        with self.lock:
            if pgid in self.groups:
                self.groups.discard(pgid)
                self._write(f"-{pgid}\n")

    def kill_all(self) -> None:
        for pgid in list(self.groups):
            with contextlib.suppress(OSError):
                os.killpg(pgid, signal.SIGKILL)


_registry = _Registry()


def spawn(cmd: list[str], *, max_memory_bytes: int | None = None, **popen_kwargs) -> subprocess.Popen:
    """`Popen(cmd)` in a new process group registered with the reaper; heap capped at `max_memory_bytes`.

    The cap is set right after the start (the child has done nothing big yet) rather than in a
    `preexec_fn`, which is unsafe in a threaded process; it is inherited by the child's own children."""
    if _registry.stopping:
        raise Stopping("the run is being interrupted")
    proc = subprocess.Popen(cmd, start_new_session=True, **popen_kwargs)
    _registry.add(proc.pid)
    if max_memory_bytes and hasattr(resource, "prlimit"):  # Linux (workers, CI); elsewhere uncapped
        with contextlib.suppress(OSError):  # already gone: nothing to cap
            resource.prlimit(proc.pid, resource.RLIMIT_DATA, (max_memory_bytes, max_memory_bytes))
    return proc


def kill_group(proc: subprocess.Popen) -> None:
    """SIGKILL the process group of a `spawn`ed process (git and every helper it started)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


def release(proc: subprocess.Popen) -> None:
    """A `spawn`ed process has been waited for: its group no longer needs the reaper."""
    _registry.remove(proc.pid)


def end(proc: subprocess.Popen) -> None:
    """Done with a `spawn`ed process: its group killed if it still runs, waited for, released."""
    if proc.poll() is None:
        kill_group(proc)
        proc.wait()
    release(proc)


def kill_all() -> None:
    """Kill every live child group of this process now (interrupt, shutdown)."""
    _registry.kill_all()


@contextlib.contextmanager
def signals_end_children() -> Iterator[None]:
    """While the run lasts, SIGINT/SIGTERM/SIGHUP first stop new children and kill the live ones, then
    act as before (KeyboardInterrupt for SIGINT, the previous or default action for the others).
    Installed only from the main thread; the previous handlers come back afterwards."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}

    def handler(signum, frame):
        _registry.stopping = True
        kill_all()
        before = previous[signum]
        if callable(before):
            before(signum, frame)
        elif before != signal.SIG_IGN:
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)

    for signum in previous:
        signal.signal(signum, handler)
    try:
        yield
    finally:
        for signum, before in previous.items():
            signal.signal(signum, before if before is not None else signal.SIG_DFL)
        _registry.stopping = False
