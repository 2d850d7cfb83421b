"""GH Archive hour file -> batches of the flat `events` table (schemas.EVENTS), plus rejections.

One module per job: `swe_corpus.decompress` (streaming gzip), `swe_corpus.event_normalize` (the reference
normaliser of every era), `swe_corpus.event_fastpath` (the events-era fast path, held equal to the
reference by `tests/test_ingest_parse.py::test_fast_path_matches_the_dict_normaliser*`), and this
module: line framing and repair (glued, spliced, cut, NUL-padded lines), statistics and batching.

Public API (stable; the PR stage and the Beam stage call it):

- ``iter_event_batches(source, source_file=None, batch_size=8192, stats=None)``
  yields ``(pyarrow.Table with schemas.EVENTS, list[rejected row dict])`` for one hour file.
  ``source`` is a path or a binary file object, gzip (detected by magic bytes) or plain JSON lines.
  Nothing larger than one compressed chunk plus one batch is ever held in memory.
- ``ParseStats``: counters filled while iterating (lines, objects, per-type read/kept, rejects per
  reason, skipped types, bytes in/out, invalid UTF-8 lines replaced, NUL bytes skipped).
- ``normalize_event(obj, source_file, line_number)``: one parsed event dict -> one row dict (or
  ``None`` for a type we do not keep); raises ``ValueError`` for a kept-type event it cannot read.
- ``KEPT_TYPES``, ``synthesize_event_id(obj)``, ``iter_decompressed(binary_file)`` (streaming gzip),
  ``parse_timestamp(value)`` (any era's or the REST API's ISO-8601 -> aware UTC, None when unreadable).

Eras (see NOTES.md section 2), all normalised to one flat shape in UTC:
``early2011`` (Events-API shape with tiny legacy payloads), ``timeline`` (2012-2014: no ids,
``repository`` object, string ``actor``, Pacific-time timestamps; ids are synthesized as
``syn-`` + sha1 of the event's identity fields, so duplicates of one event share an id),
``events`` (2015+), ``trimmed`` (from 2025-10-07, or any PullRequestEvent whose pull_request is the
stub without title/user/state: text columns stay null).

Damage handling: a gzip stream that ends early or breaks keeps every line before the break and
records one ``truncated_gzip`` / ``corrupt_gzip`` rejection for the unreadable remainder; two objects
on one line (``}{``) are split; NUL padding is skipped (it also separates records); invalid UTF-8 is
replaced and counted; a line that is not JSON (or nested too deeply to parse) is rejected as
``not_json``; a kept-type event that cannot be normalised is rejected as ``malformed_event`` (or
``number_out_of_range`` for a PR/issue number beyond int64); a file without any event as ``empty_hour``.

Speed: ISA-L decompression in small steps (the chunk stays in cache); lines are found in place; the
event type is found with a byte-level regex before any JSON parsing, so events of types we do not keep
(about 3/4 of an hour) are counted and skipped unparsed; a kept event of the plain events era
(2015 .. 2025-10-06, nearly all of the archive) is decoded by msgspec into Structs holding only the
fields we use (everything else is skipped without building Python objects) and turned straight into a
row tuple by ``fast_row``; any other era or anything unusual goes to ``normalize_event`` on a projected
dict, or a full, lenient orjson parse; Arrow columns are built per batch from the row tuples.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

import orjson
import pyarrow as pa

from schemas.tables import EVENTS
from swe_corpus.decompress import (
    CHUNK_BYTES,
    MAX_STEP_OUTPUT,
    StreamBreak,
    _CountingReader,
    iter_decompressed,
)
from swe_corpus.event_fastpath import _DECODE_ERRORS, _FAST, fast_row
from swe_corpus.event_normalize import (
    _PROJECTED,
    _ROW_VALUES,
    COLUMNS,
    EARLY_UNTIL,
    KEPT_TYPES,
    TRIMMED_SINCE,
    UnusableEvent,
    detect_era,
    normalize_event,
    parse_timestamp,
    synthesize_event_id,
)
from swe_corpus.rejects import rejection
from swe_corpus.stages import INGEST

__all__ = [
    "CHUNK_BYTES",
    "COLUMNS",
    "EARLY_UNTIL",
    "KEPT_TYPES",
    "MAX_LINES_PER_HOUR",
    "MAX_REJECTIONS_PER_HOUR",
    "MAX_STEP_OUTPUT",
    "STAGE",
    "TRIMMED_SINCE",
    "ParseStats",
    "StreamBreak",
    "UnusableEvent",
    "detect_era",
    "fast_row",
    "iter_decompressed",
    "iter_event_batches",
    "normalize_event",
    "parse_timestamp",
    "synthesize_event_id",
]

STAGE = INGEST
MAX_LINE_BYTES = 64 << 20  # a "line" longer than this is damage, not an event (longest seen: ~32 KB)
# A 2024 hour holds ~250k lines and a handful of damaged ones. Past these, a file is a bomb (10 GB of
# `{}` or of junk lines): the rest is not read, and one rejection says why (hour_too_many_lines /
# hour_too_many_rejections), so one file costs bounded time and output.
MAX_LINES_PER_HOUR = 10_000_000
MAX_REJECTIONS_PER_HOUR = 100_000
_KEPT_TYPES_BYTES = frozenset(t.encode() for t in KEPT_TYPES)

# `"type":"XEvent"` as written by GH Archive (compact) or by json.dumps (one space).
_TYPE_RE = re.compile(rb'"type": ?"([A-Za-z]+Event)"')
# The same at the start of a 2015+ line (`{"id":"123","type":"XEvent"`): an anchored match is cheaper than
# a search, and where it matches it finds what the search would (an id of digits holds no "type").
_LEADING_TYPE_RE = re.compile(rb'\{"id":"[0-9]+","type":"([A-Za-z]+Event)"')
_GLUE_RE = re.compile(rb'\}\{"')  # two objects on one line: never valid JSON outside a string
# How every 2015+ line starts. Anywhere else in a line it marks a second event, glued on (`}{"id"`) or
# spliced onto a cut one: no other object in an event starts with a string "id".
_EVENT_START = b'{"id":"'


def _holds_more_objects(data: bytes) -> bool:
    """Whether one line may hold a second object (glued or spliced on)."""
    return _GLUE_RE.search(data) is not None or data.find(_EVENT_START, 1) != -1


# --------------------------------------------------------------------------- statistics
@dataclass
class ParseStats:
    """What one or more files held; the Beam stage turns these into metrics, benches print them."""

    files: int = 0
    bytes_in: int = 0  # compressed (or plain) bytes read
    bytes_out: int = 0  # decompressed bytes
    lines: int = 0
    objects: int = 0  # records entering the funnel: objects/lines read (+1 per unreadable remainder)
    kept: int = 0
    skipped_type: int = 0
    invalid_utf8: int = 0
    nul_bytes: int = 0
    read_by_type: Counter = field(default_factory=Counter)
    kept_by_type: Counter = field(default_factory=Counter)
    rejected_by_reason: Counter = field(default_factory=Counter)


# --------------------------------------------------------------------------- line parsing
def _loads_lenient(data: bytes) -> tuple[Any, bool]:
    """Parse JSON; on invalid UTF-8 (or lone surrogate escapes) replace the bad parts. -> (obj, replaced)."""
    try:
        return orjson.loads(data), False
    except orjson.JSONDecodeError:
        try:
            obj = json.loads(data.decode("utf-8", "replace"))  # ValueError here: not JSON at all
            # The stdlib keeps lone surrogates (from escapes like \ud800) that Arrow cannot store: replace them.
            return orjson.loads(json.dumps(obj, ensure_ascii=False).encode("utf-8", "replace")), True
        except RecursionError:  # nested deeper than the stack (orjson stops at 1024 levels): no event
            raise ValueError("JSON nested too deeply") from None


def _split_objects(data: bytes) -> list[bytes] | None:
    """The objects of an unparseable line holding several; None if it does not look like it does.

    Glued `{...}{...}` is split at each `}{` where the part before parses. Failing that, a line with
    `{"id":"` after its start (an event spliced onto a cut one) is split before each of those, so the
    event after the cut is read and the cut part alone is rejected.
    """
    parts = _split_glued(data) if b"}{" in data else None
    if parts is None:
        starts = []
        pos = data.find(_EVENT_START, 1)
        while pos != -1:
            starts.append(pos)
            pos = data.find(_EVENT_START, pos + 1)
        if starts:
            parts = [data[a:b] for a, b in zip([0, *starts], [*starts, len(data)], strict=True)]
    return parts


_JSON_VALUE = json.JSONDecoder()  # `raw_decode` says where the first JSON value of a text ends


def _split_glued(data: bytes) -> list[bytes] | None:
    """Split `{...}{...}` (objects glued on one line) after each object that parses; None if no split.

    Linear: each object is parsed once, from where the one before it ended (trying every `}{` as an end
    instead costs one parse per candidate, which a cut line full of `}{` in its text turns quadratic).
    Decoded with `surrogateescape`, so each part encodes back to exactly its original bytes.
    """
    text = data.decode("utf-8", "surrogateescape")
    parts: list[bytes] = []
    start = 0
    while text.startswith("{", start):
        try:
            _, end = _JSON_VALUE.raw_decode(text, start)
        except (ValueError, RecursionError):
            break
        if not text.startswith("{", end):
            break
        parts.append(text[start:end].encode("utf-8", "surrogateescape"))
        start = end
    if not parts:
        return None
    parts.append(text[start:].encode("utf-8", "surrogateescape"))
    return parts


def _build_table(rows: list[tuple]) -> pa.Table:
    """Row tuples (COLUMNS order) -> an EVENTS table: transposed in C, one `pyarrow.array` per column."""
    columns = zip(*rows, strict=True) if rows else [[] for _ in COLUMNS]
    arrays = [pa.array(values, type=fld.type) for values, fld in zip(columns, EVENTS, strict=True)]
    return pa.Table.from_arrays(arrays, schema=EVENTS)


class _HourParser:
    """Turns the records of one file into kept rows, skips and rejections, updating ParseStats."""

    def __init__(self, source_file: str, stats: ParseStats):
        self.source_file, self.stats = source_file, stats
        self.rows: list[tuple] = []  # kept events as row tuples in COLUMNS order
        self.rejected: list[dict] = []
        # Per-type counts of the hot loop, folded into `stats` once per batch (`fold_counts`):
        # kept events by type name, skipped lines by type as bytes.
        self.fast_kept: Counter = Counter()
        self.fast_skipped: Counter = Counter()

    def reject(self, reason: str, detail: str | None, line_number: int | None, raw: bytes | None) -> None:
        self.stats.rejected_by_reason[reason] += 1
        self.rejected.append(
            rejection(STAGE, reason, detail, source_file=self.source_file, line_number=line_number, raw=raw)
        )

    def overlong(self, buf: bytes, line_number: int) -> bytes:
        """A line longer than MAX_LINE_BYTES and still without its newline: reject it, stop buffering."""
        self.stats.objects += 1
        self.reject("line_too_long", f"no newline within {MAX_LINE_BYTES} bytes", line_number, buf)
        return b""  # the line's remainder then reads as one more unparseable line

    def chunk(self, buf: bytes, line_number: int, size: int | None = None, start: int = 0) -> int:
        """Every line of `buf[start:size]` (complete lines only); returns the last line number used.

        Hot loop: lines are found in place and never copied unless they need the slow path; a line
        whose type (found by regex) is not kept is counted and skipped; a kept line is decoded by the
        projecting msgspec decoder straight from a memoryview.
        """
        find, search, glued, view = buf.find, _TYPE_RE.search, _GLUE_RE.search, memoryview(buf)
        leading, decode, source_file = _LEADING_TYPE_RE.match, _FAST.decode, self.source_file
        kept_types, skipped, fast_types, append_row = _KEPT_TYPES_BYTES, [], [], self.rows.append
        pos, size = start, len(buf) if size is None else size
        has_nul = find(b"\x00", pos, size) != -1  # NUL padding is rare: look line by line only if present
        # A run of consecutive skipped lines (start offset, line number before it, its first index in
        # `skipped`) is checked for glued objects once, as one span: `}{"` never spans a newline.
        run, run_line, run_skipped = -1, 0, 0
        while pos < size:
            end = find(b"\n", pos)
            if end == -1:
                end = size
            line_number += 1
            match = None
            if buf[end - 1] == 0x7D and not (has_nul and find(b"\x00", pos, end) != -1):
                match = leading(buf, pos, end)  # the line's first type: 2015+ lines (it checks the `{`)
                if match is None and buf[pos] == 0x7B:
                    match = search(buf, pos, end)  # other eras
                if match is not None and (etype := match[1]) not in kept_types:
                    if run < 0:
                        run, run_line, run_skipped = pos, line_number - 1, len(skipped)
                    skipped.append(etype)
                    pos = end + 1
                    continue
            if run >= 0:
                if glued(buf, run, pos):
                    self.redo_run(buf, run, pos, run_line, skipped, run_skipped)
                run = -1
            if match is None:
                self.line(buf[pos:end], line_number)  # padding, blank, odd or typeless lines
            else:
                try:  # the fast path, inlined: most kept lines end here
                    row = fast_row(decode(view[pos:end]), source_file, line_number)
                except _DECODE_ERRORS:
                    row = None
                if row is None:
                    self.decode_kept(view[pos:end], line_number)  # glued objects fail the decode too
                else:
                    append_row(row)
                    fast_types.append(row[1])
            pos = end + 1
        if run >= 0 and glued(buf, run, size):
            self.redo_run(buf, run, size, run_line, skipped, run_skipped)
        if fast_types:
            self.stats.objects += len(fast_types)
            self.stats.kept += len(fast_types)
            self.fast_kept.update(fast_types)
        if skipped:
            self.stats.objects += len(skipped)
            self.stats.skipped_type += len(skipped)
            self.fast_skipped.update(skipped)
        return line_number

    def redo_run(
        self, buf: bytes, start: int, stop: int, line_number: int, skipped: list, first: int
    ) -> None:
        """A run of skipped lines holds glued objects (rare): forget its skips, redo it line by line.

        A kept event may hide behind a skipped one on the same line; `line` splits and counts each.
        """
        del skipped[first:]
        pos = start
        while pos < stop:
            end = buf.find(b"\n", pos, stop)
            if end == -1:
                end = stop
            line_number += 1
            self.line(buf[pos:end], line_number)
            pos = end + 1

    def line(self, data: bytes, line_number: int) -> None:
        """One physical line: may hold NUL padding, one object, or several glued or spliced objects."""
        if b"\x00" in data:
            self.stats.nul_bytes += data.count(b"\x00")
            for segment in data.split(b"\x00"):
                if segment.strip():
                    self.record(segment.strip(), line_number)
            return
        data = data.strip()
        if data:
            self.record(data, line_number)

    def record(self, data: bytes, line_number: int) -> None:
        """One candidate object: skip a whole, well-formed object of an unkept type without parsing."""
        match = _TYPE_RE.search(data)
        if (
            match
            and match.group(1) not in _KEPT_TYPES_BYTES
            and data[0] == 0x7B
            and data[-1] == 0x7D
            and not _holds_more_objects(data)
        ):
            self.stats.objects += 1
            self.stats.skipped_type += 1
            self.stats.read_by_type[match.group(1).decode()] += 1
            return
        self.parse(data, line_number)

    def fold_counts(self) -> None:
        """Add the hot loop's per-type counts to `stats` (each batch: stats are whole at every yield)."""
        stats = self.stats
        for etype, n in self.fast_kept.items():
            stats.read_by_type[etype] += n
            stats.kept_by_type[etype] += n
        for etype, n in self.fast_skipped.items():
            stats.read_by_type[etype.decode()] += n
        self.fast_kept.clear()
        self.fast_skipped.clear()

    def decode_kept(self, data: memoryview, line_number: int) -> None:
        """A kept line the fast path declined: projected dict + normalize_event, or the full parse."""
        try:
            obj = _PROJECTED.decode(data)
        except _DECODE_ERRORS:
            self.parse(bytes(data), line_number)
            return
        raw_id = obj.get("id")
        if raw_id is None or raw_id == "":  # no id (Timeline): the synthesized id hashes the full payload
            self.parse(bytes(data), line_number)
            return
        self.stats.objects += 1
        self.accept(obj, line_number, data)

    def parse(self, data: bytes, line_number: int) -> None:
        """Slow path: full, lenient parse of one candidate object (or of glued or spliced objects)."""
        try:
            obj, replaced = _loads_lenient(data)
        except ValueError:
            parts = _split_objects(data)
            if parts is None:
                self.stats.objects += 1
                self.reject("not_json", "line is not a JSON object", line_number, data)
                return
            for part in parts:
                self.record(part, line_number)
            return
        self.stats.objects += 1
        if replaced:
            self.stats.invalid_utf8 += 1
        if not isinstance(obj, dict):
            self.reject("not_json", "JSON value is not an object", line_number, data)
            return
        self.accept(obj, line_number, data)

    def accept(self, obj: dict, line_number: int, data: bytes | memoryview) -> None:
        """Count a parsed object; keep it as a row, skip its type, or reject it as malformed."""
        etype = obj.get("type")
        self.stats.read_by_type[str(etype)] += 1
        if etype.__class__ is not str or etype not in KEPT_TYPES:  # a dict "type" is not hashable
            self.stats.skipped_type += 1
            return
        try:
            row = normalize_event(obj, self.source_file, line_number)
        except UnusableEvent as exc:
            self.reject(exc.reason, str(exc), line_number, bytes(data))
            return
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            self.reject("malformed_event", f"{etype}: {exc}", line_number, bytes(data))
            return
        self.stats.kept += 1
        self.stats.kept_by_type[etype] += 1
        self.rows.append(_ROW_VALUES(row))


