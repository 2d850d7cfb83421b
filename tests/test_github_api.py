"""Hydration against a GitHub-API-shaped server on 127.0.0.1: real-shaped JSON, ETag/304 from the
on-disk cache, rate-limit exhaustion (the client waits and succeeds), 404 -> rejection, and the token
never in logs, errors or outputs."""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from helpers.events import comment, event, events_table, merged_pr
from helpers.tables import rows

from pipelines import prs as stage
from swe_corpus.events import normalize_event
from swe_corpus.github_api import (
    ClientConfig,
    GitHubClient,
    HydrationError,
    NotFound,
    hydrate_issue,
    issue_from_api,
)
from swe_corpus.manifest import funnel_from_counters, render_funnel
from swe_corpus.pull_requests import hints_text

TOKEN = "ghp_TESTTOKEN0123456789abcdefSECRET"
REPO = "wayofthepie/test-events"


def user(login: str) -> dict:
    return {"login": login, "id": 1, "type": "User", "url": f"https://api.github.com/users/{login}"}


def ref(name: str, sha: str) -> dict:
    return {"label": f"x:{name}", "ref": name, "sha": sha, "repo": {"full_name": REPO, "id": 316335970}}


def api_pull(number: int, body: str) -> dict:
    return {
        "url": f"https://api.github.com/repos/{REPO}/pulls/{number}",
        "id": 558121796,
        "number": number,
        "state": "closed",
        "locked": False,
        "title": "Handle empty input",
        "user": user("wayofthepie"),
        "body": body,
        "created_at": "2025-10-10T10:00:00Z",
        "updated_at": "2025-10-10T12:00:00Z",
        "closed_at": "2025-10-10T12:00:00Z",
        "merged_at": "2025-10-10T12:00:00Z",
        "merge_commit_sha": "a" * 40,
        "labels": [],
        "draft": False,
        "head": ref("test", "184cb4b61e26de7cccc385d37da25cd8bd817d27"),
        "base": ref("master", "dfbedd9e1470e53f3a0f2e408e4d6808585b6987"),
        "author_association": "OWNER",
        "merged": True,
        "comments": 0,
        "commits": 1,
    }


def api_issue(number: int) -> dict:
    return {
        "url": f"https://api.github.com/repos/{REPO}/issues/{number}",
        "id": 9000 + number,
        "number": number,
        "title": "Crash on empty input",
        "user": user("reporter"),
        "state": "closed",
        "labels": [{"id": 1, "name": "bug", "color": "d73a4a", "default": True}],
        "comments": 2,
        "created_at": "2024-03-01T09:00:00Z",
        "updated_at": "2025-10-10T12:00:00Z",
        "body": "Running with an empty file crashes.",
        "author_association": "NONE",
    }


def api_comments(number: int) -> list[dict]:
    return [
        {
            "id": 1,
            "user": user("helper"),
            "created_at": "2024-03-02T09:00:00Z",
            "body": "Traceback points at parse()",
        },
        {"id": 2, "user": user("reporter"), "created_at": "2025-10-11T09:00:00Z", "body": "Fixed, thanks"},
    ]


