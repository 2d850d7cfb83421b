"""Resumable units of work, datatrove-style: a unit (one hour's ingest, one repository's extraction)
streams its outputs to `OUT/.work/<kind>/<key>/outputs.pkl` while it runs and writes `done.json` (its
counters) last. A rerun that meets a unit with its marker replays the stored outputs and counters
instead of doing the work again, so its tables and funnel equal a clean run's; a unit killed mid-way
has no marker and is done again. Keys are digests of everything the unit's output depends on (its
input, the settings that shape it, the code that makes it), so a changed input or setting is a new unit.

The outputs are zstd-compressed pickles (Beam's own encoding of the same elements): `OUT/.work` is as
trusted as the rest of OUT, which only this toolkit writes.
"""

from __future__ import annotations

import functools
import hashlib
import json
import pickle
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import pyarrow as pa
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics import Metrics
from apache_beam.pvalue import TaggedOutput

import swe_corpus
from pipelines.common import atomic_create, inc, recording, write_text

UNITS = "units"  # metrics namespace: `<kind>:reused` and `<kind>:done` per unit kind
OUTPUTS, MARKER = "outputs.pkl", "done.json"


@functools.cache
def code_version() -> str:
    """A digest of the toolkit's source (library, pipelines, schemas): a unit made by other code, even
    at the same version number, is not reused."""
    root = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256(swe_corpus.__version__.encode())
    for package in ("swe_corpus", "pipelines", "schemas"):
        for path in sorted((root / package).rglob("*.py")):
            digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def unit_key(name: str, *parts) -> str:
    """`name` (made safe for a path) + a digest of `parts` and the code that makes the unit."""
    blob = json.dumps([code_version(), name, *parts], sort_keys=True, default=str)
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)[:80].lstrip(".")
    return f"{safe}-{hashlib.sha256(blob.encode()).hexdigest()[:20]}"


def rejected_reasons(counts: Counter, funnel: str, stage: str) -> list[str]:
    """The reasons of the `<stage>:rejected:<reason>` funnel counters a unit recorded."""
    prefix = f"{stage}:rejected:"
    return [name.removeprefix(prefix) for ns, name in counts if ns == funnel and name.startswith(prefix)]


class UnitStore:
    """The units of one kind under `root` (OUT/.work): finished ones replayed, new ones recorded."""

    def __init__(self, root: str, kind: str):
        self.root, self.kind = root.rstrip("/"), kind

    def _path(self, key: str, name: str) -> str:
        return f"{self.root}/{self.kind}/{key}/{name}"

    def finished(self, key: str) -> dict | None:
        """The marker of a finished unit, None when the unit never finished or its outputs are not the
        ones the marker counted (cut short by a crash of the machine, another attempt's)."""
        path = self._path(key, MARKER)
        if not FileSystems.exists(path):
            return None
        with FileSystems.open(path) as fh:
            marker = json.loads(fh.read())
        outputs = FileSystems.match([self._path(key, OUTPUTS)])[0].metadata_list
        return marker if outputs and outputs[0].size_in_bytes == marker.get("bytes") else None

    def run(
        self, key: str, work: Callable[[], Iterable], complete: Callable[[Counter], bool] = lambda _: True
    ) -> Iterator:
        """The outputs of unit `key`: replayed when finished, else `work()`'s, recorded as they go.

        Counters the work increments are recorded only while its own code runs, not while the fused
        steps after it process an output. `complete(counters)` says whether the unit is final (a
        transient failure, e.g. a download that failed, is done again next run)."""
        marker = self.finished(key)
        if marker is not None:
            Metrics.counter(UNITS, f"{self.kind}:reused").inc()
            yield from self._replay(key, marker)
            return
        counts: Counter = Counter()
        # failed, or closed before its end (GeneratorExit): no outputs file, no marker
        with atomic_create(self._path(key, OUTPUTS)) as raw, pa.CompressedOutputStream(raw, "zstd") as fh:
            for item in recording(work(), counts):
                tag, value = (item.tag, item.value) if isinstance(item, TaggedOutput) else (None, item)
                pickle.dump((tag, value), fh, protocol=pickle.HIGHEST_PROTOCOL)
                yield item
        if complete(counts):
            size = FileSystems.match([self._path(key, OUTPUTS)])[0].metadata_list[0].size_in_bytes
            marker = {"bytes": size, "counters": [[ns, name, n] for (ns, name), n in sorted(counts.items())]}
            write_text(self._path(key, MARKER), json.dumps(marker))  # whole or absent, even when killed
            Metrics.counter(UNITS, f"{self.kind}:done").inc()

    def _replay(self, key: str, marker: dict) -> Iterator:
        for namespace, name, n in marker["counters"]:
            inc(namespace, name, n)
        with FileSystems.open(self._path(key, OUTPUTS)) as raw, pa.CompressedInputStream(raw, "zstd") as fh:
            while True:
                try:
                    tag, value = pickle.load(fh)
                except EOFError:
                    return
                yield value if tag is None else TaggedOutput(tag, value)

    def count_finished(self) -> int:
        """How many units of this kind have their marker (for the launcher's log)."""
        pattern = f"{self.root}/{self.kind}/*/{MARKER}"
        return len(FileSystems.match([pattern])[0].metadata_list)
