"""`rl_seed` Parquet -> `datasets.Dataset` with a budgeted chat `prompt` and the columns the reward needs.

Paths: a shard, a directory of shards, the output directory holding `rl_seed/`, or a glob; local or any
fsspec URL (gs://, s3://, ... when the matching fsspec package is installed). The held-out split is a
hash of `instance_id`, so it is stable across runs, shard layouts and row orders.
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from dataclasses import dataclass, field

import fsspec
import pyarrow as pa
import pyarrow.parquet as pq

from schemas.tables import RL_SEED
from training.prompts import PromptBuilder, PromptConfig

log = logging.getLogger(__name__)

# columns carried next to `prompt` (the reward reads code_context and oracle_files)
KEEP_COLUMNS = ("instance_id", "repo", "base_commit", "code_context", "oracle_files", "patch", "language")


@dataclass
class DataConfig:
    """Where the seeds are and how they become prompts."""

    path: str = "out/rl_seed"
    eval_fraction: float = 0.05
    split_seed: str = "swe-corpus"
    limit: int | None = None  # first N seeds (after sorting by instance_id), for quick runs
    languages: list[str] | None = None  # keep only these `language` values
    prompt: PromptConfig = field(default_factory=PromptConfig)

    def __post_init__(self):
        if isinstance(self.prompt, dict):
            self.prompt = PromptConfig(**self.prompt)

    @classmethod
    def from_dict(cls, d: dict) -> DataConfig:
        return cls(**d)


def shard_paths(path: str) -> tuple[fsspec.AbstractFileSystem, list[str]]:
    """The Parquet files `path` names (file, table dir, output dir with rl_seed/, or glob)."""
    fs, root = fsspec.core.url_to_fs(path)
    if fs.isfile(root):
        return fs, [root]
    candidates = (
        [root] if any(c in root for c in "*?[") else [f"{root}/*.parquet", f"{root}/rl_seed/*.parquet"]
    )
    for pattern in candidates:
        files = sorted(fs.glob(pattern))
        if files:
            return fs, files
    raise FileNotFoundError(f"no rl_seed Parquet shards at {path}")


def read_rl_seed(path: str) -> pa.Table:
    """All shards as one table, checked against (and cast to) `schemas.RL_SEED`."""
    fs, files = shard_paths(path)
    tables = [pq.read_table(f, filesystem=fs) for f in files]
    table = pa.concat_tables(tables, promote_options="default") if len(tables) > 1 else tables[0]
    missing = [
        n
        for n in ("instance_id", "problem_statement", "code_context", "oracle_files")
        if n not in table.column_names
    ]
    if missing:
        raise ValueError(f"{path}: not an rl_seed table, missing columns {missing}")
    return table.select([n for n in RL_SEED.names if n in table.column_names])


def is_heldout(instance_id: str, fraction: float, seed: str = "swe-corpus") -> bool:
    """Deterministic split: a hash of the id in [0, 1) below `fraction`."""
    digest = hashlib.sha256(f"{seed}:{instance_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < fraction


def split_context(row: dict) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(changed, relevant) files of a row: a file is changed iff its path is in oracle_files."""
    oracle_paths = {f["path"] for f in row["oracle_files"] or []}
    changed, relevant = [], []
    for f in row["code_context"] or []:
        (changed if f["path"] in oracle_paths else relevant).append((f["path"], f["content"] or ""))
    return changed, relevant


@dataclass
class SeedDatasets:
    train: object  # datasets.Dataset
    eval: object
    counts: Counter


def build_datasets(config: DataConfig, tokenizer) -> SeedDatasets:
    """Train and held-out `datasets.Dataset`s of prompts; skipped rows are counted, never lost silently."""
    from datasets import Dataset

    table = read_rl_seed(config.path)
    rows = sorted(table.to_pylist(), key=lambda r: r["instance_id"])
    counts: Counter[str] = Counter(rows_in=len(rows))
    if config.languages:
        keep = set(config.languages)
        counts["skipped:language"] = sum(r["language"] not in keep for r in rows)
        rows = [r for r in rows if r["language"] in keep]
    if config.limit is not None:
        counts["skipped:limit"] = max(len(rows) - config.limit, 0)
        rows = rows[: config.limit]
    builder = PromptBuilder(tokenizer, config.prompt)
    splits: dict[str, list[dict]] = {"train": [], "eval": []}
    for row in rows:
        if not row["oracle_files"]:
            counts["skipped:no_oracle_files"] += 1
            continue
        changed, relevant = split_context(row)
        built = builder.build(row["problem_statement"] or "", changed, relevant)
        if built is None:
            continue
        split = "eval" if is_heldout(row["instance_id"], config.eval_fraction, config.split_seed) else "train"
        splits[split].append(
            {"prompt": built.messages, "prompt_tokens": built.num_tokens} | {k: row[k] for k in KEEP_COLUMNS}
        )
    counts.update(builder.counts)
    counts["train"], counts["eval"] = len(splits["train"]), len(splits["eval"])
    log.info("rl_seed %s -> %s", config.path, dict(counts))
    return SeedDatasets(Dataset.from_list(splits["train"]), Dataset.from_list(splits["eval"]), counts)


def iter_texts(config: DataConfig, limit: int = 2000):
    """Issue and file text of the seeds (tokenizer training for the tiny model)."""
    from training.prompts import REPAIR_INSTRUCTIONS, THINKING_SYSTEM_PROMPT

    yield THINKING_SYSTEM_PROMPT
    yield REPAIR_INSTRUCTIONS
    table = read_rl_seed(config.path)
    for row in table.slice(0, limit).to_pylist():
        yield row["problem_statement"] or ""
        for f in (row["code_context"] or []) + (row["oracle_files"] or []):
            yield f["content"] or ""
