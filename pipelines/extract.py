"""`ExtractCode`: PULL_REQUESTS rows -> PULL_REQUESTS_EXTRACTED rows, unique blobs and rejections.

PRs are keyed by repository and grouped, so each repository is cloned once per worker and all its PRs
are extracted in one DoFn call (a few git calls per PR on one long-running cat-file). Blobs are
deduplicated within the call and then across workers by a combine keyed by blob sha.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import time

import apache_beam as beam
import pyarrow.parquet as pq
from apache_beam.io.filesystems import FileSystems

import schemas.tables as schemas
from pipelines.common import (
    FUNNEL,
    REJECTED_TAG,
    WriteTable,
    count,
    counters,
    end_run,
    inc,
    input_files,
    make_pipeline,
    one_local_worker,
    prepare_out,
    rejected_output,
    run_to_completion,
    stage_config,
    table_glob,
)
from pipelines.units import UnitStore, rejected_reasons, unit_key
from swe_corpus.config import add_config_arguments, resolve_config, section_options
from swe_corpus.extract import (
    DETAIL,
    EXTRACT_ERROR,
    ExtractConfig,
    ExtractLimits,
    defect,
    extract_repo,
)
from swe_corpus.git_mirror import GitMirror, MirrorConfig
from swe_corpus.health import REPOS_FAILED, REPOS_MIRRORED, InputHealth, repository_is_final
from swe_corpus.manifest import build_manifest
from swe_corpus.progress import Progress
from swe_corpus.redaction import redact_url
from swe_corpus.relevant import DEFAULT_LLM_MODEL, DEFAULT_LLM_URL
from swe_corpus.stages import EXTRACT as STAGE

log = logging.getLogger(__name__)


def extraction_settings(config: ExtractConfig) -> dict:
    """The settings an extraction's output depends on: all but where and how much the clone cache keeps."""
    settings = dataclasses.asdict(config)
    for local_only in ("cache_dir", "cache_max_bytes"):
        settings["mirror"].pop(local_only)
    settings["mirror"]["url_template"] = redact_url(config.mirror.url_template)
    return settings


def repository_unit_is_final(counts) -> bool:
    """Whether a repository's recorded counters make its unit final (`health.repository_is_final`)."""
    mirrored = bool(counts[(DETAIL, REPOS_MIRRORED)])
    return repository_is_final(mirrored, rejected_reasons(counts, FUNNEL, STAGE))


class ExtractRepositoryFn(beam.DoFn):
    """(repo, PRs) -> extracted rows (main), blobs and rejected rows (tagged), with funnel counters."""

    def __init__(self, config: ExtractConfig, units_dir: str | None = None, total_repos: int | None = None):
        self.config, self.total_repos = config, total_repos
        self.mirror: GitMirror | None = None
        self.units = UnitStore(units_dir, "extract") if units_dir else None
        self.settings = extraction_settings(config)
        self.progress = self.new_progress()

    def new_progress(self) -> Progress:
        return Progress(STAGE, "repository", self.total_repos, units="repositories", log=log)

    def setup(self):
        self.mirror = GitMirror(self.config.mirror)
        self.progress = self.new_progress()  # a fresh clock for the ETA: the worker starts now

    def process(self, element):
        """With a units directory, a repository whose PRs and settings are those of a finished unit is
        replayed, not cloned and extracted again; a repository that failed to clone is retried."""
        repo, prs = element
        prs = sorted(prs, key=lambda pr: pr["instance_id"])  # grouping order varies; the unit must not
        if self.units is None:
            yield from self.extract(repo, prs)
            return
        key = unit_key(repo, self.settings, prs)
        yield from self.units.run(key, lambda: self.extract(repo, prs), complete=repository_unit_is_final)

    def extract(self, repo: str, prs: list[dict]):
        count(STAGE, "in", len(prs))
        done: set[str | None] = set()
        kept = 0
        first_reason = None
        try:
            for kind, value in extract_repo(repo, prs, self.config, self.mirror):
                yield from self.route(kind, value)
                if kind == "pull_requests":
                    done.add(value.get("instance_id"))
                    kept += 1
                elif kind == "rejected":
                    done.add(value.instance_id)
                    first_reason = first_reason or value.reason
        except Exception as e:  # a defect must not stop the run: reject what is left of this repository
            log.exception("extraction of %s failed", repo)
            for p in prs:
                if p.get("instance_id") not in done:
                    yield from self.route("rejected", defect(p, e))
        finally:
            # ensure() handed out a complete mirror, or the repository failed (its PRs carry the reason)
            cache = self.mirror.cache if self.mirror is not None else None
            mirrored = cache is not None and cache.admitted is not None
            name = REPOS_MIRRORED if mirrored else f"{REPOS_FAILED}:{first_reason or EXTRACT_ERROR}"
            inc(DETAIL, name)
            if cache is not None:
                cache.release()  # the clone cache may evict this mirror from now on
            self.progress.done(repo, PRs=len(prs), extracted=kept, rejected=len(prs) - kept)

    def teardown(self):
        if self.mirror is not None:
            self.mirror.cache.release()
        self.progress.flush()

    @staticmethod
    def route(kind: str, value):
        """Extraction outputs -> main/tagged outputs and funnel counters (one place, one invariant)."""
        if kind == "pull_requests":
            count(STAGE, "kept")
            yield value
        elif kind == "rejected":
            yield rejected_output(value)
        elif kind == "blobs":
            yield beam.pvalue.TaggedOutput("blobs", (value["blob_sha"], value))
        else:
            name, n = value
            inc(DETAIL, name, n)


