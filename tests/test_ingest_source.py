"""GH Archive source: hour syntax, locations, and downloads over real HTTP (a server on 127.0.0.1)."""

from __future__ import annotations

import gzip
import json
import threading
import time
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import duckdb
import orjson
import pytest

from swe_corpus import cli
from swe_corpus.gharchive import (
    Downloader,
    DownloadError,
    hour_file,
    hour_location,
    parse_hours,
)
from swe_corpus.redaction import redact_url as redact

# --------------------------------------------------------------------------- hours


def test_hour_ranges_single_hours_and_days():
    assert parse_hours("2015-01-01-22..2015-01-02-1") == [
        "2015-01-01-22",
        "2015-01-01-23",
        "2015-01-02-0",
        "2015-01-02-1",
    ]
    assert parse_hours("2015-01-01-09") == ["2015-01-01-9"]
    day = parse_hours("2015-01-01")
    assert len(day) == 24 and day[0] == "2015-01-01-0" and day[-1] == "2015-01-01-23"
    assert len(parse_hours("2015-01-01..2015-01-03")) == 72
    assert parse_hours("2015-01-01-5, 2015-01-01-3..2015-01-01-5") == [
        "2015-01-01-5",
        "2015-01-01-3",
        "2015-01-01-4",
    ]
    for bad in ("2015-01-01-24", "2015-1-1", "2015-01-02..2015-01-01", ""):
        with pytest.raises(ValueError):
            parse_hours(bad)


def test_locations_never_zero_pad():
    assert hour_file("2015-01-01-09") == "2015-01-01-9.json.gz"
    assert hour_location("https://data.gharchive.org/", "2015-01-01-9") == (
        "https://data.gharchive.org/2015-01-01-9.json.gz"
    )
    assert (
        hour_location("file:///data/gh%20archive", "2015-01-01-0") == "/data/gh archive/2015-01-01-0.json.gz"
    )
    assert hour_location("/data/gh", "2015-01-01-0") == "/data/gh/2015-01-01-0.json.gz"
    assert hour_location("gs://bucket/gh", "2015-01-01-0") == "gs://bucket/gh/2015-01-01-0.json.gz"


def test_urls_are_redacted_for_logs_and_rows():
    assert redact("https://user:tok@example.org:8443/a/2015-01-01-0.json.gz?sig=abc") == (
        "https://example.org:8443/a/2015-01-01-0.json.gz"
    )
    assert redact("/local/dir/2015-01-01-0.json.gz") == "/local/dir/2015-01-01-0.json.gz"
    # a URL urllib.parse refuses (bad port, bad IPv6) is still redacted, never an error at log time
    assert redact("https://tok@host:notaport/x?sig=1") == "https://host:notaport/x"
    assert redact("https://u:p@[::1/x#frag") == "https://[::1/x"


