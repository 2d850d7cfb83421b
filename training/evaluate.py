"""Sample completions for held-out seeds and write SWE-bench predictions: ``swe-corpus evaluate``.

Outputs in ``--out``: ``predictions.jsonl`` (instance_id, model_name_or_path, model_patch: a
``diff --git`` patch against the base files, '' for a malformed completion) for SWE-bench's harness,
``completions.jsonl`` (completion, reward, error per seed) and ``metrics.json`` (mean SWE-RL reward,
mean similarity of well-formed completions, format-error rate). Generation uses transformers, or vLLM
with ``--backend vllm`` where it is installed.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from training.data import UsageError, build_datasets, run_command
from training.diffs import git_diff
from training.reward import FormatError, predicted_contents, swe_rl_reward
from training.train import TrainConfig, load_tokenizer
from training.trl_reward import as_dict

log = logging.getLogger(__name__)


def completion_to_patch(code_context: dict[str, str], completion: str) -> str:
    """The completion's SEARCH/REPLACE edits as a git patch against the base files ('' if malformed)."""
    try:
        _, _, new_contents = predicted_contents(code_context, completion)
    except FormatError:
        return ""
    return git_diff(code_context, new_contents)


def generate_transformers(model_path: str, tokenizer, prompts: list, args: argparse.Namespace) -> list[str]:
    import torch
    from transformers import AutoModelForCausalLM

    device = "cuda" if torch.cuda.is_available() else "cpu"
    model = AutoModelForCausalLM.from_pretrained(model_path, dtype=args.dtype).to(device).eval()
    torch.manual_seed(args.seed)
    outputs = []
    for start in range(0, len(prompts), args.batch_size):
        texts = [
            tokenizer.apply_chat_template(p, tokenize=False, add_generation_prompt=True)
            for p in prompts[start : start + args.batch_size]
        ]
        enc = tokenizer(
            texts, return_tensors="pt", padding=True, padding_side="left", add_special_tokens=False
        )
        enc = enc.to(device)
        with torch.inference_mode():
            out = model.generate(
                **enc,
                max_new_tokens=args.max_new_tokens,
                do_sample=args.temperature > 0,
                temperature=args.temperature if args.temperature > 0 else None,
                top_p=args.top_p,
                pad_token_id=tokenizer.pad_token_id,
            )
        new_tokens = out[:, enc["input_ids"].shape[1] :]
        outputs += tokenizer.batch_decode(new_tokens, skip_special_tokens=True)
    return outputs


def generate_vllm(model_path: str, prompts: list, args: argparse.Namespace) -> list[str]:
    from vllm import LLM, SamplingParams

    llm = LLM(model=model_path, dtype=args.dtype, seed=args.seed)
    params = SamplingParams(temperature=args.temperature, top_p=args.top_p, max_tokens=args.max_new_tokens)
    return [o.outputs[0].text for o in llm.chat(prompts, params)]


def score(rows: list[dict], completions: list[str], model_name: str) -> tuple[list[dict], list[dict], dict]:
    """Predictions, per-seed records and summary metrics."""
    predictions, records, rewards, sims = [], [], [], []
    for row, completion in zip(rows, completions, strict=True):
        ctx = as_dict(row["code_context"])
        reward, meta = swe_rl_reward(ctx, as_dict(row["oracle_files"]), completion)
        rewards.append(reward)
        if "error" not in meta:
            sims.append(reward)
        # the reward parsed the completion already: same patch as completion_to_patch, one parse
        patch = git_diff(ctx, meta["new_contents"]) if "error" not in meta else ""
        predictions.append(
            {"instance_id": row["instance_id"], "model_name_or_path": model_name, "model_patch": patch}
        )
        records.append(
            {
                "instance_id": row["instance_id"],
                "completion": completion,
                "reward": reward,
                "error": meta.get("error"),
            }
        )
    n = len(rewards)
    metrics = {
        "model_name_or_path": model_name,
        "instances": n,
        "mean_reward": sum(rewards) / n if n else None,
        "mean_similarity": sum(sims) / len(sims) if sims else None,
        "format_error_rate": (n - len(sims)) / n if n else None,
        "exact_matches": sum(r == 1.0 for r in rewards),
    }
    return predictions, records, metrics


