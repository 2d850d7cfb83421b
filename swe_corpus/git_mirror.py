"""Safe, cached mirrors of untrusted repositories: one bare clone per repository per worker.

Clones are bare (no work tree is ever checked out), hooks are disabled, only the transport named by the
operator's URL template is allowed (`ext::` never), credential prompts and helpers are off, and every
message that leaves this module has credentials in URLs redacted. Repository names from the data are
validated before they become paths under the cache directory.
"""

from __future__ import annotations

import base64
import logging
import os
import re
import select
import shutil
import subprocess
import tempfile
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from swe_corpus import procs
from swe_corpus.clone_cache import COMPLETE_MARKER, DEFAULT_MAX_GB, CloneCache, dir_bytes
from swe_corpus.redaction import redact_text
from swe_corpus.rejects import RejectError

log = logging.getLogger(__name__)

DEFAULT_URL_TEMPLATE = "https://github.com/{repo}.git"
CLONE_MODES = ("full", "blobless")
REPO_RE = re.compile(r"[A-Za-z0-9_.-]{1,100}/[A-Za-z0-9_.-]{1,100}")  # fullmatch: `$` admits a final \n
TEMP_SUFFIX_RE = re.compile(r"[a-z0-9_]{8}")  # the random part of a tempfile.mkdtemp name
INIT_TIMEOUT_S = 60
# Refspecs a mirror needs: branches, the PR heads GitHub (and our tests) serve under refs/pull/, and tags
# (a merge reachable only from a release tag, its branch deleted, is lost without them).
# Written into a mirror's completion marker: a mirror of another format (before tags were fetched) is
# fetched again on first use instead of being reused as it is.
MIRROR_FORMAT = "format-2"
FETCH_REFSPECS = (
    "+refs/heads/*:refs/heads/*",
    "+refs/pull/*/head:refs/pull/*/head",
    "+refs/tags/*:refs/tags/*",
)


class MirrorError(RejectError):
    """A repository could not be mirrored; `reason` is the rejection code, the message is redacted."""

    def __init__(self, reason: str, detail: str):
        super().__init__(reason, redact_text(detail))


def validate_repo(repo: str) -> str:
    """`owner/name` as GitHub allows it; anything else (.., absolute paths, extra slashes) is refused."""
    if not isinstance(repo, str) or not REPO_RE.fullmatch(repo):
        raise MirrorError("invalid_repo_name", f"invalid repository name {repo!r}")
    if any(part in (".", "..") or part.startswith(".") for part in repo.split("/")):
        raise MirrorError("invalid_repo_name", f"invalid repository name {repo!r}")
    return repo


@dataclass
class MirrorConfig:
    """Where and how repositories are mirrored. Limits are defaults for GitHub-scale data."""

    cache_dir: str = ""
    url_template: str = DEFAULT_URL_TEMPLATE
    clone_mode: str = "full"  # full bare clone; see docs/extract.md for the measurement
    clone_timeout_s: float = 600.0
    max_repo_bytes: int = 2 * 1024**3
    low_speed_time_s: int = 60  # abort a transfer below 1 KB/s for this long (hanging servers)
    refresh: bool = False  # fetch again when a mirror already exists
    # Caps on every git process, so a hostile repository (a tree bomb: 10^9 paths in 19 objects) fails
    # one PR instead of the machine: heap memory (RLIMIT_DATA; git_out_of_memory), bytes of one answer
    # read back (git_output_too_large), paths in one tree listing (tree_too_large), rename candidates.
    max_git_memory_bytes: int = 4 * 1024**3
    max_git_output_bytes: int = 256 * 1024**2
    max_tree_entries: int = 1_000_000
    rename_limit: int = 1000
    cache_max_bytes: int = int(DEFAULT_MAX_GB * 2**30)  # clone cache budget, LRU evicted (0: no limit)

    def __post_init__(self):
        if self.clone_mode not in CLONE_MODES:
            raise ValueError(f"clone_mode must be one of {CLONE_MODES}")
        scheme = transport_of(self.url_template)
        if scheme not in ("https", "http", "file", "ssh", "git"):
            raise ValueError(f"unsupported transport in url template: {redact_text(self.url_template)}")
        if not self.cache_dir:
            self.cache_dir = os.path.join(tempfile.gettempdir(), "swe-corpus-git-cache")


