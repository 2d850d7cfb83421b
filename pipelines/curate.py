"""Curation stage: filters -> decontamination -> MinHash dedup -> RL seeds (+ manifest and dataset card).

`Curate(config)` maps `{"pull_requests": extracted rows, "blobs": blob rows}` to
`{"pull_requests": curated rows, "rl_seed": seed rows, "rejected": rejected rows}`;
`swe-corpus curate --prs DIR --out DIR` runs it on DIR/pull_requests and DIR/blobs.

Decontamination runs before dedup so a benchmark PR can never be the representative that removes its
clean near-duplicates. Dedup clusters are the connected components of the candidate graph: each LSH band
bucket (GroupByKey per band key) emits a spanning forest of its verified pairs (`dedup.bucket_edges`),
each exact-patch group a star to its minimum member, and all edges meet in one keyed union-find step.
Only duplicate PRs produce edges, so that step holds a small fraction of the corpus; K rounds of label
propagation would need K shuffles of the whole graph and still not converge on long chains.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems
from apache_beam.pvalue import TaggedOutput

from pipelines.common import (
    FUNNEL,
    REJECTED_TAG,
    WriteTable,
    count,
    counters,
    end_run,
    input_files,
    make_pipeline,
    prepare_out,
    rejected_output,
    run_to_completion,
    table_glob,
    write_text,
)
from schemas import PULL_REQUESTS_CURATED, REJECTED, RL_SEED
from swe_corpus import dedup, seeds
from swe_corpus.config import add_config_arguments, resolve_config, section_options
from swe_corpus.decontaminate import (
    BenchmarkTask,
    DecontaminationConfig,
    Decontaminator,
    NearCopyConfig,
    parse_benchmark,
)
from swe_corpus.filters import FilterChain, FilterConfig
from swe_corpus.manifest import build_manifest, dataset_card
from swe_corpus.rejects import error_rejection
from swe_corpus.stages import CURATE_STAGES, DECONTAMINATE, DEDUP, FILTER
from swe_corpus.stages import RL_SEED as SEEDS

log = logging.getLogger(__name__)


@dataclass
class CurateConfig:
    filters: FilterConfig = field(default_factory=FilterConfig)
    decontamination: DecontaminationConfig = field(default_factory=DecontaminationConfig)
    dedup: dedup.DedupConfig = field(default_factory=dedup.DedupConfig)
    seeds: seeds.SeedConfig = field(default_factory=seeds.SeedConfig)
    signature_batch: int = 512  # PRs hashed per vectorised MinHash call


# --------------------------------------------------------------------------- filters and decontamination
def read_benchmark(path: str) -> list[BenchmarkTask]:
    """The benchmark export, read once at pipeline construction through Beam's FileSystems (local paths,
    gs://, ...) and parsed there, so a malformed export fails before the job starts."""
    with FileSystems.open(path) as fh:
        return parse_benchmark(fh.read(), path)


def judge(stage: str, pr: dict, decide) -> Iterator:
    """`decide(pr)` -> (row, Rejection or None): the row kept, or its rejection routed, counted in the
    funnel; a defect (an exception) rejects that row alone."""
    count(stage, "in")
    try:
        row, rejection = decide(pr)
    except Exception as err:  # noqa: BLE001 - one odd row is a recorded rejection, not a failed run
        row, rejection = pr, error_rejection(stage, err)
    if rejection:
        yield rejected_output(rejection.of(row))
    else:
        count(stage, "kept")
        yield row


class FilterDoFn(beam.DoFn):
    """Measures and filters each PR; the fastText model loads once per worker in setup."""

    def __init__(self, config: FilterConfig):
        self.config = config

    def setup(self):
        self.chain = FilterChain(self.config)

    def process(self, pr: dict):
        yield from judge(FILTER, pr, self.chain)


class DecontaminateDoFn(beam.DoFn):
    """`tasks`: the benchmark export read on the launcher (`read_benchmark`); they travel with the DoFn,
    so workers never open `benchmark_file`, which may be a launcher-local path or need credentials."""

    def __init__(self, config: DecontaminationConfig, tasks: list[BenchmarkTask] | None = None):
        self.config, self.tasks = config, tasks

    def setup(self):
        self.decontaminator = Decontaminator(self.config, tasks=self.tasks)

    def process(self, pr: dict):
        yield from judge(DECONTAMINATE, pr, lambda p: (p, self.decontaminator(p)))


