"""Looking at an output directory: `swe-corpus query`, `swe-corpus stats`, `swe-corpus report`.

Every table directory present in OUT (``OUT/<table>/*.parquet``) becomes a DuckDB view of the same
name, so `swe-corpus query "select language, count(*) from rl_seed group by 1"` just works. `stats`
prints the funnel (from OUT/manifest.json when the pipeline wrote one, else from the tables), languages,
repositories and size percentiles; `report` writes `report.html` (`swe_corpus.report`): run information,
time per stage, funnels, rejection shares, examples and charts, in one self-contained page.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import re
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import duckdb

from swe_corpus.manifest import (
    FunnelRow,
    funnel_from_manifest,
    render_funnel,
    stage_order,
)
from swe_corpus.stages import INGEST, RL_SEED

TABLE_VIEWS = ("rl_seed", "pull_requests", "rejected", "blobs", "events", "issues")
MAX_CELL = 80


# ------------------------------------------------------------------------------------------ DuckDB
def _is_remote(out: str) -> bool:
    return "://" in out and not out.startswith("file://")


def glob_escape(path: str) -> str:
    """`path` taken literally inside a DuckDB glob: an OUT named `runs[ab]` or `a*` must not read
    `runsa` or `ab` beside it. DuckDB has no escape character; a one-character class does it."""
    return re.sub(r"([\[*?])", r"[\1]", path)


def table_paths(out: str) -> dict[str, str]:
    """Table name -> Parquet glob for every known table directory holding shards."""
    if _is_remote(out):  # gs://, s3://: DuckDB reads them through httpfs; existence is checked at query time
        return {t: f"{glob_escape(out.rstrip('/'))}/{t}/*.parquet" for t in TABLE_VIEWS}
    base = Path(out.removeprefix("file://"))
    return {
        t: f"{glob_escape(str(base / t))}/*.parquet" for t in TABLE_VIEWS if any((base / t).glob("*.parquet"))
    }


def connect(out: str) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with one view per table of OUT."""
    con = duckdb.connect()
    if _is_remote(out):
        con.execute("INSTALL httpfs; LOAD httpfs;")
    for table, glob in table_paths(out).items():
        quoted = glob.replace("'", "''")
        try:
            con.execute(
                f"CREATE VIEW {table} AS SELECT * FROM read_parquet('{quoted}', union_by_name = true)"
            )
        except duckdb.IOException:  # a remote table directory that does not exist
            continue
    return con


def views(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {r[0] for r in con.execute("select view_name from duckdb_views() where not internal").fetchall()}


def columns(con: duckdb.DuckDBPyConnection, view: str) -> set[str]:
    return {r[0] for r in con.execute(f"describe {view}").fetchall()}


# ------------------------------------------------------------------------------------------ output
def _cell(value: Any) -> str:
    text = "" if value is None else value if isinstance(value, str) else json.dumps(value, default=str)
    text = text.replace("\n", "\\n")
    return text if len(text) <= MAX_CELL else text[: MAX_CELL - 1] + "…"


def format_table(names: list[str], rows: list[tuple]) -> str:
    """A plain-text grid, cells cut to MAX_CELL characters."""
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max([len(n)] + [len(r[i]) for r in cells]) for i, n in enumerate(names)]
    line = lambda vals: " | ".join(v.ljust(w) for v, w in zip(vals, widths, strict=True)).rstrip()  # noqa: E731
    return "\n".join([line(names), "-+-".join("-" * w for w in widths)] + [line(r) for r in cells])


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


def write_result(names: list[str], rows: list[tuple], fmt: str, stream=None) -> None:
    stream = stream or sys.stdout
    if fmt == "csv":
        w = csv.writer(stream, lineterminator="\n")
        w.writerow(names)
        w.writerows(
            [[json.dumps(_jsonable(v)) if isinstance(v, list | dict) else v for v in r] for r in rows]
        )
    elif fmt == "json":
        stream.write(
            json.dumps([_jsonable(dict(zip(names, r, strict=True))) for r in rows], ensure_ascii=False)
        )
        stream.write("\n")
    else:
        stream.write(format_table(names, rows) + f"\n({len(rows)} row{'s' if len(rows) != 1 else ''})\n")


# ------------------------------------------------------------------------------------------ query
def add_query_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "sql", help="SQL over the views " + ", ".join(TABLE_VIEWS) + " (those present in OUT)"
    )
    parser.add_argument("--out", default="out", help="output directory of a corpus run (default: out)")
    parser.add_argument("--format", choices=("table", "csv", "json"), default="table")


