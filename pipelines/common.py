"""Beam plumbing shared by every stage: the runner choice, table I/O, metrics, and how a command starts
(`prepare_out`) and ends (`end_run`: manifest, funnel, invariant)."""

from __future__ import annotations

import argparse
import contextlib
import difflib
import gc
import logging
import sys
import threading
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator

import apache_beam as beam
import pyarrow as pa
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics import Metrics
from apache_beam.metrics.metric import MetricsFilter
from apache_beam.options.pipeline_options import DirectOptions, PipelineOptions, PortableOptions
from apache_beam.pvalue import TaggedOutput
from apache_beam.runners.runner import PipelineResult
from apache_beam.transforms import environments

from schemas import TABLES
from swe_corpus.errors import ConfigError
from swe_corpus.health import InputHealth
from swe_corpus.manifest import render_funnel, to_json
from swe_corpus.rejects import Rejection

log = logging.getLogger(__name__)

SHARD_TEMPLATE = "-SSSSS-of-NNNNN"
FUNNEL = "funnel"  # the metrics namespace of every stage's `<stage>:in/kept/rejected:<reason>` counters
REJECTED_TAG = "rejected"  # the tagged output every stage sends its `rejected` rows to


_recorders = threading.local()  # the counts of the resumable unit whose own code is running


def inc(namespace: str, name: str, n: int = 1) -> None:
    """Add `n` to the counter `namespace`/`name`; also to the running unit's record (pipelines.units)."""
    Metrics.counter(namespace, name).inc(n)
    stack = getattr(_recorders, "stack", None)
    if stack and n:
        stack[-1][(namespace, name)] += n


def recording(items: Iterable, counts: Counter) -> Iterator:
    """`items` (a DoFn's outputs), with the counters incremented while the iterator's own code runs
    added to `counts`; not those of the steps that run between two of its items (fused consumers)."""
    iterator = iter(items)
    stack = _recorders.__dict__.setdefault("stack", [])
    while True:
        stack.append(counts)
        try:
            item = next(iterator)
        except StopIteration:
            return
        finally:
            stack.pop()
        yield item


def count(stage: str, what: str, n: int = 1) -> None:
    """Add `n` to the funnel counter `<stage>:<what>`."""
    inc(FUNNEL, f"{stage}:{what}", n)


def rejected_output(rejection: Rejection) -> TaggedOutput:
    """The one router of rejections: `rejection`'s row on the `rejected` output, counted in the funnel
    as `<stage>:rejected:<reason>`."""
    count(rejection.stage, f"rejected:{rejection.reason}")
    return TaggedOutput(REJECTED_TAG, rejection.row())


def make_pipeline(beam_args: list[str] | None = None) -> beam.Pipeline:
    """A pipeline for `beam_args` (passed through untouched).

    Without `--runner`, pin the in-process FnApiRunner: Beam's default DirectRunner first tries Prism,
    which downloads a Go binary on every run (fails offline, slow online). FnApiRunner honours
    `--direct_num_workers N --direct_running_mode multi_processing` for multi-core local runs, and
    `--environment_type EXTERNAL --environment_config HOST:PORT` (N workers from a running
    `worker_pool_main`), which FnApiRunner otherwise ignores in favour of in-process workers.
    """
    beam_args = list(beam_args or [])
    options = PipelineOptions(beam_args)
    if not any(a == "--runner" or a.startswith("--runner=") for a in beam_args):
        from apache_beam.runners.portability.fn_api_runner import FnApiRunner

        portable = options.view_as(PortableOptions)
        environment = None
        if (portable.environment_type or "").upper() == "EXTERNAL":
            environment = environments.ExternalEnvironment.from_options(portable)
        return beam.Pipeline(runner=FnApiRunner(default_environment=environment), options=options)
    return beam.Pipeline(options=options)


def one_local_worker(pipeline: beam.Pipeline) -> bool:
    """Whether `pipeline` runs everything in one in-process worker (the default local run).

    There a Reshuffle has no workers to spread elements over and only adds a shuffle stage (~40 ms per
    run), so composites that spread their input skip it.
    """
    from apache_beam.runners.portability.fn_api_runner import FnApiRunner

    workers = pipeline.options.view_as(DirectOptions).direct_num_workers
    return isinstance(pipeline.runner, FnApiRunner) and workers == 1


def run_to_completion(pipeline: beam.Pipeline) -> PipelineResult:
    """Run `pipeline` and wait for it; -> the PipelineResult.

    While it runs, the objects alive at its start (imported modules, the pipeline graph: long-lived by
    nature) are hidden from the cyclic garbage collector with `gc.freeze()`. With the in-process runner,
    each full collection would otherwise rescan those ~140k objects while records stream through (tens
    of ms each, at random points of the run). `gc.unfreeze()` afterwards makes them collectable again,
    so repeated runs in one process leak nothing. On remote runners this process only submits the job.
    """
    gc.freeze()
    try:
        result = pipeline.run()
        result.wait_until_finish()
    finally:
        gc.unfreeze()
    return result