# --------------------------------------------------------------------------- dedup
class SignatureDoFn(beam.DoFn):
    """A batch of PRs -> LSH band entries (band key, (node, signature)) and exact-patch entries."""

    def __init__(self, config: dedup.DedupConfig):
        self.config = config

    def setup(self):
        c = self.config
        self.hasher = dedup.MinHasher(c.num_perm, c.seed, c.ngram)

    def process(self, batch: list[dict]):
        c = self.config
        sigs = self.hasher.signatures([dedup.dedup_document(pr)[: c.max_doc_chars] for pr in batch])
        for pr, sig in zip(batch, sigs, strict=True):
            node = dedup.node_of(pr)
            if node[2]:
                yield TaggedOutput("exact", (node[2], node))
            raw = sig.tobytes()
            for key in dedup.band_keys(sig, c.bands, c.rows):
                yield (key, (node, raw))


def _components(item):
    """All edges (one key) -> (instance_id, (representative node, cluster size)) for clustered PRs."""
    _, edges = item
    for node, (root, size) in dedup.connected_components(edges).items():
        yield node[1], (root, size)


@beam.typehints.with_output_types(dict)  # the main output: kept rows (rejections are tagged)
class DecideDuplicates(beam.DoFn):
    """Joins cluster assignments back onto PRs: the representative is kept, the rest rejected."""

    def process(self, item):
        _, grouped = item
        pr, repeats = dedup.choose_instance(list(grouped["pr"]))
        for rejection in repeats:  # the same PR twice in the input: keep one, account for the rest
            count(DEDUP, "in")
            yield rejected_output(rejection)
        if pr is None:
            return
        count(DEDUP, "in")
        rejection, size = dedup.duplicate_rejection(pr, grouped["cluster"])
        if rejection:
            yield rejected_output(rejection)
            return
        count(DEDUP, "kept")
        yield {**pr, "dedup_cluster": pr["instance_id"], "dedup_cluster_size": size}


class NearDedup(beam.PTransform):
    """MinHash LSH + exact patch dedup with connected components; one representative per cluster."""

    def __init__(self, config: dedup.DedupConfig, batch_size: int = 512):
        super().__init__()
        self.config, self.batch_size = config, batch_size

    def expand(self, prs):
        c = self.config
        entries = (
            prs
            | "Batch" >> beam.BatchElements(min_batch_size=16, max_batch_size=self.batch_size)
            | "Signatures" >> beam.ParDo(SignatureDoFn(c)).with_outputs("exact", main="bands")
        )
        band_edges = (
            entries.bands
            | "GroupByBand" >> beam.GroupByKey()
            | "BandEdges" >> beam.FlatMap(lambda kv, t: dedup.bucket_edges(kv[1], t), c.threshold)
        )
        exact_edges = (
            entries.exact
            | "GroupByPatch" >> beam.GroupByKey()
            | "ExactEdges" >> beam.FlatMap(lambda kv: dedup.bucket_edges((n, None) for n in kv[1]))
        )
        clusters = (
            (band_edges, exact_edges)
            | "Edges" >> beam.Flatten()
            | "OneKey" >> beam.Map(lambda e: (0, e))
            | "AllEdges" >> beam.GroupByKey()
            | "Components" >> beam.FlatMap(_components)
        )
        keyed = prs | "KeyPR" >> beam.Map(lambda pr: (pr["instance_id"], pr))
        return (
            {"pr": keyed, "cluster": clusters}
            | "JoinClusters" >> beam.CoGroupByKey()
            | "Decide" >> beam.ParDo(DecideDuplicates()).with_outputs(REJECTED_TAG, main="kept")
        )


# --------------------------------------------------------------------------- RL seeds
class PrecheckSeeds(beam.DoFn):
    """Classifies the issue and applies the content-free seed checks; candidates go on to the blob join."""

    def __init__(self, config: seeds.SeedConfig):
        self.config = config

    def process(self, pr: dict):
        count(SEEDS, "in")
        try:
            kind, skip = seeds.precheck(pr, self.config)
        except Exception as err:  # noqa: BLE001 - see BuildSeeds
            log.warning("seed precheck of %s failed: %s", pr.get("instance_id"), err)
            kind, skip = None, "error"
        row = {**pr, "issue_kind": kind and kind.kind, "issue_kind_reason": kind and kind.reason}
        if skip:
            count(SEEDS, f"rejected:{skip}")
            yield TaggedOutput("done", {**row, "is_rl_seed": False, "rl_seed_skip_reason": skip})
        else:
            yield (pr["instance_id"], row)


