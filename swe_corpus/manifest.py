"""manifest.json (config, provenance, funnel) and the dataset card README.md of a curated output.

The funnel comes from the `funnel` counters (`<stage>:in`, `<stage>:kept`, `<stage>:rejected:<reason>`,
docs/DEVELOPING.md); `funnel_errors` checks in = kept + rejected per stage, so a manifest whose numbers
do not add up is visible as such (`"funnel_ok": false` plus the errors) instead of silently wrong.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from pathlib import Path

import swe_corpus
from swe_corpus.stages import CURATE_STAGES, RL_SEED

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