def run_query(args: argparse.Namespace, extra_args: list[str] | None = None) -> int:
    con = connect(args.out)
    if not views(con):
        print(
            f"no tables in {args.out} (expected {', '.join(TABLE_VIEWS)} directories of Parquet)",
            file=sys.stderr,
        )
        return 2
    try:
        cur = con.execute(args.sql)
    except duckdb.Error as exc:
        print(f"query failed: {exc}\nviews: {', '.join(sorted(views(con)))}", file=sys.stderr)
        return 2
    names = [d[0] for d in cur.description] if cur.description else []
    write_result(names, cur.fetchall() if names else [], args.format)
    return 0


# ------------------------------------------------------------------------------------------ stats
def funnel_from_tables(con: duckdb.DuckDBPyConnection) -> list[FunnelRow]:
    """Without a manifest: rejections per stage and reason, with the rows each table kept."""
    present = views(con)
    rows: dict[str, FunnelRow] = {}
    if "rejected" in present:
        for stage, reason, n in con.execute(
            "select stage, reason, count(*) from rejected group by 1, 2"
        ).fetchall():
            rows.setdefault(stage, FunnelRow(stage, None, None)).rejected[reason] = n
    kept_by = {INGEST: "events", "curate": "pull_requests", RL_SEED: "rl_seed"}
    for stage, table in kept_by.items():
        if table in present:
            row = rows.setdefault(stage, FunnelRow(stage, None, None))
            row.kept = con.execute(f"select count(*) from {table}").fetchone()[0]
            row.in_ = row.kept + sum(row.rejected.values())
    return sorted(rows.values(), key=lambda r: stage_order(r.stage))


def _percentiles(con: duckdb.DuckDBPyConnection, view: str, col: str) -> dict[str, float] | None:
    row = con.execute(
        f"select count({col}), quantile_cont({col}, 0.5), quantile_cont({col}, 0.9), "
        f"quantile_cont({col}, 0.99), max({col}) from {view}"
    ).fetchone()
    if not row[0]:
        return None
    return {"n": row[0], "p50": row[1], "p90": row[2], "p99": row[3], "max": row[4]}


SIZE_COLUMNS = {
    "rl_seed": ("num_changed_files", "num_changed_lines", "context_bytes"),
    "pull_requests": ("num_changed_files", "num_changed_lines", "patch_bytes"),
    "blobs": ("size",),
}


@dataclass
class Stats:
    out: str
    funnel_source: str
    funnel: list[FunnelRow]
    tables: dict[str, int]
    languages: list[tuple[str, int]]
    language_source: str
    repos: list[tuple[str, int, int]]
    sizes: dict[str, dict[str, dict[str, float]]]
    rejections: list[tuple[str, str, int]]
    status: str = "finished"  # or "INCOMPLETE: why" (no or an unreadable manifest.json)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["funnel"] = [
            {"stage": r.stage, "in": r.in_, "kept": r.kept, "rejected": r.rejected} for r in self.funnel
        ]
        return d


