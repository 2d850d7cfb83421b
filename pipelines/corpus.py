"""`swe-corpus corpus`: every stage in ONE Beam pipeline, from GH Archive hours to RL seed shards.

    hours -> IngestEvents -> AssemblePullRequests -> ExtractCode -> Curate -> Parquet tables

Configured by `corpus.toml` (see `swe_corpus.config`) with command-line overrides; unknown arguments go
to Beam unchanged (`--runner DataflowRunner ...`, `--direct_num_workers 0 --direct_running_mode
multi_processing`). Without hours it generates (or reuses) the offline demo world and runs on it.
Writes OUT/{events,issues,pull_requests,blobs,rl_seed,rejected}/*.parquet, OUT/manifest.json (config,
inputs, funnel), the dataset card OUT/README.md and OUT/report.html.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import sys
import time

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems

from pipelines import extract as extract_stage
from pipelines.common import (
    FUNNEL,
    end_run,
    make_pipeline,
    merged_counters,
    prepare_out,
    run_to_completion,
    unknown_beam_args,
    work_dir,
    write_text,
)
from pipelines.staged import (
    curate_step,
    ingest_step,
    is_local,
    prs_and_extract_steps,
    run_staged,
    write_tables,
)
from pipelines.units import UNITS, UnitStore
from swe_corpus import config as corpus_config
from swe_corpus import stages
from swe_corpus.demo import use_demo_world
from swe_corpus.errors import ConfigError
from swe_corpus.gharchive import parse_hours
from swe_corpus.health import InputHealth
from swe_corpus.manifest import build_manifest, dataset_card
from swe_corpus.redaction import redact_url

log = logging.getLogger(__name__)


class BuildCorpus(beam.PTransform):
    """PCollection[hour name] -> every table of the corpus, as a dict of PCollections."""

    def __init__(self, cfg: corpus_config.CorpusConfig):
        super().__init__()
        self.cfg = cfg

    def expand(self, hours):
        cfg = self.cfg
        ingested = ingest_step(hours, cfg)
        assembled, extracted = prs_and_extract_steps(ingested["events"], cfg)
        curated = curate_step(extracted["pull_requests"], extracted["blobs"], cfg)
        rejected = (
            ingested["rejected"],
            assembled["rejected"],
            extracted["rejected"],
            curated["rejected"],
        ) | "AllRejected" >> beam.Flatten()
        return {
            "events": ingested["events"],
            "issues": assembled["issues"],
            "pull_requests": curated["pull_requests"],
            "blobs": extracted["blobs"],
            "rl_seed": curated["rl_seed"],
            "rejected": rejected,
        }


# Where each stage's time is spent: Beam's own per-transform execution time (the SDK's state sampler
# attributes time to the step running, exclusive of the steps it calls), summed by the stage owning the
# step's label. Labels are BuildCorpus's; the curate steps are Curate's.
STEP_STAGES = (
    ("Corpus/Ingest/", stages.INGEST),
    ("Corpus/PullRequests/", stages.PRS),
    ("Corpus/Extract/", stages.EXTRACT),
    ("Corpus/Curate/Filter", stages.FILTER),
    ("Corpus/Curate/Decontaminate", stages.DECONTAMINATE),
    ("Corpus/Curate/Dedup", stages.DEDUP),
    ("Corpus/Curate/Seeds", stages.RL_SEED),
    ("Write_", "write"),
)
EXECUTION_TIME = "ptransform_execution_time:total_msecs"


def stage_seconds(step_msecs: dict[str, int]) -> dict[str, float]:
    """{transform label: execution msecs} -> {stage: seconds}, in pipeline order ("other" for the rest:
    the hour list, flattening the rejected rows)."""
    totals: dict[str, float] = {stage: 0.0 for _, stage in STEP_STAGES}
    for step, msecs in step_msecs.items():
        stage = next((st for prefix, st in STEP_STAGES if step.startswith(prefix)), "other")
        totals[stage] = totals.get(stage, 0.0) + msecs / 1000
    return {stage: round(sec, 3) for stage, sec in totals.items()}


def step_execution_msecs(result) -> dict[str, int]:
    """Per-transform execution time of a finished pipeline from the runner's system metrics (summed over
    workers); {} where the runner reports none."""
    try:
        metrics = result.monitoring_metrics().query()
    except (AttributeError, NotImplementedError):
        return {}
    msecs: dict[str, int] = {}
    for c in metrics.get("counters", []):
        if EXECUTION_TIME in c.key.metric.name:
            value = c.committed if c.committed is not None else c.attempted
            msecs[c.key.step] = msecs.get(c.key.step, 0) + int(value or 0)
    return msecs


# ------------------------------------------------------------------ output directory
def continuing(out: str) -> str | None:
    """What an unfinished run in OUT (tables or units, no manifest) left to reuse, None for a fresh or a
    finished OUT."""
    out = out.rstrip("/")
    if FileSystems.exists(f"{out}/manifest.json"):
        return None
    if not FileSystems.exists(work_dir(out)):
        return None
    units = {kind: UnitStore(work_dir(out), kind).count_finished() for kind in ("ingest", "extract")}
    return f"continuing the unfinished run in {out}: {units['ingest']} hours and {units['extract']} repositories done"


# ------------------------------------------------------------------ reporting
def add_arguments(parser: argparse.ArgumentParser) -> None:
    corpus_config.add_config_arguments(parser)


def run(args: argparse.Namespace, extra_args: list[str] | None = None) -> int:
    # Absolute before anything is submitted: workers of a distributed runner have another directory.
    cfg = corpus_config.absolute_paths(corpus_config.resolve_config(args))
    if problem := unknown_beam_args(list(cfg.run.beam_args)):  # Beam would only warn
        raise ConfigError(f"[run] beam_args: {problem}")
    if cfg.prs.hydrate and cfg.run.partitions > 1:
        raise ConfigError("--partitions > 1 with --hydrate: links read from the API cannot be planned for")
    out = cfg.run.out.rstrip("/")
    resumed = continuing(out)
    # before the demo world: a finished OUT is refused at once; an unfinished one is continued
    prepare_out(out, cfg.run.overwrite, resumable=cfg.run.resume)
    if resumed:
        log.warning(resumed)
    world = use_demo_world(cfg)
    hours = parse_hours(cfg.ingest.hours)
    beam_args = list(cfg.run.beam_args) + list(extra_args or [])
    log.info(
        "corpus: %d hours from %s, clones from %s, into %s",
        len(hours),
        redact_url(cfg.ingest.gharchive_url),
        redact_url(cfg.extract.git_url_template),
        out,
    )
    start = time.perf_counter()
    partitions = None
    if is_local(beam_args):  # one partition of repositories at a time, within [run] memory_gb
        staged = run_staged(cfg, hours, beam_args)
        results, partitions = staged.results, staged.partitions
    else:  # a distributed runner: one pipeline, its shuffle spread over the workers
        pipeline = make_pipeline(beam_args)
        hours_pc = pipeline | "Hours" >> beam.Create(hours, reshuffle=False)  # IngestEvents spreads them
        tables = hours_pc | "Corpus" >> BuildCorpus(cfg)
        write_tables(tables, out, cfg.run.num_shards)
        results = [run_to_completion(pipeline)]
    seconds = time.perf_counter() - start

    inputs = {
        "hours": hours,
        "gharchive_url": redact_url(cfg.ingest.gharchive_url),
        "git_url_template": redact_url(cfg.extract.git_url_template),
        "demo_world": bool(world),
        "beam_args": beam_args,
    }
    funnel_counts = merged_counters(results, FUNNEL)
    manifest = build_manifest(
        cfg.to_dict(), inputs, funnel_counts, stages.PIPELINE_STAGES, chained=stages.CHAINED_STAGES
    )
    manifest["wall_seconds"] = round(seconds, 1)
    manifest["pipelines"] = len(results)  # a staged run on this machine is several (pipelines/staged.py)
    manifest["stage_seconds"] = stage_seconds(merged_counters(results, None, step_execution_msecs))
    health = InputHealth.from_counters(
        len(hours), funnel_counts, merged_counters(results, extract_stage.DETAIL)
    )
    manifest["units"] = units_summary(merged_counters(results, UNITS))
    manifest["partitions"] = partitions
    code = end_run("corpus", out, manifest, seconds, health)
    if health.fatal():  # no dataset card, report or shard paths for nothing
        return code
    units = manifest["units"]
    if units["ingest"]["reused"] or units["extract"]["reused"]:
        print(
            f"reused from the earlier run: {units['ingest']['reused']} hours, "
            f"{units['extract']['reused']} repositories"
        )
    write_text(f"{out}/README.md", dataset_card(manifest))
    print(f"\nshards: {out}/rl_seed/*.parquet  (also pull_requests, rejected, blobs, issues, events)")
    report = write_report(out)
    if report:
        print(f"report: {report}")
    cli = cli_name()
    print(f'query:  {cli} query --out {out} "select repo, count(*) from rl_seed group by repo"')
    print(f"stats:  {cli} stats --out {out}")
    return code


def units_summary(unit_counters: dict[str, int]) -> dict[str, dict[str, int]]:
    """{"ingest:reused": 3, ...} -> {"ingest": {"done": .., "reused": 3}, "extract": {...}}: how many
    units (hours, repositories) this run did and how many it took from an earlier, unfinished run."""
    summary = {kind: {"done": 0, "reused": 0} for kind in ("ingest", "extract")}
    for name, n in unit_counters.items():
        kind, what = name.split(":", 1)
        summary.setdefault(kind, {"done": 0, "reused": 0})[what] = n
    return summary


def cli_name() -> str:
    """How the user can call us again: `.venv/bin/swe-corpus` after `make corpus`, else `swe-corpus`."""
    prog = sys.argv[0] if sys.argv else ""
    if os.path.basename(prog) == "swe-corpus" and not shutil.which("swe-corpus"):
        return os.path.relpath(prog) if not os.path.isabs(prog) or prog.startswith(os.getcwd()) else prog
    return "swe-corpus"


def write_report(out: str) -> str | None:
    """OUT/report.html (charts). Optional: a missing plotting extra or an unreadable OUT (a remote one
    without DuckDB credentials) skips it with a warning, after the tables and manifest are written."""
    from swe_corpus import explore

    path = f"{out}/report.html"
    try:
        write_text(path, explore.report_html(out))
    except ImportError as exc:
        log.warning("report skipped (%s); install the 'report' extra for charts", exc)
        return None
    except Exception as exc:  # noqa: BLE001 - the corpus itself is complete; only the report is lost
        log.warning("report skipped: %s: %s", type(exc).__name__, exc)
        return None
    return path
