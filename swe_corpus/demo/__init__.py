"""The offline demo world: real git repositories plus GH Archive hour files describing their PRs.

`swe-corpus demo --out DIR` (and `swe-corpus corpus` without hours) builds, with nothing but `git`:

- ``DIR/repos/<owner>/<name>.git``: bare repositories in Python, JavaScript/TypeScript, Go and Java with
  believable histories: bug fixes with linked issues (source + test, the fixed file imports a helper),
  features, refactors, docs, a PR from a fork (its commits live only in the fork and in the upstream's
  ``refs/pull/N/head``), merge-commit, squash and rebase merges, bot version bumps of lock files, the same
  fix cherry-picked into a fork with its own PR, and a repository named like a SWE-bench one;
- ``DIR/hours/YYYY-MM-DD-H.json.gz``: GH Archive hours (Events API shape, 2015+) for those PRs, issues,
  comments and reviews, mixed with event types ingest skips, plus damaged lines (not JSON, two objects on
  one line, NUL padding, invalid UTF-8) and an event repeated in the next hour;
- ``DIR/world.json``: what a correct pipeline must make of it (seeds, rejections and why, damaged lines).

The world is data: one TOML file per repository scenario in ``scenarios/`` and the repositories' files
as real files in ``repos/<scenario>/`` (see `swe_corpus.demo.spec`); the answer key is derived from the
scenarios. The builder plays them: `builder` (timeline, git, events), `hours`, `manifest`.

Everything is deterministic: fixed identities and dates through git's environment variables, gzip
without timestamps, and one seeded `random.Random` for the little jitter there is. Same seed, same bytes.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import tempfile
from pathlib import Path

from swe_corpus.demo.builder import WorldBuilder
from swe_corpus.demo.hours import HourFiles
from swe_corpus.demo.manifest import manifest, publish
from swe_corpus.demo.spec import GENERATOR_VERSION

log = logging.getLogger(__name__)


def generate(out_dir: str | os.PathLike, seed: int = 0, force: bool = False) -> dict:
    """Build the demo world into `out_dir` and return its manifest (also written to world.json).

    An existing world with the same seed and generator version is reused unless `force`.
    """
    out = Path(out_dir).resolve()  # git and file:// URLs need an absolute path
    world_json = out / "world.json"
    if world_json.exists() and not force:
        try:
            existing = json.loads(world_json.read_text())
            complete = all((out / "hours" / f).is_file() for f in existing.get("hour_files", [])) and all(
                (out / "repos" / f"{r}.git" / "HEAD").is_file() for r in existing.get("repos", {})
            )
            if (
                complete
                and existing.get("seed") == seed
                and existing.get("generator_version") == GENERATOR_VERSION
            ):
                return existing
        except ValueError:
            pass
    for sub in ("repos", "hours"):
        if (out / sub).exists():
            shutil.rmtree(out / sub)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="swe-corpus-demo-") as tmp:
        builder = WorldBuilder(Path(tmp), seed)
        events = builder.run()
        hours = HourFiles(events)
        hours.apply_damage()
        files = hours.write(out / "hours")
        refs = publish(builder, out / "repos")
        world = manifest(builder, out, hours, files, refs)
    world_json.write_text(json.dumps(world, indent=2, sort_keys=False) + "\n")
    return world


def use_demo_world(cfg) -> dict | None:
    """For `swe-corpus corpus` without hours: generate (or reuse) the demo world and point `cfg`
    (a `swe_corpus.config.CorpusConfig`) at it. Returns the world manifest, or None when hours are set."""
    if cfg.ingest.hours:
        return None
    given = {
        "--gharchive-url": cfg.ingest.gharchive_url != type(cfg.ingest)().gharchive_url,
        "--git-url-template": cfg.extract.git_url_template != type(cfg.extract)().git_url_template,
    }
    if any(given.values()):
        log.warning(
            "no hours given: the demo world replaces %s; pass --hours to read real data",
            ", ".join(k for k, v in given.items() if v),
        )
    world = generate(cfg.demo.demo_dir, seed=cfg.demo.demo_seed)
    cfg.ingest.hours = world["hours"]
    cfg.ingest.gharchive_url = world["gharchive_url"]
    cfg.extract.git_url_template = world["git_url_template"]
    log.info("no hours given: running on the demo world in %s (%s)", cfg.demo.demo_dir, world["hours"])
    return world


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", required=True, help="directory for repos/, hours/ and world.json")
    parser.add_argument(
        "--seed", type=int, default=0, help="seed for the little randomness there is (default 0)"
    )
    parser.add_argument(
        "--force", action="store_true", help="regenerate even if DIR already holds this world"
    )


def run(args: argparse.Namespace, extra_args: list[str] | None = None) -> int:
    world = generate(args.out, seed=args.seed, force=args.force)
    exp = world["expected"]
    print(
        f"demo world in {args.out}: {len(world['repos'])} repositories, {len(world['prs'])} PRs, hours {world['hours']}"
    )
    print(
        f"  expected rl_seed: {len(exp['rl_seed'])}, rejected: {len(exp['rejected'])}, kept but not seeds: {len(exp['pull_requests_not_seed'])}"
    )
    print(
        f"  --hours {world['hours']} --gharchive-url {world['gharchive_url']} --git-url-template '{world['git_url_template']}'"
    )
    return 0
