"""Parse core (swe_corpus.events): every era on real GH Archive hours, and every damage kind."""

from __future__ import annotations

import gzip
import io
import json
import zlib
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pyarrow as pa
import pytest

from schemas.tables import EVENTS
from swe_corpus.events import KEPT_TYPES, ParseStats, iter_event_batches, normalize_event

DATA = Path(__file__).parent / "data"
REAL_HOURS = ["2015-01-01-1.json.gz", "2012-06-14-15.json.gz", "2011-02-15-0.json.gz"]


def parse(source, name="test.json.gz", batch_size=8192):
    stats = ParseStats()
    tables, rejected = [], []
    for table, rows in iter_event_batches(source, name, batch_size, stats):
        assert table.schema.equals(EVENTS)
        tables.append(table)
        rejected += rows
    return pa.concat_tables(tables), rejected, stats


def raw_distinct_events(lines: list[bytes]) -> int:
    """Independent count of distinct kept events: the raw id, else the identity fields (Timeline)."""
    keys = set()
    for raw in lines:
        e = json.loads(raw)
        if e["type"] in KEPT_TYPES:
            identity = {k: e.get(k) for k in ("type", "created_at", "actor", "url", "payload")}
            keys.add(e.get("id") or json.dumps(identity, sort_keys=True))
    return len(keys)


def raw_kept_counts(lines: list[bytes]) -> Counter:
    """Independent count: stdlib json on every complete line, kept types only."""
    counts: Counter = Counter()
    for line in lines:
        if line.strip():
            etype = json.loads(line)["type"]
            if etype in KEPT_TYPES:
                counts[etype] += 1
    return counts


def gz(lines: list[bytes]) -> io.BytesIO:
    return io.BytesIO(gzip.compress(b"".join(line + b"\n" for line in lines)))


def event(i: int, etype: str = "IssuesEvent", body: str = "hello") -> dict:
    return {
        "id": str(1000 + i),
        "type": etype,
        "actor": {"id": 1, "login": "alice"},
        "repo": {"id": 7, "name": "octo/cat", "url": "https://api.github.com/repos/octo/cat"},
        "payload": {
            "action": "opened",
            "issue": {"number": i, "title": f"t{i}", "body": body, "user": {"login": "bob", "type": "User"}},
        },
        "public": True,
        "created_at": "2016-03-01T10:00:00Z",
    }


def line(i: int, **kw) -> bytes:
    return orjson.dumps(event(i, **kw))


@pytest.fixture(scope="module")
def real(shared_data):
    out = {}
    for name in REAL_HOURS:
        path = shared_data / "gharchive" / name
        out[name] = (gzip.decompress(path.read_bytes()).splitlines(), *parse(path, name))
    return out


@pytest.mark.parametrize("name", REAL_HOURS)
def test_real_hour_keeps_exactly_the_kept_events(real, name):
    raw_lines, table, rejected, stats = real[name]
    expected = raw_kept_counts(raw_lines)
    assert Counter(table.column("event_type").to_pylist()) == expected
    assert rejected == []
    assert stats.objects == len(raw_lines) == stats.kept + stats.skipped_type
    raw_ids = sorted(
        str(e["id"]) for e in map(json.loads, raw_lines) if e["type"] in KEPT_TYPES and "id" in e
    )
    if raw_ids:  # eras with ids: exactly the raw events, by id
        assert sorted(table.column("event_id").to_pylist()) == raw_ids
    # Duplicates (the 2012 hour holds one event twice, keys reordered) share one id.
    assert len(set(table.column("event_id").to_pylist())) == raw_distinct_events(raw_lines)
    assert table.column("repo_name").null_count == 0
    assert all("/" in r for r in table.column("repo_name").to_pylist())