class FakeGitHub(BaseHTTPRequestHandler):
    routes: dict[str, object] = {}
    limited_once: set[str] = set()
    secondary_once: set[str] = set()
    html: set[str] = set()  # 200 with an HTML page (a proxy or captive portal), not JSON
    log: list[tuple[str, int, str | None, str | None]] = []

    def do_GET(self):  # noqa: N802 - http.server API
        path = self.path
        base = path.split("?")[0]
        if base in self.limited_once:
            self.limited_once.discard(base)
            return self._send(
                403,
                {"message": "API rate limit exceeded"},
                {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(time.time()) + 2)},
            )
        if base in self.secondary_once:  # secondary limit: 429 + Retry-After, no quota headers
            self.secondary_once.discard(base)
            return self._send(
                429, {"message": "You have exceeded a secondary rate limit."}, {"Retry-After": "1"}
            )
        if base in self.html:
            return self._send(200, b"<html><body>Sign in to the network</body></html>", {"ETag": '"h"'})
        if base in self.routes:
            body = json.dumps(self.routes[base]).encode()
            etag = '"' + hashlib.sha1(body).hexdigest() + '"'
            if self.headers.get("If-None-Match") == etag:
                return self._send(304, None, {"ETag": etag})
            return self._send(200, body, {"ETag": etag, "X-RateLimit-Remaining": "4999"})
        return self._send(404, {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"})

    def _send(self, status: int, body, headers: dict | None = None):
        self.log.append(
            (self.path, status, self.headers.get("Authorization"), self.headers.get("If-None-Match"))
        )
        data = body if isinstance(body, bytes) else (json.dumps(body).encode() if body is not None else b"")
        self.send_response(status)
        for k, v in {"Content-Type": "application/json", **(headers or {})}.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):  # keep test output quiet
        pass


@pytest.fixture(scope="module")
def server():
    FakeGitHub.routes = {
        f"/repos/{REPO}/pulls/8": api_pull(8, "Fixes #3\n<!-- fixes #99 -->"),
        f"/repos/{REPO}/issues/3": api_issue(3),
        f"/repos/{REPO}/issues/3/comments": api_comments(3),
        f"/repos/{REPO}/issues/4": api_issue(4),
        f"/repos/{REPO}/issues/4/comments": [],
        f"/repos/{REPO}/issues/6/comments": {"message": "not a list"},
        # JSON of the right type in the wrong shape: no number; a string where an object belongs
        f"/repos/{REPO}/issues/7": {"message": "Moved Permanently"},
        f"/repos/{REPO}/issues/7/comments": [],
        f"/repos/{REPO}/pulls/10": {**api_pull(10, "x"), "base": "main"},
    }
    FakeGitHub.html = {f"/repos/{REPO}/issues/5", f"/repos/{REPO}/pulls/9"}
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), FakeGitHub)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_etag_second_client_is_served_304_from_disk_cache(server, tmp_path):
    config = ClientConfig(base_url=server, cache_dir=str(tmp_path), token=TOKEN)
    first = GitHubClient(config).issue(REPO, 4)
    second_client = GitHubClient(config)
    assert second_client.issue(REPO, 4) == first and first["title"] == "Crash on empty input"
    assert second_client.stats.cache_hits == 1
    path = f"/repos/{REPO}/issues/4"
    assert [(s, inm is not None) for p, s, _a, inm in FakeGitHub.log if p == path][-2:] == [
        (200, False),
        (304, True),
    ]
    assert all(TOKEN not in f.read_text() for f in tmp_path.iterdir())


def test_rate_limit_exhaustion_waits_until_reset_then_succeeds(server, tmp_path):
    FakeGitHub.limited_once.add(f"/repos/{REPO}/issues/4/comments")
    client = GitHubClient(ClientConfig(base_url=server, token=TOKEN))
    start = time.time()
    assert client.issue_comments(REPO, 4) == []
    assert client.stats.rate_limit_waits == 1 and time.time() - start >= 1.0


def test_secondary_limit_retry_after_is_honoured(server):
    FakeGitHub.secondary_once.add(f"/repos/{REPO}/issues/4")
    client = GitHubClient(ClientConfig(base_url=server, token=TOKEN))
    assert client.issue(REPO, 4)["number"] == 4
    assert (client.stats.rate_limit_waits, client.stats.waited_s, client.stats.requests) == (1, 1.0, 2)


def test_404_raises_not_found_without_token(server, caplog):
    caplog.set_level(logging.DEBUG)
    client = GitHubClient(ClientConfig(base_url=server, token=TOKEN))
    with pytest.raises(NotFound) as err:
        client.pull(REPO, 12345)
    assert "404" in str(err.value) and TOKEN not in str(err.value) and TOKEN not in repr(client)
    assert any(a == f"Bearer {TOKEN}" for _p, _s, a, _i in FakeGitHub.log)  # it was sent, as a header
    assert TOKEN not in caplog.text


