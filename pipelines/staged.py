"""`swe-corpus corpus` on one machine in bounded memory: the corpus as a sequence of pipelines, the PR
and extraction stages run one repository partition at a time (`swe_corpus.partitions`).

    ingest     every hour (resumable units)            -> OUT/events, OUT/rejected/ingest-*
    plan       repositories -> partitions within `[run] memory_gb`, from the events table
    partition  its events -> prs -> extract (resumable) -> OUT/issues, OUT/rejected/pK-*, OUT/.work/parts/pK
    curate     every partition's PRs and blobs          -> OUT/pull_requests, rl_seed, blobs, rejected/curate-*

Beam's local runner holds the whole input of a GroupByKey in memory; here each holds one partition's.
Distributed runners run `BuildCorpus` as one pipeline instead: their shuffle is not one machine's memory.
The step labels are BuildCorpus's (`Corpus/Ingest/...`), so per-stage times add up the same way.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import apache_beam as beam
import pyarrow as pa
import pyarrow.parquet as pq
from apache_beam.io.filesystems import FileSystems
from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions

from pipelines import curate as curate_stage
from pipelines import extract as extract_stage
from pipelines import prs as prs_stage
from pipelines.common import WriteTable, make_pipeline, run_to_completion, work_dir
from pipelines.ingest import IngestEvents, ingest_options
from schemas import TABLES
from schemas.tables import BLOBS, EVENTS, PULL_REQUESTS_EXTRACTED
from swe_corpus import config as corpus_config
from swe_corpus.partitions import PLAN_COLUMNS, PartitionPlan, RepositoryGraph, partition_count, relevant

log = logging.getLogger(__name__)

PLAN_BATCH_ROWS = 8_192  # events read at a time while planning and splitting (bodies are large)
SPLIT_BUFFER_BYTES = 32 << 20  # events held while splitting, written out together


def is_local(beam_args: list[str]) -> bool:
    """Whether the pipeline runs on this machine (no `--runner`, or the in-process/direct runner)."""
    runner = PipelineOptions(beam_args).view_as(StandardOptions).runner
    return runner is None or runner.lower() in ("directrunner", "direct", "fnapirunner")


@dataclass
class StagedRun:
    """The finished pipelines of a staged run and how its input was partitioned."""

    results: list = field(default_factory=list)
    partitions: dict = field(default_factory=dict)

    def run(self, beam_args: list[str], build: Callable[[beam.Pipeline], None]) -> None:
        """One more pipeline of the run, then the memory it held given back before the next grows."""
        pipeline = make_pipeline(beam_args)
        build(pipeline)
        self.results.append(run_to_completion(pipeline))
        give_back_memory()


def units_dir(cfg: corpus_config.CorpusConfig) -> str | None:
    """OUT/.work when the run keeps resumable units, else None."""
    return work_dir(cfg.run.out) if cfg.run.resume else None


# The corpus's steps, applied inside a composite labelled "Corpus" (so step labels and per-stage times
# are the same whether the corpus is one pipeline, BuildCorpus, or staged here).
def ingest_step(hours, cfg: corpus_config.CorpusConfig) -> dict:
    return hours | "Ingest" >> IngestEvents(**ingest_options(cfg.ingest), units_dir=units_dir(cfg))


def prs_and_extract_steps(events, cfg: corpus_config.CorpusConfig) -> tuple[dict, dict]:
    assembled = events | "PullRequests" >> prs_stage.AssemblePullRequests(
        prs_stage.config_from_corpus(cfg.prs)
    )
    rows = assembled["pull_requests"] | "PRRows" >> beam.FlatMap(pa.Table.to_pylist)
    extracted = rows | "Extract" >> extract_stage.ExtractCode(
        extract_stage.config_from_corpus(cfg.extract), units_dir=units_dir(cfg)
    )
    return assembled, extracted


def curate_step(prs, blobs, cfg: corpus_config.CorpusConfig) -> dict:
    curate = curate_stage.Curate(curate_stage.config_from_corpus(cfg.curate))
    return {"pull_requests": prs, "blobs": blobs} | "Curate" >> curate


class _Steps(beam.PTransform):
    """Some of the corpus's steps as one composite (labelled "Corpus" by the caller)."""

    def __init__(self, steps: Callable):
        super().__init__()
        self.steps = steps

    def expand(self, pcoll):
        return self.steps(pcoll)


def _partition_steps(cfg: corpus_config.CorpusConfig, curate: bool) -> Callable:
    """One partition's events -> issues, extracted PRs, blobs, rejected (the prs and extract stages);
    with `curate`, the curated tables too (a run of one partition hands its rows over in memory)."""

    def steps(events) -> dict:
        assembled, extracted = prs_and_extract_steps(events, cfg)
        rejected = [assembled["rejected"], extracted["rejected"]]
        tables = {**extracted, "issues": assembled["issues"]}
        if curate:
            curated = curate_step(extracted["pull_requests"], extracted["blobs"], cfg)
            rejected.append(curated["rejected"])
            tables.update(pull_requests=curated["pull_requests"], rl_seed=curated["rl_seed"])
        return {**tables, "rejected": tuple(rejected) | "Rejected" >> beam.Flatten()}

    return steps


