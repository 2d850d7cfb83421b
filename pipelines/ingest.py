"""Beam stage: GH Archive hour names -> `events` (pyarrow Tables of schemas.EVENTS) + `rejected` rows.

`IngestEvents(gharchive_url, cache_dir)` is the composite used inside the corpus pipeline; `run()` is
`swe-corpus ingest --hours H --gharchive-url U --out DIR [--cache-dir C]`, which uses `WriteHourShards`
(the same reading, each hour written straight to DIR/events/<hour>.parquet). One element per hour file
and one output element per batch of events: parsing is `swe_corpus.events.iter_event_batches`.
Events are not deduplicated here (the PR stage drops duplicate event_ids while grouping).
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import logging
import os
import time
import uuid

import apache_beam as beam
import pyarrow as pa
import pyarrow.parquet as pq
import requests
from apache_beam.io.filesystem import BeamIOError, CompressionTypes
from apache_beam.io.filesystems import FileSystems

from pipelines.common import (
    FUNNEL,
    REJECTED_TAG,
    count,
    counters,
    end_run,
    inc,
    make_pipeline,
    one_local_worker,
    prepare_out,
    rejected_output,
    rows_to_table,
    run_to_completion,
    stage_config,
)
from pipelines.units import UnitStore, rejected_reasons, unit_key
from schemas.tables import EVENTS, REJECTED
from swe_corpus.config import add_config_arguments, resolve_config, section_options
from swe_corpus.errors import ConfigError
from swe_corpus.events import (
    MAX_LINES_PER_HOUR,
    MAX_REJECTIONS_PER_HOUR,
    STAGE,
    ParseStats,
    iter_event_batches,
)
from swe_corpus.gharchive import (
    DEFAULT_BASE_URL,
    DEFAULT_CACHE_DIR,
    Downloader,
    DownloadError,
    DownloadStats,
    hour_file,
    hour_location,
    is_http,
    parse_hours,
)
from swe_corpus.health import STREAM_BREAKS, InputHealth, hour_is_final
from swe_corpus.manifest import build_manifest
from swe_corpus.progress import Progress
from swe_corpus.redaction import redact_text, redact_url
from swe_corpus.rejects import Rejection

log = logging.getLogger(__name__)
NAMESPACE = STAGE  # the namespace of ingest's counters besides the funnel


def _inc(namespace: str, name: str, value: int) -> None:
    if value:
        inc(namespace, name, value)


def report_parse_stats(stats: ParseStats) -> None:
    """ParseStats of one file -> funnel counters (ingest:in/kept/skipped_type/rejected:*) and ingest:*."""
    _inc(FUNNEL, f"{STAGE}:in", stats.objects)
    _inc(FUNNEL, f"{STAGE}:kept", stats.kept)
    _inc(FUNNEL, f"{STAGE}:skipped_type", stats.skipped_type)
    for reason, n in stats.rejected_by_reason.items():
        _inc(FUNNEL, f"{STAGE}:rejected:{reason}", n)
    for name in ("files", "bytes_in", "bytes_out", "lines"):
        _inc(NAMESPACE, name, getattr(stats, name))
    _inc(NAMESPACE, "invalid_utf8_replaced", stats.invalid_utf8)
    _inc(NAMESPACE, "nul_bytes_skipped", stats.nul_bytes)
    for etype, n in stats.read_by_type.items():
        _inc(NAMESPACE, f"read:{etype}", n)
    for etype, n in stats.kept_by_type.items():
        _inc(NAMESPACE, f"kept:{etype}", n)


def hour_unit_is_final(counts) -> bool:
    """Whether an hour's recorded counters make its unit final (`health.hour_is_final`)."""
    return hour_is_final(rejected_reasons(counts, FUNNEL, STAGE))