# --------------------------------------------------------------------------- HTTP server
class Archive:
    """What the test server serves, how it misbehaves, and every request it saw."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.fail_first: dict[str, list[int]] = {}  # name -> statuses to answer before serving
        self.interrupt_once: set[str] = set()  # names whose first full GET stops mid-body
        self.bad_length: set[str] = set()  # names served with a Content-Length that is not a number
        self.hostile: dict[str, str] = {}  # name -> how it misbehaves (see `Handler.misbehave`)
        self.requests: dict[str, list[str | None]] = defaultdict(list)  # name -> Range headers
        self.lock = threading.Lock()


def make_handler(archive: Archive):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # keep pytest output clean
            pass

        def do_GET(self):
            name = self.path.rsplit("/", 1)[-1]
            rng = self.headers.get("Range")
            with archive.lock:
                archive.requests[name].append(rng)
                failures = archive.fail_first.get(name)
                status = failures.pop(0) if failures else None
                interrupt = name in archive.interrupt_once and rng is None
                if interrupt:
                    archive.interrupt_once.discard(name)
            if status is not None:
                self.send_error(status)
                return
            data = archive.files.get(name)
            if name in archive.hostile:
                self.misbehave(archive.hostile[name], data, rng)
                return
            if data is None:
                self.send_error(404)
                return
            start = int(rng.split("=")[1].rstrip("-")) if rng else 0
            if start and start >= len(data):
                self.send_error(416)
                return
            body = data[start:]
            self.send_response(206 if rng else 200)
            if rng:
                self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
            self.send_header("Content-Length", "abc" if name in archive.bad_length else str(len(body)))
            self.end_headers()
            if interrupt:
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                self.close_connection = True
                return
            self.wfile.write(body)

        def misbehave(self, mode: str, data: bytes, rng: str | None) -> None:
            """Hostile answers: every one of them used to be renamed into the cache as a whole hour."""
            if mode == "retry_after":
                self.send_response(503)
                self.send_header("Retry-After", "100000")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if mode == "range_restart" and rng:  # a 206 that starts again at byte 0
                self.send_response(206)
                self.send_header("Content-Range", f"bytes 0-{len(data) - 1}/{len(data)}")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                return
            self.send_response(200)
            if mode == "short_length":  # a Content-Length smaller than the body
                self.send_header("Content-Length", str(len(data) // 2))
            self.end_headers()
            self.close_connection = True
            try:
                if mode in ("truncated", "range_restart"):  # no Content-Length, cut mid-body
                    self.wfile.write(data[: len(data) // 2])
                elif mode == "short_length":
                    self.wfile.write(data)
                elif mode in ("html", "endless_gzip"):  # an endless body
                    self.wfile.write(b"<html>" if mode == "html" else data[:64])
                    while True:
                        self.wfile.write(b"x" * 65536)
                elif mode == "drip":  # one byte at a time, forever
                    for byte in data:
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                        time.sleep(0.2)
            except OSError:  # the client gave up: that is the point
                pass

    return Handler


@pytest.fixture()
def archive():
    arch = Archive()
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(arch))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    arch.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield arch
    server.shutdown()
    server.server_close()


def hour_bytes(n: int, seed: int) -> bytes:
    lines = []
    for i in range(n):
        lines.append(
            orjson.dumps(
                {
                    "id": f"{seed}{i:06d}",
                    "type": "IssuesEvent" if i % 2 else "PushEvent",
                    "actor": {"login": "alice"},
                    "repo": {"id": 7, "name": "octo/cat"},
                    "payload": {"action": "opened", "issue": {"number": i, "title": "x" * 200}},
                    "created_at": "2016-03-01T10:00:00Z",
                }
            )
        )
    return gzip.compress(b"\n".join(lines) + b"\n")


# --------------------------------------------------------------------------- downloader
def test_downloader_retries_resumes_and_caches(archive, tmp_path):
    archive.files = {hour_file(h): hour_bytes(400, k) for k, h in enumerate(["2016-03-01-1", "2016-03-01-2"])}
    archive.fail_first = {"2016-03-01-1.json.gz": [503, 503]}
    archive.interrupt_once = {"2016-03-01-2.json.gz"}
    dl = Downloader(archive.url, tmp_path, backoff_s=0.01)

    assert dl.fetch("2016-03-01-0") is None  # gap
    flaky = dl.fetch("2016-03-01-1")
    assert flaky.read_bytes() == archive.files["2016-03-01-1.json.gz"]
    assert archive.requests["2016-03-01-1.json.gz"] == [None, None, None]
    resumed = dl.fetch("2016-03-01-2")
    data = archive.files["2016-03-01-2.json.gz"]
    assert resumed.read_bytes() == data
    assert archive.requests["2016-03-01-2.json.gz"] == [None, f"bytes={len(data) // 2}-"]
    assert (dl.stats.downloaded, dl.stats.gaps, dl.stats.retries, dl.stats.resumed) == (2, 1, 3, 1)
    assert not list(tmp_path.glob("*.part"))

    before = sum(len(v) for v in archive.requests.values())
    again = Downloader(archive.url, tmp_path)
    assert again.fetch("2016-03-01-1") == flaky and again.fetch("2016-03-01-0") is None
    assert sum(len(v) for v in archive.requests.values()) == before  # cache hit + cached gap
    assert again.stats.cache_hits == 2


def test_downloader_gives_up_after_bounded_attempts(archive, tmp_path):
    archive.files = {"2016-03-01-1.json.gz": b"x"}
    archive.fail_first = {"2016-03-01-1.json.gz": [500, 429, 500]}
    with pytest.raises(DownloadError):
        Downloader(archive.url, tmp_path, max_attempts=3, backoff_s=0.01).fetch("2016-03-01-1")
    assert len(archive.requests["2016-03-01-1.json.gz"]) == 3
    assert not (tmp_path / "2016-03-01-1.json.gz").exists()


def test_malformed_content_length_is_not_a_crash(archive, tmp_path):
    archive.files = {"2016-03-01-1.json.gz": hour_bytes(10, 1)}
    archive.bad_length = {"2016-03-01-1.json.gz"}
    path = Downloader(archive.url, tmp_path, max_attempts=2, backoff_s=0.01).fetch("2016-03-01-1")
    assert path.read_bytes() == archive.files["2016-03-01-1.json.gz"]


def test_unusable_url_is_a_download_error_without_its_secrets(tmp_path):
    """requests puts the whole URL in its message (InvalidURL, MissingSchema...): never in a row or log."""
    with pytest.raises(DownloadError) as err:
        Downloader("https://user:s3cret@/x?sig=TOKEN", tmp_path, max_attempts=1).fetch("2016-03-01-1")
    assert "s3cret" not in str(err.value) and "TOKEN" not in str(err.value)


def test_recent_404_is_not_cached(archive, tmp_path):
    dl = Downloader(archive.url, tmp_path)
    assert dl.fetch("2099-01-01-0") is None and dl.fetch("2099-01-01-0") is None
    assert len(archive.requests["2099-01-01-0.json.gz"]) == 2


# --------------------------------------------------------------------------- the stage over HTTP
def ingest(url: str, out, cache, capsys) -> str:
    argv = ["ingest", "--hours", "2016-03-01-0..2016-03-01-3", "--gharchive-url", url]
    argv += ["--out", str(out), "--cache-dir", str(cache), "--download-backoff-s", "0.01"]
    assert cli.main(argv) == 0
    return capsys.readouterr().out


def test_stage_over_http_then_from_cache(archive, tmp_path, capsys):
    hours = ["2016-03-01-1", "2016-03-01-2", "2016-03-01-3"]  # 2016-03-01-0 is missing
    archive.files = {hour_file(h): hour_bytes(300, k) for k, h in enumerate(hours)}
    archive.fail_first = {"2016-03-01-2.json.gz": [503, 503]}
    archive.interrupt_once = {"2016-03-01-3.json.gz"}
    cache = tmp_path / "cache"

    printed = ingest(archive.url, tmp_path / "run1", cache, capsys)
    counts = json.loads((tmp_path / "run1" / "manifest.json").read_text())["counters"]
    assert (counts["files"], counts["gaps"]) == (3, 1) and "gap_404=1" in printed
    n_requests = sum(len(v) for v in archive.requests.values())
    assert n_requests == 1 + 1 + 3 + 2  # gap, plain, 503 x2 + ok, interrupted + resumed

    ingest(archive.url, tmp_path / "run2", cache, capsys)
    assert sum(len(v) for v in archive.requests.values()) == n_requests  # entirely from the cache
    assert (
        json.loads((tmp_path / "run2" / "manifest.json").read_text())["counters"]["download_cache_hits"] == 4
    )

    for run in ("run1", "run2"):
        events = duckdb.sql(
            f"select source_file, count(*) n from '{tmp_path / run}/events/*.parquet' group by 1 order by 1"
        ).fetchall()
        assert events == [(hour_file(h), 150) for h in hours]
        rejected = duckdb.sql(
            f"select stage, reason, source_file from '{tmp_path / run}/rejected/*.parquet'"
        ).fetchall()
        assert rejected == [("ingest", "gap_404", "2016-03-01-0.json.gz")]


def test_stage_records_a_failed_download_and_goes_on(archive, tmp_path, capsys):
    archive.files = {"2016-03-01-0.json.gz": hour_bytes(10, 0), "2016-03-01-1.json.gz": hour_bytes(10, 1)}
    archive.fail_first = {"2016-03-01-0.json.gz": [500, 500, 500]}
    argv = ["ingest", "--hours", "2016-03-01-0..2016-03-01-1", "--gharchive-url", archive.url]
    argv += [
        "--out",
        str(tmp_path / "out"),
        "--cache-dir",
        str(tmp_path / "c"),
        "--download-backoff-s",
        "0.01",
    ]
    assert cli.main([*argv, "--download-max-attempts", "2"]) == 0
    assert "download_failed=1" in capsys.readouterr().out
    rejected = duckdb.sql(f"select reason, source_file from '{tmp_path}/out/rejected/*.parquet'").fetchall()
    assert rejected == [("download_failed", "2016-03-01-0.json.gz")]
    events = duckdb.sql(f"select count(*) from '{tmp_path}/out/events/*.parquet'").fetchall()
    assert events == [(5,)]


# --------------------------------------------------------------------------- hostile archive server
HOUR, NAME = "2016-03-01-1", "2016-03-01-1.json.gz"


def nothing_cached(path) -> bool:
    return not [p.name for p in path.iterdir() if not p.name.endswith(".gap")]


@pytest.mark.parametrize("mode", ["truncated", "short_length", "html"])
def test_incomplete_or_foreign_bodies_never_enter_the_cache(archive, tmp_path, mode):
    archive.files = {NAME: hour_bytes(400, 3)}
    archive.hostile = {NAME: mode}
    with pytest.raises(DownloadError) as err:
        Downloader(archive.url, tmp_path, max_attempts=3, backoff_s=0.01).fetch(HOUR)
    assert err.value.reason == "download_invalid"
    assert len(archive.requests[NAME]) == 3 and nothing_cached(tmp_path)


def test_a_206_restarting_at_zero_is_not_spliced(archive, tmp_path):
    data = hour_bytes(400, 4)
    archive.files, archive.hostile = {NAME: data}, {NAME: "range_restart"}
    with pytest.raises(DownloadError):  # cut first, then 206 from byte 0 to every Range: never appended
        Downloader(archive.url, tmp_path, max_attempts=4, backoff_s=0.01).fetch(HOUR)
    assert archive.requests[NAME][1] is not None and nothing_cached(tmp_path)
    archive.hostile = {}  # the server recovers: the hour arrives whole, as served
    assert Downloader(archive.url, tmp_path, backoff_s=0.01).fetch(HOUR).read_bytes() == data


@pytest.mark.parametrize(
    ("mode", "options", "reason"),
    [
        ("endless_gzip", {"max_bytes": 200_000}, "download_too_large"),
        ("drip", {"deadline_s": 1.0}, "download_timeout"),
        ("retry_after", {"max_retry_after_s": 0.05}, "download_failed"),
    ],
)
def test_one_server_cannot_stall_the_run(archive, tmp_path, mode, options, reason):
    archive.files, archive.hostile = {NAME: hour_bytes(400, 5)}, {NAME: mode}
    start = time.monotonic()
    with pytest.raises(DownloadError) as err:
        Downloader(archive.url, tmp_path, max_attempts=3, backoff_s=0.01, **options).fetch(HOUR)
    assert err.value.reason == reason and time.monotonic() - start < 10
    assert nothing_cached(tmp_path)


def test_poisoned_cache_is_downloaded_again_and_a_source_truncated_hour_is_kept(archive, tmp_path):
    data = hour_bytes(400, 6)
    archive.files = {NAME: data, "2016-03-01-2.json.gz": data[: len(data) // 2]}
    (tmp_path / NAME).write_bytes(data[:100])  # left by an older version: truncated, no .ok note
    dl = Downloader(archive.url, tmp_path, backoff_s=0.01)
    assert dl.fetch(HOUR).read_bytes() == data and archive.requests[NAME] == [None]
    # a file the server itself ends early (GH Archive has some): accepted once a 416 confirms its end
    half = dl.fetch("2016-03-01-2")
    assert half.read_bytes() == data[: len(data) // 2]
    assert archive.requests["2016-03-01-2.json.gz"] == [None, f"bytes={len(data) // 2}-"]
    assert (tmp_path / "2016-03-01-2.json.gz.ok").read_text().split()[1] == "truncated"
    before = sum(len(v) for v in archive.requests.values())
    assert (
        dl.fetch(HOUR)
        and dl.fetch("2016-03-01-2")
        and sum(len(v) for v in archive.requests.values()) == before
    )


def test_a_cached_hour_found_broken_while_reading_is_downloaded_again(archive, tmp_path):
    from pipelines.ingest import ReadHourFn

    data = hour_bytes(400, 7)
    archive.files = {NAME: data}
    fn = ReadHourFn(archive.url, str(tmp_path), 1000, {"backoff_s": 0.01})
    fn.setup()
    assert not [r for r in fn.process(HOUR) if getattr(r, "tag", None)]  # clean: no rejection
    broken = bytearray(data)
    broken[len(data) // 2 : len(data) // 2 + 64] = bytes(64)  # damaged on disk, same size as checked
    (tmp_path / NAME).write_bytes(bytes(broken))
    reasons = {r.value["reason"] for r in fn.process(HOUR) if getattr(r, "tag", None)}
    assert reasons & {"corrupt_gzip", "truncated_gzip"} and not (tmp_path / NAME).exists()
    assert len(archive.requests[NAME]) == 1
    list(fn.process(HOUR))  # the next read downloads it again, whole
    assert (tmp_path / NAME).read_bytes() == data and len(archive.requests[NAME]) == 2
