"""`rl_seed` Parquet -> `datasets.Dataset` with a budgeted chat `prompt` and the columns the reward needs.

Paths: a shard, a directory of shards, the output directory holding `rl_seed/`, or a glob; local or any
fsspec URL (gs://, s3://, ... when the matching fsspec package is installed). The held-out split is a
hash of `instance_id`, so it is stable across runs, shard layouts and row orders.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import fsspec
import pyarrow as pa
import pyarrow.parquet as pq

from schemas.tables import RL_SEED
from training import prompts
from training.prompts import PromptBuilder, PromptConfig

log = logging.getLogger(__name__)

# columns carried next to `prompt` (the reward reads code_context and oracle_files)
KEEP_COLUMNS = ("instance_id", "repo", "base_commit", "code_context", "oracle_files", "patch", "language")


class UsageError(ValueError):
    """A bad config, data path or run directory: reported in one line by the CLI, without a traceback."""


def run_command(command: str, work: Callable[[], dict]) -> dict:
    """`work()` of the training command `command` (train, evaluate, export-prompts), its summary printed
    as JSON and returned; a UsageError or a missing file ends the command with one line, no traceback."""
    try:
        summary = work()
    except (UsageError, FileNotFoundError) as exc:
        raise SystemExit(f"swe-corpus {command}: {exc}") from None
    print(json.dumps(summary, indent=2))
    return summary


@dataclass
class DataConfig:
    """Where the seeds are and how they become prompts."""

    path: str = "out/rl_seed"
    eval_fraction: float = 0.05
    split_seed: str = "swe-corpus"
    limit: int | None = None  # first N seeds in shard order (after the language filter), for quick runs
    languages: list[str] | None = None  # keep only these `language` values
    prompt: PromptConfig = field(default_factory=PromptConfig)

    def __post_init__(self):
        if isinstance(self.prompt, dict):
            self.prompt = PromptConfig(**self.prompt)


class BeamFileSystem:
    """The few fsspec calls we use, through Beam's FileSystems: schemes fsspec cannot open here but a
    Beam IO can (e.g. gs:// with apache-beam[gcp] and no gcsfs)."""

    def isfile(self, path: str) -> bool:
        from apache_beam.io.filesystems import FileSystems

        return not any(c in path for c in "*?[") and FileSystems.exists(path) and not path.endswith("/")

    def glob(self, pattern: str) -> list[str]:
        from apache_beam.io.filesystems import FileSystems

        return [m.path for r in FileSystems.match([pattern]) for m in r.metadata_list]

    def open(self, path: str, mode: str = "rb"):
        from apache_beam.io.filesystems import FileSystems

        return FileSystems.open(path)

    def info(self, path: str) -> dict:
        from apache_beam.io.filesystems import FileSystems

        meta = FileSystems.match([path])[0].metadata_list[0]
        return {"size": meta.size_in_bytes, "mtime": meta.last_updated_in_seconds}


def filesystem(path: str):
    """(filesystem, path within it): fsspec when it knows the scheme, else Beam's FileSystems."""
    try:
        return fsspec.core.url_to_fs(path)
    except (ImportError, ValueError):
        return BeamFileSystem(), path


def shard_paths(path: str) -> tuple[fsspec.AbstractFileSystem | BeamFileSystem, list[str]]:
    """The Parquet files `path` names (file, table dir, output dir with rl_seed/, or glob)."""
    fs, root = filesystem(path)
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


NEEDED = ("instance_id", "problem_statement", "code_context", "oracle_files")
READ_COLUMNS = ("problem_statement", *KEEP_COLUMNS)


def read_rl_seed(path: str) -> pa.Table:
    """All shards as one table (small inputs, tests and inspection); training streams instead."""
    fs, files = shard_paths(path)
    tables = []
    for name in files:
        with fs.open(name, "rb") as fh:
            tables.append(pq.read_table(fh))
    table = pa.concat_tables(tables, promote_options="default") if len(tables) > 1 else tables[0]
    _check_columns(path, table.schema)
    return table.select([n for n in RL_SEED.names if n in table.column_names])


def _check_columns(path: str, schema: pa.Schema) -> None:
    missing = [n for n in NEEDED if n not in schema.names]
    if missing:
        raise UsageError(f"{path}: not an rl_seed table, missing columns {missing}")


def iter_rl_seed(path: str, batch_size: int = 64):
    """Rows (dicts of READ_COLUMNS) of every shard in order, a record batch at a time: memory stays flat."""
    fs, files = shard_paths(path)
    for name in files:
        with fs.open(name, "rb") as fh:
            pf = pq.ParquetFile(fh)
            _check_columns(name, pf.schema_arrow)
            columns = [c for c in READ_COLUMNS if c in pf.schema_arrow.names]
            for batch in pf.iter_batches(batch_size=batch_size, columns=columns):
                yield from batch.to_pylist()


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


def dataset_features():
    """The added prompt columns, then KEEP_COLUMNS typed as in RL_SEED (one source of truth)."""
    from datasets import Features, List, Value

    kept = Features.from_arrow_schema(pa.schema([RL_SEED.field(n) for n in KEEP_COLUMNS]))
    return Features(
        {
            "prompt": List({"role": Value("string"), "content": Value("large_string")}),
            "prompt_tokens": Value("int64"),
            "split": Value("string"),
            **kept,
        }
    )


class PromptRecords:
    """Generator of dataset records from rl_seed rows; fills `counts` as it goes."""

    def __init__(self, config: DataConfig, tokenizer):
        self.config, self.tokenizer = config, tokenizer
        self.counts: Counter[str] = Counter()

    def __call__(self):
        cfg, counts = self.config, self.counts
        builder = PromptBuilder(self.tokenizer, cfg.prompt)
        languages = set(cfg.languages or [])
        taken = 0
        for row in iter_rl_seed(cfg.path):
            counts["rows_in"] += 1
            if languages and row.get("language") not in languages:
                counts["skipped:language"] += 1
                continue
            if cfg.limit is not None and taken >= cfg.limit:
                counts["skipped:limit"] += 1
                continue
            taken += 1
            if not row["oracle_files"]:
                counts["skipped:no_oracle_files"] += 1
                continue
            changed, relevant = split_context(row)
            built = builder.build(row["problem_statement"] or "", changed, relevant)
            if built is None:
                continue
            split = "eval" if is_heldout(row["instance_id"], cfg.eval_fraction, cfg.split_seed) else "train"
            counts[split] += 1
            yield {"prompt": built.messages, "prompt_tokens": built.num_tokens, "split": split} | {
                k: row.get(k) for k in KEEP_COLUMNS
            }
        counts.update(builder.counts)


def _fingerprint(config: DataConfig, tokenizer) -> str:
    """Cache key of the built dataset: the shards (name, size, mtime), the data config, the prompt
    templates, the tokenizer."""
    fs, files = shard_paths(config.path)
    h = hashlib.sha256(repr(dataclasses.asdict(config)).encode())
    h.update(repr(prompts.templates()).encode())
    for name in files:
        info = fs.info(name)
        h.update(f"{name}|{info.get('size')}|{info.get('mtime') or info.get('updated')}".encode())
    vocab = tokenizer.get_vocab()
    h.update(f"{type(tokenizer).__name__}|{len(vocab)}|{tokenizer.chat_template}".encode())
    h.update(hashlib.sha256(repr(sorted(vocab.items())).encode()).digest())
    return h.hexdigest()[:32]


def build_datasets(config: DataConfig, tokenizer, cache_dir: str | Path | None = None) -> SeedDatasets:
    """Train and held-out `datasets.Dataset`s of prompts, streamed from the shards into Arrow files
    under `cache_dir` (reused while shards, config, prompt templates and tokenizer are unchanged).
    Skipped rows are counted, never lost silently."""
    from datasets import Dataset

    fingerprint = _fingerprint(config, tokenizer)
    cache = Path(cache_dir) if cache_dir else None
    counts_file = cache / f"counts-{fingerprint}.json" if cache else None
    records = PromptRecords(config, tokenizer)
    with tempfile.TemporaryDirectory(prefix="rl-seed-") as tmp:
        kwargs = {"cache_dir": str(cache)} if cache else {"cache_dir": tmp, "keep_in_memory": True}
        try:
            full = Dataset.from_generator(
                records, features=dataset_features(), fingerprint=fingerprint, **kwargs
            )
        except ValueError as exc:  # datasets refuses a generator that yields nothing
            if records.counts.get("train", 0) + records.counts.get("eval", 0) or "no data" not in str(exc):
                raise
            log.warning("no prompts built from %s: %s", config.path, exc)
            features = dataset_features()
            full = Dataset.from_dict({name: [] for name in features}, features=features)
    counts = records.counts
    if counts:
        if counts_file:
            counts_file.parent.mkdir(parents=True, exist_ok=True)
            counts_file.write_text(json.dumps(counts))
    elif counts_file and counts_file.exists():  # dataset came from the cache
        counts = Counter(json.loads(counts_file.read_text()))
    train = full.filter(lambda s: [x == "train" for x in s], input_columns="split", batched=True)
    held = full.filter(lambda s: [x == "eval" for x in s], input_columns="split", batched=True)
    log.info("rl_seed %s -> %s", config.path, dict(counts))
    return SeedDatasets(train, held, counts)


def iter_texts(config: DataConfig, limit: int = 500):
    """Issue and file text of the seeds (tokenizer training for the tiny model)."""
    from training.prompts import REPAIR_INSTRUCTIONS, THINKING_SYSTEM_PROMPT

    yield THINKING_SYSTEM_PROMPT
    yield REPAIR_INSTRUCTIONS
    for i, row in enumerate(iter_rl_seed(config.path)):
        if i >= limit:
            break
        yield row["problem_statement"] or ""
        for f in (row["code_context"] or []) + (row["oracle_files"] or []):
            yield f["content"] or ""