def _route_contents(item):
    """(blob_sha, {req: [instance ids], blob: [content]}) -> (instance_id, (sha, content)) per requester."""
    sha, grouped = item
    contents = list(grouped["blob"])
    if not contents:
        return
    for iid in set(grouped["req"]):
        yield iid, (sha, contents[0])


class BuildSeeds(beam.DoFn):
    def __init__(self, config: seeds.SeedConfig):
        self.config = config

    def process(self, item):
        _, grouped = item
        contents = dict(grouped["content"])
        for pr in grouped["pr"]:
            try:
                seed, skip = seeds.build_seed(pr, contents, self.config)
            except Exception as err:  # noqa: BLE001 - a PR we cannot turn into a seed is skipped, with why
                log.warning("seed of %s failed: %s", pr.get("instance_id"), err)
                seed, skip = None, "error"
            if seed is None:
                count(SEEDS, f"rejected:{skip}")
                yield {**pr, "is_rl_seed": False, "rl_seed_skip_reason": skip}
            else:
                count(SEEDS, "kept")
                yield TaggedOutput("seed", seed)
                yield {**pr, "is_rl_seed": True, "rl_seed_skip_reason": None}


class SelectSeeds(beam.PTransform):
    """Curated PR rows (with is_rl_seed) and RL_SEED rows; file contents joined from `blobs` by shuffle."""

    def __init__(self, config: seeds.SeedConfig):
        super().__init__()
        self.config = config

    def expand(self, inputs):
        prs, blobs = inputs
        cfg = self.config
        pre = prs | "Precheck" >> beam.ParDo(PrecheckSeeds(cfg)).with_outputs("done", main="candidates")
        requests = pre.candidates | "BlobRequests" >> beam.FlatMap(
            lambda kv: [(sha, kv[0]) for sha in seeds.needed_blobs(kv[1], cfg)]
        )
        blob_kv = blobs | "KeyBlob" >> beam.Map(lambda b: (b["blob_sha"], b["content"]))
        contents = (
            {"req": requests, "blob": blob_kv}
            | "JoinBlobs" >> beam.CoGroupByKey()
            | "RouteContents" >> beam.FlatMap(_route_contents)
        )
        built = (
            {"pr": pre.candidates, "content": contents}
            | "JoinContents" >> beam.CoGroupByKey()
            | "Build" >> beam.ParDo(BuildSeeds(cfg)).with_outputs("seed", main="curated")
        )
        curated = (pre.done, built.curated) | "Curated" >> beam.Flatten()
        return curated, built.seed


# --------------------------------------------------------------------------- the stage
class Curate(beam.PTransform):
    """{"pull_requests", "blobs"} -> {"pull_requests" (curated), "rl_seed", "rejected"}."""

    def __init__(self, config: CurateConfig | None = None):
        super().__init__()
        self.config = config or CurateConfig()

    def expand(self, inputs):
        c = self.config
        filtered = inputs["pull_requests"] | "Filter" >> beam.ParDo(FilterDoFn(c.filters)).with_outputs(
            REJECTED_TAG, main="kept"
        )
        d = c.decontamination
        tasks = read_benchmark(d.benchmark_file) if d.benchmark_file and d.mode != "none" else None
        clean = filtered.kept | "Decontaminate" >> beam.ParDo(DecontaminateDoFn(d, tasks)).with_outputs(
            REJECTED_TAG, main="kept"
        )
        unique = clean.kept | "Dedup" >> NearDedup(c.dedup, c.signature_batch)
        curated, seed_rows = (unique.kept, inputs["blobs"]) | "Seeds" >> SelectSeeds(c.seeds)
        rejected = (filtered.rejected, clean.rejected, unique.rejected) | "Rejected" >> beam.Flatten()
        return {"pull_requests": curated, "rl_seed": seed_rows, "rejected": rejected}


