"""Reading a stage's output tables back in tests."""

from __future__ import annotations

from pathlib import Path

import duckdb


def rows(out: Path, table: str, sql: str = "SELECT * FROM t") -> list[dict]:
    con = duckdb.connect()
    con.execute(f"CREATE VIEW t AS SELECT * FROM read_parquet('{out}/{table}/*.parquet')")
    cur = con.execute(sql)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def comparable_rows(out: Path, table: str) -> list[tuple]:
    """Every row of a table, as comparable tuples in a canonical order (two runs' tables compared)."""
    rel = duckdb.sql(f"select * from read_parquet('{out}/{table}/*.parquet')")
    return sorted(tuple(map(repr, r)) for r in rel.fetchall())
