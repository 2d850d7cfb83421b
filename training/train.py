"""GRPO training on `rl_seed` shards with TRL: ``swe-corpus train --config training/configs/NAME.yaml``.

The YAML has three sections: ``model`` (a path or hub id, or ``tiny-random`` for the offline smoke
model), ``data`` (`training.data.DataConfig`) and ``grpo`` (passed verbatim to `trl.GRPOConfig`, so
every TRL option works: num_generations, loss_type, beta, temperature, learning_rate,
max_completion_length, use_vllm / vllm_mode / vllm_server_*, gradient_checkpointing, bf16, ...).
Checkpoints, ``metrics.jsonl`` and ``data_counts.json`` go to ``grpo.output_dir``; a rerun resumes from
the last checkpoint there. Multi-GPU: ``accelerate launch --config_file training/configs/accelerate-zero3.yaml
-m training.train --config ...`` (see docs/training.md).
"""

from __future__ import annotations

import argparse
import dataclasses
import difflib
import hashlib
import json
import logging
import os
import shutil
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from training.data import DataConfig, UsageError, build_datasets, iter_texts, run_command
from training.prompts import PromptConfig
from training.tiny import TinyModelConfig, build_tiny_model
from training.trl_reward import SweRlReward

log = logging.getLogger(__name__)

TINY = "tiny-random"


@dataclass
class ModelConfig:
    name_or_path: str = TINY
    tiny: TinyModelConfig = field(default_factory=TinyModelConfig)


DEFAULT_OUTPUT_DIR = "runs/grpo"


@dataclass
class TrainConfig:
    model: ModelConfig = field(default_factory=ModelConfig)
    data: DataConfig = field(default_factory=DataConfig)
    grpo: dict = field(default_factory=dict)
    torch_threads: int | None = None  # CPU runs: cap intra-op threads (shared machines)

    @property
    def output_dir(self) -> Path:
        """The run directory (`grpo.output_dir`, TRL's key; default runs/grpo): train, evaluate and
        export-prompts all read it from here."""
        return Path(self.grpo.get("output_dir", DEFAULT_OUTPUT_DIR))

    @classmethod
    def from_yaml(cls, path: str | Path, overrides: list[str] | None = None) -> TrainConfig:
        """Load a YAML config; `overrides` are ``section.key=value`` strings (value parsed as YAML).

        Every key is checked here, before any model is built: ``grpo`` keys against the installed
        `trl.GRPOConfig`, the other sections against their dataclasses (with a did-you-mean)."""
        if not Path(path).is_file():
            raise FileNotFoundError(f"config {path} not found (shipped ones: training/configs/*.yaml)")
        raw = yaml.safe_load(Path(path).read_text()) or {}
        if not isinstance(raw, dict):
            raise UsageError(f"{path}: a config is a mapping of sections (model, data, grpo, torch_threads)")
        for item in overrides or []:
            apply_override(raw, item)
        check_keys(path, "", raw, field_names(cls))
        model = dict(raw.get("model") or {})
        data = dict(raw.get("data") or {})
        grpo = dict(raw.get("grpo") or {})
        check_keys(path, "model.", model, field_names(ModelConfig))
        check_keys(path, "model.tiny.", model.get("tiny") or {}, field_names(TinyModelConfig))
        check_keys(path, "data.", data, field_names(DataConfig))
        check_keys(path, "data.prompt.", data.get("prompt") or {}, field_names(PromptConfig))
        check_keys(path, "grpo.", grpo, grpo_fields())
        tiny = TinyModelConfig(**model.pop("tiny", {}))
        return cls(
            model=ModelConfig(tiny=tiny, **model),
            data=DataConfig(**data),
            grpo=grpo,
            torch_threads=raw.get("torch_threads"),
        )


def field_names(cls) -> list[str]:
    return [f.name for f in dataclasses.fields(cls) if f.init]


def grpo_fields() -> list[str]:
    """The keyword arguments the installed `trl.GRPOConfig` accepts."""
    from trl import GRPOConfig

    return field_names(GRPOConfig)


def check_keys(path: str | Path, prefix: str, given: dict, allowed: list[str]) -> None:
    """Refuse unknown keys in one line, naming the closest valid key: a typo fails at load time, not
    as a TypeError after the model is built."""
    unknown = sorted(set(given) - set(allowed))
    if not unknown:
        return
    hints = []
    for key in unknown:
        close = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.6)
        hints.append(f"{prefix}{key}" + (f" (did you mean {prefix}{close[0]}?)" if close else ""))
    raise UsageError(f"{path}: unknown key{'s' if len(unknown) > 1 else ''} {', '.join(hints)}")


