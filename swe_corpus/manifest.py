"""manifest.json (config, provenance, funnel) and the dataset card README.md of a curated output.

The funnel comes from the `funnel` counters (`<stage>:in`, `<stage>:kept`, `<stage>:rejected:<reason>`,
DEVELOPING.md); `funnel_errors` checks in = kept + rejected per stage, so a manifest whose numbers
do not add up is visible as such (`"funnel_ok": false` plus the errors) instead of silently wrong.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import swe_corpus
from swe_corpus.stages import CURATE_STAGES, PIPELINE_STAGES, RL_SEED

# Funnel counters besides in/kept/rejected:* that count a stage's input records it neither keeps nor
# rejects as rows (ingest skips event types it does not keep without writing a row per event).
NOT_KEPT_EXTRAS = frozenset({"skipped_type"})


def funnel_from_counters(counts: dict[str, int], stages: tuple[str, ...] | None = None) -> dict[str, dict]:
    """{'stage:in': n, ...} -> {stage: {'in': n, 'kept': k, 'rejected': {reason: r}}}, stages in order."""
    funnel: dict[str, dict] = {}
    for name, value in counts.items():
        stage, _, rest = name.partition(":")
        if not rest:
            continue
        entry = funnel.setdefault(stage, {"in": 0, "kept": 0, "rejected": {}})
        if rest in ("in", "kept"):
            entry[rest] += value
        elif rest.startswith("rejected:"):
            reason = rest.removeprefix("rejected:")
            entry["rejected"][reason] = entry["rejected"].get(reason, 0) + value
        elif rest in NOT_KEPT_EXTRAS:  # records in, neither kept nor rejected rows: part of the invariant
            entry["rejected"][rest] = entry["rejected"].get(rest, 0) + value
        else:  # informational, outside the invariant (e.g. prs:events_without_number counts events)
            entry.setdefault("notes", {})[rest] = value
    order = list(stages or ()) + sorted(s for s in funnel if s not in (stages or ()))
    return {
        s: {
            **funnel.get(s, {"in": 0, "kept": 0, "rejected": {}}),
            "rejected": dict(sorted(funnel.get(s, {}).get("rejected", {}).items())),
        }
        for s in order
    }


def funnel_errors(funnel: dict[str, dict], chained: tuple[str, ...] = ()) -> list[str]:
    """Broken invariants: in != kept + sum(rejected) per stage, and kept of one chained stage != in of the
    next (records must not vanish between stages)."""
    errors = []
    for stage, e in funnel.items():
        total = e["kept"] + sum(e["rejected"].values())
        if e["in"] != total:
            errors.append(f"{stage}: in={e['in']} != kept={e['kept']} + rejected={total - e['kept']}")
    for a, b in zip(chained, chained[1:], strict=False):
        if a in funnel and b in funnel and funnel[a]["kept"] != funnel[b]["in"]:
            errors.append(f"{a}.kept={funnel[a]['kept']} != {b}.in={funnel[b]['in']}")
    return errors


# ------------------------------------------------------------------ the funnel, printed
@dataclass
class FunnelRow:
    stage: str
    in_: int | None
    kept: int | None
    rejected: dict[str, int] = field(default_factory=dict)
    notes: dict[str, int] = field(default_factory=dict)  # counts outside the invariant

    @property
    def balanced(self) -> bool | None:
        if self.in_ is None or self.kept is None:
            return None
        return self.in_ == self.kept + sum(self.rejected.values())


def stage_order(stage: str) -> tuple[int, str]:
    return (PIPELINE_STAGES.index(stage) if stage in PIPELINE_STAGES else len(PIPELINE_STAGES), stage)


def funnel_from_manifest(funnel: Any) -> list[FunnelRow]:
    """Normalise the manifest's funnel: {stage: {in, kept, rejected: {reason: n}}}, a list of such
    records with a `stage` key, or flat counters {"stage:in": n, "stage:rejected:reason": n}."""
    rows: dict[str, FunnelRow] = {}
    if isinstance(funnel, list):
        funnel = {r["stage"]: r for r in funnel}
    for key, value in (funnel or {}).items():
        if isinstance(value, dict):
            row = rows.setdefault(key, FunnelRow(key, None, None))
            row.in_ = value.get("in", row.in_)
            row.kept = value.get("kept", row.kept)
            rej = value.get("rejected") or {}
            row.rejected.update(rej if isinstance(rej, dict) else {"rejected": int(rej)})
            notes = value.get("notes")
            row.notes.update(notes if isinstance(notes, dict) else {})
            for extra, n in value.items():  # e.g. ingest's skipped_type, part of the invariant
                if extra not in ("in", "kept", "rejected", "stage") and isinstance(n, int):
                    row.rejected[extra] = n
        elif isinstance(value, int) and ":" in key:
            stage, _, rest = key.partition(":")
            row = rows.setdefault(stage, FunnelRow(stage, None, None))
            if rest == "in":
                row.in_ = value
            elif rest == "kept":
                row.kept = value
            else:
                row.rejected[rest.removeprefix("rejected:")] = value
    return sorted(rows.values(), key=lambda r: stage_order(r.stage))


def _num(v: int | None) -> str:
    return "-" if v is None else f"{v:,}"


def render_funnel(funnel: Any) -> str:
    """The funnel as aligned text, one line per stage that saw records: in, kept, not kept, whether
    in = kept + not kept, and the reasons by count. The one rendering of `corpus`, every stage command
    and `stats`; `funnel` is a manifest's funnel (any shape `funnel_from_manifest` reads) or its rows."""
    rows = funnel if isinstance(funnel, list) and all(isinstance(r, FunnelRow) for r in funnel) else None
    rows = funnel_from_manifest(funnel) if rows is None else rows
    head = ("stage", "in", "kept", "not kept", "adds up", "not kept, by reason")
    cells = []
    for r in rows:
        if not r.in_ and not r.kept and not r.rejected:
            continue  # a stage this run did not reach (e.g. hydrate without --hydrate)
        reasons = ", ".join(
            f"{k}={v:,}" for k, v in sorted(r.rejected.items(), key=lambda kv: (-kv[1], kv[0]))
        )
        if r.notes:
            reasons += "; " * bool(reasons) + ", ".join(
                f"{k}={v:,} (note)" for k, v in sorted(r.notes.items())
            )
        ok = {True: "yes", False: "NO", None: "-"}[r.balanced]
        cells.append((r.stage, _num(r.in_), _num(r.kept), _num(sum(r.rejected.values())), ok, reasons or "-"))
    widths = [max(len(c[i]) for c in [head, *cells]) for i in range(len(head) - 1)]

    def line(c: tuple) -> str:
        left = c[0].ljust(widths[0])
        nums = "".join(f"  {v.rjust(w)}" for v, w in zip(c[1:4], widths[1:4], strict=True))
        return f"{left}{nums}  {c[4].ljust(widths[4])}  {c[5]}".rstrip()

    return "\n".join(line(c) for c in [head, *cells]) if cells else "(no records counted)"