class AnyValue(beam.CombineFn):
    """Any one of a key's values, for keys whose values are all equal (a blob's rows): as a combiner,
    duplicates are dropped on each worker before the shuffle instead of all being shuffled."""

    def create_accumulator(self):
        return None

    def add_input(self, accumulator, value):
        return value if accumulator is None else accumulator

    def merge_accumulators(self, accumulators):
        return next((a for a in accumulators if a is not None), None)

    def extract_output(self, accumulator):
        return accumulator


class OneBlobPerSha(beam.PTransform):
    """(blob_sha, blob row) pairs -> one row per sha (forks and PRs share files)."""

    def expand(self, keyed):
        return keyed | "OnePerSha" >> beam.CombinePerKey(AnyValue()) | "Rows" >> beam.Values()


class ExtractCode(beam.PTransform):
    """PCollection[PULL_REQUESTS row] -> {"pull_requests", "blobs", "rejected"} (see module doc)."""

    def __init__(
        self,
        config: ExtractConfig | None = None,
        units_dir: str | None = None,
        total_repos: int | None = None,
    ):
        super().__init__()
        self.config = config or ExtractConfig()
        self.units_dir = units_dir  # OUT/.work of a resumable run: each repository is a unit
        self.total_repos = total_repos  # for done/total and the ETA of the progress lines

    def expand(self, prs):
        total = self.total_repos if one_local_worker(prs.pipeline) else None  # one worker does them all
        results = (
            prs
            | "KeyByRepo" >> beam.Map(lambda row: (row["repo"], row))
            | "GroupByRepo" >> beam.GroupByKey()
            | "Extract"
            >> beam.ParDo(ExtractRepositoryFn(self.config, self.units_dir, total)).with_outputs(
                "blobs", REJECTED_TAG, main="pull_requests"
            )
        )
        blobs = results.blobs | "OneBlobPerSha" >> OneBlobPerSha()
        return {"pull_requests": results.pull_requests, "blobs": blobs, "rejected": results[REJECTED_TAG]}