# --------------------------------------------------------------------------- CLI
def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The stage's inputs, then every `[curate]` option of corpus.toml (and `num_shards`) under the corpus
    command's names."""
    parser.add_argument(
        "--prs", required=True, help="extract output DIR (reads DIR/pull_requests, DIR/blobs)"
    )
    parser.add_argument("--out", required=True, help="output DIR")
    add_config_arguments(parser, only=section_options("curate") | {"num_shards", "overwrite"})


def config_from_args(args: argparse.Namespace) -> CurateConfig:
    """Defaults < corpus.toml (`--config`) < flags, mapped as the corpus command maps its section."""
    return config_from_corpus(resolve_config(args).curate)


def _sha256(path: str | None) -> str | None:
    if not path:
        return None
    h = hashlib.sha256()
    with FileSystems.open(path) as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def run(args: argparse.Namespace, extra_args: list[str]) -> int:
    cfg = resolve_config(args)
    config = config_from_corpus(cfg.curate)
    pr_files = input_files(table_glob(args.prs, "pull_requests"))
    blob_files = FileSystems.match([table_glob(args.prs, "blobs")])[0].metadata_list
    prepare_out(args.out, cfg.run.overwrite, "curate", inputs=(args.prs,))
    start = time.perf_counter()
    p = make_pipeline(extra_args)
    prs = p | "ReadPRs" >> beam.io.ReadFromParquet(table_glob(args.prs, "pull_requests"))
    if blob_files:
        blobs = p | "ReadBlobs" >> beam.io.ReadFromParquet(
            table_glob(args.prs, "blobs"), columns=["blob_sha", "content"]
        )
    else:
        log.warning("no blobs table under %s: RL seeds will be skipped as missing_content", args.prs)
        blobs = p | "NoBlobs" >> beam.Create([])
    out = {"pull_requests": prs, "blobs": blobs} | "Curate" >> Curate(config)
    n = cfg.run.num_shards
    out["pull_requests"] | "WritePRs" >> WriteTable(
        args.out, "pull_requests", PULL_REQUESTS_CURATED, num_shards=n
    )
    out["rl_seed"] | "WriteSeeds" >> WriteTable(args.out, "rl_seed", RL_SEED, num_shards=n)
    out["rejected"] | "WriteRejected" >> WriteTable(args.out, "rejected", REJECTED, num_shards=n)
    result = run_to_completion(p)
    inputs = {
        "pull_requests": {"dir": f"{args.prs.rstrip('/')}/pull_requests", "files": len(pr_files)},
        "blobs": {"dir": f"{args.prs.rstrip('/')}/blobs", "files": len(blob_files)},
        "benchmark_file": {
            "path": config.decontamination.benchmark_file,
            "sha256": _sha256(config.decontamination.benchmark_file),
        },
        "beam_args": extra_args,
    }
    manifest = build_manifest(
        dataclasses.asdict(config), inputs, counters(result, FUNNEL), CURATE_STAGES, chained=CURATE_STAGES
    )
    write_text(f"{args.out.rstrip('/')}/README.md", dataset_card(manifest))
    return end_run("curate", args.out, manifest, time.perf_counter() - start)


def config_from_corpus(section) -> CurateConfig:
    """The `[curate]` section of corpus.toml (`swe_corpus.config.CurateConfig`) -> CurateConfig."""
    return CurateConfig(
        filters=FilterConfig(
            languages=tuple(section.text_languages),
            min_language_score=section.min_text_language_score,
            lid_model_path=section.lid_model or None,
            max_changed_files=section.max_changed_files,
            max_changed_lines=section.max_changed_lines,
            max_patch_bytes=section.max_patch_bytes,
        ),
        decontamination=DecontaminationConfig(
            mode=section.decontaminate,
            benchmark_file=section.benchmark_file or None,
            near_copy=NearCopyConfig(threshold=section.benchmark_threshold),
        ),
        dedup=dedup.DedupConfig(
            num_perm=section.dedup_num_perm,
            bands=section.dedup_bands,
            rows=section.dedup_rows,
            ngram=section.dedup_ngram,
            threshold=section.dedup_threshold,
        ),
        seeds=seeds.SeedConfig(max_context_bytes=section.max_context_bytes),
    )
