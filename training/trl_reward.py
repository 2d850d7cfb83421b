"""The SWE-RL reward as a TRL reward function.

TRL 1.16 calls a reward function with ``prompts``, ``completions``, ``completion_ids``, every dataset
column (repeated per completion), and ``log_metric`` / ``log_extra`` callbacks. This adapter reads
``code_context`` and ``oracle_files``, scores each completion with `swe_rl_reward`, and reports the
format-error rate and the mean similarity of well-formed completions as their own metrics (averaged
per logging step next to TRL's ``reward``), plus the error per completion in the completions table.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable

from training.reward import swe_rl_reward

PathContents = list[dict[str, str]]


def completion_text(completion) -> str:
    """Plain text of a completion: a string, or the assistant messages of a conversational one."""
    if isinstance(completion, str):
        return completion
    parts = []
    for message in completion:
        content = message.get("content", "")
        if isinstance(content, list):  # multimodal-style content blocks
            content = "".join(block.get("text", "") for block in content if isinstance(block, dict))
        parts.append(content or "")
    return "".join(parts)


def as_dict(files: PathContents | None) -> dict[str, str]:
    return {f["path"]: f["content"] or "" for f in files or []}


class SweRlReward:
    """Callable with TRL's reward signature. ``__name__`` names its ``rewards/<name>/mean`` metric and
    prefixes its own metrics."""

    __name__ = "swe_rl"

    def __init__(self):
        self.calls = 0  # completions scored, for tests and logs
        self.errors: Counter[str] = Counter()
        self.recent: deque[tuple[str, float]] = deque(maxlen=8)  # (completion, reward), for inspection
        self.instances: set[str] = set()  # instance_id of every seed scored (when the dataset has it)

    def __call__(
        self,
        prompts: list,
        completions: list,
        code_context: list[PathContents],
        oracle_files: list[PathContents],
        log_metric: Callable[[str, float], None] | None = None,
        log_extra: Callable[[str, list], None] | None = None,
        instance_id: list[str] | None = None,
        **_: object,
    ) -> list[float]:
        self.instances.update(instance_id or ())
        rewards, errors, sims = [], [], []
        for completion, ctx, oracle in zip(completions, code_context, oracle_files, strict=True):
            text = completion_text(completion)
            reward, meta = swe_rl_reward(as_dict(ctx), as_dict(oracle), text)
            self.recent.append((text, reward))
            rewards.append(reward)
            error = meta.get("error")
            kind = _error_kind(error)
            errors.append(kind)
            if error is None:
                sims.append(reward)
            else:
                self.errors[kind] += 1
        self.calls += len(completions)
        if log_metric is not None and rewards:
            log_metric(f"{self.__name__}/format_error_rate", sum(e != "" for e in errors) / len(rewards))
            if sims:
                log_metric(f"{self.__name__}/mean_similarity", sum(sims) / len(sims))
        if log_extra is not None:
            log_extra(f"{self.__name__}_error", errors)
        return rewards


_DEFAULT = SweRlReward()


def swe_rl(
    completions: list,
    code_context: list[PathContents],
    oracle_files: list[PathContents],
    **kwargs: object,
) -> list[float]:
    """The SWE-RL reward as a plain module-level function, for TRL's own scripts:
    ``trl grpo --reward_funcs training.trl_reward.swe_rl`` on a dataset written by
    ``swe-corpus export-prompts`` (it carries the ``code_context`` and ``oracle_files`` columns)."""
    return _DEFAULT(completions=completions, code_context=code_context, oracle_files=oracle_files, **kwargs)


def _error_kind(error: str | None) -> str:
    """A short, low-cardinality error label ('' when well-formed)."""
    if error is None:
        return ""
    if error.startswith("Search block not found"):
        return "search_not_found"
    return error.split(":")[0].replace(" ", "_").lower()