def test_eras_are_detected(real):
    eras = {name: set(real[name][1].column("payload_era").to_pylist()) for name in REAL_HOURS}
    assert eras == {
        "2015-01-01-1.json.gz": {"events"},
        "2012-06-14-15.json.gz": {"timeline"},
        "2011-02-15-0.json.gz": {"early2011"},
    }


def test_events_era_columns(real):
    rows = real["2015-01-01-1.json.gz"][1].to_pylist()
    by_id = {r["event_id"]: r for r in rows}
    pr = by_id["2489395770"]  # apache/spark#3842 closed, first kept line of the hour
    assert (pr["repo_name"], pr["number"], pr["is_pull_request"], pr["merged"]) == (
        "apache/spark",
        3842,
        True,
        False,
    )
    assert pr["head_repo_name"] == "srowen/spark" and len(pr["base_sha"]) == 40
    assert pr["created_at"] == datetime(2015, 1, 1, 1, 0, 2, tzinfo=UTC)
    comments = [r for r in rows if r["event_type"] == "PullRequestReviewCommentEvent"]
    assert all(r["diff_hunk"] and r["path"] and r["comment_id"] for r in comments)
    forks = [r for r in rows if r["event_type"] == "ForkEvent"]
    assert all(r["forkee_name"] and "/" in r["forkee_name"] for r in forks)


def test_timeline_times_are_utc_and_ids_stable(real, shared_data):
    raw_lines, table, _, _ = real["2012-06-14-15.json.gz"]
    first = json.loads(raw_lines[0])
    assert first["created_at"] == "2012-06-14T15:01:42-07:00"
    row = table.slice(0, 1).to_pylist()[0]
    assert row["created_at"] == datetime(2012, 6, 14, 22, 1, 42, tzinfo=UTC)
    assert row["event_id"].startswith("syn-") and row["number"] == 294
    again = parse(shared_data / "gharchive" / "2012-06-14-15.json.gz", "2012-06-14-15.json.gz")[0]
    assert again.column("event_id").equals(table.column("event_id"))
    # The same event crawled again with changed repository statistics keeps its id.
    recrawled = dict(first, repository=dict(first["repository"], watchers=99999))
    assert normalize_event(recrawled, "x", 1)["event_id"] == row["event_id"]
    comments = [r for r in table.to_pylist() if r["event_type"] == "IssueCommentEvent"]
    assert all(r["comment_id"] and r["number"] for r in comments)


def test_trimmed_2025_event(shared_data):
    obj = json.loads((shared_data / "gharchive" / "trimmed-2025-10-pull_request_event.json").read_text())
    table, rejected, _ = parse(gz([orjson.dumps(obj)]))
    row = table.to_pylist()[0]
    assert rejected == [] and row["payload_era"] == "trimmed"
    assert row["title"] is None and row["body"] is None and row["user_login"] is None
    assert row["merged"] is None and row["number"] == 8
    assert row["head_repo_name"] == "wayofthepie/test-events"
    assert row["head_sha"] == "184cb4b61e26de7cccc385d37da25cd8bd817d27"
    merged = dict(obj, created_at="2025-10-08T00:00:00Z", payload=dict(obj["payload"], action="merged"))
    row = normalize_event(merged, "x", 1)
    assert row["payload_era"] == "trimmed" and row["merged"] is True