# --------------------------------------------------------------------------- CLI
def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The stage's inputs, then every `[extract]` option of corpus.toml under the corpus command's names."""
    parser.add_argument(
        "--prs", required=True, help="directory with pull_requests/*.parquet (prs stage output)"
    )
    parser.add_argument("--out", required=True, help="output directory (pull_requests, blobs, rejected)")
    add_config_arguments(parser, only=section_options("extract") | {"overwrite"})


def config_from_args(args: argparse.Namespace) -> ExtractConfig:
    """Defaults < corpus.toml (`--config`) < flags, mapped as the corpus command maps its section."""
    return config_from_corpus(resolve_config(args).extract)


def run(args: argparse.Namespace, extra_args: list[str] | None = None) -> int:
    cfg = resolve_config(args)
    files = input_files(table_glob(args.prs, "pull_requests"))
    prepare_out(args.out, cfg.run.overwrite, STAGE, inputs=(args.prs,))
    start = time.perf_counter()
    result = run_pipeline(args, extra_args)
    seconds = time.perf_counter() - start
    funnel, detail = counters(result, FUNNEL), counters(result, DETAIL)
    inputs = {
        "pull_requests": {"glob": table_glob(args.prs, "pull_requests"), "files": len(files)},
        "git_url_template": redact_url(cfg.extract.git_url_template),
        "beam_args": extra_args,
    }
    manifest = build_manifest(stage_config(cfg, "extract"), inputs, funnel, (STAGE,))
    manifest["counters"] = detail  # repositories mirrored or failed by reason, mirror tags
    return end_run(STAGE, args.out, manifest, seconds, InputHealth.from_counters(0, funnel, detail))


def count_repos(pattern: str) -> int | None:
    """Distinct repositories of the PR shards matching `pattern` (the progress lines' total); None when
    they cannot be read here."""
    try:
        repos: set[str] = set()
        for match in FileSystems.match([pattern])[0].metadata_list:
            with FileSystems.open(match.path) as fh:
                repos.update(pq.read_table(fh, columns=["repo"]).column("repo").to_pylist())
        return len(repos)
    except Exception:  # noqa: BLE001 - only the progress lines' ETA depends on it
        return None


def run_pipeline(args: argparse.Namespace, extra_args: list[str] | None = None):
    """Build and run the standalone extract pipeline; returns the finished PipelineResult."""
    config = config_from_args(args)
    p = make_pipeline(extra_args)
    glob = table_glob(args.prs, "pull_requests")
    total = count_repos(glob) if one_local_worker(p) else None
    prs = p | "ReadPRs" >> beam.io.ReadFromParquet(glob)
    out = prs | "ExtractCode" >> ExtractCode(config, total_repos=total)
    out["pull_requests"] | "WritePRs" >> WriteTable(
        args.out, "pull_requests", schemas.PULL_REQUESTS_EXTRACTED
    )
    out["blobs"] | "WriteBlobs" >> WriteTable(args.out, "blobs", schemas.BLOBS)
    out["rejected"] | "WriteRejected" >> WriteTable(args.out, "rejected", schemas.REJECTED)
    result = run_to_completion(p)
    return result


def config_from_corpus(section) -> ExtractConfig:
    """The `[extract]` section of corpus.toml (`swe_corpus.config.ExtractConfig`) -> ExtractConfig."""
    mirror = MirrorConfig(
        cache_dir=section.git_cache_dir,
        url_template=section.git_url_template,
        clone_mode=section.clone_mode,
        clone_timeout_s=float(section.clone_timeout_s),
        max_repo_bytes=int(section.max_repo_mb) * 2**20,
        low_speed_time_s=section.clone_stall_s,
        max_git_memory_bytes=section.max_git_memory_mb * 2**20,
        max_git_output_bytes=section.max_git_output_mb * 2**20,
        max_tree_entries=section.max_tree_entries,
        rename_limit=section.git_rename_limit,
        cache_max_bytes=int(section.git_cache_max_gb * 2**30),
        refresh=section.refresh_mirrors,
    )
    return ExtractConfig(
        mirror=mirror,
        limits=ExtractLimits(
            max_files_per_pr=section.max_files_per_pr, max_file_bytes=section.max_file_bytes
        ),
        relevant=section.relevant_predictor,
        relevant_k=section.relevant_k,
        relevant_budget_bytes=section.relevant_budget_bytes,
        llm_url=section.llm_url or DEFAULT_LLM_URL,  # "" in corpus.toml: not set
        llm_model=section.llm_model or DEFAULT_LLM_MODEL,
        llm_timeout_s=section.llm_timeout_s,
    )