def table_prefix(out_dir: str, table: str, name: str = "part") -> str:
    """Path prefix of a table's shards: OUT/<table>/part (`name`: another stem, for a second writer of
    the same table)."""
    return f"{out_dir.rstrip('/')}/{table}/{name}"


def table_glob(out_dir: str, table: str) -> str:
    return f"{out_dir.rstrip('/')}/{table}/*.parquet"


def rows_to_table(rows: Iterable[dict], schema: pa.Schema) -> pa.Table:
    """Rows (dicts keyed by column) -> a table of exactly `schema` (missing keys become null)."""
    return pa.Table.from_pylist(list(rows), schema=schema)


def pack(table: pa.Table) -> bytes:
    """A table as Arrow IPC stream bytes, for elements that cross a shuffle: ~8x cheaper to encode
    and decode than Beam's pickling of a `pyarrow.Table`."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def unpack(data: bytes) -> pa.Table:
    """The table `pack` wrote."""
    return pa.ipc.open_stream(data).read_all()


class WriteTable(beam.PTransform):
    """Write a PCollection of row dicts (or of `pyarrow.Table`s, with `batched=True`) as Parquet shards.

    Rows are batched inside the bundle so the per-element cost is paid once per batch.
    Goes through Beam FileSystems, so local paths, gs:// and other registered filesystems all work.
    """

    def __init__(
        self,
        out_dir: str,
        table: str,
        schema: pa.Schema,
        *,
        batched: bool = False,
        num_shards: int = 0,
        name: str = "part",
    ):
        super().__init__()
        self.out_dir, self.table, self.schema = out_dir, table, schema
        self.batched, self.num_shards, self.name = batched, num_shards, name

    def expand(self, pcoll):
        schema = self.schema
        tables = pcoll
        if not self.batched:
            tables = (
                pcoll
                | "Batch" >> beam.BatchElements(min_batch_size=256, max_batch_size=8192)
                | "ToArrow" >> beam.Map(rows_to_table, schema)
            )
        return tables | "WriteParquet" >> beam.io.WriteToParquetBatched(
            table_prefix(self.out_dir, self.table, self.name),
            schema=schema,
            codec="zstd",
            file_name_suffix=".parquet",
            num_shards=self.num_shards,
            shard_name_template=SHARD_TEMPLATE,
        )


@contextlib.contextmanager
def atomic_create(path: str) -> Iterator:
    """A file at any Beam FileSystems path, written to a hidden temporary name and renamed into place
    when the block ends without error (deleted otherwise): a crash, a full disk or a generator closed
    half-way never leaves a half file under the final name."""
    folder, name = path.rsplit("/", 1) if "/" in path else (".", path)
    tmp = f"{folder}/.{name}.{uuid.uuid4().hex}.tmp"  # unique: two attempts never share a file
    try:
        with FileSystems.create(tmp) as fh:
            yield fh
        FileSystems.rename([tmp], [path])  # os.rename locally (replaces atomically); copy+delete on GCS
    except BaseException:
        with contextlib.suppress(Exception):
            FileSystems.delete([tmp])
        raise


def write_text(path: str, text: str) -> None:
    """A small text file (manifest, dataset card, report), written whole or not at all (`stats` takes
    a manifest.json as proof that the run finished)."""
    with atomic_create(path) as fh:
        fh.write(text.encode())


def counters(result, namespace: str | None = None) -> dict[str, int]:
    """Committed counter values of a finished pipeline, keyed by counter name (summed over steps)."""
    flt = MetricsFilter().with_namespace(namespace) if namespace else MetricsFilter()
    totals: dict[str, int] = {}
    for c in result.metrics().query(flt)["counters"]:
        name = c.key.metric.name
        totals[name] = totals.get(name, 0) + (c.committed if c.committed is not None else c.attempted)
    return totals


def merged_counters(results: list, namespace: str | None, read=None) -> dict[str, int]:
    """The counters of several finished pipelines (a staged run's), summed by name; `read`(result) ->
    {name: value} instead of the `namespace` counters."""
    total: Counter = Counter()
    for result in results:
        total.update(read(result) if read else counters(result, namespace))
    return dict(total)


def beam_option_parser() -> argparse.ArgumentParser:
    """A parser of every option Beam's pipeline options know (`--runner`, `--direct_num_workers`...)."""
    from apache_beam.options.pipeline_options import PipelineOptions

    parser = argparse.ArgumentParser(allow_abbrev=False, conflict_handler="resolve", add_help=False)
    todo, seen = [PipelineOptions], set()
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub not in seen:
                seen.add(sub)
                sub._add_argparse_args(parser)
                todo.append(sub)
    return parser


def unknown_beam_args(args: list[str], own_flags: list[str] = ()) -> str | None:
    """What in `args` (passed through to Beam) Beam does not know, with a did-you-mean over `own_flags`
    and Beam's flags; None when Beam knows all of it. Beam itself only logs a warning for an unknown or
    single-dash flag or a stray word, so a typo (`--relevent-k 5`) would run with the default, exit 0."""
    parser = beam_option_parser()
    _, leftover = parser.parse_known_args(args)
    if not leftover:
        return None
    token = leftover[0]
    if not token.startswith("-"):
        return f"unexpected argument {token!r}"
    name = token.split("=", 1)[0]
    known = list(own_flags) + sorted(f for f in parser._option_string_actions if f.startswith("--"))
    close = difflib.get_close_matches("--" + name.lstrip("-"), known, n=1)
    return f"unknown option {name}" + (f" (did you mean {close[0]}?)" if close else "")


# ------------------------------------------------------------------ how a command starts and ends
# What a finished run leaves in OUT besides its tables: removed with them by --overwrite.
WORK_DIR = ".work"  # a resumable run's units of work (pipelines.units), inside OUT
RUN_FILES = ("manifest.json", "README.md", "report.html")


def work_dir(out: str) -> str:
    return f"{out.rstrip('/')}/{WORK_DIR}"


def prepare_out(
    out: str,
    overwrite: bool,
    command: str = "corpus",
    inputs: tuple[str, ...] = (),
    resumable: bool = False,
) -> None:
    """Refuse an OUT that holds a run (any table's shards, a manifest.json) unless `overwrite`; with it,
    remove the old tables and run files so no stale shard stays. One rule for every command: a run
    never mixes with what another left (ConfigError: one line, exit 2). An OUT that is one of the
    command's `inputs` is refused in any case. A `resumable` command (corpus) refuses only a finished
    run (one with its manifest.json) and continues an unfinished one: its tables go, OUT/.work stays.

    Tables are found by listing their shards: on gs:// a directory is only a prefix, not an object.
    """
    out = out.rstrip("/")
    if out in {i.rstrip("/") for i in inputs}:  # --overwrite would delete the input before reading it
        raise ConfigError(f"--out {out} is also this command's input; choose another --out")
    tables = [t for t in TABLES if FileSystems.match([f"{out}/{t}/*"])[0].metadata_list]
    finished = [f for f in RUN_FILES[:1] if FileSystems.exists(f"{out}/{f}")]
    existing = tables + finished
    # an unfinished corpus run left its units: OUT/.work (tables alone may be anybody's)
    unfinished = resumable and not finished and FileSystems.exists(work_dir(out))
    if existing and not unfinished and not overwrite:
        make = " (make corpus OVERWRITE=1)" if command == "corpus" else ""
        raise ConfigError(
            f"{out} already holds a run ({', '.join(existing)}); pass --overwrite{make} to replace it, "
            "or choose another --out"
        )
    if existing:  # a trailing slash deletes a whole prefix on object stores, a directory locally
        # the dataset card and the report describe the old run: they go with it, even if this run fails
        existing += [f for f in RUN_FILES[1:] if FileSystems.exists(f"{out}/{f}")]
        FileSystems.delete([f"{out}/{t}" + ("/" if t in TABLES else "") for t in existing])


def input_files(pattern: str) -> list[str]:
    """The files matching `pattern`; ConfigError (one line, exit 2) when there are none: a stage with
    no input would write an empty output and exit 0."""
    try:
        files = sorted(m.path for m in FileSystems.match([pattern])[0].metadata_list)
    except Exception:  # noqa: BLE001 - a missing directory is "no files" for every filesystem
        files = []
    if not files:
        raise ConfigError(f"no input: {pattern} matches no file")
    return files


def stage_config(cfg, *sections: str) -> dict:
    """The manifest's `config` of a stage command: its corpus.toml sections and [run]."""
    everything = cfg.to_dict()
    return {name: everything[name] for name in (*sections, "run")}


def end_run(command: str, out: str, manifest: dict, seconds: float, health: InputHealth | None = None) -> int:
    """How every command ends: OUT/manifest.json (`swe_corpus.manifest.build_manifest`, plus `input`
    from `health` where given), then
    - when the run produced nothing usable (`health.fatal()`): that one line on stderr, exit 1;
    - else partial input failures as warnings, the funnel (`render_funnel`, as `stats` prints it) and
      the invariant in = kept + rejected per stage: exit 1 with the broken sums when it does not hold."""
    out = out.rstrip("/")
    fatal = health.fatal() if health else None
    if health:
        manifest["input"] = {**health.to_dict(), "error": fatal}
    write_text(f"{out}/manifest.json", to_json(manifest))
    if fatal:  # the counts stay in the manifest
        print(f"swe-corpus {command}: {fatal}; the funnel is in {out}/manifest.json", file=sys.stderr)
        return 1
    for warning in health.warnings() if health else ():
        log.warning("partial input: %s", warning)
    print(f"\nfunnel ({seconds:.1f}s):\n{render_funnel(manifest['funnel'])}")
    print(f"manifest: {out}/manifest.json")
    if not manifest["funnel_ok"]:
        log.error("funnel does not add up: %s", "; ".join(manifest["funnel_errors"]))
        return 1
    return 0
