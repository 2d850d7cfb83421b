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
