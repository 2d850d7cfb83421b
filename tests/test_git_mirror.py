"""Mirroring over file:// and real HTTP (git http-backend on 127.0.0.1): failures, limits, security."""

from __future__ import annotations

import base64
import logging
import os
import socket
import subprocess
import threading
import time
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
from helpers.extract_world import LIMITS, REPO, build_world
from helpers.git import RepoBuilder, git_out
from helpers.git_http import GitHTTPHandler

from swe_corpus.extract import ExtractConfig, extract_pr, extract_repo
from swe_corpus.git_mirror import GitMirror, MirrorConfig, MirrorError, safe_git_config
from swe_corpus.git_repo import GitError, GitRepo
from swe_corpus.redaction import redact_text as redact
from swe_corpus.relevant import ImportResolver, LocalPredictor, PRContext

TOKEN = "ghp_s3cr3tT0KEN"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    w = build_world(tmp_path_factory.mktemp("mirror"))
    git_out(w["bare"], "config", "uploadpack.allowFilter", "true")
    handler = type("H", (GitHTTPHandler,), {"project_root": str(w["root"] / "serve")})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    w["http"] = f"http://127.0.0.1:{server.server_address[1]}"
    yield w
    server.shutdown()


@pytest.fixture(scope="module")
def hanging_port():
    """A server that accepts TCP connections (kernel backlog) and never answers."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    yield sock.getsockname()[1]
    sock.close()


def mirror(world, tmp_path, template: str, **kw) -> GitMirror:
    return GitMirror(MirrorConfig(cache_dir=str(tmp_path / "cache"), url_template=template, **kw))


@pytest.mark.parametrize("mode", ["full", "blobless"])
def test_http_clone_with_token_then_extract(world, tmp_path, caplog, mode):
    caplog.set_level(logging.DEBUG)
    template = world["http"].replace("http://", f"http://x-access-token:{TOKEN}@") + "/git/{repo}.git"
    m = mirror(world, tmp_path, template, clone_mode=mode)
    path = m.ensure(REPO)
    assert git_out(path, "rev-parse", "refs/pull/4/head").decode().strip() == world["prs"][4]["head_sha"]
    with GitRepo.of_mirror(path, m) as repo:
        ext = extract_pr(repo, world["prs"][1], LIMITS)  # blobless: blobs arrive lazily over HTTP
    assert ext.columns["extraction_method"] == "merge_base" and ext.blobs
    assert TOKEN not in caplog.text
    # the URL's token is never written into the mirror (blobless: remote.origin.url has none)
    assert not [p for p in path.rglob("*") if p.is_file() and TOKEN.encode() in p.read_bytes()]


def test_full_clone_keeps_the_token_off_command_lines(world, tmp_path, monkeypatch):
    """Command lines are world-readable (/proc/PID/cmdline): the token travels in git's environment."""
    argvs, popen = [], subprocess.Popen

    def recording_popen(cmd, *args, **kwargs):
        argvs.append(cmd)
        return popen(cmd, *args, **kwargs)

    monkeypatch.setattr(subprocess, "Popen", recording_popen)
    template = world["http"].replace("http://", f"http://x-access-token:{TOKEN}@") + "/git/{repo}.git"
    path = mirror(world, tmp_path, template).ensure(REPO)
    assert git_out(path, "rev-parse", "refs/pull/4/head").decode().strip() == world["prs"][4]["head_sha"]
    assert argvs and not [cmd for cmd in argvs if TOKEN in " ".join(cmd)]
    basic = base64.b64encode(f"x-access-token:{TOKEN}".encode()).decode()
    assert f"Basic {basic}" in GitHTTPHandler.authorizations


