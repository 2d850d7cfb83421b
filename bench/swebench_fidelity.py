"""Real-data fidelity: run `swe-corpus corpus` on real SWE-bench PRs and compare with the gold patches.

For every SWE-bench task of a repository you have a local mirror of (a bare clone with GitHub's
`refs/pull/N/head`, e.g. `git clone --mirror https://github.com/pytest-dev/pytest`), this builds GH
Archive-shaped events (the linked issue opened with the task's problem statement, the PR opened and
merged with base = the task's base_commit and head = refs/pull/N/head, its body saying `Fixes #ISSUE`),
writes them as one hour file, runs the real CLI on it with decontamination `none` (then `repo` and `pr`,
which must leave no benchmark PR), and compares:

- patch fidelity: our `patch` equals the gold `patch`, file by file and hunk by hunk (git's `index`
  lines aside, which SWE-bench's export drops);
- test_patch: our `test_patch` equals the gold `test_patch` (exports that carry it: Lite, full);
- seed recall: the share of tasks that reach `rl_seed`, and why the others did not.

The issue numbers are made up (900000 + PR number): SWE-bench does not publish them, and what is
measured here is extraction and seed selection, not linking.

    python bench/swebench_fidelity.py --tasks lite.json verified.jsonl --mirrors DIR [--repos a/b ...]

DIR holds one bare repository per task repository, as DIR/owner+name/repo or DIR/owner/name.git.
Nothing is downloaded: bring the mirrors and the SWE-bench exports yourself.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

import duckdb
import unidiff

HOUR = "2024-01-01-0"
ISSUE_OFFSET = 900_000


def read_tasks(paths: list[Path]) -> dict[str, dict]:
    """instance_id -> task, later files filling fields earlier ones lack (Verified has no test_patch)."""
    tasks: dict[str, dict] = {}
    for path in paths:
        text = path.read_text()
        rows = (
            json.loads(text)
            if text.lstrip().startswith("[")
            else [json.loads(x) for x in text.splitlines() if x]
        )
        for row in rows:
            merged = tasks.setdefault(row["instance_id"], {})
            merged.update({k: v for k, v in row.items() if k not in merged or not merged[k]})
    return tasks


def mirror_path(mirrors: Path, repo: str) -> Path | None:
    owner, name = repo.split("/")
    for candidate in (mirrors / f"{owner}+{name}" / "repo", mirrors / owner / f"{name}.git"):
        if (candidate / "HEAD").exists() or (candidate / "objects").is_dir():
            return candidate
    return None


def pull_heads(git_dir: Path) -> dict[int, str]:
    out = subprocess.run(
        ["git", "-C", str(git_dir), "for-each-ref", "--format=%(refname) %(objectname)", "refs/pull/"],
        capture_output=True,
        check=True,
        text=True,
    ).stdout
    heads = {}
    for line in out.splitlines():
        ref, sha = line.split()
        parts = ref.split("/")
        if len(parts) == 4 and parts[3] == "head" and parts[2].isdigit():
            heads[int(parts[2])] = sha
    return heads


def iso(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def task_events(task: dict, head: str, repo_id: int, event_ids: Counter) -> list[dict]:
    """The issue opened, the PR opened and the PR merged, in the Events-API shape of 2015-2025."""
    repo = task["repo"]
    number = int(task["instance_id"].rsplit("-", 1)[1])
    issue = ISSUE_OFFSET + number
    created = dt.datetime.fromisoformat(task.get("created_at", "2020-01-01T00:00:00Z").replace("Z", "+00:00"))
    title, _, body = task["problem_statement"].partition("\n")
    body = body.removesuffix("\n")
    owner, name = repo.split("/")
    repo_ref = {"id": repo_id, "name": repo, "url": f"https://api.github.com/repos/{repo}"}
    payload_repo = {"id": repo_id, "name": name, "full_name": repo, "owner": {"login": owner}}

    def event(etype: str, at: dt.datetime, payload: dict, actor: str) -> dict:
        event_ids[repo] += 1
        return {
            "id": str(repo_id * 10_000_000 + number * 10 + event_ids[repo] % 10),
            "type": etype,
            "actor": {"id": 1, "login": actor},
            "repo": repo_ref,
            "payload": payload,
            "public": True,
            "created_at": iso(at),
        }

    issue_obj = {
        "id": repo_id * 10_000_000 + issue,
        "number": issue,
        "title": title,
        "body": body,
        "user": {"login": "reporter", "type": "User"},
        "labels": [],
        "state": "open",
        "comments": 0,
        "created_at": iso(created - dt.timedelta(days=1)),
        "html_url": f"https://github.com/{repo}/issues/{issue}",
    }

    def pull_request(state: str, merged: bool) -> dict:
        return {
            "id": repo_id * 10_000_000 + number,
            "number": number,
            "html_url": f"https://github.com/{repo}/pull/{number}",
            "state": state,
            "title": f"Fix #{issue}: {title}"[:250],
            "body": f"Fixes #{issue}",
            "user": {"login": "contributor", "type": "User"},
            "created_at": iso(created),
            "merged": merged,
            "merged_at": iso(created + dt.timedelta(hours=1)) if merged else None,
            "merge_commit_sha": head if merged else None,
            "head": {"ref": f"fix-{issue}", "sha": head, "repo": payload_repo},
            "base": {"ref": "main", "sha": task["base_commit"], "repo": payload_repo},
        }

    return [
        event(
            "IssuesEvent",
            created - dt.timedelta(days=1),
            {"action": "opened", "issue": issue_obj},
            "reporter",
        ),
        event(
            "PullRequestEvent",
            created,
            {"action": "opened", "number": number, "pull_request": pull_request("open", False)},
            "contributor",
        ),
        event(
            "PullRequestEvent",
            created + dt.timedelta(hours=1),
            {"action": "closed", "number": number, "pull_request": pull_request("closed", True)},
            "maintainer",
        ),
    ]


def write_world(
    tasks: dict[str, dict], mirrors: Path, repos: set[str] | None, work: Path
) -> tuple[dict, Counter]:
    """Hour file + a git url layout for the tasks whose repository is mirrored; (tasks used, skipped)."""
    used, skipped, lines, event_ids = {}, Counter(), [], Counter()
    (work / "git").mkdir(parents=True, exist_ok=True)
    heads_by_repo: dict[str, dict[int, str]] = {}
    for iid, task in sorted(tasks.items()):
        repo = task["repo"]
        if repos and repo not in repos:
            continue
        if repo not in heads_by_repo:
            path = mirror_path(mirrors, repo)
            heads_by_repo[repo] = pull_heads(path) if path else {}
            if path:
                link = work / "git" / repo.split("/")[0] / (repo.split("/")[1] + ".git")
                link.parent.mkdir(parents=True, exist_ok=True)
                if not link.exists():
                    link.symlink_to(path.resolve())
        head = heads_by_repo[repo].get(int(iid.rsplit("-", 1)[1]))
        if head is None:
            skipped["no mirror or no refs/pull/N/head"] += 1
            continue
        used[iid] = task
        repo_id = 1_000 + sorted(heads_by_repo).index(repo)
        lines += [json.dumps(e) for e in task_events(task, head, repo_id, event_ids)]
    (work / "hours").mkdir(exist_ok=True)
    with gzip.open(work / "hours" / f"{HOUR}.json.gz", "wt") as f:
        f.write("\n".join(lines) + "\n")
    return used, skipped


def run_corpus(work: Path, out: Path, decontaminate: str) -> float:
    cli = Path(sys.executable).with_name("swe-corpus")
    cmd = [str(cli) if cli.exists() else "swe-corpus", "corpus", "--hours", HOUR]
    cmd += [
        "--gharchive-url",
        f"file://{work / 'hours'}",
        "--git-url-template",
        f"file://{work / 'git'}/{{repo}}.git",
    ]
    cmd += ["--git-cache-dir", str(work / "cache"), "--cache-dir", str(work / "hour-cache")]
    cmd += ["--decontaminate", decontaminate, "--out", str(out), "--overwrite", "--max-repo-mb", "2000"]
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"corpus run failed ({decontaminate}):\n{done.stderr[-3000:]}")
    return time.perf_counter() - start


def file_hunks(patch: str | None) -> dict[str, list[tuple]]:
    """path -> hunks (positions and lines): what a patch changes, whatever its header lines say."""
    out = {}
    for pf in unidiff.PatchSet(patch or ""):
        out[pf.path] = [
            (h.source_start, h.source_length, h.target_start, h.target_length, [str(x) for x in h])
            for h in pf
        ]
    return out


def table(out: Path, name: str, query: str) -> list[tuple]:
    con = duckdb.connect()
    glob = str(out / name / "*.parquet").replace("[", "[[]")
    return con.execute(query.replace("T", f"read_parquet('{glob}')", 1)).fetchall()


def compare(used: dict[str, dict], out: Path) -> dict[str, Counter]:
    per_repo: dict[str, Counter] = defaultdict(Counter)
    rows = table(
        out, "pull_requests", "select instance_id, patch, test_patch, is_rl_seed, rl_seed_skip_reason from T"
    )
    found = {r[0]: r for r in rows}
    rejected = dict(
        table(
            out, "rejected", "select instance_id, stage || ':' || reason from T where instance_id is not null"
        )
    )
    for iid, task in used.items():
        c = per_repo[task["repo"]]
        c["tasks"] += 1
        row = found.get(iid)
        if row is None:
            c[f"dropped {rejected.get(iid, '?')}"] += 1
            continue
        c["curated"] += 1
        c["patch_equal"] += file_hunks(row[1]) == file_hunks(task["patch"])
        if task.get("test_patch"):
            c["with_test_patch"] += 1
            c["test_patch_equal"] += file_hunks(row[2]) == file_hunks(task["test_patch"])
        c["rl_seed"] += bool(row[3])
        if not row[3]:
            c[f"skip {row[4]}"] += 1
    return per_repo


def leaks(used: dict[str, dict], out: Path) -> int:
    seeds = {r[0] for r in table(out, "rl_seed", "select instance_id from T")}
    return len(seeds & set(used))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tasks", nargs="+", type=Path, required=True, help="SWE-bench JSON/JSONL exports")
    parser.add_argument("--mirrors", type=Path, required=True, help="directory of bare mirrors")
    parser.add_argument("--repos", nargs="*", help="only these owner/name")
    parser.add_argument("--work", type=Path, help="working directory (default: a temporary one)")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="swebench-fidelity-"))
    used, skipped = write_world(read_tasks(args.tasks), args.mirrors, set(args.repos or []), work)
    print(
        f"{len(used)} tasks in {len({t['repo'] for t in used.values()})} repositories ({dict(skipped) or 'none skipped'}); work dir {work}"
    )
    seconds = run_corpus(work, work / "out-none", "none")
    per_repo = compare(used, work / "out-none")
    total = Counter()
    head = f"{'repository':<26}{'tasks':>6}{'curated':>8}{'patch =':>9}{'test_patch =':>14}{'rl_seed':>9}  other outcomes"
    print(f"\ndecontaminate none ({seconds:.0f} s)\n{head}")
    for repo in sorted(per_repo):
        c = per_repo[repo]
        total.update(c)
        print(_line(repo, c))
    print(_line("all", total))
    for mode in ("repo", "pr"):
        run_corpus(work, work / f"out-{mode}", mode)
        print(f"decontaminate {mode}: benchmark PRs left in rl_seed: {leaks(used, work / f'out-{mode}')}")
    os.sync()


def _line(repo: str, c: Counter) -> str:
    other = ", ".join(f"{k}={v}" for k, v in sorted(c.items()) if k.startswith(("skip ", "dropped ")))
    tp = f"{c['test_patch_equal']}/{c['with_test_patch']}"
    return (
        f"{repo:<26}{c['tasks']:>6}{c['curated']:>8}{c['patch_equal']:>9}{tp:>14}"
        f"{c['rl_seed']:>5} {c['rl_seed'] / max(c['tasks'], 1):>4.0%}  {other}"
    )


if __name__ == "__main__":
    main()
