"""GH Archive as a source: hour-range syntax, file names/URLs, and a resumable, caching downloader.

- ``parse_hours("2015-01-01-0..2015-01-01-23,2015-01-03")`` -> ``["2015-01-01-0", ...]``: single hours,
  whole days (24 hours) and ``A..B`` ranges whose ends are hours or days, comma separated. Input hours may
  be zero padded; output names never are (the archive's ``-09`` is a 404).
- ``hour_file(hour)`` -> ``"2015-01-01-9.json.gz"``; ``hour_location(base, hour)`` -> URL or path.
- ``Downloader``: ``requests`` streaming into ``<cache>/<file>.part`` then an atomic rename, so a cached
  hour is complete by construction and never downloaded twice; bounded retries with exponential backoff
  on connection errors, timeouts, 5xx and 429 (honouring ``Retry-After`` up to a cap); a partial ``.part``
  file is resumed with an HTTP ``Range`` request when the server answers 206 with the matching
  ``Content-Range`` (restarted otherwise); 404 -> ``None`` (a gap, recorded by the caller, never an
  error); the 404 of an hour older than two days is cached as ``<file>.gap`` so that a rerun asks the
  server nothing at all.
- Nothing enters the cache unchecked: the body must start as gzip, stay under a size cap and arrive
  within an overall deadline, and the gzip stream is read to its end before the rename. A stream that
  stops early is resumed; it is accepted as it is only when the server confirms with a 416 that the file
  ends there (GH Archive has such hours). A validated file gets a ``<file>.ok`` note with its size; a
  cached file without one (an older cache) is checked before use, and an invalid one is downloaded again.
"""

from __future__ import annotations

import logging
import os
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import unquote, urlparse

import requests
import urllib3

from swe_corpus.events import StreamBreak, iter_decompressed
from swe_corpus.redaction import redact_url

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://data.gharchive.org"
DEFAULT_CACHE_DIR = ".cache/swe-corpus/gharchive"  # relative to the working directory, like every cache
# Ingest rejections that stand for a whole hour file (one row per hour, not per line): an hour that gave
# nothing (`swe_corpus.manifest.InputHealth`).
HOUR_FILE_REASONS = (
    "gap_404",
    "bad_hour",
    "download_failed",
    "download_invalid",
    "download_too_large",
    "download_timeout",
    "read_failed",
    "empty_hour",
)
_HOUR_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:-(\d{1,2}))?$")
RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
GAP_SETTLED_AFTER = timedelta(days=2)


# --------------------------------------------------------------------------- hours
def _parse_point(text: str, end: bool) -> datetime:
    """'2015-01-01-5' -> that hour; '2015-01-01' -> hour 0 (or 23 when it ends a range)."""
    m = _HOUR_RE.match(text.strip())
    if not m:
        raise ValueError(f"not an hour or day: {text!r} (expected YYYY-MM-DD or YYYY-MM-DD-H)")
    year, month, day, hour = m.groups()
    base = datetime(int(year), int(month), int(day), tzinfo=UTC)
    if hour is None:
        return base + timedelta(hours=23 if end else 0)
    if not 0 <= int(hour) <= 23:
        raise ValueError(f"hour out of range 0..23: {text!r}")
    return base + timedelta(hours=int(hour))


def hour_name(dt: datetime) -> str:
    """GH Archive's name for an hour: no zero padding on the hour."""
    return f"{dt:%Y-%m-%d}-{dt.hour}"


def parse_hours(spec: str) -> list[str]:
    """Expand an hour spec into hour names, in order, without duplicates."""
    hours: list[str] = []
    seen: set[str] = set()
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        if ".." in part:
            lo_text, hi_text = part.split("..", 1)
            lo, hi = _parse_point(lo_text, end=False), _parse_point(hi_text, end=True)
        else:
            lo, hi = _parse_point(part, end=False), _parse_point(part, end=True)
        if hi < lo:
            raise ValueError(f"empty range {part!r}: end before start")
        t = lo
        while t <= hi:
            name = hour_name(t)
            if name not in seen:
                seen.add(name)
                hours.append(name)
            t += timedelta(hours=1)
    if not hours:
        raise ValueError(f"no hours in {spec!r}")
    return hours


def hour_file(hour: str) -> str:
    """'2015-01-01-09' or '2015-01-01-9' -> '2015-01-01-9.json.gz'."""
    return f"{hour_name(_parse_point(hour, end=False))}.json.gz"


# --------------------------------------------------------------------------- locations
def is_http(base: str) -> bool:
    return base.startswith(("http://", "https://"))


def local_path(base: str) -> str:
    """file:///x -> /x; other paths (local dirs, gs://...) are returned unchanged."""
    if base.startswith("file://"):
        return unquote(urlparse(base).path)
    return base


def hour_location(base: str, hour: str) -> str:
    """Where one hour lives under `base` (URL, file://, local directory or Beam FileSystems path)."""
    base = base if is_http(base) else local_path(base)
    return f"{base.rstrip('/')}/{hour_file(hour)}"