def test_html_200_is_a_hydration_error_not_a_crash(server, tmp_path):
    client = GitHubClient(ClientConfig(base_url=server, cache_dir=str(tmp_path), token=TOKEN))
    with pytest.raises(HydrationError, match="invalid JSON") as err:
        client.issue(REPO, 5)
    assert not isinstance(err.value, NotFound) and TOKEN not in str(err.value)
    with pytest.raises(HydrationError, match="expected a JSON list, got dict"):
        client.issue_comments(REPO, 6)


def test_html_200_becomes_an_api_error_rejection_in_the_stage(server):
    fn = stage.HydratePullRequestsFn(stage.PrsConfig(hydrate=True, github_api_url=server))
    fn.setup()
    pr = {"repo": REPO, "number": 9, "instance_id": "wayofthepie__test-events-9"}
    (out,) = list(fn.process([pr]))
    assert (out.tag, out.value["reason"], out.value["detail"]) == (
        stage.REJECTED_TAG,
        "api_error",
        f"GET /repos/{REPO}/pulls/9: invalid JSON",
    )


def test_wrong_shaped_answers_are_api_error_rejections_not_a_crash(server):
    fn = stage.HydratePullRequestsFn(stage.PrsConfig(hydrate=True, github_api_url=server))
    fn.setup()
    (out,) = list(fn.process([{"repo": REPO, "number": 10, "instance_id": "x-10"}]))
    assert (out.tag, out.value["reason"]) == (stage.REJECTED_TAG, "api_error")
    assert out.value["detail"].startswith(f"pull {REPO}#10: unexpected JSON shape (AttributeError")
    client = GitHubClient(ClientConfig(base_url=server))
    with pytest.raises(HydrationError, match=f"issue {REPO}#7: unexpected JSON shape \\(KeyError"):
        hydrate_issue(client, REPO, 7)


def test_hydrating_dofns_share_the_process_client_and_keep_their_pool(server):
    config = stage.PrsConfig(hydrate=True, github_api_url=server)
    prs_fn, issues_fn = stage.HydratePullRequestsFn(config), stage.HydrateIssuesFn(config)
    prs_fn.setup()
    issues_fn.setup()
    assert prs_fn.client is issues_fn.client  # one semaphore: api_concurrency per worker process
    pool = prs_fn.pool
    pr = {"repo": REPO, "number": 9, "instance_id": "wayofthepie__test-events-9"}
    for _ in range(2):
        list(prs_fn.process([pr]))
    assert prs_fn.pool is pool  # not a new pool per batch
    prs_fn.teardown()
    issues_fn.teardown()
    assert prs_fn.pool is None and pool._shutdown


def test_cache_write_failure_is_logged_and_the_answer_still_served(server, tmp_path, caplog):
    cache = tmp_path / "cache"
    client = GitHubClient(ClientConfig(base_url=server, cache_dir=str(cache), token=TOKEN))
    cache.rmdir()
    cache.write_text("a file where the cache directory was")  # every write now fails (even as root)
    assert client.issue(REPO, 4)["number"] == 4
    assert "cache write failed" in caplog.text and TOKEN not in caplog.text


def test_cache_dir_that_cannot_be_created_disables_the_cache(server, tmp_path, caplog):
    (tmp_path / "file").write_text("")
    client = GitHubClient(ClientConfig(base_url=server, cache_dir=str(tmp_path / "file" / "c")))
    assert client.issue(REPO, 4)["number"] == 4 and "no ETag cache" in caplog.text


def test_unreadable_api_times_are_null_and_never_hints():
    when = datetime(2024, 3, 1, 9, tzinfo=UTC)
    issue = {"number": 3, "title": "t", "created_at": "yesterday"}
    comments = [
        {"id": 1, "created_at": "2024-13-45T00:00:00Z", "body": "bad month"},
        {"id": 2, "created_at": 1709283600, "body": "a number"},
        {"id": 3, "created_at": "2024-03-01T09:00:00Z", "body": "readable"},
        {"id": 4, "body": "no time"},
    ]
    row = issue_from_api(issue, comments, REPO)
    assert row["created_at"] is None
    assert [(c["id"], c["created_at"]) for c in row["comments"]] == [
        (3, when),
        (1, None),
        (2, None),
        (4, None),
    ]
    assert hints_text([row], datetime(2025, 1, 1, tzinfo=UTC)) == "readable"


