"""Beam stage: events (pyarrow Tables of schemas.EVENTS) -> pull_requests + issues + rejected.

`AssemblePullRequests(config)` is the composite used by the corpus pipeline; `run()` is
`swe-corpus prs --events DIR --out DIR [--hydrate] [--keep-unmerged] [--github-api-url U]`.

Shape (Beam costs ~40 us per element, so elements are tables, packed as Arrow IPC bytes): each events
Table is split by repository bucket (`BucketEventsFn`), one GroupByKey gathers a bucket's events from
every batch/hour and `FoldFn` folds them in columns (`swe_corpus.pr_fold`); closing links and issues
meet in join buckets keyed by (repo, issue number) (`JoinIssuesFn`, `swe_corpus.pr_join`), and the
linked issues go back to their PR's bucket to be attached (`attach`). A PR travels through one shuffle
whatever its number of links (a body holds up to ~5,000 `Fixes #k`); only references to it are joined.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import threading
import time
import uuid
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import apache_beam as beam
import numpy as np
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
    merged_counters,
    one_local_worker,
    pack,
    prepare_out,
    rejected_output,
    run_to_completion,
    stage_config,
    unpack,
)
from schemas.tables import ISSUES, PULL_REQUESTS, REJECTED
from swe_corpus import pr_fold, pr_join, stages
from swe_corpus import pull_requests as prs
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
ISSUES_TAG, HYDRATE_TAG = "issues", "hydrate"
# Groups the events, links and issues are shuffled in: a few large elements each, and the fold's
# parallelism on a distributed runner (memory per group: its share of the input's PR/issue events)
LOCAL_BUCKETS, DISTRIBUTED_BUCKETS = 4, 256


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
    buckets: int = 0  # groups the events, links and issues are shuffled in (0: `default_buckets`)

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


# --------------------------------------------------------------------------- 1. events to buckets
class BucketEventsFn(beam.DoFn):
    """One events Table -> (bucket, its PR/issue events of that bucket's repositories): a few large
    elements per batch, with only the columns assembly reads."""

    def __init__(self, buckets: int):
        self.buckets = buckets

    def process(self, table: pa.Table):
        events, unattributed = pr_fold.relevant_events(table)
        if unattributed:  # e.g. Timeline-era comments without an issue url: no PR/issue to fold into
            count(STAGE, "events_without_number", unattributed)
        for key, part in pr_join.split_by_bucket(
            events, pr_join.bucket_of(events[pr_fold.REPO_KEY], self.buckets)
        ):
            yield key, pack(part)


# --------------------------------------------------------------------------- 2. fold per bucket
_VERDICT_COLUMNS = ("instance_id", "repo", "title", "state", "merged", "merge_commit_sha", "base_sha",
                    "head_sha", "_has_pr_event", "_trimmed")  # fmt: skip


class FoldFn(beam.DoFn):
    """(bucket, [event tables]) -> kept PRs (main, keyed by bucket), their closing links (REFS_TAG)
    and the issues (ISSUES_TAG), both keyed by join bucket; PRs that need the API (HYDRATE_TAG, as
    dicts); rejections."""

    def __init__(self, config: PrsConfig, buckets: int):
        self.config, self.buckets = config, buckets

    def process(self, element):
        bucket, tables = element
        folded = pr_fold.fold(pa.concat_tables([unpack(t) for t in tables]), links=False)
        count(ISSUE_STAGE, "in", folded.issues.num_rows)
        join_buckets = pr_join.bucket_of(pr_join.issue_join_columns(folded.issues)[0], self.buckets)
        for key, part in pr_join.split_by_bucket(folded.issues, join_buckets):
            yield beam.pvalue.TaggedOutput(ISSUES_TAG, (key, pack(part)))
        pulls = folded.pull_requests
        count(STAGE, "in", pulls.num_rows)
        verdicts = [
            prs.rejection_reason(pr, self.config.keep_unmerged, self.config.hydrate)
            for pr in pulls.select(list(_VERDICT_COLUMNS)).to_pylist()
        ]
        for verdict in verdicts:
            if verdict:
                yield rejected_output(verdict)
        kept = pr_fold.with_links(pulls.filter(pa.array([v is None for v in verdicts], pa.bool_())))
        count(STAGE, "kept", kept.num_rows)
        if self.config.hydrate:
            needs = pa.array(
                [prs.needs_hydration(pr) for pr in kept.select(list(_VERDICT_COLUMNS)).to_pylist()],
                pa.bool_(),
            )
            for pr in kept.filter(needs).to_pylist():
                yield beam.pvalue.TaggedOutput(HYDRATE_TAG, pr)
            kept = kept.filter(pc.invert(needs))
        yield from route_pull_requests(pr_join.with_pr_keys(kept, str(bucket)), bucket, self.buckets)


REFS_TAG, PARTS_TAG = "refs", "parts"
HYDRATED_BUCKET = -1  # the attach bucket of every PR the API answered for


def route_pull_requests(pulls: pa.Table, bucket: int, buckets: int):
    """Kept PRs (with PR keys) -> (bucket, the PRs) on main, and their closing links on REFS_TAG by
    join bucket; counts link:in."""
    refs = pr_join.link_references(pulls, bucket)
    count(LINK_STAGE, "in", refs.num_rows)
    yield bucket, pack(pulls)
    for key, part in pr_join.split_by_bucket(refs, pr_join.bucket_of(refs["join_repo"], buckets)):
        yield beam.pvalue.TaggedOutput(REFS_TAG, (key, pack(part)))


class HydratePullRequestsFn(_HydratingDoFn):
    """A batch of PRs lacking text/merge data -> hydrated PRs (re-linked; routed like folded ones, in
    HYDRATED_BUCKET) or `hydrate` rejections. Requests run on the DoFn's pool; the shared client's
    semaphore bounds them per worker process."""

    def __init__(self, config: PrsConfig, buckets: int = LOCAL_BUCKETS):
        super().__init__(config)
        self.buckets = buckets

    def process(self, batch: list[dict]):
        hydrated = []
        for pr, result in self._parallel(lambda pr: hydrate_pull_request(self.client, pr), batch):
            count(HYDRATE_STAGE, "in")
            if isinstance(result, HydrationError):
                yield rejected_output(result.rejection(HYDRATE_STAGE).of(pr))
            elif rejection := prs.hydrated_rejection(pr, result, self.config.keep_unmerged):
                yield rejected_output(rejection)
            else:
                count(HYDRATE_STAGE, "kept")
                hydrated.append(prs.relink(result))
        if hydrated:
            table = pa.Table.from_pylist(hydrated, schema=pr_fold.FOLDED_PULL_REQUESTS)
            keyed = pr_join.with_pr_keys(table, f"h{uuid.uuid4().hex}")
            yield from route_pull_requests(keyed, HYDRATED_BUCKET, self.buckets)


# --------------------------------------------------------------------------- 3. join issues
class JoinIssuesFn(beam.DoFn):
    """(join bucket, {"issue": [tables], "ref": [tables]}) -> one issue per (repo, number) (ISSUES_TAG)
    and, per closing link, the linked issue as a part for its PR's bucket (PARTS_TAG) or a `link`
    rejection; when hydrating, the links whose issue lacks text or was opened before the window
    (comments missing) go to the API (HYDRATE_TAG) with their issue."""

    def __init__(self, config: PrsConfig):
        self.config = config

    def process(self, element):
        _key, grouped = element
        issues = _concat(grouped["issue"], pr_fold.FOLDED_ISSUES)
        refs = _concat(grouped["ref"], pr_join.REFERENCES)
        issues, duplicates = pr_join.choose_issues(issues)
        for dup, kept in duplicates:
            yield rejected_output(prs.duplicate_issue_rejection(dup, kept))
        count(ISSUE_STAGE, "kept", issues.num_rows)
        found = pr_join.join_references(refs, issues)
        if self.config.hydrate:
            issues, refs, found = yield from self._to_hydrate(issues, refs, found)
        yield from resolve_links(refs, issues, found, self.config.hydrate)

    def _to_hydrate(self, issues, refs, found):
        """Send the links whose issue needs the API, with it, to HYDRATE_TAG; -> what stays."""
        matched = issues.take(pa.array(found, mask=found < 0)).to_pylist()
        by_key: dict = defaultdict(list)
        for row, (ref, issue) in enumerate(zip(refs.to_pylist(), matched, strict=True)):
            issue = _seen(issue)
            if prs.issue_needs_hydration(issue):
                by_key[(ref["join_repo"], ref["join_number"])].append((row, ref, issue))
        if not by_key:
            return issues, refs, found
        leaving_refs = np.zeros(refs.num_rows, bool)
        leaving_issues = np.zeros(issues.num_rows, bool)
        for key, entries in by_key.items():
            issue = entries[0][2]
            for row, _ref, _issue in entries:
                leaving_refs[row] = True
                if found[row] >= 0:
                    leaving_issues[found[row]] = True
            yield beam.pvalue.TaggedOutput(HYDRATE_TAG, (key, issue, [ref for _r, ref, _i in entries]))
        staying = np.flatnonzero(~leaving_issues)
        renumber = np.full(issues.num_rows, -1)
        renumber[staying] = np.arange(len(staying))
        kept_refs = ~leaving_refs
        found = found[kept_refs]
        found = np.where(found >= 0, renumber[np.maximum(found, 0)], -1)
        return issues.take(pa.array(staying)), refs.filter(pa.array(kept_refs)), found


def resolve_links(refs: pa.Table, issues: pa.Table, found: np.ndarray, hydrate: bool):
    """Closing links (REFERENCES) and the row of `issues` each names (`found`; -1: none) -> the issue
    rows (ISSUES_TAG), the linked issue of each link to an issue with text as a part for its PR's
    bucket (PARTS_TAG), a `link` rejection for each other link."""
    yield beam.pvalue.TaggedOutput(ISSUES_TAG, pr_join.public_issues(issues))
    matched = issues.take(pa.array(found, mask=found < 0))
    usable = pc.fill_null(pc.is_valid(matched["title"]), False)
    unusable = pc.invert(usable)
    for ref, issue in zip(
        refs.filter(unusable).to_pylist(), matched.filter(unusable).to_pylist(), strict=True
    ):
        yield rejected_output(
            prs.link_rejection(ref["instance_id"], ref["pr_repo"], ref["link"], _seen(issue), hydrate)
        )
    count(LINK_STAGE, "kept", pc.sum(usable).as_py() or 0)
    yield from _parts_by_bucket(pr_join.parts(refs.filter(usable), matched.filter(usable)))


def _seen(issue: dict) -> dict | None:
    """A row taken at a missing index (all null) is no issue."""
    return issue if issue["repo"] is not None else None


def _concat(packed, schema: pa.Schema) -> pa.Table:
    tables = [unpack(data) for data in packed]
    return pa.concat_tables(tables) if tables else schema.empty_table()


def _parts_by_bucket(parts: pa.Table):
    buckets = parts["pr_bucket"].to_numpy()
    for key, part in pr_join.split_by_bucket(parts, buckets):
        yield beam.pvalue.TaggedOutput(PARTS_TAG, (key, pack(part)))


class HydrateIssuesFn(_HydratingDoFn):
    """A batch of (join key, issue|None, link references) -> issue text and comments from the API;
    then the issue row, the parts of its links or their `link` rejections, as `JoinIssuesFn` gives."""

    def process(self, batch: list[tuple]):
        def fetch(part):
            key, _seen, refs = part
            return hydrate_issue(self.client, refs[0]["link"]["repo"], key[1])

        issues, refs, found = [], [], []
        for (key, seen, key_refs), result in self._parallel(fetch, batch):
            count(HYDRATE_STAGE, "in")
            if isinstance(result, HydrationError):
                repo = key_refs[0]["link"]["repo"]
                yield rejected_output(
                    result.rejection(HYDRATE_STAGE, instance_id=instance_id(repo, key[1]), repo=repo)
                )
                result = seen
            else:
                count(HYDRATE_STAGE, "kept")
                if seen is not None:
                    result["repo_id"] = seen.get("repo_id")
            found += [len(issues) if result is not None else -1] * len(key_refs)
            issues += [result] if result is not None else []
            refs += key_refs
        yield from resolve_links(
            pa.Table.from_pylist(refs, schema=pr_join.REFERENCES),
            pa.Table.from_pylist(issues, schema=pr_fold.FOLDED_ISSUES),
            np.array(found, np.int64),
            hydrate=True,
        )


# --------------------------------------------------------------------------- 4. attach
def attach(element):
    """(PR bucket, {"pr": [tables], "part": [tables]}) -> the bucket's PULL_REQUESTS rows."""
    _bucket, grouped = element
    found = _concat(grouped["part"], pr_join.PARTS)
    for pulls in grouped["pr"]:
        yield pr_join.attach_parts(unpack(pulls), found)


# --------------------------------------------------------------------------- composite
class AssemblePullRequests(beam.PTransform):
    """PCollection[pa.Table EVENTS] -> {"pull_requests": PULL_REQUESTS tables, "issues": ISSUES
    tables, "rejected": dict rows}.

    Funnel: prs:in = distinct PRs = prs:kept + prs:rejected:*; hydrate:in = hydration attempts;
    link:in = closing links found = link:kept + link:rejected:*; issues:in = issues assembled from
    events = issues:kept (one per (repo, number)) + issues:rejected:duplicate_item_key.
    The events, links and issues are shuffled in `config.buckets` groups (0: `default_buckets`).
    """

    def __init__(self, config: PrsConfig | None = None):
        super().__init__()
        self.config = config or PrsConfig()

    def expand(self, events):
        c = self.config
        n = c.buckets or default_buckets(events.pipeline)
        folded = (
            events
            | "Bucket" >> beam.ParDo(BucketEventsFn(n))
            | "GroupByBucket" >> beam.GroupByKey()
            | "Fold"
            >> beam.ParDo(FoldFn(c, n)).with_outputs(
                REJECTED_TAG, ISSUES_TAG, REFS_TAG, HYDRATE_TAG, main="prs"
            )
        )
        pulls, refs, rejected = [folded.prs], [folded[REFS_TAG]], [folded[REJECTED_TAG]]
        if c.hydrate:
            hydrated = folded[HYDRATE_TAG] | "HydratePRs" >> _Batched(
                HydratePullRequestsFn(c, n), (REJECTED_TAG, REFS_TAG)
            )
            pulls, refs, rejected = (
                pulls + [hydrated.prs],
                refs + [hydrated[REFS_TAG]],
                rejected + [hydrated[REJECTED_TAG]],
            )
        joined = (
            {"issue": folded[ISSUES_TAG], "ref": refs | "AllRefs" >> beam.Flatten()}
            | "JoinIssues" >> beam.CoGroupByKey()
            | "Link"
            >> beam.ParDo(JoinIssuesFn(c)).with_outputs(
                REJECTED_TAG, ISSUES_TAG, PARTS_TAG, HYDRATE_TAG, main="none"
            )
        )
        issues, parts = [joined[ISSUES_TAG]], [joined[PARTS_TAG]]
        rejected.append(joined[REJECTED_TAG])
        if c.hydrate:
            late = joined[HYDRATE_TAG] | "HydrateIssues" >> _Batched(
                HydrateIssuesFn(c), (REJECTED_TAG, ISSUES_TAG, PARTS_TAG)
            )
            issues, parts = issues + [late[ISSUES_TAG]], parts + [late[PARTS_TAG]]
            rejected.append(late[REJECTED_TAG])
        pull_requests = (
            {"pr": pulls | "AllPRs" >> beam.Flatten(), "part": parts | "AllParts" >> beam.Flatten()}
            | "MeetParts" >> beam.CoGroupByKey()
            | "Attach" >> beam.FlatMap(attach)
        )
        return {
            "pull_requests": pull_requests,
            "issues": issues | "AllIssues" >> beam.Flatten(),
            "rejected": rejected | "AllRejected" >> beam.Flatten(),
        }


def default_buckets(pipeline: beam.Pipeline) -> int:
    """LOCAL_BUCKETS on the in-process runner with one worker (every element stays in one process:
    fewer, larger elements cost less), else DISTRIBUTED_BUCKETS."""
    return LOCAL_BUCKETS if one_local_worker(pipeline) else DISTRIBUTED_BUCKETS


class _Batched(beam.PTransform):
    """Batch elements for a hydrating DoFn (parallel requests per batch); tagged outputs + main."""

    def __init__(self, fn: beam.DoFn, tags: tuple[str, ...]):
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
    add_config_arguments(parser, only=section_options("prs") | {"overwrite", "memory_gb", "partitions"})


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
        buckets=cfg.shuffle_buckets,
    )