# --------------------------------------------------------------------------- downloads
@dataclass
class DownloadStats:
    """What the downloader did; the Beam stage turns these into metrics."""

    downloaded: int = 0
    cache_hits: int = 0
    gaps: int = 0
    retries: int = 0
    resumed: int = 0
    bytes: int = 0


class DownloadError(RuntimeError):
    """An hour could not be fetched (not a 404: that is a gap); `reason` is its rejection code:
    download_failed (HTTP errors after every retry), download_invalid (not gzip, corrupt, incomplete,
    a Content-Range that does not continue the file), download_too_large, download_timeout."""

    def __init__(self, detail: str, reason: str = "download_failed"):
        super().__init__(detail)
        self.reason = reason


class _Invalid(Exception):
    """One attempt produced bytes that must not be cached (reason, detail); `keep`: resume them."""

    def __init__(self, reason: str, detail: str, keep: bool = False):
        super().__init__(detail)
        self.reason, self.keep = reason, keep


GZIP_MAGIC = b"\x1f\x8b"


def gzip_state(path: Path) -> str:
    """ "complete", "truncated" (a valid prefix) or "corrupt" (not gzip, bad data), read to the end in
    bounded memory (iter_decompressed works chunk by chunk)."""
    with open(path, "rb") as f:
        if f.read(2) != GZIP_MAGIC:
            return "corrupt"
        f.seek(0)
        try:
            for _ in iter_decompressed(f):
                pass
        except StreamBreak as brk:
            return "truncated" if brk.reason == "truncated_gzip" else "corrupt"
    return "complete"


