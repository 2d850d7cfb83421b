"""The corpus pipeline distributed over worker processes that do not share the launcher's directory
(issue 13, item 6).

A module fixture starts Beam's own job service (`local_job_service_main`) and an external worker pool
(`worker_pool_main`) in ANOTHER working directory, on free ports of 127.0.0.1, and stops both (and the
SDK workers the pool started) at the end. The offline demo world then runs three ways, all launched
with RELATIVE locations from the launcher's directory:

- in process (FnApiRunner), the reference;
- `--runner PortableRunner` through the job service, its SDK worker from the pool (Beam 2.78's local job
  service runs each job on one SDK worker: `run_via_runner_api` ignores `--direct_num_workers`);
- FnApiRunner handing the work to two SDK workers of the same pool (`--environment_type EXTERNAL
  --direct_num_workers 2`, see `pipelines.common.make_pipeline`).

Every table (read back with DuckDB) and the funnel must equal the in-process run's, and nothing may
land in the workers' directory.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

TABLES = ("events", "issues", "pull_requests", "blobs", "rl_seed", "rejected")
START_TIMEOUT_S = 90
STOP_TIMEOUT_S = 20
RUN_TIMEOUT_S = 300  # one demo corpus run takes seconds
WORKER_STARTED = "Starting worker with command"  # worker_pool_main logs this per SDK worker process


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Service:
    """A Beam service process in its own process group (so its SDK workers go down with it)."""

    def __init__(self, args: list[str], cwd: Path, port: int, log: Path):
        # The pool starts workers as `python -c ...`: this interpreter must come first on PATH.
        env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
        self.port, self.log = port, log
        with log.open("wb") as fh:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", *args],
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=fh,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"{self.log.name} exited {self.proc.returncode}: {self.log.read_text()[-2000:]}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return
            time.sleep(0.2)
        self.stop()
        pytest.fail(f"{self.log.name} not listening on 127.0.0.1:{self.port} after {START_TIMEOUT_S}s")

    def stop(self) -> None:
        """SIGINT (the pool then stops its workers), then SIGKILL to whatever is left of the group."""
        pgid = self.proc.pid
        with contextlib.suppress(ProcessLookupError):
            self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            pass
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)
        self.proc.wait(timeout=STOP_TIMEOUT_S)

    def group_alive(self) -> bool:
        try:
            os.killpg(self.proc.pid, 0)
        except ProcessLookupError:
            return False
        return True


@pytest.fixture(scope="module")
def services(tmp_path_factory) -> Iterator[dict]:
    root = tmp_path_factory.mktemp("portable")
    worker_cwd = root / "worker-cwd"
    worker_cwd.mkdir()
    job_port, pool_port = free_port(), free_port()
    job = Service(
        ["apache_beam.runners.portability.local_job_service_main", "--port", str(job_port)],
        worker_cwd,
        job_port,
        root / "job_service.log",
    )
    pool = Service(
        ["apache_beam.runners.worker.worker_pool_main", "--service_port", str(pool_port)],
        worker_cwd,
        pool_port,
        root / "worker_pool.log",
    )
    try:
        job.wait_ready()
        pool.wait_ready()
        yield {"root": root, "worker_cwd": worker_cwd, "job": job, "pool": pool}
    finally:
        for service in (pool, job):
            service.stop()
        deadline = time.monotonic() + STOP_TIMEOUT_S
        while any(s.group_alive() for s in (pool, job)) and time.monotonic() < deadline:
            time.sleep(0.2)
        leftover = [s.log.name for s in (pool, job) if s.group_alive()]
        assert not leftover, f"processes left behind by {leftover}"


def rows(out: Path, table: str) -> list[tuple]:
    rel = duckdb.sql(f"select * from read_parquet('{out}/{table}/*.parquet')")
    return sorted(tuple(map(repr, r)) for r in rel.fetchall())


def workers_started(pool) -> int:
    return pool.log.read_text(errors="replace").count(WORKER_STARTED)


@pytest.fixture(scope="module")
def runs(services) -> dict:
    """The three runs, each a `swe-corpus corpus` process launched from `launch/` with relative locations
    and a bounded wait."""
    root, pool = services["root"], services["pool"]
    launch = root / "launch"
    launch.mkdir()
    endpoint = f"127.0.0.1:{pool.port}"
    ways = {
        "in_process": [],
        "portable": ["--runner", "PortableRunner", "--job_endpoint", f"127.0.0.1:{services['job'].port}"]
        + ["--environment_type", "EXTERNAL", "--environment_config", endpoint],
        "pool_two_workers": ["--environment_type", "EXTERNAL", "--environment_config", endpoint]
        + ["--direct_num_workers", "2"],
    }
    started = {}
    for name, beam_args in ways.items():
        before = workers_started(pool)
        proc = subprocess.run(
            [sys.executable, "-m", "swe_corpus", "corpus", "--demo-dir", "world", "--out", f"out-{name}"]
            + ["--cache-dir", "cache/gharchive", "--git-cache-dir", f"cache/git-{name}", *beam_args],
            cwd=launch,
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT_S,
        )
        assert proc.returncode == 0, (name, proc.stderr[-3000:])
        started[name] = workers_started(pool) - before
    return {"launch": launch, "started": started, **services}


def test_workers_ran_in_the_pool_not_in_the_launcher(runs):
    # the portable runner runs the corpus as one pipeline; FnApiRunner stages it on this machine
    # (ingest, then partitions), two workers from the pool for each of its pipelines
    pipelines = json.loads((runs["launch"] / "out-pool_two_workers" / "manifest.json").read_text())[
        "pipelines"
    ]
    assert pipelines >= 2
    assert runs["started"] == {"in_process": 0, "portable": 1, "pool_two_workers": 2 * pipelines}


def test_tables_and_funnel_equal_the_in_process_run(runs):
    launch = runs["launch"]
    reference = launch / "out-in_process"
    for name in ("portable", "pool_two_workers"):
        out = launch / f"out-{name}"
        for table in TABLES:
            assert rows(out, table) == rows(reference, table), (name, table)
        manifest = json.loads((out / "manifest.json").read_text())
        assert manifest["funnel_ok"], (name, manifest["funnel_errors"])
        assert manifest["funnel"] == json.loads((reference / "manifest.json").read_text())["funnel"], name
    assert rows(reference, "rl_seed"), "the demo world gives seeds"


def test_relative_locations_resolved_on_the_launcher(runs):
    """Workers wrote shards and clones where the launcher asked, nothing into their own directory."""
    assert sorted(p.name for p in runs["worker_cwd"].iterdir()) == []
    for name in ("portable", "pool_two_workers"):
        assert list((runs["launch"] / f"cache/git-{name}").glob("*/*.git")), name
