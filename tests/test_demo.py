"""The offline demo world: deterministic, valid git, and hour files consistent with the repositories."""

from __future__ import annotations

import gzip
import json
import subprocess
import tomllib
from pathlib import Path

import pytest

from swe_corpus.cli import main as cli_main
from swe_corpus.config import CorpusConfig
from swe_corpus.demo import generate, use_demo_world
from swe_corpus.demo.spec import DATA, SCENARIOS, Say, from_table


@pytest.fixture(scope="module")
def worlds(tmp_path_factory) -> tuple[Path, dict, Path, dict]:
    a, b = tmp_path_factory.mktemp("world_a"), tmp_path_factory.mktemp("world_b")
    return a, generate(a), b, generate(b)


def git(repo: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=check)


def read_events(hours: Path) -> list[dict]:
    """Every event in the hour files, tolerating the deliberately damaged lines."""
    decoder, events = json.JSONDecoder(), []
    for path in sorted(hours.glob("*.json.gz")):
        for raw in gzip.decompress(path.read_bytes()).split(b"\n"):
            text, pos = raw.decode("utf-8", "replace").strip("\x00"), 0
            try:
                while pos < len(text):
                    obj, pos = decoder.raw_decode(text, pos)
                    events.append(obj)
            except ValueError:
                continue
    return events


def test_same_seed_same_bytes_and_refs(worlds):
    a, wa, b, wb = worlds
    names = sorted(p.name for p in (a / "hours").iterdir())
    assert names == sorted(p.name for p in (b / "hours").iterdir())
    assert names == [f"2024-05-06-{h}.json.gz" for h in (10, 11, 12, 9)]  # no zero padding
    for name in names:
        assert (a / "hours" / name).read_bytes() == (b / "hours" / name).read_bytes(), name
    assert {r: v["refs"] for r, v in wa["repos"].items()} == {r: v["refs"] for r, v in wb["repos"].items()}
    for repo in wa["repos"]:
        assert (
            git(a / "repos" / f"{repo}.git", "for-each-ref").stdout
            == git(b / "repos" / f"{repo}.git", "for-each-ref").stdout
        )
    assert wa["prs"] == wb["prs"] and wa["damaged_lines"] == wb["damaged_lines"]


def test_repos_are_valid_bare_git(worlds):
    a, world, _, _ = worlds
    assert len(world["repos"]) >= 5
    assert len({v["language"] for v in world["repos"].values()}) >= 3
    for repo in world["repos"]:
        path = a / "repos" / f"{repo}.git"
        assert git(path, "rev-parse", "--is-bare-repository").stdout.strip() == "true"
        fsck = git(path, "fsck", "--strict", "--no-dangling", check=False)
        assert fsck.returncode == 0, fsck.stderr
        assert git(path, "symbolic-ref", "HEAD").stdout.strip() == "refs/heads/main"