def write_jsonl(path: Path, rows: list[dict]) -> None:
    with path.open("w") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def evaluate(args: argparse.Namespace) -> dict:
    config = TrainConfig.from_yaml(args.config, args.set)
    if args.data:
        config.data.path = args.data
    output_dir = config.output_dir
    model_path = args.model or str(output_dir / "final")
    if not args.model and not (output_dir / "final" / "config.json").is_file():
        raise UsageError(
            f"no trained model at {output_dir}/final: run `swe-corpus train --config {args.config}"
            f"{' --data ' + args.data if args.data else ''}` first, or pass --model (a path or hub id)"
        )
    out = Path(args.out or output_dir / "eval")
    tokenizer = load_tokenizer(model_path)
    # the training run's cache: its key (shards, data config, tokenizer) rebuilds only on a mismatch
    data = build_datasets(config.data, tokenizer, cache_dir=output_dir / "dataset-cache")
    dataset = {"eval": data.eval, "train": data.train}[args.split]
    if len(dataset) == 0:
        raise UsageError(
            f"no {args.split} seeds in {config.data.path} (data.eval_fraction={config.data.eval_fraction}, "
            f"counts {dict(data.counts)}): pass --split {'train' if args.split == 'eval' else 'eval'} "
            "or change the config"
        )
    if args.max_new_tokens is None:
        args.max_new_tokens = int(config.grpo.get("max_completion_length", 4096))
    if args.limit is not None:
        dataset = dataset.select(range(min(args.limit, len(dataset))))
    out.mkdir(parents=True, exist_ok=True)
    rows = dataset.to_list()
    prompts = [r["prompt"] for r in rows]
    if args.backend == "vllm":
        completions = generate_vllm(model_path, prompts, args)
    else:
        completions = generate_transformers(model_path, tokenizer, prompts, args)
    predictions, records, metrics = score(rows, completions, args.model_name or model_path)
    write_jsonl(out / "predictions.jsonl", predictions)
    write_jsonl(out / "completions.jsonl", records)
    metrics["split"], metrics["data_counts"] = args.split, dict(data.counts)
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2))
    log.info("wrote %d predictions to %s (mean reward %s)", len(predictions), out, metrics["mean_reward"])
    metrics["out"] = str(out)
    return metrics


# --------------------------------------------------------------------------- CLI
def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", required=True, help="the training YAML (data and prompt settings)")
    parser.add_argument("--model", help="model path or hub id (default: grpo.output_dir/final)")
    parser.add_argument("--data", help="override data.path")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="config override")
    parser.add_argument("--out", help="output directory (default: grpo.output_dir/eval)")
    parser.add_argument(
        "--split", choices=("eval", "train"), default="eval", help="held-out split by default"
    )
    parser.add_argument("--limit", type=int, help="first N seeds of the split")
    parser.add_argument("--model-name", help="model_name_or_path written into predictions")
    parser.add_argument("--backend", choices=("transformers", "vllm"), default="transformers")
    parser.add_argument(
        "--max-new-tokens",
        type=int,
        help="default: the config's grpo.max_completion_length (what it trained for)",
    )
    parser.add_argument("--temperature", type=float, default=0.0, help="0 = greedy")
    parser.add_argument("--top-p", type=float, default=1.0)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--dtype", default="auto", help="auto, bfloat16, float32, ...")
    parser.add_argument("--seed", type=int, default=0)


def run(args: argparse.Namespace, extra_args: list[str] | None = None) -> int:
    metrics = run_command("evaluate", lambda: evaluate(args))  # no trained model, no seeds, bad config
    print(
        f"{metrics['instances']} predictions in {metrics['out']}/predictions.jsonl: mean reward "
        f"{metrics['mean_reward']:.3f}, format errors {metrics['format_error_rate']:.0%}"
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO)
    parser = argparse.ArgumentParser(prog="python -m training.evaluate", description=__doc__.splitlines()[0])
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
