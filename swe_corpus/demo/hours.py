"""GH Archive hour files: the events split into hours, a few lines damaged the way real files are."""

from __future__ import annotations

import datetime as dt
import gzip
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from swe_corpus.demo.spec import WINDOW_HOURS, WINDOW_START
from swe_corpus.events import KEPT_TYPES
from swe_corpus.gharchive import hour_name

# A scenario writes this into a comment body (datefmt's bot PR); the hour file carries the bytes ff fe.
BAD_UTF8_MARK = "@@INVALID_UTF8@@"


@dataclass
class Damage:
    source_file: str
    line_number: int
    kind: str
    expect: str
    event_ids: list[str] = field(default_factory=list)


def _line(obj: dict) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


class HourFiles:
    """Split events into hours and damage a few lines the way real GH Archive files are damaged."""

    def __init__(self, events: list[dict]):
        self.hours: dict[str, list[bytes]] = {}
        self.ids: dict[str, list[str]] = {}
        for h in range(WINDOW_HOURS):
            name = hour_name(WINDOW_START + dt.timedelta(hours=h))
            self.hours[name], self.ids[name] = [], []
        for ev in events:
            when = dt.datetime.strptime(ev["created_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
            name = hour_name(when)
            self.hours[name].append(_line(ev))
            self.ids[name].append(ev["id"])
        self.damage: list[Damage] = []

    def names(self) -> list[str]:
        return list(self.hours)

    def _find(self, hour: str, predicate: Callable[[dict], bool], start: int = 0) -> int:
        for i in range(start, len(self.hours[hour])):
            if predicate(json.loads(self.hours[hour][i])):
                return i
        raise LookupError(f"no matching event in {hour}")

    def apply_damage(self) -> None:
        names = self.names()
        # 1. an event filed twice: the last PullRequestEvent of hour 0 repeated at the top of hour 1
        i = max(k for k, raw in enumerate(self.hours[names[0]]) if b'"type":"PullRequestEvent"' in raw)
        dup = self.hours[names[0]][i]
        self.hours[names[1]].insert(0, dup)
        self.ids[names[1]].insert(0, json.loads(dup)["id"])
        self.damage.append(
            Damage(
                f"{names[1]}.json.gz",
                1,
                "duplicate_event",
                "kept by ingest; dropped by prs (same event id)",
                [json.loads(dup)["id"]],
            )
        )
        # 2. a spliced line that is not JSON (hour 1): a partial write of the next event, cut mid-string,
        #    then the complete event. Its type is a kept one, so a byte-level type check cannot skip it.
        k = self._find(names[1], lambda e: e["type"] == "IssuesEvent", 1)
        cut = self.hours[names[1]][k][:150]
        self.hours[names[1]].insert(k, cut)
        self.ids[names[1]].insert(k, "")
        self.damage.append(
            Damage(
                f"{names[1]}.json.gz",
                k + 1,
                "not_json",
                "rejected by ingest (not JSON); the complete event on the next line is kept",
                [self.ids[names[1]][k + 1]],
            )
        )
        # 3. two objects on one line (hour 2): a WatchEvent glued to the next kept event
        k = self._find(names[2], lambda e: e["type"] in KEPT_TYPES, 1)
        glued_ids = [self.ids[names[2]][k - 1], self.ids[names[2]][k]]
        self.hours[names[2]][k - 1 : k + 1] = [self.hours[names[2]][k - 1] + self.hours[names[2]][k]]
        self.ids[names[2]][k - 1 : k + 1] = [",".join(glued_ids)]
        self.damage.append(
            Damage(
                f"{names[2]}.json.gz",
                k,
                "two_objects_on_one_line",
                "split by ingest; both events read",
                glued_ids,
            )
        )
        # 4. NUL padding before an event (hour 3)
        k = self._find(names[3], lambda e: e["type"] in KEPT_TYPES)
        self.hours[names[3]][k] = b"\x00" * 64 + self.hours[names[3]][k]
        self.damage.append(
            Damage(
                f"{names[3]}.json.gz",
                k + 1,
                "nul_padding",
                "padding skipped; the event is kept",
                [self.ids[names[3]][k]],
            )
        )
        # 5. invalid UTF-8 inside a comment body (wherever the marker landed)
        mark = BAD_UTF8_MARK.encode()
        for name in names:
            for k, raw in enumerate(self.hours[name]):
                if mark in raw:
                    self.hours[name][k] = raw.replace(mark, b"\xff\xfe")
                    self.damage.append(
                        Damage(
                            f"{name}.json.gz",
                            k + 1,
                            "invalid_utf8",
                            "bytes replaced (U+FFFD), event kept",
                            [self.ids[name][k]],
                        )
                    )

    def write(self, directory: Path) -> list[str]:
        directory.mkdir(parents=True, exist_ok=True)
        files = []
        for name, lines in self.hours.items():
            buf = io.BytesIO()
            with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0) as gz:
                gz.write(b"\n".join(lines) + b"\n")
            (directory / f"{name}.json.gz").write_bytes(buf.getvalue())
            files.append(f"{name}.json.gz")
        return files