class ReadHourFn(beam.DoFn):
    """One hour name -> event Tables (main output) and rejected rows (tagged `rejected`).

    HTTP bases go through a `Downloader` (cache + retries, created once per worker in `setup`); any
    other base is read where it is through Beam FileSystems (local dir, file://, gs://, ...).
    """

    def __init__(
        self,
        gharchive_url: str,
        cache_dir: str,
        batch_size: int,
        download_options: dict,
        parse_limits: dict | None = None,
        total_hours: int | None = None,
        units_dir: str | None = None,
    ):
        self.gharchive_url, self.cache_dir, self.batch_size = gharchive_url, cache_dir, batch_size
        self.download_options, self.parse_limits = download_options, parse_limits or {}
        self.total_hours = total_hours
        self.units = UnitStore(units_dir, "ingest") if units_dir else None

    def setup(self) -> None:
        self.downloader = None
        if is_http(self.gharchive_url):
            self.downloader = Downloader(self.gharchive_url, self.cache_dir, **self.download_options)
        self.progress = Progress(STAGE, "hour", self.total_hours, log=log)

    def teardown(self) -> None:
        self.progress.flush()

    def process(self, hour: str):
        """With a units directory, an hour read before with the same settings is replayed, not read."""
        stats = ParseStats()
        if self.units is None:
            yield from self._read_hour(hour, stats)
        else:
            source = (redact_url(self.gharchive_url), self._identity(hour))
            key = unit_key(shard_stem(hour), source, self.batch_size, self.parse_limits)
            yield from self.units.run(key, lambda: self._read_hour(hour, stats), complete=hour_unit_is_final)
        self._hour_done(hour, stats)

    def _identity(self, hour: str) -> tuple | None:
        """Size and modification time of a file-system hour (a file replaced in place is another
        unit); None for HTTP (GH Archive's hours do not change) or an hour that is not there."""
        if is_http(self.gharchive_url):
            return None
        try:
            found = FileSystems.match([hour_location(self.gharchive_url, hour)])[0].metadata_list
        except (ValueError, OSError, BeamIOError):
            return None
        return (found[0].size_in_bytes, found[0].last_updated_in_seconds) if found else None

    def _hour_done(self, hour: str, stats: ParseStats) -> None:
        """One progress line (rate limited) with the hour's records read, kept and rejected."""
        rejected = sum(stats.rejected_by_reason.values())
        self.progress.done(shard_stem(hour), read=stats.objects, kept=stats.kept, rejected=rejected)

    def _read_hour(self, hour: str, stats: ParseStats):
        """The hour's outputs, counted in `stats` (a rejected hour file counts as one rejected record)."""
        try:
            name = hour_file(hour)
        except ValueError as exc:  # not an hour name: recorded, never a crash of the run
            yield from self._file_rejection("bad_hour", str(exc), str(hour)[:200], stats)
            return
        try:
            location = self._locate(hour)
        except (DownloadError, requests.RequestException, OSError) as exc:  # cache disk full, bad URL...
            detail = redact_text(f"{type(exc).__name__}: {exc}")  # fetch redacts its own; this is a backstop
            yield from self._file_rejection(getattr(exc, "reason", "download_failed"), detail, name, stats)
            return
        if location is None:
            _inc(NAMESPACE, "gaps", 1)
            where = redact_url(hour_location(self.gharchive_url, hour))
            yield from self._file_rejection("gap_404", f"no such hour in the archive: {where}", name, stats)
            return
        try:
            with self._open(location) as fileobj:
                batches = iter_event_batches(fileobj, name, self.batch_size, stats, **self.parse_limits)
                for table, rejected in batches:
                    if table.num_rows:
                        yield table
                    for row in rejected:
                        yield beam.pvalue.TaggedOutput(REJECTED_TAG, row)
        except OSError as exc:  # the file vanished or the filesystem failed mid-read
            stats.objects += 1
            stats.rejected_by_reason["read_failed"] += 1  # counted with the file's other records
            yield beam.pvalue.TaggedOutput(
                REJECTED_TAG, Rejection(STAGE, "read_failed", str(exc), source_file=name).row()
            )
        if self.downloader is not None and stats.rejected_by_reason.keys() & STREAM_BREAKS:
            self.downloader.evict(hour)  # broken on disk since it was checked: download it next run
        report_parse_stats(stats)

    def _locate(self, hour: str) -> str | None:
        if self.downloader is not None:
            before = dataclasses.replace(self.downloader.stats)
            try:
                path = self.downloader.fetch(hour)
            finally:
                self._report_downloads(before, self.downloader.stats)
            return None if path is None else str(path)
        location = hour_location(self.gharchive_url, hour)
        return location if FileSystems.exists(location) else None

    @staticmethod
    def _open(location: str):
        if os.path.isfile(location):
            return open(location, "rb")  # noqa: SIM115 - used as a context manager by the caller
        return FileSystems.open(location, compression_type=CompressionTypes.UNCOMPRESSED)

    @staticmethod
    def _report_downloads(before: DownloadStats, after: DownloadStats) -> None:
        for name in ("downloaded", "cache_hits", "retries", "resumed", "bytes"):
            _inc(NAMESPACE, f"download_{name}", getattr(after, name) - getattr(before, name))

    @staticmethod
    def _file_rejection(reason: str, detail: str, name: str, stats: ParseStats):
        """The whole file rejected: one record, counted here (not through `report_parse_stats`)."""
        count(STAGE, "in")
        stats.objects += 1
        stats.rejected_by_reason[reason] += 1
        yield rejected_output(Rejection(STAGE, reason, detail, source_file=name))


