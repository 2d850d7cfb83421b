"""The published bare repositories and world.json: what a correct pipeline must make of the world."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

from swe_corpus.demo.builder import PRState, WorldBuilder
from swe_corpus.demo.git import Git
from swe_corpus.demo.hours import HourFiles
from swe_corpus.demo.spec import GENERATOR_VERSION
from swe_corpus.rejects import instance_id


def publish(builder: WorldBuilder, repos_dir: Path) -> dict[str, dict[str, str]]:
    """Push every work tree into DIR/repos/<owner>/<name>.git (a bare repo, like GitHub serves)."""
    refs: dict[str, dict[str, str]] = {}
    for name, g in sorted(builder.git.items()):
        bare = repos_dir / f"{name}.git"
        if bare.exists():
            shutil.rmtree(bare)
        bare.mkdir(parents=True)
        Git(bare, builder.clock, builder.template).run("init", "-q", "--bare", "-b", "main")
        g.run("push", "-q", "--mirror", str(bare))
        listing = Git(bare, builder.clock, builder.template).run(
            "for-each-ref", "--format=%(refname) %(objectname)"
        )
        refs[name] = dict(line.split(" ") for line in listing.splitlines())
    return refs


def _changed_files(builder: WorldBuilder, st: PRState) -> list[str]:
    g = builder.repo_git(st.repo)
    if not st.head_sha or not st.base_sha:
        return []
    return g.run("diff", "--name-only", f"{st.base_sha}...{st.head_sha}").splitlines()


def _types_on_line(raw: bytes) -> list[str]:
    """Event types on one (possibly damaged) line; "<not json>" for a line that does not parse."""
    text, decoder, types, pos = raw.decode("utf-8", "replace").strip("\x00"), json.JSONDecoder(), [], 0
    try:
        while pos < len(text):
            obj, pos = decoder.raw_decode(text, pos)
            types.append(obj["type"])
    except ValueError:
        return ["<not json>"]
    return types


def _duplicate_clusters(builder: WorldBuilder) -> list[dict]:
    """A PR whose commits cherry-pick another PR's duplicates it: that PR represents the cluster."""
    copies: dict[str, list[str]] = {}
    for st in builder.prs.values():
        for commit in st.spec.commits:
            if commit.cherry_pick is not None:
                copies.setdefault(instance_id(*commit.cherry_pick), []).append(st.iid)
    return [
        {"representative": rep, "members": [rep, *sorted(set(dups))]} for rep, dups in sorted(copies.items())
    ]


def manifest(builder: WorldBuilder, out: Path, hours: HourFiles, files: list[str], refs: dict) -> dict:
    prs = []
    for (repo, _number), st in sorted(builder.prs.items(), key=lambda kv: kv[1].iid):
        spec = st.spec
        issues = builder.specs[repo].issues
        prs.append(
            {
                "instance_id": st.iid,
                "repo": repo,
                "number": spec.number,
                "title": spec.title,
                "kind": spec.kind,
                "merge_method": spec.outcome if st.merged_at else None,
                "merged": st.merged_at is not None,
                "from_fork": st.head_repo if st.head_repo != repo else None,
                "author": spec.author,
                "linked_issues": [{"repo": repo, "number": n} for n in spec.closes]
                + [{"repo": r, "number": n} for r, n in spec.cross_links],
                "has_hints": any(i.number in spec.closes and i.comments for i in issues),
                "base_sha": st.base_sha,
                "head_sha": st.head_sha,
                "merge_commit_sha": st.merge_commit_sha,
                "changed_files": _changed_files(builder, st),
                "relevant_files": list(spec.relevant_files),
                "expect": spec.expect,
                "expect_stage": spec.expect_stage,
                "expect_reasons": list(spec.expect_reasons),
                "note": spec.note,
            }
        )
    counts: dict[str, int] = {}
    for name in hours.names():
        for raw in hours.hours[name]:
            for etype in _types_on_line(raw):
                counts[etype] = counts.get(etype, 0) + 1
    base = out.resolve()
    first, last = hours.names()[0], hours.names()[-1]
    by = lambda what: sorted(p["instance_id"] for p in prs if p["expect"] == what)  # noqa: E731
    return {
        "generator": "swe_corpus.demo",
        "generator_version": GENERATOR_VERSION,
        "seed": builder.seed,
        "hours": f"{first}..{last}",
        "hour_files": files,
        "gharchive_url": (base / "hours").as_uri(),
        "git_url_template": base.as_uri() + "/repos/{repo}.git",
        "repos": {
            name: {
                "language": spec.language,
                "fork_of": spec.fork_of,
                "benchmark_named": spec.benchmark_named,
                "refs": refs.get(name, {}),
            }
            for name, spec in sorted(builder.specs.items())
        },
        "expected": {
            "rl_seed": by("rl_seed"),
            "pull_requests_not_seed": by("pull_requests"),
            "rejected": {
                p["instance_id"]: {"stage": p["expect_stage"], "reasons": p["expect_reasons"]}
                for p in prs
                if p["expect"] == "rejected"
            },
            "duplicate_clusters": _duplicate_clusters(builder),
            "benchmark_task_prs": sorted(st.iid for st in builder.prs.values() if st.spec.benchmark_task),
        },
        "prs": prs,
        "damaged_lines": [dataclasses.asdict(d) for d in hours.damage],
        "event_counts": dict(sorted(counts.items())),
    }