def test_every_sha_in_the_hours_exists_in_its_repo(worlds):
    a, _, _, _ = worlds
    wanted: dict[str, set[str]] = {}
    for ev in read_events(a / "hours"):
        p, repo = ev["payload"], ev["repo"]["name"]
        shas = wanted.setdefault(repo, set())
        pr = p.get("pull_request") or {}
        for side in ("base", "head"):
            if side in pr:
                shas.add(pr[side]["sha"])
        if pr.get("merge_commit_sha"):
            shas.add(pr["merge_commit_sha"])
        for key in ("comment", "review"):
            if isinstance(p.get(key), dict) and p[key].get("commit_id"):
                shas.add(p[key]["commit_id"])
        if ev["type"] == "PushEvent":
            shas |= {p["head"], p["before"], *(c["sha"] for c in p["commits"])}
    assert sum(len(s) for s in wanted.values()) > 50
    for repo, shas in wanted.items():
        batch = "".join(f"{s}^{{commit}}\n" for s in sorted(shas))
        out = subprocess.run(
            ["git", "-C", str(a / "repos" / f"{repo}.git"), "cat-file", "--batch-check"],
            input=batch,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert "missing" not in out, (repo, out)


def test_fork_pr_head_only_reachable_via_refs_pull(worlds):
    a, world, _, _ = worlds
    pr = next(p for p in world["prs"] if p["from_fork"])
    assert pr["merge_method"] == "squash" and pr["from_fork"] == "lena-ortiz/confpy"
    upstream = a / "repos" / f"{pr['repo']}.git"
    containing = git(
        upstream, "for-each-ref", "--contains", pr["head_sha"], "--format=%(refname)"
    ).stdout.split()
    assert containing == [f"refs/pull/{pr['number']}/head"]
    fork = a / "repos" / f"{pr['from_fork']}.git"
    assert "refs/heads/fix-inline-comments" in git(fork, "for-each-ref", "--contains", pr["head_sha"]).stdout
    # the rebase-merged PR's original head is likewise only under refs/pull
    rebased = next(p for p in world["prs"] if p["merge_method"] == "rebase" and p["expect"] == "rl_seed")
    repo = a / "repos" / f"{rebased['repo']}.git"
    assert git(repo, "merge-base", "--is-ancestor", rebased["head_sha"], "main", check=False).returncode == 1
    assert git(repo, "merge-base", "--is-ancestor", rebased["merge_commit_sha"], "main").returncode == 0


def test_world_covers_the_cases_the_pipeline_must_handle(worlds):
    a, world, _, _ = worlds
    prs = {p["instance_id"]: p for p in world["prs"]}
    assert 20 <= len(prs) <= 40
    assert {p["merge_method"] for p in prs.values()} >= {"merge", "squash", "rebase"}
    assert {p["kind"] for p in prs.values()} >= {
        "bugfix",
        "feature",
        "refactor",
        "bot",
        "duplicate",
        "benchmark",
        "unmerged",
    }
    exp = world["expected"]
    assert len(exp["rl_seed"]) >= 5 and "psf__requests-2317" in exp["rejected"]
    for iid in exp["rl_seed"]:
        p = prs[iid]
        repo = a / "repos" / f"{p['repo']}.git"
        assert p["linked_issues"] and p["merged"]
        assert any("test" in f.lower() for f in p["changed_files"]), iid
        assert any("test" not in f.lower() for f in p["changed_files"]), iid
        base = git(repo, "merge-base", p["base_sha"], p["head_sha"]).stdout.strip()
        for rel in p["relevant_files"]:  # present at the merge base and unchanged by the PR
            assert rel not in p["changed_files"]
            assert git(repo, "cat-file", "-e", f"{base}:{rel}", check=False).returncode == 0, (iid, rel)
    kinds = {d["kind"] for d in world["damaged_lines"]}
    assert kinds == {"duplicate_event", "not_json", "two_objects_on_one_line", "nul_padding", "invalid_utf8"}
    assert world["git_url_template"].endswith("/repos/{repo}.git")


def test_events_describe_the_prs(worlds):
    a, world, _, _ = worlds
    events = read_events(a / "hours")
    types = {e["type"] for e in events}
    assert types >= {
        "PullRequestEvent",
        "IssuesEvent",
        "IssueCommentEvent",
        "PullRequestReviewCommentEvent",
        "PullRequestReviewEvent",
        "ForkEvent",
        "PushEvent",
        "WatchEvent",
    }
    closed = {
        (e["repo"]["name"], e["payload"]["number"]): e["payload"]["pull_request"]
        for e in events
        if e["type"] == "PullRequestEvent" and e["payload"]["action"] == "closed"
    }
    for p in world["prs"]:
        pr = closed.get((p["repo"], p["number"]))
        if p["merged"]:
            assert pr["merged"] is True and pr["merge_commit_sha"] == p["merge_commit_sha"]
            assert pr["head"]["sha"] == p["head_sha"] and pr["base"]["sha"] == p["base_sha"]
    bots = [
        e
        for e in events
        if e["type"] == "PullRequestEvent" and e["payload"]["pull_request"]["user"]["type"] == "Bot"
    ]
    assert {e["repo"]["name"] for e in bots} == {"lumen-js/datefmt", "gridstack/kvcache"}
    raw = b"".join(gzip.decompress(p.read_bytes()) for p in (a / "hours").glob("*.gz"))
    assert b"\x00" * 64 in raw and b"\xff\xfe" in raw
    ids = [e["id"] for e in events]
    assert len(ids) - len(set(ids)) == 1  # the event filed twice


def test_cli_reuses_an_existing_world(worlds, capsys):
    a, world, _, _ = worlds
    before = (a / "world.json").stat().st_mtime_ns
    assert cli_main(["demo", "--out", str(a)]) == 0
    assert (a / "world.json").stat().st_mtime_ns == before
    assert world["hours"] in capsys.readouterr().out


def test_an_incomplete_world_is_regenerated(worlds):
    _, _, b, world = worlds  # last test to use world_b
    victim = b / "hours" / world["hour_files"][0]
    victim.unlink()
    again = generate(b)
    assert victim.is_file() and again["prs"] == world["prs"]


def test_corpus_without_hours_points_the_config_at_the_demo_world(worlds):
    a, world, _, _ = worlds
    cfg = CorpusConfig()
    cfg.demo.demo_dir = str(a)
    assert use_demo_world(cfg)["prs"] == world["prs"]
    assert cfg.ingest.hours == "2024-05-06-9..2024-05-06-12"
    assert cfg.ingest.gharchive_url == (a / "hours").resolve().as_uri()
    assert cfg.extract.git_url_template.format(repo="psf/requests").endswith("/repos/psf/requests.git")
    cfg.ingest.hours = "2015-01-01-1"
    assert use_demo_world(cfg) is None and cfg.ingest.hours == "2015-01-01-1"


def test_answer_key_is_derived_from_the_scenarios(worlds):
    _, world, _, _ = worlds
    exp = world["expected"]
    # the fork's PR cherry-picks gridstack/kvcache#8: that PR represents the cluster
    assert exp["duplicate_clusters"] == [
        {
            "representative": "gridstack__kvcache-8",
            "members": ["gridstack__kvcache-8", "tkowalski__kvcache-3"],
        }
    ]
    assert exp["benchmark_task_prs"] == ["psf__requests-2317"]
    assert [name for name, repo in world["repos"].items() if repo["benchmark_named"]] == ["psf/requests"]
    for cluster in exp["duplicate_clusters"]:
        assert set(cluster["members"]) - {cluster["representative"]} <= set(exp["rejected"])


def test_every_file_of_the_scenarios_repositories_is_written_once():
    """repos/<scenario>/main/ holds what the history writes, repos/<scenario>/pr-N/ what PR N's commits write:
    no file is left over or shared."""
    data = Path(str(DATA))
    written = []
    for scenario in SCENARIOS:
        for repo in tomllib.loads((data / "scenarios" / f"{scenario}.toml").read_text())["repo"]:
            layers = [("main", c) for c in repo.get("history", [])]
            layers += [(f"pr-{pr['number']}", c) for pr in repo.get("prs", []) for c in pr["commits"]]
            written += [f"{scenario}/{layer}/{path}" for layer, c in layers for path in c.get("write", [])]
    files = [
        p.relative_to(data / "repos").as_posix()
        for p in (data / "repos").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    ]
    assert sorted(written) == sorted(files)
    assert sorted(p.stem for p in (data / "scenarios").glob("*.toml")) == sorted(SCENARIOS)


def test_a_scenario_key_that_is_no_field_is_an_error():
    with pytest.raises(ValueError, match="Say has no field kinds"):
        from_table(Say, {"at": 1, "author": "a", "body": "", "kinds": "review"})