class IngestEvents(beam.PTransform):
    """PCollection[str hour name] -> {"events": PCollection[pa.Table EVENTS], "rejected": PCollection[dict]}."""

    def __init__(
        self,
        gharchive_url: str = DEFAULT_BASE_URL,
        cache_dir: str = DEFAULT_CACHE_DIR,
        batch_size: int = 8192,
        max_attempts: int = 6,
        backoff_s: float = 1.0,
        download_max_mb: int = Downloader.max_bytes >> 20,
        download_deadline_s: float = Downloader.deadline_s,
        download_max_retry_after_s: float = Downloader.max_retry_after_s,
        max_lines_per_hour: int = MAX_LINES_PER_HOUR,
        max_rejections_per_hour: int = MAX_REJECTIONS_PER_HOUR,
        total_hours: int | None = None,
        units_dir: str | None = None,
    ):
        super().__init__()
        self.total_hours = total_hours  # for done/total and the ETA of the progress lines
        self.units_dir = units_dir  # OUT/.work of a resumable run: each hour is a unit
        self.gharchive_url, self.cache_dir, self.batch_size = gharchive_url, cache_dir, batch_size
        self.download_options = {
            "max_attempts": max_attempts,
            "backoff_s": backoff_s,
            "max_bytes": download_max_mb << 20,
            "deadline_s": download_deadline_s,
            "max_retry_after_s": download_max_retry_after_s,
        }
        self.parse_limits = {"max_lines": max_lines_per_hour, "max_rejections": max_rejections_per_hour}

    @staticmethod
    def spread(hours):
        """Hours redistributed over the workers (a `Create` puts them all in one bundle); as they are
        where there is one in-process worker."""
        return hours if one_local_worker(hours.pipeline) else hours | "SpreadHours" >> beam.Reshuffle()

    def fn_args(self, pipeline: beam.Pipeline) -> tuple:
        """ReadHourFn's arguments; the total number of hours only where one worker reads them all."""
        total = self.total_hours if one_local_worker(pipeline) else None
        return (
            self.gharchive_url,
            self.cache_dir,
            self.batch_size,
            self.download_options,
            self.parse_limits,
            total,
        )

    def expand(self, hours):
        outputs = self.spread(hours) | "ReadHours" >> beam.ParDo(
            ReadHourFn(*self.fn_args(hours.pipeline), units_dir=self.units_dir)
        ).with_outputs(REJECTED_TAG, main="events")
        return {"events": outputs.events, "rejected": outputs[REJECTED_TAG]}


DICTIONARY_COLUMNS = frozenset(
    ("event_type", "action", "state", "user_type", "author_association", "review_state", "payload_era")
    + ("source_file", "stage", "reason")
)


def shard_stem(hour: str) -> str:
    """File-name stem of an hour's shards: '2015-01-01-9' for a valid hour, 'bad-<sha1>' otherwise
    (a name from the input never becomes a path)."""
    try:
        return hour_file(hour).removesuffix(".json.gz")
    except ValueError:
        return "bad-" + hashlib.sha1(str(hour).encode("utf-8", "replace")).hexdigest()[:16]


class HourShardWriter:
    """One Parquet file written batch by batch to a hidden temporary name, renamed into place on a clean
    exit and deleted on an error, so `OUT/<table>/*.parquet` never matches a half-written file."""

    def __init__(self, path: str, schema: pa.Schema):
        folder, name = path.rsplit("/", 1)
        self.path = path
        # Unique per writer: a retried or zombie bundle writing the same hour never shares a temp file.
        self.tmp_path = f"{folder}/.{name}.{uuid.uuid4().hex}.tmp"
        self.fh = FileSystems.create(self.tmp_path)
        # Dictionary pages only where values repeat: on text columns they cost time and save nothing.
        dictionary = [f.name for f in schema if f.name in DICTIONARY_COLUMNS]
        self.writer = pq.ParquetWriter(self.fh, schema, compression="zstd", use_dictionary=dictionary)

    def write(self, table: pa.Table) -> None:
        self.writer.write_table(table)

    def __enter__(self) -> HourShardWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        complete = False
        try:
            try:
                self.writer.close()
            finally:
                self.fh.close()  # also when the writer's close fails (disk full): no leaked handle
            complete = exc_type is None
        finally:
            if complete:
                FileSystems.rename([self.tmp_path], [self.path])
            else:
                FileSystems.delete([self.tmp_path])