def _open(source: str | os.PathLike | IO[bytes]) -> tuple[IO[bytes], bool]:
    if isinstance(source, (str, os.PathLike)):
        return open(source, "rb"), True  # noqa: SIM115 - closed by the caller
    return source, False


def iter_event_batches(
    source: str | os.PathLike | IO[bytes],
    source_file: str | None = None,
    batch_size: int = 8192,
    stats: ParseStats | None = None,
    max_lines: int = MAX_LINES_PER_HOUR,
    max_rejections: int = MAX_REJECTIONS_PER_HOUR,
) -> Iterator[tuple[pa.Table, list[dict]]]:
    """Stream one GH Archive file into (EVENTS table, rejected rows) batches of <= batch_size events.

    The last batch may hold zero events but still carry rejections; every file yields at least one
    batch. Rejections leave in batches of at most ~batch_size too (with an empty table when no events
    came with them), so a damaged hour never piles them up. `source_file` names the file in rows
    (default: the basename of `source`).
    """
    stats = stats if stats is not None else ParseStats()
    if source_file is None:
        source_file = os.path.basename(os.fspath(source)) if isinstance(source, (str, os.PathLike)) else "?"
    raw, owned = _open(source)
    counting = _CountingReader(raw)
    parser = _HourParser(source_file, stats)
    stats.files += 1
    objects_before, bytes_out_before = stats.objects, stats.bytes_out
    rejected_before = sum(stats.rejected_by_reason.values())  # the bounds are per file, stats may be shared
    line_number, rest = 0, b""
    try:
        try:
            for chunk in iter_decompressed(counting):
                stats.bytes_out += len(chunk)
                start = 0
                if rest:  # finish the line cut at the last chunk's end; the chunk itself is never copied
                    start = chunk.find(b"\n") + 1
                    if start:
                        line_number = parser.chunk(rest + chunk[:start], line_number)
                        rest = b""
                cut = chunk.rfind(b"\n")
                if cut >= start:
                    line_number = parser.chunk(chunk, line_number, cut + 1, start)
                rest += chunk[max(cut + 1, start) :]
                if len(rest) > MAX_LINE_BYTES:
                    rest = parser.overlong(rest, line_number + 1)
                while len(parser.rows) >= batch_size:
                    yield _drain(parser, batch_size)
                if len(parser.rejected) >= batch_size:
                    yield _drain_rejected(parser)
                _check_bounds(stats, line_number, max_lines, max_rejections + rejected_before)
        except StreamBreak as brk:
            _record_break(parser, brk, rest, line_number + 1)
            rest = b""
        if rest:
            line_number = parser.chunk(rest, line_number)
        if stats.objects == objects_before:  # a 0-byte file, an empty gzip, blank lines: no hour of events
            stats.objects += 1
            size = stats.bytes_out - bytes_out_before
            parser.reject("empty_hour", f"the file holds no event ({size} bytes decompressed)", None, None)
        stats.lines += line_number
        stats.bytes_in += counting.count
        while len(parser.rows) > batch_size:
            yield _drain(parser, batch_size)
        yield _drain(parser, batch_size)
    finally:
        if owned:
            raw.close()