def apply_override(raw: dict, item: str) -> None:
    """Set ``a.b.c=value`` in a nested dict; the value is parsed as YAML (``true``, ``1e-6``, ``[1, 2]``)."""
    key, sep, value = item.partition("=")
    if not sep or not key:
        raise UsageError(f"override {item!r} is not KEY=VALUE")
    *parents, leaf = key.split(".")
    node = raw
    for part in parents:
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            raise UsageError(f"override {item!r}: {part} is not a section")
    node[leaf] = yaml.safe_load(value)


def metrics_callback(path: Path):
    """A TrainerCallback appending every log dict (with its step) to a JSONL file, on the main process."""
    from transformers import TrainerCallback

    class JsonlMetrics(TrainerCallback):
        def on_log(self, args, state, control, logs=None, **kwargs):
            if state.is_world_process_zero and logs:
                with path.open("a") as fh:
                    fh.write(json.dumps({"step": state.global_step, **logs}) + "\n")

    return JsonlMetrics()


def resolve_model(config: TrainConfig, output_dir: Path) -> str:
    """The model path: the hub id / path as given, or a freshly built tiny model under output_dir."""
    if config.model.name_or_path != TINY:
        return config.model.name_or_path
    return str(build_tiny_model(iter_texts(config.data), output_dir / "tiny-model", config.model.tiny))


def load_tokenizer(model_path: str):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(model_path)
    if tok.chat_template is None:
        raise UsageError(f"{model_path}: tokenizer has no chat_template; the prompts are conversational")
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    return tok


def last_checkpoint(output_dir: Path) -> str | None:
    from transformers.trainer_utils import get_last_checkpoint

    return get_last_checkpoint(str(output_dir)) if output_dir.is_dir() else None


FINGERPRINT_FILE = "data_fingerprint.json"


def data_fingerprint(dataset) -> str:
    """A digest of the training prompts (instance ids and prompt text, in order): what the run learns
    from, independent of where the shards lie or when they were written."""
    h = hashlib.sha256()
    for batch in dataset.select_columns(["instance_id", "prompt"]).iter(batch_size=256):
        for instance_id, prompt in zip(batch["instance_id"], batch["prompt"], strict=True):
            h.update(json.dumps([instance_id, prompt], sort_keys=True).encode())
    return h.hexdigest()[:16]


def check_run_data(output_dir: Path, record: dict, checkpoint: str | None) -> None:
    """Refuse to resume a checkpoint trained on other data (another --data, another prompt budget)."""
    path = output_dir / FINGERPRINT_FILE
    if checkpoint is None or not path.is_file():
        return
    before = json.loads(path.read_text())
    if before.get("fingerprint") != record["fingerprint"]:
        raise UsageError(
            f"{output_dir} holds a run trained on other data ({before.get('train_prompts')} prompts from "
            f"{before.get('data_path')}, fingerprint {before.get('fingerprint')}; this data: "
            f"{record['train_prompts']} prompts from {record['data_path']}, fingerprint {record['fingerprint']}): "
            "pass --output-dir for a new run, or --no-resume to start this one over"
        )


def clear_checkpoints(output_dir: Path) -> None:
    """--no-resume: remove earlier checkpoints so a later resume cannot pick up the old run's."""
    for old in sorted(output_dir.glob("checkpoint-*")):
        log.info("--no-resume: removing %s", old)
        shutil.rmtree(old)


