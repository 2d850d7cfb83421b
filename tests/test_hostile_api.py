"""A hostile GitHub API on 127.0.0.1 against hydration: names from events that walk out of /repos, an
endless answer, endless pagination, a rate-limit reset 30 years ahead, a server that echoes the token."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from pipelines import prs as stage
from swe_corpus.github_api import ClientConfig, GitHubClient, HydrationError, hydrate_issue

TOKEN = "ghp_HOSTILEapiT0KEN"
REPO = "acme/widgets"


class Hostile(BaseHTTPRequestHandler):
    seen: list[tuple[str, str | None]] = []

    def log_message(self, *args):
        pass

    def do_GET(self):  # noqa: N802 - http.server API
        self.seen.append((self.path, self.headers.get("Authorization")))
        path = self.path.split("?")[0]
        if path == f"/repos/{REPO}/issues/1":  # endless JSON answer
            self._head(200, {"Content-Type": "application/json"})
            try:
                self.wfile.write(b'{"body": "')
                while True:
                    self.wfile.write(b"x" * 65536)
            except OSError:
                return
        if path == f"/repos/{REPO}/issues/2/comments":  # every page full, forever
            return self._json(200, [{"id": i, "body": "c"} for i in range(2)])
        if path in (f"/repos/{REPO}/issues/3", f"/repos/{REPO}/pulls/3"):  # quota gone for 30 years
            reset = str(int(time.time()) + 30 * 365 * 86400)
            return self._json(
                403,
                {"message": "API rate limit exceeded"},
                {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset},
            )
        if path == f"/repos/{REPO}/issues/4":  # echoes the request's Authorization header back
            echoed = self.headers.get("Authorization", "")
            return self._json(200, {"number": 4, "title": "t", "body": f"you sent {echoed}"})
        return self._json(200, {"number": 1, "title": "should never be asked", "body": "", "comments": 0})

    def _head(self, status: int, headers: dict) -> None:
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()

    def _json(self, status: int, body, headers: dict | None = None) -> None:
        data = json.dumps(body).encode()
        self._head(
            status, {"Content-Type": "application/json", "Content-Length": str(len(data)), **(headers or {})}
        )
        self.wfile.write(data)


@pytest.fixture(scope="module")
def api():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Hostile)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def client(api, tmp_path, sleeps: list | None = None, **kw) -> GitHubClient:
    cfg = ClientConfig(base_url=api, cache_dir=str(tmp_path / "api"), token=TOKEN, **kw)
    return GitHubClient(cfg, sleep=(sleeps.append if sleeps is not None else time.sleep))


@pytest.mark.parametrize(
    "name", ["../../user", "acme/widgets/../../../user", "acme/widgets\n", "acme/..", "a b/c"]
)
def test_names_from_events_never_reach_a_url(api, tmp_path, name):
    before = len(Hostile.seen)
    with pytest.raises(HydrationError) as err:
        hydrate_issue(client(api, tmp_path), name, 1)
    assert err.value.reason == "invalid_repo_name" and len(Hostile.seen) == before  # nothing was asked


def test_quoted_names_stay_inside_repos(api, tmp_path):
    client(api, tmp_path).issue("acme/wid.gets", 9)
    assert Hostile.seen[-1][0] == "/repos/acme/wid.gets/issues/9"


def test_endless_answer_and_endless_pagination_are_bounded(api, tmp_path):
    c = client(api, tmp_path, max_response_bytes=1 << 20, per_page=2, max_pages=3)
    with pytest.raises(HydrationError) as big:
        c.issue(REPO, 1)
    assert big.value.reason == "api_response_too_large"
    before = len(Hostile.seen)
    with pytest.raises(HydrationError) as pages:
        c.issue_comments(REPO, 2)
    assert pages.value.reason == "api_too_many_pages" and len(Hostile.seen) - before == 3


def test_rate_limit_reset_decades_ahead_is_rejected_not_waited(api, tmp_path):
    sleeps: list[float] = []
    fn = stage.HydratePullRequestsFn(stage.PrsConfig(hydrate=True, github_api_url=api))
    fn.client = client(api, tmp_path, sleeps)
    fn.pool = __import__("concurrent.futures").futures.ThreadPoolExecutor(1)
    with pytest.raises(HydrationError) as err:
        fn.client.issue(REPO, 3)
    assert err.value.reason == "api_rate_limited" and sleeps == []
    # in the stage: the PR is a `hydrate` rejection with that reason, the run goes on
    (out,) = list(fn.process([{"repo": REPO, "number": 3, "instance_id": "acme__widgets-3"}]))
    assert (out.tag, out.value["stage"], out.value["reason"]) == (
        stage.REJECTED_TAG,
        "hydrate",
        "api_rate_limited",
    )
    assert sleeps == []
    fn.teardown()


def test_an_answer_echoing_the_token_is_neither_cached_nor_kept(api, tmp_path):
    with pytest.raises(HydrationError) as err:
        client(api, tmp_path).issue(REPO, 4)
    assert err.value.reason == "api_token_echoed" and TOKEN not in str(err.value)
    cached = [p for p in (tmp_path / "api").rglob("*") if p.is_file()]
    assert not [p for p in cached if TOKEN in p.read_text()]