def _record_break(parser: _HourParser, brk: StreamBreak, tail: bytes, line_number: int) -> None:
    """A stream break: keep a complete object left before it, and record the unreadable remainder."""
    stripped = tail.strip(b"\x00 \r\n\t")
    if stripped:
        try:
            orjson.loads(stripped)
        except orjson.JSONDecodeError:
            pass
        else:  # the break fell right after a complete object: keep it
            parser.line(stripped, line_number)
            tail, line_number = b"", line_number + 1
    parser.stats.objects += 1
    parser.reject(brk.reason, brk.detail, line_number, tail or None)


def _check_bounds(stats: ParseStats, lines: int, max_lines: int, max_rejections: int) -> None:
    """Stop reading a file that is a bomb rather than an hour (see MAX_LINES_PER_HOUR)."""
    if lines > max_lines:
        raise StreamBreak("hour_too_many_lines", f"more than {max_lines} lines: the rest is not read")
    if sum(stats.rejected_by_reason.values()) > max_rejections:
        raise StreamBreak(
            "hour_too_many_rejections", f"more than {max_rejections} rejected records: the rest is not read"
        )


def _drain_rejected(parser: _HourParser) -> tuple[pa.Table, list[dict]]:
    """The rejections recorded so far, with no events (those wait for a full batch)."""
    parser.fold_counts()
    rejected, parser.rejected = parser.rejected, []
    return _build_table([]), rejected