# --------------------------------------------------------------------------- pipeline with --hydrate
def hydration_events(shared_data: Path | None) -> list[dict]:
    """A trimmed-era PR #8 (opened + merged, no text) from the real trimmed event; PR #20 (2015 shape)
    linking issue #3 opened before the window; trimmed PR #21 that the API does not know (404)."""
    raw = json.loads((shared_data / "gharchive" / "trimmed-2025-10-pull_request_event.json").read_text())
    opened = {**raw, "created_at": "2025-10-10T10:00:00Z"}
    merged = {
        **raw,
        "id": str(int(raw["id"]) + 1),
        "created_at": "2025-10-10T12:00:00Z",
        "payload": {**raw["payload"], "action": "merged"},
    }
    gone = {
        **merged,
        "id": str(int(raw["id"]) + 2),
        "payload": {
            **merged["payload"],
            "number": 21,
            "pull_request": {**merged["payload"]["pull_request"], "number": 21},
        },
    }
    trimmed = [normalize_event(o, "2025-10-10-12.json.gz", i) for i, o in enumerate((opened, merged, gone))]
    assert trimmed[0]["payload_era"] == "trimmed" and trimmed[0]["title"] is None
    window = merged_pr(20, repo=REPO, repo_id=316335970, body="Fixes #3")
    window += merged_pr(22, repo=REPO, repo_id=316335970, body="Closes #4")
    for r in window:
        r["created_at"] = r["item_created_at"] = datetime(2025, 10, 1, tzinfo=UTC)
    old_issue = comment(
        4,
        0,
        "still broken",
        401,
        on_pr=False,
        repo=REPO,
        repo_id=316335970,
        title="Old text",
        body="old body",
    )
    old_issue["created_at"], old_issue["item_created_at"] = (
        datetime(2025, 10, 1, 1, tzinfo=UTC),
        datetime(2024, 3, 1, tzinfo=UTC),
    )
    opened = event("IssuesEvent", 77, repo=REPO, repo_id=316335970, action="opened", title="x", body="y")
    return trimmed + window + [old_issue, opened]


def run_cli(events: list[dict], work: Path, *flags: str) -> tuple[dict, str]:
    (work / "in" / "events").mkdir(parents=True, exist_ok=True)
    pq.write_table(events_table(events), work / "in" / "events" / "part-0.parquet")
    parser = argparse.ArgumentParser()
    stage.add_arguments(parser)
    args = parser.parse_args(
        [
            "--events",
            str(work / "in"),
            "--out",
            str(work / "out"),
            "--hydrate-cache-dir",
            str(work.parent / "api-cache"),  # shared by the runs: the second one revalidates with ETags
            *flags,
        ]
    )
    funnel, _seconds = stage.run_pipeline(args)
    return funnel, render_funnel(funnel_from_counters(funnel))