BATCHED_TABLES = frozenset({"events", "issues"})  # the tables whose PCollections hold pyarrow Tables


def write_tables(tables: dict, out: str, num_shards: int, stem: str = "part") -> None:
    """Each of `tables` (PCollections by table name) as OUT/<table>/<stem>-*.parquet, its schema's."""
    for name, pcoll in tables.items():
        pcoll | f"Write_{name}" >> WriteTable(
            out, name, TABLES[name], batched=(name in BATCHED_TABLES), num_shards=num_shards, name=stem
        )


def run_staged(cfg: corpus_config.CorpusConfig, hours: list[str], beam_args: list[str]) -> StagedRun:
    out = cfg.run.out.rstrip("/")
    work = work_dir(out)
    staged = StagedRun()

    def run(build: Callable[[beam.Pipeline], None]) -> None:
        staged.run(beam_args, build)

    _clear(f"{work}/partitions", f"{work}/parts")  # scratch of an earlier, unfinished run
    run(lambda p: _ingest(p, cfg, hours))
    inputs, staged.partitions = _partition(cfg, f"{out}/events/*.parquet", f"{work}/partitions")
    if len(inputs) == 1:
        run(lambda p: _whole(p, cfg, inputs[0]))
    else:
        for k, pattern in enumerate(inputs):
            run(lambda p, k=k, pattern=pattern: _one_partition(p, cfg, pattern, k))
        run(lambda p: _curate(p, cfg))
    _clear(f"{work}/partitions", f"{work}/parts")
    return staged


def run_prs_staged(cfg: corpus_config.CorpusConfig, events: str, out: str, beam_args: list[str]) -> StagedRun:
    """`swe-corpus prs` on this machine: the events (a glob) in repository partitions within
    `[run] memory_gb`, one pipeline each, writing OUT/<table>/pK-*.parquet."""
    out = out.rstrip("/")
    folder = f"{work_dir(out)}/partitions"
    staged = StagedRun()
    _clear(folder)
    inputs, staged.partitions = _partition(cfg, events, folder)
    config = prs_stage.config_from_corpus(cfg.prs)
    for k, pattern in enumerate(inputs):
        staged.run(
            beam_args,
            lambda p, k=k, pattern=pattern: prs_stage.build_tables(
                _read_events(p, pattern), config, out, name=f"p{k:05d}"
            ),
        )
    _clear(folder, work_dir(out))
    return staged


def _ingest(p: beam.Pipeline, cfg, hours: list[str]) -> None:
    hours = p | "Hours" >> beam.Create(hours, reshuffle=False)  # IngestEvents spreads them
    tables = hours | "Corpus" >> _Steps(lambda h: ingest_step(h, cfg))
    write_tables(tables, cfg.run.out, cfg.run.num_shards, stem="ingest")


def _partition(cfg, events: str, folder: str) -> tuple[list[str | None], dict]:
    """The plan (in the manifest) and each partition's events file pattern; the plan itself, the one
    thing here that grows with the number of repositories, is gone before the partitions run."""
    start = time.perf_counter()
    partitions = cfg.run.partitions
    if cfg.prs.hydrate:  # a PR's links may come from the API (trimmed payloads): no plan can see them
        partitions = 1
    plan = plan_partitions(_files(events), cfg.run.memory_gb, partitions)
    inputs = split_events(_files(events), plan, folder)
    give_back_memory()  # the batches read twice and the graph
    if (need := partition_count(max(plan.events, default=0), cfg.run.memory_gb)) > 1:
        why = "with --hydrate the run is one partition" if cfg.prs.hydrate else "repositories joined by links"
        log.warning(
            "a partition holds %d kept events, more than memory_gb=%s fits (~%dx); %s",
            max(plan.events),
            cfg.run.memory_gb,
            need,
            why,
        )
    log.info(
        "plan: %d kept PR/issue events in %d partitions (largest %d events) for memory_gb=%s",
        sum(plan.events),
        plan.count,
        max(plan.events, default=0),
        cfg.run.memory_gb,
    )
    return inputs, {
        "count": plan.count,
        "events": plan.events,
        "largest_component": plan.largest_component,
        "memory_gb": cfg.run.memory_gb,
        "plan_seconds": round(time.perf_counter() - start, 2),
    }


def _read_events(p: beam.Pipeline, pattern: str | None):
    if pattern is None:
        return p | "NoEvents" >> beam.Create([])
    return p | "ReadEvents" >> prs_stage.ReadEvents(pattern)


def _whole(p: beam.Pipeline, cfg, pattern: str | None) -> None:
    """The one partition of a small input: prs, extract and curate in one pipeline."""
    tables = _read_events(p, pattern) | "Corpus" >> _Steps(_partition_steps(cfg, curate=True))
    write_tables(tables, cfg.run.out, cfg.run.num_shards)


