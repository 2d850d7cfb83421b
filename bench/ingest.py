"""Ingest benchmark: events/s and peak memory over N copies of a real GH Archive hour.

Side by side, in one run, each measurement in a fresh subprocess (so peak RSS is its own):
- `decompress`: ISA-L gzip decompression alone (the floor for any parser);
- `core`: `swe_corpus.events.iter_event_batches` (the parse core, one thread);
- `duckdb`: DuckDB `read_json` with one thread, same event types and columns, streamed to Arrow;
- `duckdb_parquet`: the same query written to a zstd Parquet file (DuckDB doing the stage's whole job);
- `stage`: the whole Beam stage (`pipelines.ingest`, in-process FnApiRunner) writing Parquet.

    python bench/ingest.py [--hour PATH] [--sizes 1,4,16] [--repeat 3] [--modes core,duckdb,stage]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_HOUR = ROOT.parent / "shared" / "data" / "gharchive" / "2015-01-01-1.json.gz"
MODES = ("decompress", "core", "duckdb", "duckdb_parquet", "stage", "stage_mp2")


# --------------------------------------------------------------------------- workers (subprocess)
def work_decompress(files: list[Path], _out: Path) -> int:
    from swe_corpus.events import iter_decompressed

    total = 0
    for path in files:
        with open(path, "rb") as fh:
            for chunk in iter_decompressed(fh):
                total += chunk.count(b"\n")
    return total


def work_core(files: list[Path], _out: Path) -> int:
    from swe_corpus.events import ParseStats, iter_event_batches

    stats = ParseStats()
    for path in files:
        for _table, _rejected in iter_event_batches(path, path.name, 8192, stats):
            pass
    return stats.objects


def duckdb_query(files: list[Path]) -> str:
    from swe_corpus.events import KEPT_TYPES  # the parser's own list: both sides keep the same types

    user = "STRUCT(login VARCHAR, type VARCHAR)"
    ref = "STRUCT(ref VARCHAR, sha VARCHAR, repo STRUCT(full_name VARCHAR))"
    item = (
        "STRUCT(number BIGINT, title VARCHAR, body VARCHAR, state VARCHAR, created_at TIMESTAMPTZ, "
        "merged BOOLEAN, merged_at TIMESTAMPTZ, merge_commit_sha VARCHAR, author_association VARCHAR, "
        f"labels STRUCT(name VARCHAR)[], user {user}, base {ref}, head {ref}, pull_request JSON)"
    )
    comment = (
        "STRUCT(id BIGINT, body VARCHAR, path VARCHAR, diff_hunk VARCHAR, commit_id VARCHAR, "
        f"original_commit_id VARCHAR, state VARCHAR, author_association VARCHAR, user {user})"
    )
    columns = {
        "id": "VARCHAR",
        "type": "VARCHAR",
        "created_at": "TIMESTAMPTZ",
        "repo": "STRUCT(id BIGINT, name VARCHAR)",
        "actor": "STRUCT(login VARCHAR)",
        "payload": f"STRUCT(action VARCHAR, number BIGINT, pull_request {item}, issue {item}, "
        f"comment {comment}, review {comment}, forkee STRUCT(full_name VARCHAR))",
    }
    spec = "{" + ", ".join(f"'{k}': '{v}'" for k, v in columns.items()) + "}"
    pr, issue, c = "payload.pull_request", "payload.issue", "coalesce(payload.comment, payload.review)"
    kept = ", ".join(f"'{t}'" for t in sorted(KEPT_TYPES))
    return f"""
        select id as event_id, type as event_type, payload.action, created_at, repo.id as repo_id,
          repo.name as repo_name, actor.login as actor_login,
          coalesce(payload.number, {pr}.number, {issue}.number) as number,
          {pr} is not null or {issue}.pull_request is not null as is_pull_request,
          coalesce({pr}.title, {issue}.title) as title, coalesce({pr}.body, {issue}.body) as body,
          coalesce({pr}.state, {issue}.state) as state,
          coalesce({pr}.created_at, {issue}.created_at) as item_created_at,
          list_transform(coalesce({pr}.labels, {issue}.labels), lambda x: x.name) as labels,
          {pr}.merged, {pr}.merged_at, {pr}.merge_commit_sha, {pr}.base.sha as base_sha,
          {pr}.base.ref as base_ref, {pr}.head.sha as head_sha, {pr}.head.ref as head_ref,
          {pr}.head.repo.full_name as head_repo_name,
          coalesce({c}.user.login, {pr}.user.login, {issue}.user.login) as user_login,
          coalesce({c}.user.type, {pr}.user.type, {issue}.user.type) as user_type,
          coalesce({c}.author_association, {pr}.author_association, {issue}.author_association)
            as author_association,
          {c}.id as comment_id, {c}.body as comment_body, payload.review.state as review_state,
          {c}.path, {c}.diff_hunk, {c}.commit_id, {c}.original_commit_id,
          payload.forkee.full_name as forkee_name, filename as source_file
        from read_json([{", ".join(f"'{p}'" for p in files)}], format='newline_delimited', columns={spec}, filename=true)
        where type in ({kept})"""


def work_duckdb(files: list[Path], _out: Path) -> int:
    import duckdb

    con = duckdb.connect()
    con.execute("set threads=1")
    rows = 0
    reader = con.sql(duckdb_query(files)).to_arrow_reader(65536)
    for batch in reader:
        rows += batch.num_rows
    return rows


def work_duckdb_parquet(files: list[Path], out: Path) -> int:
    """DuckDB doing the stage's whole job: the same query written to a zstd Parquet file."""
    import duckdb

    out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute("set threads=1")
    target = out / "events.parquet"
    return con.execute(
        f"copy ({duckdb_query(files)}) to '{target}' (format parquet, compression zstd)"
    ).fetchone()[0]


