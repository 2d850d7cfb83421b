"""Beam stage: events (pyarrow Tables of schemas.EVENTS) -> pull_requests + issues + rejected.

`AssemblePullRequests(config)` is the composite used by the corpus pipeline; `run()` is
`swe-corpus prs --events DIR --out DIR [--hydrate] [--keep-unmerged] [--github-api-url U]`.

Shape (per-element cost matters, ~40 us): each events Table is split by PR/issue key inside one DoFn
(one element per key per batch, not per event), one GroupByKey folds each PR's events from every
batch/hour, and ONE CoGroupByKey keyed by (repo, issue number) joins issues to the PRs that link them.
A PR with one link travels whole through that join and is finished there; a PR with several travels
once, keyed by its id, and meets the (link, issue) parts the join made from small references to it:
one copy of the PR whatever its number of links (a body holds up to ~5,000 `Fixes #k`).
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import apache_beam as beam
import pyarrow as pa
import pyarrow.compute as pc

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
    stage_config,
)
from schemas.tables import EVENTS, ISSUES, PULL_REQUESTS, REJECTED
from swe_corpus import pull_requests as prs
from swe_corpus import stages
from swe_corpus.config import add_config_arguments, resolve_config, section_options
from swe_corpus.github_api import (
    DEFAULT_API_URL,
    DEFAULT_MAX_CONCURRENCY,
    TOKEN_ENV,
    ClientConfig,
    GitHubClient,
    HydrationError,
    hydrate_issue,
    hydrate_pull_request,
)
from swe_corpus.manifest import build_manifest
from swe_corpus.rejects import instance_id

log = logging.getLogger(__name__)
STAGE, LINK_STAGE, HYDRATE_STAGE, ISSUE_STAGE = stages.PRS, stages.LINK, stages.HYDRATE, stages.ISSUES
ISSUES_TAG, REGROUP_TAG, HYDRATE_TAG = "issues", "regroup", "hydrate"


@dataclass
class PrsConfig:
    """Options of the PR stage, built from corpus.toml's `[prs]` by `config_from_corpus`."""

    keep_unmerged: bool = False
    hydrate: bool = False
    github_api_url: str = DEFAULT_API_URL
    api_cache_dir: str | None = None
    api_concurrency: int = DEFAULT_MAX_CONCURRENCY
    api_max_wait_s: float = ClientConfig.max_wait_s
    api_max_pages: int = ClientConfig.max_pages
    api_max_response_mb: int = ClientConfig.max_response_bytes >> 20

    def client_config(self) -> ClientConfig:
        return ClientConfig(
            base_url=self.github_api_url,
            cache_dir=self.api_cache_dir,
            max_concurrency=self.api_concurrency,
            max_wait_s=self.api_max_wait_s,
            max_pages=self.api_max_pages,
            max_response_bytes=self.api_max_response_mb << 20,
        )


_clients: dict[tuple, GitHubClient] = {}
_clients_lock = threading.Lock()


def shared_client(config: PrsConfig) -> GitHubClient:
    """The process's GitHub client for `config`: every hydrating DoFn instance of a worker process uses
    it, so its semaphore caps that process at `api_concurrency` requests. Keyed by all the client reads,
    the token included (a changed environment gets a new client)."""
    client_config = config.client_config()
    key = (dataclasses.astuple(client_config), os.environ.get(TOKEN_ENV))
    with _clients_lock:
        if key not in _clients:
            _clients[key] = GitHubClient(client_config)
        return _clients[key]


class _HydratingDoFn(beam.DoFn):
    """When hydrating: the process's shared client (token read from the environment) and a thread pool
    kept for the DoFn's life (not one per batch)."""

    def __init__(self, config: PrsConfig):
        self.config = config
        self.client: GitHubClient | None = None
        self.pool: ThreadPoolExecutor | None = None

    def setup(self) -> None:
        if self.config.hydrate:
            self.client = shared_client(self.config)
            self.pool = ThreadPoolExecutor(max_workers=max(1, self.config.api_concurrency))

    def teardown(self) -> None:
        if self.pool is not None:
            self.pool.shutdown()
            self.pool = None

    def _parallel(self, fn, items: list) -> list[tuple]:
        """(item, fn(item) or the HydrationError it raised), in order, on the pool."""

        def call(item):
            try:
                return fn(item)
            except HydrationError as exc:
                return exc

        return list(zip(items, self.pool.map(call, items), strict=True))