def _drain(parser: _HourParser, batch_size: int) -> tuple[pa.Table, list[dict]]:
    """The next batch of at most batch_size rows, with every rejection recorded so far."""
    parser.fold_counts()  # first: a row Arrow refuses below is taken off counts that include it
    rows = parser.rows[:batch_size]
    parser.rows = parser.rows[batch_size:]
    try:
        table = _build_table(rows)
    except (pa.ArrowException, OverflowError, TypeError, ValueError):
        table = _flush_row_by_row(parser, rows)
    rejected, parser.rejected = parser.rejected, []
    return table, rejected


_EVENT_TYPE, _LINE_NUMBER = COLUMNS.index("event_type"), COLUMNS.index("line_number")


def _flush_row_by_row(parser: _HourParser, rows: list[tuple]) -> pa.Table:
    """A value Arrow refused: convert rows one by one, rejecting the ones that fail. Never a crash."""
    good = []
    for row in rows:
        try:
            _build_table([row])
        except (pa.ArrowException, OverflowError, TypeError, ValueError) as exc:
            parser.stats.kept -= 1
            parser.stats.kept_by_type[row[_EVENT_TYPE]] -= 1
            parser.reject("malformed_event", f"not storable: {exc}", row[_LINE_NUMBER], None)
        else:
            good.append(row)
    return _build_table(good)
