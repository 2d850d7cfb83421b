"""The SWE-RL reward (Wei et al., 2025), with the reference semantics and without its needless work.

A completion must read ``<think>...</think><solution>...</solution>`` with SEARCH/REPLACE edits in the
solution. The edits are applied to the base files, both the prediction and the oracle are normalised into
per-file unified diffs, and the reward is the mean ``SequenceMatcher.ratio`` over the union of touched
paths (a path touched by one side only scores 0). Any format error scores -1.

Speed without changing a result: GRPO scores a group of completions per prompt, so the reference diffs
the same oracle file once per completion. Here a file diff is a pure function of (old, new) and is
memoised (an LRU keyed by the strings themselves, so a hit is exact), identical diffs score 1.0 without
running the quadratic matcher, and untouched files are never diffed.
"""

from __future__ import annotations

import difflib
import math
import re
from functools import lru_cache
from typing import TypedDict

from swe_corpus.diffs import file_level_diffs

THINK_START, THINK_END = "<think>", "</think>"
ANSWER_START, ANSWER_END = "<solution>", "</solution>"
TAGS = (THINK_START, THINK_END, ANSWER_START, ANSWER_END)

# One fenced block per edit: ```lang / ### path / SEARCH / ======= / REPLACE / ```.
SEARCH_REPLACE_RE = re.compile(
    r"```.*?\n### (.*)\n<<<<<<< SEARCH\n([\s\S]*?)\n=======\n([\s\S]*?)\n>>>>>>> REPLACE\n```"
)

Edits = dict[str, list[tuple[str, str]]]


class FormatError(ValueError):
    """The completion does not follow the output format (reward -1)."""


class FileSimilarity(TypedDict):
    path: str
    pred_change: str
    oracle_change: str
    similarity: float


def split_thought_solution(completion: str) -> tuple[str, str]:
    """(thought, answer): every tag exactly once and a non-empty thought, as the reference demands."""
    for tag in TAGS:
        if completion.count(tag) != 1:
            raise FormatError(f"count of {tag} is not 1")
    thought = completion.split(THINK_START)[1].split(THINK_END)[0].strip()
    answer = completion.split(ANSWER_START)[1].split(ANSWER_END)[0].strip()
    if not thought:
        raise FormatError("Thought is empty")
    return thought, answer


def parse_edits(answer: str) -> Edits:
    """path -> [(search, replace), ...] in order of appearance."""
    edits: Edits = {}
    for path, search, replace in SEARCH_REPLACE_RE.findall(answer):
        edits.setdefault(path, []).append((search, replace))
    return edits


def apply_edits(code_context: dict[str, str], edits: Edits) -> dict[str, str]:
    """New content of every edited file. A path outside the context is an empty file.

    Search and replace are anchored at a line start by a leading newline; every occurrence is replaced.
    """
    new_contents: dict[str, str] = {}
    for path, pairs in edits.items():
        content = "\n" + code_context.get(path, "")
        for search, replace in pairs:
            if search == replace:
                raise FormatError("Search and replace blocks are identical")
            search, replace = "\n" + search, "\n" + replace
            if search not in content:
                raise FormatError(f"Search block not found in the code: {search}")
            content = content.replace(search, replace)
        new_contents[path] = content[1:]
    return new_contents


@lru_cache(maxsize=64)
def file_diff(old: str, new: str) -> str:
    """Unified diff body (3 lines of context, no file headers) of one file; '' when the lines are equal.

    Memoised: a GRPO group shares the oracle and often the predicted edit. The key is the strings
    themselves (str caches its hash), so a hit is exact.
    """
    if old == new:
        return ""
    lines = difflib.unified_diff(old.splitlines(), new.splitlines(), n=3, lineterm="")
    body = list(lines)[2:]
    return "\n".join(body)


def normalized_patch(code_context: dict[str, str], new_contents: dict[str, str]) -> dict[str, str]:
    """path -> diff body, skipping files whose lines did not change."""
    patches = {}
    for path, new in new_contents.items():
        diff = file_diff(code_context.get(path, ""), new)
        if diff:
            patches[path] = diff
    return patches


@lru_cache(maxsize=1024)
def change_similarity(pred_change: str, oracle_change: str) -> float:
    """SequenceMatcher ratio of two diffs; 0 when either side is empty, exactly 1.0 when equal."""
    if not pred_change or not oracle_change:
        return 0.0
    if pred_change == oracle_change:
        return 1.0
    return difflib.SequenceMatcher(None, pred_change, oracle_change, autojunk=False).ratio()


def compare_patches(pred: dict[str, str], oracle: dict[str, str]) -> tuple[float, list[FileSimilarity]]:
    """Mean similarity over the union of paths (sorted, fsum: deterministic); both empty -> 1.0."""
    sims = [
        FileSimilarity(
            path=path,
            pred_change=pred.get(path, ""),
            oracle_change=oracle.get(path, ""),
            similarity=change_similarity(pred.get(path, ""), oracle.get(path, "")),
        )
        for path in sorted(pred.keys() | oracle.keys())
    ]
    if not sims:
        return 1.0, sims
    return math.fsum(s["similarity"] for s in sims) / len(sims), sims


def predicted_contents(code_context: dict[str, str], completion: str) -> tuple[str, str, dict[str, str]]:
    """(thought, answer, new content of every edited file) of a completion; FormatError if malformed."""
    thought, answer = split_thought_solution(completion)
    edits = parse_edits(answer)
    if not edits:
        raise FormatError("No valid search blocks found")
    return thought, answer, apply_edits(code_context, edits)


def swe_rl_reward(
    code_context: dict[str, str], oracle_new_content: dict[str, str], completion: str
) -> tuple[float, dict]:
    """Reward in [-1, 1] of one completion, and metadata.

    code_context: path -> content at the base commit (changed and relevant files).
    oracle_new_content: path -> content after the oracle change ('' for a deleted file).
    Metadata: ``error`` on a format error, else ``similarities`` (per file), ``thought``, ``answer`` and
    ``new_contents`` (the predicted files, so a caller can write the patch without parsing again).
    """
    try:
        thought, answer, pred_contents = predicted_contents(code_context, completion)
    except FormatError as exc:
        return -1.0, {"error": str(exc)}
    reward, sims = compare_patches(
        normalized_patch(code_context, pred_contents), normalized_patch(code_context, oracle_new_content)
    )
    return reward, {"similarities": sims, "thought": thought, "answer": answer, "new_contents": pred_contents}


def patch_similarity_reward(oracle_patch: str, predicted_patch: str) -> tuple[float, dict]:
    """The unified-diff variant: reward in [0, 1] comparing two (multi-file) unified diffs."""
    reward, sims = compare_patches(file_level_diffs(predicted_patch), file_level_diffs(oracle_patch))
    return reward, {"similarities": sims}