# --------------------------------------------------------------------------- 1. key events per batch
class KeyEventsFn(beam.DoFn):
    """One events Table -> (item key, [rows]) per PR/issue in it: few elements before the shuffle.

    Rows keep only the columns assembly reads and drop nulls, so the shuffle moves less data."""

    def process(self, table: pa.Table):
        relevant = pc.is_in(table["event_type"], pa.array(sorted(prs.PR_EVENT_TYPES)))
        keep = pc.and_(relevant, pc.is_valid(table["number"]))
        unattributed = pc.sum(relevant).as_py() - pc.sum(keep).as_py() if table.num_rows else 0
        if unattributed:  # e.g. Timeline-era comments without an issue url: no PR/issue to fold into
            count(STAGE, "events_without_number", unattributed)
        table = table.filter(keep).select(list(prs.ASSEMBLY_COLUMNS))
        groups: dict[tuple, list[dict]] = defaultdict(list)
        for row in table.to_pylist():
            key = prs.item_key(row)
            if key is not None:
                groups[key].append({k: v for k, v in row.items() if v is not None})
        yield from groups.items()


# --------------------------------------------------------------------------- 2. fold per PR / issue
class AssembleFn(beam.DoFn):
    """(key, [[rows]...]) -> kept PR (main; HYDRATE_TAG when it needs the API), issue (ISSUES_TAG)
    or a rejection."""

    def __init__(self, config: PrsConfig):
        self.config = config

    def process(self, element):
        key, batches = element
        rows = [row for batch in batches for row in batch]
        if key[0] == "issue":
            count(ISSUE_STAGE, "in")
            issue = prs.assemble_issue(rows)
            yield beam.pvalue.TaggedOutput(
                ISSUES_TAG, (prs.issue_join_key(issue["repo"], issue["number"]), issue)
            )
            return
        pr = prs.assemble_pull_request(rows)
        count(STAGE, "in")
        verdict = prs.rejection_reason(pr, self.config.keep_unmerged, self.config.hydrate)
        if verdict:
            yield rejected_output(verdict)
            return
        count(STAGE, "kept")
        if self.config.hydrate and prs.needs_hydration(pr):
            yield beam.pvalue.TaggedOutput(HYDRATE_TAG, pr)
        else:
            yield pr


class HydratePullRequestsFn(_HydratingDoFn):
    """A batch of PRs lacking text/merge data -> hydrated PRs (re-linked) or `hydrate` rejections.
    Requests run on the DoFn's pool; the shared client's semaphore bounds them per worker process."""

    def process(self, batch: list[dict]):
        for pr, result in self._parallel(lambda pr: hydrate_pull_request(self.client, pr), batch):
            count(HYDRATE_STAGE, "in")
            if isinstance(result, HydrationError):
                yield rejected_output(result.rejection(HYDRATE_STAGE).of(pr))
            elif rejection := prs.hydrated_rejection(pr, result, self.config.keep_unmerged):
                yield rejected_output(rejection)
            else:
                count(HYDRATE_STAGE, "kept")
                yield prs.relink(result)


# --------------------------------------------------------------------------- 3. join issues
def link_keys(pr: dict):
    """(issue join key, link reference) for every closing link of a PR (PRs without links skip the
    join). A reference is (instance_id, repo, link, the PR itself only when it has this one link)."""
    whole = pr if len(pr["_links"]) == 1 else None
    for link in pr["_links"]:
        yield prs.issue_join_key(link["repo"], link["number"]), (pr["instance_id"], pr["repo"], link, whole)


def finish_without_links(pr: dict) -> dict:
    return prs.attach_issues(pr, [])


def attach_to_pulls(key: tuple[str, int], issue: dict | None, refs: list[tuple], hydrate: bool):
    """Give the joined issue to every PR linking it (see `link_keys`): single-link PRs are finished,
    multi-link PRs get a REGROUP_TAG part (instance_id, (link, issue)); a `link` rejection where the
    issue has no text; and the issue row itself."""
    if issue is not None:
        yield beam.pvalue.TaggedOutput(ISSUES_TAG, prs.public(issue))
    usable = issue if issue is not None and issue["title"] is not None else None
    for iid, repo, link, whole in refs:
        if usable is None:
            yield rejected_output(prs.link_rejection(iid, repo, link, issue, hydrate))
        else:
            count(LINK_STAGE, "kept")
        if whole is not None:
            yield prs.attach_issues(whole, [(link, usable)] if usable else [])
        else:
            yield beam.pvalue.TaggedOutput(REGROUP_TAG, (iid, (link, usable)))


