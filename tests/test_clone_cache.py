"""The clone cache's size budget (issue 13, item 4): least recently used mirrors evicted, a mirror in use
never, also when another process holds it. Real repositories made with `git`, mirrored by `GitMirror`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest

from pipelines.extract import config_from_corpus
from swe_corpus import config as corpus_config
from swe_corpus.cli import main as cli
from swe_corpus.clone_cache import COMPLETE_MARKER, SIZE_FILE, CloneCache, dir_bytes
from swe_corpus.git_mirror import GitMirror, MirrorConfig

GIT_ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.com",
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "GIT_CONFIG_NOSYSTEM": "1",
}
REPOS = ("acme/a", "acme/b", "acme/c", "other/d")


def git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", *args], cwd=cwd, env=GIT_ENV, check=True, capture_output=True)


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Path:
    """Bare repositories under serve/<owner>/<name>.git, each with ~40 KB of incompressible content."""
    root = tmp_path_factory.mktemp("served")
    for i, repo in enumerate(REPOS):
        work = root / "work" / repo
        work.mkdir(parents=True)
        git("init", "-q", "-b", "main", cwd=work)
        (work / "data.bin").write_bytes(os.urandom(40_000 + i))
        git("add", ".", cwd=work)
        git("commit", "-qm", f"{repo} content", cwd=work)
        bare = root / "serve" / f"{repo}.git"
        bare.parent.mkdir(parents=True, exist_ok=True)
        git("clone", "-q", "--bare", str(work), str(bare), cwd=root)
    return root / "serve"


def mirror(served: Path, cache: Path, budget: int) -> GitMirror:
    return GitMirror(
        MirrorConfig(
            cache_dir=str(cache), url_template=served.as_uri() + "/{repo}.git", cache_max_bytes=budget
        )
    )


def cached(cache: Path) -> set[str]:
    return {
        f"{p.parent.name}/{p.name.removesuffix('.git')}"
        for p in cache.glob("*/*.git")
        if (p / COMPLETE_MARKER).exists()
    }


def use(m: GitMirror, repo: str) -> Path:
    path = m.ensure(repo)
    m.cache.release()
    return path


def test_least_recently_used_mirrors_are_evicted(served, tmp_path):
    probe = mirror(served, tmp_path / "probe", 0)
    one = dir_bytes(use(probe, "acme/a"))
    cache = tmp_path / "cache"
    m = mirror(served, cache, budget=int(2.5 * one))  # room for two mirrors, not three
    use(m, "acme/a")
    use(m, "acme/b")
    assert cached(cache) == {"acme/a", "acme/b"}
    use(m, "acme/a")  # a is used again: b is now the least recently used
    use(m, "acme/c")
    assert cached(cache) == {"acme/a", "acme/c"}
    use(m, "other/d")
    assert cached(cache) == {"acme/c", "other/d"}
    assert sum(dir_bytes(cache / f"{r}.git") for r in cached(cache)) <= int(2.5 * one)
    # an evicted repository is simply cloned again, and its size is recorded for the next pass
    path = use(m, "acme/b")
    assert cached(cache) == {"other/d", "acme/b"} and int((path / SIZE_FILE).read_text()) > 40_000
    assert not list(cache.glob("*/.*.evicting"))


def test_no_budget_keeps_everything(served, tmp_path):
    m = mirror(served, tmp_path / "cache", budget=0)
    for repo in REPOS:
        use(m, repo)
    assert cached(tmp_path / "cache") == set(REPOS)


HOLDER = textwrap.dedent(
    """
    import sys
    from swe_corpus.git_mirror import GitMirror, MirrorConfig
    m = GitMirror(MirrorConfig(cache_dir=sys.argv[1], url_template=sys.argv[2], cache_max_bytes=1))
    m.ensure(sys.argv[3])
    print("holding", flush=True)
    sys.stdin.read()  # until the test closes our stdin
    m.cache.release()
    print("released", flush=True)
    """
)


def test_a_mirror_another_process_uses_is_never_evicted(served, tmp_path):
    cache = tmp_path / "cache"
    template = served.as_uri() + "/{repo}.git"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(cache), template, "acme/a"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "holding"
        m = mirror(served, cache, budget=1)  # everything is over budget
        use(m, "acme/b")
        use(m, "acme/c")  # evicts b; a is in use by the other process
        assert cached(cache) == {"acme/a", "acme/c"}
        m.ensure("other/d")  # held by this mirror while it works on it
        assert cached(cache) == {"acme/a", "other/d"}
        # another holder of ours (another worker thread) cannot evict what this one holds either
        other = mirror(served, cache, budget=1)
        use(other, "acme/b")
        assert cached(cache) == {"acme/a", "other/d", "acme/b"}
        m.cache.release()
    finally:
        holder.stdin.close()
        assert holder.stdout.readline().strip() == "released"
        holder.wait(timeout=60)
    use(m, "acme/c")  # nobody holds a, b or d any more
    assert cached(cache) == {"acme/c"}


def test_a_pass_killed_half_way_leaves_no_mirror_that_looks_complete(served, tmp_path):
    cache = tmp_path / "cache"
    m = mirror(served, cache, budget=1)
    path = use(m, "acme/a")
    aside = path.with_name(f".{path.name}.0123456789ab.evicting")
    os.rename(path, aside)  # what a pass killed between its rename and its delete leaves
    assert cached(cache) == set()
    CloneCache(cache, max_bytes=1).evict()
    assert not aside.exists()


def test_budget_setting(tmp_path):
    cfg = corpus_config.CorpusConfig()
    assert cfg.extract.git_cache_max_gb == 50.0
    assert config_from_corpus(cfg.extract).mirror.cache_max_bytes == 50 * 2**30
    with pytest.raises(corpus_config.ConfigError, match="git_cache_max_gb must be >= 0"):
        corpus_config.config_from_dict({"extract": {"git_cache_max_gb": -1}})
    toml = (Path(__file__).resolve().parents[1] / "corpus.toml").read_text()
    assert "\ngit_cache_max_gb = 50.0\n" in toml


def test_corpus_run_within_a_tiny_budget_gives_the_seeds(tmp_path):
    """The demo world with room for no mirror: each repository is evicted once the next one is admitted,
    and every expected seed is still made (a mirror is never evicted while its PRs are extracted)."""
    cache = tmp_path / "git"
    code = cli(
        ["corpus", "--demo-dir", str(tmp_path / "world"), "--out", str(tmp_path / "out")]
        + ["--cache-dir", str(tmp_path / "gh"), "--git-cache-dir", str(cache), "--git-cache-max-gb", "1e-9"]
    )
    assert code == 0
    world = json.loads((tmp_path / "world" / "world.json").read_text())
    seeds = duckdb.sql(f"select instance_id from read_parquet('{tmp_path}/out/rl_seed/*.parquet')").fetchall()
    assert {s for (s,) in seeds} == set(world["expected"]["rl_seed"])
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["input"]["repos_mirrored"] > 1 and not manifest["input"]["repos_failed"]
    assert len(cached(cache)) == 1  # the last repository extracted