def train(config: TrainConfig, resume: bool = True, extra_reward_funcs: list | None = None) -> dict:
    """Run GRPO; returns a summary (steps, data counts, seeds trained on, reward calls, format errors).

    `extra_reward_funcs` are added after the SWE-RL reward (TRL sums them, weighted by
    ``grpo.reward_weights``). Under ``accelerate launch`` every rank runs this: reward calls and format
    errors are summed over ranks, and only the main process writes data_counts.json and summary.json."""
    import torch
    from accelerate import PartialState
    from accelerate.utils import gather_object
    from trl import GRPOConfig, GRPOTrainer

    if config.torch_threads:
        torch.set_num_threads(config.torch_threads)
    config.grpo.setdefault("output_dir", DEFAULT_OUTPUT_DIR)  # GRPOConfig needs it spelled out
    output_dir = config.output_dir
    output_dir.mkdir(parents=True, exist_ok=True)
    model_path = resolve_model(config, output_dir)
    tokenizer = load_tokenizer(model_path)
    args = GRPOConfig(**config.grpo)  # sets up the distributed state
    is_main = PartialState().is_main_process
    data = build_datasets(config.data, tokenizer, cache_dir=output_dir / "dataset-cache")
    if len(data.train) == 0:
        raise UsageError(
            f"no training prompts from {config.data.path}: {dict(data.counts)}"
            f" (raise data.prompt.max_prompt_tokens, now {config.data.prompt.max_prompt_tokens})"
        )
    record = {
        "fingerprint": data_fingerprint(data.train),
        "data_path": str(config.data.path),
        "train_prompts": len(data.train),
    }
    checkpoint = last_checkpoint(output_dir) if resume else None
    check_run_data(output_dir, record, checkpoint)
    if is_main:
        if not resume:
            clear_checkpoints(output_dir)
        (output_dir / FINGERPRINT_FILE).write_text(json.dumps(record, indent=2))
        (output_dir / "data_counts.json").write_text(json.dumps(dict(data.counts), indent=2))
    reward = SweRlReward()
    trainer = GRPOTrainer(
        model=model_path,
        reward_funcs=[reward, *(extra_reward_funcs or [])],
        args=args,
        train_dataset=data.train,
        eval_dataset=data.eval if len(data.eval) and args.eval_strategy != "no" else None,
        processing_class=tokenizer,
        callbacks=[metrics_callback(output_dir / "metrics.jsonl")],
    )
    if checkpoint:
        log.info("resuming from %s", checkpoint)
    result = trainer.train(resume_from_checkpoint=checkpoint)
    trainer.save_model(str(output_dir / "final"))
    # a collective: every rank calls it
    per_rank = gather_object([(reward.calls, dict(reward.errors), sorted(reward.instances))])
    summary = {
        "global_step": trainer.state.global_step,
        "resumed_from": checkpoint,
        "model": model_path,
        "train_prompts": len(data.train),
        "eval_prompts": len(data.eval),
        "data_fingerprint": record["fingerprint"],
        "data_counts": dict(data.counts),
        # distinct seeds whose completions were scored in this invocation (all ranks)
        "seeds_trained": len({i for *_, ids in per_rank for i in ids}),
        "reward_calls": sum(calls for calls, *_ in per_rank),
        "format_errors": dict(sum((Counter(errors) for _, errors, _ in per_rank), Counter())),
        # this process's last few (the main process's in summary.json)
        "recent_completions": [{"completion": c, "reward": r} for c, r in reward.recent],
        "train_runtime_s": result.metrics.get("train_runtime"),
        "final_model": str(output_dir / "final"),
    }
    if is_main:
        (output_dir / "summary.json").write_text(json.dumps(summary, indent=2))
    return summary


# --------------------------------------------------------------------------- CLI
def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", required=True, help="YAML config (training/configs/*.yaml)")
    parser.add_argument("--data", help="override data.path (rl_seed shards: file, dir, glob, fsspec URL)")
    parser.add_argument("--output-dir", help="override grpo.output_dir")
    parser.add_argument("--model", help="override model.name_or_path (hub id, path or tiny-random)")
    parser.add_argument("--max-steps", type=int, help="override grpo.max_steps")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override any config value, e.g. --set grpo.use_vllm=false --set data.prompt.max_prompt_tokens=4096",
    )
    parser.add_argument("--no-resume", action="store_true", help="start fresh even if checkpoints exist")


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    config = TrainConfig.from_yaml(args.config, args.set)
    if args.data:
        config.data.path = args.data
    if args.output_dir:
        config.grpo["output_dir"] = args.output_dir
    if args.model:
        config.model.name_or_path = args.model
    if args.max_steps is not None:
        config.grpo["max_steps"] = args.max_steps
    return config


def run(args: argparse.Namespace, extra_args: list[str] | None = None) -> int:
    run_command("train", lambda: train(config_from_args(args), resume=not args.no_resume))
    return 0


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "INFO"))
    parser = argparse.ArgumentParser(prog="python -m training.train", description=__doc__.splitlines()[0])
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
