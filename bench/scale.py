"""Scale benchmark: `swe-corpus corpus` on synthetic days of N renamed copies of a real GH Archive hour.

Each copy is one hour file: the real 2015-01-01-1 hour with every repository renamed (`owner/name-cK`)
and every repository and event id shifted, so copies share no PR, issue or event. Repositories are
"cloned" from an empty local directory, so extraction rejects them fast (`clone_failed`) and the
figures are those of the data path: ingest, PR assembly, linking, and the bookkeeping of every stage.
For each size, one run of the real CLI in a fresh process prints, side by side: wall time, events/s,
peak RSS of the run, Beam's execution seconds per stage (manifest `stage_seconds`), and DuckDB's time
for reading the same hours and grouping the events per PR (one thread): the named baseline.

    python bench/scale.py [--copies 1,4,16] [--hour PATH] [--memory-gb G]

The run is staged on this machine (ingest, a plan of partitions within `[run] memory_gb`, then prs and
extract one partition at a time): the `parts` column is the number of partitions it used.

The issue-13 targets are: peak RSS at 64 copies within 1.5x of 4 copies, and one 2024 day (816
copies) finishing on this 2-core machine. A run whose every repository is rejected exits 1 by design
(no usable input); that is expected here and reported, not an error of the benchmark.
"""

from __future__ import annotations

import argparse
import gzip
import json
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_HOUR = ROOT.parent / "shared" / "data" / "gharchive" / "2015-01-01-1.json.gz"
START = datetime(2015, 1, 1, 0)
STAGES = ("ingest", "prs", "extract", "filter", "decontaminate", "dedup", "rl_seed", "write")


def hour_name(t: datetime) -> str:
    return f"{t:%Y-%m-%d}-{t.hour}"


def renamed(event: dict, k: int) -> dict:
    """The event as copy k: its repository (name and id), ids and PR head/base repositories renamed."""
    event["id"] = f"{event.get('id')}-{k}"
    repo = event.get("repo") or {}
    if isinstance(repo.get("name"), str):
        repo["name"] = f"{repo['name']}-c{k}"
    if isinstance(repo.get("id"), int):
        repo["id"] += k * 10**10
    pr = (event.get("payload") or {}).get("pull_request")
    if isinstance(pr, dict):
        for side in ("base", "head"):
            r = (pr.get(side) or {}).get("repo")
            if isinstance(r, dict) and isinstance(r.get("full_name"), str):
                r["full_name"] = f"{r['full_name']}-c{k}"
    return event


def make_day(hour: Path, copies: int, out: Path) -> tuple[str, int]:
    """`copies` hour files under `out` (hour k = copy k); returns the --hours range and the line count."""
    lines = gzip.open(hour, "rb").read().splitlines()
    out.mkdir(parents=True, exist_ok=True)
    for k in range(copies):
        with gzip.open(out / f"{hour_name(START + timedelta(hours=k))}.json.gz", "wb", compresslevel=1) as f:
            for raw in lines:
                try:
                    f.write(json.dumps(renamed(json.loads(raw), k)).encode() + b"\n")
                except ValueError:
                    f.write(raw + b"\n")  # damaged lines stay damaged
    last = START + timedelta(hours=copies - 1)
    return f"{hour_name(START)}..{hour_name(last)}", len(lines) * copies


def measured(cmd: list[str]) -> tuple[int, float, float, str]:
    """(exit status, seconds, peak RSS MB of the process tree's largest process, stderr tail)."""
    probe = (
        "import resource, subprocess, sys, time\n"
        "t = time.perf_counter()\n"
        "p = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "print(p.returncode, time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
        "print(p.stderr[-400:].replace('\\n', ' | '))\n"
    )
    res = subprocess.run([sys.executable, "-c", probe, *cmd], capture_output=True, text=True, check=True)
    first, tail = (res.stdout.splitlines() + [""])[:2]
    rc, seconds, kb = first.split()
    return int(rc), float(seconds), int(kb) / 1024, tail


def duckdb_seconds(hours: Path) -> float:
    probe = (
        "import duckdb, sys, time\n"
        "con = duckdb.connect(config={'threads': 1})\n"
        "t = time.perf_counter()\n"
        'con.execute("select repo.id, payload.pull_request.number, count(*), max(created_at) '
        "from read_json(? || '/*.json.gz', format='newline_delimited', union_by_name=true, ignore_errors=true, "
        "maximum_object_size=67108864) where type in ('PullRequestEvent', 'PullRequestReviewCommentEvent') "
        'group by all", [sys.argv[1]]).fetchall()\n'
        "print(time.perf_counter() - t)\n"
    )
    res = subprocess.run(
        [sys.executable, "-c", probe, str(hours)], capture_output=True, text=True, check=True
    )
    return float(res.stdout.split()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", default="1,4,16")
    parser.add_argument("--hour", type=Path, default=DEFAULT_HOUR)
    parser.add_argument("--memory-gb", type=float, help="the run's [run] memory_gb (default: corpus.toml's)")
    args = parser.parse_args()
    cli = Path(sys.executable).with_name("swe-corpus")
    head = f"{'copies':>6} {'events':>9} {'rc':>3} {'parts':>5} {'wall s':>7} {'events/s':>9} {'peak MB':>8} {'duckdb s':>9}  "
    print(head + " ".join(f"{s:>8}" for s in STAGES) + "  (Beam execution s per stage)")
    peaks = {}
    for copies in (int(c) for c in args.copies.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            hours, lines = make_day(args.hour, copies, tmp / "hours")
            (tmp / "no-repos").mkdir()
            cmd = [str(cli), "corpus", "--hours", hours, "--gharchive-url", str(tmp / "hours")]
            cmd += [
                "--git-url-template",
                f"file://{tmp / 'no-repos'}/{{repo}}.git",
                "--out",
                str(tmp / "out"),
            ]
            cmd += [
                "--git-cache-dir",
                str(tmp / "git"),
                "--cache-dir",
                str(tmp / "cache"),
                "--decontaminate",
                "none",
            ]
            cmd += ["--memory-gb", str(args.memory_gb)] if args.memory_gb else []
            start = time.perf_counter()
            rc, seconds, peak_mb, tail = measured(cmd)
            seconds = seconds or time.perf_counter() - start
            manifest = json.loads((tmp / "out" / "manifest.json").read_text())
            events = manifest["funnel"]["ingest"]["in"]
            stage = manifest.get("stage_seconds") or {}
            parts = (manifest.get("partitions") or {}).get("count", 1)
            baseline = duckdb_seconds(tmp / "hours")
            peaks[copies] = peak_mb
            print(
                f"{copies:>6} {events:>9} {rc:>3} {parts:>5} {seconds:>7.1f} {events / seconds:>9.0f} {peak_mb:>8.0f} "
                f"{baseline:>9.2f}  " + " ".join(f"{stage.get(s, 0):>8.2f}" for s in STAGES)
            )
            if rc not in (0, 1):
                print(f"       run failed: {tail}")
    if len(peaks) > 1:
        low, high = min(peaks), max(peaks)
        print(
            f"peak RSS {high} copies / {low} copies = {peaks[high] / peaks[low]:.2f}x (issue 13 target: <= 1.5x, 64 vs 4)"
        )


if __name__ == "__main__":
    main()