@pytest.fixture(scope="module")
def hydrated(server, shared_data, tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("GITHUB_TOKEN", TOKEN)
    work = tmp_path_factory.mktemp("hydrate")
    events = hydration_events(shared_data)
    handler = _Capture()
    root = logging.getLogger()
    root.addHandler(handler)
    old_level, root.level = root.level, logging.DEBUG
    FakeGitHub.limited_once.add(f"/repos/{REPO}/issues/3/comments")  # the pipeline must wait, then go on
    try:
        first = run_cli(events, work / "run1", "--hydrate", "--github-api-url", server)
        before = len(FakeGitHub.log)
        second = run_cli(events, work / "run2", "--hydrate", "--github-api-url", server)
        plain = run_cli(events, work / "plain")
    finally:
        mp.undo()
        root.removeHandler(handler)
        root.setLevel(old_level)
    work.joinpath("logs.txt").write_text("\n".join(handler.lines))
    return work, first, second, plain, FakeGitHub.log[before:]


class _Capture(logging.Handler):
    """Every log record of the pipeline runs (the client, requests/urllib3, Beam), formatted."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record):
        self.lines.append(self.format(record) + repr(record.args))


def test_trimmed_pr_and_old_issue_hydrated(hydrated):
    work, (funnel, _summary), *_ = hydrated
    got = {r["number"]: r for r in rows(work / "run1" / "out", "pull_requests")}
    assert sorted(got) == [8, 20, 22]
    pr8 = got[8]
    assert (pr8["title"], pr8["user_login"], pr8["merge_commit_sha"], pr8["hydrated"]) == (
        "Handle empty input",
        "wayofthepie",
        "a" * 40,
        True,
    )
    assert pr8["base_sha"] == "dfbedd9e1470e53f3a0f2e408e4d6808585b6987"
    for pr in (pr8, got[20]):  # issue #3 predates the window: its text and comments come from the API
        (issue,) = pr["linked_issues"]
        assert (issue["number"], issue["hydrated"], issue["labels"]) == (3, True, ["bug"])
        assert pr["problem_statement"] == "Crash on empty input\nRunning with an empty file crashes.\n"
    assert got[20]["hints_text"] == "Traceback points at parse()"
    # issue #4 is in the events (a comment) but was opened before the window: re-fetched for its comments
    assert [(i["number"], i["title"], i["hydrated"]) for i in got[22]["linked_issues"]] == [
        (4, "Crash on empty input", True)
    ]
    rejected = {(r["instance_id"], r["stage"], r["reason"]) for r in rows(work / "run1" / "out", "rejected")}
    assert rejected == {("wayofthepie__test-events-21", "hydrate", "not_found")}
    assert (
        funnel["hydrate:in"] == 4
        and funnel["hydrate:kept"] == 3
        and funnel["hydrate:rejected:not_found"] == 1
    )


def test_second_run_is_served_from_etag_cache(hydrated):
    *_, second_log = hydrated
    statuses = {(p.split("?")[0], s) for p, s, _a, _i in second_log}
    assert (f"/repos/{REPO}/pulls/8", 304) in statuses and (f"/repos/{REPO}/issues/3", 304) in statuses
    assert not any(s == 200 for _p, s in statuses)


def test_without_hydration_rejected_with_precise_reasons(hydrated):
    work, *_, (funnel, summary), _log = hydrated
    rejected = {(r["instance_id"], r["stage"], r["reason"]) for r in rows(work / "plain" / "out", "rejected")}
    assert rejected == {
        ("wayofthepie__test-events-8", "prs", "trimmed_era_no_text"),
        ("wayofthepie__test-events-21", "prs", "trimmed_era_no_text"),
        ("wayofthepie__test-events-20", "link", "issue_not_in_events"),
    }
    assert "trimmed_era_no_text=2" in summary
    (pr22,) = rows(work / "plain" / "out", "pull_requests", "SELECT * FROM t WHERE number = 22")
    assert [(i["title"], i["hydrated"]) for i in pr22["linked_issues"]] == [
        ("Old text", False)
    ]  # events text kept


def test_token_never_in_logs_errors_or_outputs(hydrated):
    work, first, second, *_ = hydrated
    logs = (work / "logs.txt").read_text()
    assert "rate-limit" in logs or "rate limited" in logs  # the client logged its wait...
    assert "Bearer" not in logs and TOKEN not in logs  # ...and nothing secret
    assert TOKEN not in first[1] + second[1]
    for path in work.rglob("*"):
        if path.is_file():
            assert TOKEN.encode() not in path.read_bytes(), path
    for table in ("pull_requests", "issues", "rejected"):
        for row in rows(work / "run1" / "out", table):
            assert TOKEN not in json.dumps(row, default=str)