class JoinIssuesFn(beam.DoFn):
    """(issue key, {"issue": [...], "pr": [...]}) -> `attach_to_pulls`, or (HYDRATE_TAG) the parts of a
    join whose issue lacks text, or was opened before the window (comments missing), when hydrating."""

    def __init__(self, config: PrsConfig):
        self.config = config

    def process(self, element):
        key, grouped = element
        issue, duplicates = prs.choose_issue(list(grouped["issue"]))
        for dup in duplicates:
            yield rejected_output(prs.duplicate_issue_rejection(dup, issue))
        if issue is not None:
            count(ISSUE_STAGE, "kept")
        pulls = list(grouped["pr"])
        if pulls and self.config.hydrate and prs.issue_needs_hydration(issue):
            yield beam.pvalue.TaggedOutput(HYDRATE_TAG, (key, issue, pulls))
        else:
            yield from attach_to_pulls(key, issue, pulls, self.config.hydrate)


class HydrateIssuesFn(_HydratingDoFn):
    """A batch of (key, issue|None, link references) -> issue text and comments from the API, then
    `attach_to_pulls`."""

    def process(self, batch: list[tuple]):
        def fetch(part):
            key, _seen, refs = part
            return hydrate_issue(self.client, refs[0][2]["repo"], key[1])

        for (key, seen, pulls), result in self._parallel(fetch, batch):
            count(HYDRATE_STAGE, "in")
            if isinstance(result, HydrationError):
                repo = pulls[0][2]["repo"]
                yield rejected_output(
                    result.rejection(HYDRATE_STAGE, instance_id=instance_id(repo, key[1]), repo=repo)
                )
                result = seen
            else:
                count(HYDRATE_STAGE, "kept")
                if seen is not None:
                    result["repo_id"] = seen.get("repo_id")
            yield from attach_to_pulls(key, result, pulls, hydrate=True)


def finish_multi_link(element):
    """(instance_id, {"pr": [the PR], "part": [(link, issue)...]}) -> the PR with its issues."""
    _iid, grouped = element
    for pr in grouped["pr"]:
        yield prs.attach_issues(pr, [(link, issue) for link, issue in grouped["part"] if issue is not None])


def _count_links(pr: dict) -> dict:
    count(LINK_STAGE, "in", len(pr["_links"]))
    return pr


# --------------------------------------------------------------------------- composite
class AssemblePullRequests(beam.PTransform):
    """PCollection[pa.Table EVENTS] -> {"pull_requests": dict rows, "issues": dict rows, "rejected": dict rows}.

    Funnel: prs:in = distinct PRs = prs:kept + prs:rejected:*; hydrate:in = hydration attempts;
    link:in = closing links found = link:kept + link:rejected:*; issues:in = issues assembled from
    events = issues:kept (one per (repo, number)) + issues:rejected:duplicate_item_key.
    """

    def __init__(self, config: PrsConfig | None = None):
        super().__init__()
        self.config = config or PrsConfig()

    def expand(self, events):
        folded = (
            events
            | "KeyEvents" >> beam.ParDo(KeyEventsFn())
            | "GroupByItem" >> beam.GroupByKey()
            | "Assemble"
            >> beam.ParDo(AssembleFn(self.config)).with_outputs(
                REJECTED_TAG, ISSUES_TAG, HYDRATE_TAG, main="prs"
            )
        )
        hydrated = folded[HYDRATE_TAG] | "HydratePRs" >> _Batched(HydratePullRequestsFn(self.config))
        kept = (
            (folded.prs, hydrated.prs) | "KeptPRs" >> beam.Flatten() | "CountLinks" >> beam.Map(_count_links)
        )
        unlinked = (
            kept
            | "NoLinks" >> beam.Filter(lambda pr: not pr["_links"])
            | "Finish" >> beam.Map(finish_without_links)
        )
        linked = kept | "LinkKeys" >> beam.FlatMap(link_keys)
        tags = (REJECTED_TAG, ISSUES_TAG, REGROUP_TAG)
        joined = (
            {"issue": folded[ISSUES_TAG], "pr": linked}
            | "JoinIssues" >> beam.CoGroupByKey()
            | "Attach" >> beam.ParDo(JoinIssuesFn(self.config)).with_outputs(*tags, HYDRATE_TAG, main="prs")
        )
        late = joined[HYDRATE_TAG] | "HydrateIssues" >> _Batched(HydrateIssuesFn(self.config), tags)
        multi_link = (
            kept
            | "SeveralLinks" >> beam.Filter(lambda pr: len(pr["_links"]) > 1)
            | "KeyById" >> beam.Map(lambda pr: (pr["instance_id"], pr))
        )
        parts = (joined[REGROUP_TAG], late[REGROUP_TAG]) | "AllParts" >> beam.Flatten()
        multi = (
            {"pr": multi_link, "part": parts}
            | "JoinParts" >> beam.CoGroupByKey()
            | "FinishMulti" >> beam.FlatMap(finish_multi_link)
        )
        pull_requests = (unlinked, joined.prs, late.prs, multi) | "AllPRs" >> beam.Flatten()
        rejected = (
            folded[REJECTED_TAG],
            hydrated[REJECTED_TAG],
            joined[REJECTED_TAG],
            late[REJECTED_TAG],
        ) | ("AllRejected" >> beam.Flatten())
        issues = (joined[ISSUES_TAG], late[ISSUES_TAG]) | "AllIssues" >> beam.Flatten()
        return {"pull_requests": pull_requests, "issues": issues, "rejected": rejected}


