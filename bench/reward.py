"""Reward throughput: `training.reward.swe_rl_reward` vs a straightforward implementation of the same
semantics (the reference's structure: every file diffed on every call, every similarity computed).

Workload: GRPO groups of 16 completions per prompt (6 exact oracle edits, 4 near misses, 3 edits in the
wrong place, 3 format errors) on a small, a 1k-line and a 5k-line file. Caches are cleared before each
group, so only reuse within a group counts. Results are asserted equal to the baseline's.

    python bench/reward.py [--groups N]
"""

from __future__ import annotations

import argparse
import difflib
import math
import random
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from training.reward import change_similarity, file_diff, swe_rl_reward  # noqa: E402

GROUP = 16


# --------------------------------------------------------------------------- baseline
def naive_reward(code_context: dict[str, str], oracle: dict[str, str], completion: str) -> float:
    """The reference's structure, written plainly: no memo, no shortcut."""
    tags = ("<think>", "</think>", "<solution>", "</solution>")
    if any(completion.count(t) != 1 for t in tags):
        return -1.0
    thought = completion.split("<think>")[1].split("</think>")[0].strip()
    answer = completion.split("<solution>")[1].split("</solution>")[0].strip()
    if not thought:
        return -1.0
    pattern = r"```.*?\n### (.*)\n<<<<<<< SEARCH\n([\s\S]*?)\n=======\n([\s\S]*?)\n>>>>>>> REPLACE\n```"
    edits: dict[str, list[tuple[str, str]]] = {}
    for path, search, replace in re.findall(pattern, answer):
        edits.setdefault(path, []).append((search, replace))
    if not edits:
        return -1.0
    pred_new = {}
    for path, pairs in edits.items():
        content = "\n" + code_context.get(path, "")
        for search, replace in pairs:
            if search == replace or "\n" + search not in content:
                return -1.0
            content = content.replace("\n" + search, "\n" + replace)
        pred_new[path] = content[1:]

    def patch(new_contents):
        out = {}
        for path, new in new_contents.items():
            diff = difflib.unified_diff(
                code_context.get(path, "").splitlines(),
                new.splitlines(),
                fromfile="old",
                tofile="new",
                lineterm="",
            )
            body = "\n".join(list(diff)[2:])
            if body:
                out[path] = body
        return out

    pred, orc = patch(pred_new), patch(oracle)
    paths = sorted(pred.keys() | orc.keys())
    if not paths:
        return 1.0
    sims = []
    for p in paths:
        a, b = pred.get(p, ""), orc.get(p, "")
        sims.append(0.0 if not a or not b else difflib.SequenceMatcher(None, a, b, autojunk=False).ratio())
    return math.fsum(sims) / len(sims)


# --------------------------------------------------------------------------- workload
def make_file(n_lines: int, rng: random.Random) -> str:
    lines = ['"""Module under test."""', "import os", "import sys", ""]
    i = 0
    while len(lines) < n_lines:
        lines += [
            f"def handler_{i}(request, limit={rng.randint(1, 99)}):",
            f'    """Handle request kind {i}."""',
            "    if request is None:",
            "        return None",
            f"    value = request.get('field_{i}', {rng.randint(0, 9)})",
            f"    return min(value, limit) + {rng.randint(0, 999)}",
            "",
        ]
        i += 1
    return "\n".join(lines[:n_lines]) + "\n"


def block(path: str, search: str, replace: str) -> str:
    return f"```python\n### {path}\n<<<<<<< SEARCH\n{search}\n=======\n{replace}\n>>>>>>> REPLACE\n```"


def wrap(*blocks: str) -> str:
    return "<think>\nLooking at the handler.\n</think>\n<solution>\n" + "\n".join(blocks) + "\n</solution>"


def make_group(n_lines: int, seed: int) -> tuple[dict, dict, list[str]]:
    rng = random.Random(seed)
    path = "pkg/handlers.py"
    content = make_file(n_lines, rng)
    lines = content.splitlines()
    k = rng.randrange(4, len(lines) - 8)
    while not lines[k].startswith("    value = "):
        k += 1
    search = lines[k] + "\n" + lines[k + 1]
    fixed = lines[k].replace(".get(", ".get(str(") + ")" + "\n" + lines[k + 1].replace("min(", "max(")
    oracle = {path: content.replace("\n" + search + "\n", "\n" + fixed + "\n", 1)}
    j = rng.randrange(4, len(lines) - 8)
    while not lines[j].startswith("    return min(") or j == k + 1:
        j += 1
    completions = (
        [wrap(block(path, search, fixed))] * 6
        + [wrap(block(path, search, fixed.replace("max(", f"abs({v}) + max("))) for v in range(4)]
        + [wrap(block(path, lines[j], lines[j].replace("min(", f"max({v}, "))) for v in range(3)]
        + [
            "<think>hmm</think> no solution",
            wrap(block(path, "does not exist", "x")),
            "<solution>x</solution>",
        ]
    )
    return {path: content}, oracle, completions


def run(fn, groups, clear: bool, cold: bool) -> tuple[float, list[float]]:
    results = []
    t0 = time.perf_counter()
    for ctx, oracle, completions in groups:
        for c in completions:
            if clear and cold:
                file_diff.cache_clear(), change_similarity.cache_clear()
            results.append(fn(ctx, oracle, c))
        if clear:
            file_diff.cache_clear(), change_similarity.cache_clear()
    return time.perf_counter() - t0, results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", type=int, default=4, help="GRPO groups per file size")
    args = parser.parse_args()
    ours = lambda ctx, o, c: swe_rl_reward(ctx, o, c)[0]  # noqa: E731
    print(f"{'case':<22}{'calls':>7}{'baseline/s':>13}{'ours/s':>10}{'speedup':>9}{'cold ours/s':>13}")
    for name, n_lines in (("small (60 lines)", 60), ("1k-line file", 1000), ("5k-line file", 5000)):
        groups = [make_group(n_lines, seed) for seed in range(args.groups)]
        calls = len(groups) * GROUP
        t_base, r_base = run(naive_reward, groups, clear=False, cold=False)
        t_ours, r_ours = run(ours, groups, clear=True, cold=False)
        t_cold, r_cold = run(ours, groups, clear=True, cold=True)
        assert r_ours == r_base == r_cold, "results differ from the baseline"
        assert r_ours.count(1.0) == 6 * len(groups) and r_ours.count(-1.0) == 3 * len(groups)
        print(
            f"{name:<22}{calls:>7}{calls / t_base:>13.1f}{calls / t_ours:>10.1f}"
            f"{t_base / t_ours:>8.2f}x{calls / t_cold:>13.1f}"
        )
    print("equal results asserted (exact float equality) on every call")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