def test_missing_repo_and_auth_required_are_rejected_without_leaking_token(world, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    authed = world["http"].replace("http://", f"http://u:{TOKEN}@")
    cfg = ExtractConfig(
        mirror=MirrorConfig(cache_dir=str(tmp_path / "c1"), url_template=authed + "/git/{repo}.git")
    )
    rows = [{**world["prs"][1], "repo": "acme/missing", "instance_id": "acme__missing-1"}]
    out = list(extract_repo("acme/missing", rows, cfg))
    assert [r.reason for _, r in out] == ["repo_not_found"]
    cfg.mirror = MirrorConfig(cache_dir=str(tmp_path / "c2"), url_template=authed + "/auth/{repo}.git")
    out2 = list(extract_repo(REPO, [world["prs"][1]], cfg))
    assert [r.reason for _, r in out2] == ["repo_auth_required"]
    everything = repr(out) + repr(out2) + caplog.text
    assert TOKEN not in everything, everything


def test_hanging_server_is_rejected_within_time_limit(world, tmp_path, hanging_port):
    cfg = ExtractConfig(
        mirror=MirrorConfig(
            cache_dir=str(tmp_path / "c"),
            url_template=f"http://127.0.0.1:{hanging_port}/{{repo}}.git",
            clone_timeout_s=2,
        )
    )
    out = list(extract_repo(REPO, [world["prs"][1], world["prs"][2]], cfg))
    assert [r.reason for _, r in out] == ["clone_timeout", "clone_timeout"]
    assert not list((tmp_path / "c").rglob("HEAD"))  # no half-made mirror left behind


def test_repo_size_limit(world, tmp_path):
    m = mirror(world, tmp_path, f"file://{world['root']}/serve/{{repo}}.git", max_repo_bytes=1)
    with pytest.raises(MirrorError) as e:
        m.ensure(REPO)
    assert e.value.reason in ("repo_too_large",)


def test_hooks_never_run(world, tmp_path):
    """A reference-transaction hook in the mirror fires on every ref update of a plain fetch; ours never."""
    m = mirror(world, tmp_path, f"file://{world['root']}/serve/{{repo}}.git", refresh=True)
    path = m.ensure(REPO)
    marker = tmp_path / "marker"
    git_out(path, "update-ref", "-d", "refs/heads/main")  # so the next fetch has a ref to update
    hook = path / "hooks" / "reference-transaction"
    hook.parent.mkdir(exist_ok=True)
    hook.write_text(f"#!/bin/sh\ntouch {marker}\n")
    hook.chmod(0o755)
    m.ensure(REPO)
    assert git_out(path, "rev-parse", "refs/heads/main")
    assert not marker.exists()
    git_out(path, "-c", "core.hooksPath=/dev/null", "update-ref", "-d", "refs/heads/main")
    git_out(
        path, "fetch", "-q", f"file://{world['bare']}", "+refs/heads/*:refs/heads/*"
    )  # control: plain git
    assert marker.exists()


def test_transports_and_names(world, tmp_path):
    with pytest.raises(ValueError):
        MirrorConfig(cache_dir=str(tmp_path), url_template="ext::sh -c touch% /tmp/pwned")
    refused = subprocess.run(
        ["git", *safe_git_config("https"), "ls-remote", f"file://{world['bare']}"], capture_output=True
    )
    assert refused.returncode != 0 and b"not allowed" in refused.stderr
    m = mirror(world, tmp_path, "https://github.com/{repo}.git")
    for bad in ["../evil", "a/../../b", "/etc/passwd", "a/b/c", "a/.git", "owner/..", "a\nb/c"]:
        with pytest.raises(MirrorError) as e:
            m.path_for(bad)
        assert e.value.reason == "invalid_repo_name"
    assert Path(tmp_path / "cache") in m.path_for("o/n.js").parents
    assert (
        redact(f"fatal: https://user:{TOKEN}@github.com/o/r.git") == "fatal: https://***@github.com/o/r.git"
    )
    assert (
        redact(f"fetch 'https://cdn.example/o/r.git?sig={TOKEN}#x' failed")
        == "fetch 'https://cdn.example/o/r.git' failed"
    )


def pack_count(path: Path) -> int:
    return len(list((path / "objects" / "pack").glob("*.pack")))


def test_blobless_mirror_lists_trees_without_fetching_blobs(world, tmp_path):
    """In a partial clone `ls-tree -l` and `git grep` fetch every missing blob, one pack each."""
    m = mirror(world, tmp_path, f"file://{world['root']}/serve/{{repo}}.git", clone_mode="blobless")
    path = m.ensure(REPO)
    full = mirror(world, tmp_path / "full", f"file://{world['root']}/serve/{{repo}}.git").ensure(REPO)
    base = world["prs"][1]["base_sha"]
    before = pack_count(path)
    with GitRepo(path, m.transport) as repo, GitRepo(full) as full_repo:
        tree = repo.tree(base)
        assert pack_count(path) == before
        assert tree == full_repo.tree(base) and len(tree) > 5
        assert repo.partial and not full_repo.partial
        ctx = PRContext(repo, base, ["src/pkg/helpers.py"], {}, "")
        assert LocalPredictor.importers(ctx, ImportResolver(tree)) == {}  # no grep storm
        assert pack_count(path) == before
        full_ctx = PRContext(full_repo, base, ["src/pkg/helpers.py"], {}, "")
        assert LocalPredictor.importers(full_ctx, ImportResolver(tree)) == {
            "src/pkg/core.py": "src/pkg/helpers.py"
        }


def test_stalled_lazy_fetch_times_out(world, tmp_path, hanging_port):
    """A blob fetched lazily through the long-running cat-file from a server that never answers."""
    m = mirror(world, tmp_path, world["http"] + "/git/{repo}.git", clone_mode="blobless")
    path = m.ensure(REPO)
    git_out(path, "config", "remote.origin.url", f"http://127.0.0.1:{hanging_port}/{REPO}.git")
    blob = (
        git_out(world["bare"], "rev-parse", f"{world['prs'][1]['base_sha']}:src/pkg/core.py").decode().strip()
    )
    with GitRepo(path, m.transport, timeout_s=2) as repo:
        with pytest.raises(GitError) as e:
            repo.contents(blob)
        assert e.value.reason == "git_timeout"
        assert repo.has_commit(world["prs"][1]["base_sha"])  # a fresh cat-file serves the next request


def test_temp_dirs_of_killed_clones_are_removed(world, tmp_path):
    """A worker killed mid-clone leaves `.{name}.git.XXXXXXXX`; the next clone deletes it once stale."""
    m = mirror(world, tmp_path, f"file://{world['root']}/serve/{{repo}}.git", clone_timeout_s=60)
    parent = m.path_for(REPO).parent
    stale, live = parent / ".widgets.git.abcd1234", parent / ".widgets.git.efgh5678"
    other = parent / ".widgets.git.git.abcd1234"  # a temp dir of the repository `acme/widgets.git`
    for d in (stale, live, other):
        (d / "objects").mkdir(parents=True)
    hour_ago = time.time() - 3600
    for d in (stale, other):
        os.utime(d, (hour_ago, hour_ago))
    m.ensure(REPO)
    assert not stale.exists() and live.exists() and other.exists()


def test_merge_reachable_only_from_a_tag_resolves(tmp_path):
    """A release merged on a branch that was then deleted, only its tag left: tags are fetched (and
    counted), so the PR's merge commit is in the mirror and the PR extracts."""
    b = RepoBuilder(tmp_path / "work")
    b.write("pkg/mod.py", "VALUE = 1\n")
    base = b.commit("initial")
    b.git("checkout", "-q", "-b", "release-1.x")
    b.write("pkg/mod.py", "VALUE = 2\n")
    merge = b.commit("Fix value (#5)")
    b.git("tag", "v1.0.1")
    b.git("checkout", "-q", "main")
    b.git("branch", "-q", "-D", "release-1.x")
    b.publish(tmp_path / "serve" / "acme" / "tagged.git")
    config = ExtractConfig(
        mirror=MirrorConfig(
            cache_dir=str(tmp_path / "cache"), url_template=f"file://{tmp_path}/serve/{{repo}}.git"
        ),
        limits=LIMITS,
        relevant="none",
    )
    pr = {"instance_id": "acme__tagged-5", "repo": "acme/tagged", "number": 5, "merge_commit_sha": merge}
    out = list(extract_repo("acme/tagged", [pr], config))
    rows = [v for k, v in out if k == "pull_requests"]
    assert [r["base_commit"] for r in rows] == [base]
    assert "+VALUE = 2" in rows[0]["patch"]
    assert ("count", ("mirror_tags", 1)) in out


def test_a_mirror_cached_before_tags_were_fetched_is_fetched_again(tmp_path):
    """A cache from an older version (its marker a bare timestamp, no tags) is not reused as it is."""
    b = RepoBuilder(tmp_path / "work")
    b.write("pkg/mod.py", "VALUE = 1\n")
    b.commit("initial")
    b.git("tag", "v1")
    b.publish(tmp_path / "serve" / "acme" / "old.git")
    m = GitMirror(
        MirrorConfig(cache_dir=str(tmp_path / "cache"), url_template=f"file://{tmp_path}/serve/{{repo}}.git")
    )
    path = m.ensure("acme/old")
    m.cache.release()
    git_out(path, "tag", "-d", "v1")
    (path / ".swe-corpus-complete").write_text("1700000000.0")  # the marker an older version wrote
    path = m.ensure("acme/old")
    assert git_out(path, "tag").split() == [b"v1"]
    assert (path / ".swe-corpus-complete").read_text().startswith("format-2 ")