class WriteHourShardsFn(ReadHourFn):
    """One hour name -> OUT/events/<hour>.parquet and OUT/rejected/<hour>.parquet, written here.

    One events file per hour (one row group per batch, zero rows when the hour kept nothing) and one
    rejected file per hour (possibly empty), so both globs always match. Names depend only on the input
    and batches are deterministic, so a retried bundle rewrites the same files: idempotent on any
    runner, without Beam's file-sink machinery (temp dir, finalize, rename of every shard).
    """

    def __init__(self, out_dir: str, *args):
        super().__init__(*args)
        self.out_dir = out_dir.rstrip("/")

    def process(self, hour: str):
        stem, rejected, stats = shard_stem(hour), [], ParseStats()
        with (
            HourShardWriter(f"{self.out_dir}/events/{stem}.parquet", EVENTS) as events,
            HourShardWriter(f"{self.out_dir}/rejected/{stem}.parquet", REJECTED) as shard,
        ):
            for item in self._read_hour(hour, stats):
                if isinstance(item, beam.pvalue.TaggedOutput):
                    rejected.append(item.value)
                    if len(rejected) >= self.batch_size:  # streamed like events: a damaged hour's
                        shard.write(rows_to_table(rejected, REJECTED))  # rejections never pile up
                        rejected = []
                else:
                    events.write(item)
            shard.write(rows_to_table(rejected, REJECTED))
        self._hour_done(hour, stats)
        return ()


class WriteHourShards(IngestEvents):
    """PCollection[str hour name] -> Parquet files under OUT/events and OUT/rejected (the standalone stage).

    Same arguments (after `out_dir`), parsing, counters and tables as `IngestEvents` followed by two
    table writes, in one step: the hour's batches go straight to its files instead of through the runner
    and two Beam file sinks. Outputs nothing: the files are the result.
    """

    def __init__(self, out_dir: str, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.out_dir = out_dir

    def expand(self, hours):
        write = WriteHourShardsFn(self.out_dir, *self.fn_args(hours.pipeline))
        return self.spread(hours) | "ReadAndWriteHours" >> beam.ParDo(write)


# --------------------------------------------------------------------------- CLI
def add_arguments(parser: argparse.ArgumentParser) -> None:
    """`--out`, then every `[ingest]` option of corpus.toml under the corpus command's names."""
    parser.add_argument("--out", required=True, help="Output directory: writes OUT/events and OUT/rejected.")
    add_config_arguments(parser, only=section_options("ingest") | {"overwrite"})


def ingest_options(section) -> dict:
    """The `[ingest]` section of corpus.toml -> the arguments of `IngestEvents` / `WriteHourShards` (one
    mapping for the corpus command and this one)."""
    return {
        "gharchive_url": section.gharchive_url,
        "cache_dir": section.cache_dir,
        "batch_size": section.batch_size,
        "max_attempts": section.download_max_attempts,
        "backoff_s": section.download_backoff_s,
        "download_max_mb": section.download_max_mb,
        "download_deadline_s": section.download_deadline_s,
        "download_max_retry_after_s": section.download_max_retry_after_s,
        "max_lines_per_hour": section.max_lines_per_hour,
        "max_rejections_per_hour": section.max_rejections_per_hour,
        "total_hours": len(parse_hours(section.hours)) if section.hours.strip() else None,
    }


def hours_of(section) -> list[str]:
    """The hours of the `[ingest]` section; the standalone command has no demo world to fall back on."""
    if not section.hours:
        raise ConfigError("[ingest] hours: the ingest command needs hours (--hours or corpus.toml)")
    return parse_hours(section.hours)


def build(pipeline: beam.Pipeline, args: argparse.Namespace):
    """Hours -> OUT/events/<hour>.parquet and OUT/rejected/<hour>.parquet (one of each per hour)."""
    section = resolve_config(args).ingest
    return (
        pipeline
        | "Hours" >> beam.Create(hours_of(section), reshuffle=False)  # WriteHourShards spreads them
        | "Ingest" >> WriteHourShards(args.out, **ingest_options(section))
    )


def run_pipeline(args: argparse.Namespace, extra_args: list[str] | None = None) -> tuple[dict, dict, float]:
    """Run the standalone stage; -> (ingest:* counters, funnel counters, wall seconds)."""
    start = time.perf_counter()
    pipeline = make_pipeline(extra_args)
    build(pipeline, args)
    result = run_to_completion(pipeline)
    seconds = time.perf_counter() - start
    return counters(result, NAMESPACE), counters(result, FUNNEL), seconds


def run(args: argparse.Namespace, extra_args: list[str] | None = None) -> int:
    cfg = resolve_config(args)
    hours = hours_of(cfg.ingest)  # before --overwrite deletes anything
    prepare_out(args.out, cfg.run.overwrite, "ingest")
    totals, funnel, seconds = run_pipeline(args, extra_args)
    inputs = {"hours": hours, "gharchive_url": redact_url(cfg.ingest.gharchive_url), "beam_args": extra_args}
    manifest = build_manifest(stage_config(cfg, "ingest"), inputs, funnel, (STAGE,))
    manifest["counters"] = totals  # files, bytes, events read and kept per type, downloads
    return end_run("ingest", args.out, manifest, seconds, InputHealth.from_counters(len(hours), funnel, {}))