class ReadEvents(beam.PTransform):
    """EVENTS Parquet files (a glob) -> tables of the columns assembly reads, one per row group."""

    def __init__(self, pattern: str):
        super().__init__()
        self.pattern = pattern

    def expand(self, pbegin):
        return pbegin | "Read" >> beam.io.ReadFromParquetBatched(
            self.pattern, columns=list(pr_fold.ASSEMBLY_COLUMNS)
        )


def build(pipeline: beam.Pipeline, args: argparse.Namespace) -> dict:
    events = pipeline | "ReadEvents" >> ReadEvents(events_glob(args.events))
    return build_tables(events, config_from_args(args), args.out)


def build_tables(events, config: PrsConfig, out: str, name: str = "part") -> dict:
    """Events tables -> the stage's tables written as OUT/<table>/<name>-*.parquet."""
    tables = events | "AssemblePRs" >> AssemblePullRequests(config)
    for table, schema in (("pull_requests", PULL_REQUESTS), ("issues", ISSUES), ("rejected", REJECTED)):
        tables[table] | f"Write_{table}" >> WriteTable(
            out, table, schema, batched=table != "rejected", name=name
        )
    return tables


def run_pipeline(args: argparse.Namespace, extra_args: list[str] | None = None) -> tuple[dict, float]:
    start = time.perf_counter()
    pipeline = make_pipeline(extra_args)
    build(pipeline, args)
    result = run_to_completion(pipeline)
    return counters(result, FUNNEL), time.perf_counter() - start


def run(args: argparse.Namespace, extra_args: list[str] | None = None) -> int:
    """On this machine the events run in repository partitions within `[run] memory_gb`
    (`pipelines.staged`), elsewhere as one pipeline."""
    from pipelines import staged  # it builds on this module

    cfg, files, pattern = (
        resolve_config(args),
        input_files(events_glob(args.events)),
        events_glob(args.events),
    )
    prepare_out(args.out, cfg.run.overwrite, STAGE, inputs=(args.events,))
    inputs: dict = {"events": {"glob": pattern, "files": len(files)}, "beam_args": extra_args}
    if cfg.prs.hydrate or not staged.is_local(extra_args or []):
        funnel, seconds = run_pipeline(args, extra_args)
    else:
        start = time.perf_counter()
        run = staged.run_prs_staged(cfg, pattern, args.out, extra_args or [])
        funnel, seconds = merged_counters(run.results, FUNNEL), time.perf_counter() - start
        inputs["partitions"] = run.partitions
    manifest = build_manifest(stage_config(cfg, "prs"), inputs, funnel, stages.PRS_STAGES)
    return end_run(STAGE, args.out, manifest, seconds)
