"""rl_seed loading, the TRL reward adapter, a CPU GRPO smoke run with resume, and evaluation output."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
import yaml

from schemas.tables import RL_SEED
from swe_corpus import cli
from training.data import (
    BeamFileSystem,
    DataConfig,
    UsageError,
    build_datasets,
    is_heldout,
    read_rl_seed,
    split_context,
)
from training.diffs import git_diff
from training.evaluate import completion_to_patch, score
from training.reward import swe_rl_reward
from training.sample_data import SEEDS, seed_row, write_sample_rl_seed
from training.tiny import train_tokenizer
from training.train import TrainConfig, train
from training.trl_reward import SweRlReward, as_dict, completion_text

REPO = Path(__file__).resolve().parents[1]
SMOKE = REPO / "training" / "configs" / "cpu-smoke.yaml"


@pytest.fixture(scope="module")
def shards(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("seeds")
    write_sample_rl_seed(out)
    return out


@pytest.fixture(scope="module")
def tokenizer(shards):
    from training.data import iter_texts

    return train_tokenizer(iter_texts(DataConfig(path=str(shards))), vocab_size=800)


# --------------------------------------------------------------------------- data
def test_sample_shard_has_the_rl_seed_schema_and_reads_from_any_path_form(shards):
    shard = next((shards / "rl_seed").glob("*.parquet"))
    assert pq.read_schema(shard).remove_metadata().equals(RL_SEED.remove_metadata())
    n = duckdb.sql(f"select count(*) from '{shard}'").fetchall()[0][0]
    for form in (shards, shards / "rl_seed", shard, f"{shards}/rl_seed/*.parquet", f"file://{shards}"):
        assert read_rl_seed(str(form)).num_rows == n == len(SEEDS)
    with pytest.raises(FileNotFoundError):
        read_rl_seed(str(shards / "nope"))
    # the Beam FileSystems route (schemes fsspec lacks), exercised on local paths
    fs = BeamFileSystem()
    assert fs.glob(f"{shards}/rl_seed/*.parquet") == [str(shard)] and fs.isfile(str(shard))
    with fs.open(str(shard)) as fh:
        assert pq.read_table(fh).num_rows == n and fs.info(str(shard))["size"] > 0


def test_changed_vs_relevant_and_deterministic_split(shards, tokenizer):
    row = seed_row(SEEDS[4])
    changed, relevant = split_context(row)
    assert [p for p, _ in changed] == ["configlite/core.py", "configlite/loader.py"]
    assert [p for p, _ in relevant] == ["README.md"]
    ids = [f"o__r-{i}" for i in range(2000)]
    held = [i for i in ids if is_heldout(i, 0.1)]
    assert held == [i for i in ids if is_heldout(i, 0.1)] and 150 < len(held) < 250
    cfg = DataConfig(path=str(shards), eval_fraction=0.3)
    a, b = build_datasets(cfg, tokenizer), build_datasets(cfg, tokenizer)
    assert a.train["instance_id"] == b.train["instance_id"] and a.eval["instance_id"] == b.eval["instance_id"]
    assert len(a.train) + len(a.eval) == len(SEEDS) and len(a.eval) > 0
    first = a.train[0]
    assert first["prompt"][0]["role"] == "system" and first["prompt"][1]["role"] == "user"
    assert {"code_context", "oracle_files", "instance_id", "patch"} <= set(a.train.column_names)
    tight = build_datasets(DataConfig(path=str(shards), prompt={"max_prompt_tokens": 700}), tokenizer)
    skipped = tight.counts["skipped:changed_files_over_budget"]
    assert skipped > 0 and len(tight.train) + len(tight.eval) + skipped == len(SEEDS)


def test_oracle_completions_score_one_and_their_patches_apply_with_git(tmp_path):
    for seed in SEEDS:
        row = seed_row(seed)
        ctx = as_dict(row["code_context"])
        repo = tmp_path / row["instance_id"]
        for path, content in ctx.items():
            (repo / path).parent.mkdir(parents=True, exist_ok=True)
            (repo / path).write_text(content)
        subprocess.run(["git", "init", "-q", str(repo)], check=True)
        # the shard's oracle patch (including the file deletion) applies to the base files
        subprocess.run(["git", "apply", "--check", "-"], cwd=repo, input=row["patch"], text=True, check=True)
        if not seed.edits:
            continue
        reward, meta = swe_rl_reward(ctx, as_dict(row["oracle_files"]), seed.oracle_completion())
        assert reward == 1.0, meta
        patch = completion_to_patch(ctx, seed.oracle_completion())
        assert patch.startswith("diff --git a/")
        subprocess.run(["git", "apply", "-"], cwd=repo, input=patch, text=True, check=True)
        for f in row["oracle_files"]:
            assert (repo / f["path"]).read_text() == f["content"]
    assert completion_to_patch({"a.py": "x\n"}, "no tags") == ""


def test_reward_adapter_handles_plain_and_conversational_and_logs_metrics():
    row = seed_row(SEEDS[0])
    good = SEEDS[0].oracle_completion()
    completions = [
        good,
        [{"role": "assistant", "content": good}],
        "garbage",
        [{"role": "assistant", "content": ""}],
    ]
    logged: dict[str, float] = {}
    extra: dict[str, list] = {}
    reward = SweRlReward()
    n = len(completions)
    out = reward(
        prompts=["p"] * n,
        completions=completions,
        completion_ids=[[1]] * n,
        code_context=[row["code_context"]] * n,
        oracle_files=[row["oracle_files"]] * n,
        log_metric=logged.__setitem__,
        log_extra=extra.__setitem__,
        trainer_state=None,
    )
    assert out == [1.0, 1.0, -1.0, -1.0]
    assert logged == {"swe_rl/format_error_rate": 0.5, "swe_rl/mean_similarity": 1.0}
    assert extra["swe_rl_error"][:2] == ["", ""] and extra["swe_rl_error"][2] == "count_of_<think>_is_not_1"
    assert reward.calls == n


# --------------------------------------------------------------------------- GRPO smoke run
class LengthBonus:
    """A tiny extra reward so the smoke run's advantages are non-zero and a real gradient step happens."""

    __name__ = "length_bonus"

    def __call__(self, completions, **_):
        return [len(completion_text(c)) / 1000 for c in completions]