@dataclass
class Downloader:
    """Fetch GH Archive hours over HTTP into a local cache directory. One per worker (holds a Session)."""

    base_url: str
    cache_dir: str | os.PathLike
    max_attempts: int = 6
    backoff_s: float = 1.0
    max_backoff_s: float = 60.0
    timeout_s: float = 60.0
    chunk_bytes: int = 1 << 20
    max_bytes: int = 1 << 30  # a 2024 hour is ~150 MB: an endless body stops here (download_too_large)
    deadline_s: float = 1800.0  # all attempts at one file, waits included (download_timeout)
    max_retry_after_s: float = 120.0  # a longer Retry-After is waited this long at most
    stats: DownloadStats = field(default_factory=DownloadStats)

    def __post_init__(self) -> None:
        self.cache = Path(self.cache_dir)
        self.cache.mkdir(parents=True, exist_ok=True)
        self.session = requests.Session()
        self.session.headers["User-Agent"] = "swe-corpus (GH Archive ingest)"

    def fetch(self, hour: str) -> Path | None:
        """The cached file of `hour`, downloading it if needed; None when the archive has no such hour."""
        name = hour_file(hour)
        target = self.cache / name
        if target.exists() and self._cached_ok(target):
            self.stats.cache_hits += 1
            return target
        gap_marker = self.cache / f"{name}.gap"
        if gap_marker.exists():
            self.stats.gaps += 1
            self.stats.cache_hits += 1
            return None
        url = hour_location(self.base_url, hour)
        shown = redact_url(url)
        part = self.cache / f"{name}.part"
        deadline = time.monotonic() + self.deadline_s
        invalid: _Invalid | None = None
        for attempt in range(1, self.max_attempts + 1):
            try:
                status = self._attempt(url, part, deadline)
                if status in (200, 416):  # the whole body, or the server confirms we hold all of it
                    self._accept(part, target, confirmed_end=status == 416)
            except (
                requests.ConnectionError,
                requests.Timeout,
                requests.exceptions.ChunkedEncodingError,
                urllib3.exceptions.HTTPError,  # raised by raw.read1: cut body, read timeout
            ) as exc:
                status, wait = type(exc).__name__, None
            except requests.RequestException as exc:  # not worth a retry (invalid URL...): its message
                raise DownloadError(f"{shown}: {type(exc).__name__}") from None  # holds the raw URL
            except _Invalid as exc:
                if exc.reason != "download_invalid":  # too large, too slow: retrying cannot help
                    part.unlink(missing_ok=True)
                    raise DownloadError(f"{shown}: {exc}", exc.reason) from None
                invalid, status, wait = exc, "invalid", None
                if not exc.keep:
                    part.unlink(missing_ok=True)
            else:
                if status in (200, 416):
                    self.stats.downloaded += 1
                    return target
                if status == 404:
                    self.stats.gaps += 1
                    part.unlink(missing_ok=True)
                    if _settled(hour):  # a recent hour may still be published: ask again next run
                        gap_marker.write_text(f"404 from {shown}\n")
                    return None
                wait = self._retry_after
                if status not in RETRY_STATUS:
                    raise DownloadError(f"{shown}: HTTP {status}")
            if attempt == self.max_attempts:
                break
            self.stats.retries += 1
            delay = wait if wait is not None else min(self.max_backoff_s, self.backoff_s * 2 ** (attempt - 1))
            if time.monotonic() + delay > deadline:
                part.unlink(missing_ok=True)
                raise DownloadError(
                    f"{shown}: no complete file within {self.deadline_s:.0f}s", "download_timeout"
                )
            why = f"invalid ({invalid})" if status == "invalid" else status
            log.warning("%s: %s, retry %d/%d in %.1fs", shown, why, attempt, self.max_attempts - 1, delay)
            time.sleep(delay)
        part.unlink(missing_ok=True)
        if status == "invalid":
            raise DownloadError(
                f"{shown}: gave up after {self.max_attempts} attempts: {invalid}", "download_invalid"
            )
        raise DownloadError(f"{shown}: gave up after {self.max_attempts} attempts (last: {status})")

    def _attempt(self, url: str, part: Path, deadline: float) -> int:
        """One GET into `part` (resuming it with Range when it has bytes). 200 means `part` holds the
        whole body as sent; 416 to our Range means the server has no byte beyond `part`."""
        self._retry_after = None
        have = part.stat().st_size if part.exists() else 0
        headers = {"Range": f"bytes={have}-"} if have else {}
        with self.session.get(url, headers=headers, stream=True, timeout=self.timeout_s) as resp:
            if resp.status_code == 416 and have:  # our partial file is already everything
                return 416
            if resp.status_code not in (200, 206):
                self._retry_after = _retry_after(resp, self.max_retry_after_s)
                return resp.status_code
            if resp.status_code == 206:
                start = _content_range_start(resp.headers.get("Content-Range"))
                if start != have:  # a 206 that restarts at 0 (or elsewhere) would splice two copies
                    raise _Invalid("download_invalid", f"206 starts at byte {start}, we have {have}")
                self.stats.resumed += 1
            else:
                have = 0  # the server ignored the Range: the whole file again
            expected = resp.headers.get("Content-Length")
            written = 0
            with open(part, "ab" if have else "wb") as out:
                # read1 hands over whatever arrived, so a connection cut mid-body keeps its bytes in
                # `part` for the next attempt's Range request (iter_content would drop its buffer).
                while block := resp.raw.read1(self.chunk_bytes, decode_content=False):
                    if not have and not written and block[:2] != GZIP_MAGIC[: len(block)]:
                        raise _Invalid("download_invalid", "the body is not gzip (an error page?)")
                    out.write(block)
                    written += len(block)
                    self.stats.bytes += len(block)
                    if have + written > self.max_bytes:
                        raise _Invalid("download_too_large", f"more than {self.max_bytes} bytes")
                    if time.monotonic() > deadline:
                        raise _Invalid("download_timeout", f"not complete within {self.deadline_s:.0f}s")
            if expected is not None and expected.isdigit() and written < int(expected):
                raise requests.exceptions.ChunkedEncodingError(f"short body: {written} of {expected} bytes")
        return 200

    def _accept(self, part: Path, target: Path, confirmed_end: bool) -> None:
        """Rename `part` into the cache if its gzip stream is whole (or the server confirmed its end)."""
        state = gzip_state(part)
        if state == "corrupt":
            raise _Invalid("download_invalid", "not a valid gzip stream")
        if state == "truncated" and not confirmed_end:  # resume it: the server may have the rest
            raise _Invalid("download_invalid", "gzip stream incomplete", keep=True)
        os.replace(part, target)  # atomic: a cached file is always checked
        _ok_note(target).write_text(f"{target.stat().st_size} {state}\n")

    def _cached_ok(self, target: Path) -> bool:
        """A cached hour may be used: its note matches its size, or (older cache, no note) it is whole
        now. Anything else is deleted so that it is downloaded again."""
        note = _ok_note(target)
        try:
            size = int(note.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            size = None
        if size == target.stat().st_size:
            return True
        if size is None and gzip_state(target) == "complete":
            note.write_text(f"{target.stat().st_size} complete\n")
            return True
        log.warning("%s in the cache is not a valid download: downloading it again", target.name)
        target.unlink(missing_ok=True)
        note.unlink(missing_ok=True)
        return False

    def evict(self, hour: str) -> None:
        """Forget a cached hour found broken while reading it (the next run downloads it again),
        unless it was accepted as truncated at the source."""
        target = self.cache / hour_file(hour)
        note = _ok_note(target)
        try:
            if note.read_text().split()[1] == "complete":
                target.unlink(missing_ok=True)
                note.unlink(missing_ok=True)
        except (OSError, IndexError):
            pass


def _ok_note(target: Path) -> Path:
    return target.with_name(target.name + ".ok")


def _content_range_start(value: str | None) -> int | None:
    """First byte of `Content-Range: bytes START-END/TOTAL`; None when absent or malformed."""
    if not value or not value.startswith("bytes "):
        return None
    first = value[6:].split("-", 1)[0].strip()
    return int(first) if first.isdigit() else None


def _settled(hour: str, now: datetime | None = None) -> bool:
    """An hour older than GAP_SETTLED_AFTER will not appear any more: its 404 can be cached."""
    start = _parse_point(hour, end=False)
    return (now or datetime.now(UTC)) - start > GAP_SETTLED_AFTER


def _retry_after(resp: requests.Response, cap: float) -> float | None:
    """Retry-After in seconds (at most `cap`: a server asking for a day must not stall the run)."""
    value = resp.headers.get("Retry-After")
    if value and value.isdigit():
        return min(float(value), cap)
    return None