# ------------------------------------------------------------------ manifest.json
def git_sha() -> str | None:
    """Commit of the toolkit's source checkout (None for an installed wheel)."""
    root = Path(swe_corpus.__file__).resolve().parents[1]
    try:
        out = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
        return out.stdout.strip() + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return None


def build_manifest(
    config: dict,
    inputs: dict,
    counts: dict[str, int],
    stages: tuple[str, ...] = CURATE_STAGES,
    chained: tuple[str, ...] = (),
) -> dict:
    funnel = funnel_from_counters(counts, stages)
    errors = funnel_errors(funnel, chained)
    return {
        "toolkit": "swe-corpus",
        "toolkit_version": swe_corpus.__version__,
        "git_sha": git_sha(),
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "config": config,
        "inputs": inputs,
        "funnel": funnel,
        "funnel_ok": not errors,
        "funnel_errors": errors,
    }


DATASET_CARD = """---
configs:
- config_name: rl_seed
  data_files:
  - split: train
    path: rl_seed/*.parquet
  default: true
- config_name: pull_requests
  data_files:
  - split: train
    path: pull_requests/*.parquet
- config_name: rejected
  data_files:
  - split: train
    path: rejected/*.parquet
license: other
tags:
- code
- swe-rl
- software-engineering
---
# swe-corpus curated PRs

Made by swe-corpus {version} (git {sha}) with `--decontaminate {mode}`.

- `rl_seed/`: {seeds} RL seeds (SWE-bench column names plus `code_context` and `oracle_files`);
  `datasets.load_dataset("parquet", data_dir="rl_seed")` or `load_dataset(".")` (default config).
- `pull_requests/`: {kept} PRs that passed every filter, with verdict columns.
- `rejected/`: every dropped PR with stage and reason.
- `manifest.json`: configuration, inputs, time per stage and the funnel below.

The trainer holds out the seeds whose `sha256("swe-corpus:" + instance_id)` falls below its
`eval_fraction` (stable across runs and shard layouts); `swe-corpus export-prompts OUT DIR` writes the
prompts with that `train` / `test` split declared in its own dataset card.

## Funnel

| stage | in | kept | rejected |
|---|---:|---:|---|
{rows}

Licensing: the rows quote public GitHub content under each repository's own license.
"""


def decontamination_mode(config: dict) -> str:
    """The --decontaminate mode of a manifest's config: `curate` writes the CurateConfig
    (decontamination.mode), `corpus` the corpus.toml sections (curate.decontaminate)."""
    mode = (config.get("decontamination") or {}).get("mode") or (config.get("curate") or {}).get(
        "decontaminate"
    )
    return mode or "?"


def dataset_card(manifest: dict) -> str:
    """README.md whose YAML `configs:` header lets `datasets.load_dataset(OUT)` find the shards."""
    funnel = manifest["funnel"]
    rows = "\n".join(
        f"| {s} | {e['in']} | {e['kept']} | {', '.join(f'{r}: {n}' for r, n in e['rejected'].items()) or '-'} |"
        for s, e in funnel.items()
    )
    return DATASET_CARD.format(
        version=manifest["toolkit_version"],
        sha=manifest.get("git_sha") or "unknown",
        mode=decontamination_mode(manifest["config"]),
        seeds=funnel.get(RL_SEED, {}).get("kept", 0),
        kept=funnel.get(RL_SEED, {}).get("in", 0),
        rows=rows,
    )


def to_json(manifest: dict) -> str:
    return json.dumps(manifest, indent=2, sort_keys=False, default=str) + "\n"