class _Batched(beam.PTransform):
    """Batch elements for a hydrating DoFn (parallel requests per batch); tagged outputs + main."""

    def __init__(self, fn: beam.DoFn, tags: tuple[str, ...] = (REJECTED_TAG,)):
        super().__init__()
        self.fn, self.tags = fn, tags

    def expand(self, pcoll):
        return (
            pcoll
            | "Batch" >> beam.BatchElements(min_batch_size=1, max_batch_size=64)
            | "Hydrate" >> beam.ParDo(self.fn).with_outputs(*self.tags, main="prs")
        )


# --------------------------------------------------------------------------- CLI
def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The stage's inputs, then every `[prs]` option of corpus.toml under the corpus command's names."""
    parser.add_argument("--events", required=True, help="ingest output DIR (reads DIR/events/*.parquet)")
    parser.add_argument("--out", required=True, help="output DIR: pull_requests, issues, rejected")
    add_config_arguments(parser, only=section_options("prs") | {"overwrite"})


def events_glob(events_dir: str) -> str:
    """DIR/events/*.parquet when DIR is an ingest output, else DIR/*.parquet."""
    events_dir = events_dir.rstrip("/")
    sub = f"{events_dir}/events"
    return (
        f"{sub}/*.parquet"
        if os.path.isdir(sub) or not os.path.exists(events_dir)
        else f"{events_dir}/*.parquet"
    )


def config_from_args(args: argparse.Namespace) -> PrsConfig:
    """Defaults < corpus.toml (`--config`) < flags, mapped as the corpus command maps its section."""
    return config_from_corpus(resolve_config(args).prs)


def config_from_corpus(cfg) -> PrsConfig:
    """`swe_corpus.config.PrsConfig` (corpus.toml section [prs]) -> this stage's config."""
    return PrsConfig(
        keep_unmerged=cfg.keep_unmerged,
        hydrate=cfg.hydrate,
        github_api_url=cfg.github_api_url,
        api_cache_dir=cfg.hydrate_cache_dir,
        api_concurrency=cfg.hydrate_concurrency,
        api_max_wait_s=cfg.hydrate_max_wait_s,
        api_max_pages=cfg.hydrate_max_pages,
        api_max_response_mb=cfg.hydrate_max_response_mb,
    )


def build(pipeline: beam.Pipeline, args: argparse.Namespace) -> dict:
    events = pipeline | "ReadEvents" >> beam.io.ReadFromParquetBatched(events_glob(args.events))
    out = (
        events
        | "Cast" >> beam.Map(cast_events)
        | "AssemblePRs" >> AssemblePullRequests(config_from_args(args))
    )
    out["pull_requests"] | "WritePRs" >> WriteTable(args.out, "pull_requests", PULL_REQUESTS)
    out["issues"] | "WriteIssues" >> WriteTable(args.out, "issues", ISSUES)
    out["rejected"] | "WriteRejected" >> WriteTable(args.out, "rejected", REJECTED)
    return out


def cast_events(table: pa.Table) -> pa.Table:
    """Parquet row groups may come back with a slightly different schema (e.g. dictionary strings)."""
    return table.select(EVENTS.names).cast(EVENTS) if table.schema != EVENTS else table


def run_pipeline(args: argparse.Namespace, extra_args: list[str] | None = None) -> tuple[dict, float]:
    start = time.perf_counter()
    pipeline = make_pipeline(extra_args)
    build(pipeline, args)
    result = run_to_completion(pipeline)
    return counters(result, FUNNEL), time.perf_counter() - start


def run(args: argparse.Namespace, extra_args: list[str] | None = None) -> int:
    cfg, files = resolve_config(args), input_files(events_glob(args.events))
    prepare_out(args.out, cfg.run.overwrite, STAGE, inputs=(args.events,))
    funnel, seconds = run_pipeline(args, extra_args)
    inputs = {"events": {"glob": events_glob(args.events), "files": len(files)}, "beam_args": extra_args}
    manifest = build_manifest(stage_config(cfg, "prs"), inputs, funnel, stages.PRS_STAGES)
    return end_run(STAGE, args.out, manifest, seconds)