def collect_stats(out: str, top: int = 15, con: duckdb.DuckDBPyConnection | None = None) -> Stats:
    """Everything `stats` prints and `report` draws, read once."""
    con = con or connect(out)
    present = views(con)
    tables = {t: con.execute(f"select count(*) from {t}").fetchone()[0] for t in TABLE_VIEWS if t in present}
    manifest = Path(out) / "manifest.json"
    funnel, source = [], "tables"
    status = "unknown (remote OUT: manifest.json not read)" if _is_remote(out) else "finished"
    if not _is_remote(out) and manifest.is_file():
        try:
            funnel, source = (
                funnel_from_manifest(json.loads(manifest.read_text()).get("funnel")),
                "manifest.json",
            )
        except (ValueError, AttributeError, KeyError, TypeError):
            funnel = []
        if not funnel:
            status = (
                "INCOMPLETE: manifest.json is empty or unreadable (a full disk or a crash while writing it)"
            )
    elif not _is_remote(out):
        status = (
            "INCOMPLETE: no manifest.json. Every command writes it last, so this run was killed or failed: "
            "tables may be partial"
        )
    if not funnel:
        funnel, source = funnel_from_tables(con), "tables"
    languages: list[tuple[str, int]] = []
    lang_source = ""
    if "rl_seed" in present and "language" in columns(con, "rl_seed") and tables["rl_seed"]:
        languages = con.execute(
            "select coalesce(language, 'unknown'), count(*) from rl_seed group by 1 order by 2 desc, 1"
        ).fetchall()
        lang_source = "rl_seed.language"
    elif "pull_requests" in present and "changed_files" in columns(con, "pull_requests"):
        languages = con.execute(
            "select coalesce(f.language, 'unknown'), count(*) from "
            "(select unnest(changed_files) as f from pull_requests) group by 1 order by 2 desc, 1"
        ).fetchall()
        lang_source = "pull_requests.changed_files"
    repos: list[tuple[str, int, int]] = []
    if "pull_requests" in present:
        seeds = "rl_seed" in present
        join = "left join (select repo, count(*) s from rl_seed group by 1) r using (repo)" if seeds else ""
        repos = con.execute(
            f"select p.repo, count(*), coalesce(max({'r.s' if seeds else '0'}), 0) from pull_requests p {join} "
            f"group by 1 order by 2 desc, 1 limit {top}"
        ).fetchall()
    elif "rl_seed" in present:
        repos = con.execute(
            f"select repo, count(*), count(*) from rl_seed group by 1 order by 2 desc, 1 limit {top}"
        ).fetchall()
    sizes: dict[str, dict[str, dict[str, float]]] = {}
    for view, cols in SIZE_COLUMNS.items():
        if view in present:
            have = columns(con, view)
            for col in cols:
                if col in have and (p := _percentiles(con, view, col)):
                    sizes.setdefault(view, {})[col] = p
    rejections = []
    if "rejected" in present:
        rejections = con.execute(
            "select stage, reason, count(*) from rejected group by 1, 2 order by 3 desc, 1, 2"
        ).fetchall()
    return Stats(out, source, funnel, tables, languages, lang_source, repos, sizes, rejections, status)


def _fmt_num(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:,.0f}" if v >= 100 else f"{v:,.1f}"
    return f"{v:,}"


def render_stats(s: Stats) -> str:
    parts = [
        f"# {s.out}",
        "",
        f"status: {s.status}",
        "",
        "tables: " + (", ".join(f"{t} {n:,}" for t, n in s.tables.items()) or "none"),
        "",
    ]
    parts += [f"## funnel (from {s.funnel_source})", render_funnel(s.funnel), ""]
    if s.languages:
        parts += [f"## languages ({s.language_source})", format_table(["language", "count"], s.languages), ""]
    if s.repos:
        parts += ["## repositories", format_table(["repo", "pull_requests", "rl_seed"], s.repos), ""]
    for view, cols in s.sizes.items():
        rows = [(c, *(_fmt_num(p[k]) for k in ("n", "p50", "p90", "p99", "max"))) for c, p in cols.items()]
        parts += [f"## sizes: {view}", format_table(["column", "n", "p50", "p90", "p99", "max"], rows), ""]
    return "\n".join(parts)


def add_stats_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", default="out", help="output directory of a corpus run (default: out)")
    parser.add_argument("--json", action="store_true", help="print the statistics as JSON")


def run_stats(args: argparse.Namespace, extra_args: list[str] | None = None) -> int:
    s = collect_stats(args.out)
    if not s.tables:
        print(f"no tables in {args.out}", file=sys.stderr)
        return 2
    print(json.dumps(_jsonable(s.to_dict()), indent=2) if args.json else render_stats(s))
    if s.status.startswith("INCOMPLETE") and not s.status.startswith("INCOMPLETE: no manifest"):
        print(f"{args.out}: {s.status}", file=sys.stderr)
        return 1  # a manifest that exists but says nothing is an error, not a finished run
    return 0


# ------------------------------------------------------------------------------------------ report
def report_html(out: str) -> str:
    """The whole report.html of OUT, as text (swe_corpus.report; needs the `report` extra)."""
    from swe_corpus import report

    return report.report_html(out)


def write_report(out: str) -> Path:
    """Write the report of a local OUT into OUT/report.html and return its path."""
    path = Path(out.removeprefix("file://")) / "report.html"
    tmp = path.with_name(f".report.html.{os.getpid()}.tmp")  # renamed into place: never a half page
    try:
        tmp.write_text(report_html(out), encoding="utf-8")
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def add_report_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", default="out", help="output directory of a corpus run (default: out)")


def run_report(args: argparse.Namespace, extra_args: list[str] | None = None) -> int:
    if not table_paths(args.out):
        print(f"no tables in {args.out}", file=sys.stderr)
        return 2
    print(f"wrote {write_report(args.out)}")
    return 0
