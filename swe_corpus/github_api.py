"""GitHub REST hydration: PR and issue text the events lack (trimmed era, issues older than the window).

`GitHubClient` GETs `/repos/{o}/{r}/pulls/{n}`, `/issues/{n}` and `/issues/{n}/comments` with:
- the token from `GITHUB_TOKEN`, sent only as a header: never logged, never in errors or outputs;
- a configurable base URL (GitHub Enterprise: `https://HOST/api/v3`);
- ETag conditional requests with an on-disk cache (a 304 is served from disk, costs no quota); the cache
  is best effort: a directory or write that fails is logged and the request goes on;
- bounded concurrency (a semaphore shared by every thread using the client);
- rate limits honoured by waiting: X-RateLimit-Remaining=0 until X-RateLimit-Reset, Retry-After, and
  secondary limits (403/429 without headers) with exponential backoff.
A 404 raises `NotFound` (the caller records a rejection); other failures raise `HydrationError`, a 200
whose body is not the JSON expected (an HTML page from a proxy) included.

Repository names come from events, so they are checked (`owner/name` as GitHub allows it) and quoted
before they become part of a path: `../../user` never turns into `GET /user`. A hostile server is
bounded: an answer larger than `max_response_bytes`, more than `max_pages` pages of comments, or a
rate-limit wait longer than `max_wait_s` fails the request (`reason` says which), and an answer that
contains the token is neither cached nor returned.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import requests

from swe_corpus.events import parse_timestamp
from swe_corpus.git_mirror import REPO_RE
from swe_corpus.rejects import RejectError, instance_id

log = logging.getLogger(__name__)

DEFAULT_API_URL = "https://api.github.com"
DEFAULT_CACHE_DIR = ".cache/swe-corpus/github-api"  # the CLI's and corpus.toml's; a bare client has none
DEFAULT_MAX_CONCURRENCY = 4
TOKEN_ENV = "GITHUB_TOKEN"
_LAST = datetime.max.replace(tzinfo=UTC)


class HydrationError(RejectError):
    """A request failed for good (messages name the path and status, never the token); `reason` is
    the rejection code."""

    reason = "api_error"

    def __init__(self, detail: str, reason: str | None = None):
        super().__init__(reason, detail)


class NotFound(HydrationError):
    """404: the PR/issue was deleted, made private, or never existed."""

    reason = "not_found"


def repo_path(repo: str) -> str:
    """`owner/name` quoted for a URL path, after the check git mirrors use: anything else (`..`, a
    newline, extra slashes) raises before a request is made."""
    if (
        not isinstance(repo, str)
        or not REPO_RE.fullmatch(repo)
        or any(part in (".", "..") for part in repo.split("/"))
    ):
        raise HydrationError(f"invalid repository name {repo!r:.120}", "invalid_repo_name")
    owner, name = repo.split("/")
    return f"{urllib.parse.quote(owner, safe='')}/{urllib.parse.quote(name, safe='')}"


@dataclass
class ClientStats:
    requests: int = 0
    cache_hits: int = 0
    rate_limit_waits: int = 0
    waited_s: float = 0.0
    not_found: int = 0


@dataclass
class ClientConfig:
    base_url: str = DEFAULT_API_URL
    cache_dir: str | None = None
    max_concurrency: int = DEFAULT_MAX_CONCURRENCY
    timeout_s: float = 30.0
    max_attempts: int = 8
    secondary_backoff_s: float = 60.0
    max_wait_s: float = 3600.0  # a longer rate-limit wait fails the request (api_rate_limited)
    per_page: int = 100
    max_pages: int = 50  # comment pages per issue (api_too_many_pages)
    max_response_bytes: int = 32 * 2**20  # one answer (api_response_too_large)
    token: str | None = field(default=None, repr=False)


class GitHubClient:
    """Thread-safe REST client for hydration; share one per worker process (`pipelines.prs.shared_client`)."""

    def __init__(self, config: ClientConfig | None = None, sleep: Callable[[float], None] = time.sleep):
        self.config = config or ClientConfig()
        self.base_url = self.config.base_url.rstrip("/")
        self.stats = ClientStats()
        self._sleep = sleep
        self._gate = threading.BoundedSemaphore(max(1, self.config.max_concurrency))
        self._lock = threading.Lock()
        self._resume_at = 0.0  # wall time before which no request may start (quota exhausted)
        self._session = requests.Session()
        self._session.headers.update(
            {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
        )
        token = self.config.token or os.environ.get(TOKEN_ENV)
        self._token = token.encode() if token else None
        if token:
            self._session.headers["Authorization"] = f"Bearer {token}"
        self._cache = Path(self.config.cache_dir) if self.config.cache_dir else None
        if self._cache:
            try:
                self._cache.mkdir(parents=True, exist_ok=True)
            except OSError as exc:  # the cache only saves quota: run without it rather than fail
                log.warning("GitHub API: no ETag cache, cannot create its directory (%s)", type(exc).__name__)
                self._cache = None

    def __repr__(self) -> str:  # never show headers (the token)
        return f"GitHubClient({self.base_url!r})"

    # ------------------------------------------------------------------ public API
    def pull(self, repo: str, number: int) -> dict:
        return self._get_shaped(f"/repos/{repo_path(repo)}/pulls/{int(number)}", dict)

    def issue(self, repo: str, number: int) -> dict:
        return self._get_shaped(f"/repos/{repo_path(repo)}/issues/{int(number)}", dict)

    def issue_comments(self, repo: str, number: int) -> list[dict]:
        """Every comment of an issue/PR conversation, following pagination (`max_pages` at most)."""
        out: list[dict] = []
        path = f"/repos/{repo_path(repo)}/issues/{int(number)}/comments?per_page={self.config.per_page}"
        for page in range(1, self.config.max_pages + 1):
            batch = self._get_shaped(f"{path}&page={page}", list)
            out.extend(batch)
            if len(batch) < self.config.per_page:
                return out
        raise HydrationError(f"GET {path}: more than {self.config.max_pages} pages", "api_too_many_pages")

    def _get_shaped(self, path: str, shape: type):
        """`get_json`, refusing valid JSON of the wrong shape (e.g. an error object where a list is due)."""
        body = self.get_json(path)
        if not isinstance(body, shape):
            raise HydrationError(f"GET {path}: expected a JSON {shape.__name__}, got {type(body).__name__}")
        return body

    def get_json(self, path: str):
        """GET base_url + path -> parsed JSON, through the ETag cache, waiting out rate limits."""
        url = self.base_url + path
        cached = self._cache_read(url)
        for attempt in range(self.config.max_attempts):
            self._wait_for_quota()
            headers = {"If-None-Match": cached["etag"]} if cached and cached.get("etag") else {}
            try:
                with self._gate:
                    resp = self._session.get(url, headers=headers, timeout=self.config.timeout_s, stream=True)
                    content = self._read_capped(resp, path)
            except requests.RequestException as exc:  # str(exc) holds the URL only, but stay minimal
                if attempt + 1 == self.config.max_attempts:
                    raise HydrationError(f"GET {path}: {type(exc).__name__}") from None
                self._wait(min(2**attempt, 30), "connection error")
                continue
            with self._lock:
                self.stats.requests += 1
            self._note_quota(resp)
            if resp.status_code == 304 and cached:
                with self._lock:
                    self.stats.cache_hits += 1
                return cached["body"]
            if resp.status_code == 200:
                if self._token and self._token in content:  # never cached, never in a row
                    raise HydrationError(f"GET {path}: the answer contains the API token", "api_token_echoed")
                try:  # a proxy or captive portal may answer 200 with an HTML page
                    body = json.loads(content)
                except ValueError:
                    raise HydrationError(f"GET {path}: invalid JSON") from None
                self._cache_write(url, resp.headers.get("ETag"), body)
                return body
            if resp.status_code == 404:
                with self._lock:
                    self.stats.not_found += 1
                raise NotFound(f"GET {path}: 404 not found")
            delay = self._limit_delay(resp, content, attempt)
            if delay is None:
                raise HydrationError(f"GET {path}: HTTP {resp.status_code}")
            self._wait(delay, f"rate limited (HTTP {resp.status_code}) on {path}")
        raise HydrationError(f"GET {path}: gave up after {self.config.max_attempts} attempts")

    def _read_capped(self, resp: requests.Response, path: str) -> bytes:
        """The body, read as it streams and refused past `max_response_bytes` (an endless answer)."""
        with resp:
            out = bytearray()
            for chunk in resp.iter_content(1 << 16):
                out += chunk
                if len(out) > self.config.max_response_bytes:
                    raise HydrationError(
                        f"GET {path}: answer larger than {self.config.max_response_bytes} bytes",
                        "api_response_too_large",
                    )
            return bytes(out)

    # ------------------------------------------------------------------ rate limits
    def _limit_delay(self, resp: requests.Response, content: bytes, attempt: int) -> float | None:
        """Seconds to wait before retrying a 403/429/5xx; None when the failure is final."""
        if resp.status_code >= 500:
            return min(2**attempt, 60)
        if resp.status_code not in (403, 429):
            return None
        retry_after = resp.headers.get("Retry-After")
        if retry_after and retry_after.isdigit():
            return float(retry_after)
        if resp.headers.get("X-RateLimit-Remaining") == "0":
            return max(0.0, self._reset_time(resp) - time.time()) + 1.0
        text = content.decode("utf-8", "replace").lower()
        if resp.status_code == 429 or "rate limit" in text or "abuse" in text:
            return self.config.secondary_backoff_s * 2**attempt
        return None  # a plain 403: forbidden (e.g. blocked repository)

    @staticmethod
    def _reset_time(resp: requests.Response) -> float:
        reset = resp.headers.get("X-RateLimit-Reset", "")
        return float(reset) if reset.isdigit() else time.time() + 60

    def _note_quota(self, resp: requests.Response) -> None:
        """After the last request of the quota, hold every thread until the reset time."""
        if resp.status_code == 200 and resp.headers.get("X-RateLimit-Remaining") == "0":
            with self._lock:
                self._resume_at = max(self._resume_at, self._reset_time(resp) + 1.0)

    def _wait_for_quota(self) -> None:
        delay = self._resume_at - time.time()
        if delay > 0:
            self._wait(delay, "rate-limit quota exhausted")

    def _wait(self, seconds: float, why: str) -> None:
        if seconds > self.config.max_wait_s:  # a reset 30 years ahead must not park the run
            raise HydrationError(
                f"{why}: the server asks for {seconds:.0f}s, more than {self.config.max_wait_s:.0f}s",
                "api_rate_limited",
            )
        with self._lock:
            self.stats.rate_limit_waits += 1
            self.stats.waited_s += seconds
        log.warning("GitHub API: %s; waiting %.1fs", why, seconds)
        self._sleep(seconds)

    # ------------------------------------------------------------------ ETag cache
    def _cache_path(self, url: str) -> Path | None:
        # keyed by URL only: the token is not part of the key, and the file holds only the body
        return self._cache / (hashlib.sha256(url.encode()).hexdigest() + ".json") if self._cache else None

    def _cache_read(self, url: str) -> dict | None:
        path = self._cache_path(url)
        if path is None or not path.exists():
            return None
        try:
            return json.loads(path.read_text())
        except (OSError, ValueError):
            return None

    def _cache_write(self, url: str, etag: str | None, body) -> None:
        path = self._cache_path(url)
        if path is None or not etag:
            return
        tmp = path.with_suffix(f".{threading.get_ident()}.tmp")
        try:  # best effort: a full or read-only disk costs a revalidation later, never the response
            tmp.write_text(json.dumps({"etag": etag, "body": body}))
            os.replace(tmp, path)
        except OSError as exc:
            log.warning("GitHub API: cache write failed (%s); response not cached", type(exc).__name__)
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)


# ---------------------------------------------------------------------- API JSON -> rows
def _comment(c: dict) -> dict:
    return {
        "id": c.get("id"),
        "author": (c.get("user") or {}).get("login"),
        "created_at": parse_timestamp(c.get("created_at")),
        "body": c.get("body"),
    }


def issue_from_api(issue: dict, comments: list[dict], repo: str) -> dict:
    """An ISSUES row from `/issues/{n}` and its comments."""
    return {
        "issue_id": instance_id(repo, issue["number"]),
        "repo": repo,
        "repo_id": None,
        "number": issue["number"],
        "title": issue.get("title"),
        "body": issue.get("body"),
        "author": (issue.get("user") or {}).get("login"),
        "created_at": parse_timestamp(issue.get("created_at")),
        "state": issue.get("state"),
        "labels": [lb.get("name") for lb in issue.get("labels") or [] if isinstance(lb, dict)],
        # API order is chronological already; a comment with an unreadable time goes last
        "comments": sorted((_comment(c) for c in comments), key=lambda c: c["created_at"] or _LAST),
        "hydrated": True,
    }


def pull_fields(pull: dict) -> dict:
    """PULL_REQUESTS columns from `/pulls/{n}` (text, author, merge data, refs)."""
    base, head = pull.get("base") or {}, pull.get("head") or {}
    user = pull.get("user") or {}
    return {
        "title": pull.get("title"),
        "body": pull.get("body"),
        "user_login": user.get("login"),
        "user_type": user.get("type"),
        "created_at": parse_timestamp(pull.get("created_at")),
        "state": pull.get("state"),
        "merged": bool(pull.get("merged") or pull.get("merged_at")),
        "merged_at": parse_timestamp(pull.get("merged_at")),
        "merge_commit_sha": pull.get("merge_commit_sha"),
        "base_sha": base.get("sha"),
        "base_ref": base.get("ref"),
        "head_sha": head.get("sha"),
        "head_ref": head.get("ref"),
        "head_repo_name": (head.get("repo") or {}).get("full_name"),
    }


def _rows_from(what: str, convert, *bodies):
    """`convert(*bodies)`; an answer of the right JSON type but the wrong shape (a dict where a string
    belongs, no `number`...) is a HydrationError like any other unusable answer, not a crash."""
    try:
        return convert(*bodies)
    except (KeyError, TypeError, AttributeError) as exc:
        raise HydrationError(f"{what}: unexpected JSON shape ({type(exc).__name__}: {exc})") from None


def hydrate_pull_request(client: GitHubClient, pr: dict) -> dict:
    """The PR record with its text/merge data from the API (events data wins only where the API is null)."""
    what = f"pull {pr['repo']}#{pr['number']}"
    fields = _rows_from(what, pull_fields, client.pull(pr["repo"], pr["number"]))
    out = dict(pr)
    for key, value in fields.items():
        if value is not None:
            out[key] = value
    out["hydrated"] = True
    return out


def hydrate_issue(client: GitHubClient, repo: str, number: int) -> dict:
    issue, comments = client.issue(repo, number), client.issue_comments(repo, number)
    return _rows_from(f"issue {repo}#{number}", issue_from_api, issue, comments, repo)