def transport_of(url: str) -> str:
    """The URL scheme git would use (`ext::...` -> ext, scp-like `host:path` -> ssh)."""
    if "::" in url.split("/", 1)[0]:
        return url.split("::", 1)[0].lower()
    m = re.match(r"^([a-zA-Z][a-zA-Z0-9+.-]*)://", url)
    if m:
        return m.group(1).lower()
    return "ssh" if ":" in url else "file"


def safe_git_env() -> dict[str, str]:
    """Environment for every git call: no prompts, no user/system config (credential helpers, hooks)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(
        GIT_TERMINAL_PROMPT="0",
        GIT_ASKPASS="/bin/false",
        SSH_ASKPASS="/bin/false",
        GIT_SSH_COMMAND="ssh -o BatchMode=yes -o StrictHostKeyChecking=yes",
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL="/dev/null",
        GIT_PROTOCOL_FROM_USER="0",
        GIT_NO_REPLACE_OBJECTS="1",
        LC_ALL="C",
    )
    return env


def safe_git_config(allowed_transport: str) -> list[str]:
    """`-c` options that make git inert on untrusted data: no hooks, filters, submodules, other transports."""
    opts = {
        "core.hooksPath": "/dev/null",
        "core.fsmonitor": "false",
        "core.symlinks": "false",
        "credential.helper": "",
        "protocol.allow": "never",
        f"protocol.{allowed_transport}.allow": "always",
        "protocol.ext.allow": "never",
        "submodule.recurse": "false",
        "fetch.recurseSubmodules": "false",
        "fetch.fsckObjects": "false",
        "transfer.fsckObjects": "false",
        "gc.auto": "0",
        "maintenance.auto": "false",
        "core.quotePath": "false",
    }
    out: list[str] = []
    for k, v in opts.items():
        out += ["-c", f"{k}={v}"]
    return out


def credentials_to_env(url: str) -> tuple[str, dict[str, str]]:
    """`url` without `user:token@`, and the environment that sends them instead: git's config from
    GIT_CONFIG_* (an `Authorization: Basic` extraHeader for that scheme and host only, so never to a
    host it is redirected to). Command lines are world-readable in /proc; a process's environment is not."""
    parts = urllib.parse.urlsplit(url)
    userinfo, at, host = parts.netloc.rpartition("@")
    if parts.scheme not in ("http", "https") or not at:
        return url, {}
    user, _, password = userinfo.partition(":")
    basic = base64.b64encode(f"{urllib.parse.unquote(user)}:{urllib.parse.unquote(password)}".encode())
    # git picks the header for the URL it starts with and keeps sending it after a redirect (to another
    # port or host, on every later request): with credentials, no redirect is followed at all.
    env = {
        "GIT_CONFIG_COUNT": "2",
        "GIT_CONFIG_KEY_0": f"http.{parts.scheme}://{host}/.extraHeader",
        "GIT_CONFIG_VALUE_0": f"Authorization: Basic {basic.decode()}",
        "GIT_CONFIG_KEY_1": "http.followRedirects",
        "GIT_CONFIG_VALUE_1": "false",
    }
    return urllib.parse.urlunsplit(parts._replace(netloc=host)), env


def low_speed_config(seconds: int) -> list[str]:
    """Abort an HTTP transfer below 1 KB/s for `seconds`: a fetch, and the lazy fetches of a partial clone."""
    return ["-c", "http.lowSpeedLimit=1000", "-c", f"http.lowSpeedTime={seconds}"]


