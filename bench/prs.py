"""PR-assembly benchmark: PR records/s and peak memory over the events of N copies of a real hour.

The events of the real 2015 hour are parsed once (`swe_corpus.events`), copied N times under distinct
repository names/ids and event ids (so every copy's PRs are distinct), and written as Parquet. Then,
each in a fresh subprocess (peak RSS is its own):
- `core`: the library's columnar fold alone (`swe_corpus.pr_fold`, no Beam): PRs and issues, links;
- `duckdb`: baseline, a DuckDB GROUP BY (repo, number) computing a per-PR aggregate (latest title/body,
  merged flag, shas, comment list) with one thread: what a SQL user would write first;
- `stage`: `swe-corpus prs` (in-process FnApiRunner, default `[run] memory_gb`: one partition here)
  reading and writing Parquet;
- `bounded`: the same with `--memory-gb 0.4`, a budget the 8-copy input fills (one partition): larger
  inputs run in more partitions, not in more memory.

    python bench/prs.py [--hour PATH] [--copies 1,8] [--repeat 1]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_HOUR = ROOT.parent / "shared" / "data" / "gharchive" / "2015-01-01-1.json.gz"
MODES = ("core", "duckdb", "stage", "bounded")
BOUNDED_GB = 0.4  # one partition holds ~12.7k kept events: the 8-copy input


def make_events(hour: Path, copies: int, out: Path) -> int:
    """N renamed copies of the hour's events -> OUT/events/part-K.parquet; returns the event count."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from swe_corpus.events import iter_event_batches

    base = pa.concat_tables([t for t, _ in iter_event_batches(hour)])
    (out / "events").mkdir(parents=True, exist_ok=True)
    for k in range(copies):
        t = base.set_column(
            base.schema.get_field_index("repo_name"),
            "repo_name",
            pc.binary_join_element_wise(base["repo_name"], f"-c{k}", ""),
        )
        t = t.set_column(t.schema.get_field_index("repo_id"), "repo_id", pc.add(t["repo_id"], k * 10**10))
        t = t.set_column(
            t.schema.get_field_index("event_id"),
            "event_id",
            pc.binary_join_element_wise(t["event_id"], f"-{k}", ""),
        )
        pq.write_table(t.cast(base.schema), out / "events" / f"part-{k:05d}.parquet")
    return base.num_rows * copies


def work_core(events: Path, _out: Path) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from swe_corpus import pr_fold

    tables = [
        pr_fold.relevant_events(pq.read_table(path, columns=list(pr_fold.ASSEMBLY_COLUMNS)))[0]
        for path in sorted((events / "events").glob("*.parquet"))
    ]
    return pr_fold.fold(pa.concat_tables(tables)).pull_requests.num_rows


def work_duckdb(events: Path, _out: Path) -> int:
    import duckdb

    con = duckdb.connect(config={"threads": 1})
    sql = f"""
        SELECT repo_id, number, arg_max(title, created_at) title, arg_max(body, created_at) body,
               bool_or(merged) merged, arg_max(head_sha, created_at) head_sha, arg_max(base_sha, created_at) base_sha,
               max(merge_commit_sha) merge_commit_sha, count(DISTINCT event_id) events,
               list({{'id': comment_id, 'body': comment_body, 'at': created_at}} ORDER BY created_at)
                 FILTER (WHERE event_type = 'IssueCommentEvent') comments
        FROM read_parquet('{events}/events/*.parquet')
        WHERE is_pull_request AND number IS NOT NULL
        GROUP BY ALL"""
    return len(con.execute(sql).to_arrow_table())


def work_stage(events: Path, out: Path, *flags: str) -> int:
    """`swe-corpus prs` as users run it (on this machine: partitions within `[run] memory_gb`)."""
    from pipelines import prs as stage

    parser = argparse.ArgumentParser()
    stage.add_arguments(parser)
    args = parser.parse_args(["--events", str(events), "--out", str(out), "--keep-unmerged", *flags])
    if stage.run(args, []) != 0:
        raise SystemExit("the stage failed")
    return json.loads((out / "manifest.json").read_text())["funnel"]["prs"]["in"]


def work_bounded(events: Path, out: Path) -> int:
    """The same command with `--memory-gb BOUNDED_GB`: a large input runs in several partitions."""
    return work_stage(events, out, "--memory-gb", str(BOUNDED_GB))


def worker(mode: str, events: str, out: str) -> None:
    start = time.perf_counter()
    n = globals()[f"work_{mode}"](Path(events), Path(out))
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"mode": mode, "prs": n, "seconds": seconds, "peak_mb": peak_mb}))


def measure(mode: str, events: Path, out: Path) -> dict:
    cmd = [sys.executable, __file__, "--worker", mode, str(events), str(out)]
    res = subprocess.run(
        cmd,
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hour", type=Path, default=DEFAULT_HOUR)
    parser.add_argument("--copies", default="1,8")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(*args.worker)
    print(
        f"{'copies':>6} {'events':>8} {'mode':>7} {'PRs':>7} {'seconds':>8} {'PRs/s':>9} {'peak MB':>8} {'vs duckdb':>9}"
    )
    for copies in (int(c) for c in args.copies.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            events = make_events(args.hour, copies, Path(tmp) / "in")
            results = {}
            for mode in MODES:
                runs = [
                    measure(mode, Path(tmp) / "in", Path(tmp) / f"out-{mode}-{i}") for i in range(args.repeat)
                ]
                results[mode] = min(runs, key=lambda r: r["seconds"])
            base = results["duckdb"]["prs"] / results["duckdb"]["seconds"]
            for mode, r in results.items():
                rate = r["prs"] / r["seconds"]
                print(
                    f"{copies:>6} {events:>8} {mode:>7} {r['prs']:>7} {r['seconds']:>8.2f} {rate:>9.0f} {r['peak_mb']:>8.0f} {rate / base:>8.2f}x"
                )


if __name__ == "__main__":
    main()