def _one_partition(p: beam.Pipeline, cfg, pattern: str | None, k: int) -> None:
    """Partition k: its issues and rejections into OUT, its PRs and blobs into scratch for curate."""
    out, name = cfg.run.out, f"p{k:05d}"
    parts = f"{work_dir(out)}/parts/{name}"
    tables = _read_events(p, pattern) | "Corpus" >> _Steps(_partition_steps(cfg, curate=False))
    for table, schema, where in (
        ("issues", TABLES["issues"], out),
        ("rejected", TABLES["rejected"], out),
        ("pull_requests", PULL_REQUESTS_EXTRACTED, parts),
        ("blobs", BLOBS, parts),
    ):
        tables[table] | f"Write_{table}" >> WriteTable(
            where, table, schema, batched=table in BATCHED_TABLES, num_shards=cfg.run.num_shards, name=name
        )


def _curate(p: beam.Pipeline, cfg) -> None:
    """Every partition's PRs (and their blobs, one per sha) -> the curated tables."""
    parts = f"{work_dir(cfg.run.out)}/parts"
    prs = p | "ReadPRs" >> beam.io.ReadFromParquet(f"{parts}/*/pull_requests/*.parquet")
    blobs = (
        p
        | "ReadBlobs" >> beam.io.ReadFromParquet(f"{parts}/*/blobs/*.parquet")
        | "KeyBySha" >> beam.Map(lambda row: (row["blob_sha"], row))
        | "OneBlobPerSha" >> extract_stage.OneBlobPerSha()
    )
    tables = prs | "Corpus" >> _Steps(lambda prs: curate_step(prs, blobs, cfg))
    write_tables({**tables, "blobs": blobs}, cfg.run.out, cfg.run.num_shards, stem="curate")


def plan_partitions(files: list[str], memory_gb: float, partitions: int = 0) -> PartitionPlan:
    """Read the events' repositories, names and link texts (a batch at a time) and pack them into
    `partitions` partitions, or as many as `memory_gb` needs. When the events fit one partition
    (counted first, from one column), there is no graph to build: one partition holds them all."""
    if not partitions:
        events = sum(relevant(batch).num_rows for batch in _batches(files, ("event_type",)))
        if partition_count(events, memory_gb) == 1:
            return PartitionPlan({}, [events], largest_component=None)
    graph = RepositoryGraph()
    for batch in _batches(files, PLAN_COLUMNS):
        graph.add(batch)
    return graph.plan(partitions or partition_count(sum(graph.events.values()), memory_gb))


def split_events(files: list[str], plan: PartitionPlan, folder: str) -> list[str | None]:
    """Each partition's events as one Parquet file under `folder` (one pass, a batch at a time) ->
    the file pattern of each partition (None: no events). One partition reads the events table."""
    if plan.count == 1:
        return [f"{files[0].rsplit('/', 1)[0]}/*.parquet" if files else None]
    writers: dict[int, tuple] = {}
    pending: dict[int, list[pa.Table]] = {}

    def flush() -> None:  # one row group per partition per flush: few row groups, few footers
        for k, parts in pending.items():
            if k not in writers:
                fh = FileSystems.create(f"{folder}/p{k:05d}.parquet")
                writers[k] = (fh, pq.ParquetWriter(fh, EVENTS, compression="zstd", write_statistics=False))
            writers[k][1].write_table(pa.concat_tables(parts))
        pending.clear()

    try:
        for batch in _batches(files):
            for k, part in plan.split(batch).items():
                pending.setdefault(k, []).append(part)
            if sum(t.nbytes for parts in pending.values() for t in parts) > SPLIT_BUFFER_BYTES:
                flush()
        flush()
    finally:
        for fh, writer in writers.values():
            writer.close()
            fh.close()
    return [f"{folder}/p{k:05d}.parquet" if k in writers else None for k in range(plan.count)]


def give_back_memory() -> None:
    """Return freed memory to the system between the pipelines of a staged run: Python's cycles, Arrow's
    pool and glibc's heap keep it otherwise, and each partition would start higher than the last."""
    gc.collect()
    pa.default_memory_pool().release_unused()
    with contextlib.suppress(OSError, AttributeError):  # glibc only
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def _batches(files: list[str], columns: tuple[str, ...] | None = None):
    for path in files:
        with FileSystems.open(path) as fh:
            reader = pq.ParquetFile(fh, pre_buffer=False, buffer_size=1 << 20)  # column chunks streamed
            for batch in reader.iter_batches(batch_size=PLAN_BATCH_ROWS, columns=columns, use_threads=False):
                table = pa.Table.from_batches([batch])
                yield table if columns else table.cast(EVENTS)


def _files(pattern: str) -> list[str]:
    return sorted(m.path for m in FileSystems.match([pattern])[0].metadata_list)


def _clear(*folders: str) -> None:
    """Remove scratch folders: their contents (a prefix on object stores), then the folder itself."""
    for folder in folders:
        if FileSystems.match([f"{folder}/*"])[0].metadata_list:
            FileSystems.delete([f"{folder}/"])
        if FileSystems.exists(folder):
            FileSystems.delete([folder])