def git_failure_reason(stderr: str) -> str:
    """A git call on a mirror that failed: out of memory (a hostile tree under the heap cap) or not."""
    return "git_out_of_memory" if "out of memory" in stderr.lower() else "git_failed"


def classify_failure(stderr: str) -> str:
    """Rejection reason from git's stderr (gone, private, needs credentials, stalled, other)."""
    s = stderr.lower()
    if git_failure_reason(s) == "git_out_of_memory":
        return "git_out_of_memory"
    if "operation too slow" in s or "timed out" in s:  # http.lowSpeedTime or a connect timeout
        return "clone_timeout"
    if re.search(r"returned error: 30\d", s):  # a redirect, refused when credentials are set
        return "repo_redirected"
    if "could not read username" in s or "authentication failed" in s or "terminal prompts disabled" in s:
        return "repo_auth_required"
    if " 401" in s or " 403" in s or "permission denied" in s:
        return "repo_auth_required"
    if (
        "not found" in s
        or " 404" in s
        or "does not appear to be a git repository" in s
        or "does not exist" in s
    ):
        return "repo_not_found"
    if "transport" in s and "not allowed" in s:
        return "transport_not_allowed"
    return "clone_failed"


class GitMirror:
    """Mirrors repositories into `config.cache_dir/<owner>/<name>.git` and returns their paths."""

    def __init__(self, config: MirrorConfig):
        self.config = config
        self.cache_root = Path(config.cache_dir).resolve()
        self.transport = transport_of(config.url_template)
        self.cache = CloneCache(self.cache_root, config.cache_max_bytes)  # held until cache.release()

    def url_for(self, repo: str) -> str:
        return self.config.url_template.format(repo=validate_repo(repo))

    def path_for(self, repo: str) -> Path:
        """The mirror's directory; guaranteed to lie inside the cache root."""
        owner, name = validate_repo(repo).split("/")
        path = (self.cache_root / owner / f"{name}.git").resolve()
        if self.cache_root not in path.parents:
            raise MirrorError("invalid_repo_name", f"repository path escapes cache: {repo!r}")
        return path

    def git(self, *args: str) -> list[str]:
        return ["git", *safe_git_config(self.transport), *args]

    def ensure(self, repo: str) -> Path:
        """A complete mirror of `repo`, cloned now or reused; raises MirrorError with a reason."""
        path = self.path_for(repo)
        url = self.url_for(repo)
        if transport_of(url) != self.transport:
            raise MirrorError("transport_not_allowed", f"url for {repo} changes transport")
        self.cache.hold(path)  # in use: never evicted until released (waits while it is being evicted)
        if self._current(path) and not self.config.refresh:
            return self.cache.admit(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fresh = not (path / "HEAD").exists()
        if fresh:
            self._remove_stale_attempts(path)
        work = path if not fresh else Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
        try:
            if fresh:
                self._run(["init", "--bare", "--quiet", "--template=", str(work)], None, INIT_TIMEOUT_S)
            self._fetch(work, url)
            if fresh:
                try:  # another worker may have finished the same mirror meanwhile: keep theirs
                    work.rename(path)
                except OSError:
                    shutil.rmtree(work, ignore_errors=True)
            (path / COMPLETE_MARKER).write_text(f"{MIRROR_FORMAT} {time.time()}")
        except BaseException:
            if fresh:
                shutil.rmtree(work, ignore_errors=True)
            raise
        log.info("mirrored %s into %s", redact_text(url), path)
        return self.cache.admit(path)

    @staticmethod
    def _current(path: Path) -> bool:
        """A complete mirror fetched with today's refspecs (an older one is fetched again, in place)."""
        try:
            return (path / COMPLETE_MARKER).read_text().split(" ", 1)[0] == MIRROR_FORMAT
        except OSError:
            return False

    def _remove_stale_attempts(self, path: Path) -> None:
        """Delete the temp dirs of earlier clones of `path` whose worker was killed (no `finally` ran):
        those older than a live attempt can be (init, then fetch and commit-graph, each bounded)."""
        cutoff = time.time() - (INIT_TIMEOUT_S + 2 * self.config.clone_timeout_s)
        prefix = f".{path.name}."
        for d in path.parent.glob(f"{prefix}*"):  # names are validated: no glob characters
            try:
                stale = TEMP_SUFFIX_RE.fullmatch(d.name[len(prefix) :]) and d.stat().st_mtime < cutoff
            except OSError:  # another worker removed it meanwhile
                continue
            if stale:
                log.info("removing %s, left by a killed clone", d)
                shutil.rmtree(d, ignore_errors=True)

    def _fetch(self, repo_dir: Path, url: str) -> None:
        args = ["-C", str(repo_dir), *low_speed_config(self.config.low_speed_time_s)]
        args += ["fetch", "--quiet", "--no-tags", "--no-recurse-submodules", "--no-write-fetch-head"]
        url, env = credentials_to_env(url)  # the token never lands in the mirror's config
        if self.config.clone_mode == "blobless":
            args += ["--filter=blob:none"]
            self._run(["-C", str(repo_dir), "config", "remote.origin.promisor", "true"], None, 60)
            self._run(["-C", str(repo_dir), "config", "remote.origin.url", url], None, 60)
            self._run(
                ["-C", str(repo_dir), "config", "remote.origin.partialclonefilter", "blob:none"], None, 60
            )
            args += ["origin", *FETCH_REFSPECS]
        else:
            args += [url, *FETCH_REFSPECS]
        self._run(args, cwd=None, timeout=self.config.clone_timeout_s, watch=repo_dir, env=env)
        size = dir_bytes(repo_dir)
        if size > self.config.max_repo_bytes:
            raise MirrorError("repo_too_large", f"mirror is {size} bytes > {self.config.max_repo_bytes}")
        # Generation numbers make merge-base and `log A ^B` stop early instead of walking to the root.
        self._run(
            ["-C", str(repo_dir), "commit-graph", "write", "--reachable"], None, self.config.clone_timeout_s
        )

    def _run(
        self,
        args: list[str],
        cwd: Path | None,
        timeout: float,
        watch: Path | None = None,
        env: dict | None = None,
    ) -> None:
        """Run git in its own process group; kill it on timeout or when `watch` outgrows the size limit.
        `env` adds to `safe_git_env()` (credentials: see `credentials_to_env`). Only the tail of stderr
        is kept: a server can send endless `remote:` messages, and they must not fill our memory."""
        cmd = self.git(*args)
        try:
            proc = procs.spawn(
                cmd,
                max_memory_bytes=self.config.max_git_memory_bytes,
                cwd=cwd,
                env={**safe_git_env(), **(env or {})},
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
        except procs.Stopping as e:
            raise MirrorError("interrupted", str(e)) from None
        deadline = time.monotonic() + timeout
        err, fd, next_check = b"", proc.stderr.fileno(), 0.0
        try:
            while True:
                if select.select([fd], [], [], 0.5)[0]:
                    chunk = os.read(fd, 1 << 16)
                    if not chunk:
                        break
                    err = (err + chunk)[-4096:]
                if time.monotonic() < next_check:
                    continue
                next_check, reason = time.monotonic() + 0.5, None
                if time.monotonic() > deadline:
                    reason = ("clone_timeout", f"git {args[-1] if args else ''} exceeded {timeout:.0f}s")
                elif watch is not None and dir_bytes(watch) > self.config.max_repo_bytes:
                    reason = ("repo_too_large", f"mirror exceeded {self.config.max_repo_bytes} bytes")
                if reason:
                    raise MirrorError(*reason)
            proc.wait()
        finally:
            procs.end(proc)  # killed for a limit, or interrupted while waiting: nothing left running
            proc.stderr.close()
        if proc.returncode != 0:
            text = err.decode("utf-8", "replace").strip()
            raise MirrorError(classify_failure(text), f"git failed ({proc.returncode}): {text[-500:]}")