@pytest.fixture(scope="module")
def smoke_run(shards, tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    config = TrainConfig.from_yaml(SMOKE)
    config.data.path = str(shards)
    config.grpo["output_dir"] = str(out)
    summary = train(config, extra_reward_funcs=[LengthBonus()])
    return out, summary


SMOKE_GRPO = yaml.safe_load(SMOKE.read_text())["grpo"]
STEPS, BATCH = SMOKE_GRPO["max_steps"], SMOKE_GRPO["per_device_train_batch_size"]  # completions per step


def test_cpu_grpo_smoke_run_calls_the_reward_on_real_completions_and_logs_metrics(smoke_run, shards):
    out, summary = smoke_run
    assert summary["global_step"] == STEPS
    assert summary["reward_calls"] == STEPS * BATCH
    prompts_per_step = BATCH // SMOKE_GRPO["num_generations"]
    assert summary["seeds_trained"] == min(STEPS * prompts_per_step, summary["train_prompts"])
    assert summary["recent_completions"], summary
    for rec in summary["recent_completions"]:
        assert isinstance(rec["completion"], str) and rec["completion"].strip()
        assert -1.0 <= rec["reward"] <= 1.0
    logs = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    steps = [r for r in logs if "rewards/swe_rl/mean" in r]
    assert [r["step"] for r in steps] == list(range(1, STEPS + 1))
    for r in steps:
        assert 0.0 <= r["swe_rl/format_error_rate"] <= 1.0 and "reward" in r and "entropy" in r
    assert any(r["grad_norm"] > 0 for r in steps)  # an actual update, not a zero-advantage no-op
    assert (out / f"checkpoint-{STEPS}").is_dir() and (out / "final" / "config.json").exists()
    counts = json.loads((out / "data_counts.json").read_text())
    assert counts["train"] + counts["eval"] == len(SEEDS)


def test_rerun_resumes_from_last_checkpoint_through_the_cli(smoke_run, shards, capsys):
    out, _ = smoke_run
    args = [
        "train",
        "--config",
        str(SMOKE),
        "--data",
        str(shards),
        "--output-dir",
        str(out),
        "--max-steps",
        str(STEPS + 1),
    ]
    assert cli.main(args) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["resumed_from"].endswith(f"checkpoint-{STEPS}") and summary["global_step"] == STEPS + 1


def test_evaluate_writes_swe_bench_predictions(smoke_run, shards, tmp_path):
    out, _ = smoke_run
    args = ["evaluate", "--config", str(SMOKE), "--data", str(shards), "--model", str(out / "final")]
    args += [
        "--set",
        f"grpo.output_dir={out}",
        "--out",
        str(tmp_path),
        "--max-new-tokens",
        "16",
        "--model-name",
        "tiny-grpo",
        "--split",
        "train",
    ]
    assert cli.main(args) == 0
    preds = [json.loads(line) for line in (tmp_path / "predictions.jsonl").read_text().splitlines()]
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert preds and all(set(p) == {"instance_id", "model_name_or_path", "model_patch"} for p in preds)
    assert all(p["model_name_or_path"] == "tiny-grpo" for p in preds)
    assert metrics["instances"] == len(preds) and -1.0 <= metrics["mean_reward"] <= 1.0
    # the training run's dataset cache is reused, not rebuilt under --out
    assert (out / "dataset-cache").is_dir() and not (tmp_path / "dataset-cache").exists()


def test_score_reports_mean_similarity_for_oracle_completions():
    rows = [seed_row(s) for s in SEEDS if s.edits]
    preds, records, metrics = score(rows, [s.oracle_completion() for s in SEEDS if s.edits], "oracle")
    assert metrics["mean_reward"] == 1.0 and metrics["format_error_rate"] == 0.0
    assert all(p["model_patch"].startswith("diff --git a/") for p in preds)
    completions = [s.oracle_completion() for s in SEEDS if s.edits] + ["no tags"]
    preds = score(rows + rows[:1], completions, "mixed")[0]
    ctxs = [as_dict(r["code_context"]) for r in rows + rows[:1]]
    assert [p["model_patch"] for p in preds] == list(map(completion_to_patch, ctxs, completions))
    assert preds[-1]["model_patch"] == ""


def test_python_m_training_train_help():
    res = subprocess.run(
        [sys.executable, "-m", "training.train", "--help"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "--config" in res.stdout


@pytest.mark.parametrize("name", ["cpu-smoke", "single-gpu", "multi-gpu", "vllm-server"])
def test_shipped_configs_build_valid_grpo_configs(name, tmp_path):
    from trl import GRPOConfig

    # bf16 needs a GPU to validate; everything else is checked as shipped
    overrides = [f"grpo.output_dir={tmp_path}", "grpo.bf16=false", "grpo.use_cpu=true"]
    config = TrainConfig.from_yaml(REPO / "training" / "configs" / f"{name}.yaml", overrides)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        args = GRPOConfig(**config.grpo)
    deprecated = [
        str(w.message) for w in caught if issubclass(w.category, DeprecationWarning | FutureWarning)
    ]
    assert not deprecated, deprecated
    assert args.num_generations >= 2 and args.output_dir == str(tmp_path)
    assert config.data.prompt.max_prompt_tokens > 0
    for accel in ("accelerate-zero3", "accelerate-fsdp"):
        raw = yaml.safe_load((REPO / "training" / "configs" / f"{accel}.yaml").read_text())
        assert raw["distributed_type"] in ("DEEPSPEED", "FSDP") and raw["mixed_precision"] == "bf16"


def test_overrides_set_nested_values():
    config = TrainConfig.from_yaml(
        SMOKE, ["grpo.beta=0.04", "data.prompt.max_prompt_tokens=2048", "model.tiny.hidden_size=64"]
    )
    assert config.grpo["beta"] == 0.04 and config.data.prompt.max_prompt_tokens == 2048
    assert config.model.tiny.hidden_size == 64
    with pytest.raises(ValueError):
        TrainConfig.from_yaml(SMOKE, ["grpo.beta"])


def test_dataset_cache_is_reused_with_its_counts_and_invalidated_by_config(shards, tokenizer, tmp_path):
    cfg = DataConfig(path=str(shards), eval_fraction=0.3)
    first = build_datasets(cfg, tokenizer, cache_dir=tmp_path)
    again = build_datasets(cfg, tokenizer, cache_dir=tmp_path)
    assert again.counts == first.counts and again.counts["rows_in"] == len(SEEDS)
    assert again.train["instance_id"] == first.train["instance_id"]
    limited = build_datasets(
        DataConfig(path=str(shards), eval_fraction=0.3, limit=3), tokenizer, cache_dir=tmp_path
    )
    assert len(limited.train) + len(limited.eval) == 3 and limited.counts["skipped:limit"] == len(SEEDS) - 3


def test_no_prompt_fits_gives_empty_datasets_and_a_clear_training_error(shards, tokenizer, tmp_path):
    data = build_datasets(DataConfig(path=str(shards), prompt={"max_prompt_tokens": 50}), tokenizer)
    assert len(data.train) == len(data.eval) == 0
    assert data.counts["skipped:changed_files_over_budget"] == len(SEEDS)
    config = TrainConfig.from_yaml(SMOKE, [f"grpo.output_dir={tmp_path}", "data.prompt.max_prompt_tokens=50"])
    config.data.path = str(shards)
    with pytest.raises(ValueError, match="no training prompts"):
        train(config)


def test_predicted_patch_for_new_file_and_missing_final_newline_applies_with_git(tmp_path):
    ctx = {"src/a.py": "x = 1\ny = 2", "src/b.py": "keep = True\n"}
    out = (
        "<think>t</think><solution>\n"
        "```\n### src/a.py\n<<<<<<< SEARCH\ny = 2\n=======\ny = 3\n>>>>>>> REPLACE\n```\n"
        "```\n### src/new.py\n<<<<<<< SEARCH\n\n=======\nNEW = 1\n>>>>>>> REPLACE\n```\n</solution>"
    )
    patch = completion_to_patch(ctx, out)
    assert "new file mode 100644\n--- /dev/null\n+++ b/src/new.py" in patch
    assert "\\ No newline at end of file" in patch
    for path, content in ctx.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(content)
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    subprocess.run(["git", "apply", "-"], cwd=tmp_path, input=patch, text=True, check=True)
    assert (tmp_path / "src/a.py").read_text() == "x = 1\ny = 3"
    assert (tmp_path / "src/new.py").read_text() == "NEW = 1"


def test_git_diff_splits_lines_on_newline_only_as_git_does(tmp_path):
    old = "a = 1\x0c\nb = '\u2028'\nc = 2\rd = 3\n"
    new = old.replace("c = 2", "c = 4") + "e = 5\r"
    patch = git_diff({"m.py": old}, {"m.py": new})
    (tmp_path / "m.py").write_bytes(old.encode())
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    subprocess.run(["git", "apply", "-"], cwd=tmp_path, input=patch.encode(), check=True)
    assert (tmp_path / "m.py").read_bytes() == new.encode()


def test_only_the_main_process_writes_the_run_files(shards, tmp_path, monkeypatch):
    from accelerate import PartialState

    # as on a non-zero rank under `accelerate launch`: every rank runs train()
    monkeypatch.setattr(PartialState, "is_main_process", property(lambda self: False))
    config = TrainConfig.from_yaml(SMOKE, [f"grpo.output_dir={tmp_path}", "grpo.max_steps=1"])
    config.data.path = str(shards)
    summary = train(config)
    assert summary["global_step"] == 1 and summary["reward_calls"] == BATCH
    assert not (tmp_path / "data_counts.json").exists() and not (tmp_path / "summary.json").exists()


@pytest.mark.parametrize(
    "name", ["THINKING_SYSTEM_PROMPT", "REPAIR_INTRO", "FILE_BLOCK", "TRIM_MARKER", "REPAIR_INSTRUCTIONS"]
)
def test_editing_a_prompt_template_invalidates_the_dataset_cache(shards, tokenizer, monkeypatch, name):
    from training import prompts
    from training.data import _fingerprint

    cfg = DataConfig(path=str(shards))
    before = _fingerprint(cfg, tokenizer)
    monkeypatch.setattr(prompts, name, getattr(prompts, name) + " ")
    assert _fingerprint(cfg, tokenizer) != before


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("grpo.num_generation=3", "unknown key grpo.num_generation (did you mean grpo.num_generations?)"),
        ("data.promt={}", "unknown key data.promt (did you mean data.prompt?)"),
        ("model.tiny.hiden_size=8", "did you mean model.tiny.hidden_size?"),
        ("data.prompt.max_tokens=8", "unknown key data.prompt.max_tokens"),
        ("trainer.x=1", "unknown key trainer"),
    ],
)
def test_unknown_config_keys_fail_at_load_with_a_suggestion(override, message):
    with pytest.raises(UsageError) as err:
        TrainConfig.from_yaml(SMOKE, [override])
    assert message in str(err.value) and "\n" not in str(err.value)


def test_resuming_on_other_data_is_refused_and_no_resume_starts_over(smoke_run, shards, tmp_path, capsys):
    run = tmp_path / "run"
    shutil.copytree(smoke_run[0], run)
    recorded = json.loads((run / "data_fingerprint.json").read_text())
    args = ["train", "--config", str(SMOKE), "--data", str(shards), "--output-dir", str(run)]
    other = ["--set", "data.limit=3"]  # other data: the first three seeds only
    with pytest.raises(SystemExit) as err:
        cli.main(args + other)
    assert "trained on other data" in str(err.value) and "--no-resume" in str(err.value)
    assert json.loads((run / "data_fingerprint.json").read_text()) == recorded  # nothing overwritten
    assert cli.main(args + other + ["--no-resume", "--max-steps", "1"]) == 0
    summary = json.loads((run / "summary.json").read_text())
    assert summary["resumed_from"] is None and summary["global_step"] == 1
    assert sorted(p.name for p in run.glob("checkpoint-*")) == ["checkpoint-1"]
    assert json.loads((run / "data_fingerprint.json").read_text())["fingerprint"] != recorded["fingerprint"]


def test_evaluate_without_a_trained_model_or_held_out_seeds_says_so_in_one_line(smoke_run, shards, tmp_path):
    base = ["evaluate", "--config", str(SMOKE), "--data", str(shards)]
    with pytest.raises(SystemExit) as err:
        cli.main(base + ["--set", f"grpo.output_dir={tmp_path}"])
    assert str(err.value).startswith(
        f"swe-corpus evaluate: no trained model at {tmp_path}/final: run `swe-corpus train"
    )
    with pytest.raises(SystemExit) as err:
        cli.main(base + ["--model", str(smoke_run[0] / "final"), "--set", "data.eval_fraction=0"])
    assert "no eval seeds" in str(err.value) and "--split train" in str(err.value)
    assert not (tmp_path / "eval").exists()


def test_module_level_reward_is_a_plain_function_loadable_by_its_dotted_path():
    import importlib

    module, name = "training.trl_reward.swe_rl".rsplit(".", 1)  # as `trl grpo --reward_funcs` loads it
    fn = getattr(importlib.import_module(module), name)
    rows = [seed_row(s) for s in SEEDS if s.edits][:2]
    rewards = fn(
        prompts=["p", "p"],
        completions=[[{"role": "assistant", "content": SEEDS[0].oracle_completion()}], "no tags"],
        completion_ids=[[1], [1]],
        code_context=[rows[0]["code_context"], rows[1]["code_context"]],
        oracle_files=[rows[0]["oracle_files"], rows[1]["oracle_files"]],
        instance_id=[rows[0]["instance_id"], rows[1]["instance_id"]],
    )
    assert rewards == [1.0, -1.0]


def test_trl_grpo_script_runs_a_step_on_exported_prompts_with_the_exported_reward(shards, tmp_path):
    from datasets import load_dataset

    exported, run = tmp_path / "prompts", tmp_path / "run"
    assert cli.main(["export-prompts", str(shards), str(exported), "--set", f"grpo.output_dir={run}"]) == 0
    splits = load_dataset(str(exported))
    summary = json.loads((exported / "export.json").read_text())
    assert summary["splits"] == {"train": splits["train"].num_rows, "test": splits["test"].num_rows}
    assert splits["train"].num_rows + splits["test"].num_rows == len(SEEDS) and splits["test"].num_rows > 0
    assert {"prompt", "code_context", "oracle_files", "instance_id"} <= set(splits["train"].column_names)
    with pytest.raises(SystemExit, match="not empty"):
        cli.main(["export-prompts", str(shards), str(exported)])
    trl = Path(sys.executable).with_name("trl")
    cmd = [str(trl), "grpo", "--dataset_name", str(exported), "--reward_funcs", "training.trl_reward.swe_rl"]
    cmd += ["--model_name_or_path", str(run / "tiny-model"), "--output_dir", str(tmp_path / "trl")]
    cmd += ["--max_steps", "1", "--per_device_train_batch_size", "4", "--num_generations", "4"]
    cmd += [
        "--max_completion_length",
        "16",
        "--use_cpu",
        "--bf16",
        "false",
        "--activation_checkpointing",
        "false",
    ]
    cmd += ["--report_to", "none", "--logging_steps", "1", "--save_strategy", "steps", "--save_steps", "1"]
    res = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
    state = json.loads((tmp_path / "trl" / "checkpoint-1" / "trainer_state.json").read_text())
    logged = state["log_history"][0]
    assert state["global_step"] == 1 and -1.0 <= logged["rewards/swe_rl/mean"] <= 1.0
    assert 0.0 <= logged["swe_rl/format_error_rate"] <= 1.0


def test_trainer_commands_say_what_to_install_where_only_the_data_pipeline_is():
    # `python -S`: no site-packages, so no TRL, as in a venv made by `make corpus`
    code = "import sys; from swe_corpus.cli import main; sys.exit(main(sys.argv[1:]))"
    for command in ("train", "evaluate", "export-prompts"):
        res = subprocess.run(
            [sys.executable, "-S", "-c", code, command, "--config", str(SMOKE)],
            cwd=REPO,
            capture_output=True,
            text=True,
        )
        assert res.returncode == 2 and res.stdout == ""
        assert res.stderr.strip().splitlines() == [
            f"swe-corpus {command} needs the trainer (torch, transformers, TRL), which `make corpus` does not "
            "install: run `make install` (or `pip install -e '.[train]'`)"
        ]
