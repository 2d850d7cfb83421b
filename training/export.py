"""`swe-corpus export-prompts OUT DIR`: the RL seeds as a prompt dataset for TRL's own scripts.

Writes ``DIR/train.parquet`` and ``DIR/test.parquet`` (the held-out split of the training config) with
the conversational ``prompt`` column and the columns the reward reads (``code_context``,
``oracle_files``), plus a dataset card whose ``configs:`` header names both splits, so that

    trl grpo --dataset_name DIR --reward_funcs training.trl_reward.swe_rl --model_name_or_path M ...

trains on exactly the prompts `swe-corpus train` would build (same token budget, same tokenizer, same
split), and ``datasets.load_dataset(DIR)`` returns both splits.
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

from training.data import UsageError, build_datasets, run_command
from training.train import TrainConfig, load_tokenizer, resolve_model

log = logging.getLogger(__name__)

DEFAULT_CONFIG = Path(__file__).parent / "configs" / "cpu-smoke.yaml"
SPLITS = {"train": "train", "test": "eval"}  # file / split name -> our split
DROP = ("split",)  # internal column: the split is the file

CARD = """---
configs:
- config_name: default
  data_files:
{files}
tags:
- swe-rl
- code
---
# SWE-RL prompts exported by swe-corpus

From `{data}` with `{config}` (tokenizer of `{model}`, prompt budget {budget} tokens).

- `prompt`: system + user messages (Agentless-style repair prompt), `prompt_tokens` its length.
- `code_context`, `oracle_files`: what the SWE-RL reward reads (`training.trl_reward.swe_rl`).
- splits: {counts}; the test split is the held-out `sha256(split_seed:instance_id) < eval_fraction`.

```bash
trl grpo --dataset_name {out} --reward_funcs training.trl_reward.swe_rl --model_name_or_path MODEL ...
```
"""


def export_prompts(config: TrainConfig, out_dir: str | Path, config_name: str = "") -> dict:
    """Build the prompts as `swe-corpus train` does and write them as Parquet splits + card; -> counts."""
    out = Path(out_dir)
    if out.exists() and any(out.iterdir()):
        raise UsageError(f"{out} is not empty: choose a new directory for the exported prompts")
    output_dir = config.output_dir
    model_path = resolve_model(config, output_dir)
    tokenizer = load_tokenizer(model_path)
    data = build_datasets(config.data, tokenizer, cache_dir=output_dir / "dataset-cache")
    if len(data.train) + len(data.eval) == 0:
        raise UsageError(f"no prompts from {config.data.path}: {dict(data.counts)}")
    out.mkdir(parents=True, exist_ok=True)
    written = {}
    for name, ours in SPLITS.items():
        split = data.train if ours == "train" else data.eval
        if len(split):
            split.remove_columns(list(DROP)).to_parquet(str(out / f"{name}.parquet"))
            written[name] = len(split)
    files = "\n".join(f"  - split: {name}\n    path: {name}.parquet" for name in written)
    (out / "README.md").write_text(
        CARD.format(
            files=files,
            data=config.data.path,
            config=config_name,
            model=model_path,
            budget=config.data.prompt.max_prompt_tokens,
            counts=", ".join(f"{k} {v}" for k, v in written.items()),
            out=out,
        )
    )
    summary = {"splits": written, "model": model_path, "data_counts": dict(data.counts)}
    (out / "export.json").write_text(json.dumps(summary, indent=2))
    return summary


# --------------------------------------------------------------------------- CLI
def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("out", help="corpus output directory (holding rl_seed/) or an rl_seed path")
    parser.add_argument("dir", help="new directory for the prompt dataset")
    parser.add_argument(
        "--config",
        default=str(DEFAULT_CONFIG),
        help="training YAML: tokenizer, budget, split (default: cpu-smoke)",
    )
    parser.add_argument("--model", help="tokenizer of this model (default: the config's model)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="config override")


def run(args: argparse.Namespace, extra_args: list[str] | None = None) -> int:
    def export() -> dict:
        config = TrainConfig.from_yaml(args.config, args.set)
        config.data.path = args.out
        if args.model:
            config.model.name_or_path = args.model
        return export_prompts(config, args.dir, args.config)

    summary = run_command("export-prompts", export)
    print(
        f"prompts in {args.dir}: trl grpo --dataset_name {args.dir} "
        f"--reward_funcs training.trl_reward.swe_rl --model_name_or_path {summary['model']}"
    )
    return 0