def work_stage(files: list[Path], out: Path, beam_args: tuple[str, ...] = ()) -> int:
    from pipelines.ingest import add_arguments, run_pipeline

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    hours = ",".join(p.name.removesuffix(".json.gz") for p in files)
    args = parser.parse_args(["--hours", hours, "--gharchive-url", str(files[0].parent), "--out", str(out)])
    _totals, funnel, _seconds = run_pipeline(args, list(beam_args))
    from swe_corpus.events import STAGE

    return funnel[f"{STAGE}:in"]


def work_stage_mp2(files: list[Path], out: Path) -> int:
    """The stage on 2 local cores: `--direct_num_workers 2 --direct_running_mode multi_processing`."""
    return work_stage(files, out, ("--direct_num_workers", "2", "--direct_running_mode", "multi_processing"))


def worker(mode: str, data_dir: str, n: int, out_dir: str) -> None:
    files = sorted(Path(data_dir).glob("*.json.gz"))[:n]
    fn = globals()[f"work_{mode}"]
    # One-time process costs (imports, DuckDB's first query, pyarrow's first conversion, Beam's first
    # pipeline) are not what we compare: every mode is warmed up the same way, by running itself once on
    # one file. The timed run then pays everything a run pays: for the stage, building, translating and
    # running a new Beam pipeline and writing Parquet; for DuckDB, connecting, planning and the query.
    fn(files[:1], Path(out_dir) / "warmup")

    start = time.perf_counter()
    count = fn(files, Path(out_dir))
    seconds = time.perf_counter() - start
    peak_kb = max(
        resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    )
    peak_mb = peak_kb / 1024  # for stage_mp2: the largest single process (workers are separate processes)
    print(json.dumps({"seconds": seconds, "count": count, "peak_mb": peak_mb}))


# --------------------------------------------------------------------------- driver
def measure(mode: str, data_dir: Path, n: int, repeat: int) -> dict:
    best: dict | None = None
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as out:
            cmd = [sys.executable, __file__, "--worker", mode, str(data_dir), str(n), out]
            env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
            proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
            if proc.returncode:
                sys.exit(f"bench worker {mode} N={n} failed:\n{proc.stderr[-3000:]}")
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        if best is None or result["seconds"] < best["seconds"]:
            best = {**result, "peak_mb": max(result["peak_mb"], (best or {}).get("peak_mb", 0))}
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hour", type=Path, default=DEFAULT_HOUR)
    ap.add_argument("--sizes", default="1,4,16")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--modes", default=",".join(MODES), help="subset of " + ",".join(MODES))
    ap.add_argument("--worker", nargs=4, metavar=("MODE", "DIR", "N", "OUT"))
    args = ap.parse_args()
    if args.worker:
        mode, data_dir, n, out = args.worker
        worker(mode, data_dir, int(n), out)
        return
    if not args.hour.exists():
        sys.exit(f"bench/ingest.py: hour file not found: {args.hour}")
    sizes = [int(s) for s in args.sizes.split(",")]
    modes = [m for m in MODES if m in args.modes.split(",")]
    if "core" not in modes:  # events per size come from the core's count
        modes.insert(0, "core")
    results: dict[tuple[str, int], dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        for i in range(max(sizes)):
            shutil.copy(args.hour, data / f"2015-01-{1 + i // 24:02d}-{i % 24}.json.gz")  # distinct hours
        for n in sizes:
            for mode in modes:
                results[(mode, n)] = measure(mode, data, n, args.repeat)
    report(results, sizes, modes)


def report(results: dict, sizes: list[int], modes: list[str]) -> None:
    events = {n: results[("core", n)]["count"] for n in sizes}  # input events (lines) per size
    print(f"{'mode':<14} {'N':>3} {'events':>8} {'seconds':>8} {'events/s':>10} {'peak MB':>8}")
    for n in sizes:
        for mode in modes:
            r = results[(mode, n)]
            rate = events[n] / r["seconds"]
            print(f"{mode:<14} {n:>3} {events[n]:>8} {r['seconds']:>8.3f} {rate:>10.0f} {r['peak_mb']:>8.0f}")
    print()
    for n in sizes:
        t = {m: results[(m, n)]["seconds"] for m in modes}
        parts = []
        if "duckdb" in t:
            parts.append(f"core {t['duckdb'] / t['core']:.2f}x (target >= 1.5)")
            if "stage" in t:
                parts.append(f"stage {t['duckdb'] / t['stage']:.2f}x (target >= 1 at N=16)")
            if "stage_mp2" in t:
                parts.append(f"stage_mp2 {t['duckdb'] / t['stage_mp2']:.2f}x")
        if "duckdb_parquet" in t and "stage" in t:
            parts.append(f"stage vs DuckDB writing Parquet {t['duckdb_parquet'] / t['stage']:.2f}x")
        line = f"N={n:<3} speed vs DuckDB (1 thread): " + ", ".join(parts)
        if "decompress" in t:
            floor = t["decompress"]
            line += f" | time / decompression alone: core {t['core'] / floor:.2f}x"
            if "stage" in t:
                line += f", stage {t['stage'] / floor:.2f}x"
        print(line)
    lo, hi = min(sizes), max(sizes)
    for mode in [m for m in ("core", "stage", "stage_mp2", "duckdb") if m in modes]:
        ratio = results[(mode, hi)]["peak_mb"] / results[(mode, lo)]["peak_mb"]
        print(f"peak memory {mode}: N={hi} / N={lo} = {ratio:.2f}x (target <= 1.2 for core and stage)")


if __name__ == "__main__":
    main()