# --------------------------------------------------------------------------- damage
def test_truncated_gzip_keeps_every_event_before_the_break(shared_data):
    data = (shared_data / "gharchive" / "2015-01-01-1.json.gz").read_bytes()
    cut = data[: len(data) * 3 // 5]
    decoded = zlib.decompressobj(wbits=31).decompress(cut)
    complete = decoded.split(b"\n")[:-1]  # the last piece is the line cut by the break
    table, rejected, stats = parse(io.BytesIO(cut), "cut.json.gz")
    assert Counter(table.column("event_type").to_pylist()) == raw_kept_counts(complete)
    assert [r["reason"] for r in rejected] == ["truncated_gzip"]
    assert rejected[0]["line_number"] == len(complete) + 1
    assert rejected[0]["source_file"] == "cut.json.gz" and rejected[0]["raw_prefix"]
    assert stats.objects == stats.kept + stats.skipped_type + 1


def test_corrupt_gzip_is_recorded():
    data = bytearray(gzip.compress(b"".join(line(i) + b"\n" for i in range(2000))))
    data[len(data) // 2 : len(data) // 2 + 64] = b"\xff" * 64
    table, rejected, _ = parse(io.BytesIO(bytes(data)))
    assert [r["reason"] for r in rejected] in (["corrupt_gzip"], ["truncated_gzip"])
    assert table.num_rows < 2000
    assert table.column("number").to_pylist() == list(range(table.num_rows))


def test_two_objects_on_one_line_are_split():
    glued = line(1) + line(2, body="code {}{ inside")
    table, rejected, stats = parse(gz([line(0), glued, line(3)]))
    assert table.column("number").to_pylist() == [0, 1, 2, 3]
    assert table.column("line_number").to_pylist() == [1, 2, 2, 3]
    assert rejected == [] and stats.objects == 4


def test_kept_event_glued_behind_a_skipped_one_is_found():
    push = orjson.dumps({"id": "9", "type": "PushEvent", "payload": {"ref": "x{/a}{/b}"}})
    table, rejected, stats = parse(gz([push + line(1), push]))
    assert table.column("number").to_pylist() == [1]
    assert rejected == [] and stats.skipped_type == 2 and stats.objects == 3


def test_glued_line_inside_a_run_of_skipped_lines_keeps_order_and_line_numbers():
    push = orjson.dumps({"id": "9", "type": "PushEvent", "payload": {"ref": "x{/a}{/b}"}})
    table, rejected, stats = parse(gz([line(0), push, push, push + line(1), push, line(2), push]))
    assert table.column("number").to_pylist() == [0, 1, 2]
    assert table.column("line_number").to_pylist() == [1, 4, 6]
    assert rejected == [] and stats.skipped_type == 5 and stats.objects == 8
    assert stats.read_by_type["PushEvent"] == 5


def test_event_spliced_onto_a_cut_event_is_read_and_the_cut_part_rejected():
    """A line cut inside an event of a kept type with the next event written straight after it (no
    `}{`): the cut part is rejected, the event after it read (kept or skipped by its own type)."""
    push = orjson.dumps({"id": "9", "type": "PushEvent", "payload": {"ref": "main"}})
    cut_issue = line(7)[:60]
    lines = [line(0), push, cut_issue + line(2), cut_issue + push, line(3)]
    table, rejected, stats = parse(gz(lines), "s.json.gz")
    assert table.column("number").to_pylist() == [0, 2, 3]
    assert table.column("line_number").to_pylist() == [1, 3, 5]
    assert [(r["reason"], r["line_number"], r["raw_prefix"]) for r in rejected] == [
        ("not_json", 3, cut_issue.decode()),
        ("not_json", 4, cut_issue.decode()),
    ]
    assert stats.skipped_type == 2 and stats.read_by_type["PushEvent"] == 2
    assert stats.objects == 7 == stats.kept + stats.skipped_type + sum(stats.rejected_by_reason.values())


def test_cut_line_full_of_braces_is_rejected_in_linear_time():
    """A cut line whose text holds `}{` everywhere (LaTeX: `\\frac{a}{b}`): one parse per candidate split
    made this quadratic (a 400 KB line took 17 s; this 2.6 MB one would take minutes)."""
    cut = line(1, body="\\frac{a}{b} " * 200_000)[:-100]
    table, rejected, stats = parse(gz([cut, line(2)]))
    assert table.column("number").to_pylist() == [2]
    assert [(r["reason"], r["line_number"]) for r in rejected] == [("not_json", 1)]
    assert stats.objects == 2


def test_glued_objects_with_invalid_utf8_keep_their_bytes():
    """Glued objects are split on a `surrogateescape` decoding: each part keeps its exact bytes, so the
    invalid byte is replaced (and counted) in the event it belongs to."""
    bad = line(1, body="caf\u00e9").replace("caf\u00e9".encode(), b"caf\xe9")
    table, rejected, stats = parse(gz([bad + line(2, body="na\u00efve")]))
    assert table.column("body").to_pylist() == ["caf\ufffd", "na\u00efve"]
    assert rejected == [] and stats.invalid_utf8 == 1 and stats.objects == 2


def test_valid_event_holding_an_object_with_a_string_id_is_not_split():
    """`{"id":"` inside a valid event (not a splice) costs a full parse, never a rejection."""
    nested = orjson.dumps({"id": "9", "type": "PushEvent", "payload": {"pusher": {"id": "x"}}})
    issue = event(1)
    issue["payload"]["issue"]["milestone"] = {"id": "m1"}
    table, rejected, stats = parse(gz([nested, orjson.dumps(issue)]))
    assert table.column("number").to_pylist() == [1]
    assert rejected == [] and stats.skipped_type == 1 and stats.objects == 2


def test_overlong_line_is_rejected(monkeypatch):
    import swe_corpus.events as events

    monkeypatch.setattr(events, "MAX_LINE_BYTES", 10_000)
    plain = b"\n".join([line(0), b'{"x":"' + b"a" * 100_000 + b'"}', line(2)])  # read in 32 KB chunks
    table, rejected, _ = parse(io.BytesIO(plain))
    assert table.column("number").to_pylist() == [0, 2]
    assert {r["reason"] for r in rejected} <= {"line_too_long", "not_json"}
    assert rejected[0]["reason"] == "line_too_long" and rejected[0]["line_number"] == 2


def test_nul_padding_is_skipped():
    padded = [line(0), b"\x00" * 4096, b"\x00" * 10 + line(1), line(2) + b"\x00\x00" + line(3)]
    table, rejected, stats = parse(gz(padded))
    assert table.column("number").to_pylist() == [0, 1, 2, 3]
    assert rejected == [] and stats.nul_bytes == 4096 + 10 + 2


def test_invalid_utf8_is_replaced_and_counted():
    bad = line(1, body="caf\u00e9").replace("caf\u00e9".encode(), b"caf\xe9")
    table, rejected, stats = parse(gz([line(0), bad]))
    assert table.column("body").to_pylist() == ["hello", "caf\ufffd"]
    assert rejected == [] and stats.invalid_utf8 == 1


def test_lone_surrogate_escape_is_replaced():
    bad = line(1).replace(b"hello", b"x\\ud800y")
    table, _, stats = parse(gz([bad]))
    assert table.column("body").to_pylist() == ["x?y"] and stats.invalid_utf8 == 1


def test_non_json_line_is_rejected():
    garbage = b'{"id":"5","type":"IssuesEvent","actor":{"log'  # a cut line
    table, rejected, stats = parse(gz([line(0), garbage, b"not json at all", line(3)]), "h.json.gz")
    assert table.column("number").to_pylist() == [0, 3]
    assert [(r["reason"], r["line_number"], r["stage"]) for r in rejected] == [
        ("not_json", 2, "ingest"),
        ("not_json", 3, "ingest"),
    ]
    assert rejected[0]["raw_prefix"] == garbage.decode() and rejected[0]["source_file"] == "h.json.gz"
    assert stats.objects == 4 == stats.kept + sum(stats.rejected_by_reason.values())


def test_deeply_nested_line_is_rejected_not_a_crash():
    """Nesting past the interpreter's stack raises RecursionError in msgspec and the stdlib parser."""
    deep_array = b"[" * 100_000 + b"]" * 100_000
    deep_object = b'{"a":' * 5_000 + b"1" + b"}" * 5_000
    kept = [line(1).replace(b'"public":true', b'"public":' + deep) for deep in (deep_array, deep_object)]
    glued = b'{"x":' + deep_array + b"}" + line(4)  # the event after the unreadable object is still read
    table, rejected, stats = parse(gz([line(0), *kept, glued, line(5)]))
    assert table.column("number").to_pylist() == [0, 4, 5]
    assert [(r["reason"], r["line_number"]) for r in rejected] == [("not_json", n) for n in (2, 3, 4)]
    assert stats.objects == 6 == stats.kept + sum(stats.rejected_by_reason.values())


def test_kept_type_without_timestamp_is_rejected():
    broken = event(1)
    del broken["created_at"]
    table, rejected, _ = parse(gz([line(0), orjson.dumps(broken)]))
    assert table.num_rows == 1 and [r["reason"] for r in rejected] == ["malformed_event"]


def test_huge_number_is_a_rejection_not_a_crash():
    big = line(1).replace(b'"number":1', b'"number":' + str(2**70).encode())
    table, rejected, stats = parse(gz([line(0), big]))
    assert table.column("number").to_pylist() == [0]
    assert [(r["reason"], r["line_number"]) for r in rejected] == [("number_out_of_range", 2)]
    assert stats.rejected_by_reason == {"number_out_of_range": 1}


def test_value_arrow_refuses_is_rejected_not_a_crash(monkeypatch):
    import swe_corpus.event_normalize as normalizer

    monkeypatch.setattr(normalizer, "_int", lambda value: value)  # let an out-of-range int reach Arrow
    big = line(1).replace(b'"id":7,', b'"id":' + str(2**70).encode() + b",")  # the repository id
    assert big != line(1)
    table, rejected, stats = parse(gz([line(0), big, line(2)]))
    assert table.column("number").to_pylist() == [0, 2]
    assert [(r["reason"], r["line_number"]) for r in rejected] == [("malformed_event", 2)]
    assert stats.kept == 2 and stats.kept_by_type["IssuesEvent"] == 2


def test_skipped_types_are_counted_not_parsed():
    push = orjson.dumps({"id": "9", "type": "PushEvent", "payload": {"commits": []}})
    table, rejected, stats = parse(gz([push, line(0)]))
    assert table.num_rows == 1 and stats.skipped_type == 1 and stats.read_by_type["PushEvent"] == 1


def test_batches_are_bounded():
    stats = ParseStats()
    sizes = [t.num_rows for t, _ in iter_event_batches(gz([line(i) for i in range(250)]), "b", 100, stats)]
    assert sizes == [100, 100, 50] and stats.kept == 250


def test_fast_path_matches_the_dict_normaliser(real, shared_data):
    """The events-era fast path (msgspec Structs -> row tuples) gives exactly normalize_event's rows."""
    raw_lines, table, _, _ = real["2015-01-01-1.json.gz"]
    expected = [
        normalize_event(orjson.loads(raw), "2015-01-01-1.json.gz", i)
        for i, raw in enumerate(raw_lines, 1)
        if json.loads(raw)["type"] in KEPT_TYPES
    ]
    assert table.to_pylist() == expected


def test_fast_path_row_blocks_follow_the_schema():
    """`fast_row` assembles rows from fixed blocks of the EVENTS columns; a schema change must move them."""
    from swe_corpus import event_fastpath as fast

    names = tuple(EVENTS.names)
    item_start, comment_start = fast._ITEM_START, fast._COMMENT_START
    assert names[:item_start] == (
        "event_id", "event_type", "action", "created_at", "repo_id", "repo_name", "actor_login",
    )  # fmt: skip
    item = names[item_start:comment_start]
    assert item[0] == "number" and item[-3:] == ("user_login", "user_type", "author_association")
    assert names[comment_start:] == (
        "comment_id", "comment_body", "review_state", "path", "diff_hunk", "commit_id", "original_commit_id",
        "forkee_name", "payload_era", "source_file", "line_number",
    )  # fmt: skip
    assert len(fast._NO_ITEM_COLUMNS) == len(item) and len(fast._NO_COMMENT_COLUMNS) == 7


def test_non_string_type_is_skipped_not_a_crash():
    odd = orjson.dumps({"id": "9", "type": {"x": 1}, "payload": {"type": "IssuesEvent"}})
    table, rejected, stats = parse(gz([odd, line(0)]))
    assert table.num_rows == 1 and rejected == [] and stats.skipped_type == 1


def _set(obj: dict, path: str, value) -> dict:
    """A deep copy of `obj` with the dotted `path` set to `value` (`...` removes the key)."""
    out = json.loads(json.dumps(obj))
    *parents, last = path.split(".")
    node = out
    for key in parents:
        if not isinstance(node.get(key), dict):
            return out  # nothing to change on this event
        node = node[key]
    if value is ...:
        node.pop(last, None)
    else:
        node[last] = value
    return out


# Shapes the fast path must either read exactly like normalize_event or hand back to it.
MUTATIONS = [
    ("id", 12345),
    ("id", ""),
    ("created_at", "2015-01-01T01:00:00+00:00"),
    ("created_at", "2015-01-01T01:00:00.5Z"),
    ("created_at", "2015-13-01T01:00:00Z"),
    ("created_at", "2026-01-01T00:00:00Z"),
    ("created_at", "2011-12-31T23:59:59Z"),
    ("created_at", ...),
    ("repo", ...),
    ("repo.name", "no-slash"),
    ("repo.id", 2**70),
    ("actor", "alice"),
    ("actor", None),
    ("actor", {}),
    ("payload.action", None),
    ("payload.number", "7"),
    ("payload.number", 2**70),
    ("payload.pull_request", None),
    ("payload.pull_request", ...),
    ("payload.pull_request.head", None),
    ("payload.pull_request.head.repo", None),
    ("payload.pull_request.head.repo.full_name", ...),
    ("payload.pull_request.base", None),
    ("payload.pull_request.user", None),
    ("payload.pull_request.user", {}),
    ("payload.pull_request.title", ...),
    ("payload.pull_request.number", None),
    ("payload.pull_request.merged", None),
    ("payload.pull_request.merged_at", "2015-01-01T03:00:00+02:00"),
    ("payload.pull_request.created_at", "garbage"),
    ("payload.pull_request.labels", None),
    ("payload.pull_request.labels", [{"name": None}, {"name": "bug"}, {}]),
    ("payload.issue", 42),
    ("payload.issue", None),
    ("payload.issue.number", None),
    ("payload.issue.pull_request", ...),
    ("payload.issue.pull_request", None),
    ("payload.issue.user", {}),
    ("payload.issue.created_at", 5),
    ("payload.comment", None),
    ("payload.comment.user", {}),
    ("payload.comment.user", None),
    ("payload.comment.user.login", ...),
    ("payload.comment.id", "9"),
    ("payload.comment._links", {"pull_request": {"href": "https://api.github.com/repos/o/n/pulls/77"}}),
    ("payload.review", None),
    ("payload.review.user", {}),
    ("payload.review.state", None),
    ("payload.comment.body", None),
    ("payload.forkee", 3),
    ("payload.forkee", None),
    ("url", "https://github.com/o/n/pull/5"),
    ("payload.actor_gravatar", "x"),
]


def test_fast_path_matches_the_dict_normaliser_on_odd_shapes(real):
    """Each mutation of real events of every kept type: the parser's row (or rejection) is exactly what
    normalize_event gives for the same object, whichever path the parser took."""
    raw_lines = real["2015-01-01-1.json.gz"][0]
    samples: dict[str, list[dict]] = {}
    for raw in raw_lines:
        obj = json.loads(raw)
        if obj["type"] in KEPT_TYPES and len(samples.setdefault(obj["type"], [])) < 3:
            samples[obj["type"]].append(obj)
    checked, mismatches = 0, []
    for objs in samples.values():
        for obj in objs:
            for path, value in MUTATIONS:
                mutated = _set(obj, path, value)
                try:
                    expected = [normalize_event(mutated, "m.json.gz", 1)]
                except (ValueError, TypeError, KeyError, AttributeError):
                    expected = []
                table, rejected, _ = parse(gz([json.dumps(mutated).encode()]), "m.json.gz")
                reasons = [r["reason"] for r in rejected]
                if table.to_pylist() != expected or reasons != ([] if expected else ["malformed_event"]):
                    mismatches.append((obj["type"], path, value))
                checked += 1
    assert mismatches == [], "\n".join(map(repr, mismatches))
    assert checked == len(samples) * 3 * len(MUTATIONS) and len(samples) == 5


def test_timeline_organisation_repositories_keep_their_name():
    """Real 2012 org-repository events given the 2013 quirk (owner "", url `https://github.com//name`):
    the name comes from organization, the event url, or the PR's base repository (tests/data/README.md)."""
    data = (DATA / "timeline-org-2013-shape.jsonl").read_bytes()
    table, rejected, _ = parse(gz(data.splitlines()))
    assert rejected == []
    assert table.column("repo_name").to_pylist() == [
        "plexinc-plugins/Services.bundle",
        "plataformatec/simple_form",
        "wlanslovenija/PiplMesh",
        "Lullabot/github-pm",
        "Lullabot/github-pm",  # no organization, no event url: payload.pull_request.base.repo.full_name
    ]
    assert set(table.column("payload_era").to_pylist()) == {"timeline"}


@pytest.mark.parametrize(
    "data", [b"", gzip.compress(b""), gzip.compress(b"\n\n")], ids=["0-byte", "empty-gzip", "blank"]
)
def test_an_hour_without_events_is_a_rejection_not_an_empty_hour(data):
    table, rejected, stats = parse(io.BytesIO(data))
    assert table.num_rows == 0
    assert [(r["reason"], r["source_file"]) for r in rejected] == [("empty_hour", "test.json.gz")]
    assert stats.objects == 1 and stats.rejected_by_reason == {"empty_hour": 1}


def test_numbers_past_int64_on_every_path_are_rejections():
    """Past 2**64 the lenient parse gives a float; a Timeline event's number comes from its url."""
    no_id = event(1)
    del no_id["id"]  # no id: the event goes through the full JSON parse, not the fast path
    past_u64 = orjson.dumps(no_id).replace(b'"number":1', b'"number":' + str(2**64 + 5).encode())
    timeline = json.loads((DATA / "timeline-org-2013-shape.jsonl").read_text().splitlines()[1])
    assert timeline["type"] == "IssueCommentEvent"  # its payload holds ids only: the number is the url's
    timeline["url"] = timeline["url"].replace("/issues/500", "/issues/" + str(2**63))
    table, rejected, _ = parse(gz([line(0), past_u64, orjson.dumps(timeline)]))
    assert table.column("number").to_pylist() == [0]
    assert [(r["reason"], r["line_number"]) for r in rejected] == [
        ("number_out_of_range", 2),
        ("number_out_of_range", 3),
    ]


def test_a_timeline_fork_of_an_organisation_repository_keeps_the_forked_name():
    fork = json.loads((DATA / "timeline-org-2013-shape.jsonl").read_text().splitlines()[0])
    fork["type"], fork["payload"] = "ForkEvent", {}
    fork["repository"].pop("organization")
    fork["url"] = "https://github.com/bob/Services.bundle"  # the new fork's page
    table, rejected, _ = parse(gz([orjson.dumps(fork)]))
    assert table.num_rows == 0  # no field names the forked repository whole: rejected, not misnamed
    assert [(r["reason"], r["detail"]) for r in rejected] == [
        ("malformed_event", "ForkEvent: no repository name")
    ]
